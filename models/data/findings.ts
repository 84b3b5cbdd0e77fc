// The 18 CT-RATE findings (the report labeler's order, models/text/findings.ts) and, for each,
// how the procedural chest renders it: what it looks like and the ranges its instances are drawn
// from (sizes in mm, densities in HU). models/data/phantom-findings.ts places the instances.
//
// Sizes are chosen so that every finding covers many voxels at the tiny config (64³ at 5 mm):
// a model must be able to see it. Each range is wide, and place, side and count vary too, so
// no single voxel gives a finding away.
import { FINDINGS, NUM_FINDINGS, type Finding } from '../text/findings.ts';

export { FINDINGS, NUM_FINDINGS, type Finding };

export type Range = readonly [number, number];

export interface FindingRender {
  /** What the renderer draws, in a radiologist's words. */
  looks: string;
  /** Where it may change the image (what the tests check). */
  region: 'lung' | 'lung-dependent' | 'heart' | 'aorta' | 'mediastinum' | 'airways' | 'anywhere';
  [param: string]: Range | string;
}

export const RENDER: Record<Finding, FindingRender> = {
  'Medical material': {
    looks: 'metal (> 2000 HU): a central venous catheter or port through the SVC into the right atrium, sternotomy wires, a pacemaker with leads, or ECG electrodes on the skin',
    region: 'anywhere',
    devices: [1, 2],
    metalHU: [2500, 3500],
    wireRadius: [2.2, 3],
  },
  'Arterial wall calcification': {
    looks: 'bright plaques (700–1300 HU) on the wall of the aortic arch and descending aorta',
    region: 'aorta',
    plaques: [3, 12],
    radius: [2.5, 4.5],
    length: [3, 12],
    hu: [700, 1300],
  },
  Cardiomegaly: {
    looks: 'an enlarged heart (all three axes scaled), displacing the lungs; cardiothoracic ratio well above 0.5',
    region: 'heart',
    scale: [1.24, 1.42],
  },
  'Pericardial effusion': {
    looks: 'a rim of water-density fluid (0–20 HU) around the heart inside the pericardium, thicker behind and below',
    region: 'heart',
    thickness: [9, 20],
    hu: [0, 20],
  },
  'Coronary artery wall calcification': {
    looks: 'bright specks (600–1200 HU) in the epicardial fat along the LAD, circumflex and right coronary arteries',
    region: 'heart',
    plaques: [3, 8],
    radius: [3.5, 5.5],
    length: [4, 10],
    hu: [600, 1200],
  },
  'Hiatal hernia': {
    looks: 'a thick-walled sac above the diaphragm behind the heart with a gas cap over fluid',
    region: 'mediastinum',
    radius: [18, 34],
    wallHU: [30, 50],
  },
  Lymphadenopathy: {
    looks: 'enlarged lymph nodes (18–32 mm) at mediastinal, hilar or axillary stations',
    region: 'mediastinum',
    nodes: [1, 5],
    radius: [9, 16],
    hu: [30, 50],
  },
  Emphysema: {
    looks: 'centrilobular holes of near-air density in the upper zones, a few subpleural bullae, darker lung, flattened lower diaphragm',
    region: 'lung',
    threshold: [0.56, 0.62],
    scale: [9, 14],
    darkening: [30, 70],
    bullae: [0, 3],
    diaphragmDrop: [8, 18],
  },
  Atelectasis: {
    looks: 'collapsed lung of soft-tissue density: plate-like bands in the lower lobes or a dependent band along the posterior base',
    region: 'lung',
    count: [1, 2],
    length: [25, 50],
    thickness: [3.5, 14],
    hu: [0, 40],
  },
  'Lung nodule': {
    looks: 'round solid lobulated nodules (12–28 mm) anywhere in the lungs',
    region: 'lung',
    count: [1, 3],
    radius: [6, 14],
    hu: [0, 60],
  },
  'Lung opacity': {
    looks: 'patchy ground-glass opacity (−600 to −450 HU) through which vessels stay visible',
    region: 'lung',
    count: [1, 3],
    radius: [18, 40],
    hu: [-600, -450],
  },
  'Pulmonary fibrotic sequela': {
    looks: 'irregular linear fibrotic strands running to the pleura, mostly apical',
    region: 'lung',
    strands: [3, 6],
    length: [25, 55],
    radius: [2.5, 4],
    hu: [-150, 20],
  },
  'Pleural effusion': {
    looks: 'water-density fluid (0–20 HU) in the dependent posterior pleural space, thickest at the base, one side or both',
    region: 'lung-dependent',
    thickness: [15, 45],
    height: [70, 150],
    hu: [0, 20],
  },
  'Mosaic attenuation pattern': {
    looks: 'geographic lobular patches of lung alternately denser and more lucent (±50–80 HU)',
    region: 'lung',
    amplitude: [50, 80],
    scale: [18, 30],
  },
  'Peribronchial thickening': {
    looks: 'thickened bronchial walls (cuffing) of normal-calibre bronchi',
    region: 'airways',
    extraWall: [1.8, 3],
  },
  Consolidation: {
    looks: 'dense airless lung (10–40 HU) with air bronchograms, lobar or segmental',
    region: 'lung',
    count: [1, 2],
    radius: [20, 42],
    hu: [10, 40],
  },
  Bronchiectasis: {
    looks: 'dilated thick-walled bronchi, wider than their arteries, not tapering, in one or two lower zones',
    region: 'airways',
    dilation: [2, 2.6],
    zoneRadius: [50, 80],
  },
  'Interlobular septal thickening': {
    looks: 'a polygonal network of thickened septa in the lung periphery, lower-zone predominant',
    region: 'lung',
    amplitude: [0.7, 1],
    scale: [10, 16],
    depth: [20, 35],
    hu: [-450, -250],
  },
};

/** The range `name` of a finding's renderer. */
export function renderRange(f: Finding, name: string): Range {
  const r = RENDER[f][name];
  if (!Array.isArray(r)) throw new Error(`no range ${name} for ${f}`);
  return r as unknown as Range;
}
