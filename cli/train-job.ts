// One BIUD training run from the command line (shared by `biud train` and `biud ablate`): the
// cohort, the trainer with a checkpoint folder, a progress line, DIR/metrics.json rewritten at
// every report, recovery from a lost GPU device (new device, last checkpoint, go on), and the
// zero-shot evaluation on the held-out cohort at the end.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { createNodeEngine } from '../engine/node.ts';
import { diskAssets } from '../models/assets-node.ts';
import type { BiudConfig } from '../models/config.ts';
import { FINDINGS } from '../models/text/index.ts';
import type { LossSwitches } from '../models/biud.ts';
import { loadCohortData } from '../models/train/cohort-data.ts';
import { loadVolumeData, type VolumeData } from '../models/train/volume-data.ts';
import type { BiudData } from '../models/train/data.ts';
import { BiudError } from '../engine/errors.ts';
import { readVolumeFolder } from './volume-folder.ts';
import type { Trainer, Progress } from '../models/train/trainer.ts';
import { folderSink } from '../models/train/sink-node.ts';
import { trainWithRecovery } from '../models/train/recover.ts';
import type { CtItem } from '../models/train/data.ts';
import type { ZeroShotResult } from '../models/zero-shot.ts';

export interface TrainJob {
  cfg: BiudConfig;
  switches: LossSwitches;
  out: string;
  resume?: boolean;
  reportsCsv?: Uint8Array;
  /** Train on the real NIfTI volumes of this folder, paired with their rows of reportsCsv, instead of procedural ones. */
  volumesDir?: string;
  /** The CSV's name, for messages. */
  reportsName?: string;
  /** Expert weights to load instead of training one (safetensors bytes). */
  expertWeights?: Uint8Array;
  evaluate?: boolean;
  /** Prefix of progress lines (the ablation names its run). */
  label?: string;
}

export interface TrainResult {
  zeroShot: ZeroShotResult | null;
  seconds: number;
  metricsFile: string;
}

