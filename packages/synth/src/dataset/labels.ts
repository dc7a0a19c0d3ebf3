/**
 * Types of the dataset format's records (docs/dataset-format.md, version 1) and the validation
 * that every example passes before it is written, so that the trainer's reader
 * (training/metrabs_train/dataset.py) never has to skip a record we wrote. Pure.
 */
import { det3, getSkeleton, skeletonDefinitionProblems } from '@metrabs/core';
import { SynthError } from '../errors.js';
import { type MaskRle, rleProblems } from './rle.js';

export type { MaskRle } from './rle.js';

export const FORMAT_NAME = 'metrabs-dataset';
export const FORMAT_VERSION = 1;
export const IMAGE_EXTENSIONS = ['jpg', 'png', 'webp'] as const;
export type ImageExt = (typeof IMAGE_EXTENSIONS)[number];
/** The split names of the format (others are allowed by the writer, readers need these). */
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export type Flag = 0 | 1;
export type Vec2 = [number, number];
export type Vec3 = [number, number, number];

/** A joint set as the manifest stores it. */
export interface SkeletonInfo {
  name: string;
  joint_names: string[];
  edges: [number, number][];
  /** `mirror[j]`: the joint that j becomes in a left/right mirrored pose (an involution). */
  mirror: number[];
}

/** The manifest's description of a registered skeleton (e.g. `smpl+head_30`, `lsp_14`). */
export function skeletonInfo(name: string): SkeletonInfo {
  const s = getSkeleton(name);
  return {
    name: s.name,
    joint_names: [...s.jointNames],
    edges: s.edges.map(([a, b]) => [a, b] as [number, number]),
    mirror: [...s.mirror],
  };
}

export interface CameraLabels {
  /** 3×3 K of the stored image, pixels; integer coordinates are pixel centres. */
  intrinsic_matrix: number[][];
  /** 0–12 OpenCV coefficients `k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4`. */
  distortion_coeffs?: number[];
  /** 4×4 world→camera, mm, or null. */
  extrinsic_matrix?: number[][] | null;
  /** World up in the world frame of the extrinsics (else the camera frame). Default [0, −1, 0]. */
  world_up?: Vec3;
}

/** World up in the camera frame: `R · up` with the extrinsics' rotation, else `up`. */
export function upInCamera(
  up: readonly number[],
  extrinsics: readonly (readonly number[])[] | null | undefined,
): number[] {
  if (!extrinsics) return [...up];
  return [0, 1, 2].map(
    (r) => extrinsics[r]![0]! * up[0]! + extrinsics[r]![1]! * up[1]! + extrinsics[r]![2]! * up[2]!,
  );
}

export interface PersonLabels {
  /** `[x, y, w, h]`, edges on pixel edges (see `maskBox`); w, h > 0. */
  box: [number, number, number, number];
  /** J×3 camera frame, mm; null for 2D-only data. */
  joints3d: Vec3[] | null;
  /** J×2 pixels, with lens distortion. */
  joints2d: Vec2[];
  /** 1 where the joint's label exists; rows of invalid joints hold 0s. */
  joint_valid: Flag[];
  /** 1 where the 2D joint lies in [−0.5, width − 0.5] × [−0.5, height − 0.5]. */
  in_image?: Flag[];
  occluded?: Flag[];
  truncated?: boolean;
  mask?: MaskRle;
  meta?: Record<string, unknown>;
}

export interface ExampleLabels {
  key: string;
  image: { file: string; width: number; height: number };
  camera: CameraLabels;
  people: PersonLabels[];
  meta?: Record<string, unknown>;
}

/** A shard entry of the manifest. */
export interface ShardInfo {
  /** Relative to the dataset root, e.g. `train/shard-000000.tar`. */
  path: string;
  examples: number;
  people: number;
  /** Lowercase hex SHA-256 of the whole shard file. */
  sha256: string;
}

export interface SplitInfo {
  /** Sums over `shards`. */
  examples: number;
  people: number;
  shards: ShardInfo[];
}

export interface DatasetManifest {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  name: string;
  /** ISO 8601 UTC, e.g. `2026-11-25T08:00:00Z`. */
  created: string;
  skeleton: SkeletonInfo;
  splits: Record<string, SplitInfo>;
  license: string;
  sources: string[];
  generator: Record<string, unknown>;
  /**
   * Extension of this writer (readers ignore it): the shard size S; shard i holds the examples
   * with global indices [i·S, (i+1)·S). Resuming with another S is refused.
   */
  examples_per_shard?: number;
}

