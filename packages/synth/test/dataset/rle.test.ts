import { describe, expect, it } from 'vitest';
import {
  decodeMask,
  encodeMask,
  maskBox,
  rleArea,
  rleBox,
  rleProblems,
} from '../../src/dataset/rle.js';
import { rectMask } from './helpers.js';

/** A deterministic pseudo-random mask. */
function randomMask(w: number, h: number, seed: number, density = 0.3): Uint8Array {
  let s = seed >>> 0 || 1;
  const m = new Uint8Array(w * h);
  for (let i = 0; i < m.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    m[i] = (s >>> 0) / 2 ** 32 < density ? 1 : 0;
  }
  return m;
}

describe('mask run-length encoding', () => {
  it('alternates background/foreground runs, row-major, starting with background', () => {
    // 3 wide × 2 high: row 0 = 0 1 1, row 1 = 1 0 0
    const rle = encodeMask([0, 1, 1, 1, 0, 0], 3, 2);
    expect(rle).toEqual({ size: [2, 3], runs: [1, 3, 2] });
    expect(Array.from(decodeMask(rle))).toEqual([0, 1, 1, 1, 0, 0]);
  });

  it('starts with a run of 0 when the first pixel is foreground', () => {
    expect(encodeMask([true, true, false, true], 2, 2)).toEqual({
      size: [2, 2],
      runs: [0, 2, 1, 1],
    });
  });

  it('handles empty, full and zero-size masks', () => {
    expect(encodeMask(new Uint8Array(12), 4, 3)).toEqual({ size: [3, 4], runs: [12] });
    expect(encodeMask(new Uint8Array(12).fill(1), 4, 3)).toEqual({ size: [3, 4], runs: [0, 12] });
    expect(encodeMask([], 0, 5)).toEqual({ size: [5, 0], runs: [] });
    expect(Array.from(decodeMask({ size: [3, 4], runs: [0, 12] }))).toEqual(Array(12).fill(1));
    expect(decodeMask({ size: [0, 0], runs: [] }).length).toBe(0);
  });

  it('round-trips random masks exactly', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const w = 1 + (seed % 7) * 5;
      const h = 1 + (seed % 5) * 3;
      const m = randomMask(w, h, seed, seed / 21);
      const rle = encodeMask(m, w, h);
      expect(rle.runs.reduce((a, b) => a + b, 0)).toBe(w * h);
      expect(rle.runs.slice(1).every((r) => r > 0)).toBe(true);
      expect(decodeMask(rle)).toEqual(m);
      expect(rleArea(rle)).toBe(m.reduce((a, b) => a + b, 0));
      expect(rleBox(rle)).toEqual(maskBox(m, w, h));
    }
  });

  it('decodes non-canonical runs (interior zero runs) and refuses bad ones', () => {
    expect(Array.from(decodeMask({ size: [1, 4], runs: [1, 0, 1, 2] }))).toEqual([0, 0, 1, 1]);
    expect(() => decodeMask({ size: [2, 2], runs: [1, 2] })).toThrow(/sum to 3/);
    expect(() => decodeMask({ size: [1, 2], runs: [3, -1] })).toThrow(/non-negative/);
    expect(() => decodeMask({ size: [1, 2], runs: [1.5, 0.5] })).toThrow();
    expect(rleProblems({ size: [2], runs: [] })).toHaveLength(1);
    expect(() => encodeMask([1, 0], 3, 1)).toThrow(/pixels/);
  });
});

describe('maskBox', () => {
  it('puts the box edges on pixel edges: x = c0 − 0.5, w = c1 − c0 + 1', () => {
    const m = rectMask(10, 8, 2, 5, 1, 6);
    expect(maskBox(m, 10, 8)).toEqual([1.5, 0.5, 4, 6]);
    expect(rleBox(encodeMask(m, 10, 8))).toEqual([1.5, 0.5, 4, 6]);
  });

  it('gives a 1×1 box for a single pixel and the full image for a full mask', () => {
    const one = new Uint8Array(12);
    one[4 * 1 + 3] = 1; // column 3, row 1 of a 4×3 mask
    expect(maskBox(one, 4, 3)).toEqual([2.5, 0.5, 1, 1]);
    expect(maskBox(new Uint8Array(12).fill(1), 4, 3)).toEqual([-0.5, -0.5, 4, 3]);
  });

  it('is null for an empty mask', () => {
    expect(maskBox(new Uint8Array(20), 5, 4)).toBeNull();
    expect(rleBox({ size: [4, 5], runs: [20] })).toBeNull();
    expect(maskBox([], 0, 0)).toBeNull();
  });

  it('spans full rows when a run wraps a row end', () => {
    // 4×3: row 0 column 3 and row 1 column 0 form one run
    const m = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    expect(maskBox(m, 4, 3)).toEqual([-0.5, -0.5, 4, 2]);
    expect(rleBox(encodeMask(m, 4, 3))).toEqual([-0.5, -0.5, 4, 2]);
  });
});
