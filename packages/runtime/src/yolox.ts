/**
 * YOLOX person detector over any `TensorSession` (pure TypeScript, no Node APIs).
 *
 * Model interface (YOLOX ONNX export without `decode_in_inference`, e.g. YOLOX-Nano):
 * input `images` float32 [1, 3, S, S] (BGR 0–255, top-left letterbox padded with 114) and
 * output `output` float32 [1, N, 5 + classes], N = Σ (S/s)² over strides s = 8, 16, 32.
 * Each row is `[tx, ty, tw, th, obj, cls…]` with obj and cls already sigmoided; the box is
 * `cx = (tx + gx)·s`, `cy = (ty + gy)·s`, `w = exp(tw)·s`, `h = exp(th)·s` in canvas pixels,
 * and the person score is `obj·cls[0]`.
 */
import { assertRgbImage, letterbox } from './letterbox.js';
import type {
  Box,
  DetectorOptions,
  PersonDetector,
  RgbImage,
  Tensor,
  TensorSession,
} from './types.js';

/** Feature-map strides of the YOLOX head, in output row order. */
export const YOLOX_STRIDES: readonly number[] = [8, 16, 32];

export const DEFAULT_DETECTOR_THRESHOLD = 0.3;
export const DEFAULT_DETECTOR_NMS_IOU_THRESHOLD = 0.7;

/** The session or its output does not look like a YOLOX export. */
export class DetectorModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorModelError';
  }
}

export interface YoloxDetectorOptions {
  /** Side of the square network input (default 416, YOLOX-Nano and -Tiny); a multiple of 32. */
  inputSize?: number;
  /** Input name (default `images`). */
  inputName?: string;
  /** Output name (default `output`). */
  outputName?: string;
}

/** A box with at least `[x, y, w, h]`. */
export type BoxLike = readonly [number, number, number, number, ...number[]];

/** Number of output rows (anchor points) for a square input of side `inputSize`. */
export function yoloxAnchorCount(inputSize: number): number {
  let n = 0;
  for (const s of YOLOX_STRIDES) n += Math.ceil(inputSize / s) ** 2;
  return n;
}

/**
 * Decodes person boxes (class 0) from a YOLOX output `[1, N, 5 + classes]`.
 * `scale` is the letterbox scale r (image pixel · r = input pixel). Returns
 * `[x, y, w, h, score]` in image pixels, not clipped, for every anchor with
 * `obj·cls0 ≥ threshold`, in anchor order.
 */
export function decodeYolox(
  output: Tensor,
  inputSize: number,
  scale: number,
  threshold: number,
): Box[] {
  const { data, dims } = output;
  const n = yoloxAnchorCount(inputSize);
  const width = dims[2] ?? 0;
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== n || width < 6) {
    throw new DetectorModelError(
      `YOLOX output must have shape [1, ${n}, 5 + classes] for input size ${inputSize}, ` +
        `got [${dims.join(', ')}]`,
    );
  }
  if (data.length !== n * width) {
    throw new DetectorModelError(
      `YOLOX output has ${data.length} values, but its shape [${dims.join(', ')}] needs ${n * width}`,
    );
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`decodeYolox scale must be positive and finite, got ${scale}`);
  }
  const boxes: Box[] = [];
  let row = 0;
  for (const stride of YOLOX_STRIDES) {
    const grid = Math.ceil(inputSize / stride);
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++, row++) {
        const o = row * width;
        const obj = data[o + 4]!;
        if (obj < threshold) continue; // cls ≤ 1, so obj bounds the score
        const score = obj * data[o + 5]!;
        if (!(score >= threshold)) continue;
        const cx = (data[o]! + gx) * stride;
        const cy = (data[o + 1]! + gy) * stride;
        const w = Math.exp(data[o + 2]!) * stride;
        const h = Math.exp(data[o + 3]!) * stride;
        boxes.push([(cx - w / 2) / scale, (cy - h / 2) / scale, w / scale, h / scale, score]);
      }
    }
  }
  return boxes;
}

