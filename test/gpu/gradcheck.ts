// Central-difference gradient checks on the GPU: the op's analytic backward against the slope
// of its own forward. The scalar under test is L = Σ f(x)·r with a fixed random r, so every
// output element's gradient path is exercised.
import type { Engine, Tensor } from '../../engine/index.ts';
import { ops } from '../../engine/index.ts';
import { CheckError, randomArray } from './harness.ts';

export interface GradInput {
  data: Float32Array;
  shape: number[];
  /** false for inputs that take no gradient (indices, masks, targets). */
  grad?: boolean;
}

/**
 * Check d L / d inputs. `f` builds the op from tensors made from `inputs`. Each input element is
 * nudged by ±eps; float32 forward passes limit accuracy, so keep shapes small and tol ~1e-2.
 */
export async function gradCheck(e: Engine, what: string, inputs: GradInput[], f: (xs: Tensor[]) => Tensor, eps = 1e-2, tol = 2e-2): Promise<void> {
  const probe = e.noGrad(() => e.scope(() => f(inputs.map((i) => e.tensor(i.data, i.shape)))));
  const r = randomArray(probe.size, 7, -1, 1);
  const outShape = [...probe.shape];
  probe.dispose();

  const loss = (xs: Tensor[]): Tensor => {
    const y = f(xs);
    const rt = e.tensor(r, outShape);
    return ops.sum(ops.mul(y, rt));
  };

  // Analytic.
  const leaves = inputs.map((i) => {
    const t = e.tensor(i.data, i.shape);
    t.requiresGrad = i.grad !== false;
    return t;
  });
  e.scope(() => loss(leaves).backward());
  const analytic = await Promise.all(leaves.map((t) => (t.grad ? t.grad.data() : Promise.resolve(null))));
  leaves.forEach((t) => t.dispose());

  // Numeric: all nudged copies are recorded first, then read back in one go.
  for (const [k, inp] of inputs.entries()) {
    if (inp.grad === false) continue;
    const a = analytic[k];
    if (!a) throw new CheckError(`${what}: input ${k} got no gradient`);
    const outs: Tensor[] = [];
    e.noGrad(() => {
      for (let j = 0; j < inp.data.length; j++) {
        for (const sgn of [1, -1]) {
          const xs = inputs.map((i, m) => {
            if (m !== k) return e.tensor(i.data, i.shape);
            const d = Float32Array.from(i.data);
            d[j] += sgn * eps;
            return e.tensor(d, i.shape);
          });
          outs.push(e.scope(() => loss(xs)));
          xs.forEach((x) => x.dispose());
        }
      }
    });
    const vals = await Promise.all(outs.map((o) => o.item()));
    outs.forEach((o) => o.dispose());
    for (let j = 0; j < inp.data.length; j++) {
      const num = (vals[2 * j] - vals[2 * j + 1]) / (2 * eps);
      if (!(Math.abs(num - a[j]) <= tol * (1 + Math.abs(num)))) {
        throw new CheckError(`${what}: d/d input${k}[${j}] analytic ${a[j]} vs numeric ${num}`);
      }
    }
  }
}
