// Supervised use of the CT encoder for the 18 findings from a few labelled volumes
// (DESIGN.md §2, "Fine-tuning"):
//
//   linear probe  the encoder frozen; its pooled feature (`cls`, before the projection) standardised with
//                 the training set's mean and deviation; one L2-regularised logistic regression
//                 per finding, fitted on the CPU by accelerated gradient descent:
//                   min_w,b  (1/N) Σ_i [softplus(z_i) − y_i·z_i] + (λ/2)‖w‖²,   z_i = w·x_i + b
//                 (convex; step 1/L with L = ¼·σ_max(X)²/N + λ, σ_max by power iteration).
//   fine-tuning   a copy of the encoder and a linear head [CLS] → 18 × 2 logits trained together
//                 on the GPU with the fused cross-entropy (two classes per finding is a logistic
//                 per finding; a missing label is the ignore index), AdamW with a small learning
//                 rate for the encoder and a larger one for the head. The source encoder is untouched.
//
// Both score a volume per finding by its logit (z, or z₁ − z₀) and are measured by AUC.
import type { Engine } from '../engine/engine.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ParamStore } from '../engine/params.ts';
import { BiudError } from '../engine/errors.ts';
import { AdamW } from '../engine/optim/adamw.ts';
import { warmupCosine } from '../engine/optim/schedule.ts';
import * as ops from '../engine/ops/index.ts';
import { VisionEncoder } from './vision-encoder.ts';
import { Linear } from './nn.ts';
import { auc } from './zero-shot.ts';
import { FINDINGS, NUM_FINDINGS, mulberry32, shuffle, type Finding } from './text/index.ts';
import type { BiudConfig } from './config.ts';
import type { BiudData, CtItem } from './train/data.ts';

export interface ProbeResult {
  /** AUC per finding (NaN where the test set lacks positives or negatives). */
  auc: Record<Finding, number>;
  /** Mean over findings with a defined AUC. */
  meanAuc: number;
  /** Per test volume, per finding: the logit. */
  scores: Float32Array[];
}

/** AUC per finding of scores [N][18] against labels [N][18] (255 = missing, skipped). */
export function scoreAuc(scores: readonly ArrayLike<number>[], labels: readonly ArrayLike<number>[]): ProbeResult {
  const out = {} as Record<Finding, number>;
  FINDINGS.forEach((f, k) => {
    const keep = labels.map((l, i) => i).filter((i) => labels[i][k] <= 1);
    out[f] = auc(keep.map((i) => scores[i][k]), keep.map((i) => labels[i][k]));
  });
  const defined = Object.values(out).filter((a) => !Number.isNaN(a));
  return { auc: out, meanAuc: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN, scores: scores.map((s) => Float32Array.from(s)) };
}

// ------------------------------------------------------------------ features

/**
 * Which feature a probe reads: the [CLS] before projection (`cls`, the default), the projected
 * embedding (`embedding`), or the mean of the patch tokens (`mean`: informative even for an
 * encoder that was never trained, whose [CLS] has learnt nothing to gather).
 */
export type FeatureKind = 'cls' | 'embedding' | 'mean';

/** The frozen encoder's features of `items`, read back. */
export async function encodeFeatures(engine: Engine, encoder: VisionEncoder, data: BiudData, cfg: BiudConfig, items: CtItem[], opts: { which?: FeatureKind; batch?: number } = {}): Promise<Float32Array[]> {
  const B = opts.batch ?? cfg.train.batch;
  const rows: Float32Array[] = [];
  for (let i = 0; i < items.length; i += B) {
    const part = items.slice(i, i + B);
    const f = engine.noGrad(() => engine.scope(() => {
      const out = encoder.forward(data.renderCt(engine, part, cfg, { once: true }));
      const which = opts.which ?? 'cls';
      return which === 'mean' ? ops.mean(ops.slice(out.tokens, 1, 1, out.tokens.shape[1]), 1) : out[which];
    }));
    const v = (await f.data()) as Float32Array;
    f.dispose();
    const d = f.shape[1];
    for (let r = 0; r < part.length; r++) rows.push(v.slice(r * d, (r + 1) * d));
  }
  return rows;
}

// ------------------------------------------------------------------ linear probe (CPU)

