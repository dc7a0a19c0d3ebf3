/**
 * Fuzzing the HTTP service: `POST /v1/poses` with the image-bytes corpus (mutated and intact
 * seeds) as a raw body or a multipart file, under right and wrong content types, with fuzzed
 * options in the query string or as form fields; `POST /v1/poses/batch` with zero to several
 * such files (some under wrong field names) and fuzzed options. The app runs the real pipeline
 * over the stand-in network (fuzz-estimator.ts). Every answer must be a 4xx JSON error with a
 * one-line message, or a 200 whose result documents have finite numbers (a batch: one item
 * per image sent, each a result or a one-line error, and `failed` counting the errors); never
 * a 5xx or a hang.
 */
import type { ResultModelInfo } from '@metrabs/runtime';
import { buildApp, serverConfig } from '@metrabs/server';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { CASE_TIMEOUT_MS, cameraJson, type FuzzOutcome, mutatedImage } from './fuzz.js';
import { STAND_IN_SIDE, standInEstimator } from './fuzz-estimator.js';

const MODEL: ResultModelInfo = {
  backbone: 'stand-in',
  skeleton: 'smpl+head_30',
  numJoints: 30,
  cropSide: STAND_IN_SIDE,
};

/** The app over one stand-in estimator; a short deadline so a stuck request shows as 503. */
export function fuzzApp(): Promise<FastifyInstance> {
  // The queue holds a whole batch (at most 16 images): a batch is admitted only when it fits.
  return buildApp(serverConfig({ log: false, requestTimeoutMs: 10_000, maxQueue: 16 }), {
    estimators: [standInEstimator()],
    model: MODEL,
  });
}

const OPTION_NAMES = [
  'numAug',
  'antialias',
  'skeleton',
  'fov',
  'detectorThreshold',
  'maxDetections',
  'detectorFlipAug',
  'suppressImplausible',
  'camera',
  'numaug',
  'image',
  '__proto__',
  'constructor',
];

/** Option values as text, the way they arrive in a query string or a form field. */
const optionText = fc.oneof(
  fc.constantFrom(
    '1',
    '2',
    '0',
    '-1',
    '100',
    '101',
    '8',
    '0.5',
    '1e999',
    '-1e999',
    'NaN',
    'Infinity',
    '',
    ' ',
    'true',
    'false',
    'null',
    '[]',
    '{}',
    'coco_19',
    'h36m_17',
    'smpl+head_30',
    '0x10',
    '1_000',
    '\u0000',
    'é',
  ),
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
  cameraJson.map((c) => JSON.stringify(c) ?? 'undefined'),
);

const options = fc.dictionary(fc.constantFrom(...OPTION_NAMES), optionText, { maxKeys: 4 });

export interface ServerCase {
  /** Raw body with a content type, multipart with the image as a file, or no image at all. */
  transport: 'raw' | 'multipart' | 'none';
  contentType: string;
  image: Uint8Array;
  query: Record<string, string>;
  /** Multipart only: option fields (and maybe a second image or a camera file). */
  fields: Record<string, string>;
  extraPart: 'none' | 'second-image' | 'camera-file';
}

/** Image bytes: an intact seed (so that some cases get a 200) or a mutated one. */
function seedOrMutant(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...seeds) },
    { weight: 3, arbitrary: mutatedImage(seeds) },
  );
}

/** `inject` arguments for a multipart body (the boundary comes from encoding it). */
async function multipartRequest(url: string, data: FormData) {
  const r = new Request('http://localhost/', { method: 'POST', body: data });
  return {
    method: 'POST' as const,
    url,
    headers: { 'content-type': r.headers.get('content-type')! },
    payload: Buffer.from(await r.arrayBuffer()),
  };
}

