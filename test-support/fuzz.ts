/**
 * Fuzz generators and the verdict shared by the CI fuzz tests (`test/fuzz.test.ts`, fixed
 * seeds, a few hundred cases per input path) and the long run (`bench/fuzz.ts`, ≥ 10 000).
 *
 * Every case must end in a typed error with a one-line message, or a valid result whose
 * numbers are all finite; anything else (another exception, a NaN, a hang) is a failure.
 */
import {
  CameraFileError,
  PoseOptionsError,
  parseCameraJson,
  resolvePoseOptions,
} from '@metrabs/runtime';
import { ImageError, loadImage } from '@metrabs/runtime/node';
import fc from 'fast-check';
import sharp from 'sharp';

export type Verdict = 'error' | 'valid' | 'failure';

export interface FuzzOutcome {
  verdict: Verdict;
  /** For failures: what went wrong. */
  why?: string;
}

/** A typed error of one of `types`, with a one-line message, is a clear error. */
export function judgeError(error: unknown, types: (new (...a: never[]) => Error)[]): FuzzOutcome {
  if (!types.some((t) => error instanceof t)) {
    return {
      verdict: 'failure',
      why: `untyped ${(error as Error)?.name}: ${String((error as Error)?.message ?? error)}`,
    };
  }
  const message = (error as Error).message;
  // One line: a stack trace or a decoder's multi-line report is not a clear message.
  if (message.trim().length === 0 || message.includes('\n')) {
    return { verdict: 'failure', why: `unclear message: ${JSON.stringify(message)}` };
  }
  return { verdict: 'error' };
}

/** Whether every number reachable in `value` is finite. */
export function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>).every(Number.isFinite);
  }
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

/** Numbers that break code: NaN, infinities, huge, tiny, negative, non-integers. */
export const weirdNumber = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, -1, 1e308, -1e308, 5e-324, 2 ** 53, 1e9),
  fc.double(),
  fc.integer({ min: -1000, max: 1000 }),
);

/** Anything a JSON-ish field could wrongly hold. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  weirdNumber,
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constantFrom(null, undefined, {}, [], [[]]),
  fc.array(weirdNumber, { maxLength: 4 }),
);

const goodK = [
  [1000, 0, 320],
  [0, 1000, 240],
  [0, 0, 1],
];

/** A 3×3 (or misshapen) matrix, each entry sometimes weird. */
const matrixLike = (rows: number, cols: number) =>
  fc.oneof(
    fc.array(fc.array(weirdNumber, { minLength: cols, maxLength: cols }), {
      minLength: rows,
      maxLength: rows,
    }),
    fc.tuple(fc.nat({ max: rows * cols - 1 }), weirdNumber).map(([i, v]) => {
      const m = (
        rows === 3
          ? goodK
          : [
              [1, 0, 0, 0],
              [0, 1, 0, 0],
              [0, 0, 1, 0],
              [0, 0, 0, 1],
            ]
      ).map((r) => [...r]);
      m[Math.floor(i / cols)]![i % cols] = v;
      return m;
    }),
    weirdValue,
  );

/** Camera file contents: every key missing, right, weird or extra. */
export const cameraJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      intrinsic_matrix: fc.oneof(fc.constant(goodK), matrixLike(3, 3)),
      distortion_coeffs: fc.oneof(
        fc.array(weirdNumber, { maxLength: 13 }),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 5, maxLength: 5 }),
        weirdValue,
      ),
      extrinsic_matrix: fc.oneof(matrixLike(4, 4), fc.constant(null)),
      world_up: fc.oneof(fc.array(weirdNumber, { maxLength: 4 }), weirdValue),
      extra: weirdValue,
    },
    { requiredKeys: [] },
  ),
  weirdValue,
);

const OPTION_KEYS = [
  'numAug',
  'antialiasFactor',
  'internalBatchSize',
  'averageAug',
  'skeleton',
  'defaultFovDegrees',
  'detectorThreshold',
  'detectorNmsIouThreshold',
  'maxDetections',
  'detectorFlipAug',
  'suppressImplausiblePoses',
];

/** Pose option objects: each field missing, plausible or weird. */
export const poseOptions: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom(...OPTION_KEYS),
  fc.oneof(weirdValue, fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 1, noNaN: true })),
  { maxKeys: 5 },
);

/** Small seed images in every format sharp reads, with odd bit depths and colour spaces. */
export async function seedImages(): Promise<Uint8Array[]> {
  const base = () =>
    sharp({ create: { width: 12, height: 9, channels: 3, background: { r: 200, g: 40, b: 90 } } });
  return Promise.all([
    base().jpeg().toBuffer(),
    base().png().toBuffer(),
    base().png({ palette: true }).toBuffer(),
    base().toColourspace('b-w').png().toBuffer(),
    base().toColourspace('rgb16').png().toBuffer(),
    base().webp().toBuffer(),
    base().gif().toBuffer(),
    base().tiff().toBuffer(),
    base().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    base().toColourspace('cmyk').jpeg().toBuffer(),
  ]).then((list) => list.map((b) => new Uint8Array(b)));
}

