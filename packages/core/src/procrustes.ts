/**
 * Procrustes (similarity) alignment of a predicted pose onto a ground-truth pose, as used for
 * PA-MPJPE and by MeTRAbs' `rigid_align`.
 *
 * Both point sets are centred on the mean of their valid joints; the rotation comes from the
 * SVD of the cross-covariance `Σ (p − p̄)ᵀ (g − ḡ) = U S Vᵀ` (rows are points), `R = U Vᵀ`.
 * Without `reflection`, if `det R < 0` the axis of the smallest singular value is flipped
 * (`R ← R − 2 u₃ v₃ᵀ`), which is the best proper rotation, and the optimal scale then uses
 * `σ₁ + σ₂ − σ₃` instead of `σ₁ + σ₂ + σ₃`. With `scale`, the least-squares scale is
 * `(Σσ) / Σ|p − p̄|²`.
 *
 * ## Transform convention (row vectors)
 *
 * Points are row vectors `p = [x, y, z]` multiplied from the left:
 *
 *     aligned = scale · p · rotation + translation
 *             = scale · (p − meanPred) · rotation + meanGt
 *
 * where `rotation` is row-major, so `aligned[c] = scale · Σ_r p[r] · rotation[r * 3 + c] +
 * translation[c]`. For column vectors the same map is `scale · rotationᵀ · p + translation`.
 *
 * ## Degenerate input
 *
 * - No valid joint: `GeometryError('degenerate')`.
 * - Zero spread: if the valid joints of `pred` or of `gt` all coincide (centred norm below
 *   1e-12 of the uncentred norm, i.e. zero up to rounding; this includes a single valid joint),
 *   the rotation is undetermined: the result is the identity rotation with scale 1, i.e. a pure
 *   translation of the mean of `pred` onto the mean of `gt`.
 * - Two valid joints or collinear/coplanar sets: the SVD is rank-deficient but still orthonormal
 *   (see `svd3`); the fitted joints are aligned optimally and the rotation about the
 *   undetermined axes is an arbitrary but proper (without `reflection`) completion.
 * - When `reflection` is allowed but the smallest singular value is zero to rounding (coplanar
 *   or collinear sets, where a reflection fits no better), the proper rotation is preferred.
 *
 * All coordinates (valid or not) must be finite: `GeometryError('non-finite')`.
 */
import { flattenPoints, type Points, toMaskBatch, unflattenPoints } from './arrays.js';
import { assertFinite, GeometryError } from './errors.js';
import { type Svd3, svd3 } from './svd3.js';

export interface ProcrustesOptions {
  /** Also fit a uniform scale factor (default false). */
  scale?: boolean;
  /** Allow an improper rotation, i.e. a mirror image (default false). */
  reflection?: boolean;
  /** Which joints define the fit (truthy = valid); default all. All joints are transformed. */
  valid?: ArrayLike<boolean | number>;
}

export interface ProcrustesBatchOptions {
  scale?: boolean;
  reflection?: boolean;
  /** Validity mask of `n * j` entries (pose-major) or `j` entries shared by all poses. */
  valid?: ArrayLike<boolean | number>;
}

/**
 * A similarity transform in the row-vector convention of this module:
 * `aligned = scale · p · rotation + translation` (see the module comment).
 */
export interface RigidTransform {
  /** 3 × 3 row-major proper rotation (or improper when `reflection` was allowed). */
  rotation: Float64Array;
  /** Uniform scale; 1 when scaling was not requested. */
  scale: number;
  /** Translation (3), applied after rotation and scaling. */
  translation: Float64Array;
}

/** Relative threshold below which a centred point set is treated as a single point. */
const SPREAD_RTOL = 1e-12;
/** Smallest singular value below this fraction of the largest counts as zero (tie-break). */
const RANK_RTOL = 1e-12;