/** Requests over `seeds` (intact ones too, so that some cases get a 200). */
export function serverCase(seeds: Uint8Array[]): fc.Arbitrary<ServerCase> {
  const image = seedOrMutant(seeds);
  return fc.record({
    transport: fc.constantFrom('raw', 'raw', 'multipart', 'multipart', 'none'),
    contentType: fc.constantFrom(
      'image/jpeg',
      'image/jpeg',
      'image/png',
      'image/webp',
      'image/gif',
      'application/json',
      'text/plain',
      'application/octet-stream',
      'multipart/form-data',
      'multipart/form-data; boundary=xyz',
    ),
    image,
    query: fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, options),
    fields: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, options),
    extraPart: fc.constantFrom('none', 'none', 'none', 'second-image', 'camera-file'),
  }) as fc.Arbitrary<ServerCase>;
}

/** The `inject` request of a case. */
async function request(c: ServerCase) {
  const url = `/v1/poses?${new URLSearchParams(c.query).toString()}`;
  if (c.transport !== 'multipart') {
    return {
      method: 'POST' as const,
      url,
      headers: { 'content-type': c.contentType },
      payload: c.transport === 'raw' ? Buffer.from(c.image) : Buffer.alloc(0),
    };
  }
  const data = new FormData();
  data.append('image', new Blob([new Uint8Array(c.image)], { type: c.contentType }), 'fuzz.img');
  for (const [k, v] of Object.entries(c.fields)) data.append(k, v);
  if (c.extraPart === 'second-image') data.append('image', new Blob([new Uint8Array(c.image)]));
  if (c.extraPart === 'camera-file') {
    data.append('camera', new Blob([c.fields['camera'] ?? '{"intrinsic_matrix": 1}']), 'cam.json');
  }
  return multipartRequest(url, data);
}

/** Whether `value` is a (nested) array of finite numbers only: null there is a NaN in JSON. */
function finiteArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return value.every((v) => (Array.isArray(v) ? finiteArray(v) : Number.isFinite(v)));
}

/** The numeric fields of a result document (JSON turns NaN and ±Infinity into null). */
const NUMERIC_FIELDS = ['boxes', 'poses3d', 'poses2d', 'intrinsicMatrix', 'distancesM'];

/** Why a result document is not acceptable (not a result, non-finite numbers), or undefined. */
function resultProblem(json: Record<string, unknown>): string | undefined {
  if (json['format'] !== 'metrabs-result') return 'without a result';
  const bad = NUMERIC_FIELDS.find((f) => f in json && !finiteArray(json[f]));
  return bad ? `with non-finite ${bad}` : undefined;
}

/** Whether `error` is `{ code, message }` with a non-empty one-line message. */
function clearError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return (
    typeof e?.code === 'string' &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    !e.message.includes('\n')
  );
}

/** A 200 batch answer: one item per image sent, each a result or a clear error. */
function batchProblem(json: Record<string, unknown>, imagesSent: number): string | undefined {
  const results = json['results'];
  if (!Array.isArray(results)) return 'no results array';
  if (json['images'] !== imagesSent || results.length !== imagesSent) {
    return `${imagesSent} images sent, answer says ${String(json['images'])} with ${results.length} items`;
  }
  let failed = 0;
  for (const item of results as Record<string, unknown>[]) {
    if ('error' in item) {
      failed++;
      if (!clearError(item['error'])) return `unclear item error ${JSON.stringify(item['error'])}`;
    } else {
      const problem = resultProblem(item);
      if (problem) return `item ${problem}`;
    }
  }
  return json['failed'] === failed
    ? undefined
    : `failed ${String(json['failed'])}, ${failed} errors`;
}

function judgeAnswer(
  status: number,
  type: string,
  body: string,
  batchImages?: number,
): FuzzOutcome {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body);
  } catch {
    return { verdict: 'failure', why: `${status} answer is not JSON: ${body.slice(0, 80)}` };
  }
  if (!type.startsWith('application/json')) {
    return { verdict: 'failure', why: `${status} answer of type ${type}` };
  }
  if (status === 200) {
    const problem =
      batchImages === undefined ? resultProblem(json) : batchProblem(json, batchImages);
    return problem ? { verdict: 'failure', why: `200 ${problem}` } : { verdict: 'valid' };
  }
  const error = json['error'] as { code?: unknown; message?: unknown } | undefined;
  if (status >= 400 && status < 500 && typeof error?.code === 'string') {
    return clearError(error)
      ? { verdict: 'error' }
      : { verdict: 'failure', why: `unclear message: ${JSON.stringify(error.message)}` };
  }
  return { verdict: 'failure', why: `${status} ${JSON.stringify(error ?? json).slice(0, 160)}` };
}

