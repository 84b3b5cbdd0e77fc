// How each fixture op (metadata "op") maps onto the engine. Attributes are read with defaults so
// that fixtures with other attributes (strides per axis, another eps, padding) run unchanged.
import type { GoldenOp, GoldenContext } from './runner.ts';
import { BiudError } from '../errors.ts';
import { ParamStore } from '../params.ts';
import { AdamW } from '../optim/adamw.ts';
import * as ops from '../ops/index.ts';

const num = (c: GoldenContext, k: string, d?: number): number => {
  const v = c.attrs[k] ?? d;
  if (typeof v !== 'number') throw new BiudError(`${c.fixture.file}: attribute "${k}" must be a number, got ${JSON.stringify(v)}`);
  return v;
};
/** A number or a per-axis list. */
const axes = (c: GoldenContext, k: string, d?: number): number | number[] => {
  const v = c.attrs[k] ?? d;
  if (typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) return v as number | number[];
  throw new BiudError(`${c.fixture.file}: attribute "${k}" must be a number or a list of numbers, got ${JSON.stringify(v)}`);
};
const optional = (c: GoldenContext, name: string) => (c.fixture.inputs.includes(name) ? c.input(name) : null);

export const GOLDEN_OPS: Record<string, GoldenOp> = {
  matmul: { run: (c) => ops.matmul(c.arg(0, 'a'), c.arg(1, 'b')) },

  conv3d: { run: (c) => ops.conv3d(c.arg(0, 'x'), c.arg(1, 'w'), c.inputs[2] ?? null, { stride: axes(c, 'stride', 1), padding: axes(c, 'padding', 0) }) },
  conv2d: { run: (c) => ops.conv2d(c.arg(0, 'x'), c.arg(1, 'w'), c.inputs[2] ?? null, { stride: axes(c, 'stride', 1), padding: axes(c, 'padding', 0) }) },

  avg_pool3d: { run: (c) => ops.avgPool3d(c.arg(0, 'x'), { kernel: axes(c, 'kernel'), stride: c.attrs.stride === undefined ? undefined : axes(c, 'stride'), padding: axes(c, 'padding', 0) }) },
  max_pool3d: { run: (c) => ops.maxPool3d(c.arg(0, 'x'), { kernel: axes(c, 'kernel'), stride: c.attrs.stride === undefined ? undefined : axes(c, 'stride'), padding: axes(c, 'padding', 0) }) },

  attention: {
    run: (c) => ops.attention(c.input('q'), c.input('k'), c.input('v'), {
      // PyTorch's causal mask is aligned top-left (query i sees keys j ≤ i); the engine's default,
      // bottom-right, differs from it when the query and key lengths differ.
      causal: c.attrs.causal ? 'top-left' : false,
      keyMask: optional(c, 'key_mask'),
      scale: c.attrs.scale === undefined ? undefined : num(c, 'scale'),
    }),
  },

  layernorm: {
    run: (c) => {
      // Without gamma and beta (PyTorch's elementwise_affine=False) the affine map is the identity.
      const x = c.arg(0, 'x');
      const C = x.shape[x.rank - 1];
      const [gamma, beta] = [c.inputs[1] ?? c.engine.tensor(new Float32Array(C).fill(1), [C]), c.inputs[2] ?? c.engine.zeros([C])];
      return ops.layerNorm(x, gamma, beta, num(c, 'eps', 1e-5));
    },
  },
  gelu: {
    run: (c) => {
      const a = c.attrs.approximate ?? 'none';
      if (a !== 'none' && a !== 'tanh') throw new BiudError(`${c.fixture.file}: gelu approximate "${a}" is not "none" or "tanh"`);
      return ops.gelu(c.arg(0, 'x'), a);
    },
  },
  softmax: { run: (c) => ops.softmax(c.arg(0, 'x'), num(c, 'dim', -1)) },
  log_softmax: { run: (c) => ops.logSoftmax(c.arg(0, 'x'), num(c, 'dim', -1)) },

  contrastive: { run: (c) => ops.contrastiveLoss(c.input('img'), c.input('txt'), optional(c, 'targets'), num(c, 'temperature', 0.07)) },
  mlm_cross_entropy: { run: (c) => ops.crossEntropy(c.input('logits'), c.input('labels'), num(c, 'ignore_index', -100)) },

  adamw: {
    noBackward: true,
    run: (c) => {
      // `param` after `steps` updates with grads[0..steps-1], PyTorch's AdamW.
      const e = c.engine;
      const p0 = c.values('param');
      const shape = c.fixture.tensors.get('param')!.shape;
      const grads = c.values('grads');
      const steps = num(c, 'steps');
      if (grads.length !== steps * p0.length) throw new BiudError(`${c.fixture.file}: grads hold ${grads.length} values, expected steps × |param| = ${steps * p0.length}`);
      const store = new ParamStore(e);
      const p = store.param('param', shape, p0);
      store.finalize();
      const opt = new AdamW(store, {
        lr: num(c, 'lr'), beta1: num(c, 'beta1', 0.9), beta2: num(c, 'beta2', 0.999), eps: num(c, 'eps', 1e-8), weightDecay: num(c, 'weight_decay', 0.01),
      });
      for (let s = 0; s < steps; s++) {
        e.write(p.grad!, grads.subarray(s * p0.length, (s + 1) * p0.length));
        opt.update();
      }
      const out = ops.copy(p);
      opt.destroy();
      store.destroy();
      return out;
    },
  },
};