// ---------------------------------------------------------------------------------------------
// Keys and shard names

const KEY_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True for keys the format allows: letters, digits, `_` and `-`. */
export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}

/** The key of the example with global index `index`: at least 6 digits, e.g. `000123`. */
export function exampleKey(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new SynthError('bad-option', `example index must be a non-negative integer: ${index}`);
  }
  return String(index).padStart(6, '0');
}

/** File name of shard `index`, e.g. `shard-000007.tar`. */
export function shardFileName(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new SynthError('bad-option', `shard index must be a non-negative integer: ${index}`);
  }
  return `shard-${String(index).padStart(6, '0')}.tar`;
}

/** The shard index of a shard file name (`shard-000007.tar` → 7), or null. */
export function parseShardFileName(name: string): number | null {
  const m = /^shard-(\d{6,})\.tar$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Global example indices [start, end) of shard `shardIndex` with S examples per shard. */
export function shardExampleRange(
  shardIndex: number,
  examplesPerShard: number,
  totalExamples = Number.POSITIVE_INFINITY,
): [number, number] {
  const start = shardIndex * examplesPerShard;
  return [Math.min(start, totalExamples), Math.min(start + examplesPerShard, totalExamples)];
}

// ---------------------------------------------------------------------------------------------
// Images

export interface ImageHeader {
  format: ImageExt;
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => u16be(b, i) * 65536 + u16be(b, i + 2);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function jpegSize(b: Uint8Array): [number, number] | null {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    while (b[i] === 0xff && i < b.length) i++; // fill bytes
    const marker = b[i]!;
    i++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no payload
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan before a frame
    if (i + 1 >= b.length) return null;
    const length = u16be(b, i);
    const isFrame =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (i + 6 >= b.length) return null;
      return [u16be(b, i + 5), u16be(b, i + 3)];
    }
    i += length;
  }
  return null;
}

function webpSize(b: Uint8Array): [number, number] | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return null;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (chunk === 'VP8X') return [u24le(b, 24) + 1, u24le(b, 27) + 1];
  return null;
}

/**
 * Format and size from an encoded image's header (JPEG, PNG, WebP), or null if the bytes do not
 * start like one of them (the reader skips such images).
 */
export function imageHeader(bytes: Uint8Array): ImageHeader | null {
  let size: [number, number] | null = null;
  let format: ImageExt;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    format = 'jpg';
    size = jpegSize(bytes);
  } else if (bytes.length >= 24 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') {
    format = 'png';
    if (ascii(bytes, 12, 4) === 'IHDR') size = [u32be(bytes, 16), u32be(bytes, 20)];
  } else if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    format = 'webp';
    size = webpSize(bytes);
  } else {
    return null;
  }
  return size ? { format, width: size[0], height: size[1] } : null;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface ValidateOptions {
  /** J, the manifest skeleton's joint count. */
  numJoints: number;
  /** The image member's extension: `image.file` must be `<key>.<ext>`. */
  imageExt?: ImageExt;
  /** The encoded image: its header must be of `imageExt` and of `image.width × image.height`. */
  image?: Uint8Array;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * Finds values that JSON cannot carry faithfully: `JSON.stringify` silently writes `NaN`,
 * `±Infinity` and array holes/`undefined` as `null` and drops functions; bigint throws.
 */
function jsonHazards(value: unknown, path: string, out: string[], depth = 0): void {
  if (out.length >= 10) return;
  if (depth > 64) {
    out.push(`${path}: nested too deeply (a cycle?)`);
    return;
  }
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) out.push(`${path} is ${value} (JSON has no NaN/Infinity)`);
      return;
    case 'string':
    case 'boolean':
      return;
    case 'undefined':
      out.push(`${path} is undefined`);
      return;
    case 'bigint':
    case 'symbol':
    case 'function':
      out.push(`${path} is a ${typeof value}, not JSON`);
      return;
  }
  if (value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) jsonHazards(value[i], `${path}[${i}]`, out, depth + 1);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    out.push(`${path} is a typed array (JSON writes it as an object); use a plain array`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue; // dropped by JSON.stringify, harmless in objects
    jsonHazards(v, `${path}.${k}`, out, depth + 1);
  }
}

function checkMatrix(v: unknown, rows: number, cols: number): boolean {
  return (
    Array.isArray(v) &&
    v.length === rows &&
    v.every((r) => Array.isArray(r) && r.length === cols && r.every(isFiniteNumber))
  );
}

