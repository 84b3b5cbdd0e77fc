// Pictures of a volume for people: mid-slices in the three planes in radiological display
// orientation, CT windows, physical aspect ratio, and contact-sheet tiling. Gray images are
// { width, height, data } with data in [0, 1], row-major, top row first.

export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type Plane = 'axial' | 'coronal' | 'sagittal';

/** Display windows as [lo, hi] HU: lung (W1500 L−600) and mediastinal (W400 L40). */
export const WINDOWS = { lung: [-1350, 150], mediastinal: [-160, 240] } as const satisfies Record<string, readonly [number, number]>;

/**
 * A slice of a [D, H, W] volume (x = patient right→… as stored, RAS) shown the way radiologists
 * look at it: axial from the feet (patient's right on the image left, anterior up), coronal from
 * the front (right on the left, head up), sagittal from the patient's left (anterior on the left, head up).
 * `index` defaults to the middle slice.
 */
export function sliceOf(vol: ArrayLike<number>, size: readonly number[], plane: Plane, index?: number): GrayImage & { pixel: [number, number] } {
  const [D, H, W] = size;
  const at = (k: number, j: number, i: number) => vol[i + W * (j + H * k)];
  if (plane === 'axial') {
    const k = index ?? D >> 1;
    return grid(W, H, (r, c) => at(k, H - 1 - r, W - 1 - c), [0, 1]);
  }
  if (plane === 'coronal') {
    const j = index ?? H >> 1;
    return grid(W, D, (r, c) => at(D - 1 - r, j, W - 1 - c), [0, 2]);
  }
  const i = index ?? W >> 1;
  return grid(H, D, (r, c) => at(D - 1 - r, H - 1 - c, i), [1, 2]);
}

function grid(width: number, height: number, f: (r: number, c: number) => number, axes: [number, number]): GrayImage & { pixel: [number, number] } {
  const data = new Float32Array(width * height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[r * width + c] = f(r, c);
  // pixel: which [x, y, z] spacing components give the image's column and row sizes.
  return { width, height, data, pixel: axes };
}

/** clamp((v − lo) / (hi − lo), 0, 1). */
export function windowed(img: GrayImage, [lo, hi]: readonly [number, number]): GrayImage {
  return { ...img, data: img.data.map((v) => Math.min(Math.max((v - lo) / (hi - lo), 0), 1)) };
}

/** Nearest-neighbour upscale by integer factors (fx columns, fy rows). */
export function upscale(img: GrayImage, fx: number, fy: number): GrayImage {
  const width = img.width * fx, height = img.height * fy;
  const data = new Float32Array(width * height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[r * width + c] = img.data[Math.floor(r / fy) * img.width + Math.floor(c / fx)];
  return { width, height, data };
}

/** Upscale so that pixels are square in mm and the image is at least `minSide` pixels across. */
export function physical(img: GrayImage, colMm: number, rowMm: number, minSide = 256): GrayImage {
  const unit = Math.min(colMm, rowMm);
  const fx0 = Math.max(1, Math.round(colMm / unit)), fy0 = Math.max(1, Math.round(rowMm / unit));
  const k = Math.max(1, Math.ceil(minSide / Math.max(img.width * fx0, img.height * fy0)));
  return upscale(img, fx0 * k, fy0 * k);
}

/** Tiles images in rows (a gap of `gap` pixels of `bg`), each row as tall as its tallest image. */
export function tile(rows: GrayImage[][], gap = 4, bg = 0.15): GrayImage {
  const width = Math.max(...rows.map((r) => r.reduce((s, im) => s + im.width + gap, gap)));
  const heights = rows.map((r) => Math.max(...r.map((im) => im.height)));
  const height = heights.reduce((s, h) => s + h + gap, gap);
  const data = new Float32Array(width * height).fill(bg);
  let y = gap;
  rows.forEach((r, ri) => {
    let x = gap;
    for (const im of r) {
      for (let rr = 0; rr < im.height; rr++) data.set(im.data.subarray(rr * im.width, (rr + 1) * im.width), (y + rr) * width + x);
      x += im.width + gap;
    }
    y += heights[ri] + gap;
  });
  return { width, height, data };
}

/** 8-bit gray samples for a PNG encoder. */
export function toBytes(img: GrayImage): Uint8Array {
  return Uint8Array.from(img.data, (v) => Math.round(Math.min(Math.max(v, 0), 1) * 255));
}