/** Mutations of a seed image: truncation, flipped bytes, huge declared sizes, inserted junk. */
export function mutatedImage(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
    }),
    fc.record({
      kind: fc.constant('header' as const),
      at: fc.nat({ max: 40 }),
      value: fc.constantFrom(0xff, 0x7f, 0x00, 0x40),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ maxLength: 64 }),
    }),
    fc.constant({ kind: 'random' as const }),
  );
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.uint8Array({ maxLength: 256 }),
    )
    .map(([which, mutations, random]) => {
      let bytes = Uint8Array.from(seeds[which]!);
      for (const m of mutations) {
        if (m.kind === 'truncate') {
          bytes = bytes.subarray(0, Math.floor(bytes.length * m.at));
        } else if (m.kind === 'flip') {
          for (const [i, v] of m.at) {
            if (bytes.length > 0) bytes[i % bytes.length] = v;
          }
        } else if (m.kind === 'header') {
          // Header bytes set to 0xff etc.: declared sizes become huge or zero.
          for (let i = m.at; i < Math.min(bytes.length, m.at + 4); i++) bytes[i] = m.value;
        } else if (m.kind === 'insert') {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
        } else {
          bytes = random;
        }
      }
      return bytes;
    });
}

/** Camera path: a CameraFileError, or a camera with finite numbers. */
export function judgeCamera(json: unknown): FuzzOutcome {
  try {
    const camera = parseCameraJson(json, 'fuzz.json');
    return allFinite(camera)
      ? { verdict: 'valid' }
      : { verdict: 'failure', why: 'non-finite camera' };
  } catch (e) {
    return judgeError(e, [CameraFileError]);
  }
}

/** Options path: a PoseOptionsError, or options with finite numbers. */
export function judgeOptions(o: Record<string, unknown>): FuzzOutcome {
  try {
    const resolved = resolvePoseOptions(o as never);
    return allFinite(resolved)
      ? { verdict: 'valid' }
      : { verdict: 'failure', why: 'non-finite option' };
  } catch (e) {
    return judgeError(e, [PoseOptionsError]);
  }
}

/** A deadline for one case: a hang is a failure, not a stuck test. */
export const CASE_TIMEOUT_MS = 20_000;

/** Image path: an ImageError, or an RGB image of consistent size. */
export async function judgeImage(bytes: Uint8Array): Promise<FuzzOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<FuzzOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ verdict: 'failure', why: 'hang' }), CASE_TIMEOUT_MS);
  });
  const run = (async (): Promise<FuzzOutcome> => {
    try {
      const image = await loadImage(bytes);
      const ok =
        Number.isInteger(image.width) &&
        Number.isInteger(image.height) &&
        image.width > 0 &&
        image.height > 0 &&
        image.data.length === image.width * image.height * 3;
      return ok ? { verdict: 'valid' } : { verdict: 'failure', why: 'inconsistent image' };
    } catch (e) {
      return judgeError(e, [ImageError]);
    }
  })();
  try {
    return await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts over a run. */
export interface FuzzCounts {
  cases: number;
  error: number;
  valid: number;
  failure: number;
  failures: { input: unknown; why: string }[];
}

export function emptyCounts(): FuzzCounts {
  return { cases: 0, error: 0, valid: 0, failure: 0, failures: [] };
}

export function count(counts: FuzzCounts, input: unknown, outcome: FuzzOutcome): void {
  counts.cases++;
  counts[outcome.verdict]++;
  if (outcome.verdict === 'failure' && counts.failures.length < 5) {
    counts.failures.push({ input, why: outcome.why ?? '' });
  }
}

/**
 * A minimised fuzz find (seed 18): a JPEG with junk before its frame header, for which libvips
 * reports five warnings on five lines. Messages about it must still be one line.
 */
export const MULTILINE_DECODER_JPEG = Buffer.from(
  '/9j/7gAOQWRvYmUAZAAAf39/f9sAQwAGBAUGBQQGBgUGBwcGCAoQCgAAAAAUDg8MEBcUGBgXFBYWGh0lHxobIxwWFiAsICMmJykqKRkfLTAtKDAlKCko/8AAFAgACQAMBEMRAE0RAFkRAEsRAP/EABcAAQEBAQAAAAAAAAAAAAAAAAAIBAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9oADgRDAE0AWQBLAAA/AKkS+2u7gAAAP//Z',
  'base64',
);

/** A minimised fuzz find (seed 18): a JPEG whose header alone makes libvips report 3 lines. */
export const MULTILINE_HEADER_JPEG = Buffer.from(
  '/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwAGBAUGBQQGBgUGBwfTCAoQCgoJCfsUDg8MEBcUGBgXFBYWGvMlHxobIxwWhSAsICMmPikqKRkfLTAtKDAlKCko/8AAFAgACQAMBEMRAE0RAFkRAEsRAP/EABcA5QEBAQAAAAAAAAAAAAAAAAAIBAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/9ptDgRDAE0AWQdLAAA/AKkS+2u7gAAAP//Z',
  'base64',
);
