/**
 * The inference worker: loads ONNX Runtime Web, then the model package and the detector through
 * `@metrabs/runtime/web` (with progress, through the Cache API), then runs the same `Pose3DEstimator` as the Node CLI on
 * the frames the page transfers to it, so the page stays responsive.
 */
import {
  EstimatorLoadError,
  loadWebEstimator,
  type OrtModuleLike,
  type Pose3DEstimator,
  type TensorSession,
} from '@metrabs/runtime/web';
import type * as OrtWeb from 'onnxruntime-web';
import { clearCache, fetchBytes, fetchJson } from './fetch-cache.js';
import { rgbaToRgb } from './image.js';
import type {
  FrameRequest,
  LoadRequest,
  LoadStage,
  ReadyMessage,
  WorkerMessage,
  WorkerRequest,
} from './protocol.js';

type Ort = typeof OrtWeb;

interface Loaded {
  estimator: Pose3DEstimator;
  sessions: TensorSession[];
  detector: TimedSession;
  network: TimedSession;
}

/** A session that adds up the time spent in its runs. */
class TimedSession implements TensorSession {
  ms = 0;
  constructor(private readonly inner: TensorSession) {}
  get inputNames() {
    return this.inner.inputNames;
  }
  get outputNames() {
    return this.inner.outputNames;
  }
  async run(feeds: Parameters<TensorSession['run']>[0]) {
    const t = performance.now();
    try {
      return await this.inner.run(feeds);
    } finally {
      this.ms += performance.now() - t;
    }
  }
  release() {
    return this.inner.release?.() ?? Promise.resolve();
  }
}

let loaded: Loaded | undefined;
/** Loaded ONNX Runtime builds by module URL (at most one of each kind is ever used). */
const ortModules = new Map<string, Ort>();
let canvas: OffscreenCanvas | undefined;
let queue: Promise<void> = Promise.resolve();

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

