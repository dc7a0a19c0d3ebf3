/**
 * Dense 3 × 3 linear algebra for rigid alignment: a symmetric eigen-decomposition (cyclic
 * Jacobi) and a singular value decomposition built on it.
 *
 * Matrices are row-major `Float64Array(9)`: element (r, c) is `m[r * 3 + c]`. Eigenvectors and
 * singular vectors are the COLUMNS of the returned matrices, so vector `k` has components
 * `m[0 * 3 + k]`, `m[1 * 3 + k]`, `m[2 * 3 + k]`.
 *
 * Both functions accept an `out` object so that hot loops can run without allocating; they keep
 * their scratch space in module-level buffers (fine: JavaScript runs them to completion).
 */
import { assertFinite, GeometryError } from './errors.js';

/** Result of {@link symmetricEigen3}: `S = vectors · diag(values) · vectorsᵀ`. */
export interface SymmetricEigen3 {
  /** The three eigenvalues, sorted in descending order. */
  readonly values: Float64Array;
  /** Orthonormal eigenvectors as the columns of a row-major 3 × 3 matrix (a rotation). */
  readonly vectors: Float64Array;
}

/** Result of {@link svd3}: `A = u · diag(s) · vᵀ`. */
export interface Svd3 {
  /** Left singular vectors (columns), orthonormal; `det(u)` may be −1. */
  readonly u: Float64Array;
  /** Singular values, non-negative and sorted in descending order. */
  readonly s: Float64Array;
  /** Right singular vectors (columns), a rotation (`det(v) = +1`). */
  readonly v: Float64Array;
}

const EPS = Number.EPSILON;
/** Cyclic Jacobi converges quadratically; 3 × 3 matrices need about 4–6 sweeps. */
const MAX_SWEEPS = 50;
/** Below this (after scaling A to max entry 1) a column of A·V counts as exactly zero. */
const TINY = 1e-150;

// Module-level scratch (never escapes a call).
const work = new Float64Array(9);
const scaled = new Float64Array(9);
const gram = new Float64Array(9);
const eigScratch: SymmetricEigen3 = { values: new Float64Array(3), vectors: new Float64Array(9) };
const cols = new Float64Array(9);
const normScratch = new Float64Array(3);

function checkMatrix(a: ArrayLike<number>, what: string): void {
  if (a === null || typeof a !== 'object' || a.length !== 9) {
    throw new GeometryError(
      'shape',
      `${what} must be a row-major 3 × 3 matrix (9 numbers), got ${a === null || typeof a !== 'object' ? typeof a : `length ${a.length}`}`,
    );
  }
  assertFinite(a, what);
}

function setIdentity(m: Float64Array): void {
  m.fill(0);
  m[0] = 1;
  m[4] = 1;
  m[8] = 1;
}

/** Swaps columns `i` and `k` of a row-major 3 × 3 matrix. */
function swapColumns(m: Float64Array, i: number, k: number): void {
  for (let r = 0; r < 3; r++) {
    const t = m[r * 3 + i]!;
    m[r * 3 + i] = m[r * 3 + k]!;
    m[r * 3 + k] = t;
  }
}

/**
 * Diagonalises the symmetric matrix `w` in place by cyclic Jacobi rotations, accumulating the
 * rotations into `v` (which must start as the identity). Afterwards the diagonal of `w` holds the
 * eigenvalues and the columns of `v` the eigenvectors. A rotation is skipped once its off-diagonal
 * element is negligible relative to the geometric mean of the two diagonal elements it couples
 * (or to the whole matrix), and the iteration stops after the first sweep without a rotation:
 * that is convergence to machine precision, not to a user tolerance.
 */
