/**
 * A sparse linear joint transform: target joint `k` = Σ `w` · source joint `i` over the pairs
 * `[i, w]` of `weights[k]`. Model packages imported from official MeTRAbs releases describe
 * each of their skeletons this way (docs/model-package.md, `skeleton_transforms`); the
 * registry's skeletons (skeletons.ts) are the same idea relative to the canonical joint set.
 */
import { GeometryError } from './errors.js';

export interface JointTransform {
  readonly numSources: number;
  readonly numTargets: number;
  /** CSR layout: pairs of target `k` are `[offsets[k], offsets[k + 1])`. */
  readonly offsets: Int32Array;
  readonly src: Int32Array;
  readonly w: Float64Array;
}

/** What is wrong with `weights` as a transform from `numSources` joints; [] = valid. */
export function jointTransformProblems(weights: unknown, numSources: number): string[] {
  if (!Array.isArray(weights) || weights.length === 0) {
    return ['"weights" must be a non-empty list (one entry per joint)'];
  }
  for (const [k, pairs] of weights.entries()) {
    const ok =
      Array.isArray(pairs) &&
      pairs.length > 0 &&
      pairs.every(
        (p) =>
          Array.isArray(p) &&
          p.length === 2 &&
          Number.isInteger(p[0]) &&
          p[0] >= 0 &&
          p[0] < numSources &&
          typeof p[1] === 'number' &&
          Number.isFinite(p[1]),
      );
    if (!ok) {
      return [
        `"weights"[${k}] must be a non-empty list of [joint index < ${numSources}, finite weight] pairs`,
      ];
    }
  }
  return [];
}

/** Compiles validated `weights` (see `jointTransformProblems`). */
export function compileJointTransform(
  weights: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  numSources: number,
): JointTransform {
  const problems = jointTransformProblems(weights, numSources);
  if (problems.length > 0) throw new GeometryError('invalid-option', problems.join('; '));
  const offsets = new Int32Array(weights.length + 1);
  const src: number[] = [];
  const w: number[] = [];
  for (const [k, pairs] of weights.entries()) {
    for (const [i, v] of pairs) {
      src.push(i);
      w.push(v);
    }
    offsets[k + 1] = src.length;
  }
  return {
    numSources,
    numTargets: weights.length,
    offsets,
    src: Int32Array.from(src),
    w: Float64Array.from(w),
  };
}

/**
 * Applies `t` to a flat batch of `n` poses of `d` coordinates (`data[(p · J + j) · d + c]`,
 * `J = t.numSources`); returns `n · numTargets · d` values (into `out` when given).
 */
export function applyJointTransform(
  t: JointTransform,
  data: ArrayLike<number>,
  n: number,
  d: number,
  out: Float64Array = new Float64Array(n * t.numTargets * d),
): Float64Array {
  if (data.length !== n * t.numSources * d) {
    throw new GeometryError(
      'shape',
      `expected ${n * t.numSources * d} values (${n} poses × ${t.numSources} joints × ${d}), got ${data.length}`,
    );
  }
  if (out.length !== n * t.numTargets * d) {
    throw new GeometryError(
      'shape',
      `output must have ${n * t.numTargets * d} values, got ${out.length}`,
    );
  }
  for (let p = 0; p < n; p++) {
    const base = p * t.numSources * d;
    for (let k = 0; k < t.numTargets; k++) {
      const o = (p * t.numTargets + k) * d;
      for (let c = 0; c < d; c++) out[o + c] = 0;
      for (let e = t.offsets[k]!; e < t.offsets[k + 1]!; e++) {
        const s = base + t.src[e]! * d;
        const v = t.w[e]!;
        for (let c = 0; c < d; c++) out[o + c] = out[o + c]! + v * data[s + c]!;
      }
    }
  }
  return out;
}
