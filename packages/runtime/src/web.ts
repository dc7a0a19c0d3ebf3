/**
 * Browser entry of `@metrabs/runtime`: `createEstimator` over onnxruntime-web, loading a model
 * package and the YOLOX-Nano detector from URLs — the browser twin of `@metrabs/runtime/node`.
 * Fetching is pluggable (a page can add caching and progress); the detector is checked against
 * its sha256. Load failures are `EstimatorLoadError`s saying which part failed and why.
 */
import { CropModel } from './crop-model.js';
import { YOLOX_NANO_SHA256 } from './detector-file.js';
import { Pose3DEstimator } from './estimator.js';
import { type ModelDescriptor, parseModelDescriptor } from './model-package.js';
import { createOrtSession, type OrtModuleLike } from './ort-session.js';
import type { TensorSession } from './types.js';
import { YoloxPersonDetector } from './yolox.js';

export * from './index.js';

/** What failed to load: the ONNX Runtime build, the model package or the detector. */
export type LoadStage = 'runtime' | 'model' | 'detector';
/** Why: the file is not there, it is there but unusable, or something else went wrong. */
export type LoadReason = 'missing' | 'invalid' | 'other';

export class EstimatorLoadError extends Error {
  readonly stage: LoadStage;
  readonly reason: LoadReason;

  constructor(
    stage: LoadStage,
    reason: LoadReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EstimatorLoadError';
    this.stage = stage;
    this.reason = reason;
  }
}

/** How a file is fetched: what it is, a cache key that changes with its content, a check. */
export interface FetchRequest {
  what: 'model' | 'detector';
  cacheKey: string;
  /** Throws when the bytes are not the expected file (run before caching them). */
  validate?: (bytes: Uint8Array) => Promise<void>;
}

/** Gets a file's bytes; errors with a numeric `status` (HTTP, 0 = network) are classified. */
export type FetchBytes = (url: string, request: FetchRequest) => Promise<Uint8Array>;

export interface WebEstimatorOptions {
  /** Model package URL: its directory (ending in `/`) or its `metrabs.json`. */
  model: string;
  /** YOLOX-Nano ONNX URL; `false` = no detector (give boxes to `estimatePoses`). */
  detector: string | false;
  /** The onnxruntime-web module (default: `import('onnxruntime-web')`). */
  ort?: OrtModuleLike;
  /** `webgpu` (falls back to `wasm` per model when it fails), or `wasm` (default). */
  backend?: 'webgpu' | 'wasm';
  /** Default: `fetch`, no cache. */
  fetchBytes?: FetchBytes;
  /** Fetches and parses JSON (default: `fetch`). */
  fetchJson?: (url: string) => Promise<unknown>;
  /** Wraps each session (e.g. to time it). */
  wrapSession?: (session: TensorSession, what: 'model' | 'detector') => TensorSession;
}

export interface LoadedWebEstimator {
  estimator: Pose3DEstimator;
  descriptor: ModelDescriptor;
  /** The model package's base URL. */
  modelUrl: string;
  /** The backend the sessions run on, and why it is not the one asked for (or ''). */
  backend: 'webgpu' | 'wasm';
  backendNote: string;
  sessions: TensorSession[];
  /** Frees the ONNX Runtime sessions. */
  release(): Promise<void>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** HTTP status of a fetch error (0 = network, −1 = not a fetch error). */
function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : -1;
}

class HttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    text: string,
  ) {
    super(`${url}: ${text}`);
    this.name = 'HttpError';
  }
}

async function plainFetch(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new HttpError(url, 0, `network error (${message(error)})`);
  }
  if (!response.ok) throw new HttpError(url, response.status, `HTTP ${response.status}`);
  return response;
}

const defaultFetchBytes: FetchBytes = async (url, request) => {
  const bytes = new Uint8Array(await (await plainFetch(url)).arrayBuffer());
  await request.validate?.(bytes);
  return bytes;
};

const defaultFetchJson = async (url: string) => (await plainFetch(url)).json();

/** The page's (or worker's) own URL, against which relative URLs resolve. */
function pageUrl(): string | undefined {
  return (globalThis as { location?: { href: string } }).location?.href;
}

/** The descriptor URL and base URL of a model package URL. */
export function modelUrls(modelUrl: string): { descriptorUrl: string; base: string } {
  const url = new URL(modelUrl, pageUrl());
  if (url.pathname.endsWith('.json')) return { descriptorUrl: url.href, base: url.href };
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { descriptorUrl: new URL('metrabs.json', url).href, base: url.href };
}

/** Lowercase hex sha256, or undefined where there is no SubtleCrypto (insecure origins). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Rejects bytes that are not the YOLOX-Nano file (an HTML page counts as missing). */
async function checkDetector(url: string, bytes: Uint8Array): Promise<void> {
  const digest = await sha256Hex(bytes);
  if (digest === undefined || digest === YOLOX_NANO_SHA256) return;
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  const html = /<(!doctype|html)/i.test(head) ? ' (it is an HTML page)' : '';
  throw new EstimatorLoadError(
    'detector',
    html ? 'missing' : 'invalid',
    `${url} is not the expected YOLOX-Nano file${html}: sha256 ${digest} ` +
      `(${bytes.byteLength} bytes), expected ${YOLOX_NANO_SHA256}`,
  );
}