function jacobi(w: Float64Array, v: Float64Array): void {
  let norm2 = 0;
  for (let i = 0; i < 9; i++) norm2 += w[i]! * w[i]!;
  if (norm2 === 0) return;
  const absFloor = EPS * EPS * Math.sqrt(norm2);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let pair = 0; pair < 3; pair++) {
      // Pairs (0,1), (0,2), (1,2); r is the remaining index.
      const p = pair === 2 ? 1 : 0;
      const q = pair === 0 ? 1 : 2;
      const r = 3 - p - q;
      const apq = w[p * 3 + q]!;
      const app = w[p * 4]!;
      const aqq = w[q * 4]!;
      const mag = Math.abs(apq);
      if (mag <= absFloor || mag <= EPS * Math.sqrt(Math.abs(app * aqq))) continue;
      rotated = true;
      // Choose t = tan(φ) as the smaller root of t² + 2θt − 1 = 0, so |φ| ≤ π/4.
      const theta = (aqq - app) / (2 * apq);
      const t =
        Math.abs(theta) > 1e150
          ? 0.5 / theta
          : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      w[p * 4] = app - t * apq;
      w[q * 4] = aqq + t * apq;
      w[p * 3 + q] = 0;
      w[q * 3 + p] = 0;
      const arp = w[r * 3 + p]!;
      const arq = w[r * 3 + q]!;
      const nrp = c * arp - s * arq;
      const nrq = s * arp + c * arq;
      w[r * 3 + p] = nrp;
      w[p * 3 + r] = nrp;
      w[r * 3 + q] = nrq;
      w[q * 3 + r] = nrq;
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!;
        const vkq = v[k * 3 + q]!;
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
    if (!rotated) return;
  }
}

/**
 * Eigen-decomposition of a symmetric 3 × 3 matrix: `S = V · diag(λ) · Vᵀ` with `λ` sorted in
 * descending order and `V` a proper rotation (`det(V) = +1`).
 *
 * Only the symmetric part `(S + Sᵀ) / 2` is used. Throws `GeometryError` ('shape' or
 * 'non-finite') for bad input.
 */
export function symmetricEigen3(s: ArrayLike<number>, out?: SymmetricEigen3): SymmetricEigen3 {
  checkMatrix(s, 'symmetricEigen3 input');
  const result = out ?? { values: new Float64Array(3), vectors: new Float64Array(9) };
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) work[r * 3 + c] = 0.5 * (s[r * 3 + c]! + s[c * 3 + r]!);
  }
  eigenInPlace(work, result);
  return result;
}

/** Jacobi on `w` (symmetric, overwritten), then sort descending; V stays a rotation. */
function eigenInPlace(w: Float64Array, result: SymmetricEigen3): void {
  const vals = result.values;
  const vecs = result.vectors;
  setIdentity(vecs);
  jacobi(w, vecs);
  vals[0] = w[0]!;
  vals[1] = w[4]!;
  vals[2] = w[8]!;
  // Sort descending. Each swap of two columns flips det(V); negate one column to undo it.
  let swaps = 0;
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 2 - i; k++) {
      if (vals[k]! < vals[k + 1]!) {
        const t = vals[k]!;
        vals[k] = vals[k + 1]!;
        vals[k + 1] = t;
        swapColumns(vecs, k, k + 1);
        swaps++;
      }
    }
  }
  if (swaps % 2 === 1) {
    for (let r = 0; r < 3; r++) vecs[r * 3 + 2] = -vecs[r * 3 + 2]!;
  }
}

/**
 * One-sided (Hestenes) Jacobi: rotates pairs of columns of `b` until they are orthogonal to
 * working precision, applying the same rotations to the columns of `v` (so `A·V = B` holds).
 */
function orthogonalizeColumns(b: Float64Array, v: Float64Array): void {
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let pair = 0; pair < 3; pair++) {
      const p = pair === 2 ? 1 : 0;
      const q = pair === 0 ? 1 : 2;
      const alpha = dotCols(b, p, b, p);
      const beta = dotCols(b, q, b, q);
      const gamma = dotCols(b, p, b, q);
      if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
      rotated = true;
      const zeta = (beta - alpha) / (2 * gamma);
      const t =
        Math.abs(zeta) > 1e150
          ? 0.5 / zeta
          : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(zeta * zeta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let r = 0; r < 3; r++) {
        const bp = b[r * 3 + p]!;
        const bq = b[r * 3 + q]!;
        b[r * 3 + p] = c * bp - s * bq;
        b[r * 3 + q] = s * bp + c * bq;
        const vp = v[r * 3 + p]!;
        const vq = v[r * 3 + q]!;
        v[r * 3 + p] = c * vp - s * vq;
        v[r * 3 + q] = s * vp + c * vq;
      }
    }
    if (!rotated) return;
  }
}

