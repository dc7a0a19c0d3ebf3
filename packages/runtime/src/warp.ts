/**
 * Perspective crops: renders the S×S images the MeTRAbs crop network sees, one per person box
 * and test-time augmentation, from a `CropGeometry` built by `buildCropCamera`.
 *
 * Pure TypeScript on typed arrays (no Node APIs), so it runs the same in browsers. The
 * rendering follows the reference multi-person model (docs/geometry.md):
 *
 * 1. The image is decoded to linear light, `(x/255)^2.2`, and a small pyramid of 2×2
 *    box-filtered levels is built (`LinearImagePyramid`) — lazily, only over the window of
 *    each level that the crops sample.
 * 2. Each crop picks the level `clamp(⌊−log2(zoom·a)⌋, 0, levels − 1)` (a = anti-aliasing
 *    factor); the level's pixel grid is the image's under `cornerAlignedScale(2^−level)`.
 * 3. Every pixel of an a·S × a·S render is mapped into the level — a homography without lens
 *    distortion, a per-pixel map with it — and sampled bilinearly with zeros outside the image
 *    (the image behaves as if padded with black: values fade to 0 over the last pixel).
 * 4. a×a blocks are averaged down to S×S, and the result is raised to `gamma/2.2`, which
 *    undoes the decoding for gamma = 1 and applies the augmentation's gamma otherwise.
 *
 * Output layout: row-major `[v][u][c]` float32 RGB in [0, 1] (NHWC for a batch).
 */
import {
  type Camera,
  type CropGeometry,
  cornerAlignedScale,
  cropToImageHomography,
  cropToImageMap,
  GeometryError,
  invert3,
  type Mat3,
  multiply3,
} from '../../core/src/index.js';
import type { RgbImage } from './types.js';

/** The power with which 8-bit pixel values are decoded to linear light (as the reference). */
export const DECODING_GAMMA = 2.2;
/** Pyramid levels of the reference (`warp_images_with_pyramid`): full, ½ and ¼ resolution. */
export const DEFAULT_PYRAMID_LEVELS = 3;

/** `(i/255)^2.2` for every 8-bit value, computed in float64 and stored as float32. */
export const SRGB_TO_LINEAR: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = (i / 255) ** DECODING_GAMMA;
  return table;
})();

/** One level of the pyramid: float32 linear-light RGB, `data[(y * width + x) * 3 + c]`. */
export interface LinearImageLevel {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

function checkImageSize(width: number, height: number, length: number, what: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new GeometryError(
      'shape',
      `${what}: width and height must be positive integers, got ${width}×${height}`,
    );
  }
  if (length !== width * height * 3) {
    throw new GeometryError(
      'shape',
      `${what}: expected ${width}×${height}×3 = ${width * height * 3} values, got ${length}`,
    );
  }
}

/** Side of the square tiles in which pyramid levels are converted / built on demand. */
const TILE = 32;
const TILE_SHIFT = 5;

/** A level's storage: allocated at full size on first use, filled tile by tile. */
interface LevelState {
  readonly level: LinearImageLevel;
  readonly tilesX: number;
  /** 1 for every tile whose pixels are computed (row-major over tilesX × tilesY). */
  readonly built: Uint8Array;
  /** Tiles not built yet; 0 when the whole level is ready. */
  remaining: number;
}

/**
 * An image in linear light with a lazily built pyramid of 2×2 box-filtered half-resolution
 * levels (an odd last row or column is dropped, as `avg_pool2d` 'VALID'). Build it once per
 * input image and render all its crops from it.
 *
 * Nothing is converted up front: each level is filled in tiles of 32×32 level pixels, only
 * where a crop samples it (`renderCrop` asks for the window its crop covers). Level 1 is
 * computed from the 8-bit pixels directly (averages of four `SRGB_TO_LINEAR` values — the
 * same numbers as halving a converted level 0), so crops that shrink the image never touch
 * full resolution; level i ≥ 2 is halved from level i − 1.
 */
export class LinearImagePyramid {
  /** Size of the full-resolution image (level 0). */
  readonly width: number;
  readonly height: number;
  /** Number of usable levels: the requested count, fewer if the image is too small to halve. */
  readonly levelCount: number;
  /** The 8-bit source, or undefined when built from a linear float image. */
  private readonly bytes: Uint8Array | undefined;
  private readonly states: (LevelState | undefined)[];

