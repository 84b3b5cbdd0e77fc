// Zero-shot diagnosis: per finding, a positive and a negative prompt set in the reports' own
// phrasing; each set's embeddings are averaged (synonyms), and a CT's score is
//   p(finding) = softmax([cos(ct, pos), cos(ct, neg)] / τ)₀ = σ((cos⁺ − cos⁻)/τ).
// AUC per finding over a labelled cohort (Mann–Whitney, ties counted half).
import { FINDINGS, type Finding } from './text/index.ts';

/** Prompts in CT-RATE's phrasing ("… was not observed", "… is present"). */
export const PROMPTS: Record<Finding, { pos: string[]; neg: string[] }> = {
  'Medical material': {
    pos: ['Medical material is observed.', 'Catheter and sternotomy wires are seen.', 'Postoperative changes with metallic material.'],
    neg: ['No medical material.', 'No catheter or sternotomy wire was observed.'],
  },
  'Arterial wall calcification': {
    pos: ['Calcific atheroma plaques in the aortic wall.', 'Arterial wall calcification is observed.'],
    neg: ['No calcification in the aortic wall.', 'No arterial wall calcification.'],
  },
  Cardiomegaly: {
    pos: ['Cardiomegaly is observed.', 'The heart size is increased.'],
    neg: ['Heart size is normal.', 'No cardiomegaly.'],
  },
  'Pericardial effusion': {
    pos: ['Pericardial effusion is observed.', 'Pericardial fluid is present.'],
    neg: ['Pericardial effusion was not observed.', 'No pericardial effusion.'],
  },
  'Coronary artery wall calcification': {
    pos: ['Calcification in the coronary arteries.', 'Coronary artery wall calcification is observed.'],
    neg: ['No coronary artery calcification.', 'Coronary arteries without calcification.'],
  },
  'Hiatal hernia': {
    pos: ['Hiatal hernia is observed.', 'Sliding hiatal hernia.'],
    neg: ['No hiatal hernia.', 'Hiatal hernia was not observed.'],
  },
  Lymphadenopathy: {
    pos: ['Enlarged lymph nodes in the mediastinum.', 'Lymphadenopathy is observed.'],
    neg: ['No enlarged lymph nodes were detected.', 'No lymphadenopathy.'],
  },
  Emphysema: {
    pos: ['Emphysematous changes in both lungs.', 'Emphysema is observed.'],
    neg: ['No emphysema.', 'Emphysema was not observed.'],
  },
  Atelectasis: {
    pos: ['Atelectasis is observed.', 'Subsegmental atelectasis in the lower lobe.'],
    neg: ['No atelectasis.', 'Atelectasis was not observed.'],
  },
  'Lung nodule': {
    pos: ['Nodule in the lung parenchyma.', 'A pulmonary nodule is observed.'],
    neg: ['No nodular lesion in the lung parenchyma.', 'No lung nodule.'],
  },
  'Lung opacity': {
    pos: ['Ground glass opacity in the lung.', 'Lung opacity is observed.'],
    neg: ['No ground glass opacity.', 'No infiltrative lesion in the lungs.'],
  },
  'Pulmonary fibrotic sequela': {
    pos: ['Fibrotic sequelae changes in the lung.', 'Fibrotic band is observed.'],
    neg: ['No fibrotic changes.', 'No fibrotic sequela.'],
  },
  'Pleural effusion': {
    pos: ['Pleural effusion is observed.', 'Bilateral pleural effusion.'],
    neg: ['Pleural effusion was not detected.', 'No pleural effusion.'],
  },
  'Mosaic attenuation pattern': {
    pos: ['Mosaic attenuation pattern in both lungs.', 'Mosaic attenuation is observed.'],
    neg: ['No mosaic attenuation.', 'No mosaic attenuation pattern.'],
  },
  'Peribronchial thickening': {
    pos: ['Peribronchial thickening is observed.', 'Peribronchial wall thickening.'],
    neg: ['No peribronchial thickening.', 'Peribronchial thickening was not observed.'],
  },
  Consolidation: {
    pos: ['Consolidation in the lung.', 'Consolidation with air bronchograms.'],
    neg: ['No consolidation.', 'No consolidation was observed.'],
  },
  Bronchiectasis: {
    pos: ['Bronchiectasis is observed.', 'Bronchiectatic changes in the lower lobes.'],
    neg: ['No bronchiectasis.', 'Bronchiectasis was not observed.'],
  },
  'Interlobular septal thickening': {
    pos: ['Interlobular septal thickening is observed.', 'Thickening of the interlobular septa.'],
    neg: ['No interlobular septal thickening.', 'Interlobular septa are normal.'],
  },
};

