// BIUD: a 3-D CT encoder and a report encoder trained with
//   L = L_RoCo + λ_efm·L_EFM + λ_pair·L_pair + λ_rel·L_rel   (DESIGN.md §2)
// where the two distillation terms pull the CT encoder toward the frozen X-ray expert's feature of
// the X-ray retrieved for each CT's report. One call of `losses()` records a whole step's forward;
// nothing is read back.
import type { Engine } from '../engine/engine.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ParamStore } from '../engine/params.ts';
import * as ops from '../engine/ops/index.ts';
import { VisionEncoder } from './vision-encoder.ts';
import { TextEncoder, type TextBatch } from './text-encoder.ts';
import { Linear } from './nn.ts';
import { Temperature, rocoLoss, queueContrastLoss, pairLoss, relationLoss, sentenceLoss, findingLoss, distillFactor, type SentenceTargetTensors, type ContrastQueue } from './losses.ts';
import type { BiudConfig } from './config.ts';
import { NUM_FINDINGS } from './text/index.ts';

/** Everything one training step needs, already on the GPU. */
export interface StepInputs {
  /** [B, 1, D, H, W] windowed CT volumes. */
  volumes: Tensor;
  /** int32 [B, T] report ids and padding mask (segment ids in the sentence layout). */
  ids: Tensor;
  mask: Tensor;
  /** The sentence layout's positions and pooling weights (config `text.sentences`). */
  layout?: TextBatch['layout'];
  /** RoCo targets [B, B] = rownorm(I + F); null = identity (plain CLIP). */
  targets: Tensor | null;
  /** EFM: the masked report ids [B, T], the flat positions [M] of masked tokens and their labels [M]. */
  maskedIds?: Tensor;
  mlmPositions?: Tensor;
  mlmLabels?: Tensor;
  /** Distillation: int32 [B] rows of the expert feature table (the retrieved X-rays). */
  xrayRows?: Tensor;
  /** L_sent (config `loss.sentences`): the batch's finding sentences [S, Ts] and their targets. */
  sentences?: SentenceTargetTensors & { ids: Tensor; mask: Tensor };
  /** L_find (config `loss.findings`): int32 [B·18], the findings the labeler read in each CT's report. */
  findingLabels?: Tensor;
  /** L_RoCo's queue of earlier pairs (config `loss.queue`); its targets replace `targets`. */
  queue?: ContrastQueue;
}

export interface LossSwitches {
  roco: boolean;
  efm: boolean;
  distill: boolean;
}

/** The loss terms of a step: scalars on the GPU. Absent terms are null. */
export interface StepLosses {
  total: Tensor;
  roco: Tensor;
  efm: Tensor | null;
  pair: Tensor | null;
  rel: Tensor | null;
  sent: Tensor | null;
  find: Tensor | null;
  findText: Tensor | null;
  /** With a queue: this batch's normalised CT and report rows [B, d], copied into the queue's next slots. */
  enqueue?: { ct: Tensor; text: Tensor };
}

export const LOSS_TERMS = ['total', 'roco', 'efm', 'pair', 'rel', 'sent', 'find', 'findText'] as const;

export class Biud {
  readonly store: ParamStore;
  readonly ct: VisionEncoder;
  readonly text: TextEncoder;
  readonly distillHead: Linear;
  readonly temperature: Temperature;
  /** L_find's head, two logits per finding (only with config `loss.findings`). */
  readonly findingHead: Linear | null;

  constructor(readonly engine: Engine, readonly cfg: BiudConfig, readonly vocabSize: number, expertDim = cfg.embedDim) {
    this.store = new ParamStore(engine, cfg.seed);
    this.ct = new VisionEncoder(this.store, 'ct_encoder', cfg.ct, cfg.embedDim);
    this.text = new TextEncoder(this.store, 'text_encoder', cfg.text, vocabSize, cfg.embedDim, { mlm: true });
    // A separate head maps the CT [CLS] into the expert's feature space, so distillation does
    // not force the CT–report space to equal the X-ray expert's.
    this.distillHead = new Linear(this.store, 'distill_head', cfg.ct.width, expertDim);
    this.temperature = new Temperature(this.store, 'logit_scale', cfg.loss.temperature);
    // Made last, so that every other parameter starts as it does without it.
    this.findingHead = cfg.loss.findings ? new Linear(this.store, 'finding_head', cfg.embedDim, 2 * NUM_FINDINGS) : null;
    this.store.finalize();
  }

