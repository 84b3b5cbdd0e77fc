// A patient's normal anatomy, drawn from a seed: body habitus, wall, lungs and diaphragm, heart,
// great vessels, airways, bones. Writes the anatomy slots of the parameter block and keeps the
// landmarks the findings are placed relative to (hila, carina, aorta, heart frame, …).
// Units: mm and HU; patient coordinates x right, y anterior, z superior, 0 at the grid centre.
import { SLOT, NUM_SLOTS, type SlotName } from './phantom-layout.ts';
import type { V3 } from './phantom-ref.ts';
import type { Rng } from '../text/rng.ts';

export interface Landmarks {
  /** Cavity: semi-axes and centre y. */
  Ac: number; Bc: number; ycc: number;
  A: number; B: number; yc: number; fat: number; muscle: number;
  apexZ: number; domeR: number; domeL: number;
  heartC: V3; heartU: V3; heartV: V3; heartW: V3; heartAxes: V3; epi: number;
  aorta: [number, number, number, number][];
  spine: { x: number; y: number; r: number };
  trachea: { top: V3; carina: V3; r: number };
  hilumR: V3; hilumL: V3;
  svc: { top: V3; bottom: V3; r: number };
  esophagus: V3[];
  sternum: { top: number; bottom: number; halfWidth: number; thickness: number };
  medX: number; medW: number;
}

export class SlotWriter {
  readonly data = new Float32Array(NUM_SLOTS * 4);
  set(name: SlotName, x: number, y = 0, z = 0, w = 0): void {
    this.data.set([x, y, z, w], 4 * SLOT[name]);
  }
  get(name: SlotName, c: number): number {
    return this.data[4 * SLOT[name] + c];
  }
}

export const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: V3, s: number): V3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const norm = (a: V3): V3 => scale(a, 1 / Math.hypot(...a));

export const uniform = (rng: Rng) => (lo: number, hi: number) => lo + (hi - lo) * rng();

