/**
 * Pose post-processing of the multi-person pipeline: plausibility checks against false
 * detections, pose-level non-maximum suppression and averaging over test-time
 * augmentations. Poses are absolute, camera frame, mm; flat layouts are documented per
 * function.
 *
 * The rules follow the reference (`metrabs_tf/multiperson/plausibility_check.py`), with the
 * same thresholds: bone lengths (a bone below 0.1× or above 3× its typical length **and**
 * more than 300 mm off), agreement of the augmentations (more than J/4 joints spreading under
 * 200 mm after scale alignment), the pose against its detection box, and pose NMS (similarity
 * over the J/4 farthest joints, scale 300 mm, suppress above 0.4, at most 150 kept).
 *
 * Deliberate difference: the box rule. The reference keeps a pose when the box around its
 * joints covers more than half of the detection box's **area**. The joints are centres inside
 * the body (no hand or foot tips, no outline), so a correct pose of a person seen from the
 * side, with the arms in front or holding something spans a third of the box's width. With
 * the default model, that rule dropped 34 of the 50 people the detector found on the 19 real
 * photos of `shared/data/real` (the 3DPW frame kept 1 of 3, `messi5.jpg` and the astronaut
 * none), although every one of them covered ≥ 74 % of its box's height. Here a pose must
 * cover more than half of the box along **at least one** axis (and overlap it on the other):
 * that still drops poses that collapsed or landed beside the box. As in the reference, the coverage is measured inside
 * the detection box, so joints of truncated people outside the box or the image do not count
 * against them. Second difference: `screenPoses` does not cap the people kept at 150, and it
 * reports which check dropped each person.
 */
import type { NumericArray } from './arrays.js';
import { GeometryError } from './errors.js';

export interface BoneCheckOptions {
  /** A bone is suspicious if shorter than this fraction of its typical length (0.1)… */
  minRelative?: number;
  /** …or longer than this multiple (3)… */
  maxRelative?: number;
  /** …and then only implausible if it also differs by more than this many mm (300). */
  minAbsoluteDiffMm?: number;
}

/**
 * False when any bone is far off its typical length (relatively and absolutely at once).
 * `pose` is flat `[J, 3]`, `edges` pairs of joint indices, `typicalLengthsMm` one per edge.
 */
export function isPosePlausible(
  pose: NumericArray,
  edges: ReadonlyArray<readonly [number, number]>,
  typicalLengthsMm: ArrayLike<number>,
  options: BoneCheckOptions = {},
): boolean {
  if (edges.length !== typicalLengthsMm.length) {
    throw new GeometryError(
      'shape',
      `${edges.length} edges but ${typicalLengthsMm.length} typical lengths`,
    );
  }
  const minRel = options.minRelative ?? 0.1;
  const maxRel = options.maxRelative ?? 3;
  const minDiff = options.minAbsoluteDiffMm ?? 300;
  const j = pose.length / 3;
  for (let e = 0; e < edges.length; e++) {
    const [a, b] = edges[e]!;
    if (a >= j || b >= j)
      throw new GeometryError('shape', `edge ${e} (${a}, ${b}) is outside a ${j}-joint pose`);
    const len = Math.hypot(
      pose[a * 3]! - pose[b * 3]!,
      pose[a * 3 + 1]! - pose[b * 3 + 1]!,
      pose[a * 3 + 2]! - pose[b * 3 + 2]!,
    );
    const typical = typicalLengthsMm[e]!;
    const rel = len / typical;
    if ((rel < minRel || rel > maxRel) && Math.abs(len - typical) > minDiff) return false;
  }
  return true;
}

/**
 * Whether the `numAug` predictions of one person agree: after scaling each to the common
 * rms size (about the camera origin), more than a quarter of the joints must have a spread
 * (√ of summed per-axis variance) under `maxStdevMm` (200). `poses` is flat `[A, J, 3]`.
 */
export function areAugmentationsConsistent(
  poses: NumericArray,
  numAug: number,
  maxStdevMm = 200,
): boolean {
  const j = poses.length / (numAug * 3);
  if (!Number.isInteger(j))
    throw new GeometryError('shape', `poses length ${poses.length} is not numAug×J×3`);
  const scales = new Float64Array(numAug);
  let meanSquare = 0;
  for (let a = 0; a < numAug; a++) {
    let s = 0;
    for (let i = 0; i < j * 3; i++) s += poses[a * j * 3 + i]! ** 2;
    scales[a] = s / (j * 3);
    meanSquare += scales[a]! / numAug;
  }
  for (let a = 0; a < numAug; a++)
    scales[a] = scales[a]! > 0 ? Math.sqrt(meanSquare / scales[a]!) : 1;
  let consistent = 0;
  for (let k = 0; k < j; k++) {
    let variance = 0;
    for (let c = 0; c < 3; c++) {
      let mean = 0;
      for (let a = 0; a < numAug; a++) mean += poses[(a * j + k) * 3 + c]! * scales[a]!;
      mean /= numAug;
      let v = 0;
      for (let a = 0; a < numAug; a++) v += (poses[(a * j + k) * 3 + c]! * scales[a]! - mean) ** 2;
      variance += v / numAug;
    }
    if (Math.sqrt(variance) < maxStdevMm) consistent++;
  }
  return consistent > Math.floor(j / 4);
}

