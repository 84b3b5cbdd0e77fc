// Training on a folder of real volumes (models/train/volume-data.ts), with procedural chests
// written as NIfTI files standing in for CT-RATE's: each file comes back as its own windowed
// volume, paired with its own report; reconstructions of one report row stay on one side of the
// split; unreadable files are skipped with their reason; batches are distinct training volumes;
// and a micro run trains on them and is evaluated on the held-out rows.
import { getConfig } from '../../models/config.ts';
import { reportsFromCsv, CT_REPORTS_PATH, type CohortReport } from '../../models/data/cohort.ts';
import { buildPhantom, renderPhantom } from '../../models/data/phantom.ts';
import { preprocessVolume, resampleRef, type HuVolume } from '../../models/data/preprocess.ts';
import { readNifti, toRAS } from '../../models/data/nifti.ts';
import { writeNifti } from '../../models/data/nifti-write.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { loadVolumeData, type VolumeSource } from '../../models/train/volume-data.ts';
import { Trainer, type Progress } from '../../models/train/trainer.ts';
import type { Assets } from '../../models/assets.ts';
import { suite, assets, expectClose, expectEqual, expectTrue, expectThrows } from './harness.ts';

const repoAssets: Assets = { read: (p) => assets.read(p) };

suite('volume-data', (test) => {
  test('a folder of NIfTI chests: own volumes, own reports, split by row, bad files skipped, and a micro run trains on it', async (e) => {
    const cfg = getConfig('micro', { train: { steps: 8, batch: 4, logEvery: 4, checkpointEvery: 100, warmup: 2 }, expert: { steps: 4 } });
    const grid = { size: [...cfg.ct.size] as [number, number, number], spacing: [...cfg.ct.spacing] as [number, number, number] };
    const shipped = reportsFromCsv(await assets.read(CT_REPORTS_PATH), CT_REPORTS_PATH);
    // 12 report rows (renamed, as a user's CSV would name its own), the first with two
    // reconstructions, so 13 files; two more cannot be read.
    const rows: CohortReport[] = shipped.slice(0, 12).map((r, i) => ({ ...r, accession: `scan_${i}` }));
    const hu = new Map<string, Float32Array>();
    const sources: VolumeSource[] = [];
    const files = rows.flatMap((r, i) => (i === 0 ? [[r, `${r.accession}_a_1`], [r, `${r.accession}_a_2`]] : [[r, r.accession]])) as [CohortReport, string][];
    for (const [k, [report, name]] of files.entries()) {
      const t = renderPhantom(e, buildPhantom(1000 + k, report.labels, grid));
      const data = (await t.data()) as Float32Array;
      t.dispose();
      hu.set(name, data);
      const bytes = writeNifti({ data, dims: [grid.size[2], grid.size[1], grid.size[0]], spacing: [grid.spacing[2], grid.spacing[1], grid.spacing[0]] });
      sources.push({ name, report, load: async () => toRAS(await readNifti(bytes, { name, chestCheck: false })) });
      if (k === 4) sources.push({ name: 'cut-short', report: rows[3], load: async () => toRAS(await readNifti(bytes.subarray(0, 1000), { name: 'cut-short' })) });
    }
    sources.push({ name: 'not-a-chest-grid', report: rows[5], load: async (): Promise<HuVolume> => ({ data: new Float32Array(5), dims: [2, 2, 2], spacing: [1, 1, 1] }) });
    const xrays = await loadCohortData(repoAssets, cfg, { allHeldout: true, trainPatients: 0 });
    const seen: string[] = [];
    const data = await loadVolumeData(e, sources, xrays, cfg, { rowsPerBuffer: 4, onVolume: (done, total, name, skipped) => seen.push(`${done}/${total} ${name}${skipped ? ' skipped' : ''}`) });

    expectEqual(data.skipped.map((s) => s.name), ['cut-short', 'not-a-chest-grid'], 'skipped files');
    expectTrue(/truncated|short|bytes/i.test(data.skipped[0].reason) && !data.skipped[0].reason.startsWith('cut-short:'), `reason, without the name repeated: ${data.skipped[0].reason}`);
    expectEqual(seen.length, sources.length, 'one progress call per file');
    expectEqual(seen.at(-1), `${sources.length}/${sources.length} not-a-chest-grid skipped`, 'the last progress call');
    expectEqual(data.volumes.map((v) => v.name), files.map(([, n]) => n), 'the readable volumes, in file order');
    // Split by row: both reconstructions of scan_0 on one side; 20% of the 12 rows held out.
    const side = (n: string) => data.volumes.find((v) => v.name === n)!.heldout;
    expectEqual(side('scan_0_a_1'), side('scan_0_a_2'), 'reconstructions of one row on one side');
    expectEqual(data.heldoutReports.length, 2, 'held-out rows (20% of 12, rounded)');
    expectEqual(data.ctReports.length + data.heldoutReports.length, 12, 'every row on one side');
    for (const v of data.volumes) {
      const r = v.heldout ? data.heldoutReports[v.report] : data.ctReports[v.report];
      expectEqual(r.source, v.accession, `${v.name}'s report is its own row`);
    }

    // Batches: distinct training volumes with their own reports; a pure function of the step.
    const b = data.trainBatch(3, 4);
    expectEqual(new Set(b.map((it) => it.volumeSeed)).size, 4, 'distinct volumes');
    expectTrue(b.every((it) => it.volumeSeed >= 0 && !data.volumes[it.volumeSeed].heldout), 'training volumes only');
    expectTrue(b.every((it) => data.ctReports[it.report].source === data.volumes[it.volumeSeed].accession), 'each with its own report');
    expectEqual(data.trainBatch(3, 4), b, 'the same step, the same batch');
    const held = data.heldout(100);
    expectEqual(held.length, data.volumes.filter((v) => v.heldout).length, 'every held-out volume, no more');
    expectTrue(held.every((it) => it.volumeSeed < 0 && data.heldoutReports[it.report].source === data.volumes[-1 - it.volumeSeed].accession), 'held-out items name their volume and row');
    await expectThrows(() => data.trainBatch(0, 20), /batch of 20 needs at least 20 training volumes.*--batch/, 'too few volumes for the batch');
    await expectThrows(() => data.renderCt(e, b, getConfig('tiny')), /resampled to 16,16,16\/20,20,20.*asks for 64,64,64/, 'a model of another grid');

    // The pool (4 volumes per buffer here, so a batch spans buffers) gives each volume as
    // preprocessed, and that is the chest that was rendered: the CPU reference resampling the
    // rendered HU (before the file) on the same spec, so a swapped, flipped or transposed volume
    // fails. Whole HU in the file move a windowed voxel by at most 0.5 / 1500.
    const items = [...b, ...held];
    const pooled = (await data.renderCt(e, items, cfg).data()) as Float32Array;
    const n = grid.size[0] * grid.size[1] * grid.size[2];
    for (const [i, it] of items.entries()) {
      const v = data.volumes[it.volumeSeed < 0 ? -1 - it.volumeSeed : it.volumeSeed];
      const mine = pooled.subarray(i * n, (i + 1) * n);
      const p = preprocessVolume(e, await sources.find((s) => s.name === v.name)!.load(), grid);
      expectClose(mine, (await p.volume.data()) as Float32Array, `${v.name} from the pool`, 0);
      p.volume.dispose();
      expectClose(mine, resampleRef(hu.get(v.name)!, grid.size, p.spec), `${v.name} against the chest rendered`, 4e-4, 0);
    }

    // A micro run on the folder: finite losses that fall, and a zero-shot evaluation on the held-out rows.
    const history: Progress[] = [];
    const t = await Trainer.create({ engine: e, assets: repoAssets, data, config: cfg, switches: { roco: true, distill: true, efm: true }, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    await t.run(cfg.train.steps);
    expectTrue(history.length >= 2 && history.every((p) => Number.isFinite(p.losses.total)), `finite losses: ${history.map((p) => p.losses.total)}`);
    const z = await t.evaluate();
    expectTrue(Number.isFinite(z.meanAuc), `a mean AUC on the held-out volumes: ${z.meanAuc}`);
    t.dispose();
    data.dispose();
  });
});
