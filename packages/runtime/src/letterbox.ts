/**
 * Letterboxing for YOLOX-style detectors: bilinear resize of an RGB image into the top-left
 * corner of a square canvas, written as a planar BGR float32 tensor `[1, 3, size, size]`
 * with values 0–255 (no normalisation).
 *
 * The resize follows OpenCV's `cv2.resize(..., INTER_LINEAR)` as YOLOX's pre-processing
 * calls it: the resized size is `floor(W·r) × floor(H·r)` with `r = min(size/H, size/W)`,
 * and every output pixel samples the source at its centre, `src = (dst + 0.5)·(W/W') − 0.5`
 * (per axis, with the actual size ratio as OpenCV does), clamped to the image, with the
 * result rounded to an integer like OpenCV's 8-bit output. OpenCV interpolates in fixed
 * point, so values can differ from it by ±1. No area averaging is done when shrinking,
 * again like INTER_LINEAR.
 *
 * Pure TypeScript, no Node APIs.
 */
import type { RgbImage } from './types.js';

/** The canvas fill value of YOLOX's pre-processing. */
export const LETTERBOX_PAD_VALUE = 114;

export interface LetterboxOptions {
  /** Side of the square canvas (default 416). */
  size?: number;
  /** Canvas fill value (default 114). */
  padValue?: number;
  /**
   * Letterbox the horizontally mirrored image instead (the source is read mirrored; the
   * image is not copied). Boxes found in it map back with `x ↦ W − x − w`.
   */
  flip?: boolean;
  /** Write into this buffer (length 3·size²) instead of allocating one. */
  out?: Float32Array;
}

export interface Letterbox {
  /** Planar BGR, `data[c·size² + y·size + x]`, c = 0 (B), 1 (G), 2 (R); values 0–255. */
  readonly data: Float32Array;
  readonly dims: readonly [1, 3, number, number];
  /** The nominal scale r = min(size/H, size/W): image pixel · r = canvas pixel. */
  readonly scale: number;
  /** Size of the resized image on the canvas (it covers x < width, y < height). */
  readonly width: number;
  readonly height: number;
}

/**
 * Throws a RangeError unless `image` is a non-empty 8-bit RGB image whose data holds
 * exactly width·height·3 bytes. `what` names the image in the message.
 */
export function assertRgbImage(image: RgbImage, what = 'image'): void {
  if (image === null || typeof image !== 'object') {
    throw new RangeError(`${what} must be an RgbImage { width, height, data }, got ${image}`);
  }
  const { width, height, data } = image;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new RangeError(
      `${what} must have a positive integer width and height, got ${width}×${height}`,
    );
  }
  if (!(data instanceof Uint8Array)) {
    throw new RangeError(`${what}.data must be a Uint8Array of RGB bytes`);
  }
  const expected = width * height * 3;
  if (data.length !== expected) {
    const hint = data.length === width * height * 4 ? ' (this looks like RGBA: drop alpha)' : '';
    throw new RangeError(
      `${what}.data must hold width·height·3 = ${expected} bytes (${width}×${height} RGB), ` +
        `got ${data.length}${hint}`,
    );
  }
}

/** Resized extent along one axis: floor(n·r), at least 1 and at most `size`. */
function resizedExtent(n: number, r: number, size: number): number {
  // The epsilon only repairs floating-point products such as 23·(416/23) = 415.99999999999994;
  // a genuine fraction is at least 1/n away from an integer.
  return Math.min(size, Math.max(1, Math.floor(n * r + 1e-9)));
}

/** OpenCV's fixed-point scale of interpolation weights (INTER_RESIZE_COEF_SCALE). */
const COEF_SCALE = 2048;

/** Float → nearest integer, ties to even (cvRound). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * OpenCV's linear taps along one axis for `dstN` outputs from `srcN` inputs: the source
 * position `(d + 0.5)·scale − 0.5` in float32, split into the lower index and the
 * fixed-point weights of the lower and upper sample (summing to 2048). `clampWeight`
 * zeroes the fraction outside the image, as OpenCV does for columns (for rows it only
 * clamps the row indices, which gives the same value up to rounding).
 */