/** Draws a normal chest. Returns its slots and landmarks; findings edit both afterwards. */
export function sampleAnatomy(rng: Rng): { slots: SlotWriter; lm: Landmarks } {
  const U = uniform(rng);
  const S = new SlotWriter();

  // Habitus and wall. The cavity is what is left inside fat, muscle and the rib zone, with a
  // thicker wall behind (the paraspinal muscles).
  const A = U(126, 146), B = U(92, 114), yc = U(-4, 4);
  const fat = U(6, 16) + 0.45 * (A - 126), muscle = U(8, 14), ribZone = 12, post = U(4, 10);
  const ant = yc + B - fat - muscle - ribZone, back = yc - B + fat + muscle + ribZone + post;
  const Bc = (ant - back) / 2, ycc = (ant + back) / 2, Ac = A - fat - muscle - ribZone - 2;
  const fatHU = U(-112, -92), muscleHU = U(40, 55);
  const apexZ = U(104, 128);
  S.set('POSE', U(-7, 7), U(-7, 7), U(-10, 10), U(-0.05, 0.05));
  S.set('BODY', A, B, yc, U(0.18, 0.3));
  S.set('BODY2', apexZ - U(0, 15), fatHU, muscleHU, U(5, 12));
  S.set('WALL', fat, muscle, ribZone, post);
  S.set('CAV', Ac, Bc, ycc, 1);
  if (rng() < 0.45) {
    const bx = U(45, 62);
    const front = yc + B * Math.sqrt(1 - (bx / A) ** 2);
    S.set('BREAST_C', bx, front - U(6, 12), U(-30, 10), 1);
    S.set('BREAST_R', U(36, 48), U(26, 40), U(38, 50), U(-40, 10));
  }

  // Diaphragm domes (right higher) and the lung apices.
  const domeR = U(-55, -35), domeL = domeR - U(6, 16);
  const yD = ycc + U(-5, 10);
  S.set('DIA', domeR, domeL, 1 / U(55, 80), U(0.15, 0.3));
  S.set('DIA2', Ac * U(0.4, 0.5), -Ac * U(0.4, 0.5), yD, U(0.3, 0.45));
  S.set('APEX', apexZ, 1 / U(70, 100), Ac * 0.45, ycc - Bc * 0.2);
  S.set('CAV2', (domeR + apexZ) / 2 - U(0, 30), apexZ + 10, U(0.18, 0.3), 0);
  S.set('LUNG', U(-875, -840), U(40, 90), U(10, 20), U(5, 9));

  // Spine: vertebral bodies protruding into the back of the cavity.
  const rv = U(16, 21), sx = U(-3, 3), ys = ycc - Bc + rv * U(0.9, 1.2), period = U(26, 30), rcan = U(7, 9);
  S.set('SPINE', sx, ys, rv, period);
  S.set('SPINE2', U(0, period), rcan, U(200, 300), U(70, 100));
  const canalY = ys - rv - rcan - 2;
  const spl = Math.min(40, Math.max(15, canalY - rcan - (yc - B + fat + 6)));
  S.set('SPINE3', spl, U(28, 38), U(350, 500), 0);

  // Heart: an ellipsoid with its long axis from the base (right, back, up) to the apex (left,
  // front, down), resting on the left dome.
  const axes: V3 = [U(50, 58), U(36, 43), U(33, 40)];
  const hu = norm([-0.6 + U(-0.1, 0.1), 0.45 + U(-0.1, 0.1), -0.5 + U(-0.1, 0.1)]);
  const hv = norm(cross(hu, [0, 0, 1]));
  const hw = cross(hu, hv);
  const heartC: V3 = [U(-28, -15), ycc + Bc - axes[1] - U(4, 14), domeL + axes[2] * 0.55 + U(0, 10)];
  const epi = U(2, 6);
  S.set('HEART_C', ...heartC, epi);
  S.set('HEART_U', ...hu, axes[0]);
  S.set('HEART_V', ...hv, axes[1]);
  S.set('HEART_W', ...hw, axes[2]);
  S.set('PERI', 0, 10, U(38, 50), fatHU + U(0, 15));

  // Aorta: root at the heart base, ascending, arch, descending left of the spine, through the hiatus.
  const ra = U(11, 14.5);
  const base = sub(heartC, scale(hu, 0.55 * axes[0]));
  const P0 = add(base, [U(5, 12), U(5, 12), U(0, 8)]);
  const P1 = add(P0, [U(5, 15), U(0, 8), U(30, 42)]);
  const P2: V3 = [U(-6, 4), P1[1] - U(15, 25), P1[2] + U(20, 30)];
  const xd = sx - (rv + ra * 0.8), yd = ys + rv * 0.5;
  const P3: V3 = [xd + U(0, 6), yd + U(10, 20), P2[2] - U(5, 12)];
  const P4: V3 = [xd, yd + U(0, 5), P3[2] - U(45, 60)];
  const P5: V3 = [xd + U(0, 6), yd + U(0, 6), domeL - U(0, 15)];
  const P6: V3 = [sx - U(0, 8), ys + rv + ra * 0.6, -175];
  const aorta: [number, number, number, number][] = [
    [...P0, ra * 1.15], [...P1, ra * 1.12], [...P2, ra], [...P3, ra * 0.95], [...P4, ra * 0.92], [...P5, ra * 0.9], [...P6, ra * 0.85],
  ];
  aorta.forEach((p, i) => S.set(`AORTA${i}` as SlotName, ...p));

  // Mediastinum, trachea and hila.
  const medX = U(-8, 0), medW = U(9, 14);
  const yTr = ys + rv + U(24, 30);
  const rt = U(8, 10);
  const carina: V3 = [U(-3, 3), yTr, P2[2] - U(15, 25)];
  const top: V3 = [U(-2, 2), yTr + U(5, 12), 175];
  const hilumR: V3 = [medX + medW + U(12, 20), yTr - U(0, 8), carina[2] - U(18, 28)];
  const hilumL: V3 = [medX - medW - U(16, 24), yTr - U(4, 12), carina[2] - U(10, 18)];
  S.set('MED', medX, medW, U(8, 14), carina[2] - 20);

  // Ribs, sternum, clavicles, scapulae.
  S.set('RIB', apexZ - U(0, 12), U(22, 27), U(80, 110), 12);
  S.set('RIB2', U(3.5, 5), U(5, 7), U(450, 650), U(80, 140));
  S.set('RIB3', U(0.22, 0.3), U(2.45, 2.6), U(1.6, 1.9), U(2.85, 2.95));
  const stern = { top: apexZ - U(15, 30), bottom: heartC[2] - U(30, 50), halfWidth: U(13, 18), thickness: U(9, 13) };
  S.set('STERN', 0, stern.top, stern.bottom, stern.halfWidth);
  S.set('STERN2', stern.thickness, U(250, 400), 0, 0);
  S.set('CLAV', U(12, 20), ycc + Bc + U(0, 10), apexZ - U(5, 20), U(6, 8));
  S.set('CLAV2', Math.min(Ac + U(5, 20), 0.75 * A), ycc + U(-20, 0), apexZ + U(0, 20), 0);
  S.set('SCAP', U(8, 14), U(0.55, 0.7), U(1.15, 1.35), U(4, 7));
  S.set('SCAP2', apexZ - U(0, 15), apexZ - U(130, 160), U(350, 500), 0);

  // Upper abdomen under the domes.
  S.set('ABD', U(50, 65), U(42, 55), U(-40, 10), U(-25, -5));
  S.set('STOMACH', -Ac * U(0.35, 0.5) - U(0, 15), yD + U(10, 30), domeL - U(35, 50), U(30, 45));
  S.set('SPLEEN', -Ac * 0.7, ycc - Bc * 0.5, domeL - U(40, 60), U(30, 40));

  // Region-wide findings start absent; the dependent recess of each side is where fluid would start.
  S.set('EFF2', domeR - U(40, 55), domeL - U(40, 55), 0, 0);

  const svcX = P1[0] + ra * 1.12 + U(6, 10), svcR = U(8, 11);
  const svcY = P1[1] - U(0, 8);
  S.set('SVC', svcX, svcY, svcR, P0[2]);
  const lm: Landmarks = {
    Ac, Bc, ycc, A, B, yc, fat, muscle, apexZ, domeR, domeL,
    heartC, heartU: hu, heartV: hv, heartW: hw, heartAxes: axes, epi, aorta,
    spine: { x: sx, y: ys, r: rv },
    trachea: { top, carina, r: rt },
    hilumR, hilumL,
    svc: { top: [svcX, svcY, 175], bottom: [svcX, svcY, P0[2]], r: svcR },
    esophagus: [[medX - 2, ys + rv + 8, 175], [medX - 6, ys + rv + 10, carina[2] - 40], [-22, ys + rv + 20, domeL - 5], [-45, ys + rv + 30, domeL - 30]],
    sternum: stern,
    medX, medW,
  };
  return { slots: S, lm };
}
