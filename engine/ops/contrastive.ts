// Contrastive (InfoNCE) loss with soft targets, fused: shaders/contrastive.wgsl (the maths is
// there). Forward: 2 dispatches (logits with the row norms; every log-sum-exp and the loss).
// Backward: 3 (dL/dlogits; the two matmuls back to the normalised rows; through the
// normalisation, with dL/dτ). Nothing is read back.
import src from '../../shaders/contrastive.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';

const K = {
  logits: new Kernel('contrastive.logits', src, 'logits'),
  loss: new Kernel('contrastive.loss', src, 'loss'),
  gradLogits: new Kernel('contrastive.grad_logits', src, 'grad_logits'),
  gradRows: new Kernel('contrastive.grad_rows', src, 'grad_rows'),
  gradInputs: new Kernel('contrastive.grad_inputs', src, 'grad_inputs'),
};
const WG = 64;

/**
 * Rows of img and txt [n, d] are L2-normalised; logits = img·txtᵀ / temperature;
 * loss = ½ (mean_i −Σ_j T_ij log softmax_j(logits_i) + mean_j −Σ_i T_ij log softmax_i(logits_·j)).
 * targets [n, n] (no gradient) or null for the identity. temperature: a number, or a [1] tensor
 * (learnable; receives a gradient).
 */
