// Embedding lookup with a scatter-add backward: shaders/embedding.wgsl.
import src from '../../shaders/embedding.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { WG } from './elementwise.ts';

const gatherK = new Kernel('embedding.gather', src, 'gather');
const gather4K = new Kernel('embedding.gather4', src, 'gather4');
const scatterK = new Kernel('embedding.scatter_add', src, 'scatter_add');

/** table [V, D], ids int32 [...] → [..., D]. Ids outside [0, V) read as zero rows. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (ids.dtype !== 'int32') throw new BiudError(`embedding: ids must be int32, got ${ids}`);
  if (table.rank !== 2 || table.dtype !== 'float32') throw new BiudError(`embedding: table must be float32 [vocab, dim], got ${table}`);
  const e = table.engine;
  const [V, D] = table.shape;
  const n = ids.size;
  const y = e.empty([...ids.shape, D]);
  const uniforms = { n, dim: D, vocab: V, _pad: 0 };
  if (D % 4 === 0) e.dispatch(gather4K, { bindings: { ids, table4: table, y4: y }, uniforms, workgroups: e.grid1d((n * D) / 4, WG) });
  else e.dispatch(gatherK, { bindings: { ids, table, y }, uniforms, workgroups: e.grid1d(n * D, WG) });
  return record('embedding', [table, ids], y, (gy) => {
    const g = e.zeros([V, D]);
    e.dispatch(scatterK, { bindings: { ids, dy: gy, dtable: g }, uniforms, workgroups: e.grid1d(n * D, WG) });
    return [g, null];
  });
}

/** Reference gather. */
export function embeddingRef(table: ArrayLike<number>, V: number, D: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id >= 0 && id < V) for (let d = 0; d < D; d++) out[n * D + d] = table[id * D + d];
  }
  return out;
}

/** Reference scatter-add: the gradient of the table. */
export function embeddingGradRef(gy: ArrayLike<number>, V: number, D: number, ids: ArrayLike<number>): Float32Array {
  const g = new Float32Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id >= 0 && id < V) for (let d = 0; d < D; d++) g[id * D + d] += gy[n * D + d];
  }
  return g;
}