export interface BatchCase {
  /** The files, each under a field name (`images` is the right one). */
  parts: { field: string; contentType: string; image: Uint8Array }[];
  query: Record<string, string>;
  fields: Record<string, string>;
  /** Sent as multipart, or (wrongly) as a raw body of the first file. */
  transport: 'multipart' | 'raw';
}

/** Batch requests over `seeds`: 0–6 files (a few more than allowed now and then). */
export function batchCase(seeds: Uint8Array[], maxImages = 16): fc.Arbitrary<BatchCase> {
  const image = seedOrMutant(seeds);
  const part = fc.record({
    field: fc.oneof(
      { weight: 12, arbitrary: fc.constant('images') },
      { weight: 1, arbitrary: fc.constantFrom('image', 'file', '') },
    ),
    contentType: fc.constantFrom(
      'image/jpeg',
      'image/png',
      'application/octet-stream',
      'text/plain',
    ),
    image,
  });
  return fc.record({
    parts: fc.oneof(
      { weight: 8, arbitrary: fc.array(part, { maxLength: 6 }) },
      // Over the limit: only the count matters, so the same bytes repeat.
      { weight: 1, arbitrary: part.map((p) => Array.from({ length: maxImages + 1 }, () => p)) },
    ),
    query: fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, options),
    fields: fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, options),
    transport: fc.constantFrom('multipart', 'multipart', 'multipart', 'raw'),
  }) as fc.Arbitrary<BatchCase>;
}

async function batchRequest(c: BatchCase) {
  const url = `/v1/poses/batch?${new URLSearchParams(c.query).toString()}`;
  if (c.transport === 'raw') {
    return {
      method: 'POST' as const,
      url,
      headers: { 'content-type': c.parts[0]?.contentType ?? 'image/jpeg' },
      payload: Buffer.from(c.parts[0]?.image ?? new Uint8Array()),
    };
  }
  const data = new FormData();
  c.parts.forEach((p, i) => {
    data.append(p.field, new Blob([new Uint8Array(p.image)], { type: p.contentType }), `f${i}.img`);
  });
  for (const [k, v] of Object.entries(c.fields)) data.append(k, v);
  return multipartRequest(url, data);
}

/** Server path: one request; a 4xx JSON error, or a 200 result with finite numbers. */
export function judgeServer(app: FastifyInstance, c: ServerCase): Promise<FuzzOutcome> {
  return judgeRequest(app, request(c));
}

/** Batch path: a 4xx JSON error, or a 200 with one clear item per image of the `images` field. */
export function judgeBatch(app: FastifyInstance, c: BatchCase): Promise<FuzzOutcome> {
  const sent = c.parts.filter((p) => p.field === 'images').length;
  return judgeRequest(app, batchRequest(c), sent);
}

async function judgeRequest(
  app: FastifyInstance,
  req: ReturnType<typeof request>,
  batchImages?: number,
): Promise<FuzzOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<FuzzOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ verdict: 'failure', why: 'hang' }), CASE_TIMEOUT_MS);
  });
  const run = (async (): Promise<FuzzOutcome> => {
    try {
      const r = await app.inject(await req);
      return judgeAnswer(
        r.statusCode,
        String(r.headers['content-type'] ?? ''),
        r.body,
        batchImages,
      );
    } catch (e) {
      return { verdict: 'failure', why: `inject threw ${(e as Error)?.message}` };
    }
  })();
  try {
    return await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the app still answers its liveness probe (after a fuzz run). */
export async function stillHealthy(app: FastifyInstance): Promise<boolean> {
  const r = await app.inject({ method: 'GET', url: '/healthz' });
  return r.statusCode === 200;
}
