import { describe, expect, it } from 'vitest';
import { GeometryError } from '../src/errors.js';
import {
  decodeMetrabsHeads,
  heatmapToCropPixel,
  mapHeatmapCoords,
  softArgmax2d,
  softArgmax3d,
} from '../src/heatmap.js';

describe('heatmap → crop pixel mapping', () => {
  it('centred striding: cells sit at 16, 48, …, 240 for S = 256, stride 32', () => {
    // 8 cells: t = i / 7; the last cell centre is 7·32 + 16 = 240.
    expect(heatmapToCropPixel(0)).toBe(16);
    expect(heatmapToCropPixel(1)).toBe(240);
    expect(heatmapToCropPixel(3 / 7)).toBeCloseTo(112, 12);
  });

  it('without centred striding the cells start at 0; the legacy bug adds stride/2', () => {
    expect(heatmapToCropPixel(1, { centeredStride: false })).toBe(224);
    expect(heatmapToCropPixel(0, { centeredStride: false, legacyCenteredStrideBug: true })).toBe(
      16,
    );
    expect(heatmapToCropPixel(0, { centeredStride: true, legacyCenteredStrideBug: true })).toBe(32);
  });

  it('handles crop sides that are not a multiple of the stride (last centre rounds down)', () => {
    // S = 250: last pixel 249, 249 mod 32 = 25, last centre 224.
    expect(heatmapToCropPixel(1, { cropSide: 250, centeredStride: false })).toBe(224);
    // A denser test-time stride (dilation): stride 16, S = 256 → last centre 240, +8.
    expect(heatmapToCropPixel(1, { stride: 16 })).toBe(248);
  });

  it('maps 3D coordinates to millimetres with the box size', () => {
    const c = mapHeatmapCoords(Float64Array.of(0, 1, 0.5), 3);
    expect(c[0]).toBeCloseTo((16 * 2200) / 256, 9);
    expect(c[1]).toBeCloseTo((240 * 2200) / 256, 9);
    expect(c[2]).toBeCloseTo(1100, 9);
  });
});

describe('soft-argmax', () => {
  it('a sharply peaked 2D heatmap decodes to its cell', () => {
    const h = 8,
      w = 8,
      j = 2;
    const logits = new Float32Array(h * w * j).fill(-50);
    logits[(3 * w + 5) * j + 0] = 50; // joint 0 at row 3, column 5
    logits[(7 * w + 0) * j + 1] = 50; // joint 1 at row 7, column 0
    const t = softArgmax2d(logits, 1, h, w, j);
    expect(t[0]).toBeCloseTo(5 / 7, 9);
    expect(t[1]).toBeCloseTo(3 / 7, 9);
    expect(t[2]).toBeCloseTo(0, 9);
    expect(t[3]).toBeCloseTo(1, 9);
  });

  it('a peaked 3D volume decodes to (x, y, z) = (column, row, depth bin)', () => {
    const h = 4,
      w = 6,
      d = 8,
      j = 1;
    const logits = new Float64Array(h * w * d * j).fill(0);
    logits[((2 * w + 4) * d + 6) * j] = 80;
    const t = softArgmax3d(logits, 1, h, w, d, j);
    expect(t[0]).toBeCloseTo(4 / 5, 9);
    expect(t[1]).toBeCloseTo(2 / 3, 9);
    expect(t[2]).toBeCloseTo(6 / 7, 9);
  });

  it('uniform logits decode to the centre; large logits do not overflow', () => {
    const t = softArgmax2d(new Float64Array(5 * 7).fill(1000), 1, 5, 7, 1);
    expect(t[0]).toBeCloseTo(0.5, 12);
    expect(t[1]).toBeCloseTo(0.5, 12);
  });

  it('decodeMetrabsHeads returns pixels and millimetres of the right shapes', () => {
    const n = 3,
      h = 8,
      w = 8,
      depth = 8,
      joints = 4;
    const out = decodeMetrabsHeads(
      new Float32Array(n * h * w * joints),
      new Float32Array(n * h * w * depth * joints),
      { n, h, w, depth, joints },
    );
    expect(out.coords2d.length).toBe(n * joints * 2);
    expect(out.coords3d.length).toBe(n * joints * 3);
    expect(out.coords2d[0]).toBeCloseTo(128, 9); // centre of 16…240
    expect(out.coords3d[2]).toBeCloseTo(1100, 9);
  });

  it('rejects wrong lengths and NaN logits', () => {
    expect(() => softArgmax2d(new Float32Array(10), 1, 2, 2, 2)).toThrow(GeometryError);
    const bad = new Float32Array(8).fill(0);
    bad[3] = Number.NaN;
    expect(() => softArgmax2d(bad, 1, 2, 2, 2)).toThrow(/NaN/);
    expect(() => heatmapToCropPixel(0, { stride: 0 })).toThrow(GeometryError);
  });
});
