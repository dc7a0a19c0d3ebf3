/**
 * `TensorSession` over ONNX Runtime. The runtime module is passed in (`onnxruntime-node`
 * or `onnxruntime-web`, imported by the caller), and typed structurally here, so this file
 * imports nothing and runs in Node and browsers alike.
 */
import { oneLine } from './one-line.js';
import type { Tensor, TensorSession } from './types.js';

/** The part of an ONNX Runtime tensor this adapter reads. */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** The session options this adapter sets. */
export interface OrtSessionOptionsLike {
  intraOpNumThreads?: number;
  executionProviders?: readonly string[];
}

/** What ONNX Runtime reports about one input or output. */
export interface OrtValueMetadataLike {
  readonly name: string;
  readonly isTensor: boolean;
  readonly shape?: readonly (number | string)[];
}

/** The part of `ort.InferenceSession` this adapter uses. */
export interface OrtInferenceSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Names and declared shapes (onnxruntime ≥ 1.21; absent in older versions). */
  readonly inputMetadata?: readonly OrtValueMetadataLike[];
  readonly outputMetadata?: readonly OrtValueMetadataLike[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The part of the `onnxruntime-node` / `onnxruntime-web` module this adapter uses. */
export interface OrtModuleLike {
  readonly InferenceSession: {
    create(path: string, options?: OrtSessionOptionsLike): Promise<OrtInferenceSessionLike>;
    create(bytes: Uint8Array, options?: OrtSessionOptionsLike): Promise<OrtInferenceSessionLike>;
  };
  readonly Tensor: new (
    type: 'float32',
    data: Float32Array,
    dims: readonly number[],
  ) => OrtTensorLike;
}

export interface OrtSessionOptions {
  /** Intra-op threads (default: ONNX Runtime's choice, usually one per core). */
  threads?: number;
  /** Execution providers in order of preference, e.g. `['cpu']` or `['webgpu', 'wasm']`. */
  executionProviders?: string[];
}

/** The model could not be opened: missing file, not ONNX, unsupported operators, … */
export class ModelLoadError extends Error {
  /** The path, or `<N bytes>` for a model given as bytes. */
  readonly model: string;

  constructor(model: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot load ONNX model ${model}: ${reason}`, options);
    this.name = 'ModelLoadError';
    this.model = model;
  }
}

class OrtTensorSession implements TensorSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly shapes?: Record<string, readonly (number | string)[]>;

  constructor(
    private readonly ort: OrtModuleLike,
    private readonly session: OrtInferenceSessionLike,
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    const metadata = [...(session.inputMetadata ?? []), ...(session.outputMetadata ?? [])];
    const shapes = metadata.filter((m) => m.isTensor && Array.isArray(m.shape));
    if (shapes.length > 0) this.shapes = Object.fromEntries(shapes.map((m) => [m.name, m.shape!]));
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, OrtTensorLike> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = new this.ort.Tensor('float32', tensor.data, tensor.dims);
    }
    const results = await this.session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) {
      if (value.type !== 'float32' || !(value.data instanceof Float32Array)) {
        throw new TypeError(
          `ONNX output "${name}" is ${value.type}; this runtime only handles float32 outputs`,
        );
      }
      out[name] = { data: value.data, dims: value.dims };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * Opens an ONNX model (a path, or the file's bytes) with the given ONNX Runtime module.
 * Throws `ModelLoadError` ("cannot load ONNX model <path>: <reason>") when it fails.
 */
export async function createOrtSession(
  ort: OrtModuleLike,
  model: string | Uint8Array,
  options: OrtSessionOptions = {},
): Promise<TensorSession> {
  const sessionOptions: OrtSessionOptionsLike = {};
  if (options.threads !== undefined) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    sessionOptions.intraOpNumThreads = options.threads;
  }
  if (options.executionProviders !== undefined) {
    sessionOptions.executionProviders = options.executionProviders;
  }
  const name = typeof model === 'string' ? model : `<${model.byteLength} bytes>`;
  let session: OrtInferenceSessionLike;
  try {
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    throw new ModelLoadError(name, oneLine(error), { cause: error });
  }
  return new OrtTensorSession(ort, session);
}
