import { describe, expect, it } from 'vitest';
import { mat4 } from 'gl-matrix';
import { BiudError } from '../../engine/errors.ts';
import { parseNifti, readNifti, toRAS, volumeStats } from '../../models/data/nifti.ts';
import { gzip } from '../../models/data/gzip.ts';
import { makeNifti, readData, shippedNii, swapEndian } from './fixtures.ts';

// Reference numbers read from the raw headers and voxels with Python's struct/gzip (no nibabel).
const SHIPPED = [
  { file: 'LIDC-IDRI-0001_ct_3mm.nii.gz', dims: [120, 120, 111], spacing: [3, 3, 2.995495557785034], orientation: 'LPS', min: -1024, max: 3070, mean: -615.3429085335335, chest: true,
    affine: [[-3, 0, 0, 164.8515625], [0, -3, 0, 170.5515594482422], [0, 0, 2.995495557785034, -339.75225830078125]] },
  { file: 'chest_cta_crop_pulmonary_1.5mm.nii.gz', dims: [122, 102, 112], spacing: [1.5, 1.5, 1.5], orientation: 'LPS', min: -1064, max: 3343, mean: -206.55061102309776, chest: true,
    affine: [[-1.5, 0, 0, 71.658203125], [0, -1.5, 0, 255.658203125], [0, 0, 1.5, 576.2000122070312]] },
  { file: 'abdomen_example_ct_sm_3mm.nii.gz', dims: [122, 101, 30], spacing: [3, 3, 3], orientation: 'RAS', min: -1100, max: 1207, mean: -354.09530920305144, chest: false,
    affine: [[3, 0, 0, -177.95632934570312], [0, 3, 0, 11.319000244140625], [0, 0, 3, 94.3017578125]] },
];

const rowsOf = (a: Float64Array) => [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => a[4 * c + r]));

async function rejects(p: Promise<unknown> | (() => unknown), pattern: RegExp) {
  const err = await (async () => { try { await (typeof p === 'function' ? p() : p); } catch (e) { return e; } })();
  expect(err, 'should throw').toBeInstanceOf(BiudError);
  expect((err as Error).message).toMatch(pattern);
}

describe('shipped volumes', () => {
  for (const s of SHIPPED) {
    it(s.file, async () => {
      const vol = await readNifti(readData(`data/ct/${s.file}`), { name: s.file });
      expect(vol.dims).toEqual(s.dims);
      vol.spacing.forEach((x, i) => expect(x).toBeCloseTo(s.spacing[i], 6));
      expect(vol.orientation).toBe(s.orientation);
      expect(vol.datatype).toBe('int16');
      expect(vol.data.length).toBe(s.dims[0] * s.dims[1] * s.dims[2]);
      const st = volumeStats(vol.data);
      expect(st.min).toBe(s.min);
      expect(st.max).toBe(s.max);
      expect(st.mean).toBeCloseTo(s.mean, 6);
      rowsOf(vol.affine).flat().forEach((x, i) => expect(x).toBeCloseTo(s.affine[Math.floor(i / 4)][i % 4], 4));
      const nonChest = vol.warnings.filter((w) => /non-chest/.test(w));
      expect(nonChest.length).toBe(s.chest ? 0 : 1);
    });
  }
});

