/**
 * 3D (and 2D) pose evaluation metrics, in the units of the input (millimetres by convention).
 *
 * Input contract shared by all metrics:
 * - Poses are one pose (`J × D` nested arrays) or a batch (`N × J × D`); `pred` and `gt` must
 *   have the same shape, otherwise `GeometryError('shape')` naming both shapes.
 * - All coordinates must be finite (also those of masked-out joints): `GeometryError('non-finite')`.
 * - `valid` is an optional mask, truthy = valid: one entry per joint (`J`, shared by every pose of
 *   a batch) or one row per pose (`N × J`). Default: all joints valid.
 * - Aggregation: every metric is the mean over all valid (pose, joint) pairs, i.e. poses with
 *   more valid joints weigh more (as the reference's `reduce_mean_masked`). If there is no valid
 *   pair the metric is undefined and `GeometryError('degenerate')` is thrown, never a silent NaN.
 * - Root-relative metrics take `root`: a joint index (default 0, the pelvis of SMPL-order
 *   skeletons), `'mean'` (centroid of the pose's valid joints), or `null` (absolute coordinates,
 *   no centering). With an index, the root joint is used for centering even if it is masked out;
 *   it counts in the mean like any joint when valid (its error is then 0). Centering is applied to
 *   pred and gt separately, i.e. the error of joint i is `|(p_i − p_root) − (g_i − g_root)|`.
 */
import { type PointBatch, type Points, toMaskBatch, toPointBatch } from './arrays.js';
import { assertFinite, GeometryError } from './errors.js';
import { procrustesAlignBatch } from './procrustes.js';

/** One pose (`J × D`) or a batch of poses (`N × J × D`). */
export type PoseInput = Points | ReadonlyArray<Points>;
/** Per-joint mask (`J`) or per-pose-and-joint mask (`N × J`); truthy = valid. */
export type ValidMask = ArrayLike<boolean | number> | ReadonlyArray<ArrayLike<boolean | number>>;
/** Joint index, `'mean'` (centroid of valid joints) or `null` (no centering). */
export type RootOption = number | 'mean' | null;

export interface RootRelativeOptions {
  /** Centering joint; default 0. */
  root?: RootOption;
  valid?: ValidMask;
}

export interface PerJointErrorOptions {
  /** Centering joint; default 0. */
  root?: RootOption;
  /** Only used to define the centroid when `root` is `'mean'`. */
  valid?: ValidMask;
}

export interface PckOptions extends RootRelativeOptions {
  /** Correct if error ≤ threshold (mm); default 150. */
  thresholdMm?: number;
}

export interface AucOptions extends RootRelativeOptions {
  /** Largest threshold (mm); default 150. */
  maxMm?: number;
  /** Number of equally spaced thresholds from 0 to maxMm inclusive; default 31 (0, 5, …, 150). */
  steps?: number;
}

export interface AbsPckOptions {
  thresholdMm?: number;
  valid?: ValidMask;
}

export interface MrpeOptions {
  /** Index of the root joint in each pose; default 0. */
  root?: number;
}

export interface MrpeResult {
  /** Mean Euclidean distance between predicted and true roots. */
  mean: number;
  /** Mean absolute error along x. */
  x: number;
  /** Mean absolute error along y. */
  y: number;
  /** Mean absolute error along z (depth, for camera-space poses). */
  z: number;
}

export interface Pck2dOptions {
  /** Correct if error ≤ threshold · referenceLength (a fraction, e.g. 0.5 for PCKh@0.5). */
  threshold: number;
  /** One positive length per pose (a single number is used for every pose). */
  referenceLengths: ArrayLike<number> | number;
  valid?: ValidMask;
}

export interface PckhOptions {
  /** Fraction of the head segment length; default 0.5 (PCKh@0.5). */
  threshold?: number;
  valid?: ValidMask;
}

interface Pair {
  pred: PointBatch;
  gt: PointBatch;
}

function shapeOf(b: PointBatch): string {
  return `${b.n} × ${b.j} × ${b.d}`;
}

function preparePair(pred: PoseInput, gt: PoseInput, d: number): Pair {
  const p = toPointBatch(pred, d, 'pred');
  const g = toPointBatch(gt, d, 'gt');
  if (p.n !== g.n || p.j !== g.j) {
    throw new GeometryError(
      'shape',
      `pred and gt must have the same shape: pred is ${shapeOf(p)}, gt is ${shapeOf(g)}`,
    );
  }
  assertFinite(p.data, 'pred');
  assertFinite(g.data, 'gt');
  return { pred: p, gt: g };
}

