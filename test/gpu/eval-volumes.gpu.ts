// Zero-shot on real volumes (models/train/evaluate.ts): real NIfTI CTs go through the same
// resampling and windowing as for display, in batches, and come out as the embeddings that the
// model gives each of them alone; a volume that cannot be read or resampled is skipped with its
// reason, and the rest are still scored; diagnosis without labels gives the same p(finding).
import { getConfig } from '../../models/config.ts';
import { Biud } from '../../models/biud.ts';
import { ReportTokenizer } from '../../models/tokenize.ts';
import { readNifti, toRAS } from '../../models/data/nifti.ts';
import { preprocessVolume, type HuVolume } from '../../models/data/preprocess.ts';
import { embedVolumes, zeroShotVolumes, diagnoseVolumes, type EvalModel, type LabelledVolume } from '../../models/train/evaluate.ts';
import { FINDINGS } from '../../models/text/findings.ts';
import { NUM_FINDINGS } from '../../models/text/findings.ts';
import { suite, assets, expectClose, expectEqual, expectTrue } from './harness.ts';

suite('eval-volumes', (test) => {
  test('real volumes: batched embeddings equal each volume alone, bad ones are skipped with their reason', async (e) => {
    // Batches of 3: the first holds two good volumes around an unreadable one, the second a bad and a good one.
    const cfg = getConfig('micro', { train: { batch: 3 } });
    const tokenizer = await ReportTokenizer.fromBertIds({ read: (p) => assets.read(p) }, null);
    const model = new Biud(e, cfg, tokenizer.size, cfg.embedDim);
    const m: EvalModel = { engine: e, model, tokenizer, cfg };
    const read = async (file: string) => toRAS(await readNifti(await assets.read(`data/ct/${file}`), { name: file }));
    const lidc = await read('LIDC-IDRI-0001_ct_3mm.nii.gz');
    const cta = await read('chest_cta_crop_pulmonary_1.5mm.nii.gz');
    const labels = (first: number) => Uint8Array.from({ length: NUM_FINDINGS }, (_, k) => (k === 0 ? first : 0));
    const items: LabelledVolume[] = [
      { name: 'lidc', labels: labels(1), load: async () => lidc },
      { name: 'unreadable', labels: labels(1), load: async () => { throw new Error('unreadable: not a NIfTI-1 file'); } },
      { name: 'cta', labels: labels(0), load: async () => cta },
      { name: 'wrong-size', labels: labels(0), load: async (): Promise<HuVolume> => ({ ...cta, dims: [3, 3, 3] }) },
      { name: 'lidc-again', labels: labels(0), load: async () => lidc },
    ];
    const { embedded, skipped } = await embedVolumes(m, items);
    expectEqual(embedded.map((x) => x.item.name), ['lidc', 'cta', 'lidc-again'], 'the readable volumes, in order');
    expectEqual(skipped.map((s) => s.name), ['unreadable', 'wrong-size'], 'the skipped volumes');
    expectTrue(skipped[0].reason === 'not a NIfTI-1 file', `the reason without the name repeated: ${skipped[0].reason}`);
    expectTrue(/voxels for dims \[3, 3, 3\]/.test(skipped[1].reason), `the resampler's reason: ${skipped[1].reason}`);
    expectTrue(embedded[0].warnings.some((w) => /cropped around its centre/.test(w)), `LIDC's field warning: ${embedded[0].warnings}`);
    const grid = { size: [...cfg.ct.size] as HuVolume['dims'], spacing: [...cfg.ct.spacing] as HuVolume['spacing'] };
    for (const [i, vol] of [lidc, cta, lidc].entries()) {
      const alone = e.scope(() => model.embedCt(preprocessVolume(e, vol, grid, { batchDims: true }).volume));
      expectClose(embedded[i].row, (await alone.data()) as Float32Array, `embedding of ${embedded[i].item.name} alone`, 1e-4);
      alone.dispose();
    }
    const r = await zeroShotVolumes(m, items);
    expectEqual(r.embedded.length, 3, 'scored volumes');
    expectTrue(Number.isFinite(r.meanAuc), 'a mean AUC over the findings with both classes');
    expectTrue(r.skipped.length === 2, 'skipped again');
    // Diagnosis without labels: the same p(finding) as the evaluation's scores, the same for the same volume.
    const d = await diagnoseVolumes(m, items);
    expectEqual(d.diagnosed.map((x) => x.item.name), ['lidc', 'cta', 'lidc-again'], 'diagnosed volumes');
    for (const f of FINDINGS) {
      expectClose(d.diagnosed.map((x) => x.p[f]), r.scores[f], `p(${f}) against the evaluation's scores`, 1e-6);
      expectTrue(d.diagnosed.every((x) => x.p[f] > 0 && x.p[f] < 1), `p(${f}) in (0, 1)`);
    }
    expectClose([d.diagnosed[0].p['Lung nodule']], [d.diagnosed[2].p['Lung nodule']], 'the same volume twice', 1e-5);
    model.store.destroy();
  });
});
