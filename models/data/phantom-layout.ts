// The per-patient parameter block of the procedural chest, as the GPU reads it: named vec4 slots
// of anatomy and region-wide findings, then the primitives (tubes, blobs, ellipsoids) in painting
// order, then the brick lists that say which primitives can touch which 4³ brick of voxels.
// The slot numbers are written into the WGSL as constants from this table (phantomHeader), so
// the TypeScript packer and the shader cannot disagree.

/** Anatomy and whole-region finding slots, one vec4 each (x, y, z, w as commented). */
export const SLOTS = [
  'POSE', //      shift x, y, z (mm), rotation about z (rad)
  'BODY', //      semi-axes A (x), B (y), centre y, neck narrowing fraction
  'BODY2', //     z where the neck narrowing starts, fat HU, muscle HU, noise σ (HU)
  'WALL', //      fat thickness, muscle thickness, rib zone, posterior extra wall (mm): the cavity is sized from these
  'CAV', //       cavity semi-axes Ac, Bc, centre y, pleural gap
  'CAV2', //      taper: from z, to z, narrowing fraction at the top, (unused)
  'BREAST_C', //  centre x (|x|, mirrored), y, z, 1 if present
  'BREAST_R', //  semi-axes x, y, z, glandular HU
  'DIA', //       right dome z, left dome z, curvature (1/mm), anterior tilt (mm/mm)
  'DIA2', //      right dome x, left dome x, dome y, front-back curvature relative to left-right
  'APEX', //      apex z, curvature (1/mm), |x| of the apex, y of the apex
  'MED', //       mediastinal centre x, half-width, hilar widening, hilar z
  'SVC', //       superior vena cava: x, y, radius, lowest z (a vertical tube the right lung wraps)
  'LUNG', //      parenchyma HU, dependent gradient (HU), texture amplitude (HU), texture scale (mm)
  'HEART_C', //   centre x, y, z, epicardial fat thickness
  'HEART_U', //   unit long axis, semi-axis
  'HEART_V', //   unit axis, semi-axis
  'HEART_W', //   unit axis, semi-axis
  'PERI', //      pericardial fluid thickness (0: none), fluid HU, myocardium HU, fat HU
  'AORTA0', 'AORTA1', 'AORTA2', 'AORTA3', 'AORTA4', 'AORTA5', 'AORTA6', // centre line x, y, z, radius
  'SPINE', //     vertebral body centre x, y, radius, disc spacing
  'SPINE2', //    disc phase z, canal radius, body HU, disc HU
  'SPINE3', //    spinous process length, transverse process length, posterior element HU, (unused)
  'RIB', //       rib 1 posterior z, spacing, anterior drop, count
  'RIB2', //      radial half-thickness, half-height, bone HU, cartilage HU
  'RIB3', //      first angle, last bony angle of rib 1, last bony angle of the lowest rib, sternal angle
  'STERN', //     (unused), top z, bottom z, half-width
  'STERN2', //    thickness, HU, (unused), (unused)
  'CLAV', //      medial end |x|, y, z, radius
  'CLAV2', //     lateral end |x|, y, z, (unused)
  'SCAP', //      outward offset from the rib line, first angle, last angle, thickness
  'SCAP2', //     top z, bottom z, HU, (unused)
  'ABD', //       liver HU, spleen HU, bowel HU, liver edge x
  'STOMACH', //   centre x, y, z, radius
  'SPLEEN', //    centre x, y, z, radius
  'EMPH', //      hole threshold (0: none), hole scale (mm), zone lower z, darkening (HU)
  'EMPH2', //     zone fade (mm), hole HU, (unused), (unused)
  'MOSAIC', //    amplitude (0: none), scale (mm), zone lower z, zone upper z
  'SEPTAL', //    amplitude (0: none), scale (mm), peripheral depth (mm), zone upper z
  'SEPTAL2', //   side (+1 right, −1 left, 0 both), line HU, (unused), (unused)
  'EFF', //       right thickness, left thickness (0: none), fluid HU, fluid height (mm)
  'EFF2', //      right lowest z, left lowest z, (unused), (unused)
] as const;

export type SlotName = (typeof SLOTS)[number];
export const SLOT: Record<SlotName, number> = Object.fromEntries(SLOTS.map((s, i) => [s, i])) as Record<SlotName, number>;
export const NUM_SLOTS = SLOTS.length;

/** vec4s per primitive: header (kind, HU, p1, p2), then four payload vec4s. */
export const PRIM_VEC4 = 5;

/** Primitive kinds (header.x). */
export const KIND = {
  /** Tapered tube a→b, radii ra→rb, filled with HU. */
  tube: 0,
  /** Airway: lumen (air) of radius ra→rb, wall of thickness p1 at HU. */
  airway: 1,
  /** Oriented ellipsoid (centre; three unit axes with their semi-axes), filled with HU. */
  ellipsoid: 2,
  /** Ellipsoid sac with a gas cap above a level along y (supine: anterior) and fluid below: hiatal hernia. */
  sac: 3,
} as const;

/** Header flags (p2 of the header, a bit field stored as a float). */
export const FLAG = {
  /** Weight by the lung's occupancy: the shape shows only inside the lung. */
  lungOnly: 1,
  /** Keep the larger of the old value and the shape's HU (metal, calcium). */
  max: 2,
  /** Modulate the fill with lobular noise (patchy ground glass). */
  patchy: 4,
} as const;

/**
 * Painting order: a primitive of a later layer paints over earlier ones. Vessels come first so that
 * the shader can paint them in a loop of their own (plain tubes); ground glass, painted later,
 * keeps the brighter of itself and what is there, so vessels still show through it.
 */
export const LAYER = { vessel: 0, parenchyma: 1, lesion: 2, airway: 3, mediastinal: 4, metal: 5 } as const;

/**
 * The shader paints a brick's primitives in four loops, each with only the code its kind needs:
 * vessels (plain tubes), general shapes under the airways, airways, general shapes over them.
 */
export const GROUP_OF_LAYER = [0, 1, 1, 2, 3, 3] as const;
export const GROUPS = 4;

/** Voxels per side of a culling brick; u32s per brick in the table header: start, then a count per group. */
export const BRICK = 4;
export const BRICK_HEADER = 1 + GROUPS;

/** WGSL constants for the slots, kinds and flags, prepended to the shader source. */
export function phantomHeader(): string {
  const lines = SLOTS.map((s, i) => `const S_${s}: u32 = ${i}u;`);
  lines.push(`const NUM_SLOTS: u32 = ${NUM_SLOTS}u;`, `const PRIM_VEC4: u32 = ${PRIM_VEC4}u;`, `const BRICK: u32 = ${BRICK}u;`, `const BRICK_HEADER: u32 = ${BRICK_HEADER}u;`);
  for (const [k, v] of Object.entries(KIND)) lines.push(`const K_${k.toUpperCase()}: u32 = ${v}u;`);
  for (const [k, v] of Object.entries(FLAG)) lines.push(`const F_${k.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}: u32 = ${v}u;`);
  return `// Generated from models/data/phantom-layout.ts.\n${lines.join('\n')}\n`;
}
