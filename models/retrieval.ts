// Language-guided retrieval (the paper's bridge between CT and X-ray): the frozen expert's text
// encoder embeds every CT report and every X-ray report; each CT report is matched to its most
// similar X-ray report by cosine, and that report's X-ray is the CT's distillation target. The
// index keeps the top-k with similarities for inspection.

export interface RetrievalHit {
  /** Index into the X-ray pool. */
  xray: number;
  similarity: number;
}

export interface RetrievalIndex {
  /** Per CT report: the best k X-ray reports, most similar first. */
  topK: RetrievalHit[][];
  /** Per CT report: the X-ray whose expert feature is its target (topK[i][0].xray). */
  target: Int32Array;
}

function normalizeRows(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length / dim; r++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += rows[r * dim + k] ** 2;
    const inv = 1 / Math.sqrt(s + 1e-12);
    for (let k = 0; k < dim; k++) out[r * dim + k] = rows[r * dim + k] * inv;
  }
  return out;
}

/** ct [nCt·dim], xray [nX·dim] report embeddings (rows) → top-k X-ray reports per CT report. */
export function buildRetrieval(ct: Float32Array, xray: Float32Array, dim: number, k: number): RetrievalIndex {
  const a = normalizeRows(ct, dim);
  const b = normalizeRows(xray, dim);
  const nCt = ct.length / dim;
  const nX = xray.length / dim;
  const topK: RetrievalHit[][] = [];
  const target = new Int32Array(nCt);
  const sims = new Float32Array(nX);
  for (let i = 0; i < nCt; i++) {
    for (let j = 0; j < nX; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d] * b[j * dim + d];
      sims[j] = s;
    }
    const order = Array.from(sims.keys()).sort((x, y) => sims[y] - sims[x] || x - y).slice(0, k);
    topK.push(order.map((j) => ({ xray: j, similarity: sims[j] })));
    target[i] = order[0];
  }
  return { topK, target };
}

/**
 * Subtract the mean row of all the given matrices (in place). Text embeddings share a large
 * common direction (at initialisation nearly all of it: every report starts from the same [CLS]),
 * which makes every cosine close to 1 and a fixed threshold meaningless; centred cosines measure
 * how two reports differ from the typical one ("all-but-the-top", Mu & Viswanath 2018).
 */
export function centerRows(mats: Float32Array[], dim: number): void {
  const mean = new Float64Array(dim);
  let n = 0;
  for (const m of mats) {
    for (let r = 0; r < m.length / dim; r++) for (let d = 0; d < dim; d++) mean[d] += m[r * dim + d];
    n += m.length / dim;
  }
  for (let d = 0; d < dim; d++) mean[d] /= Math.max(1, n);
  for (const m of mats) for (let r = 0; r < m.length / dim; r++) for (let d = 0; d < dim; d++) m[r * dim + d] -= mean[d];
}

/** Cosine similarity between rows i and j of a row-major matrix. */
export function cosineRows(m: Float32Array, dim: number, i: number, j: number): number {
  let s = 0, a = 0, b = 0;
  for (let d = 0; d < dim; d++) {
    const x = m[i * dim + d], y = m[j * dim + d];
    s += x * y;
    a += x * x;
    b += y * y;
  }
  return s / Math.sqrt(a * b + 1e-24);
}