export interface LinearProbeOptions {
  /** λ, on the mean loss (default 1e-2). */
  l2?: number;
  iterations?: number;
}

export class LinearProbe {
  private constructor(
    readonly dim: number,
    readonly mean: Float64Array,
    readonly std: Float64Array,
    /** [18][dim] in standardised units, and biases [18]. */
    readonly weights: Float64Array[],
    readonly bias: Float64Array,
    /** Training loss per finding at the end (mean BCE + penalty). */
    readonly loss: Float64Array,
  ) {}

  /** Fit on features [N][D] and labels [N][18] (255 = missing: that volume is left out for that finding). */
  static fit(features: readonly Float32Array[], labels: readonly Uint8Array[], opts: LinearProbeOptions = {}): LinearProbe {
    const N = features.length;
    if (!N) throw new BiudError('linear probe: no training volumes');
    if (labels.length !== N) throw new BiudError(`linear probe: ${N} feature rows, ${labels.length} label rows`);
    const D = features[0].length;
    const lambda = opts.l2 ?? 1e-2;
    const iters = opts.iterations ?? 500;
    const mean = new Float64Array(D), std = new Float64Array(D);
    for (const x of features) for (let d = 0; d < D; d++) mean[d] += x[d] / N;
    for (const x of features) for (let d = 0; d < D; d++) std[d] += (x[d] - mean[d]) ** 2 / N;
    for (let d = 0; d < D; d++) std[d] = Math.sqrt(std[d]) || 1;
    const X = features.map((x) => Float64Array.from(x, (v, d) => (v - mean[d]) / std[d]));
    // σ_max(X)² by power iteration on XᵀX (with the constant column for the bias).
    let v = new Float64Array(D + 1).fill(1 / Math.sqrt(D + 1));
    let sigma2 = 1;
    for (let it = 0; it < 30; it++) {
      const u = new Float64Array(D + 1);
      for (const x of X) {
        let xv = v[D];
        for (let d = 0; d < D; d++) xv += x[d] * v[d];
        for (let d = 0; d < D; d++) u[d] += x[d] * xv;
        u[D] += xv;
      }
      sigma2 = Math.sqrt(u.reduce((s, a) => s + a * a, 0));
      v = u.map((a) => a / (sigma2 || 1));
    }
    const step = 1 / (0.25 * sigma2 / N + lambda);
    const weights: Float64Array[] = [];
    const bias = new Float64Array(NUM_FINDINGS);
    const loss = new Float64Array(NUM_FINDINGS);
    for (let k = 0; k < NUM_FINDINGS; k++) {
      const rows = labels.map((_, i) => i).filter((i) => labels[i][k] <= 1);
      const n = rows.length || 1;
      // Nesterov: y = w + (t−1)/(t+2)·(w − w_prev), w_next = y − step·∇f(y).
      let w = new Float64Array(D + 1), prev = new Float64Array(D + 1);
      const objective = (p: Float64Array, grad: Float64Array | null): number => {
        grad?.fill(0);
        let f = 0;
        for (const i of rows) {
          const x = X[i];
          let z = p[D];
          for (let d = 0; d < D; d++) z += p[d] * x[d];
          const y = labels[i][k];
          f += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
          if (grad) {
            const g = 1 / (1 + Math.exp(-z)) - y;
            for (let d = 0; d < D; d++) grad[d] += g * x[d];
            grad[D] += g;
          }
        }
        let pen = 0;
        for (let d = 0; d < D; d++) pen += p[d] * p[d];
        if (grad) {
          for (let d = 0; d <= D; d++) grad[d] /= n;
          for (let d = 0; d < D; d++) grad[d] += lambda * p[d];
        }
        return f / n + (lambda / 2) * pen;
      };
      const g = new Float64Array(D + 1);
      for (let t = 0; t < iters; t++) {
        const mom = t / (t + 3);
        const y = w.map((a, d) => a + mom * (a - prev[d]));
        objective(y, g);
        prev = w;
        w = y.map((a, d) => a - step * g[d]);
      }
      loss[k] = objective(w, null);
      weights.push(w.slice(0, D));
      bias[k] = w[D];
    }
    return new LinearProbe(D, mean, std, weights, bias, loss);
  }

