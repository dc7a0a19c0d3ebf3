/**
 * Person masks as the dataset format stores them (docs/dataset-format.md): run lengths over the
 * row-major `size = [h, w]` pixel grid, alternating background/foreground, starting with
 * background (so a mask whose first pixel is foreground starts with a run of 0). Pure.
 *
 * Encoding is canonical: no zero runs except that first one, no trailing zero run; an all-
 * background mask is `[h·w]`, an all-foreground one `[0, h·w]`, a 0-pixel grid `[]`.
 */
import { SynthError } from '../errors.js';

export interface MaskRle {
  /** `[h, w]`. */
  size: [number, number];
  runs: number[];
}

/** A mask given as one value per pixel, row-major; non-zero (or `true`) is foreground. */
export type MaskPixels = ArrayLike<number | boolean>;

function checkSize(w: number, h: number): void {
  if (!Number.isSafeInteger(w) || !Number.isSafeInteger(h) || w < 0 || h < 0) {
    throw new SynthError('bad-option', `mask size must be non-negative integers, got ${w}×${h}`);
  }
}

function checkPixels(mask: MaskPixels, w: number, h: number): void {
  checkSize(w, h);
  if (mask.length !== w * h) {
    throw new SynthError('bad-option', `mask has ${mask.length} pixels, expected ${w}×${h}`);
  }
}

/** Run-length encodes a `w × h` row-major mask. */
export function encodeMask(mask: MaskPixels, w: number, h: number): MaskRle {
  checkPixels(mask, w, h);
  const runs: number[] = [];
  let current = false; // runs start with background
  let length = 0;
  for (let i = 0; i < mask.length; i++) {
    const fg = Boolean(mask[i]);
    if (fg !== current) {
      runs.push(length);
      current = fg;
      length = 0;
    }
    length++;
  }
  if (mask.length > 0) runs.push(length);
  return { size: [h, w], runs };
}

/**
 * Problems with a run-length mask (empty when it is valid): size must be two non-negative
 * integers, runs non-negative integers that sum to h·w.
 */
export function rleProblems(rle: unknown): string[] {
  if (typeof rle !== 'object' || rle === null) return ['mask must be an object'];
  const { size, runs } = rle as { size?: unknown; runs?: unknown };
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)
  ) {
    return ['mask.size must be [h, w] with non-negative integers'];
  }
  if (!Array.isArray(runs)) return ['mask.runs must be an array'];
  let sum = 0;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i] as unknown;
    if (!Number.isSafeInteger(r) || (r as number) < 0) {
      return [`mask.runs[${i}] must be a non-negative integer, got ${String(r)}`];
    }
    sum += r as number;
  }
  const [h, w] = size as [number, number];
  if (sum !== h * w) return [`mask runs sum to ${sum}, expected ${h}×${w} = ${h * w}`];
  return [];
}

/** Decodes a run-length mask into `h·w` bytes (1 = foreground), row-major. */
export function decodeMask(rle: MaskRle): Uint8Array {
  const problems = rleProblems(rle);
  if (problems.length > 0) throw new SynthError('bad-option', problems[0]!);
  const [h, w] = rle.size;
  const out = new Uint8Array(h * w);
  let offset = 0;
  for (let i = 0; i < rle.runs.length; i++) {
    const r = rle.runs[i]!;
    if (i % 2 === 1) out.fill(1, offset, offset + r);
    offset += r;
  }
  return out;
}

/** Number of foreground pixels of a run-length mask. */
export function rleArea(rle: MaskRle): number {
  let area = 0;
  for (let i = 1; i < rle.runs.length; i += 2) area += rle.runs[i]!;
  return area;
}

/** A tight pixel box `[x, y, w, h]` in the format's convention: edges lie on pixel edges. */
export type Box = [number, number, number, number];

function boxOf(c0: number, c1: number, r0: number, r1: number): Box | null {
  if (c1 < c0) return null;
  // Pixel columns c0…c1 cover [c0 − 0.5, c1 + 0.5] since integer coordinates are pixel centres.
  return [c0 - 0.5, r0 - 0.5, c1 - c0 + 1, r1 - r0 + 1];
}

/**
 * The tight box around the foreground of a `w × h` row-major mask: for pixel columns c0…c1 and
 * rows r0…r1, `[c0 − 0.5, r0 − 0.5, c1 − c0 + 1, r1 − r0 + 1]`; `null` for an empty mask.
 */
export function maskBox(mask: MaskPixels, w: number, h: number): Box | null {
  checkPixels(mask, w, h);
  let c0 = w;
  let c1 = -1;
  let r0 = h;
  let r1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (mask[row + x]) {
        if (x < c0) c0 = x;
        if (x > c1) c1 = x;
        if (y < r0) r0 = y;
        r1 = y;
      }
    }
  }
  return boxOf(c0, c1, r0, r1);
}

/** The same box as `maskBox`, computed from the runs without decoding the mask. */
export function rleBox(rle: MaskRle): Box | null {
  const problems = rleProblems(rle);
  if (problems.length > 0) throw new SynthError('bad-option', problems[0]!);
  const w = rle.size[1];
  let c0 = w;
  let c1 = -1;
  let r0 = Number.POSITIVE_INFINITY;
  let r1 = -1;
  let offset = 0;
  for (let i = 0; i < rle.runs.length; i++) {
    const r = rle.runs[i]!;
    if (i % 2 === 1 && r > 0) {
      const first = offset;
      const last = offset + r - 1;
      const y0 = Math.floor(first / w);
      const y1 = Math.floor(last / w);
      if (y0 < r0) r0 = y0;
      if (y1 > r1) r1 = y1;
      if (y1 > y0) {
        // The run wraps a row end: row y0 reaches column w − 1 and row y1 starts at column 0.
        c0 = 0;
        c1 = w - 1;
      } else {
        c0 = Math.min(c0, first % w);
        c1 = Math.max(c1, last % w);
      }
    }
    offset += r;
  }
  return boxOf(c0, c1, r0, r1);
}
