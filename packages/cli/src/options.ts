/**
 * Validation of command-line values. Parsers for commander throw `InvalidArgumentError`
 * (→ exit 2). The camera file is read and checked by the runtime (`readCameraFile`); its
 * `CameraFileError` becomes exit 3 (pipeline.ts). Pure.
 */
import { describeRange, inRange, type OptionRange, POSE_OPTION_RANGES } from '@metrabs/runtime';
import { InvalidArgumentError } from 'commander';

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

/** A parser for a pose option, with the runtime's range for it. */
function poseOption(range: OptionRange) {
  return (value: string): number => {
    const n = parseNumber(value);
    if (!inRange(n, range)) throw new InvalidArgumentError(`expected ${describeRange(range)}.`);
    return n;
  };
}

export const parseFov = poseOption(POSE_OPTION_RANGES.defaultFovDegrees);
export const parseNumAug = poseOption(POSE_OPTION_RANGES.numAug);
export const parseAntialias = poseOption(POSE_OPTION_RANGES.antialiasFactor);
export const parseThreshold = poseOption(POSE_OPTION_RANGES.detectorThreshold);
export const parseThreads = intOption(1, 256);
export const parseSmoothing = numberOption(0, 1, { minExclusive: true });
export const parseCutoff = numberOption(0, 1000, { minExclusive: true });
export const parseBeta = numberOption(0, 10);
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
export function parseTrainAppearance(value: string): 'split' | 'all' {
  if (value === 'split' || value === 'all') return value;
  throw new InvalidArgumentError("expected 'split' or 'all'.");
}

export function parseMaxDetections(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) {
    throw new InvalidArgumentError('expected a positive integer, or -1 for no limit.');
  }
  return n;
}
