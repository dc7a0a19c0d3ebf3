/**
 * Pose post-processing of the multi-person pipeline: plausibility checks against false
 * detections, pose-level non-maximum suppression and averaging over test-time
 * augmentations. Poses are absolute, camera frame, mm; flat layouts are documented per
 * function.
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

/**
 * Whether the 2D pose's bounding box covers at least half of the detection box's area
 * (intersection over the detection's area, so truncated people still pass).
 * `pose2d` is flat `[J, 2]`, `box` is [x, y, w, h, …].
 */
export function isPoseConsistentWithBox(pose2d: NumericArray, box: ArrayLike<number>): boolean {
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
  const iw = Math.max(0, Math.min(bx + bw, x1) - Math.max(bx, x0));
  const ih = Math.max(0, Math.min(by + bh, y1) - Math.max(by, y0));
  return iw * ih > 0.5 * bw * bh;
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