  /**
   * From an 8-bit RGB image (converted to linear light lazily), or from an image that is
   * already linear-light float32 RGB in [0, 1] (used as level 0 without copying). The other
   * levels are built on demand.
   */
  constructor(image: RgbImage | LinearImageLevel, levelCount = DEFAULT_PYRAMID_LEVELS) {
    const { width, height } = image;
    this.width = width;
    this.height = height;
    this.states = [];
    if (image.data instanceof Float32Array) {
      checkImageSize(width, height, image.data.length, 'linear image');
      this.bytes = undefined;
      this.states[0] = {
        level: { width, height, data: image.data },
        tilesX: 0,
        built: new Uint8Array(0),
        remaining: 0,
      };
    } else {
      checkImageSize(width, height, image.data.length, 'RGB image');
      this.bytes = image.data;
    }
    this.levelCount = LinearImagePyramid.usableLevels(width, height, levelCount);
  }

  private static usableLevels(width: number, height: number, requested: number): number {
    if (!(Number.isInteger(requested) && requested >= 1)) {
      throw new GeometryError(
        'invalid-option',
        `pyramid level count must be a positive integer, got ${requested}`,
      );
    }
    let n = 1;
    while (n < requested && width >> n > 0 && height >> n > 0) n++;
    return n;
  }

  private checkLevel(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.levelCount)) {
      throw new GeometryError(
        'invalid-option',
        `pyramid level must be an integer in [0, ${this.levelCount - 1}], got ${i}`,
      );
    }
  }

  private state(i: number): LevelState {
    let state = this.states[i];
    if (state === undefined) {
      const width = this.width >> i;
      const height = this.height >> i;
      const tilesX = (width + TILE - 1) >> TILE_SHIFT;
      const tiles = tilesX * ((height + TILE - 1) >> TILE_SHIFT);
      state = {
        level: { width, height, data: new Float32Array(width * height * 3) },
        tilesX,
        built: new Uint8Array(tiles),
        remaining: tiles,
      };
      this.states[i] = state;
    }
    return state;
  }

  /** Level `i` (0 = full resolution), completely built (the first time it is asked for). */
  level(i: number): LinearImageLevel {
    this.checkLevel(i);
    return this.region(i, 0, 0, this.width >> i, this.height >> i);
  }

  /**
   * Level `i` with (at least) the pixels x0 ≤ x < x1, y0 ≤ y < y1 built (level pixel
   * coordinates, clipped to the level); pixels elsewhere may still be 0. The returned level
   * always has the level's full size, so coordinates need no offset.
   */
  region(i: number, x0: number, y0: number, x1: number, y1: number): LinearImageLevel {
    this.checkLevel(i);
    const state = this.state(i);
    const { width, height } = state.level;
    // Clipped to the level; NaN bounds count as unbounded.
    const xa = x0 > 0 ? Math.floor(x0) : 0;
    const ya = y0 > 0 ? Math.floor(y0) : 0;
    const xb = x1 < width ? Math.ceil(x1) : width;
    const yb = y1 < height ? Math.ceil(y1) : height;
    if (state.remaining === 0 || !(xa < xb && ya < yb)) return state.level;
    const tx0 = xa >> TILE_SHIFT;
    const ty0 = ya >> TILE_SHIFT;
    const tx1 = (xb - 1) >> TILE_SHIFT;
    const ty1 = (yb - 1) >> TILE_SHIFT;
    // Runs of missing tiles in a tile row are built together (one call per run).
    for (let ty = ty0; ty <= ty1; ty++) {
      let tx = tx0;
      while (tx <= tx1) {
        if (state.built[ty * state.tilesX + tx] !== 0) {
          tx++;
          continue;
        }
        let end = tx;
        while (end + 1 <= tx1 && state.built[ty * state.tilesX + end + 1] === 0) end++;
        const px0 = tx << TILE_SHIFT;
        const py0 = ty << TILE_SHIFT;
        const px1 = Math.min(width, (end + 1) << TILE_SHIFT);
        const py1 = Math.min(height, (ty + 1) << TILE_SHIFT);
        this.build(i, state.level, px0, py0, px1, py1);
        for (let t = tx; t <= end; t++) state.built[ty * state.tilesX + t] = 1;
        state.remaining -= end - tx + 1;
        tx = end + 1;
      }
    }
    return state.level;
  }

  /** Computes the pixels [x0, x1) × [y0, y1) of level i (> 0 unless decoding 8-bit). */
  private build(
    i: number,
    level: LinearImageLevel,
    x0: number,
    y0: number,
    x1: number,
    y1: number,
  ): void {
    const dst = level.data;
    const lut = SRGB_TO_LINEAR;
    const bytes = this.bytes;
    if (i === 0) {
      // Only reached for 8-bit sources (a float level 0 is complete from the start).
      const src = bytes!;
      for (let y = y0; y < y1; y++) {
        const end = (y * level.width + x1) * 3;
        for (let k = (y * level.width + x0) * 3; k < end; k++) dst[k] = lut[src[k]!]!;
      }
      return;
    }
    if (i === 1 && bytes !== undefined) {
      // Straight from the bytes: the same float32 values a converted level 0 would hold.
      const stride = this.width * 3;
      for (let y = y0; y < y1; y++) {
        let o = (y * level.width + x0) * 3;
        let s = 2 * y * stride + 6 * x0;
        for (let x = x0; x < x1; x++, s += 6, o += 3) {
          const t = s + stride;
          dst[o] =
            0.25 * (lut[bytes[s]!]! + lut[bytes[s + 3]!]! + lut[bytes[t]!]! + lut[bytes[t + 3]!]!);
          dst[o + 1] =
            0.25 *
            (lut[bytes[s + 1]!]! + lut[bytes[s + 4]!]! + lut[bytes[t + 1]!]! + lut[bytes[t + 4]!]!);
          dst[o + 2] =
            0.25 *
            (lut[bytes[s + 2]!]! + lut[bytes[s + 5]!]! + lut[bytes[t + 2]!]! + lut[bytes[t + 5]!]!);
        }
      }
      return;
    }
    const finer = this.region(i - 1, 2 * x0, 2 * y0, 2 * x1, 2 * y1);
    const src = finer.data;
    const stride = finer.width * 3;
    for (let y = y0; y < y1; y++) {
      let o = (y * level.width + x0) * 3;
      let s = 2 * y * stride + 6 * x0;
      for (let x = x0; x < x1; x++, s += 6, o += 3) {
        const t = s + stride;
        dst[o] = 0.25 * (src[s]! + src[s + 3]! + src[t]! + src[t + 3]!);
        dst[o + 1] = 0.25 * (src[s + 1]! + src[s + 4]! + src[t + 1]! + src[t + 4]!);
        dst[o + 2] = 0.25 * (src[s + 2]! + src[s + 5]! + src[t + 2]! + src[t + 5]!);
      }
    }
  }

  /**
   * Whether level `i` has been built already — at least the part that some crop (or a
   * `region` call) needed; `level(i)` completes it.
   */
  isBuilt(i: number): boolean {
    return this.states[i] !== undefined;
  }
}