/** How much of a detection box the box around a 2D pose covers, as fractions in [0, 1]. */
export interface BoxCoverage {
  /** Covered part of the box's width. */
  x: number;
  /** Covered part of the box's height. */
  y: number;
  /** Covered part of the box's area (x · y; the reference's measure). */
  area: number;
}

/**
 * The part of the detection box `[x, y, w, h, …]` that the box around the 2D joints covers,
 * per axis and by area. Only the intersection counts, so joints outside the detection box
 * (a truncated person's legs below the image) neither help nor hurt. `pose2d` is flat `[J, 2]`.
 */
export function poseBoxCoverage(pose2d: NumericArray, box: ArrayLike<number>): BoxCoverage {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let i = 0; i < pose2d.length; i += 2) {
    x0 = Math.min(x0, pose2d[i]!);
    x1 = Math.max(x1, pose2d[i]!);
    y0 = Math.min(y0, pose2d[i + 1]!);
    y1 = Math.max(y1, pose2d[i + 1]!);
  }
  const [bx, by, bw, bh] = [box[0]!, box[1]!, box[2]!, box[3]!];
  if (!(bw > 0 && bh > 0)) throw new GeometryError('shape', `box ${bw}×${bh} has no area`);
  const x = Math.max(0, Math.min(bx + bw, x1) - Math.max(bx, x0)) / bw;
  const y = Math.max(0, Math.min(by + bh, y1) - Math.max(by, y0)) / bh;
  // NaN joints (never expected) give NaN coverage, which fails every comparison: dropped.
  return { x, y, area: x * y };
}

/**
 * Whether a 2D pose agrees with its detection box: the box around the joints covers more
 * than `minCoverage` (0.5) of the box's width or of its height, and overlaps it on the other
 * axis. See the header for why this is per axis rather than the reference's area rule.
 */
export function isPoseConsistentWithBox(
  pose2d: NumericArray,
  box: ArrayLike<number>,
  minCoverage = 0.5,
): boolean {
  const { x, y } = poseBoxCoverage(pose2d, box);
  return Math.max(x, y) > minCoverage && Math.min(x, y) > 0;
}

/**
 * Pairwise similarity of absolute poses (flat `[N, J, 3]`) in [0, 1]: each pair is scaled
 * to its mean rms size, then the J/4 largest joint distances d give mean(max(0, 1 − d/300)).
 * Returns a flat `[N, N]` matrix.
 */
export function poseSimilarity(
  poses: NumericArray,
  n: number,
  j: number,
  distanceScaleMm = 300,
): Float64Array {
  const sq = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    let s = 0;
    for (let i = 0; i < j * 3; i++) s += poses[a * j * 3 + i]! ** 2;
    sq[a] = s / (j * 3);
  }
  const k = Math.max(1, Math.floor(j / 4));
  const dists = new Float64Array(j);
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      const meanSq = (sq[a]! + sq[b]!) / 2;
      const fa = sq[a]! > 0 ? Math.sqrt(meanSq / sq[a]!) : 1;
      const fb = sq[b]! > 0 ? Math.sqrt(meanSq / sq[b]!) : 1;
      for (let q = 0; q < j; q++) {
        const ia = (a * j + q) * 3,
          ib = (b * j + q) * 3;
        dists[q] = Math.hypot(
          poses[ia]! * fa - poses[ib]! * fb,
          poses[ia + 1]! * fa - poses[ib + 1]! * fb,
          poses[ia + 2]! * fa - poses[ib + 2]! * fb,
        );
      }
      dists.sort();
      let s = 0;
      for (let q = j - k; q < j; q++) s += Math.max(0, 1 - dists[q]! / distanceScaleMm);
      out[a * n + b] = out[b * n + a] = s / k;
    }
  }
  return out;
}

/**
 * Greedy non-maximum suppression on poses: in order of decreasing score, keep a pose unless
 * its similarity to an already kept one exceeds `threshold` (0.4). Poses with
 * `valid[i] = false` are dropped first. Returns kept indices, best first (at most `maxOutput`).
 */
export function poseNonMaxSuppression(
  poses: NumericArray,
  scores: ArrayLike<number>,
  n: number,
  j: number,
  options: { valid?: ArrayLike<boolean>; threshold?: number; maxOutput?: number } = {},
): number[] {
  if (scores.length !== n)
    throw new GeometryError('shape', `${n} poses but ${scores.length} scores`);
  const threshold = options.threshold ?? 0.4;
  const maxOutput = options.maxOutput ?? 150;
  const candidates: number[] = [];
  for (let i = 0; i < n; i++)
    if (options.valid === undefined || options.valid[i]) candidates.push(i);
  // Stable order: higher score first, ties by index.
  candidates.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const similarity = poseSimilarity(poses, n, j);
  const kept: number[] = [];
  for (const i of candidates) {
    if (kept.length >= maxOutput) break;
    if (kept.every((k) => similarity[i * n + k]! <= threshold)) kept.push(i);
  }
  return kept;
}

