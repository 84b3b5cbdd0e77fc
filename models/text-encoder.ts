// A BERT-style text encoder: word and position embeddings, pre-LN transformer blocks (pre-LN
// trains more stably than BERT's post-LN at these small sizes), a final norm, a projection of
// the mean token into the shared space, and a masked-LM head whose output matrix is the word embedding
// (tied), as in BERT: dense → GELU → LayerNorm → ·Eᵀ + bias.
import type { Tensor } from '../engine/tensor.ts';
import type { ParamStore } from '../engine/params.ts';
import * as ops from '../engine/ops/index.ts';
import { Block, LayerNorm, Linear } from './nn.ts';
import type { TextConfig } from './config.ts';

export interface TextBatch {
  /** int32 [B, T] token ids (model vocabulary). */
  ids: Tensor;
  /** int32 [B, T]: 1 for real tokens, 0 for padding (with `layout`: segment ids, one per sentence). */
  mask: Tensor;
  /** The sentence layout (config `text.sentences`; ReportTokenizer.encodeSentences). */
  layout?: {
    /** int32 [B, T]: each token's position within its sentence. */
    positions: Tensor;
    /** [B, T]: pooling weights, 1 / (tokens of the sentence · sentences of the row). */
    pool: Tensor;
  };
}

export interface TextOutput {
  /** [B, embedDim]: the projected mean token. */
  embedding: Tensor;
  /** [B, T, width] after the final norm. */
  hidden: Tensor;
}

export class TextEncoder {
  readonly wordEmbeddings: Tensor;
  readonly positionEmbeddings: Tensor;
  readonly embNorm: LayerNorm;
  readonly blocks: Block[];
  readonly norm: LayerNorm;
  readonly proj: Linear;
  readonly mlmDense: Linear | null;
  readonly mlmNorm: LayerNorm | null;
  readonly mlmBias: Tensor | null;

  constructor(store: ParamStore, readonly name: string, readonly cfg: TextConfig, readonly vocabSize: number, embedDim: number, opts: { mlm?: boolean } = {}) {
    const W = cfg.width;
    this.wordEmbeddings = store.param(`${name}.embeddings.word_embeddings.weight`, [vocabSize, W], { normal: 0.02 }, { decay: false });
    this.positionEmbeddings = store.param(`${name}.embeddings.position_embeddings.weight`, [cfg.maxLen, W], { normal: 0.02 }, { decay: false });
    this.embNorm = new LayerNorm(store, `${name}.embeddings.LayerNorm`, W, 1e-12);
    this.blocks = Array.from({ length: cfg.depth }, (_, i) => new Block(store, `${name}.blocks.${i}`, W, cfg.heads, cfg.mlpRatio));
    this.norm = new LayerNorm(store, `${name}.norm`, W);
    this.proj = new Linear(store, `${name}.proj`, W, embedDim);
    const mlm = opts.mlm ?? false;
    this.mlmDense = mlm ? new Linear(store, `${name}.mlm.dense`, W, W) : null;
    this.mlmNorm = mlm ? new LayerNorm(store, `${name}.mlm.LayerNorm`, W, 1e-12) : null;
    this.mlmBias = mlm ? store.param(`${name}.mlm.bias`, [vocabSize], 'zeros', { decay: false }) : null;
  }

  forward(batch: TextBatch): TextOutput {
    const T = batch.ids.shape[1];
    const lay = batch.layout;
    const pos = lay ? ops.embedding(this.positionEmbeddings, lay.positions) : T === this.cfg.maxLen ? this.positionEmbeddings : ops.slice(this.positionEmbeddings, 0, 0, T);
    let h = this.embNorm.forward(ops.add(ops.embedding(this.wordEmbeddings, batch.ids), pos));
    for (const b of this.blocks) h = b.forward(h, { keyMask: batch.mask, segments: !!lay });
    h = this.norm.forward(h);
    // Pooled over all positions, for the same reason as the vision encoder (a [CLS]-only
    // embedding starts out identical for every report). Padding rows count too: through
    // attention (keys masked) they are functions of the real tokens, and short reports' extra
    // weight on them is a constant the projection learns around.
    // In the sentence layout each sentence is encoded on its own and the row's vector is the mean
    // of its sentences' mean tokens, so a report is the average of sentences each encoded as a
    // prompt is: "No pleural effusion." reads the same in a report as alone.
    const pooled = lay ? ops.sum(ops.mul(h, lay.pool.reshape([...lay.pool.shape, 1])), 1) : ops.mean(h, 1);
    return { embedding: this.proj.forward(pooled), hidden: h };
  }

  /**
   * Masked-LM loss at the masked positions only: `positions` int32 [M] index rows of
   * hidden [B·T, W]; `labels` int32 [M] are their original ids. Computing logits for the M
   * masked rows instead of all B·T saves ~85% of the largest matmul.
   */
  mlmLoss(hidden: Tensor, positions: Tensor, labels: Tensor): Tensor {
    if (!this.mlmDense || !this.mlmNorm || !this.mlmBias) throw new Error(`${this.name} was built without an MLM head`);
    const rows = ops.embedding(hidden.reshape([-1, this.cfg.width]), positions);
    const h = this.mlmNorm.forward(ops.gelu(this.mlmDense.forward(rows)));
    const logits = ops.add(ops.matmul(h, this.wordEmbeddings, { transB: true }), this.mlmBias);
    return ops.crossEntropy(logits, labels, -100);
  }

  /** Logits over the vocabulary at the given rows (for showing EFM predictions). */
  mlmLogits(hidden: Tensor, positions: Tensor): Tensor {
    const rows = ops.embedding(hidden.reshape([-1, this.cfg.width]), positions);
    const h = this.mlmNorm!.forward(ops.gelu(this.mlmDense!.forward(rows)));
    return ops.add(ops.matmul(h, this.wordEmbeddings, { transB: true }), this.mlmBias!);
  }
}