/**
 * The pyramid level a crop is sampled from: `clamp(⌊−log2(zoom · antialiasFactor)⌋, 0,
 * levelCount − 1)`, where `zoom` is the crop's focal-length multiplier (`crop.zoom`). A crop
 * that shrinks the image by 2× or more (after the anti-aliasing render) uses a coarser level.
 */
export function choosePyramidLevel(
  zoom: number,
  antialiasFactor = 1,
  levelCount = DEFAULT_PYRAMID_LEVELS,
): number {
  const scale = zoom * antialiasFactor;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new GeometryError('invalid-option', `crop zoom must be positive and finite, got ${zoom}`);
  }
  const level = Math.floor(-Math.log2(scale));
  return Math.min(Math.max(level, 0), levelCount - 1);
}

export interface RenderCropOptions {
  /**
   * Render at a·S × a·S and average a×a blocks (anti-aliasing), a positive integer; default 1.
   * The reference pipeline's default is 1; 2 or 4 reduce aliasing for crops that shrink the
   * image.
   */
  antialiasFactor?: number;
  /**
   * Gamma applied to the linear-light crop as `p^(gamma/2.2)`. Default: the crop's
   * `augmentation.gamma` (1 for no augmentation, which restores the original encoding).
   */
  gamma?: number;
}

// Scratch buffers shared by all calls (rendering is synchronous, so no call can interleave).
let renderScratch = new Float32Array(0);
let mapScratch = new Float32Array(0);

function scratchRender(n: number): Float32Array {
  if (renderScratch.length < n) renderScratch = new Float32Array(n);
  return renderScratch;
}