describe('header variants', () => {
  const lidc = () => shippedNii('LIDC-IDRI-0001_ct_3mm.nii.gz');

  it('reads a big-endian file identically', async () => {
    const le = parseNifti(lidc(), { chestCheck: false });
    const be = parseNifti(swapEndian(lidc(), 2, 352), { chestCheck: false });
    expect(be.header.littleEndian).toBe(false);
    expect(be.dims).toEqual(le.dims);
    expect(Array.from(be.affine)).toEqual(Array.from(le.affine));
    // Compared as bytes: vitest's deep equality over 1.6 M elements takes seconds.
    expect(Buffer.from(be.data.buffer).equals(Buffer.from(le.data.buffer))).toBe(true);
  });

  it('uses the qform when sform_code is 0, and it agrees with the sform', () => {
    const bytes = lidc();
    new DataView(bytes.buffer).setInt16(254, 0, true);
    const q = parseNifti(bytes, { chestCheck: false });
    expect(q.affineSource).toBe('qform');
    rowsOf(q.affine).flat().forEach((x, i) => expect(x).toBeCloseTo(SHIPPED[0].affine[Math.floor(i / 4)][i % 4], 4));
  });

  it('qform: a rotation, qfac −1 and offsets match the same affine written as an sform', () => {
    // 90° about z (quaternion (cos 45°, 0, 0, sin 45°)) takes x→y, y→−x; qfac −1 flips the voxel z axis.
    const h = Math.SQRT1_2;
    const common = { dims: [2, 3, 4], datatype: 4, bytesPerVoxel: 2, values: new Array(24).fill(0), pixdim: [-1, 0.5, 2, 3, 1, 1, 1, 1] };
    const q = parseNifti(makeNifti({ ...common, qform: { code: 1, quatern: [0, 0, h], qoffset: [10, 20, 30] } }), { chestCheck: false });
    const s = parseNifti(makeNifti({ ...common, sform: { code: 1, rows: [[0, -2, 0, 10], [0.5, 0, 0, 20], [0, 0, -3, 30]] } }), { chestCheck: false });
    expect(q.affineSource).toBe('qform');
    Array.from(q.affine).forEach((x, i) => expect(x).toBeCloseTo(s.affine[i], 5));
    expect(q.orientation).toBe('ALI');
  });

  it('falls back to the pixdim diagonal with a warning', () => {
    const v = parseNifti(makeNifti({ dims: [2, 2, 2], datatype: 2, bytesPerVoxel: 1, values: [1, 2, 3, 4, 5, 6, 7, 8], pixdim: [1, 2, 3, 4, 1, 1, 1, 1] }), { chestCheck: false });
    expect(v.affineSource).toBe('pixdim');
    expect(rowsOf(v.affine)).toEqual([[2, 0, 0, 0], [0, 3, 0, 0], [0, 0, 4, 0]]);
    expect(v.warnings.join()).toMatch(/no usable sform or qform/);
  });

  it('applies scl_slope/scl_inter, and slope 0 means no scaling', () => {
    const base = { dims: [4], datatype: 512, bytesPerVoxel: 2, values: [0, 1, 1024, 65535] };
    expect(Array.from(parseNifti(makeNifti({ ...base, slope: 2, inter: -1024 }), { chestCheck: false }).data)).toEqual([-1024, -1022, 1024, 130046]);
    expect(Array.from(parseNifti(makeNifti({ ...base, slope: 0, inter: -1024 }), { chestCheck: false }).data)).toEqual([0, 1, 1024, 65535]);
  });

  it('reads every supported datatype, in both byte orders and at odd offsets', () => {
    const cases: [number, number, number[]][] = [
      [2, 1, [0, 255, 7]], [256, 1, [-128, 127, 0]], [4, 2, [-32768, 32767, -1]], [512, 2, [0, 65535, 3]],
      [8, 4, [-2147483648, 2147483647, 5]], [768, 4, [0, 4294967295, 9]], [16, 4, [-1.5, 3.25, 1e30]], [64, 8, [-0.125, 1e300, 2]],
    ];
    for (const [dt, b, values] of cases) {
      for (const littleEndian of [true, false]) {
        for (const voxOffset of [352, 353]) {
          const v = parseNifti(makeNifti({ dims: [3], datatype: dt, bytesPerVoxel: b, values, littleEndian, voxOffset }), { chestCheck: false });
          expect(Array.from(v.data), `datatype ${dt}`).toEqual(values.map((x) => Math.fround(x)));
        }
      }
    }
  });

  it('reads the first volume of a 4-D file, with a warning', () => {
    const v = parseNifti(makeNifti({ dims: [2, 1, 1, 3], datatype: 2, bytesPerVoxel: 1, values: [1, 2, 3, 4, 5, 6] }), { chestCheck: false });
    expect(Array.from(v.data)).toEqual([1, 2]);
    expect(v.warnings.join()).toMatch(/4-D volume \(3 volumes/);
  });

  it('gunzips .nii.gz made by CompressionStream', async () => {
    const nii = makeNifti({ dims: [2, 2], datatype: 4, bytesPerVoxel: 2, values: [1, -2, 3, -4] });
    const v = await readNifti(await gzip(nii), { chestCheck: false });
    expect(Array.from(v.data)).toEqual([1, -2, 3, -4]);
  });
});

describe('refusals name the cause', () => {
  const tiny = (o: Partial<Parameters<typeof makeNifti>[0]> = {}) => makeNifti({ dims: [2, 2, 2], datatype: 4, bytesPerVoxel: 2, values: new Array(8).fill(0), ...o });
  const parse = (b: Uint8Array) => () => parseNifti(b, { name: 'x.nii' });
  const edit = (b: Uint8Array, f: (dv: DataView) => void) => { f(new DataView(b.buffer)); return b; };

  it('DICOM', () => rejects(readNifti(readData('data/ct/CT_small.dcm')), /DICOM detected \('DICM' at byte 128\)/));
  it('ni1 needs its .img', () => rejects(parse(tiny({ magic: 'ni1\0' })), /separate \.img/));
  it('bad magic', () => rejects(parse(tiny({ magic: 'abc\0' })), /bad NIfTI-1 magic/));
  it('sizeof_hdr', () => rejects(parse(edit(tiny(), (dv) => dv.setInt32(0, 347, true))), /sizeof_hdr is 347/));
  it('NIfTI-2', () => rejects(parse(edit(tiny(), (dv) => dv.setInt32(0, 540, true))), /NIfTI-2/));
  it('dim[0]', () => rejects(parse(edit(tiny(), (dv) => dv.setInt16(40, 8, true))), /dim\[0\] = 8, must be 1\.\.7/));
  it('non-positive dim', () => rejects(parse(edit(tiny(), (dv) => dv.setInt16(44, 0, true))), /dim\[2\] = 0, must be positive/));
  it('complex datatype', () => rejects(parse(edit(tiny(), (dv) => dv.setInt16(70, 32, true))), /datatype 32 \(complex64\) is not supported/));
  it('RGB datatype', () => rejects(parse(edit(tiny(), (dv) => dv.setInt16(70, 128, true))), /datatype 128 \(rgb24\)/));
  it('vox_offset below 352', () => rejects(parse(tiny({ voxOffset: 348 })), /vox_offset = 348/));
  it('vox_offset past the end', () => rejects(parse(edit(tiny(), (dv) => dv.setFloat32(108, 1e6, true))), /vox_offset is 1000000 but the file has only 368 bytes/));
  it('truncated voxels', () => rejects(parse(tiny().subarray(0, 360)), /truncated: header says 16 bytes of voxels from offset 352 but the file has 8/));
  it('truncated header', () => rejects(parse(tiny().subarray(0, 100)), /truncated: a NIfTI-1 header is 348 bytes but the file has 100/));
  it('dims product overflows memory', () => rejects(parse(edit(tiny(), (dv) => { dv.setInt16(42, 32767, true); dv.setInt16(44, 32767, true); dv.setInt16(46, 32767, true); })), /dims product overflows memory: dim 32767×32767×32767 of int16/));
  it('not gzip / truncated gzip', async () => {
    const gz = await gzip(tiny());
    await rejects(readNifti(gz.subarray(0, gz.length - 10), { name: 'y.nii.gz' }), /y\.nii\.gz: truncated gzip stream/);
  });
});

describe('reorientation to RAS', () => {
  // Every signed permutation of the axes: 6 permutations × 8 sign patterns.
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  for (const p of perms) {
    for (let signs = 0; signs < 8; signs++) {
      const sg = [0, 1, 2].map((c) => (signs >> c) & 1 ? -1 : 1);
      const codes = p.map((w, c) => (sg[c] < 0 ? 'LPI' : 'RAS')[w]).join('');
      it(codes, () => {
        const dims = [3, 4, 5];
        const spacing = [0.5, 2, 3];
        // Voxel axis c runs along world axis p[c] with sign sg[c].
        const rows = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (p[c] === r ? sg[c] * spacing[c] : 0)).concat([[7, -11, 13][r]]));
        const values = Array.from({ length: 60 }, (_, i) => i);
        const vol = parseNifti(makeNifti({ dims, datatype: 4, bytesPerVoxel: 2, values, pixdim: [1, ...spacing, 1, 1, 1, 1], sform: { code: 1, rows } }), { chestCheck: false });
        expect(vol.orientation).toBe(codes);
        const ras = toRAS(vol);
        expect(ras.orientation).toBe('RAS');
        expect(ras.dims).toEqual([0, 1, 2].map((w) => dims[p.indexOf(w)]));
        expect(ras.spacing).toEqual([0, 1, 2].map((w) => spacing[p.indexOf(w)]));
        // Each voxel keeps its world position: old index = A_old⁻¹ · A_new · new index.
        const inv = mat4.invert(new Float64Array(16), vol.affine)!;
        const m = mat4.multiply(new Float64Array(16), inv, ras.affine);
        for (let k = 0; k < ras.dims[2]; k++) for (let j = 0; j < ras.dims[1]; j++) for (let i = 0; i < ras.dims[0]; i++) {
          const o = [0, 1, 2].map((r) => Math.round(m[r] * i + m[4 + r] * j + m[8 + r] * k + m[12 + r]));
          expect(ras.data[i + ras.dims[0] * (j + ras.dims[1] * k)]).toBe(vol.data[o[0] + dims[0] * (o[1] + dims[1] * o[2])]);
        }
        // And the new affine is diagonal with positive voxel sizes.
        for (let c = 0; c < 3; c++) expect(ras.affine[5 * c]).toBeGreaterThan(0);
      });
    }
  }

  it('LIDC (LPS) to RAS keeps world positions', async () => {
    const vol = await readNifti(readData('data/ct/LIDC-IDRI-0001_ct_3mm.nii.gz'), { chestCheck: false });
    const ras = toRAS(vol);
    expect(ras.orientation).toBe('RAS');
    // Old voxel (0,0,0) sits at new voxel (119, 119, 0): x and y flipped.
    expect(ras.data[119 + 120 * 119]).toBe(vol.data[0]);
    const w = rowsOf(ras.affine).map((r) => r[0] * 119 + r[1] * 119 + r[3]);
    expect(w[0]).toBeCloseTo(164.8515625, 3);
    expect(w[1]).toBeCloseTo(170.5515594, 3);
  });

  it('axis codes of an oblique affine follow the dominant direction', () => {
    const t = (20 * Math.PI) / 180;
    const rows = [[Math.cos(t), -Math.sin(t), 0, 0], [Math.sin(t), Math.cos(t), 0, 0], [0, 0, -1, 0]];
    const v = parseNifti(makeNifti({ dims: [2, 2, 2], datatype: 2, bytesPerVoxel: 1, values: new Array(8).fill(0), sform: { code: 1, rows } }), { chestCheck: false });
    expect(v.orientation).toBe('RAI');
  });
});
