/**
 * Conversions between the two data layouts of this package.
 *
 * - Friendly form: nested plain arrays, e.g. a pose is `J × 3` (`number[][]`), a batch of
 *   poses `N × J × 3`.
 * - Batched form: one flat typed array in row-major order, `data[(n * J + j) * D + d]`,
 *   plus its shape. Hot paths use this form and never allocate per joint.
 */
import { GeometryError } from './errors.js';

export type NumericArray = Float32Array | Float64Array;

/** A list of points, `J × D` (one pose). */
export type Points = ReadonlyArray<ArrayLike<number>>;

/** A flat batch of `n` sets of `j` points of dimension `d`, row-major. */
export interface PointBatch {
  readonly data: Float64Array;
  readonly n: number;
  readonly j: number;
  readonly d: number;
}

/** Copies a `J × d` nested array into a new flat Float64Array, checking the shape. */
export function flattenPoints(points: Points, d: number, what: string): Float64Array {
  if (!Array.isArray(points) && !(typeof points === 'object' && points !== null)) {
    throw new GeometryError('shape', `${what} must be an array of ${d}-vectors`);
  }
  const out = new Float64Array(points.length * d);
  for (let j = 0; j < points.length; j++) {
    const p = points[j];
    if (p === undefined || p === null || typeof p !== 'object' || p.length !== d) {
      throw new GeometryError(
        'shape',
        `${what}[${j}] must have ${d} coordinates, got ${p === undefined || p === null ? p : (p.length ?? typeof p)}`,
      );
    }
    for (let c = 0; c < d; c++) out[j * d + c] = p[c]!;
  }
  return out;
}

/** Turns a flat row-major array back into `J × d` nested arrays. */
export function unflattenPoints(
  flat: ArrayLike<number>,
  d: number,
  offset = 0,
  count?: number,
): number[][] {
  const n = count ?? (flat.length - offset) / d;
  const out: number[][] = new Array(n);
  for (let j = 0; j < n; j++) {
    const row = new Array<number>(d);
    for (let c = 0; c < d; c++) row[c] = flat[offset + j * d + c]!;
    out[j] = row;
  }
  return out;
}

/**
 * Accepts one pose (`J × d`) or a batch of poses (`N × J × d`) as nested arrays and returns
 * the flat batched form. All poses of a batch must have the same joint count.
 */
export function toPointBatch(
  input: Points | ReadonlyArray<Points>,
  d: number,
  what: string,
): PointBatch {
  if (!Array.isArray(input)) {
    throw new GeometryError('shape', `${what} must be a nested array (J × ${d} or N × J × ${d})`);
  }
  if (input.length === 0) return { data: new Float64Array(0), n: 0, j: 0, d };
  const first = input[0] as unknown;
  const isSingle =
    typeof first === 'object' &&
    first !== null &&
    typeof (first as ArrayLike<unknown>)[0] === 'number';
  if (isSingle) {
    const data = flattenPoints(input as Points, d, what);
    return { data, n: 1, j: input.length, d };
  }
  const poses = input as ReadonlyArray<Points>;
  const j = poses[0]!.length;
  const data = new Float64Array(poses.length * j * d);
  for (let n = 0; n < poses.length; n++) {
    const pose = poses[n]!;
    if (pose.length !== j) {
      throw new GeometryError(
        'shape',
        `${what}: pose ${n} has ${pose.length} joints but pose 0 has ${j}`,
      );
    }
    data.set(flattenPoints(pose, d, `${what}[${n}]`), n * j * d);
  }
  return { data, n: poses.length, j, d };
}

/**
 * Validity mask for a batch: `undefined` means all valid. Accepts one mask per pose
 * (`N × J`) or, for a single pose, a flat `J` mask.
 */
export function toMaskBatch(
  mask: ArrayLike<boolean | number> | ReadonlyArray<ArrayLike<boolean | number>> | undefined,
  n: number,
  j: number,
  what: string,
): Uint8Array {
  const out = new Uint8Array(n * j);
  if (mask === undefined) {
    out.fill(1);
    return out;
  }
  const first = (mask as ArrayLike<unknown>)[0];
  const nested = typeof first === 'object' && first !== null;
  if (!nested) {
    if (n !== 1 || mask.length !== j) {
      throw new GeometryError(
        'shape',
        `${what} must have ${n === 1 ? j : `${n} × ${j}`} entries, got ${mask.length}`,
      );
    }
    for (let i = 0; i < j; i++) out[i] = (mask as ArrayLike<boolean | number>)[i] ? 1 : 0;
    return out;
  }
  const rows = mask as ReadonlyArray<ArrayLike<boolean | number>>;
  if (rows.length !== n) {
    throw new GeometryError('shape', `${what} has ${rows.length} rows, expected ${n}`);
  }
  for (let k = 0; k < n; k++) {
    const row = rows[k]!;
    if (row.length !== j) {
      throw new GeometryError('shape', `${what}[${k}] has ${row.length} entries, expected ${j}`);
    }
    for (let i = 0; i < j; i++) out[k * j + i] = row[i] ? 1 : 0;
  }
  return out;
}
