// The NIfTI writer against the reader: what `biud cohort --format nifti` writes must come back as
// the same Hounsfield units, grid and RAS orientation, gzipped or not.
import { describe, expect, it } from 'vitest';
import { BiudError } from '../../engine/errors.ts';
import { readNifti, toRAS } from '../../models/data/nifti.ts';
import { writeNifti } from '../../models/data/nifti-write.ts';
import { gzip } from '../../models/data/gzip.ts';

const dims: [number, number, number] = [5, 4, 3];
const spacing: [number, number, number] = [2, 2.5, 3];
// Distinct values per voxel, so a transposed or flipped read cannot pass.
const data = Float32Array.from({ length: 60 }, (_, i) => -1000 + 37 * i + (i % 2 ? 0.4 : -0.4));

describe('writeNifti', () => {
  it('round-trips HU, dims, spacing and RAS orientation, plain and gzipped', async () => {
    for (const bytes of [writeNifti({ data, dims, spacing }), await gzip(writeNifti({ data, dims, spacing }))]) {
      const vol = await readNifti(bytes, { name: 'w.nii', chestCheck: false });
      expect(vol.dims).toEqual(dims);
      expect(vol.spacing).toEqual(spacing);
      expect(vol.orientation).toBe('RAS');
      expect(vol.affineSource).toBe('sform');
      expect(vol.warnings).toEqual([]);
      expect(toRAS(vol)).toBe(vol);
      expect(Array.from(vol.data)).toEqual(Array.from(data, Math.round));
      // The centre voxel sits at the world origin.
      const a = vol.affine;
      expect([0, 1, 2].map((r) => a[12 + r] + ((dims[r] - 1) / 2) * spacing[r])).toEqual([0, 0, 0]);
    }
  });

  it('clamps to int16 and names what it cannot store', () => {
    const v = writeNifti({ data: Float32Array.of(40000, -40000, 1), dims: [3, 1, 1], spacing: [1, 1, 1] });
    const dv = new DataView(v.buffer, 352);
    expect([0, 1, 2].map((i) => dv.getInt16(2 * i, true))).toEqual([32767, -32768, 1]);
    expect(() => writeNifti({ data: Float32Array.of(NaN), dims: [1, 1, 1], spacing: [1, 1, 1] })).toThrow(/voxel 0 is NaN/);
    expect(() => writeNifti({ data, dims: [5, 4, 2], spacing })).toThrow(BiudError);
    expect(() => writeNifti({ data, dims, spacing: [0, 1, 1] })).toThrow(/spacing must be positive/);
  });
});