function linearTaps(srcN: number, dstN: number, clampWeight: boolean) {
  const lo = new Int32Array(dstN);
  const w0 = new Int32Array(dstN);
  const w1 = new Int32Array(dstN);
  const scale = 1 / (dstN / srcN);
  for (let d = 0; d < dstN; d++) {
    const f = Math.fround((d + 0.5) * scale - 0.5);
    let i = Math.floor(f);
    let a = Math.fround(f - i);
    if (clampWeight) {
      if (i < 0) {
        i = 0;
        a = 0;
      }
      if (i >= srcN - 1) {
        i = srcN - 1;
        a = 0;
      }
    }
    lo[d] = i;
    w0[d] = roundHalfEven(Math.fround(Math.fround(1 - a) * COEF_SCALE));
    w1[d] = roundHalfEven(Math.fround(a * COEF_SCALE));
  }
  return { lo, w0, w1 };
}

/**
 * Resizes `image` into the top-left of a `size`×`size` canvas filled with `padValue` and
 * returns the planar BGR float32 tensor data (see the module comment for the exact rule).
 */
export function letterbox(image: RgbImage, options: LetterboxOptions = {}): Letterbox {
  assertRgbImage(image);
  const size = options.size ?? 416;
  const padValue = options.padValue ?? LETTERBOX_PAD_VALUE;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`letterbox size must be a positive integer, got ${size}`);
  }
  if (!Number.isFinite(padValue)) {
    throw new RangeError(`letterbox padValue must be finite, got ${padValue}`);
  }
  const plane = size * size;
  let out = options.out;
  if (out === undefined) {
    out = new Float32Array(3 * plane);
  } else if (out.length !== 3 * plane) {
    throw new RangeError(
      `letterbox out must have length 3·${size}² = ${3 * plane}, got ${out.length}`,
    );
  }
  out.fill(padValue);

  const { width: W, height: H, data: src } = image;
  const scale = Math.min(size / H, size / W);
  const outW = resizedExtent(W, scale, size);
  const outH = resizedExtent(H, scale, size);
  const xs = linearTaps(W, outW, true);
  const ys = linearTaps(H, outH, false);
  const flip = options.flip === true;
  // Byte offsets of the two column taps within a row (mirrored columns for `flip`).
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  for (let dx = 0; dx < outW; dx++) {
    const lo = xs.lo[dx]!;
    const hi = Math.min(lo + 1, W - 1);
    x0[dx] = (flip ? W - 1 - lo : lo) * 3;
    x1[dx] = (flip ? W - 1 - hi : hi) * 3;
  }
  const stride = W * 3;
  const planeG = plane;
  const planeR = 2 * plane;

  for (let dy = 0; dy < outH; dy++) {
    const lo = ys.lo[dy]!;
    const row0 = Math.min(Math.max(lo, 0), H - 1) * stride;
    const row1 = Math.min(Math.max(lo + 1, 0), H - 1) * stride;
    const b0 = ys.w0[dy]!;
    const b1 = ys.w1[dy]!;
    let o = dy * size;
    for (let dx = 0; dx < outW; dx++, o++) {
      const a0 = xs.w0[dx]!;
      const a1 = xs.w1[dx]!;
      const p0 = row0 + x0[dx]!;
      const p1 = row0 + x1[dx]!;
      const q0 = row1 + x0[dx]!;
      const q1 = row1 + x1[dx]!;
      // OpenCV's 8-bit path: exact horizontal sums (scale 2048), then the vertical blend
      // as its SIMD code does it: ((s0 >> 4)·b0 >> 16) + ((s1 >> 4)·b1 >> 16), + 2, >> 2.
      // Source channel R, G, B goes to plane 2, 1, 0.
      let s0 = src[p0]! * a0 + src[p1]! * a1;
      let s1 = src[q0]! * a0 + src[q1]! * a1;
      out[planeR + o] = Math.min(
        255,
        ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2,
      );
      s0 = src[p0 + 1]! * a0 + src[p1 + 1]! * a1;
      s1 = src[q0 + 1]! * a0 + src[q1 + 1]! * a1;
      out[planeG + o] = Math.min(
        255,
        ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2,
      );
      s0 = src[p0 + 2]! * a0 + src[p1 + 2]! * a1;
      s1 = src[q0 + 2]! * a0 + src[q1 + 2]! * a1;
      out[o] = Math.min(255, ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2);
    }
  }
  return { data: out, dims: [1, 3, size, size], scale, width: outW, height: outH };
}