/** Area under the ROC curve of scores against 0/1 labels (NaN when one class is empty). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Average ranks (1-based) with ties sharing their mean rank.
  const rank = new Float64Array(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) rank[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0, sumPos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) {
      pos++;
      sumPos += rank[i];
    }
  }
  const neg = labels.length - pos;
  if (!pos || !neg) return NaN;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** ROC points (false-positive rate, true-positive rate) from the highest threshold down. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): [number, number][] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const P = Array.from(labels).filter(Boolean).length;
  const N = labels.length - P;
  const pts: [number, number][] = [[0, 0]];
  let tp = 0, fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[idx[i]]) tp++;
    else fp++;
    if (i + 1 === idx.length || scores[idx[i + 1]] !== scores[idx[i]]) pts.push([N ? fp / N : 0, P ? tp / P : 0]);
  }
  return pts;
}

export interface ZeroShotResult {
  /** AUC per finding (NaN where the cohort lacks positives or negatives). */
  auc: Record<Finding, number>;
  /** Mean over findings with a defined AUC. */
  meanAuc: number;
  /** Per finding, per volume: p(finding). */
  scores: Record<Finding, Float32Array>;
}

/** v / |v|. */
export function normalize(v: Float32Array): Float32Array {
  const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0) + 1e-12);
  return v.map((x) => x / s);
}

/** Mean of unit vectors, re-normalised: the prompt set's direction. */
export function averageEmbedding(rows: Float32Array[]): Float32Array {
  const dim = rows[0].length;
  const acc = new Float32Array(dim);
  for (const r of rows) normalize(r).forEach((x, k) => (acc[k] += x));
  return normalize(acc);
}

/**
 * Score CT embeddings (rows) against each finding's prompt sets. `promptEmbeddings` maps a prompt
 * string to its embedding; τ only sharpens the probabilities (the AUC does not depend on it).
 */
export function zeroShotScores(ct: Float32Array[], labels: ArrayLike<number>[], promptEmbeddings: Map<string, Float32Array>, tau: number): ZeroShotResult {
  const cts = ct.map(normalize);
  const aucs = {} as Record<Finding, number>;
  const scores = {} as Record<Finding, Float32Array>;
  FINDINGS.forEach((f, k) => {
    const pos = averageEmbedding(PROMPTS[f].pos.map((p) => promptEmbeddings.get(p)!));
    const neg = averageEmbedding(PROMPTS[f].neg.map((p) => promptEmbeddings.get(p)!));
    // Ranked by the margin cos⁺ − cos⁻ itself: the sigmoid would tie saturated scores.
    const margin = new Float64Array(cts.length);
    cts.forEach((c, i) => {
      let dp = 0, dn = 0;
      for (let d = 0; d < c.length; d++) {
        dp += c[d] * pos[d];
        dn += c[d] * neg[d];
      }
      margin[i] = dp - dn;
    });
    scores[f] = Float32Array.from(margin, (m) => 1 / (1 + Math.exp(-m / tau)));
    aucs[f] = auc(margin, labels.map((l) => l[k]));
  });
  const defined = Object.values(aucs).filter((a) => !Number.isNaN(a));
  return { auc: aucs, meanAuc: defined.reduce((a, b) => a + b, 0) / Math.max(1, defined.length), scores };
}

/** Every prompt string, for embedding in one batch. */
export function allPrompts(): string[] {
  return FINDINGS.flatMap((f) => [...PROMPTS[f].pos, ...PROMPTS[f].neg]);
}