  /** Logits [N][18]. */
  predict(features: readonly Float32Array[]): Float32Array[] {
    return features.map((x) => {
      if (x.length !== this.dim) throw new BiudError(`linear probe: a feature row of ${x.length}, fitted on ${this.dim}`);
      return Float32Array.from(this.weights, (w, k) => {
        let z = this.bias[k];
        for (let d = 0; d < this.dim; d++) z += w[d] * ((x[d] - this.mean[d]) / this.std[d]);
        return z;
      });
    });
  }
}

/** Frozen encoder → linear probe on `train`, AUC on `test`. */
export async function linearProbe(engine: Engine, encoder: VisionEncoder, data: BiudData, cfg: BiudConfig, train: CtItem[], test: CtItem[], opts: LinearProbeOptions & { which?: FeatureKind } = {}): Promise<ProbeResult & { probe: LinearProbe }> {
  const xTrain = await encodeFeatures(engine, encoder, data, cfg, train, opts);
  const xTest = await encodeFeatures(engine, encoder, data, cfg, test, opts);
  const probe = LinearProbe.fit(xTrain, train.map((it) => it.labels), opts);
  return { ...scoreAuc(probe.predict(xTest), test.map((it) => it.labels)), probe };
}

// ------------------------------------------------------------------ fine-tuning (GPU)

export interface FineTuneOptions {
  steps: number;
  batch?: number;
  /** Head learning rate (default 1e-3); the encoder's is `lr · encoderLrScale` (default 0.1). */
  lr?: number;
  encoderLrScale?: number;
  weightDecay?: number;
  logEvery?: number;
  onProgress?: (p: { step: number; steps: number; loss: number }) => void;
}

/** Labels [B][18] → int32 [B·18]: 0/1, missing → −100 (ignored). */
function labelIds(items: CtItem[]): Int32Array {
  const out = new Int32Array(items.length * NUM_FINDINGS);
  items.forEach((it, b) => {
    for (let k = 0; k < NUM_FINDINGS; k++) out[b * NUM_FINDINGS + k] = it.labels[k] <= 1 ? it.labels[k] : -100;
  });
  return out;
}

/** A trainable copy of a CT encoder with a classification head. */
export class FineTuner {
  readonly encStore: ParamStore;
  readonly headStore: ParamStore;
  readonly encoder: VisionEncoder;
  readonly head: Linear;
  private encOpt: AdamW | null = null;
  private headOpt: AdamW | null = null;

  private constructor(readonly engine: Engine, readonly cfg: BiudConfig) {
    this.encStore = new ParamStore(engine, cfg.seed);
    this.encoder = new VisionEncoder(this.encStore, 'ct_encoder', cfg.ct, cfg.embedDim);
    this.encStore.finalize();
    this.headStore = new ParamStore(engine, cfg.seed + 1);
    this.head = new Linear(this.headStore, 'classifier', cfg.ct.width, 2 * NUM_FINDINGS);
    this.headStore.finalize();
  }

  /** Copy the weights of `source` (an encoder built with `sourceStore`, e.g. BIUD's `ct_encoder`). */
  static async from(engine: Engine, cfg: BiudConfig, sourceStore: ParamStore, prefix = 'ct_encoder.'): Promise<FineTuner> {
    const t = new FineTuner(engine, cfg);
    const values = await sourceStore.read();
    for (const name of t.encStore.names) {
      const v = values.get(prefix + name.slice('ct_encoder.'.length));
      const p = t.encStore.get(name);
      if (!v) throw new BiudError(`fine-tuning: the source has no ${prefix}${name.slice('ct_encoder.'.length)}`);
      if (v.data.length !== p.size) throw new BiudError(`fine-tuning: ${name} has ${v.data.length} values in the source, ${p.size} here`);
      engine.write(p, v.data);
    }
    return t;
  }

  /** Logits [B, 18, 2] of volumes. */
  logits(volumes: Tensor): Tensor {
    const B = volumes.shape[0];
    return this.head.forward(this.encoder.forward(volumes).cls).reshape([B, NUM_FINDINGS, 2]);
  }