/** An error tagged with the loading stage it happened in. */
class StageError extends Error {
  constructor(
    readonly stage: LoadStage,
    readonly reason: 'missing' | 'invalid' | 'other',
    message: string,
  ) {
    super(message);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The two builds of ONNX Runtime Web: CPU only (smaller, faster on CPU), or WebGPU + CPU. */
const ORT_BUILDS = {
  wasm: { module: 'ort.wasm.bundle.min.mjs', binary: 'ort-wasm-simd-threaded.wasm' },
  webgpu: { module: 'ort.bundle.min.mjs', binary: 'ort-wasm-simd-threaded.jsep.wasm' },
} as const;

async function loadOrt(request: LoadRequest, kind: 'wasm' | 'webgpu', threads: number) {
  const build = ORT_BUILDS[kind];
  const moduleUrl = new URL(build.module, request.ortBase).href;
  const known = ortModules.get(moduleUrl);
  if (known) return known;
  let ort: Ort;
  try {
    ort = (await import(/* @vite-ignore */ moduleUrl)) as Ort;
  } catch (error) {
    throw new StageError(
      'runtime',
      'other',
      `cannot load ONNX Runtime Web from ${moduleUrl}: ${message(error)}`,
    );
  }
  const wasmUrl = new URL(build.binary, request.ortBase).href;
  try {
    const { bytes } = await fetchBytes(wasmUrl, {
      cacheKey: `${wasmUrl}?ort=${ort.env.versions.web ?? 'unknown'}`,
      useCache: request.useCache,
      onProgress: (p) => post({ type: 'progress', stage: 'runtime', url: wasmUrl, ...p }),
    });
    ort.env.wasm.wasmBinary = bytes;
  } catch (error) {
    throw new StageError('runtime', 'other', message(error));
  }
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  ortModules.set(moduleUrl, ort);
  return ort;
}

async function webgpuAvailable(): Promise<string> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this browser has no WebGPU';
  try {
    return (await gpu.requestAdapter()) ? '' : 'WebGPU has no adapter (no usable GPU)';
  } catch (error) {
    return `WebGPU adapter request failed: ${message(error)}`;
  }
}

async function load(request: LoadRequest): Promise<void> {
  const start = performance.now();
  const isolated = self.crossOriginIsolated === true;
  const threads =
    request.threads > 0
      ? request.threads
      : isolated
        ? // Leave a core for the page and this worker's TypeScript (crops, reconstruction).
          Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 1) - 1))
        : 1;
  if (loaded) {
    const old = loaded;
    loaded = undefined;
    await Promise.all(old.sessions.map((s) => s.release?.()));
  }
  let backend: 'wasm' | 'webgpu' = 'wasm';
  let backendNote = '';
  if (request.backend !== 'wasm') {
    backendNote = await webgpuAvailable();
    if (!backendNote) backend = 'webgpu';
  }
  // WebGPU needs the bigger build; it also runs the CPU fallback if WebGPU fails later.
  const ort = await loadOrt(request, backend, threads);
  // Loading, checks and the WebGPU → WebAssembly fallback are the runtime's; the worker adds
  // the Cache API, progress messages and session timing.
  const sessions: Partial<Record<'model' | 'detector', TimedSession>> = {};
  let result: Awaited<ReturnType<typeof loadWebEstimator>>;
  try {
    result = await loadWebEstimator({
      model: request.modelUrl,
      detector: request.detectorUrl,
      ort: ort as unknown as OrtModuleLike,
      backend,
      fetchJson,
      fetchBytes: async (url, { what, cacheKey, validate }) =>
        (
          await fetchBytes(url, {
            cacheKey,
            useCache: request.useCache,
            onProgress: (p) => post({ type: 'progress', stage: what, url, ...p }),
            ...(validate ? { validate } : {}),
          })
        ).bytes,
      wrapSession: (session, what) => {
        sessions[what] = new TimedSession(session);
        return sessions[what];
      },
    });
  } catch (error) {
    if (error instanceof EstimatorLoadError)
      throw new StageError(error.stage, error.reason, error.message);
    throw error;
  }
  const timed = { model: sessions.model!, detector: sessions.detector! };
  const { estimator, descriptor } = result;
  backend = result.backend;
  backendNote = result.backendNote || backendNote;
  const base = result.modelUrl;
  loaded = {
    estimator,
    sessions: result.sessions,
    detector: timed.detector,
    network: timed.model,
  };
  const ready: ReadyMessage = {
    type: 'ready',
    backend,
    threads: backend === 'wasm' ? threads : 0,
    crossOriginIsolated: isolated,
    backendNote,
    loadMs: performance.now() - start,
    model: {
      url: base,
      backbone: descriptor.backbone,
      skeleton: descriptor.skeleton,
      numJoints: descriptor.jointNames.length,
      cropSide: descriptor.geometry.procSide,
      skeletons: estimator.availableSkeletons(),
      toy: /model-tiny/.test(base) || /toydata/.test(String(descriptor.training['dataset'] ?? '')),
    },
  };
  post(ready);
}

async function frame(request: FrameRequest): Promise<void> {
  const { bitmap, id } = request;
  try {
    if (!loaded) throw new Error('the model is not loaded');
    const t0 = performance.now();
    const { width, height } = bitmap;
    if (!canvas || canvas.width !== width || canvas.height !== height) {
      canvas = new OffscreenCanvas(width, height);
    }
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D canvas context in the worker');
    context.drawImage(bitmap, 0, 0);
    const image = rgbaToRgb(context.getImageData(0, 0, width, height));
    const t1 = performance.now();
    loaded.detector.ms = 0;
    loaded.network.ms = 0;
    const result = await loaded.estimator.detectPoses(image, request.options);
    const t2 = performance.now();
    post({
      type: 'result',
      id,
      result,
      width,
      height,
      timing: {
        readMs: t1 - t0,
        poseMs: t2 - t1,
        detectorMs: loaded.detector.ms,
        networkMs: loaded.network.ms,
      },
    });
  } catch (error) {
    post({ type: 'frame-error', id, message: message(error) });
  } finally {
    bitmap.close();
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  queue = queue.then(async () => {
    if (request.type === 'load') {
      try {
        await load(request);
      } catch (error) {
        const stageError =
          error instanceof StageError ? error : new StageError('model', 'other', message(error));
        post({
          type: 'load-error',
          stage: stageError.stage,
          reason: stageError.reason,
          message: stageError.message,
        });
      }
    } else if (request.type === 'frame') {
      await frame(request);
    } else if (request.type === 'clear-cache') {
      post({ type: 'cache-cleared', entries: await clearCache().catch(() => 0) });
    }
  });
};