function resolveMask(valid: ValidMask | undefined, n: number, j: number): Uint8Array {
  if (valid !== undefined && n > 1) {
    const first = (valid as ArrayLike<unknown>)[0];
    const nested = typeof first === 'object' && first !== null;
    if (!nested && valid.length === j) {
      // A per-joint mask shared by every pose of the batch.
      const row = toMaskBatch(valid, 1, j, 'valid');
      const out = new Uint8Array(n * j);
      for (let k = 0; k < n; k++) out.set(row, k * j);
      return out;
    }
  }
  return toMaskBatch(valid, n, j, 'valid');
}

function resolveRoot(root: RootOption | undefined, j: number): number | 'mean' | null {
  if (root === undefined) root = 0;
  if (root === null || root === 'mean') return root;
  if (!Number.isInteger(root) || root < 0 || root >= j) {
    throw new GeometryError(
      'invalid-option',
      `root must be a joint index in [0, ${j}), 'mean' or null, got ${String(root)}`,
    );
  }
  return root;
}

function checkThreshold(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new GeometryError(
      'invalid-option',
      `${name} must be a finite non-negative number, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The one implementation of (root-relative) per-joint distances on flat batches: entry
 * `k * j + i` is the error of joint `i` in pose `k`.
 */
function distances(pair: Pair, root: number | 'mean' | null, mask: Uint8Array): Float64Array {
  const { n, j, d } = pair.pred;
  const p = pair.pred.data;
  const g = pair.gt.data;
  const out = new Float64Array(n * j);
  const center = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    const base = k * j * d;
    // center = (root of pred) − (root of gt), in the difference space.
    center.fill(0);
    if (typeof root === 'number') {
      const o = base + root * d;
      for (let c = 0; c < d; c++) center[c] = p[o + c]! - g[o + c]!;
    } else if (root === 'mean') {
      let count = 0;
      for (let i = 0; i < j; i++) {
        if (!mask[k * j + i]) continue;
        count++;
        const o = base + i * d;
        for (let c = 0; c < d; c++) center[c] = center[c]! + (p[o + c]! - g[o + c]!);
      }
      if (count > 0) for (let c = 0; c < d; c++) center[c] = center[c]! / count;
    }
    for (let i = 0; i < j; i++) {
      const o = base + i * d;
      let sq = 0;
      for (let c = 0; c < d; c++) {
        const diff = p[o + c]! - g[o + c]! - center[c]!;
        sq += diff * diff;
      }
      out[k * j + i] = Math.sqrt(sq);
    }
  }
  return out;
}

function countValid(mask: Uint8Array, what: string): number {
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i]!;
  if (count === 0) {
    throw new GeometryError(
      'degenerate',
      `${what} is undefined without valid joints (empty input or all joints masked out)`,
    );
  }
  return count;
}

function meanMasked(values: Float64Array, mask: Uint8Array, what: string): number {
  const count = countValid(mask, what);
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (mask[i]) sum += values[i]!;
  return sum / count;
}

function fractionWithin(
  values: Float64Array,
  mask: Uint8Array,
  threshold: number,
  what: string,
): number {
  const count = countValid(mask, what);
  let hits = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] && values[i]! <= threshold) hits++;
  return hits / count;
}

/**
 * Per-joint Euclidean errors (N·J, pose-major), root-relative per `options.root` (default 0; null =
 * absolute). Errors are returned for every joint; `valid` only matters for `root: 'mean'`.
 */
export function perJointErrors(
  pred: PoseInput,
  gt: PoseInput,
  options: PerJointErrorOptions = {},
): Float64Array {
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const root = resolveRoot(options.root, j);
  const mask = resolveMask(options.valid, n, j);
  return distances(pair, root, mask);
}

/** Root-relative mean per-joint position error (MPJPE). `root: null` gives the absolute error. */
export function mpjpe(pred: PoseInput, gt: PoseInput, options: RootRelativeOptions = {}): number {
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  countValid(mask, 'MPJPE');
  return meanMasked(distances(pair, resolveRoot(options.root, j), mask), mask, 'MPJPE');
}

/**
 * Procrustes-aligned MPJPE: each predicted pose is aligned onto its ground truth by rotation,
 * translation and uniform scale (no reflection), fitted on the valid joints; then the mean error
 * over the valid joints. (A pose with no valid joint is not scored, so its fit is irrelevant.)
 */
export function paMpjpe(
  pred: PoseInput,
  gt: PoseInput,
  options: { valid?: ValidMask } = {},
): number {
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  countValid(mask, 'PA-MPJPE');
  // Poses without any valid joint are fitted on all joints, only to avoid the 'degenerate'
  // error of the alignment; they do not enter the mean.
  const fitMask = Uint8Array.from(mask);
  for (let k = 0; k < n; k++) {
    let any = 0;
    for (let i = 0; i < j; i++) any |= fitMask[k * j + i]!;
    if (!any) fitMask.fill(1, k * j, (k + 1) * j);
  }
  const aligned = procrustesAlignBatch(pair.pred.data, pair.gt.data, n, j, {
    scale: true,
    reflection: false,
    valid: fitMask,
  });
  const alignedPair: Pair = { pred: { data: aligned, n, j, d: 3 }, gt: pair.gt };
  return meanMasked(distances(alignedPair, null, mask), mask, 'PA-MPJPE');
}

/**
 * Scale-normalised MPJPE (N-MPJPE, Rhodin et al. 2018): after root-centering, each predicted pose
 * is multiplied by the least-squares optimal scalar `s = Σ⟨p, g⟩ / Σ⟨p, p⟩` (sums over the pose's
 * valid joints); then the mean error. If the centred prediction is all zero, any `s` gives the
 * same error and 1 is used.
 */
export function nMpjpe(pred: PoseInput, gt: PoseInput, options: RootRelativeOptions = {}): number {
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  countValid(mask, 'N-MPJPE');
  const root = resolveRoot(options.root, j);
  const p = pair.pred.data;
  const g = pair.gt.data;
  const pc = new Float64Array(n * j * 3);
  const gc = new Float64Array(n * j * 3);
  const cp = new Float64Array(3);
  const cg = new Float64Array(3);
  for (let k = 0; k < n; k++) {
    const base = k * j * 3;
    cp.fill(0);
    cg.fill(0);
    if (typeof root === 'number') {
      for (let c = 0; c < 3; c++) {
        cp[c] = p[base + root * 3 + c]!;
        cg[c] = g[base + root * 3 + c]!;
      }
    } else if (root === 'mean') {
      let count = 0;
      for (let i = 0; i < j; i++) {
        if (!mask[k * j + i]) continue;
        count++;
        for (let c = 0; c < 3; c++) {
          cp[c] = cp[c]! + p[base + i * 3 + c]!;
          cg[c] = cg[c]! + g[base + i * 3 + c]!;
        }
      }
      if (count > 0) {
        for (let c = 0; c < 3; c++) {
          cp[c] = cp[c]! / count;
          cg[c] = cg[c]! / count;
        }
      }
    }
    let pg = 0;
    let pp = 0;
    for (let i = 0; i < j; i++) {
      for (let c = 0; c < 3; c++) {
        const o = base + i * 3 + c;
        const a = p[o]! - cp[c]!;
        const b = g[o]! - cg[c]!;
        pc[o] = a;
        gc[o] = b;
        if (mask[k * j + i]) {
          pg += a * b;
          pp += a * a;
        }
      }
    }
    const s = pp > 0 ? pg / pp : 1;
    for (let o = base; o < base + j * 3; o++) pc[o] = pc[o]! * s;
  }
  const scaledPair: Pair = { pred: { data: pc, n, j, d: 3 }, gt: { data: gc, n, j, d: 3 } };
  return meanMasked(distances(scaledPair, null, mask), mask, 'N-MPJPE');
}

/** 3DPCK: fraction (0..1) of valid joints whose root-relative error is ≤ `thresholdMm` (150). */
export function pck3d(pred: PoseInput, gt: PoseInput, options: PckOptions = {}): number {
  const threshold = checkThreshold(options.thresholdMm ?? 150, 'thresholdMm');
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  countValid(mask, '3DPCK');
  const dist = distances(pair, resolveRoot(options.root, j), mask);
  return fractionWithin(dist, mask, threshold, '3DPCK');
}

/**
 * Area under the 3DPCK curve (0..1): the mean of 3DPCK over `steps` equally spaced thresholds
 * `maxMm · k / (steps − 1)`, k = 0 … steps − 1 (default 0, 5, …, 150 mm as in the MPI-INF-3DHP
 * evaluation). Note that the reference implementation's training-time metric (`tfu.auc`) uses
 * the continuous limit instead, `mean(max(0, 1 − d / 150))`, which differs slightly.
 */
export function auc3d(pred: PoseInput, gt: PoseInput, options: AucOptions = {}): number {
  const maxMm = checkThreshold(options.maxMm ?? 150, 'maxMm');
  const steps = options.steps ?? 31;
  if (!Number.isInteger(steps) || steps < 2) {
    throw new GeometryError('invalid-option', `steps must be an integer ≥ 2, got ${steps}`);
  }
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  const count = countValid(mask, '3D AUC');
  const dist = distances(pair, resolveRoot(options.root, j), mask);
  const thresholds = new Float64Array(steps);
  for (let k = 0; k < steps; k++) thresholds[k] = (maxMm * k) / (steps - 1);
  let hits = 0;
  for (let i = 0; i < dist.length; i++) {
    if (!mask[i]) continue;
    const d = dist[i]!;
    for (let k = 0; k < steps; k++) if (d <= thresholds[k]!) hits++;
  }
  return hits / (count * steps);
}

/**
 * Absolute 3DPCK as in MuPoTS-3D's absolute evaluation: fraction of valid joints whose error in
 * camera space (no root alignment) is ≤ `thresholdMm` (default 150).
 */
export function absPck3d(pred: PoseInput, gt: PoseInput, options: AbsPckOptions = {}): number {
  const opts: PckOptions = { root: null };
  if (options.thresholdMm !== undefined) opts.thresholdMm = options.thresholdMm;
  if (options.valid !== undefined) opts.valid = options.valid;
  return pck3d(pred, gt, opts);
}

/**
 * Mean root position error (MRPE) of absolute, camera-space poses.
 *
 * Input contract: `pred` and `gt` are whole poses (J × 3 or N × J × 3, same shape) and
 * `options.root` (default 0) is the index of the root joint in each pose; only that joint is
 * compared. To pass root positions directly, give them as N × 1 × 3 (root 0). Returns the mean
 * Euclidean root error and the mean absolute error along each axis, over the N poses.
 */
export function mrpe(pred: PoseInput, gt: PoseInput, options: MrpeOptions = {}): MrpeResult {
  const pair = preparePair(pred, gt, 3);
  const { n, j } = pair.pred;
  if (n === 0 || j === 0) {
    throw new GeometryError('degenerate', 'MRPE is undefined without any pose');
  }
  const root = options.root ?? 0;
  if (!Number.isInteger(root) || root < 0 || root >= j) {
    throw new GeometryError(
      'invalid-option',
      `root must be a joint index in [0, ${j}), got ${String(root)}`,
    );
  }
  let mean = 0;
  let x = 0;
  let y = 0;
  let z = 0;
  for (let k = 0; k < n; k++) {
    const o = (k * j + root) * 3;
    const dx = pair.pred.data[o]! - pair.gt.data[o]!;
    const dy = pair.pred.data[o + 1]! - pair.gt.data[o + 1]!;
    const dz = pair.pred.data[o + 2]! - pair.gt.data[o + 2]!;
    mean += Math.sqrt(dx * dx + dy * dy + dz * dz);
    x += Math.abs(dx);
    y += Math.abs(dy);
    z += Math.abs(dz);
  }
  return { mean: mean / n, x: x / n, y: y / n, z: z / n };
}

/**
 * 2D PCK: fraction (0..1) of valid joints whose 2D error (no root alignment) is ≤
 * `threshold · referenceLengths[pose]`. The reference length is per pose, e.g. the head segment
 * length for PCKh or a torso / bounding-box size; it must be finite and positive.
 */
export function pck2d(pred2d: PoseInput, gt2d: PoseInput, options: Pck2dOptions): number {
  const threshold = checkThreshold(options.threshold, 'threshold');
  const pair = preparePair(pred2d, gt2d, 2);
  const { n, j } = pair.pred;
  const mask = resolveMask(options.valid, n, j);
  const count = countValid(mask, '2D PCK');
  const refs = options.referenceLengths;
  const perPose = typeof refs !== 'number';
  if (perPose && (refs === null || typeof refs !== 'object' || refs.length !== n)) {
    throw new GeometryError(
      'shape',
      `referenceLengths must have one entry per pose (${n}), got ${refs === null || typeof refs !== 'object' ? typeof refs : refs.length}`,
    );
  }
  const dist = distances(pair, null, mask);
  let hits = 0;
  for (let k = 0; k < n; k++) {
    const ref = perPose ? refs[k]! : refs;
    if (!Number.isFinite(ref)) {
      throw new GeometryError('non-finite', `referenceLengths[${k}] must be finite, got ${ref}`);
    }
    if (ref <= 0) {
      throw new GeometryError('degenerate', `referenceLengths[${k}] must be positive, got ${ref}`);
    }
    const limit = threshold * ref;
    for (let i = 0; i < j; i++) {
      if (mask[k * j + i] && dist[k * j + i]! <= limit) hits++;
    }
  }
  return hits / count;
}

/**
 * PCKh: {@link pck2d} with the head segment length of each pose as the reference length and a
 * default threshold of 0.5 (PCKh@0.5). Note that MPII's official evaluation derives the head
 * segment length as 0.6 × the head bounding-box diagonal; pass whatever length your protocol uses.
 */
export function pckh(
  pred2d: PoseInput,
  gt2d: PoseInput,
  headLengths: ArrayLike<number> | number,
  options: PckhOptions = {},
): number {
  const opts: Pck2dOptions = { threshold: options.threshold ?? 0.5, referenceLengths: headLengths };
  if (options.valid !== undefined) opts.valid = options.valid;
  return pck2d(pred2d, gt2d, opts);
}