/** Sorts the columns of `b` (and `v` alike) by decreasing norm, keeping `det(v)` unchanged. */
function sortColumnsByNorm(b: Float64Array, v: Float64Array): void {
  const norms = normScratch;
  for (let k = 0; k < 3; k++) norms[k] = norm3(b, k);
  let swaps = 0;
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 2 - i; k++) {
      if (norms[k]! < norms[k + 1]!) {
        const t = norms[k]!;
        norms[k] = norms[k + 1]!;
        norms[k + 1] = t;
        swapColumns(b, k, k + 1);
        swapColumns(v, k, k + 1);
        swaps++;
      }
    }
  }
  if (swaps % 2 === 1) {
    for (let r = 0; r < 3; r++) {
      b[r * 3 + 2] = -b[r * 3 + 2]!;
      v[r * 3 + 2] = -v[r * 3 + 2]!;
    }
  }
}

function norm3(m: Float64Array, col: number): number {
  return Math.hypot(m[col]!, m[3 + col]!, m[6 + col]!);
}

function dotCols(a: Float64Array, i: number, b: Float64Array, k: number): number {
  return a[i]! * b[k]! + a[3 + i]! * b[3 + k]! + a[6 + i]! * b[6 + k]!;
}

/**
 * Singular value decomposition of a 3 × 3 matrix: `A = U · diag(s) · Vᵀ`, `s` non-negative and
 * sorted in descending order, `U` and `V` orthonormal (`V` a rotation, `det(U) = sign(det A)`
 * when A is non-singular).
 *
 * Method: a first `V` comes from the Jacobi eigen-decomposition of `AᵀA`; since `AᵀA` squares
 * the condition number, the columns of `B = A·V` are then made orthogonal to working precision
 * by one-sided Jacobi rotations (applied to `V` as well), which resolves small singular values
 * at the scale of `A`. The singular values are the column norms of `B`; `U` is obtained by
 * Gram–Schmidt on those columns, and its last column is completed by the cross product of the
 * first two. This keeps `U` exactly orthonormal for rank-deficient input
 * (coplanar or collinear point sets in Procrustes, or the zero matrix), where some columns of
 * `A·V` vanish and cannot be normalised; the missing directions are then an arbitrary but
 * orthonormal completion. The input is scaled by its largest entry first, so neither `AᵀA`
 * overflows nor small inputs underflow.
 *
 * Throws `GeometryError` ('shape' or 'non-finite') for bad input.
 */