/** Intersection over union of two `[x, y, w, h, …]` boxes; 0 when the union is empty. */
export function boxIou(a: BoxLike, b: BoxLike): number {
  const ix = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const iy = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (!(ix > 0 && iy > 0)) return 0;
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression: visits boxes from the highest score down (ties keep
 * input order) and drops every box whose IoU with an already kept box is above
 * `iouThreshold`. Returns the kept boxes, best first, at most `maxDetections`.
 */
export function nonMaxSuppression(
  boxes: readonly Box[],
  iouThreshold: number,
  maxDetections = Number.POSITIVE_INFINITY,
): Box[] {
  const order = [...boxes].sort((p, q) => q[4] - p[4]);
  const kept: Box[] = [];
  for (const box of order) {
    if (kept.length >= maxDetections) break;
    let keep = true;
    for (const k of kept) {
      if (boxIou(k, box) > iouThreshold) {
        keep = false;
        break;
      }
    }
    if (keep) kept.push(box);
  }
  return kept;
}

function checkUnitInterval(value: number, name: string): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${value}`);
  }
}

/**
 * The YOLOX person detector (class 0 of a COCO model). Construct it from a session over a
 * YOLOX ONNX export (see `loadYoloxDetector` in Node for YOLOX-Nano).
 */
export class YoloxPersonDetector implements PersonDetector {
  readonly session: TensorSession;
  readonly inputSize: number;
  readonly inputName: string;
  readonly outputName: string;

  constructor(session: TensorSession, options: YoloxDetectorOptions = {}) {
    const inputSize = options.inputSize ?? 416;
    if (!Number.isSafeInteger(inputSize) || inputSize < 32 || inputSize % 32 !== 0) {
      throw new RangeError(`YOLOX inputSize must be a positive multiple of 32, got ${inputSize}`);
    }
    const inputName = options.inputName ?? 'images';
    const outputName = options.outputName ?? 'output';
    if (!session.inputNames.includes(inputName) || !session.outputNames.includes(outputName)) {
      throw new DetectorModelError(
        `a YOLOX detector session needs input "${inputName}" (float32 [1, 3, ${inputSize}, ` +
          `${inputSize}]) and output "${outputName}" (float32 [1, ${yoloxAnchorCount(inputSize)}, 5 + classes]), ` +
          `but this session has inputs [${session.inputNames.join(', ')}] and outputs ` +
          `[${session.outputNames.join(', ')}]`,
      );
    }
    this.session = session;
    this.inputSize = inputSize;
    this.inputName = inputName;
    this.outputName = outputName;
  }

  /** Person boxes `[x, y, w, h, score]` in image pixels, clipped to the image, best first. */
  async detect(image: RgbImage, options: DetectorOptions = {}): Promise<Box[]> {
    assertRgbImage(image);
    const threshold = options.threshold ?? DEFAULT_DETECTOR_THRESHOLD;
    const iou = options.nmsIouThreshold ?? DEFAULT_DETECTOR_NMS_IOU_THRESHOLD;
    const maxDetections = options.maxDetections ?? Number.POSITIVE_INFINITY;
    checkUnitInterval(threshold, 'detector threshold');
    checkUnitInterval(iou, 'detector nmsIouThreshold');
    if (
      maxDetections !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(maxDetections) || maxDetections < 0)
    ) {
      throw new RangeError(
        `detector maxDetections must be a non-negative integer, got ${maxDetections}`,
      );
    }

    const W = image.width;
    const H = image.height;
    const boxes = await this.runOnce(image, false, threshold);
    if (options.flipAug) {
      for (const box of await this.runOnce(image, true, threshold)) {
        box[0] = W - box[0] - box[2];
        boxes.push(box);
      }
    }
    const clipped: Box[] = [];
    for (const [x, y, w, h, score] of boxes) {
      const x1 = Math.max(0, Math.min(W, x));
      const y1 = Math.max(0, Math.min(H, y));
      const x2 = Math.max(0, Math.min(W, x + w));
      const y2 = Math.max(0, Math.min(H, y + h));
      if (x2 > x1 && y2 > y1) clipped.push([x1, y1, x2 - x1, y2 - y1, score]);
    }
    return nonMaxSuppression(clipped, iou, maxDetections);
  }

  /** Releases the session (if it supports it). */
  async release(): Promise<void> {
    await this.session.release?.();
  }

  private async runOnce(image: RgbImage, flip: boolean, threshold: number): Promise<Box[]> {
    const input = letterbox(image, { size: this.inputSize, flip });
    const outputs = await this.session.run({
      [this.inputName]: { data: input.data, dims: input.dims },
    });
    const output = outputs[this.outputName];
    if (output === undefined) {
      throw new DetectorModelError(
        `the detector session returned no "${this.outputName}" output ` +
          `(got [${Object.keys(outputs).join(', ')}])`,
      );
    }
    return decodeYolox(output, this.inputSize, input.scale, threshold);
  }
}