/** Per-call workspace, so the batch path allocates once, not per pose. */
interface Fit {
  readonly rotation: Float64Array;
  readonly meanPred: Float64Array;
  readonly meanGt: Float64Array;
  readonly cov: Float64Array;
  readonly svd: Svd3;
  scale: number;
}

function makeFit(): Fit {
  return {
    rotation: new Float64Array(9),
    meanPred: new Float64Array(3),
    meanGt: new Float64Array(3),
    cov: new Float64Array(9),
    svd: { u: new Float64Array(9), s: new Float64Array(3), v: new Float64Array(9) },
    scale: 1,
  };
}

function isValid(valid: ArrayLike<boolean | number> | undefined, index: number): boolean {
  return valid === undefined || Boolean(valid[index]);
}

/**
 * Fits the transform for the pose starting at `base` (= pose index · j · 3) into `fit`.
 * `vBase` is the offset of the pose in `valid`. Returns the number of valid joints; when it is 0
 * the contents of `fit` are unspecified.
 */
function fitPose(
  pred: ArrayLike<number>,
  gt: ArrayLike<number>,
  base: number,
  j: number,
  valid: ArrayLike<boolean | number> | undefined,
  vBase: number,
  allowScale: boolean,
  allowReflection: boolean,
  fit: Fit,
): number {
  const mp = fit.meanPred;
  const mg = fit.meanGt;
  mp.fill(0);
  mg.fill(0);
  let count = 0;
  let rawP = 0;
  let rawG = 0;
  for (let i = 0; i < j; i++) {
    if (!isValid(valid, vBase + i)) continue;
    count++;
    const o = base + i * 3;
    for (let c = 0; c < 3; c++) {
      const p = pred[o + c]!;
      const g = gt[o + c]!;
      mp[c] = mp[c]! + p;
      mg[c] = mg[c]! + g;
      rawP += p * p;
      rawG += g * g;
    }
  }
  if (count === 0) return 0;
  for (let c = 0; c < 3; c++) {
    mp[c] = mp[c]! / count;
    mg[c] = mg[c]! / count;
  }
  const cov = fit.cov;
  cov.fill(0);
  let ssP = 0;
  let ssG = 0;
  for (let i = 0; i < j; i++) {
    if (!isValid(valid, vBase + i)) continue;
    const o = base + i * 3;
    const p0 = pred[o]! - mp[0]!;
    const p1 = pred[o + 1]! - mp[1]!;
    const p2 = pred[o + 2]! - mp[2]!;
    const g0 = gt[o]! - mg[0]!;
    const g1 = gt[o + 1]! - mg[1]!;
    const g2 = gt[o + 2]! - mg[2]!;
    ssP += p0 * p0 + p1 * p1 + p2 * p2;
    ssG += g0 * g0 + g1 * g1 + g2 * g2;
    cov[0] = cov[0]! + p0 * g0;
    cov[1] = cov[1]! + p0 * g1;
    cov[2] = cov[2]! + p0 * g2;
    cov[3] = cov[3]! + p1 * g0;
    cov[4] = cov[4]! + p1 * g1;
    cov[5] = cov[5]! + p1 * g2;
    cov[6] = cov[6]! + p2 * g0;
    cov[7] = cov[7]! + p2 * g1;
    cov[8] = cov[8]! + p2 * g2;
  }
  const normP = Math.sqrt(ssP);
  const normG = Math.sqrt(ssG);
  const rot = fit.rotation;
  if (normP <= SPREAD_RTOL * Math.sqrt(rawP) || normG <= SPREAD_RTOL * Math.sqrt(rawG)) {
    rot.fill(0);
    rot[0] = 1;
    rot[4] = 1;
    rot[8] = 1;
    fit.scale = 1;
    return count;
  }
  // Normalise so that the SVD works on entries ≤ 1 regardless of units.
  const inv = 1 / (normP * normG);
  for (let k = 0; k < 9; k++) cov[k] = cov[k]! * inv;
  const { u, s, v } = svd3(cov, fit.svd);
  // R = U Vᵀ
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      rot[r * 3 + c] =
        u[r * 3]! * v[c * 3]! + u[r * 3 + 1]! * v[c * 3 + 1]! + u[r * 3 + 2]! * v[c * 3 + 2]!;
    }
  }
  let sigmaSum = s[0]! + s[1]! + s[2]!;
  const det =
    rot[0]! * (rot[4]! * rot[8]! - rot[5]! * rot[7]!) -
    rot[1]! * (rot[3]! * rot[8]! - rot[5]! * rot[6]!) +
    rot[2]! * (rot[3]! * rot[7]! - rot[4]! * rot[6]!);
  if (det < 0 && (!allowReflection || s[2]! <= RANK_RTOL * s[0]!)) {
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++)
        rot[r * 3 + c] = rot[r * 3 + c]! - 2 * u[r * 3 + 2]! * v[c * 3 + 2]!;
    }
    sigmaSum -= 2 * s[2]!;
  }
  fit.scale = allowScale ? (sigmaSum * normG) / normP : 1;
  return count;
}

