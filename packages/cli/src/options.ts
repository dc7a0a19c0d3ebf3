/**
 * Validation of command-line values. Parsers for commander throw `InvalidArgumentError`
 * (→ exit 2). The camera file is read and checked by the runtime (`readCameraFile`); its
 * `CameraFileError` becomes exit 3 (pipeline.ts). Pure.
 */
import { describeRange, inRange, type OptionRange, POSE_OPTION_RANGES } from '@metrabs/runtime';
import { type Command, InvalidArgumentError, Option } from 'commander';

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

/**
 * The pose options every command that estimates poses takes (`detect`, `video`, `batch
 * submit`), with their parsers and help; `intrinsicsHelp` says where the camera file goes.
 */
export function addPoseOptions(command: Command, intrinsicsHelp: string): Command {
  return command
    .option(
      '--skeleton <name>',
      "output joint set, e.g. coco_19, h36m_17, smpl_24 (default: the model's own)",
    )
    .addOption(
      new Option(
        '--fov <degrees>',
        'field of view along the longer image side, when intrinsics are unknown',
      )
        .argParser(parseFov)
        .conflicts('intrinsics'),
    )
    .option('--intrinsics <file.json>', intrinsicsHelp)
    .option(
      '--num-aug <n>',
      'test-time augmentations per person, 1–100 (default 5; 1 is fastest)',
      parseNumAug,
    )
    .option('--antialias <n>', 'supersampling factor of the crops, 1–8 (default 1)', parseAntialias)
    .option(
      '--detector-threshold <score>',
      'minimum person score of the detector, 0–1 (default 0.3)',
      parseThreshold,
    )
    .option(
      '--max-detections <n>',
      'at most this many people per image, best first (default -1: all)',
      parseMaxDetections,
    )
    .option('--detector-flip-aug', 'also run the detector on the mirrored image (slower)')
    .option(
      '--no-suppress-implausible',
      'keep poses that fail the plausibility checks, and duplicates (default: drop them)',
    );
}
