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
} from '@metrabs/core';
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

/**
 * A level's storage: a tile-aligned window of the level, grown (reallocated and copied) when
 * a request reaches outside it, and filled tile by tile. Level pixel (x, y) is stored at
 * `data[((y − y0) · w + x − x0) · 3 + c]`; pixels of the window outside built tiles are 0.
 */
interface LevelState {
  /** Size of the whole level. */
  readonly width: number;
  readonly height: number;
  readonly tilesX: number;
  /** 1 for every tile whose pixels are computed (row-major over tilesX × tilesY). */
  readonly built: Uint8Array;
  /** Tiles not built yet; 0 when the whole level is ready. */
  remaining: number;
  /** The stored window [x0, x0 + w) × [y0, y0 + h) (empty until something is requested). */
  x0: number;
  y0: number;
  w: number;
  h: number;
  data: Float32Array;
}

/**
 * Where `renderCrop` samples a level (internal): either the 8-bit source itself (level 0 of
 * an 8-bit image, decoded per sample through `SRGB_TO_LINEAR`) or a stored window.
 */
type LevelSource =
  | {
      readonly kind: 'bytes';
      readonly width: number;
      readonly height: number;
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'float'; readonly state: LevelState };

/**
 * An image in linear light with a lazily built pyramid of 2×2 box-filtered half-resolution
 * levels (an odd last row or column is dropped, as `avg_pool2d` 'VALID'). Build it once per
 * input image and render all its crops from it.
 *
 * Nothing is converted up front. Crops of level 0 of an 8-bit image sample the bytes directly
 * through the 256-entry `SRGB_TO_LINEAR` table (the same values a converted level would hold).
 * The other levels are filled in tiles of 32×32 level pixels, only where a crop samples them
 * (`renderCrop` asks for the window its crop covers), into buffers that cover only the
 * requested part of the level. Level 1 is computed from the 8-bit pixels directly (averages
 * of four `SRGB_TO_LINEAR` values — the same numbers as halving a converted level 0); level
 * i ≥ 2 is halved from level i − 1.
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
        width,
        height,
        tilesX: 0,
        built: new Uint8Array(0),
        remaining: 0,
        x0: 0,
        y0: 0,
        w: width,
        h: height,
        data: image.data,
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
        width,
        height,
        tilesX,
        built: new Uint8Array(tiles),
        remaining: tiles,
        x0: 0,
        y0: 0,
        w: 0,
        h: 0,
        data: new Float32Array(0),
      };
      this.states[i] = state;
    }
    return state;
  }

  /** Level `i` (0 = full resolution), completely built (the first time it is asked for). */
  level(i: number): LinearImageLevel {
    this.checkLevel(i);
    const state = this.window(i, 0, 0, this.width >> i, this.height >> i);
    return { width: state.width, height: state.height, data: state.data };
  }

  /**
   * Internal (for `renderCrop`): what to sample for level `i` when reading (at most) the level
   * pixels x0 ≤ x < x1, y0 ≤ y < y1 — the bytes for level 0 of an 8-bit image, otherwise the
   * level's stored window with (at least) those pixels built.
   */
  source(i: number, x0: number, y0: number, x1: number, y1: number): LevelSource {
    this.checkLevel(i);
    if (i === 0 && this.bytes !== undefined) {
      return { kind: 'bytes', width: this.width, height: this.height, bytes: this.bytes };
    }
    return { kind: 'float', state: this.window(i, x0, y0, x1, y1) };
  }

  /**
   * Level `i` with (at least) the pixels x0 ≤ x < x1, y0 ≤ y < y1 built (level pixel
   * coordinates, clipped to the level; NaN bounds count as unbounded).
   */
  private window(i: number, x0: number, y0: number, x1: number, y1: number): LevelState {
    const state = this.state(i);
    const { width, height } = state;
    const xa = x0 > 0 ? Math.floor(x0) : 0;
    const ya = y0 > 0 ? Math.floor(y0) : 0;
    const xb = x1 < width ? Math.ceil(x1) : width;
    const yb = y1 < height ? Math.ceil(y1) : height;
    if (state.remaining === 0 || !(xa < xb && ya < yb)) return state;
    const tx0 = xa >> TILE_SHIFT;
    const ty0 = ya >> TILE_SHIFT;
    const tx1 = (xb - 1) >> TILE_SHIFT;
    const ty1 = (yb - 1) >> TILE_SHIFT;
    const bx0 = tx0 << TILE_SHIFT;
    const by0 = ty0 << TILE_SHIFT;
    const bx1 = Math.min(width, (tx1 + 1) << TILE_SHIFT);
    const by1 = Math.min(height, (ty1 + 1) << TILE_SHIFT);
    LinearImagePyramid.reserve(state, bx0, by0, bx1, by1);
    if (i >= 2 || (i === 1 && this.bytes === undefined)) {
      // Build the finer level's part at once: its window then grows once, not once per run
      // of missing tiles (the runs below find their finer pixels ready).
      this.window(i - 1, 2 * bx0, 2 * by0, 2 * bx1, 2 * by1);
    }
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
        this.build(i, state, px0, py0, px1, py1);
        for (let t = tx; t <= end; t++) state.built[ty * state.tilesX + t] = 1;
        state.remaining -= end - tx + 1;
        tx = end + 1;
      }
    }
    return state;
  }

  /** Grows the stored window of `state` to contain [x0, x1) × [y0, y1), keeping its pixels. */
  private static reserve(state: LevelState, x0: number, y0: number, x1: number, y1: number): void {
    const { x0: ox, y0: oy, w: ow, h: oh } = state;
    if (ow > 0 && x0 >= ox && y0 >= oy && x1 <= ox + ow && y1 <= oy + oh) return;
    const nx0 = ow > 0 ? Math.min(ox, x0) : x0;
    const ny0 = oh > 0 ? Math.min(oy, y0) : y0;
    const nw = (ow > 0 ? Math.max(ox + ow, x1) : x1) - nx0;
    const nh = (oh > 0 ? Math.max(oy + oh, y1) : y1) - ny0;
    const data = new Float32Array(nw * nh * 3);
    const old = state.data;
    for (let y = 0; y < oh; y++) {
      const s = y * ow * 3;
      data.set(old.subarray(s, s + ow * 3), ((oy + y - ny0) * nw + ox - nx0) * 3);
    }
    state.x0 = nx0;
    state.y0 = ny0;
    state.w = nw;
    state.h = nh;
    state.data = data;
  }

  /** Computes the pixels [x0, x1) × [y0, y1) of level i (inside its stored window). */
  private build(
    i: number,
    state: LevelState,
    x0: number,
    y0: number,
    x1: number,
    y1: number,
  ): void {
    const dst = state.data;
    const dstStride = state.w * 3;
    const dstBase = -(state.y0 * dstStride + state.x0 * 3);
    const lut = SRGB_TO_LINEAR;
    const bytes = this.bytes;
    if (i === 0) {
      // Only reached for 8-bit sources via level(0) (a float level 0 is complete from the start).
      const src = bytes!;
      for (let y = y0; y < y1; y++) {
        let o = dstBase + y * dstStride + x0 * 3;
        const end = (y * this.width + x1) * 3;
        for (let k = (y * this.width + x0) * 3; k < end; k++, o++) dst[o] = lut[src[k]!]!;
      }
      return;
    }
    if (i === 1 && bytes !== undefined) {
      // Straight from the bytes: the same float32 values a converted level 0 would hold.
      const stride = this.width * 3;
      for (let y = y0; y < y1; y++) {
        let o = dstBase + y * dstStride + x0 * 3;
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
    const finer = this.window(i - 1, 2 * x0, 2 * y0, 2 * x1, 2 * y1);
    const src = finer.data;
    const stride = finer.w * 3;
    const srcBase = -(finer.y0 * stride + finer.x0 * 3);
    for (let y = y0; y < y1; y++) {
      let o = dstBase + y * dstStride + x0 * 3;
      let s = srcBase + 2 * y * stride + 6 * x0;
      for (let x = x0; x < x1; x++, s += 6, o += 3) {
        const t = s + stride;
        dst[o] = 0.25 * (src[s]! + src[s + 3]! + src[t]! + src[t + 3]!);
        dst[o + 1] = 0.25 * (src[s + 1]! + src[s + 4]! + src[t + 1]! + src[t + 4]!);
        dst[o + 2] = 0.25 * (src[s + 2]! + src[s + 5]! + src[t + 2]! + src[t + 5]!);
      }
    }
  }

  /**
   * Whether level `i` has been built already — at least the part that some crop needed;
   * `level(i)` completes it. Level 0 of an 8-bit image is sampled from the bytes and only
   * counts as built once `level(0)` has been called.
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
/** One row of sample positions in level pixels (NaN: nothing to see, sampled as black). */
let rowX = new Float64Array(0);
let rowY = new Float64Array(0);

function scratchRender(n: number): Float32Array {
  if (renderScratch.length < n) renderScratch = new Float32Array(n);
  return renderScratch;
}

function scratchMap(n: number): Float32Array {
  if (mapScratch.length < n) mapScratch = new Float32Array(n);
  return mapScratch.length === n ? mapScratch : mapScratch.subarray(0, n);
}

function scratchRows(n: number): void {
  if (rowX.length < n) {
    rowX = new Float64Array(n);
    rowY = new Float64Array(n);
  }
}

/**
 * Bilinear sample at (x, y) of the stored window [wx, wx + w) × [wy, wy + h) of a level
 * (`src`, RGB) for positions whose 2×2 neighbourhood is not entirely inside the window (the
 * interior case is inlined in `sampleRowFloat`), treating everything outside the window as 0.
 * The window contains every pixel a crop reads that lies inside the level (see
 * `FOOTPRINT_MARGIN`), so this is the same as treating everything outside the level as 0: a
 * pixel whose support leaves the image fades linearly to 0 over the last pixel, as if the
 * image were padded with a one-pixel black border. Writes 3 values at `dst[o]`.
 */
function sampleBorder(
  src: Float32Array,
  wx: number,
  wy: number,
  w: number,
  h: number,
  x: number,
  y: number,
  dst: Float32Array,
  o: number,
): void {
  const xf = Math.floor(x) - wx;
  const yf = Math.floor(y) - wy;
  // NaN coordinates fail every comparison and land here too.
  if (!(xf >= -1 && yf >= -1 && xf < w && yf < h)) {
    dst[o] = 0;
    dst[o + 1] = 0;
    dst[o + 2] = 0;
    return;
  }
  const fx = x - Math.floor(x);
  const fy = y - Math.floor(y);
  // Each of the four neighbours contributes only if it is inside the window.
  const left = xf >= 0;
  const right = xf + 1 < w;
  const top = yf >= 0;
  const bottom = yf + 1 < h;
  const w00 = left && top ? (1 - fx) * (1 - fy) : 0;
  const w01 = right && top ? fx * (1 - fy) : 0;
  const w10 = left && bottom ? (1 - fx) * fy : 0;
  const w11 = right && bottom ? fx * fy : 0;
  const i = (yf * w + xf) * 3;
  const j = i + w * 3;
  for (let c = 0; c < 3; c++) {
    let v = 0;
    if (w00 !== 0) v += w00 * src[i + c]!;
    if (w01 !== 0) v += w01 * src[i + 3 + c]!;
    if (w10 !== 0) v += w10 * src[j + c]!;
    if (w11 !== 0) v += w11 * src[j + 3 + c]!;
    dst[o + c] = v;
  }
}

/** `sampleBorder` for 8-bit level 0 (W×H RGB bytes, decoded through `SRGB_TO_LINEAR`). */
function sampleBorderBytes(
  src: Uint8Array,
  W: number,
  H: number,
  x: number,
  y: number,
  dst: Float32Array,
  o: number,
): void {
  const lut = SRGB_TO_LINEAR;
  const xf = Math.floor(x);
  const yf = Math.floor(y);
  if (!(xf >= -1 && yf >= -1 && xf < W && yf < H)) {
    dst[o] = 0;
    dst[o + 1] = 0;
    dst[o + 2] = 0;
    return;
  }
  const fx = x - xf;
  const fy = y - yf;
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
    if (w00 !== 0) v += w00 * lut[src[i + c]!]!;
    if (w01 !== 0) v += w01 * lut[src[i + 3 + c]!]!;
    if (w10 !== 0) v += w10 * lut[src[j + c]!]!;
    if (w11 !== 0) v += w11 * lut[src[j + 3 + c]!]!;
    dst[o + c] = v;
  }
}

/** Samples the n positions (xs, ys) of a level's stored window bilinearly into dst[o…]. */
function sampleRowFloat(
  state: LevelState,
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  dst: Float32Array,
  o: number,
): void {
  const { x0: wx, y0: wy, w, h, data: src } = state;
  const stride = w * 3;
  const base = -(wy * stride + wx * 3);
  const xEnd = wx + w - 1;
  const yEnd = wy + h - 1;
  for (let u = 0; u < n; u++, o += 3) {
    const x = xs[u]!;
    const y = ys[u]!;
    const xf = Math.floor(x);
    const yf = Math.floor(y);
    if (xf >= wx && yf >= wy && xf < xEnd && yf < yEnd) {
      const fx = x - xf;
      const fy = y - yf;
      const i = base + yf * stride + xf * 3;
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
      sampleBorder(src, wx, wy, w, h, x, y, dst, o);
    }
  }
}

/**
 * `sampleRowFloat` for level 0 of an 8-bit image: bilinear interpolation of
 * `SRGB_TO_LINEAR[byte]`, the same numbers as sampling the converted level.
 */
function sampleRowBytes(
  src: Uint8Array,
  W: number,
  H: number,
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  dst: Float32Array,
  o: number,
): void {
  const lut = SRGB_TO_LINEAR;
  const stride = W * 3;
  const xMax = W - 1;
  const yMax = H - 1;
  for (let u = 0; u < n; u++, o += 3) {
    const x = xs[u]!;
    const y = ys[u]!;
    const xf = Math.floor(x);
    const yf = Math.floor(y);
    if (xf >= 0 && yf >= 0 && xf < xMax && yf < yMax) {
      const fx = x - xf;
      const fy = y - yf;
      const i = yf * stride + xf * 3;
      const j = i + stride;
      let p = lut[src[i]!]!;
      let q = lut[src[j]!]!;
      let t = p + fx * (lut[src[i + 3]!]! - p);
      dst[o] = t + fy * (q + fx * (lut[src[j + 3]!]! - q) - t);
      p = lut[src[i + 1]!]!;
      q = lut[src[j + 1]!]!;
      t = p + fx * (lut[src[i + 4]!]! - p);
      dst[o + 1] = t + fy * (q + fx * (lut[src[j + 4]!]! - q) - t);
      p = lut[src[i + 2]!]!;
      q = lut[src[j + 2]!]!;
      t = p + fx * (lut[src[i + 5]!]! - p);
      dst[o + 2] = t + fy * (q + fx * (lut[src[j + 5]!]! - q) - t);
    } else {
      sampleBorderBytes(src, W, H, x, y, dst, o);
    }
  }
}

function sampleRow(source: LevelSource, n: number, dst: Float32Array, o: number): void {
  if (source.kind === 'bytes') {
    sampleRowBytes(source.bytes, source.width, source.height, rowX, rowY, n, dst, o);
  } else {
    sampleRowFloat(source.state, rowX, rowY, n, dst, o);
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
function warpHomography(source: LevelSource, H: Mat3, size: number, dst: Float32Array): void {
  const h0 = H[0]!;
  const h1 = H[1]!;
  const h2 = H[2]!;
  const h3 = H[3]!;
  const h4 = H[4]!;
  const h5 = H[5]!;
  const h6 = H[6]!;
  const h7 = H[7]!;
  const h8 = H[8]!;
  scratchRows(size);
  const xs = rowX;
  const ys = rowY;
  for (let v = 0; v < size; v++) {
    const X0 = h1 * v + h2;
    const Y0 = h4 * v + h5;
    const Z0 = h7 * v + h8;
    for (let u = 0; u < size; u++) {
      const Z = h6 * u + Z0;
      if (Z > 0) {
        xs[u] = (h0 * u + X0) / Z;
        ys[u] = (h3 * u + Y0) / Z;
      } else {
        // The ray points away from the image camera: nothing to see.
        xs[u] = Number.NaN;
        ys[u] = Number.NaN;
      }
    }
    sampleRow(source, size, dst, v * size * 3);
  }
}

/**
 * Renders size×size pixels through a per-pixel map of level-0 image coordinates, scaled to
 * the level by x·f + shift. `zRow` is the third row of the render-pixel → image-camera
 * direction matrix: pixels whose ray has z ≤ 0 are behind the image camera and stay black.
 */
function warpMap(
  source: LevelSource,
  map: Float32Array,
  factor: number,
  shift: number,
  zRow: readonly number[],
  size: number,
  dst: Float32Array,
): void {
  const [z0, z1, z2] = zRow as [number, number, number];
  scratchRows(size);
  const xs = rowX;
  const ys = rowY;
  let m = 0;
  for (let v = 0; v < size; v++) {
    const Zrow = z1 * v + z2;
    for (let u = 0; u < size; u++, m += 2) {
      if (z0 * u + Zrow > 0) {
        xs[u] = map[m]! * factor + shift;
        ys[u] = map[m + 1]! * factor + shift;
      } else {
        xs[u] = Number.NaN;
        ys[u] = Number.NaN;
      }
    }
    sampleRow(source, size, dst, v * size * 3);
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

// p^e for float32 p in (0, 1) without Math.pow (which dominated the render time), from one
// table indexed by the top bits of p's float32 representation: its exponent k and the top
// POW_MANTISSA_BITS bits of its mantissa m, so entry (k, j) = 2^(k·e) · (1 + j/2^bits)^e, and
// the remaining mantissa bits interpolate linearly to the next entry. The interpolation error
// is below |e(e−1)|·2^(−2·POW_MANTISSA_BITS)/8 relative (< 2.5e-7 for e < 2, < 3e-8 for the
// usual e ≈ 0.45); values below 2^−POW_EXPONENTS (black for any practical purpose) and
// subnormals fall back to Math.pow.
const POW_MANTISSA_BITS = 10;
const POW_EXPONENTS = 64;
const POW_SHIFT = 23 - POW_MANTISSA_BITS;
const POW_MASK = (1 << POW_SHIFT) - 1;
const POW_FRACTION = 1 / (1 << POW_SHIFT);
/** The float32 bit pattern of 2^−POW_EXPONENTS, and of 1. */
const POW_LOW_BITS = (127 - POW_EXPONENTS) << 23;
const POW_ONE_BITS = 0x3f800000;
const POW_MAX_EXPONENT = 2;

const powTableCache = new Map<number, Float64Array>();

function powTable(e: number): Float64Array {
  let table = powTableCache.get(e);
  if (table === undefined) {
    const n = 1 << POW_MANTISSA_BITS;
    const mantissa = new Float64Array(n);
    for (let j = 0; j < n; j++) mantissa[j] = (1 + j / n) ** e;
    table = new Float64Array(POW_EXPONENTS * n + 1);
    for (let k = 0; k < POW_EXPONENTS; k++) {
      const scale = 2 ** ((k - POW_EXPONENTS) * e);
      for (let j = 0; j < n; j++) table[k * n + j] = scale * mantissa[j]!;
    }
    table[POW_EXPONENTS * n] = 1; // 1^e, the end of the last interval
    if (powTableCache.size >= 8) powTableCache.clear();
    powTableCache.set(e, table);
  }
  return table;
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
  const table = powTable(exponent);
  const bits = new Int32Array(pixels.buffer, pixels.byteOffset, pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    // Negative values and −0 have negative bit patterns, NaN and +∞ patterns above 1's.
    const r = bits[i]! - POW_LOW_BITS;
    if (r >= 0 && r < POW_ONE_BITS - POW_LOW_BITS) {
      const j = r >> POW_SHIFT;
      const lo = table[j]!;
      pixels[i] = lo + (r & POW_MASK) * POW_FRACTION * (table[j + 1]! - lo);
    } else {
      const p = pixels[i]!;
      pixels[i] = p > 0 ? (p < 1 ? p ** exponent : 1) : 0; // NaN → 0
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
    const source = pyramid.source(levelIndex, box[0]!, box[1]!, box[2]!, box[3]!);
    warpHomography(source, H, size, target);
  } else {
    const map = cropToImageMap(crop, imageCamera, a, scratchMap(size * size * 2));
    let M = invert3(multiply3(crop.camera.intrinsicMatrix, crop.rotation), 'crop projection');
    if (a !== 1) M = multiply3(M, cornerAlignedScale(1 / a));
    const zRow = [M[6]!, M[7]!, M[8]!];
    const shift = (factor - 1) / 2;
    mapFootprint(map, factor, shift, zRow, size, box);
    const source = pyramid.source(levelIndex, box[0]!, box[1]!, box[2]!, box[3]!);
    warpMap(source, map, factor, shift, zRow, size, target);
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