/** Determinant of a 3×3 matrix given as rows. */
function det3Rows(m: number[][]): number {
  return det3(Float64Array.from(m.flat()));
}

function checkFlags(v: unknown, j: number, what: string, out: string[]): boolean {
  if (!Array.isArray(v) || v.length !== j) {
    out.push(`${what} must have ${j} entries, got ${Array.isArray(v) ? v.length : typeof v}`);
    return false;
  }
  const bad = v.findIndex((f) => f !== 0 && f !== 1);
  if (bad >= 0) {
    out.push(`${what}[${bad}] must be 0 or 1, got ${String(v[bad])}`);
    return false;
  }
  return true;
}

function checkJoints(v: unknown, j: number, dims: number, what: string, out: string[]): boolean {
  if (!Array.isArray(v) || v.length !== j) {
    out.push(`${what} must have ${j} rows, got ${Array.isArray(v) ? v.length : typeof v}`);
    return false;
  }
  for (let i = 0; i < j; i++) {
    const row = v[i] as unknown;
    if (!Array.isArray(row) || row.length !== dims || !row.every(isFiniteNumber)) {
      out.push(`${what}[${i}] must be ${dims} finite numbers, got ${JSON.stringify(row)}`);
      return false;
    }
  }
  return true;
}

function cameraProblems(camera: unknown, out: string[]): void {
  if (!isObject(camera)) {
    out.push('camera must be an object');
    return;
  }
  const K = camera['intrinsic_matrix'];
  if (!checkMatrix(K, 3, 3)) out.push('camera.intrinsic_matrix must be a finite 3×3 matrix');
  else if (!(Math.abs(det3Rows(K as number[][])) >= 1e-9)) {
    out.push('camera.intrinsic_matrix must be invertible');
  }
  const dist = camera['distortion_coeffs'];
  if (
    dist !== undefined &&
    dist !== null &&
    !(Array.isArray(dist) && dist.length <= 12 && dist.every(isFiniteNumber))
  ) {
    out.push('camera.distortion_coeffs must be 0–12 finite numbers');
  }
  const E = camera['extrinsic_matrix'];
  if (E !== undefined && E !== null && !checkMatrix(E, 4, 4)) {
    out.push('camera.extrinsic_matrix must be null or a finite 4×4 matrix');
  }
  const up = camera['world_up'];
  if (up !== undefined && up !== null) {
    if (!(Array.isArray(up) && up.length === 3 && up.every(isFiniteNumber))) {
      out.push('camera.world_up must be 3 finite numbers');
    } else if (!(Math.hypot(...(up as number[])) > 0)) {
      out.push('camera.world_up must not be zero');
    }
  }
}

function personProblems(
  p: unknown,
  j: number,
  image: { width: number; height: number } | null,
  out: string[],
): void {
  if (!isObject(p)) {
    out.push('must be an object');
    return;
  }
  const box = p['box'];
  if (!Array.isArray(box) || box.length !== 4 || !box.every(isFiniteNumber)) {
    out.push('box must be [x, y, w, h] of finite numbers');
  } else if (!((box[2] as number) > 0 && (box[3] as number) > 0)) {
    out.push(`box must have w, h > 0, got ${JSON.stringify(box)}`);
  }
  const j3 = p['joints3d'];
  const ok3 = j3 === null || checkJoints(j3, j, 3, 'joints3d', out);
  if (j3 === undefined) out.push('joints3d is required (null for 2D-only data)');
  const ok2 = checkJoints(p['joints2d'], j, 2, 'joints2d', out);
  const valid = p['joint_valid'];
  if (checkFlags(valid, j, 'joint_valid', out)) {
    const flags = valid as number[];
    if (!flags.includes(1)) out.push('joint_valid: a person needs at least one valid joint');
    for (let i = 0; i < j; i++) {
      if (flags[i] !== 0) continue;
      const zero = (rows: unknown) => ((rows as number[][])[i] as number[]).every((x) => x === 0);
      if ((ok2 && !zero(p['joints2d'])) || (ok3 && j3 !== null && !zero(j3))) {
        out.push(`joint ${i} is invalid (joint_valid 0) but its coordinates are not 0s`);
        break;
      }
    }
  }
  for (const name of ['in_image', 'occluded'] as const) {
    if (p[name] !== undefined && p[name] !== null) checkFlags(p[name], j, name, out);
  }
  if (p['truncated'] !== undefined && typeof p['truncated'] !== 'boolean') {
    out.push('truncated must be a boolean');
  }
  const mask = p['mask'];
  if (mask !== undefined && mask !== null) {
    const problems = rleProblems(mask);
    out.push(...problems);
    if (problems.length === 0 && image) {
      const [h, w] = (mask as MaskRle).size;
      if (h !== image.height || w !== image.width) {
        out.push(
          `mask.size [${h}, ${w}] differs from the image's [${image.height}, ${image.width}]`,
        );
      }
    }
  }
  if (p['meta'] !== undefined && !isObject(p['meta'])) out.push('meta must be an object');
}