export function contrastiveLoss(img: Tensor, txt: Tensor, targets: Tensor | null, temperature: number | Tensor): Tensor {
  for (const [name, t] of [['img', img], ['txt', txt]] as const) {
    if (t.dtype !== 'float32' || t.rank !== 2) throw new BiudError(`contrastiveLoss: ${name} must be float32 [n, d], got ${t}`);
  }
  if (img.shape[0] !== txt.shape[0] || img.shape[1] !== txt.shape[1]) {
    throw new BiudError(`contrastiveLoss: img [${img.shape}] and txt [${txt.shape}] must have the same shape [n, d] (pairs by row)`);
  }
  const [n, d] = img.shape;
  if (n === 0 || d === 0) throw new BiudError(`contrastiveLoss: img and txt [${img.shape}] are empty`);
  if (targets && (targets.dtype !== 'float32' || targets.rank !== 2 || targets.shape[0] !== n || targets.shape[1] !== n)) {
    throw new BiudError(`contrastiveLoss: targets must be float32 [${n}, ${n}] for a batch of ${n}, got ${targets}`);
  }
  const tauTensor = typeof temperature === 'number' ? null : temperature;
  if (tauTensor) {
    if (tauTensor.dtype !== 'float32' || tauTensor.size !== 1) throw new BiudError(`contrastiveLoss: a temperature tensor must hold one float32, got ${tauTensor}`);
  } else if (!(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) {
    throw new BiudError(`contrastiveLoss: temperature must be a positive finite number or a [1] tensor, got ${temperature}`);
  }
  const e = img.engine;
  const constants = { TAU_BUF: tauTensor ? 1 : 0, HAS_T: targets ? 1 : 0 };
  const uniforms = { n, d, inv_tau: tauTensor ? 0 : 1 / (temperature as number) };
  // Unused read-only bindings (no τ tensor, identity targets) are bound to img: never read.
  const temp = tauTensor ?? img;
  const T = targets ?? img;
  const nb = Math.ceil(n / 4);

  const S = e.empty([n, n]);
  const stats = e.empty([6, n]);
  const loss = e.empty([]);
  e.dispatch(K.logits, { bindings: { img, txt, temp, out: S, stats_out: stats }, uniforms, constants, workgroups: e.grid1d(nb * nb, WG) });
  e.dispatch(K.loss, { bindings: { targets: T, S, out: loss, stats_out: stats }, uniforms, constants, workgroups: [1] });

  const inputs = tauTensor ? [img, txt, tauTensor] : [img, txt];
  return record('contrastiveLoss', inputs, loss, (gy) => {
    const G = e.empty([n * n + n]);
    const dimg = e.empty([n, d]);
    const dtxt = e.empty([n, d]);
    const dtau = e.empty([1]);
    e.dispatch(K.gradLogits, { bindings: { targets: T, S, stats, gy, out: G }, uniforms, constants, workgroups: e.grid1d(n, WG) });
    e.dispatch(K.gradRows, { bindings: { img, txt, temp, stats, G, out: dimg, dtxt }, uniforms, constants, workgroups: e.grid1d(2 * nb * Math.ceil(d / 4), WG) });
    e.dispatch(K.gradInputs, { bindings: { img, txt, temp, stats, G, out: dimg, dtxt, dtau }, uniforms, constants, workgroups: e.grid1d(2 * n, WG) });
    G.dispose();
    const keep = (t: Tensor, x: Tensor) => {
      if (x.requiresGrad) return t;
      t.dispose();
      return null;
    };
    const grads = [keep(dimg, img), keep(dtxt, txt)];
    if (tauTensor) grads.push(keep(dtau, tauTensor));
    else dtau.dispose();
    return grads;
  }, [S, stats]);
}

// ------------------------------------------------------------------ CPU reference (double)

export interface ContrastiveRef {
  loss: number;
  /** n×n logits â_i·b̂_j/τ, row-major. */
  logits: Float64Array;
  dImg: Float64Array;
  dTxt: Float64Array;
  dTemp: number;
}

/**
 * The loss and its gradients for upstream gradient `g`, in double precision, written the way
 * PyTorch computes it: normalise, logits, log_softmax of logits and of logitsᵀ, Σ T·log p.
 */
export function contrastiveLossRef(img: ArrayLike<number>, txt: ArrayLike<number>, n: number, d: number, targets: ArrayLike<number> | null, temperature: number, g = 1): ContrastiveRef {
  const T = (i: number, j: number) => (targets ? targets[i * n + j] : i === j ? 1 : 0);
  const norm = (x: ArrayLike<number>) => {
    const r = new Float64Array(n);
    const xh = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
      r[i] = 1 / Math.max(Math.sqrt(s), 1e-12);
      for (let k = 0; k < d; k++) xh[i * d + k] = x[i * d + k] * r[i];
    }
    return { r, xh };
  };
  const A = norm(img);
  const B = norm(txt);
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += A.xh[i * d + k] * B.xh[j * d + k];
      S[i * n + j] = s / temperature;
    }
  }
  // log_softmax along rows (dir 0) and along columns (dir 1).
  const lse = (dir: 0 | 1) =>
    Float64Array.from({ length: n }, (_, a) => {
      const at = (b: number) => (dir === 0 ? S[a * n + b] : S[b * n + a]);
      let m = -Infinity;
      for (let b = 0; b < n; b++) m = Math.max(m, at(b));
      let s = 0;
      for (let b = 0; b < n; b++) s += Math.exp(at(b) - m);
      return m + Math.log(s);
    });
  const lseR = lse(0);
  const lseC = lse(1);
  let rowTerm = 0;
  let colTerm = 0;
  const rowT = new Float64Array(n);
  const colT = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      rowTerm += T(i, j) * (lseR[i] - S[i * n + j]);
      colTerm += T(i, j) * (lseC[j] - S[i * n + j]);
      rowT[i] += T(i, j);
      colT[j] += T(i, j);
    }
  }
  const loss = 0.5 * (rowTerm / n + colTerm / n);

  const G = new Float64Array(n * n);
  let dTemp = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const s = S[i * n + j];
      G[i * n + j] = (g / (2 * n)) * (rowT[i] * Math.exp(s - lseR[i]) + colT[j] * Math.exp(s - lseC[j]) - 2 * T(i, j));
      dTemp -= (G[i * n + j] * s) / temperature;
    }
  }
  // Through S = â·b̂ᵀ/τ, then through the normalisations.
  const back = (X: { r: Float64Array; xh: Float64Array }, Y: { xh: Float64Array }, transpose: boolean) => {
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const gh = new Float64Array(d);
      for (let j = 0; j < n; j++) {
        const gij = transpose ? G[j * n + i] : G[i * n + j];
        for (let k = 0; k < d; k++) gh[k] += (gij * Y.xh[j * d + k]) / temperature;
      }
      let dot = 0;
      for (let k = 0; k < d; k++) dot += X.xh[i * d + k] * gh[k];
      for (let k = 0; k < d; k++) out[i * d + k] = X.r[i] * (gh[k] - X.xh[i * d + k] * dot);
    }
    return out;
  };
  return { loss, logits: S, dImg: back(A, B, false), dTxt: back(B, A, true), dTemp };
}