const fmt = (v: number | undefined) => (v === undefined ? '' : Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

function progressLine(p: Progress, label: string): string {
  const width = 24;
  const done = Math.round((width * p.step) / Math.max(1, p.steps));
  const bar = '='.repeat(Math.max(0, done - 1)) + (done ? '>' : '') + ' '.repeat(width - done);
  const losses = Object.entries(p.losses).map(([k, v]) => `${k} ${fmt(v)}`).join('  ');
  const ms = Number.isFinite(p.stepMs) ? `${(p.stepMs / 1000).toFixed(2)} s/step` : '';
  const mem = `${(p.memory.liveBytes / 2 ** 20).toFixed(0)} MB live`;
  return `${label}${p.phase.padEnd(6)} ${String(p.step).padStart(5)}/${p.steps} [${bar}] ${losses}  ${ms}  ${mem}`;
}

/** The AUC table of a zero-shot result, one line per finding. */
export function aucTable(r: ZeroShotResult): string {
  const rows = FINDINGS.map((f) => `  ${f.padEnd(34)} ${Number.isFinite(r.auc[f]) ? r.auc[f].toFixed(3) : '  n/a'}`);
  return [...rows, `  ${'mean'.padEnd(34)} ${r.meanAuc.toFixed(3)}`].join('\n');
}

/** `{ auc: { finding: AUC | null }, mean_auc, positives }` (null: the cohort lacks positives or negatives). */
export function zeroShotJson(r: ZeroShotResult, labels: ArrayLike<number>[] = []): { auc: Record<string, number | null>; mean_auc: number; n: number; positives: Record<string, number> } {
  const auc: Record<string, number | null> = {};
  const positives: Record<string, number> = {};
  FINDINGS.forEach((f, k) => {
    auc[f] = Number.isFinite(r.auc[f]) ? r.auc[f] : null;
    positives[f] = labels.reduce((n, l) => n + (l[k] ? 1 : 0), 0);
  });
  return { auc, mean_auc: r.meanAuc, n: labels.length, positives };
}

export async function runTrainJob(job: TrainJob): Promise<TrainResult> {
  const label = job.label ? `[${job.label}] ` : '';
  mkdirSync(job.out, { recursive: true });
  const assets = diskAssets();
  const sink = folderSink(job.out);
  const metricsFile = path.join(job.out, 'metrics.json');
  const tty = process.stderr.isTTY;
  const history: Progress[] = [];
  const expertHistory: Progress[] = [];
  const t0 = performance.now();
  const writeMetrics = (extra: Record<string, unknown> = {}) => {
    const mem = history.map((p) => p.memory.liveBytes);
    writeFileSync(metricsFile, JSON.stringify({
      config: job.cfg.name, switches: job.switches, steps: job.cfg.train.steps, batch: job.cfg.train.batch,
      seconds: (performance.now() - t0) / 1000,
      memory: { live_bytes_first: mem[0] ?? null, live_bytes_last: mem.at(-1) ?? null, live_bytes_max: mem.length ? Math.max(...mem) : null },
      history: history.map((p) => ({ step: p.step, losses: p.losses, step_ms: p.stepMs, lr: p.lr, memory: p.memory })),
      expert: expertHistory.map((p) => ({ step: p.step, loss: p.losses.total, step_ms: p.stepMs })),
      config_full: job.cfg,
      ...(volumeSummary ? { volumes: volumeSummary } : {}),
      ...extra,
    }, null, 1));
  };
  const onProgress = (p: Progress) => {
    if (p.phase === 'biud') history.push(p);
    if (p.phase === 'expert') expertHistory.push(p);
    const line = progressLine(p, label);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else console.error(line);
    if (p.phase === 'biud') writeMetrics();
  };
  const log = (line: string) => {
    if (tty) process.stderr.write('\r\x1b[2K');
    console.error(label + line);
  };

  log(`${job.cfg.name}: ${job.cfg.train.steps} steps of ${job.cfg.train.batch}; checkpoints in ${job.out}`);
  let engine!: Engine;
  let volumes: VolumeData | null = null;
  const data: BiudData & { dispose(): void } = job.volumesDir
    ? (volumes = await loadVolumeFolder(job, log, tty))
    : await loadCohortData(assets, job.cfg, { reportsCsv: job.reportsCsv });
  const volumeSummary = volumes && {
    dir: job.volumesDir, train: volumes.volumes.filter((v) => !v.heldout).length, heldout: volumes.volumes.filter((v) => v.heldout).length,
    train_rows: volumes.ctReports.length, heldout_rows: volumes.heldoutReports.length, skipped: volumes.skipped,
    warnings: Object.fromEntries(volumes.volumes.filter((v) => v.warnings.length).map((v) => [v.name, v.warnings])),
  };
  let trainer: Trainer;
  try {
    const r = await trainWithRecovery({
      makeEngine: async () => (engine = await createNodeEngine()),
      options: { assets, data, config: job.cfg, switches: job.switches, sink, resume: job.resume ?? false, expertWeights: job.expertWeights, onProgress, log },
      onLost: (err, from) => log(`GPU device lost (${err.message}); new device, ${from === 'checkpoint' ? 'resuming from the last checkpoint' : 'starting again (no checkpoint yet)'}`),
    });
    trainer = r.trainer;
    engine = r.engine;
  } catch (err) {
    if (tty) process.stderr.write('\n');
    writeMetrics({ error: (err as Error).message });
    throw err;
  }
  if (tty) process.stderr.write('\n');
  let zeroShot: ZeroShotResult | null = null;
  let heldout: CtItem[] = [];
  if (job.evaluate !== false) {
    heldout = data.heldout(job.cfg.data.heldout);
    log(`zero-shot on ${heldout.length} held-out volumes…`);
    zeroShot = await trainer.evaluate(heldout);
    log(`zero-shot AUC (held-out):\n${aucTable(zeroShot)}`);
  }
  writeMetrics(zeroShot ? { zero_shot: zeroShotJson(zeroShot, heldout.map((h) => h.labels)) } : {});
  trainer.dispose();
  data.dispose();
  engine.destroy();
  return { zeroShot, seconds: (performance.now() - t0) / 1000, metricsFile };
}

/**
 * The real volumes of job.volumesDir, each read, resampled and windowed once on a short-lived
 * device (the run's own is made by trainWithRecovery); the X-ray side is the procedural one.
 */
async function loadVolumeFolder(job: TrainJob, log: (line: string) => void, tty: boolean): Promise<VolumeData> {
  if (!job.reportsCsv) throw new BiudError('--volumes needs --reports CSV: the volumes\' reports (AccessionNo, report_text, and hand labels if there are any)');
  const csvName = job.reportsName ?? 'reports CSV';
  const { volumes, labelSources } = readVolumeFolder(job.volumesDir!, job.reportsCsv, csvName);
  log(`reading ${volumes.length} volumes from ${job.volumesDir} (labels: ${labelSources.join(', ')}), resampled to ${job.cfg.ct.size.join('×')} at ${job.cfg.ct.spacing.join('×')} mm…`);
  const xrays = await loadCohortData(diskAssets(), job.cfg, { reportsCsv: job.reportsCsv, allHeldout: true, trainPatients: 0 });
  const prep = await createNodeEngine();
  let data: VolumeData;
  try {
    data = await loadVolumeData(prep, volumes, xrays, job.cfg, {
      onVolume: (done, total, name, skipped) => {
        if (skipped) log(`${name}: skipped: ${skipped}`);
        else if (tty) process.stderr.write(`\r\x1b[2K  ${done}/${total} ${name}`);
        else if (done === total || done % 50 === 0) log(`  ${done}/${total} volumes read`);
      },
    });
  } finally {
    prep.destroy();
  }
  // Each volume's warnings (not a chest, cropped): the first few here, all of them in metrics.json.
  const warned = data.volumes.filter((v) => v.warnings.length);
  for (const v of warned.slice(0, 5)) log(`${v.name}: ${v.warnings.join('; ')}`);
  if (warned.length > 5) log(`… and ${warned.length - 5} more volumes with warnings (metrics.json lists them)`);
  // Too few training volumes for a batch: say so now, not after the expert has trained.
  data.trainBatch(0, job.cfg.train.batch);
  const held = data.volumes.filter((v) => v.heldout).length;
  log(`${data.volumes.length} volumes of ${data.ctReports.length + data.heldoutReports.length} report rows: ${data.volumes.length - held} to train on, ${held} held out (${data.heldoutReports.length} rows)${data.skipped.length ? `; ${data.skipped.length} skipped` : ''}`);
  return data;
}