function fetchFailure(stage: LoadStage, error: unknown, text: string): EstimatorLoadError {
  if (error instanceof EstimatorLoadError) return error;
  const status = statusOf(error);
  const reason: LoadReason = status === 404 || status === 0 ? 'missing' : 'other';
  return new EstimatorLoadError(stage, reason, `${text}${message(error)}`, { cause: error });
}

/**
 * Loads a model package and the person detector from URLs into a `Pose3DEstimator`, with the
 * backend used and the sessions (see `createEstimator` for the estimator alone).
 */
export async function loadWebEstimator(options: WebEstimatorOptions): Promise<LoadedWebEstimator> {
  let ort = options.ort;
  if (!ort) {
    try {
      ort = (await import('onnxruntime-web')) as unknown as OrtModuleLike;
    } catch (error) {
      throw new EstimatorLoadError(
        'runtime',
        'other',
        `cannot load onnxruntime-web: ${message(error)}`,
      );
    }
  }
  const fetchBytes = options.fetchBytes ?? defaultFetchBytes;
  const fetchJson = options.fetchJson ?? defaultFetchJson;
  const wrap = options.wrapSession ?? ((s) => s);
  let backend = options.backend ?? 'wasm';
  let backendNote = '';
  const sessions: TensorSession[] = [];
  const release = () => Promise.all(sessions.map((s) => s.release?.())).then(() => undefined);

  const open = async (bytes: Uint8Array, what: 'model' | 'detector', label: string) => {
    if (backend === 'webgpu') {
      try {
        return await createOrtSession(ort, bytes, { executionProviders: ['webgpu'] });
      } catch (error) {
        backend = 'wasm';
        backendNote = `WebGPU failed for the ${label} (${message(error)}); using WebAssembly`;
      }
    }
    try {
      return await createOrtSession(ort, bytes, { executionProviders: ['wasm'] });
    } catch (error) {
      throw new EstimatorLoadError(
        what,
        'invalid',
        `the ${label} cannot be opened: ${message(error)}`,
      );
    }
  };

  try {
    // The model package.
    const { descriptorUrl, base } = modelUrls(options.model);
    let descriptorJson: unknown;
    try {
      descriptorJson = await fetchJson(descriptorUrl);
    } catch (error) {
      const status = statusOf(error);
      throw new EstimatorLoadError(
        'model',
        status === 404 || status === 0 ? 'missing' : 'invalid',
        `cannot load the model package ${base}: ${message(error)}`,
        { cause: error },
      );
    }
    let descriptor: ModelDescriptor;
    try {
      descriptor = parseModelDescriptor(descriptorJson, descriptorUrl);
    } catch (error) {
      throw new EstimatorLoadError('model', 'invalid', message(error), { cause: error });
    }
    const onnxUrl = new URL(descriptor.onnx, base).href;
    const created = (descriptorJson as { created?: unknown }).created;
    let modelBytes: Uint8Array;
    try {
      modelBytes = await fetchBytes(onnxUrl, {
        what: 'model',
        cacheKey: `${onnxUrl}?created=${encodeURIComponent(String(created ?? ''))}`,
      });
    } catch (error) {
      const text = `cannot load the model's network: ${message(error)}`;
      throw new EstimatorLoadError('model', 'missing', text, { cause: error });
    }
    const cropSession = wrap(await open(modelBytes, 'model', `model ${onnxUrl}`), 'model');
    sessions.push(cropSession);
    let model: CropModel;
    try {
      model = new CropModel(descriptor, cropSession);
    } catch (error) {
      throw new EstimatorLoadError('model', 'invalid', message(error), { cause: error });
    }

    // The detector.
    let detector: YoloxPersonDetector | undefined;
    if (options.detector !== false) {
      const url = new URL(options.detector, pageUrl()).href;
      let bytes: Uint8Array;
      try {
        bytes = await fetchBytes(url, {
          what: 'detector',
          cacheKey: `${url}?sha256=${YOLOX_NANO_SHA256}`,
          validate: (b) => checkDetector(url, b),
        });
      } catch (error) {
        throw fetchFailure('detector', error, '');
      }
      const detectorSession = wrap(await open(bytes, 'detector', `detector ${url}`), 'detector');
      sessions.push(detectorSession);
      try {
        detector = new YoloxPersonDetector(detectorSession);
      } catch (error) {
        throw new EstimatorLoadError('detector', 'invalid', message(error), { cause: error });
      }
    }
    const estimator = new Pose3DEstimator(model, detector);
    return { estimator, descriptor, modelUrl: base, backend, backendNote, sessions, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Loads a model package and the person detector from URLs into a `Pose3DEstimator`. */
export async function createEstimator(options: WebEstimatorOptions): Promise<Pose3DEstimator> {
  return (await loadWebEstimator(options)).estimator;
}
