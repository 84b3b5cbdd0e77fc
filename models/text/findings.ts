// The 18 CT-RATE findings, in the dataset's column order. Label vectors everywhere in models/text
// are indexed by this order.

export const FINDINGS = [
  'Medical material',
  'Arterial wall calcification',
  'Cardiomegaly',
  'Pericardial effusion',
  'Coronary artery wall calcification',
  'Hiatal hernia',
  'Lymphadenopathy',
  'Emphysema',
  'Atelectasis',
  'Lung nodule',
  'Lung opacity',
  'Pulmonary fibrotic sequela',
  'Pleural effusion',
  'Mosaic attenuation pattern',
  'Peribronchial thickening',
  'Consolidation',
  'Bronchiectasis',
  'Interlobular septal thickening',
] as const;

export type Finding = (typeof FINDINGS)[number];
export const NUM_FINDINGS = FINDINGS.length;

export function findingIndex(name: string): number {
  return (FINDINGS as readonly string[]).indexOf(name);
}

/**
 * Which findings a frontal/lateral chest X-ray can show. A radiograph is a projection, so what
 * needs CT's cross-sections to be seen (coronary calcium, mosaic attenuation, a pericardial
 * effusion apart from the heart shadow) is left out; what radiologists routinely call on X-ray
 * (lines and tubes, aortic knob calcification, cardiomegaly, hernia behind the heart, hilar
 * enlargement, hyperinflation, atelectasis, nodules, opacities, scarring, effusion,
 * consolidation, peribronchial cuffing, bronchiectasis, Kerley lines) is in.
 */
export const XRAY_OBSERVABLE: ReadonlySet<Finding> = new Set<Finding>([
  'Medical material',
  'Arterial wall calcification',
  'Cardiomegaly',
  'Hiatal hernia',
  'Lymphadenopathy',
  'Emphysema',
  'Atelectasis',
  'Lung nodule',
  'Lung opacity',
  'Pulmonary fibrotic sequela',
  'Pleural effusion',
  'Peribronchial thickening',
  'Consolidation',
  'Bronchiectasis',
  'Interlobular septal thickening',
]);
