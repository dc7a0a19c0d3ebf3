/**
 * Perspective crops: renders the S×S images the MeTRAbs crop network sees, one per person box
 * and test-time augmentation, from a `CropGeometry` built by `buildCropCamera`.
 *
 * Pure TypeScript on typed arrays (no Node APIs), so it runs the same in browsers. The
 * rendering follows the reference multi-person model (docs/geometry.md):
 *
 * 1. The image is decoded to linear light, `(x/255)^2.2`, once per image, and a small pyramid
 *    of 2×2 box-filtered levels is built on demand (`LinearImagePyramid`).
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

/** Averages 2×2 blocks; an odd last row or column is dropped (as `avg_pool2d` 'VALID'). */
function halve(level: LinearImageLevel): LinearImageLevel {
  const width = level.width >> 1;
  const height = level.height >> 1;
  const src = level.data;
  const data = new Float32Array(width * height * 3);
  const stride = level.width * 3;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = 2 * y * stride;
    for (let x = 0; x < width; x++, i += 6, o += 3) {
      const j = i + stride;
      data[o] = 0.25 * (src[i]! + src[i + 3]! + src[j]! + src[j + 3]!);
      data[o + 1] = 0.25 * (src[i + 1]! + src[i + 4]! + src[j + 1]! + src[j + 4]!);
      data[o + 2] = 0.25 * (src[i + 2]! + src[i + 5]! + src[j + 2]! + src[j + 5]!);
    }
  }
  return { width, height, data };
}

/**
 * An image in linear light with a lazily built pyramid of box-filtered half-resolution
 * levels. Build it once per input image and render all its crops from it.
 */
export class LinearImagePyramid {
  /** Size of the full-resolution image (level 0). */
  readonly width: number;
  readonly height: number;
  /** Number of usable levels: the requested count, fewer if the image is too small to halve. */
  readonly levelCount: number;
  private readonly levels: (LinearImageLevel | undefined)[];

  /**
   * From an 8-bit RGB image (converted to linear light now: level 0), or from an image that
   * is already linear-light float32 RGB in [0, 1] (used as level 0 without copying). The
   * other levels are built on demand.
   */
  constructor(image: RgbImage | LinearImageLevel, levelCount = DEFAULT_PYRAMID_LEVELS) {
    const { width, height } = image;
    let data: Float32Array;
    if (image.data instanceof Float32Array) {
      checkImageSize(width, height, image.data.length, 'linear image');
      data = image.data;
    } else {
      const src = image.data;
      checkImageSize(width, height, src.length, 'RGB image');
      data = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) data[i] = SRGB_TO_LINEAR[src[i]!]!;
    }
    this.width = width;
    this.height = height;
    this.levelCount = LinearImagePyramid.usableLevels(width, height, levelCount);
    this.levels = [{ width, height, data }];
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

  /** Level `i` (0 = full resolution), built from level i − 1 the first time it is asked for. */
  level(i: number): LinearImageLevel {
    if (!(Number.isInteger(i) && i >= 0 && i < this.levelCount)) {
      throw new GeometryError(
        'invalid-option',
        `pyramid level must be an integer in [0, ${this.levelCount - 1}], got ${i}`,
      );
    }
    let level = this.levels[i];
    if (level === undefined) {
      level = halve(this.level(i - 1));
      this.levels[i] = level;
    }
    return level;
  }

  /** Whether level `i` has been built already. */
  isBuilt(i: number): boolean {
    return this.levels[i] !== undefined;
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
 * Bilinear sample of `src` (W×H RGB) at (x, y), treating everything outside the image as 0:
 * a pixel whose support leaves the image fades linearly to 0 over the last pixel, the same
 * as sampling an image padded with a one-pixel black border. Writes 3 values at `dst[o]`.
 */
function sampleBilinear(
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
  const fx = x - xf;
  const fy = y - yf;
  if (xf >= 0 && yf >= 0 && xf < W - 1 && yf < H - 1) {
    const i = (yf * W + xf) * 3;
    const j = i + W * 3;
    for (let c = 0; c < 3; c++) {
      const a = src[i + c]!;
      const b = src[i + 3 + c]!;
      const d = src[j + c]!;
      const e = src[j + 3 + c]!;
      const top = a + fx * (b - a);
      const bottom = d + fx * (e - d);
      dst[o + c] = top + fy * (bottom - top);
    }
    return;
  }
  // NaN coordinates fail every comparison and land here too.
  if (!(xf >= -1 && yf >= -1 && xf < W && yf < H)) {
    dst[o] = 0;
    dst[o + 1] = 0;
    dst[o + 2] = 0;
    return;
  }
  // At the border: each of the four neighbours contributes only if it is inside the image.
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

/** Renders size×size pixels through the homography H (render pixel → level pixel). */
function warpHomography(level: LinearImageLevel, H: Mat3, size: number, dst: Float32Array): void {
  const { width: W, height: Hh, data: src } = level;
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
      sampleBilinear(src, W, Hh, (h0 * u + X0) / Z, (h3 * u + Y0) / Z, dst, o);
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
      sampleBilinear(src, W, Hh, map[m]! * factor + shift, map[m + 1]! * factor + shift, dst, o);
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
  const level = pyramid.level(levelIndex);
  const factor = 2 ** -levelIndex;
  const size = side * a;
  const target = a === 1 ? result : scratchRender(size * size * 3);

  if (!imageCamera.hasDistortion) {
    const H = multiply3(cornerAlignedScale(factor), cropToImageHomography(crop, imageCamera, a));
    warpHomography(level, H, size, target);
  } else {
    const map = cropToImageMap(crop, imageCamera, a, scratchMap(size * size * 2));
    let M = invert3(multiply3(crop.camera.intrinsicMatrix, crop.rotation), 'crop projection');
    if (a !== 1) M = multiply3(M, cornerAlignedScale(1 / a));
    warpMap(level, map, factor, (factor - 1) / 2, [M[6]!, M[7]!, M[8]!], size, target);
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
