/**
 * Small 3×3 matrix and 3-vector helpers. Matrices are row-major `Float64Array(9)`:
 * `m[r * 3 + c]`. Points are column vectors when a matrix is applied (`M · p`), unless a
 * function name says otherwise. Every function returns a new array unless it takes `out`.
 */
import { GeometryError } from './errors.js';

export type Mat3 = Float64Array;
export type Vec3 = Float64Array;

/** Anything that can stand for a 3×3 matrix: 9 numbers row-major, or 3 rows of 3. */
export type Matrix3Like = ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

export function identity3(): Mat3 {
  return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
}

/** Reads a 3×3 matrix given as 9 row-major numbers or as 3 rows, checking shape and finiteness. */
export function toMat3(m: Matrix3Like, what: string): Mat3 {
  const out = new Float64Array(9);
  const first = (m as ArrayLike<unknown>)[0];
  if (typeof first === 'object' && first !== null) {
    const rows = m as ReadonlyArray<ArrayLike<number>>;
    if (rows.length !== 3 || rows.some((r) => r.length !== 3)) {
      throw new GeometryError('shape', `${what} must be 3×3, got ${describeShape(rows)}`);
    }
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = rows[r]![c]!;
  } else {
    if (m.length !== 9) {
      throw new GeometryError('shape', `${what} must be 3×3 (9 numbers), got ${m.length} numbers`);
    }
    for (let i = 0; i < 9; i++) out[i] = (m as ArrayLike<number>)[i]!;
  }
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new GeometryError(
        'non-finite',
        `${what} must be finite, but element ${i} is ${out[i]}`,
      );
    }
  }
  return out;
}

function describeShape(rows: ReadonlyArray<ArrayLike<number>>): string {
  return `${rows.length} rows of lengths [${Array.from(rows, (r) => r.length).join(', ')}]`;
}

/** Nested-array form, for results handed to users and JSON. */
export function mat3ToRows(m: Mat3): number[][] {
  return [
    [m[0]!, m[1]!, m[2]!],
    [m[3]!, m[4]!, m[5]!],
    [m[6]!, m[7]!, m[8]!],
  ];
}

export function multiply3(a: Mat3, b: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  const a0 = a[0]!,
    a1 = a[1]!,
    a2 = a[2]!,
    a3 = a[3]!,
    a4 = a[4]!,
    a5 = a[5]!;
  const a6 = a[6]!,
    a7 = a[7]!,
    a8 = a[8]!;
  const b0 = b[0]!,
    b1 = b[1]!,
    b2 = b[2]!,
    b3 = b[3]!,
    b4 = b[4]!,
    b5 = b[5]!;
  const b6 = b[6]!,
    b7 = b[7]!,
    b8 = b[8]!;
  out[0] = a0 * b0 + a1 * b3 + a2 * b6;
  out[1] = a0 * b1 + a1 * b4 + a2 * b7;
  out[2] = a0 * b2 + a1 * b5 + a2 * b8;
  out[3] = a3 * b0 + a4 * b3 + a5 * b6;
  out[4] = a3 * b1 + a4 * b4 + a5 * b7;
  out[5] = a3 * b2 + a4 * b5 + a5 * b8;
  out[6] = a6 * b0 + a7 * b3 + a8 * b6;
  out[7] = a6 * b1 + a7 * b4 + a8 * b7;
  out[8] = a6 * b2 + a7 * b5 + a8 * b8;
  return out;
}

export function transpose3(m: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  const m1 = m[1]!,
    m2 = m[2]!,
    m5 = m[5]!;
  out[0] = m[0]!;
  out[4] = m[4]!;
  out[8] = m[8]!;
  out[1] = m[3]!;
  out[3] = m1;
  out[2] = m[6]!;
  out[6] = m2;
  out[5] = m[7]!;
  out[7] = m5;
  return out;
}

export function det3(m: Mat3): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) -
    m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) +
    m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  );
}

/**
 * Inverse of a 3×3 matrix. Throws `singular` when the matrix is (numerically) not
 * invertible: a zero or non-finite determinant, or an inverse that does not reproduce the
 * identity to 1e-6.
 */
export function invert3(m: Mat3, what = 'matrix', out: Mat3 = new Float64Array(9)): Mat3 {
  const a = m[0]!,
    b = m[1]!,
    c = m[2]!,
    d = m[3]!,
    e = m[4]!,
    f = m[5]!;
  const g = m[6]!,
    h = m[7]!,
    i = m[8]!;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || det === 0) {
    throw new GeometryError(
      'singular',
      `${what} is singular (determinant ${det}) and cannot be inverted`,
    );
  }
  const inv = 1 / det;
  out[0] = A * inv;
  out[1] = -(b * i - c * h) * inv;
  out[2] = (b * f - c * e) * inv;
  out[3] = B * inv;
  out[4] = (a * i - c * g) * inv;
  out[5] = -(a * f - c * d) * inv;
  out[6] = C * inv;
  out[7] = -(a * h - b * g) * inv;
  out[8] = (a * e - b * d) * inv;
  // Judged by the result, not by the determinant's size relative to the entries: a camera
  // matrix with its principal point at 1e9 px has a "tiny" determinant by that measure yet
  // inverts exactly. The inverse must reproduce the identity to 1e-6 (condition number up to
  // about 1e10); nearly singular matrices fail here, and so do non-finite results.
  const src = [a, b, c, d, e, f, g, h, i];
  let worst = 0;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += src[row * 3 + k]! * out[k * 3 + col]!;
      const error = Math.abs(sum - (row === col ? 1 : 0));
      if (!(error <= worst)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
    }
  }
  if (!(worst <= 1e-6)) {
    throw new GeometryError(
      'singular',
      `${what} is singular (determinant ${det}) and cannot be inverted`,
    );
  }
  return out;
}

/** `M · v` for a column vector v. */
export function apply3(
  m: Mat3,
  x: number,
  y: number,
  z: number,
  out: Vec3 = new Float64Array(3),
): Vec3 {
  out[0] = m[0]! * x + m[1]! * y + m[2]! * z;
  out[1] = m[3]! * x + m[4]! * y + m[5]! * z;
  out[2] = m[6]! * x + m[7]! * y + m[8]! * z;
  return out;
}

export function cross3(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  out: Vec3 = new Float64Array(3),
): Vec3 {
  const x = a[1]! * b[2]! - a[2]! * b[1]!;
  const y = a[2]! * b[0]! - a[0]! * b[2]!;
  const z = a[0]! * b[1]! - a[1]! * b[0]!;
  out[0] = x;
  out[1] = y;
  out[2] = z;
  return out;
}

export function norm3(v: ArrayLike<number>): number {
  return Math.hypot(v[0]!, v[1]!, v[2]!);
}

/**
 * Rotation matrix about a coordinate axis by `angle` radians, acting on column vectors
 * in a right-handed frame (for 'z' with x right, y down: positive angles turn x towards y,
 * i.e. clockwise as seen in the image).
 */
export function axisRotation3(axis: 'x' | 'y' | 'z', angle: number): Mat3 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  switch (axis) {
    case 'x':
      return Float64Array.of(1, 0, 0, 0, c, -s, 0, s, c);
    case 'y':
      return Float64Array.of(c, 0, s, 0, 1, 0, -s, 0, c);
    case 'z':
      return Float64Array.of(c, -s, 0, s, c, 0, 0, 0, 1);
  }
}
