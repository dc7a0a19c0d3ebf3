/**
 * Fuzzing the HTTP service: `POST /v1/poses` with the image-bytes corpus (mutated and intact
 * seeds) as a raw body or a multipart file, under right and wrong content types, with fuzzed
 * options in the query string or as form fields. The app runs the real pipeline over the
 * stand-in network (fuzz-estimator.ts). Every answer must be a 4xx JSON error with a one-line
 * message, or a 200 result document whose numbers are all finite; never a 5xx or a hang.
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
  return buildApp(serverConfig({ log: false, requestTimeoutMs: 10_000, maxQueue: 4 }), {
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

/** Requests over `seeds` (intact ones too, so that some cases get a 200). */
export function serverCase(seeds: Uint8Array[]): fc.Arbitrary<ServerCase> {
  const image = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...seeds) },
    { weight: 3, arbitrary: mutatedImage(seeds) },
  );
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
  const r = new Request('http://localhost/', { method: 'POST', body: data });
  return {
    method: 'POST' as const,
    url,
    headers: { 'content-type': r.headers.get('content-type')! },
    payload: Buffer.from(await r.arrayBuffer()),
  };
}

/** Whether `value` is a (nested) array of finite numbers only: null there is a NaN in JSON. */
function finiteArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return value.every((v) => (Array.isArray(v) ? finiteArray(v) : Number.isFinite(v)));
}

/** The numeric fields of a result document (JSON turns NaN and ±Infinity into null). */
const NUMERIC_FIELDS = ['boxes', 'poses3d', 'poses2d', 'intrinsicMatrix', 'distancesM'];

function judgeAnswer(status: number, type: string, body: string): FuzzOutcome {
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
    if (json['format'] !== 'metrabs-result')
      return { verdict: 'failure', why: '200 without a result' };
    const bad = NUMERIC_FIELDS.find((f) => f in json && !finiteArray(json[f]));
    return bad ? { verdict: 'failure', why: `200 with non-finite ${bad}` } : { verdict: 'valid' };
  }
  const error = json['error'] as { code?: unknown; message?: unknown } | undefined;
  const message = error?.message;
  if (
    status >= 400 &&
    status < 500 &&
    typeof error?.code === 'string' &&
    typeof message === 'string'
  ) {
    return message.length > 0 && !message.includes('\n')
      ? { verdict: 'error' }
      : { verdict: 'failure', why: `unclear message: ${JSON.stringify(message)}` };
  }
  return { verdict: 'failure', why: `${status} ${JSON.stringify(error ?? json).slice(0, 160)}` };
}

/** Server path: one request; a 4xx JSON error, or a 200 result with finite numbers. */
export async function judgeServer(app: FastifyInstance, c: ServerCase): Promise<FuzzOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<FuzzOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ verdict: 'failure', why: 'hang' }), CASE_TIMEOUT_MS);
  });
  const run = (async (): Promise<FuzzOutcome> => {
    try {
      const r = await app.inject(await request(c));
      return judgeAnswer(r.statusCode, String(r.headers['content-type'] ?? ''), r.body);
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