  /**
   * Record a step's forward. `expertFeatures` [Nx, dim] holds the frozen expert's features of
   * the X-ray pool; rows are picked by `inputs.xrayRows`. `step` sets the distillation weights'
   * schedule; the terms are computed (and logged) also while their weight is 0.
   */
  losses(inputs: StepInputs, on: LossSwitches, expertFeatures: Tensor | null, step = Infinity): StepLosses {
    const L = this.cfg.loss;
    const ct = this.ct.forward(inputs.volumes);
    const txt = this.text.forward({ ids: inputs.ids, mask: inputs.mask, layout: inputs.layout });
    const queued = inputs.queue && queueContrastLoss(ct.embedding, txt.embedding, inputs.queue, this.temperature.value());
    const roco = queued ? queued.loss : rocoLoss(ct.embedding, txt.embedding, on.roco ? inputs.targets : null, this.temperature.value());
    const enqueue = queued ? queued.rows : undefined;
    let total = roco;
    let efm: Tensor | null = null;
    if (on.efm && inputs.maskedIds && inputs.mlmPositions && inputs.mlmLabels) {
      const masked = this.text.forward({ ids: inputs.maskedIds, mask: inputs.mask, layout: inputs.layout });
      efm = this.text.mlmLoss(masked.hidden, inputs.mlmPositions, inputs.mlmLabels);
      total = ops.add(total, ops.scale(efm, L.efm));
    }
    let pair: Tensor | null = null;
    let rel: Tensor | null = null;
    if (on.distill && expertFeatures && inputs.xrayRows) {
      const student = this.distillHead.forward(ct.cls);
      const teacher = ops.embedding(expertFeatures, inputs.xrayRows);
      pair = pairLoss(student, teacher);
      rel = relationLoss(student, teacher, L.relTemperature);
      const f = distillFactor(step, L.distillFrom, L.distillRamp);
      if (f > 0) total = ops.add(total, ops.add(ops.scale(pair, f * L.pair), ops.scale(rel, f * L.rel)));
    }
    let sent: Tensor | null = null;
    if (inputs.sentences && L.sentences) {
      const sentences = this.text.forward({ ids: inputs.sentences.ids, mask: inputs.sentences.mask });
      sent = sentenceLoss(ct.embedding, sentences.embedding, inputs.sentences, this.temperature.value());
      total = ops.add(total, ops.scale(sent, L.sentences));
    }
    let find: Tensor | null = null;
    let findText: Tensor | null = null;
    if (this.findingHead && inputs.findingLabels && L.findings) {
      find = findingLoss(ct.embedding, this.findingHead.weight, this.findingHead.bias!, inputs.findingLabels);
      total = ops.add(total, ops.scale(find, L.findings));
      if (L.findingsText) {
        // The report says what the labeler read in it, so its embedding can hold it exactly;
        // the head is shared, so the directions it finds are the CTs' directions too.
        findText = findingLoss(txt.embedding, this.findingHead.weight, this.findingHead.bias!, inputs.findingLabels);
        total = ops.add(total, ops.scale(findText, L.findingsText));
      }
    }
    return { total, roco, efm, pair, rel, sent, find, findText, enqueue };
  }

  /** CT embeddings [B, embedDim] for inference (no gradient). */
  embedCt(volumes: Tensor): Tensor {
    return this.engine.noGrad(() => this.ct.forward(volumes).embedding);
  }

  /** Report / prompt embeddings [B, embedDim] for inference. */
  embedText(batch: TextBatch): Tensor {
    return this.engine.noGrad(() => this.text.forward(batch).embedding);
  }
}
