/**
 * The pose options every front end offers, in one place: their defaults, their allowed ranges
 * and `resolvePoseOptions`, which checks given values and fills in the defaults actually used.
 * The CLI's parsers and settings record, the web page's controls and the estimator all read
 * these. Pure.
 */
import { DEFAULT_FOV_DEGREES } from '@metrabs/core';

/** The default of each pose option (the reference API's defaults). */
export const POSE_DEFAULTS = {
  internalBatchSize: 64,
  antialiasFactor: 1,
  numAug: 5,
  averageAug: true,
  skeleton: '',
  defaultFovDegrees: DEFAULT_FOV_DEGREES,
  detectorThreshold: 0.3,
  detectorNmsIouThreshold: 0.7,
  maxDetections: -1,
  detectorFlipAug: false,
  suppressImplausiblePoses: true,
} as const;

/** The allowed range of a numeric option (bounds included unless marked exclusive). */
export interface OptionRange {
  min: number;
  max: number;
  integer: boolean;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** Allowed values of the numeric pose options. `maxDetections` also allows −1 (no limit). */
export const POSE_OPTION_RANGES = {
  numAug: { min: 1, max: 100, integer: true },
  antialiasFactor: { min: 1, max: 8, integer: true },
  internalBatchSize: { min: 1, max: 4096, integer: true },
  defaultFovDegrees: { min: 0, max: 180, integer: false, minExclusive: true, maxExclusive: true },
  detectorThreshold: { min: 0, max: 1, integer: false },
  detectorNmsIouThreshold: { min: 0, max: 1, integer: false },
  maxDetections: { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true },
} as const satisfies Record<string, OptionRange>;

export type RangedOption = keyof typeof POSE_OPTION_RANGES;

/** A pose option outside its range, or of the wrong type. */
export class PoseOptionsError extends RangeError {
  /** The option's name, e.g. `numAug`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'PoseOptionsError';
    this.option = option;
  }
}

/** `[1, 100]`, `(0, 180)`: a range as text for messages and help. */
export function describeRange(range: OptionRange): string {
  const open = range.minExclusive ? '(' : '[';
  const close = range.maxExclusive ? ')' : ']';
  if (range.integer) {
    return range.max === Number.MAX_SAFE_INTEGER
      ? `an integer ≥ ${range.min}`
      : `an integer from ${range.min} to ${range.max}`;
  }
  return `a number in ${open}${range.min}, ${range.max}${close}`;
}

/** Whether `value` lies in `range`. */
export function inRange(value: number, range: OptionRange): boolean {
  if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) return false;
  const aboveMin = range.minExclusive ? value > range.min : value >= range.min;
  const belowMax = range.maxExclusive ? value < range.max : value <= range.max;
  return aboveMin && belowMax;
}

/** Throws `PoseOptionsError` unless `value` is in the option's range. */
export function checkOption(option: RangedOption, value: number): number {
  if (option === 'maxDetections' && value === -1) return value;
  const range: OptionRange = POSE_OPTION_RANGES[option];
  if (typeof value !== 'number' || !inRange(value, range)) {
    const extra = option === 'maxDetections' ? ', or -1 for no limit' : '';
    throw new PoseOptionsError(option, `expected ${describeRange(range)}${extra}, got ${value}`);
  }
  return value;
}

/** The options a run actually used: every default filled in. */
export interface ResolvedPoseOptions {
  numAug: number;
  antialiasFactor: number;
  internalBatchSize: number;
  averageAug: boolean;
  skeleton: string;
  defaultFovDegrees: number;
  detectorThreshold: number;
  detectorNmsIouThreshold: number;
  maxDetections: number;
  detectorFlipAug: boolean;
  suppressImplausiblePoses: boolean;
}

/** What `resolvePoseOptions` reads (a subset of `PoseOptions`). */
export type PoseOptionValues = Partial<ResolvedPoseOptions>;

/** Checks the given options and fills in the defaults (throws `PoseOptionsError`). */
export function resolvePoseOptions(o: PoseOptionValues = {}): ResolvedPoseOptions {
  const resolved: ResolvedPoseOptions = { ...POSE_DEFAULTS };
  for (const key of Object.keys(POSE_DEFAULTS) as (keyof ResolvedPoseOptions)[]) {
    const value = o[key];
    if (value === undefined) continue;
    if (key in POSE_OPTION_RANGES) checkOption(key as RangedOption, value as number);
    else if (typeof value !== typeof POSE_DEFAULTS[key])
      throw new PoseOptionsError(key, `expected a ${typeof POSE_DEFAULTS[key]}, got ${value}`);
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}

/** How the camera of a run was given, as recorded in result documents. */
export type CameraSetting =
  | { intrinsicsFile: string }
  | { intrinsicMatrix: number[][] }
  | { defaultFovDegrees: number };

/**
 * The settings record of a result document: the options that shape the result, with the
 * defaults actually used. `camera` defaults to the field of view used when no intrinsics were
 * given.
 */
export function settingsRecord(
  resolved: ResolvedPoseOptions,
  camera?: CameraSetting,
): {
  numAug: number;
  antialiasFactor: number;
  detectorThreshold: number;
  maxDetections: number;
  detectorFlipAug: boolean;
  suppressImplausiblePoses: boolean;
  camera: CameraSetting;
} {
  return {
    numAug: resolved.numAug,
    antialiasFactor: resolved.antialiasFactor,
    detectorThreshold: resolved.detectorThreshold,
    maxDetections: resolved.maxDetections,
    detectorFlipAug: resolved.detectorFlipAug,
    suppressImplausiblePoses: resolved.suppressImplausiblePoses,
    camera: camera ?? { defaultFovDegrees: resolved.defaultFovDegrees },
  };
}
