// What training needs from the data side, as one interface: CT items (a volume from a seed,
// its 18 labels, a real report with exactly those findings), the X-ray pool (DRRs paired with
// real IU reports), and GPU renderers for both. models/train/cohort-data.ts implements it over
// the procedural cohort; a folder of real volumes could implement it too.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { BiudConfig } from '../config.ts';

export interface CtItem {
  /** Renders the volume (procedural) or names it (real data). */
  volumeSeed: number;
  labels: Uint8Array;
  /** Index into `ctReports`. */
  report: number;
}

export interface XrayItem {
  imageSeed: number;
  /** 18 labels (findings an X-ray cannot show are 0). */
  labels: Uint8Array;
  /** Index into `xrayReports`. */
  report: number;
}

export interface Report {
  text: string;
  labels: Uint8Array;
  /** Where it came from (an accession number, an IU id). */
  source: string;
}

export interface BiudData {
  /** Reports the training items draw from (the held-out ones are never among them). */
  readonly ctReports: Report[];
  readonly heldoutReports: Report[];
  readonly xrayReports: Report[];
  /** The X-ray pool (fixed): the expert trains on it and retrieval points into it. */
  readonly xrayPool: XrayItem[];
  /** Training items of one step: a pure function of (seed, step), so a resumed run sees the same data. */
  trainBatch(step: number, batch: number): CtItem[];
  /** The held-out cohort (reports from heldoutReports; `report` indexes that list). */
  heldout(n: number): CtItem[];
  /**
   * [B, 1, D, H, W] windowed volumes for the config's CT size and spacing. `once`: the caller
   * renders these items a single time (a probe's labelled set), so a training pool that is not
   * rendered yet is not built for them; the same patients are rendered directly.
   */
  renderCt(engine: Engine, items: CtItem[], cfg: BiudConfig, opts?: { once?: boolean }): Tensor;
  /** [B, 1, H, W] radiographs for the expert's input size. */
  renderXray(engine: Engine, items: XrayItem[], cfg: BiudConfig): Tensor;
}