function scratchMap(n: number): Float32Array {
  if (mapScratch.length < n) mapScratch = new Float32Array(n);
  return mapScratch.length === n ? mapScratch : mapScratch.subarray(0, n);
}

/**
 * Bilinear sample of `src` (W×H RGB) at (x, y) for positions whose 2×2 neighbourhood is not
 * entirely inside the image (the interior case is inlined in the warp loops), treating
 * everything outside the image as 0: a pixel whose support leaves the image fades linearly
 * to 0 over the last pixel, the same as sampling an image padded with a one-pixel black
 * border. Writes 3 values at `dst[o]`.
 */
function sampleBorder(
  src: Float32Array,
  W: number,
  H: number,
  x: number,
  y: number,
  dst: Float32Array,
  o: number,
): void {
  const xf = Math.floor(x);
  const yf = Math.floor(y);
  // NaN coordinates fail every comparison and land here too.
  if (!(xf >= -1 && yf >= -1 && xf < W && yf < H)) {
    dst[o] = 0;
    dst[o + 1] = 0;
    dst[o + 2] = 0;
    return;
  }
  const fx = x - xf;
  const fy = y - yf;
  // Each of the four neighbours contributes only if it is inside the image.
  const left = xf >= 0;
  const right = xf + 1 < W;
  const top = yf >= 0;
  const bottom = yf + 1 < H;
  const w00 = left && top ? (1 - fx) * (1 - fy) : 0;
  const w01 = right && top ? fx * (1 - fy) : 0;
  const w10 = left && bottom ? (1 - fx) * fy : 0;
  const w11 = right && bottom ? fx * fy : 0;
  const i = (yf * W + xf) * 3;
  const j = i + W * 3;
  for (let c = 0; c < 3; c++) {
    let v = 0;
    if (w00 !== 0) v += w00 * src[i + c]!;
    if (w01 !== 0) v += w01 * src[i + 3 + c]!;
    if (w10 !== 0) v += w10 * src[j + c]!;
    if (w11 !== 0) v += w11 * src[j + 3 + c]!;
    dst[o + c] = v;
  }
}

/**
 * Level pixels the sampling may read beyond the bounding box of the sample positions: the
 * bilinear neighbour (+1) plus a safety margin against rounding differences.
 */
const FOOTPRINT_MARGIN = 2;
/** [x0, y0, x1, y1] of the level window a crop reads (scratch, see renderScratch). */
const footprintScratch = new Float64Array(4);

/**
 * The level window [x0, x1) × [y0, y1) that `warpHomography` reads for a size×size render.
 * With all four corner rays in front of the camera (z is affine in u, v, so then all are),
 * the render square maps to the convex quadrilateral of its corners; otherwise the window is
 * unbounded (the caller clips it to the level).
 */