export function svd3(a: ArrayLike<number>, out?: Svd3): Svd3 {
  checkMatrix(a, 'svd3 input');
  const result = out ?? { u: new Float64Array(9), s: new Float64Array(3), v: new Float64Array(9) };
  const { u, s, v } = result;
  let maxAbs = 0;
  for (let i = 0; i < 9; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
  if (maxAbs === 0) {
    setIdentity(u);
    setIdentity(v);
    s.fill(0);
    return result;
  }
  const inv = 1 / maxAbs;
  for (let i = 0; i < 9; i++) scaled[i] = a[i]! * inv;
  // gram = AᵀA (symmetric).
  for (let r = 0; r < 3; r++) {
    for (let c = r; c < 3; c++) {
      const g =
        scaled[r]! * scaled[c]! + scaled[3 + r]! * scaled[3 + c]! + scaled[6 + r]! * scaled[6 + c]!;
      gram[r * 3 + c] = g;
      gram[c * 3 + r] = g;
    }
  }
  eigenInPlace(gram, eigScratch);
  v.set(eigScratch.vectors);
  // cols = A·V; column k is A v_k = σ_k u_k.
  for (let r = 0; r < 3; r++) {
    for (let k = 0; k < 3; k++) {
      cols[r * 3 + k] =
        scaled[r * 3]! * v[k]! + scaled[r * 3 + 1]! * v[3 + k]! + scaled[r * 3 + 2]! * v[6 + k]!;
    }
  }

  // AᵀA squares the condition number: singular values below ~1e-8·σ1 are not resolved by its
  // eigenvectors (the columns of A·V are then not quite orthogonal). One-sided Jacobi on A·V
  // fixes that at the scale of A itself; starting from nearly orthogonal columns it needs one
  // or two sweeps.
  orthogonalizeColumns(cols, v);
  sortColumnsByNorm(cols, v);

  // u1: the scaled A has an entry of magnitude 1, so σ1 ≥ 1 and A·v1 cannot vanish.
  const s1 = norm3(cols, 0);
  for (let r = 0; r < 3; r++) u[r * 3] = cols[r * 3]! / s1;

  // u2: Gram–Schmidt (twice, for orthogonality to working precision) or any unit ⊥ u1.
  for (let r = 0; r < 3; r++) u[r * 3 + 1] = cols[r * 3 + 1]!;
  let n2 = 0;
  for (let pass = 0; pass < 2; pass++) {
    const d = dotCols(u, 0, u, 1);
    for (let r = 0; r < 3; r++) u[r * 3 + 1] = u[r * 3 + 1]! - d * u[r * 3]!;
    n2 = norm3(u, 1);
    if (n2 <= TINY) break;
    for (let r = 0; r < 3; r++) u[r * 3 + 1] = u[r * 3 + 1]! / n2;
  }
  if (n2 <= TINY) {
    // σ2 vanishes (rank 1): complete with the axis least aligned with u1.
    const x = Math.abs(u[0]!);
    const y = Math.abs(u[3]!);
    const z = Math.abs(u[6]!);
    const axis = x <= y && x <= z ? 0 : y <= z ? 1 : 2;
    // u2 = normalize(u1 × e_axis)
    const e0 = axis === 0 ? 1 : 0;
    const e1 = axis === 1 ? 1 : 0;
    const e2 = axis === 2 ? 1 : 0;
    const c0 = u[3]! * e2 - u[6]! * e1;
    const c1 = u[6]! * e0 - u[0]! * e2;
    const c2 = u[0]! * e1 - u[3]! * e0;
    const n = Math.hypot(c0, c1, c2);
    u[1] = c0 / n;
    u[4] = c1 / n;
    u[7] = c2 / n;
  }
  let s2 = dotCols(u, 1, cols, 1);
  if (s2 < 0) {
    s2 = -s2;
    for (let r = 0; r < 3; r++) u[r * 3 + 1] = -u[r * 3 + 1]!;
  }

  // u3 = u1 × u2, sign chosen so that σ3 ≥ 0.
  u[2] = u[3]! * u[7]! - u[6]! * u[4]!;
  u[5] = u[6]! * u[1]! - u[0]! * u[7]!;
  u[8] = u[0]! * u[4]! - u[3]! * u[1]!;
  let s3 = dotCols(u, 2, cols, 2);
  if (s3 < 0) {
    s3 = -s3;
    for (let r = 0; r < 3; r++) u[r * 3 + 2] = -u[r * 3 + 2]!;
  }
  s[0] = s1;
  s[1] = s2;
  s[2] = s3;
  // Rounding can break ties between σ's recomputed from A·V; restore the order by swapping
  // columns of both U and V (this keeps U·diag(s)·Vᵀ unchanged), then keep det(V) = +1.
  let swaps = 0;
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 2 - i; k++) {
      if (s[k]! < s[k + 1]!) {
        const t = s[k]!;
        s[k] = s[k + 1]!;
        s[k + 1] = t;
        swapColumns(u, k, k + 1);
        swapColumns(v, k, k + 1);
        swaps++;
      }
    }
  }
  if (swaps % 2 === 1) {
    for (let r = 0; r < 3; r++) {
      u[r * 3 + 2] = -u[r * 3 + 2]!;
      v[r * 3 + 2] = -v[r * 3 + 2]!;
    }
  }
  for (let k = 0; k < 3; k++) s[k] = s[k]! * maxAbs;
  return result;
}
