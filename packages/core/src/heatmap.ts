/**
 * Decoding MeTRAbs heatmap heads: soft-argmax over 2D and 3D logits, and the mapping from
 * normalised heatmap coordinates to crop pixels and to metric millimetres.
 *
 * Layouts (one crop; batches are these blocks one after another):
 * - 2D logits: `[H, W, J]` row-major (channels last, as the network's NHWC output).
 * - 3D logits: `[H, W, D, J]` (each of the D·J channels is depth-major: channel d·J + j).
 * Soft-argmax returns coordinates normalised to [0, 1]: cell i of n has weight i/(n−1).
 */
import type { NumericArray } from './arrays.js';
import { GeometryError } from './errors.js';

export interface HeatmapMapping {
  /** Crop side S in pixels (default 256). */
  cropSide?: number;
  /** Stride of the heatmap in crop pixels (32 at training; smaller with dilation). */
  stride?: number;
  /** Receptive-field centres are symmetric in the crop (adds stride/2, rounded down). */
  centeredStride?: boolean;
  /** Reproduces a bug of some released reference models: adds another stride/2. */
  legacyCenteredStrideBug?: boolean;
  /** Metric extent of the 3D volume in x, y and depth, mm (default 2200). */
  boxSizeMm?: number;
}

const DEFAULTS = {
  cropSide: 256,
  stride: 32,
  centeredStride: true,
  legacyCenteredStrideBug: false,
  boxSizeMm: 2200,
};

function resolve(m: HeatmapMapping) {
  const r = { ...DEFAULTS, ...m };
  if (!(Number.isInteger(r.cropSide) && r.cropSide > 0)) {
    throw new GeometryError(
      'invalid-option',
      `cropSide must be a positive integer, got ${r.cropSide}`,
    );
  }
  if (!(Number.isInteger(r.stride) && r.stride > 0)) {
    throw new GeometryError('invalid-option', `stride must be a positive integer, got ${r.stride}`);
  }
  if (!(r.boxSizeMm > 0))
    throw new GeometryError('invalid-option', `boxSizeMm must be positive, got ${r.boxSizeMm}`);
  return r;
}

/**
 * Crop-pixel coordinate of normalised heatmap coordinate t ∈ [0, 1]:
 * t · lastCentre (+ stride/2 with centred striding), where lastCentre is the last crop
 * pixel rounded down to a multiple of the stride.
 */
export function heatmapToCropPixel(t: number, mapping: HeatmapMapping = {}): number {
  const { cropSide, stride, centeredStride, legacyCenteredStrideBug } = resolve(mapping);
  return mapToPixel(t, cropSide, stride, centeredStride, legacyCenteredStrideBug);
}

function mapToPixel(
  t: number,
  side: number,
  stride: number,
  centered: boolean,
  legacy: boolean,
): number {
  const last = side - 1;
  const lastCentre = last - (last % stride);
  const half = Math.floor(stride / 2);
  return t * lastCentre + (centered ? half : 0) + (legacy ? half : 0);
}

/**
 * Maps normalised coordinates in place: 2D points (`dims = 2`, to crop pixels) or 3D points
 * (`dims = 3`, x/y to crop pixels then to mm via boxSizeMm / cropSide, z · boxSizeMm).
 */
export function mapHeatmapCoords(
  coords: Float64Array,
  dims: 2 | 3,
  mapping: HeatmapMapping = {},
): Float64Array {
  const { cropSide, stride, centeredStride, legacyCenteredStrideBug, boxSizeMm } = resolve(mapping);
  const mmPerPixel = boxSizeMm / cropSide;
  for (let i = 0; i < coords.length; i += dims) {
    for (let c = 0; c < 2; c++) {
      const px = mapToPixel(
        coords[i + c]!,
        cropSide,
        stride,
        centeredStride,
        legacyCenteredStrideBug,
      );
      coords[i + c] = dims === 3 ? px * mmPerPixel : px;
    }
    if (dims === 3) coords[i + 2] = coords[i + 2]! * boxSizeMm;
  }
  return coords;
}

function checkLength(logits: NumericArray, expected: number, what: string): void {
  if (logits.length !== expected) {
    throw new GeometryError('shape', `${what}: expected ${expected} values, got ${logits.length}`);
  }
}

/**
 * Soft-argmax of `n` crops of 2D logits `[H, W, J]` → normalised (x, y) per joint, flat
 * `[n, J, 2]`. Softmax is taken over the H·W cells of each joint (max-subtracted).
 */