function homographyFootprint(H: Mat3, size: number, box: Float64Array): void {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  const last = size - 1;
  for (let k = 0; k < 4; k++) {
    const u = k & 1 ? last : 0;
    const v = k & 2 ? last : 0;
    const Z = H[6]! * u + (H[7]! * v + H[8]!);
    const x = (H[0]! * u + (H[1]! * v + H[2]!)) / Z;
    const y = (H[3]! * u + (H[4]! * v + H[5]!)) / Z;
    if (!(Z > 0 && Number.isFinite(x) && Number.isFinite(y))) {
      box.set([-Infinity, -Infinity, Infinity, Infinity]); // the whole level
      return;
    }
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  setBox(box, minX, minY, maxX, maxY);
}

/** The level window `warpMap` reads: the bounding box of its used sample positions. */
function mapFootprint(
  map: Float32Array,
  factor: number,
  shift: number,
  zRow: readonly number[],
  size: number,
  box: Float64Array,
): void {
  const [z0, z1, z2] = zRow as [number, number, number];
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  let m = 0;
  for (let v = 0; v < size; v++) {
    const Zrow = z1 * v + z2;
    for (let u = 0; u < size; u++, m += 2) {
      if (!(z0 * u + Zrow > 0)) continue;
      const x = map[m]!;
      const y = map[m + 1]!;
      // NaN fails every comparison (and is sampled as black).
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  setBox(
    box,
    minX * factor + shift,
    minY * factor + shift,
    maxX * factor + shift,
    maxY * factor + shift,
  );
}

function setBox(box: Float64Array, minX: number, minY: number, maxX: number, maxY: number): void {
  if (!(minX <= maxX && minY <= maxY)) {
    box.set([0, 0, 0, 0]); // nothing sampled
    return;
  }
  box[0] = Math.floor(minX) - FOOTPRINT_MARGIN;
  box[1] = Math.floor(minY) - FOOTPRINT_MARGIN;
  box[2] = Math.floor(maxX) + 1 + FOOTPRINT_MARGIN;
  box[3] = Math.floor(maxY) + 1 + FOOTPRINT_MARGIN;
}

/** Renders size×size pixels through the homography H (render pixel → level pixel). */
function warpHomography(level: LinearImageLevel, H: Mat3, size: number, dst: Float32Array): void {
  const { width: W, height: Hh, data: src } = level;
  const stride = W * 3;
  const xMax = W - 1;
  const yMax = Hh - 1;
  const h0 = H[0]!;
  const h1 = H[1]!;
  const h2 = H[2]!;
  const h3 = H[3]!;
  const h4 = H[4]!;
  const h5 = H[5]!;
  const h6 = H[6]!;
  const h7 = H[7]!;
  const h8 = H[8]!;
  let o = 0;
  for (let v = 0; v < size; v++) {
    const X0 = h1 * v + h2;
    const Y0 = h4 * v + h5;
    const Z0 = h7 * v + h8;
    for (let u = 0; u < size; u++, o += 3) {
      const Z = h6 * u + Z0;
      if (!(Z > 0)) {
        // The ray points away from the image camera: nothing to see.
        dst[o] = 0;
        dst[o + 1] = 0;
        dst[o + 2] = 0;
        continue;
      }
      const x = (h0 * u + X0) / Z;
      const y = (h3 * u + Y0) / Z;
      const xf = Math.floor(x);
      const yf = Math.floor(y);
      if (xf >= 0 && yf >= 0 && xf < xMax && yf < yMax) {
        const fx = x - xf;
        const fy = y - yf;
        const i = yf * stride + xf * 3;
        const j = i + stride;
        let p = src[i]!;
        let q = src[j]!;
        let t = p + fx * (src[i + 3]! - p);
        dst[o] = t + fy * (q + fx * (src[j + 3]! - q) - t);
        p = src[i + 1]!;
        q = src[j + 1]!;
        t = p + fx * (src[i + 4]! - p);
        dst[o + 1] = t + fy * (q + fx * (src[j + 4]! - q) - t);
        p = src[i + 2]!;
        q = src[j + 2]!;
        t = p + fx * (src[i + 5]! - p);
        dst[o + 2] = t + fy * (q + fx * (src[j + 5]! - q) - t);
      } else {
        sampleBorder(src, W, Hh, x, y, dst, o);
      }
    }
  }
}

/**
 * Renders size×size pixels through a per-pixel map of level-0 image coordinates, scaled to
 * the level by x·f + shift. `zRow` is the third row of the render-pixel → image-camera
 * direction matrix: pixels whose ray has z ≤ 0 are behind the image camera and stay black.
 */
function warpMap(
  level: LinearImageLevel,
  map: Float32Array,
  factor: number,
  shift: number,
  zRow: readonly number[],
  size: number,
  dst: Float32Array,
): void {
  const { width: W, height: Hh, data: src } = level;
  const stride = W * 3;
  const xMax = W - 1;
  const yMax = Hh - 1;
  const [z0, z1, z2] = zRow as [number, number, number];
  let o = 0;
  let m = 0;
  for (let v = 0; v < size; v++) {
    const Zrow = z1 * v + z2;
    for (let u = 0; u < size; u++, o += 3, m += 2) {
      if (!(z0 * u + Zrow > 0)) {
        dst[o] = 0;
        dst[o + 1] = 0;
        dst[o + 2] = 0;
        continue;
      }
      const x = map[m]! * factor + shift;
      const y = map[m + 1]! * factor + shift;
      const xf = Math.floor(x);
      const yf = Math.floor(y);
      if (xf >= 0 && yf >= 0 && xf < xMax && yf < yMax) {
        const fx = x - xf;
        const fy = y - yf;
        const i = yf * stride + xf * 3;
        const j = i + stride;
        let p = src[i]!;
        let q = src[j]!;
        let t = p + fx * (src[i + 3]! - p);
        dst[o] = t + fy * (q + fx * (src[j + 3]! - q) - t);
        p = src[i + 1]!;
        q = src[j + 1]!;
        t = p + fx * (src[i + 4]! - p);
        dst[o + 1] = t + fy * (q + fx * (src[j + 4]! - q) - t);
        p = src[i + 2]!;
        q = src[j + 2]!;
        t = p + fx * (src[i + 5]! - p);
        dst[o + 2] = t + fy * (q + fx * (src[j + 5]! - q) - t);
      } else {
        sampleBorder(src, W, Hh, x, y, dst, o);
      }
    }
  }
}

/** Averages a×a blocks of a (side·a)² RGB render into side² RGB. */
function boxDownsample(src: Float32Array, side: number, a: number, dst: Float32Array): void {
  const big = side * a;
  const norm = 1 / (a * a);
  let o = 0;
  for (let V = 0; V < side; V++) {
    for (let U = 0; U < side; U++, o += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < a; dy++) {
        let i = ((V * a + dy) * big + U * a) * 3;
        for (let dx = 0; dx < a; dx++, i += 3) {
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
        }
      }
      dst[o] = r * norm;
      dst[o + 1] = g * norm;
      dst[o + 2] = b * norm;
    }
  }
}

// p^e for float32 p in (0, 1) without Math.pow (which dominated the render time): split p
// into 2^k · m (m in [1, 2)) by its bits; 2^(k·e) comes from a table over k and m^e from a
// table over the top mantissa bits, interpolated linearly. The interpolation error is below
// |e(e−1)|·2^(−2·POW_MANTISSA_BITS)/8 relative (< 1.5e-8 for e ≤ 2).
const POW_MANTISSA_BITS = 12;
const POW_SHIFT = 23 - POW_MANTISSA_BITS;
const POW_FRACTION = 1 / (1 << POW_SHIFT);
const POW_MAX_EXPONENT = 2;

interface PowTables {
  mantissa: Float64Array;
  exponent: Float64Array;
}
const powTableCache = new Map<number, PowTables>();

function powTables(e: number): PowTables {
  let tables = powTableCache.get(e);
  if (tables === undefined) {
    const n = 1 << POW_MANTISSA_BITS;
    const mantissa = new Float64Array(n + 1);
    for (let j = 0; j <= n; j++) mantissa[j] = (1 + j / n) ** e;
    const exponent = new Float64Array(256);
    for (let k = 1; k < 128; k++) exponent[k] = 2 ** ((k - 127) * e);
    tables = { mantissa, exponent };
    if (powTableCache.size >= 16) powTableCache.clear();
    powTableCache.set(e, tables);
  }
  return tables;
}

/** p → clamp(p, 0, 1)^exponent, in place. */
function encode(pixels: Float32Array, exponent: number): void {
  if (exponent === 1) {
    for (let i = 0; i < pixels.length; i++) {
      const p = pixels[i]!;
      pixels[i] = p > 0 ? Math.min(p, 1) : 0; // NaN → 0
    }
    return;
  }
  if (!(exponent < POW_MAX_EXPONENT)) {
    for (let i = 0; i < pixels.length; i++) {
      const p = pixels[i]!;
      pixels[i] = p > 0 ? (p < 1 ? p ** exponent : 1) : 0;
    }
    return;
  }
  const { mantissa, exponent: scale } = powTables(exponent);
  const bits = new Int32Array(pixels.buffer, pixels.byteOffset, pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i]!;
    if (!(p > 0)) {
      pixels[i] = 0; // also NaN
    } else if (p >= 1) {
      pixels[i] = 1;
    } else {
      const b = bits[i]!;
      if (b < 0x800000) {
        pixels[i] = p ** exponent; // subnormal: the tables assume an implicit leading 1
        continue;
      }
      const m = b & 0x7fffff;
      const j = m >>> POW_SHIFT;
      const t = (m & ((1 << POW_SHIFT) - 1)) * POW_FRACTION;
      const lo = mantissa[j]!;
      pixels[i] = (lo + t * (mantissa[j + 1]! - lo)) * scale[b >>> 23]!;
    }
  }
}

function checkAntialias(a: number): void {
  if (!(Number.isInteger(a) && a >= 1)) {
    throw new GeometryError(
      'invalid-option',
      `antialiasFactor must be a positive integer, got ${a}`,
    );
  }
}

function checkGamma(gamma: number): void {
  if (!(gamma > 0) || !Number.isFinite(gamma)) {
    throw new GeometryError('invalid-option', `gamma must be positive and finite, got ${gamma}`);
  }
}

/**
 * Renders one crop: `crop.side`² RGB float32 pixels in [0, 1], row-major `[v][u][c]` (one
 * NHWC batch element). `imageCamera` is the camera of the pyramid's image (its intrinsics
 * and distortion); the crop was built from it with `buildCropCamera`. Writes into `out` when
 * given (length side²·3). The crop pixel (u, v) shows what `crop.camera` sees at (u, v).
 */
export function renderCrop(
  pyramid: LinearImagePyramid,
  crop: CropGeometry,
  imageCamera: Camera,
  options: RenderCropOptions = {},
  out?: Float32Array,
): Float32Array {
  const side = crop.side;
  const a = options.antialiasFactor ?? 1;
  checkAntialias(a);
  const gamma = options.gamma ?? crop.augmentation?.gamma ?? 1;
  checkGamma(gamma);
  const n = side * side * 3;
  const result = out ?? new Float32Array(n);
  if (result.length !== n) {
    throw new GeometryError(
      'shape',
      `crop buffer must have ${side}×${side}×3 = ${n} elements, got ${result.length}`,
    );
  }

  const levelIndex = choosePyramidLevel(crop.zoom, a, pyramid.levelCount);
  const factor = 2 ** -levelIndex;
  const size = side * a;
  const target = a === 1 ? result : scratchRender(size * size * 3);
  const box = footprintScratch;

  if (!imageCamera.hasDistortion) {
    const H = multiply3(cornerAlignedScale(factor), cropToImageHomography(crop, imageCamera, a));
    homographyFootprint(H, size, box);
    const level = pyramid.region(levelIndex, box[0]!, box[1]!, box[2]!, box[3]!);
    warpHomography(level, H, size, target);
  } else {
    const map = cropToImageMap(crop, imageCamera, a, scratchMap(size * size * 2));
    let M = invert3(multiply3(crop.camera.intrinsicMatrix, crop.rotation), 'crop projection');
    if (a !== 1) M = multiply3(M, cornerAlignedScale(1 / a));
    const zRow = [M[6]!, M[7]!, M[8]!];
    const shift = (factor - 1) / 2;
    mapFootprint(map, factor, shift, zRow, size, box);
    const level = pyramid.region(levelIndex, box[0]!, box[1]!, box[2]!, box[3]!);
    warpMap(level, map, factor, shift, zRow, size, target);
  }

  if (a !== 1) boxDownsample(target, side, a, result);
  encode(result, gamma / DECODING_GAMMA);
  return result;
}

/**
 * Renders a batch of crops (all with the same side S) into one `[N, S, S, 3]` float32 array,
 * ready as an NHWC tensor. Each crop uses its own augmentation's gamma unless
 * `options.gamma` overrides it.
 */
export function renderCrops(
  pyramid: LinearImagePyramid,
  crops: readonly CropGeometry[],
  imageCamera: Camera,
  options: RenderCropOptions = {},
  out?: Float32Array,
): Float32Array {
  const side = crops[0]?.side ?? 0;
  for (const crop of crops) {
    if (crop.side !== side) {
      throw new GeometryError(
        'shape',
        `all crops of a batch must have the same side, got ${side} and ${crop.side}`,
      );
    }
  }
  const per = side * side * 3;
  const result = out ?? new Float32Array(crops.length * per);
  if (result.length !== crops.length * per) {
    throw new GeometryError(
      'shape',
      `batch buffer must have ${crops.length}×${side}×${side}×3 = ${crops.length * per} elements, got ${result.length}`,
    );
  }
  crops.forEach((crop, i) => {
    renderCrop(pyramid, crop, imageCamera, options, result.subarray(i * per, (i + 1) * per));
  });
  return result;
}

/**
 * Converts float RGB in [0, 1] (e.g. a rendered crop) to an 8-bit `RgbImage`, rounding and
 * clamping — for saving crops while debugging.
 */
export function toRgbImage(pixels: Float32Array, width: number, height = width): RgbImage {
  checkImageSize(width, height, pixels.length, 'float image');
  const data = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round(pixels[i]! * 255);
    data[i] = Math.min(Math.max(v, 0), 255); // NaN stores as 0
  }
  return { width, height, data };
}