/** Writes `scale · (p − meanPred) · R + meanGt` for every joint of the pose at `base`. */
function applyFit(pred: ArrayLike<number>, base: number, j: number, fit: Fit, out: Float64Array) {
  const R = fit.rotation;
  const mp = fit.meanPred;
  const mg = fit.meanGt;
  const sc = fit.scale;
  for (let i = 0; i < j; i++) {
    const o = base + i * 3;
    const p0 = pred[o]! - mp[0]!;
    const p1 = pred[o + 1]! - mp[1]!;
    const p2 = pred[o + 2]! - mp[2]!;
    out[o] = sc * (p0 * R[0]! + p1 * R[3]! + p2 * R[6]!) + mg[0]!;
    out[o + 1] = sc * (p0 * R[1]! + p1 * R[4]! + p2 * R[7]!) + mg[1]!;
    out[o + 2] = sc * (p0 * R[2]! + p1 * R[5]! + p2 * R[8]!) + mg[2]!;
  }
}

/** Flattens and validates one pose pair plus its mask. */
function preparePair(
  pred: Points,
  gt: Points,
  valid: ArrayLike<boolean | number> | undefined,
): { p: Float64Array; g: Float64Array; mask: Uint8Array; j: number } {
  const p = flattenPoints(pred, 3, 'pred');
  const g = flattenPoints(gt, 3, 'gt');
  if (p.length !== g.length) {
    throw new GeometryError(
      'shape',
      `pred and gt must have the same number of joints: pred has ${p.length / 3}, gt has ${g.length / 3}`,
    );
  }
  const j = p.length / 3;
  assertFinite(p, 'pred');
  assertFinite(g, 'gt');
  const mask = toMaskBatch(valid, 1, j, 'valid');
  return { p, g, mask, j };
}

function noValidJoints(where: string): GeometryError {
  return new GeometryError(
    'degenerate',
    `Procrustes alignment needs at least 1 valid joint, ${where} has none`,
  );
}

/**
 * Finds the similarity transform moving `pred` onto `gt` in the least-squares sense over the
 * valid joints. Rotation, translation always; uniform scale if `options.scale`; reflection only
 * if `options.reflection`. See the module comment for the convention and degenerate cases.
 */
export function procrustesTransform(
  pred: Points,
  gt: Points,
  options: ProcrustesOptions = {},
): RigidTransform {
  const { p, g, mask, j } = preparePair(pred, gt, options.valid);
  const fit = makeFit();
  if (fitPose(p, g, 0, j, mask, 0, !!options.scale, !!options.reflection, fit) === 0) {
    throw noValidJoints('the pose');
  }
  const R = fit.rotation;
  const mp = fit.meanPred;
  const translation = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    translation[c] =
      fit.meanGt[c]! - fit.scale * (mp[0]! * R[c]! + mp[1]! * R[3 + c]! + mp[2]! * R[6 + c]!);
  }
  return { rotation: Float64Array.from(R), scale: fit.scale, translation };
}