/**
 * Everything wrong with an example's labels (empty if it can be written): the format's required
 * fields, finite numbers everywhere (also in `meta`), joint arrays of length J with rows of 3 (2)
 * numbers, 0/1 flags, a box with w, h > 0, at least one valid joint per person, masks whose runs
 * cover the image, a key of letters/digits/`_`/`-`, `image.file = <key>.<ext>` and, given the
 * encoded image, a JPEG/PNG/WebP header of the stated size.
 */
export function exampleProblems(labels: unknown, options: ValidateOptions): string[] {
  const out: string[] = [];
  const j = options.numJoints;
  if (!isPositiveInt(j)) return [`numJoints must be a positive integer, got ${j}`];
  if (!isObject(labels)) return ['labels must be an object'];
  jsonHazards(labels, 'labels', out);
  if (out.length > 0) return out;

  const key = labels['key'];
  if (!isValidKey(key)) out.push(`key must be letters, digits, "_" or "-": ${String(key)}`);
  const image = labels['image'];
  let size: { width: number; height: number } | null = null;
  if (!isObject(image)) {
    out.push('image must be an object { file, width, height }');
  } else {
    if (!isPositiveInt(image['width']) || !isPositiveInt(image['height'])) {
      out.push('image.width and image.height must be positive integers');
    } else {
      size = { width: image['width'], height: image['height'] };
    }
    const file = image['file'];
    if (options.imageExt !== undefined) {
      if (file !== `${String(key)}.${options.imageExt}`) {
        out.push(`image.file must be "${String(key)}.${options.imageExt}", got ${String(file)}`);
      }
    } else if (
      typeof file !== 'string' ||
      !IMAGE_EXTENSIONS.some((ext) => file === `${String(key)}.${ext}`)
    ) {
      out.push(`image.file must be "<key>.jpg|png|webp", got ${String(file)}`);
    }
  }
  if (options.image !== undefined) {
    const header = imageHeader(options.image);
    if (header === null) {
      out.push('the image bytes are not a JPEG, PNG or WebP file with a readable size');
    } else {
      if (options.imageExt !== undefined && header.format !== options.imageExt) {
        out.push(`the image is ${header.format} but its extension is ${options.imageExt}`);
      }
      if (size && (header.width !== size.width || header.height !== size.height)) {
        out.push(
          `the image is ${header.width}×${header.height} but the labels say ` +
            `${size.width}×${size.height}`,
        );
      }
    }
  }
  cameraProblems(labels['camera'], out);
  const people = labels['people'];
  if (!Array.isArray(people)) {
    out.push('people must be an array (possibly empty)');
  } else {
    people.forEach((p, i) => {
      const problems: string[] = [];
      personProblems(p, j, size, problems);
      for (const problem of problems) out.push(`people[${i}]: ${problem}`);
    });
  }
  if (labels['meta'] !== undefined && !isObject(labels['meta'])) out.push('meta must be an object');
  return out;
}

/**
 * Throws `SynthError('bad-output')` listing the problems if the labels must not be written (see
 * `exampleProblems`).
 */
export function validateExample(
  labels: unknown,
  options: ValidateOptions,
): asserts labels is ExampleLabels {
  const problems = exampleProblems(labels, options);
  if (problems.length > 0) {
    const key = isObject(labels) && isValidKey(labels['key']) ? labels['key'] : '?';
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SynthError('bad-output', `refusing to write example ${key}: ${shown}${more}`);
  }
}

/** Problems with a skeleton (the reader refuses a manifest whose skeleton has any). */
export function skeletonProblems(s: unknown): string[] {
  if (!isObject(s)) return ['skeleton must be an object'];
  if (typeof s['name'] !== 'string') return ['skeleton.name must be a string'];
  return skeletonDefinitionProblems(s['joint_names'], s['edges'], s['mirror']).map(
    (p) => `skeleton.${p.replace(/"/, '').replace(/"/, '')}`,
  );
}