export function softArgmax2d(
  logits: NumericArray,
  n: number,
  h: number,
  w: number,
  j: number,
): Float64Array {
  checkLength(logits, n * h * w * j, '2D logits [N, H, W, J]');
  const out = new Float64Array(n * j * 2);
  const maxes = new Float64Array(j);
  const sums = new Float64Array(j * 3); // Σe, Σe·x, Σe·y
  const xs = linspaceUnit(w);
  const ys = linspaceUnit(h);
  for (let b = 0; b < n; b++) {
    const base = b * h * w * j;
    maxes.fill(-Infinity);
    sums.fill(0);
    for (let cell = 0; cell < h * w; cell++) {
      for (let k = 0; k < j; k++) maxes[k] = Math.max(maxes[k]!, logits[base + cell * j + k]!);
    }
    for (let yi = 0; yi < h; yi++) {
      for (let xi = 0; xi < w; xi++) {
        const cell = base + (yi * w + xi) * j;
        for (let k = 0; k < j; k++) {
          const e = Math.exp(logits[cell + k]! - maxes[k]!);
          sums[k * 3]! += e;
          sums[k * 3 + 1]! += e * xs[xi]!;
          sums[k * 3 + 2]! += e * ys[yi]!;
        }
      }
    }
    for (let k = 0; k < j; k++) {
      out[(b * j + k) * 2] = sums[k * 3 + 1]! / sums[k * 3]!;
      out[(b * j + k) * 2 + 1] = sums[k * 3 + 2]! / sums[k * 3]!;
    }
  }
  assertDecoded(out, '2D');
  return out;
}

/**
 * Soft-argmax of `n` crops of 3D logits `[H, W, D, J]` → normalised (x, y, z) per joint,
 * flat `[n, J, 3]`. Softmax is taken jointly over the H·W·D cells of each joint.
 */
export function softArgmax3d(
  logits: NumericArray,
  n: number,
  h: number,
  w: number,
  d: number,
  j: number,
): Float64Array {
  checkLength(logits, n * h * w * d * j, '3D logits [N, H, W, D, J]');
  const out = new Float64Array(n * j * 3);
  const maxes = new Float64Array(j);
  const sums = new Float64Array(j * 4);
  const xs = linspaceUnit(w);
  const ys = linspaceUnit(h);
  const zs = linspaceUnit(d);
  const cells = h * w * d;
  for (let b = 0; b < n; b++) {
    const base = b * cells * j;
    maxes.fill(-Infinity);
    sums.fill(0);
    for (let c = 0; c < cells; c++) {
      for (let k = 0; k < j; k++) maxes[k] = Math.max(maxes[k]!, logits[base + c * j + k]!);
    }
    for (let yi = 0; yi < h; yi++) {
      for (let xi = 0; xi < w; xi++) {
        for (let zi = 0; zi < d; zi++) {
          const cell = base + ((yi * w + xi) * d + zi) * j;
          for (let k = 0; k < j; k++) {
            const e = Math.exp(logits[cell + k]! - maxes[k]!);
            sums[k * 4]! += e;
            sums[k * 4 + 1]! += e * xs[xi]!;
            sums[k * 4 + 2]! += e * ys[yi]!;
            sums[k * 4 + 3]! += e * zs[zi]!;
          }
        }
      }
    }
    for (let k = 0; k < j; k++) {
      const o = (b * j + k) * 3;
      out[o] = sums[k * 4 + 1]! / sums[k * 4]!;
      out[o + 1] = sums[k * 4 + 2]! / sums[k * 4]!;
      out[o + 2] = sums[k * 4 + 3]! / sums[k * 4]!;
    }
  }
  assertDecoded(out, '3D');
  return out;
}

function assertDecoded(out: Float64Array, what: string): void {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new GeometryError(
        'non-finite',
        `${what} logits contain NaN or Infinity (joint ${Math.floor(i / (what === '2D' ? 2 : 3))})`,
      );
    }
  }
}

/** Cell weights of the soft-argmax: i / (n − 1) (a single cell gets 0, as linspace(0, 1, 1)). */
function linspaceUnit(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? 0 : i / (n - 1);
  return out;
}

export interface DecodedHeads {
  /** `[n, J, 2]` crop pixels. */
  coords2d: Float64Array;
  /** `[n, J, 3]` mm, relative (arbitrary offset). */
  coords3d: Float64Array;
}

/**
 * Decodes a MeTRAbs head's raw output: 2D logits `[n, H, W, J]` and 3D logits
 * `[n, H, W, D, J]` into crop-pixel 2D coordinates and metric relative 3D coordinates.
 */
export function decodeMetrabsHeads(
  logits2d: NumericArray,
  logits3d: NumericArray,
  shape: { n: number; h: number; w: number; depth: number; joints: number },
  mapping: HeatmapMapping = {},
): DecodedHeads {
  const { n, h, w, depth, joints } = shape;
  const coords2d = mapHeatmapCoords(softArgmax2d(logits2d, n, h, w, joints), 2, mapping);
  const coords3d = mapHeatmapCoords(softArgmax3d(logits3d, n, h, w, depth, joints), 3, mapping);
  return { coords2d, coords3d };
}