/** Applies a {@link RigidTransform}: `scale · p · rotation + translation` for every point. */
export function applyRigidTransform(points: Points, transform: RigidTransform): number[][] {
  const R = transform.rotation;
  const t = transform.translation;
  if (R.length !== 9 || t.length !== 3) {
    throw new GeometryError(
      'shape',
      `transform needs a 9-element rotation and 3-element translation, got ${R.length} and ${t.length}`,
    );
  }
  const flat = flattenPoints(points, 3, 'points');
  const sc = transform.scale;
  const out = new Float64Array(flat.length);
  for (let o = 0; o < flat.length; o += 3) {
    const p0 = flat[o]!;
    const p1 = flat[o + 1]!;
    const p2 = flat[o + 2]!;
    for (let c = 0; c < 3; c++) {
      out[o + c] = sc * (p0 * R[c]! + p1 * R[3 + c]! + p2 * R[6 + c]!) + t[c]!;
    }
  }
  return unflattenPoints(out, 3);
}

/**
 * Returns `pred` aligned onto `gt` (J × 3). Only the valid joints define the fit, but ALL
 * joints are transformed.
 */
export function procrustesAlign(
  pred: Points,
  gt: Points,
  options: ProcrustesOptions = {},
): number[][] {
  const { p, g, mask, j } = preparePair(pred, gt, options.valid);
  const fit = makeFit();
  if (fitPose(p, g, 0, j, mask, 0, !!options.scale, !!options.reflection, fit) === 0) {
    throw noValidJoints('the pose');
  }
  const out = new Float64Array(p.length);
  applyFit(p, 0, j, fit, out);
  return unflattenPoints(out, 3);
}

/**
 * Batched alignment on flat row-major `n × j × 3` arrays, each pose fitted independently; no
 * per-pose or per-joint allocation. Returns `out` (allocated if omitted, must have `n·j·3`
 * elements; it may be the `pred` array itself for in-place alignment). A pose without any valid
 * joint throws `GeometryError('degenerate')`.
 */
export function procrustesAlignBatch(
  pred: Float32Array | Float64Array,
  gt: Float32Array | Float64Array,
  n: number,
  j: number,
  options: ProcrustesBatchOptions = {},
  out?: Float64Array,
): Float64Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(j) || j < 0) {
    throw new GeometryError(
      'invalid-option',
      `n and j must be non-negative integers, got n=${n}, j=${j}`,
    );
  }
  const len = n * j * 3;
  if (pred.length !== len || gt.length !== len) {
    throw new GeometryError(
      'shape',
      `pred and gt must have n·j·3 = ${n}·${j}·3 = ${len} elements, got ${pred.length} and ${gt.length}`,
    );
  }
  const valid = options.valid;
  let perPose = true;
  if (valid !== undefined) {
    if (valid.length === n * j) perPose = true;
    else if (valid.length === j) perPose = false;
    else {
      throw new GeometryError(
        'shape',
        `valid must have n·j = ${n * j} (or j = ${j}) entries, got ${valid.length}`,
      );
    }
  }
  if (out !== undefined && out.length !== len) {
    throw new GeometryError('shape', `out must have ${len} elements, got ${out.length}`);
  }
  assertFinite(pred, 'pred');
  assertFinite(gt, 'gt');
  const result = out ?? new Float64Array(len);
  const fit = makeFit();
  const allowScale = !!options.scale;
  const allowReflection = !!options.reflection;
  for (let k = 0; k < n; k++) {
    const base = k * j * 3;
    const vBase = perPose ? k * j : 0;
    if (fitPose(pred, gt, base, j, valid, vBase, allowScale, allowReflection, fit) === 0) {
      throw noValidJoints(`pose ${k}`);
    }
    applyFit(pred, base, j, fit, result);
  }
  return result;
}
