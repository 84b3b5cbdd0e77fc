// Learning-rate schedules: functions of the step, evaluated on the host each step and passed to
// AdamW.update(lr).

export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of the warm-up. */
  lr: number;
  /** Steps of linear warm-up. */
  warmup: number;
  /** Steps in the whole run; the cosine reaches minLr here. */
  total: number;
  minLr?: number;
}

/**
 * The rate for update number `step` (0-based): linear warm-up lr·(step+1)/warmup, so the first
 * update is not wasted at rate 0 and the last warm-up step is at the peak; then a half cosine
 * from lr down to minLr over the remaining steps, and minLr after `total`.
 */
export function warmupCosine(step: number, o: WarmupCosineOptions): number {
  const minLr = o.minLr ?? 0;
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  const span = o.total - o.warmup;
  if (span <= 0) return minLr;
  const progress = Math.min(1, (step - o.warmup) / span);
  return minLr + (o.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
