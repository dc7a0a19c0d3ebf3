/**
 * Shared types of the inference runtime. Everything here is plain data and interfaces, so
 * the pipeline runs the same in Node (onnxruntime-node, sharp) and in browsers
 * (onnxruntime-web, canvas); only the adapters differ.
 */

/** An 8-bit RGB image, row-major interleaved: `data[(y * width + x) * 3 + c]`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A detection or person box in image pixels: `[x, y, width, height, score]`. */
export type Box = [number, number, number, number, number];

/** A float32 tensor as ONNX Runtime exchanges them (row-major). */
export interface Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * The engine interface: one loaded ONNX graph. Implemented over onnxruntime-node and
 * onnxruntime-web (see `ort-session.ts`); tests may implement it directly.
 */
export interface TensorSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Declared shapes of the graph's inputs and outputs by name, when the engine reports them
   * (a dimension is a number, or a name such as "batch" when free). Lets a model package be
   * checked against its graph when it loads, not on the first image.
   */
  readonly shapes?: Readonly<Record<string, readonly (number | string)[]>>;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release?(): Promise<void>;
}

export interface DetectorOptions {
  /** Minimum person score (default 0.3). */
  threshold?: number;
  /** IoU above which the lower-scoring of two boxes is suppressed (default 0.7). */
  nmsIouThreshold?: number;
  /** Keep at most this many boxes, best first (default: all). */
  maxDetections?: number;
  /** Also run on the horizontally flipped image and merge before NMS (default false). */
  flipAug?: boolean;
}

/** A person detector: anything that turns an image into person boxes. */
export interface PersonDetector {
  detect(image: RgbImage, options?: DetectorOptions): Promise<Box[]>;
}
