// Rows made once on the GPU (rendered volumes, X-rays, preprocessed real CTs) and gathered into
// each step's batch, kept in as few buffers as the adapter's limits allow.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { embedding } from '../../engine/ops/embedding.ts';
import { concat } from '../../engine/ops/shape.ts';

/**
 * Rows [n, width] rendered once and kept on the GPU until the grid or the engine changes. The rows
 * live in as few buffers as the adapter allows: one while they fit in 15/16 of its largest storage
 * buffer (SwiftShader reports maxBufferSize = 1 GiB yet refuses a buffer of exactly 1 GiB; 960
 * `tiny` volumes, 960 MiB, fit), else blocks of that many rows, so that a pool can outgrow one
 * buffer (`--patients 1920` is two of 960).
 */
export class RenderedRows {
  private blocks: Tensor[] = [];
  private perBlock = 0;
  private key = '';

  /** `cap`: at most this many rows per buffer (tests use a few, to split a small pool). */
  constructor(private readonly cap = Infinity) {}

  /** Whether the rows for `key` are already rendered on this engine. */
  holds(e: Engine, key: string): boolean {
    return this.blocks.length > 0 && this.key === key && this.blocks[0].engine === e;
  }

  /** Rows that fit one buffer on this engine. */
  static perBuffer(e: Engine, width: number): number {
    const limit = Math.min(e.limits.maxBufferSize, e.limits.maxStorageBufferBindingSize);
    return Math.max(1, Math.floor((limit / 16) * 15 / (width * 4)));
  }

  /** Rows `ids` (numbers in [0, n)), as [ids.length, width], rendering the rows first if needed. */
  gather(e: Engine, ids: readonly number[], key: string, n: number, width: number, chunk: number, render: (from: number, to: number) => Tensor): Tensor {
    this.ensure(e, key, n, width, chunk, render);
    if (this.blocks.length === 1) return embedding(this.blocks[0], e.tensor(ids, [ids.length], 'int32'));
    // Several blocks: gather each block's rows, join them, then put them back in the batch's order.
    const parts: Tensor[] = [];
    const place = new Array<number>(ids.length);
    let at = 0;
    this.blocks.forEach((rows, b) => {
      const mine = ids.map((id, i) => [id, i]).filter(([id]) => Math.floor(id / this.perBlock) === b);
      if (!mine.length) return;
      for (const [, i] of mine) place[i] = at++;
      parts.push(embedding(rows, e.tensor(mine.map(([id]) => id - b * this.perBlock), [mine.length], 'int32')));
    });
    // Rows of one buffer keep the batch's order already (the filter above keeps it).
    if (parts.length === 1) return parts[0];
    return embedding(concat(parts, 0), e.tensor(place, [ids.length], 'int32'));
  }

  private ensure(e: Engine, key: string, n: number, width: number, chunk: number, render: (from: number, to: number) => Tensor): void {
    if (this.holds(e, key)) return;
    // A new engine (after a lost device) cannot use the old one's buffers: render again.
    for (const rows of this.blocks) if (rows.engine === e && !rows.isDisposed) rows.dispose();
    this.blocks = [];
    this.perBlock = Math.min(this.cap, RenderedRows.perBuffer(e, width));
    for (let b0 = 0; b0 < n; b0 += this.perBlock) {
      const rowsHere = Math.min(this.perBlock, n - b0);
      const rows = e.keep(e.empty([rowsHere, width]));
      this.blocks.push(rows);
      for (let i = 0; i < rowsHere; i += chunk) {
        const to = Math.min(rowsHere, i + chunk);
        e.scope(() => e.copy(render(b0 + i, b0 + to).reshape([(to - i) * width]), rows, i * width));
        e.flush();
      }
    }
    this.key = key;
  }

  dispose(): void {
    for (const rows of this.blocks) if (!rows.isDisposed) rows.dispose();
    this.blocks = [];
  }
}
