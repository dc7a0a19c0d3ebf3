/**
 * Validation of command-line values and of the camera (intrinsics) file. Parsers for
 * commander throw `InvalidArgumentError` (→ exit 2); the camera file throws `InputError`
 * (→ exit 3). Pure functions apart from reading the camera file.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { Camera } from '@metrabs/core';
import { InputError } from './errors.js';

function parseNumber(value: string): number {
  const text = value.trim();
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number.NaN;
  return Number(text);
}

/** A parser for integers in [min, max]. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER, extra = '') {
  return (value: string): number => {
    const n = parseNumber(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER
          ? `an integer ≥ ${min}`
          : `an integer from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected ${range}${extra}.`);
    }
    return n;
  };
}

/** A parser for finite numbers in (or at) the given bounds. */
export function numberOption(
  min: number,
  max: number,
  {
    minExclusive = false,
    maxExclusive = false,
  }: { minExclusive?: boolean; maxExclusive?: boolean } = {},
) {
  return (value: string): number => {
    const n = parseNumber(value);
    const tooLow = minExclusive ? n <= min : n < min;
    const tooHigh = maxExclusive ? n >= max : n > max;
    if (!Number.isFinite(n) || tooLow || tooHigh) {
      throw new InvalidArgumentError(
        `expected a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}.`,
      );
    }
    return n;
  };
}

export const parseFov = numberOption(0, 180, { minExclusive: true, maxExclusive: true });
export const parseNumAug = intOption(1, 100);
export const parseAntialias = intOption(1, 8);
export const parseThreshold = numberOption(0, 1);
export const parseThreads = intOption(1, 256);
export const parseSmoothing = numberOption(0, 1, { minExclusive: true });
export const parsePositiveInt = intOption(1);
export const parseSeed = intOption(0, 2 ** 31 - 1);
export const parseImageSize = intOption(64, 2048);

/** `--motion`: which motion capture sources `metrabs synth` may use. */
export function parseMotionSources(value: string): ('cmu' | 'bandai')[] | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'all') return undefined;
  if (v === 'cmu' || v === 'bandai') return [v];
  throw new InvalidArgumentError("expected 'all', 'cmu' or 'bandai'.");
}

/** `--max-detections`: −1 (all) or a positive count. */
export function parseMaxDetections(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) {
    throw new InvalidArgumentError('expected a positive integer, or -1 for no limit.');
  }
  return n;
}

/** What a camera file holds, in the runtime's `PoseOptions` terms. */
export interface CameraFile {
  intrinsicMatrix: number[][];
  distortionCoeffs?: number[];
  extrinsicMatrix?: number[][];
  worldUpVector?: number[];
}

const CAMERA_KEYS = ['intrinsic_matrix', 'distortion_coeffs', 'extrinsic_matrix', 'world_up'];

function matrix(
  value: unknown,
  rows: number,
  cols: number,
  where: string,
  key: string,
): number[][] {
  const shapeError = () =>
    new InputError(
      `${where}: "${key}" must be ${rows} rows of ${cols} numbers (a ${rows}×${cols} nested list)`,
    );
  if (!Array.isArray(value) || value.length !== rows) throw shapeError();
  return value.map((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw shapeError();
    return row.map((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputError(
          `${where}: "${key}"[${i}][${j}] must be a finite number, got ${JSON.stringify(v)}`,
        );
      }
      return v;
    });
  });
}

function vector(value: unknown, where: string, key: string, lengths: number[]): number[] {
  if (!Array.isArray(value) || !lengths.includes(value.length)) {
    throw new InputError(`${where}: "${key}" must be a list of ${lengths.join(', ')} numbers`);
  }
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(
        `${where}: "${key}"[${i}] must be a finite number, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  });
}

/**
 * Validates a parsed camera file: `intrinsic_matrix` (3×3, fx, fy > 0, bottom row 0 0 1) and
 * optionally `distortion_coeffs` (OpenCV order, up to 12 numbers), `extrinsic_matrix` (4×4
 * world→camera, translation in mm, bottom row 0 0 0 1) and `world_up` (3 numbers, not zero).
 */
export function parseCameraJson(json: unknown, where: string): CameraFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(`${where}: expected a JSON object with "intrinsic_matrix"`);
  }
  const d = json as Record<string, unknown>;
  const unknown = Object.keys(d).filter((k) => !CAMERA_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new InputError(
      `${where}: unknown key "${unknown[0]}" (allowed: ${CAMERA_KEYS.join(', ')})`,
    );
  }
  if (d['intrinsic_matrix'] === undefined)
    throw new InputError(`${where}: "intrinsic_matrix" is missing`);
  const k = matrix(d['intrinsic_matrix'], 3, 3, where, 'intrinsic_matrix');
  if (!(k[0]![0]! > 0) || !(k[1]![1]! > 0)) {
    throw new InputError(
      `${where}: "intrinsic_matrix" needs positive focal lengths fx = K[0][0] and fy = K[1][1]`,
    );
  }
  if (k[1]![0] !== 0 || k[2]![0] !== 0 || k[2]![1] !== 0 || k[2]![2] !== 1) {
    throw new InputError(
      `${where}: "intrinsic_matrix" must be upper triangular with K[2] = [0, 0, 1]`,
    );
  }
  const out: CameraFile = { intrinsicMatrix: k };
  if (d['distortion_coeffs'] !== undefined && d['distortion_coeffs'] !== null) {
    out.distortionCoeffs = vector(
      d['distortion_coeffs'],
      where,
      'distortion_coeffs',
      [0, 1, 2, 3, 4, 5, 8, 12],
    );
  }
  if (d['extrinsic_matrix'] !== undefined && d['extrinsic_matrix'] !== null) {
    const e = matrix(d['extrinsic_matrix'], 4, 4, where, 'extrinsic_matrix');
    const last = e[3]!;
    if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] !== 1) {
      throw new InputError(`${where}: "extrinsic_matrix" must have the bottom row [0, 0, 0, 1]`);
    }
    // The rotation part is checked where the pipeline uses it: @metrabs/core's Camera.
    try {
      new Camera({ intrinsicMatrix: k, extrinsicMatrix: e });
    } catch (error) {
      throw new InputError(`${where}: "extrinsic_matrix": ${(error as Error).message}`);
    }
    out.extrinsicMatrix = e;
  }
  if (d['world_up'] !== undefined && d['world_up'] !== null) {
    const up = vector(d['world_up'], where, 'world_up', [3]);
    if (Math.hypot(up[0]!, up[1]!, up[2]!) === 0)
      throw new InputError(`${where}: "world_up" must not be zero`);
    out.worldUpVector = up;
  }
  return out;
}

/** Reads and validates a camera file (see `parseCameraJson`). */
export function readCameraFile(path: string): CameraFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `intrinsics file not found: ${path}`
        : `cannot read intrinsics file ${path}: ${code ?? e}`,
    );
  }
  let json: unknown;
  try {
    // JSON has no NaN or Infinity: a file with them is reported as invalid JSON here.
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  return parseCameraJson(json, path);
}
