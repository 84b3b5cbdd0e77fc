// Reverse-mode autodiff on a tape. An op that takes a tensor needing a gradient records a node
// on its output: the inputs, and a closure that maps the output's gradient to the inputs'.
// `backward(loss)` walks the nodes in reverse topological order.
import type { Tensor } from './tensor.ts';
import { BiudError } from './errors.ts';
import { add, addInto, fill } from './ops/elementwise.ts';

export interface TapeNode {
  op: string;
  inputs: readonly Tensor[];
  /** Output gradient → one gradient per input (null where an input needs none). */
  backward: (gy: Tensor) => readonly (Tensor | null)[];
  /** Tensors the op made for its backward alone (statistics): freed after it runs, or with the output. */
  saved?: readonly Tensor[];
}

/**
 * Attach `backward` to `output` if gradients are being recorded and any input needs one.
 * Returns `output`, so an op can end with `return record(...)`. `saved`: tensors made only for
 * the backward; disposed at once when nothing is recorded, else after the backward runs or when
 * the output is disposed first.
 */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, backward: TapeNode['backward'], saved: readonly Tensor[] = []): Tensor {
  if (!output.engine.gradEnabled || !inputs.some((t) => t.requiresGrad)) {
    for (const t of saved) t.dispose();
    return output;
  }
  output.requiresGrad = true;
  output.node = { op, inputs, backward, saved };
  return output;
}

/** Whether an op needs to save anything for backward. */
export function needsGrad(...inputs: Tensor[]): boolean {
  return inputs[0].engine.gradEnabled && inputs.some((t) => t.requiresGrad);
}

/**
 * Accumulate d(root)/d(leaf) into every leaf's `.grad`. `seed` defaults to 1 for a scalar root.
 * Gradients add up across calls until the caller zeroes them (gradient accumulation).
 */
export function backward(root: Tensor, seed?: Tensor): void {
  const e = root.engine;
  if (!root.requiresGrad) throw new BiudError(`backward(): ${root} does not depend on any tensor that requires a gradient`);
  if (!seed && root.size !== 1) throw new BiudError(`backward(): ${root} is not a scalar; pass the gradient of its output`);
  if (seed && seed.size !== root.size) throw new BiudError(`backward(): seed has ${seed.size} elements, ${root} has ${root.size}`);

  // Reverse topological order of the nodes that lead to the root.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i === 0 && seen.has(t)) { stack.pop(); continue; }
    seen.add(t);
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) stack.push([c, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }

  e.noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, seed ?? fill(e, root.shape, 1));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const gy = grads.get(t);
      if (!gy) continue;
      grads.delete(t);
      if (!t.node) {
        accumulateLeaf(t, gy);
        continue;
      }
      const gs = t.node.backward(gy);
      t.node.inputs.forEach((x, i) => {
        const g = gs[i];
        if (!g || !x.requiresGrad) {
          if (g && g !== gy) g.dispose();
          return;
        }
        if (g.size !== x.size) throw new BiudError(`backward of ${t.node!.op}: gradient for input ${i} has ${g.size} elements, the input ${x.size}`);
        const prev = grads.get(x);
        if (prev) {
          grads.set(x, add(prev, g));
          prev.dispose();
          g.dispose();
        } else grads.set(x, g.shape.length === x.shape.length && g.shape.every((d, j) => d === x.shape[j]) ? g : g.reshape(x.shape));
      });
      if (gy !== seed) gy.dispose();
      for (const st of t.node.saved ?? []) st.dispose();
      t.node = null;
    }
  });
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  const e = t.engine;
  if (!t.grad) {
    t.grad = e.keep(g.shape.length === t.shape.length ? g : g.reshape(t.shape));
    return;
  }
  addInto(t.grad, g);
  g.dispose();
}