/** Why a detected person was dropped: the first failing check, in the order they run. */
export type DropReason =
  /** A bone far off its typical length (`isPosePlausible`). */
  | 'implausible-bones'
  /** The test-time augmentations disagree (`areAugmentationsConsistent`). */
  | 'inconsistent-augmentations'
  /** The 2D pose does not fill its detection box (`isPoseConsistentWithBox`). */
  | 'box-mismatch'
  /** Pose NMS: nearly the same pose as a person with a higher detector score. */
  | 'duplicate';

export const DROP_REASONS: readonly DropReason[] = [
  'implausible-bones',
  'inconsistent-augmentations',
  'box-mismatch',
  'duplicate',
];

export interface ScreenInput {
  /** Per person and augmentation, flat `[N, A, J, 3]` mm (camera frame). */
  poses3d: NumericArray;
  /** The same in image pixels, flat `[N, A, J, 2]`. */
  poses2d: NumericArray;
  /** Detection boxes `[x, y, w, h, score]`, one per person. */
  boxes: ReadonlyArray<ArrayLike<number>>;
  numAug: number;
  numJoints: number;
  /** Bones for the length check; none skips it (a model whose joint set has no typical lengths). */
  edges: ReadonlyArray<readonly [number, number]>;
  typicalLengthsMm: ArrayLike<number>;
}

export interface ScreenResult {
  /** Indices of the people kept, best detector score first (the NMS order). */
  kept: number[];
  /** The others, in detection order, each with its reason. */
  dropped: { index: number; reason: DropReason }[];
}

/**
 * The reference's `_filter_poses`: each person's augmentation-averaged pose must pass the
 * bone, augmentation and box checks, then pose NMS removes duplicates among those that do.
 * Unlike the reference, it says which check dropped each person.
 */
export function screenPoses(input: ScreenInput): ScreenResult {
  const { poses3d, poses2d, boxes, numAug, numJoints: j } = input;
  const n = boxes.length;
  if (poses3d.length !== n * numAug * j * 3 || poses2d.length !== n * numAug * j * 2) {
    throw new GeometryError(
      'shape',
      `expected ${n}×${numAug}×${j} joints in 3D and 2D, got ${poses3d.length / 3} and ${poses2d.length / 2}`,
    );
  }
  const mean3d = averageAugmentations(poses3d, n, numAug, j, 3);
  const mean2d = averageAugmentations(poses2d, n, numAug, j, 2);
  const failed: (DropReason | undefined)[] = boxes.map((box, b) => {
    if (
      !isPosePlausible(
        mean3d.subarray(b * j * 3, (b + 1) * j * 3),
        input.edges,
        input.typicalLengthsMm,
      )
    )
      return 'implausible-bones';
    if (
      !areAugmentationsConsistent(
        poses3d.subarray(b * numAug * j * 3, (b + 1) * numAug * j * 3),
        numAug,
      )
    )
      return 'inconsistent-augmentations';
    if (!isPoseConsistentWithBox(mean2d.subarray(b * j * 2, (b + 1) * j * 2), box))
      return 'box-mismatch';
    return undefined;
  });
  const kept = poseNonMaxSuppression(
    mean3d,
    boxes.map((b) => b[4] ?? 1),
    n,
    j,
    // No cap (the reference keeps at most 150): a crowd keeps everyone who passes.
    { valid: failed.map((f) => f === undefined), maxOutput: Number.POSITIVE_INFINITY },
  );
  const isKept = new Set(kept);
  const dropped: ScreenResult['dropped'] = [];
  for (let b = 0; b < n; b++) {
    if (!isKept.has(b)) dropped.push({ index: b, reason: failed[b] ?? 'duplicate' });
  }
  return { kept, dropped };
}

/** Mean over augmentations: flat `[N, A, J, D]` → `[N, J, D]`. */
export function averageAugmentations(
  poses: NumericArray,
  n: number,
  numAug: number,
  j: number,
  d: number,
  out: Float64Array = new Float64Array(n * j * d),
): Float64Array {
  if (poses.length !== n * numAug * j * d) {
    throw new GeometryError(
      'shape',
      `expected ${n}×${numAug}×${j}×${d} values, got ${poses.length}`,
    );
  }
  const block = j * d;
  out.fill(0, 0, n * block);
  for (let b = 0; b < n; b++) {
    for (let a = 0; a < numAug; a++) {
      const src = (b * numAug + a) * block;
      for (let i = 0; i < block; i++) out[b * block + i]! += poses[src + i]! / numAug;
    }
  }
  return out;
}