  /**
   * Train on `items` (a few labelled volumes, rendered once and kept on the GPU), in shuffled
   * batches. Returns the logged mean losses.
   */
  async train(data: BiudData, items: CtItem[], o: FineTuneOptions): Promise<{ step: number; loss: number }[]> {
    const e = this.engine;
    const N = items.length;
    const B = Math.min(o.batch ?? this.cfg.train.batch, N);
    const lr = o.lr ?? 1e-3;
    const scale = o.encoderLrScale ?? 0.1;
    const wd = o.weightDecay ?? 0.01;
    this.encOpt ??= new AdamW(this.encStore, { lr: lr * scale, weightDecay: wd, maxGradNorm: 1 });
    this.headOpt ??= new AdamW(this.headStore, { lr, weightDecay: wd, maxGradNorm: 1 });
    const volumes = e.keep(e.scope(() => data.renderCt(e, items, this.cfg, { once: true }).reshape([N, -1])));
    const vshape = [1, ...this.cfg.ct.size];
    const labels = labelIds(items);
    const log: { step: number; loss: number }[] = [];
    const every = o.logEvery ?? 10;
    let pending: Tensor[] = [];
    // A fixed permutation per epoch from a seed, so runs repeat.
    let order: number[] = [];
    const rng = mulberry32(this.cfg.seed * 7919 + 17);
    try {
      for (let s = 0; s < o.steps; s++) {
        const rows: number[] = [];
        while (rows.length < B) {
          if (!order.length) order = shuffle(rng, Array.from({ length: N }, (_, i) => i));
          rows.push(order.pop()!);
        }
        const f = warmupCosine(s, { lr: 1, minLr: 0.1, warmup: Math.ceil(o.steps * 0.1), total: o.steps });
        const loss = e.scope(() => {
          this.encStore.zeroGrad();
          this.headStore.zeroGrad();
          const x = ops.embedding(volumes, e.tensor(Int32Array.from(rows), [B], 'int32')).reshape([B, ...vshape]);
          const y = e.tensor(Int32Array.from(rows.flatMap((r) => Array.from(labels.subarray(r * NUM_FINDINGS, (r + 1) * NUM_FINDINGS)))), [B * NUM_FINDINGS], 'int32');
          const l = ops.crossEntropy(this.logits(x).reshape([B * NUM_FINDINGS, 2]), y, -100);
          l.backward();
          this.encOpt!.update(lr * scale * f);
          this.headOpt!.update(lr * f);
          return l;
        });
        e.flush();
        pending.push(loss);
        if (pending.length === every || s === o.steps - 1) {
          const vals = await Promise.all(pending.map((t) => t.item()));
          pending.forEach((t) => t.dispose());
          pending = [];
          const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
          if (!Number.isFinite(mean)) throw new BiudError(`fine-tuning: loss became ${mean} by step ${s + 1}`);
          log.push({ step: s + 1, loss: mean });
          o.onProgress?.({ step: s + 1, steps: o.steps, loss: mean });
        }
      }
    } finally {
      pending.forEach((t) => t.dispose());
      volumes.dispose();
    }
    return log;
  }

  /** Per volume, per finding: z₁ − z₀ (the log-odds), read back. */
  async scores(data: BiudData, items: CtItem[], batch = this.cfg.train.batch): Promise<Float32Array[]> {
    const e = this.engine;
    const out: Float32Array[] = [];
    for (let i = 0; i < items.length; i += batch) {
      const part = items.slice(i, i + batch);
      const z = e.noGrad(() => e.scope(() => this.logits(data.renderCt(e, part, this.cfg))));
      const v = (await z.data()) as Float32Array;
      z.dispose();
      for (let r = 0; r < part.length; r++) out.push(Float32Array.from({ length: NUM_FINDINGS }, (_, k) => v[(r * NUM_FINDINGS + k) * 2 + 1] - v[(r * NUM_FINDINGS + k) * 2]));
    }
    return out;
  }

  async evaluate(data: BiudData, items: CtItem[]): Promise<ProbeResult> {
    return scoreAuc(await this.scores(data, items), items.map((it) => it.labels));
  }

  dispose(): void {
    this.engine.flush(); // recorded work may still use the slabs
    this.encOpt?.destroy();
    this.headOpt?.destroy();
    this.encStore.destroy();
    this.headStore.destroy();
  }
}
