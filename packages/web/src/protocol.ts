/** Messages between the page (main thread) and the inference worker. */
import type { PoseOptions, PoseResult } from '@metrabs/runtime';

export type Backend = 'auto' | 'wasm' | 'webgpu';

export interface LoadRequest {
  type: 'load';
  /** Model package folder (…/ with metrabs.json) or the metrabs.json URL itself; absolute. */
  modelUrl: string;
  /** YOLOX-Nano ONNX URL; absolute. */
  detectorUrl: string;
  /**
   * Folder of ONNX Runtime Web's files (absolute): `ort.wasm.bundle.min.mjs` with
   * `ort-wasm-simd-threaded.wasm` (CPU only, faster) and `ort.bundle.min.mjs` with
   * `ort-wasm-simd-threaded.jsep.wasm` (WebGPU and CPU), each loaded only when used.
   */
  ortBase: string;
  backend: Backend;
  /** WebAssembly threads; 0 = automatic (several when cross-origin isolated, else 1). */
  threads: number;
  /** Use the Cache API for the large files (default true). */
  useCache: boolean;
}

export interface FrameRequest {
  type: 'frame';
  id: number;
  /** The frame, transferred (the worker closes it). */
  bitmap: ImageBitmap;
  options: PoseOptions;
}

export interface ClearCacheRequest {
  type: 'clear-cache';
}

export type WorkerRequest = LoadRequest | FrameRequest | ClearCacheRequest;

export type LoadStage = 'runtime' | 'model' | 'detector';

export interface ProgressMessage {
  type: 'progress';
  stage: LoadStage;
  url: string;
  loaded: number;
  /** Bytes expected, 0 when the server does not say. */
  total: number;
  fromCache: boolean;
}

export interface ModelInfo {
  url: string;
  backbone: string;
  skeleton: string;
  numJoints: number;
  cropSide: number;
  /** Output skeletons this model offers. */
  skeletons: string[];
  /** True for the test fixture `model-tiny` (poses are not meaningful). */
  toy: boolean;
}

export interface ReadyMessage {
  type: 'ready';
  backend: 'wasm' | 'webgpu';
  threads: number;
  crossOriginIsolated: boolean;
  /** Why WebGPU is not used, when it was wanted. */
  backendNote: string;
  model: ModelInfo;
  loadMs: number;
}

export interface LoadErrorMessage {
  type: 'load-error';
  stage: LoadStage;
  /** 'missing' = HTTP 404 (or a network failure) for the detector: show download help. */
  reason: 'missing' | 'invalid' | 'other';
  message: string;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  result: PoseResult;
  width: number;
  height: number;
  /**
   * Milliseconds in the worker: pixel readback, the whole pose pipeline, and within it the
   * detector's and the crop network's ONNX Runtime runs.
   */
  timing: FrameTiming;
}

export interface FrameTiming {
  readMs: number;
  poseMs: number;
  detectorMs: number;
  networkMs: number;
}

export interface FrameErrorMessage {
  type: 'frame-error';
  id: number;
  message: string;
}

export interface CacheClearedMessage {
  type: 'cache-cleared';
  entries: number;
}

export type WorkerMessage =
  | ProgressMessage
  | ReadyMessage
  | LoadErrorMessage
  | ResultMessage
  | FrameErrorMessage
  | CacheClearedMessage;
