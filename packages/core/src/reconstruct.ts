/**
 * MeTRAbs absolute pose reconstruction: from a crop's 2D joints (pixels) and metric
 * root-relative 3D joints (mm, arbitrary offset) to absolute camera-frame 3D joints.
 *
 * With x̃_j = K⁻¹[x_j; 1] the undistorted normalised 2D joints and P_j = (X_j, Y_j, Z_j)
 * the relative 3D joints, the offset T = (X0, Y0, Z0) solves, in the least-squares sense,
 *     X0 − x̃_j Z0 = x̃_j Z_j − X_j,      Y0 − ỹ_j Z0 = ỹ_j Z_j − Y_j
 * with weight 1 (+1e-4) for joints predicted inside the crop's field of view and 1e-4 for
 * the rest, both sides rms-normalised and a Tikhonov term λ‖x‖² on the normalised unknowns.
 * The result blends, for in-view joints, the 3D estimate P_j + T with the back-projection
 * of x̃_j at depth Z_j + Z0.
 */
import type { NumericArray, Points } from './arrays.js';
import { flattenPoints, unflattenPoints } from './arrays.js';
import { GeometryError } from './errors.js';
import { invert3, type Mat3, type Matrix3Like, toMat3 } from './mat3.js';

export interface ReconstructOptions {
  /** Crop side S the 2D coordinates refer to (default 256). */
  cropSide?: number;
  /** Training stride of the network, sets the field-of-view border (default 32). */
  strideTrain?: number;
  /** Whether the network used centred striding (default true). */
  centeredStride?: boolean;
  /**
   * For joints inside the field of view: weight of the 3D-based estimate versus the 2D
   * back-projection (default 0.5). `null` uses the back-projection alone, as the reference
   * does when no mix factor is given.
   */
  mix3dInsideFov?: number | null;
  /** Weak perspective (mean and spread matching) instead of full perspective (default false). */
  weakPerspective?: boolean;
  /**
   * Tikhonov weight λ on the rms-normalised unknowns (default 1e-2, the reference's). It
   * biases exact inputs by a few mm; 0 gives the exact least-squares solution.
   */
  tikhonov?: number;
  /** Border of the field of view in units of the training stride (default 0.75). */
  fovBorderFactor?: number;
}

interface Resolved {
  cropSide: number;
  strideTrain: number;
  centeredStride: boolean;
  mix: number | null;
  weak: boolean;
  tikhonov: number;
  border: number;
}

const OUTSIDE_FOV_WEIGHT = 1e-4;

function resolveOptions(o: ReconstructOptions): Resolved {
  const r: Resolved = {
    cropSide: o.cropSide ?? 256,
    strideTrain: o.strideTrain ?? 32,
    centeredStride: o.centeredStride ?? true,
    mix: o.mix3dInsideFov === undefined ? 0.5 : o.mix3dInsideFov,
    weak: o.weakPerspective ?? false,
    tikhonov: o.tikhonov ?? 1e-2,
    border: o.fovBorderFactor ?? 0.75,
  };
  if (!(r.cropSide > 0))
    throw new GeometryError('invalid-option', `cropSide must be positive, got ${r.cropSide}`);
  if (!(r.strideTrain > 0))
    throw new GeometryError('invalid-option', `strideTrain must be positive, got ${r.strideTrain}`);
  if (r.mix !== null && !(r.mix >= 0 && r.mix <= 1)) {
    throw new GeometryError(
      'invalid-option',
      `mix3dInsideFov must be in [0, 1] or null, got ${r.mix}`,
    );
  }
  if (!(r.tikhonov >= 0) || !Number.isFinite(r.tikhonov)) {
    throw new GeometryError(
      'invalid-option',
      `tikhonov must be a finite number ≥ 0, got ${r.tikhonov}`,
    );
  }
  if (!Number.isFinite(r.border))
    throw new GeometryError('invalid-option', `fovBorderFactor is ${r.border}`);
  return r;
}

/** Lower and upper crop-pixel bounds of the field of view used for weighting. */
export function fovBounds(options: ReconstructOptions = {}): [number, number] {
  const r = resolveOptions(options);
  return boundsOf(r);
}

function boundsOf(r: Resolved): [number, number] {
  const offset = r.centeredStride ? 0 : -r.strideTrain / 2;
  return [r.strideTrain * r.border + offset, r.cropSide - r.strideTrain * r.border + offset];
}

/** Whether each 2D crop-pixel point lies inside the field of view (both coordinates). */
export function isWithinFov(
  coords2d: ArrayLike<number>,
  options: ReconstructOptions = {},
): boolean[] {
  const [lo, hi] = fovBounds(options);
  const out: boolean[] = [];
  for (let i = 0; i < coords2d.length; i += 2) {
    const x = coords2d[i]!,
      y = coords2d[i + 1]!;
    out.push(x >= lo && x <= hi && y >= lo && y <= hi);
  }
  return out;
}

/**
 * Absolute reconstruction of one pose. `coords2d` is J×2 crop pixels, `coords3d` J×3 mm
 * (relative), `intrinsics` the crop camera's 3×3 K. Returns J×3 absolute camera-frame mm.
 */
export function reconstructAbsolute(
  coords2d: Points,
  coords3d: Points,
  intrinsics: Matrix3Like,
  options: ReconstructOptions = {},
): number[][] {
  if (coords2d.length !== coords3d.length) {
    throw new GeometryError(
      'shape',
      `coords2d has ${coords2d.length} joints but coords3d has ${coords3d.length}`,
    );
  }
  const j = coords2d.length;
  const out = reconstructAbsoluteBatch(
    flattenPoints(coords2d, 2, 'coords2d'),
    flattenPoints(coords3d, 3, 'coords3d'),
    toMat3(intrinsics, 'intrinsics'),
    1,
    j,
    options,
  );
  return unflattenPoints(out, 3);
}

/**
 * Batched absolute reconstruction without per-joint allocation.
 * - `coords2d`: flat `[n, J, 2]` crop pixels; `coords3d`: flat `[n, J, 3]` mm.
 * - `intrinsics`: one K (9 numbers, row-major) for all poses, or `n` of them (`n · 9`).
 * Returns flat `[n, J, 3]` absolute mm (written to `out` if given).
 *
 * Differences from the reference, both deliberate: rms normalisation is per pose (the
 * reference normalises over the whole batch, so a pose's result depended on its batch
 * mates; with one pose they agree), and when no joint is inside the field of view all
 * joints get equal weight (the reference then lets the regulariser pull T towards 0).
 */
export function reconstructAbsoluteBatch(
  coords2d: NumericArray,
  coords3d: NumericArray,
  intrinsics: NumericArray | Mat3,
  n: number,
  j: number,
  options: ReconstructOptions = {},
  out: Float64Array = new Float64Array(n * j * 3),
): Float64Array {
  const r = resolveOptions(options);
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(j) && j > 0)) {
    throw new GeometryError('shape', `invalid batch shape n=${n}, J=${j}`);
  }
  if (coords2d.length !== n * j * 2) {
    throw new GeometryError(
      'shape',
      `coords2d: expected ${n}×${j}×2 = ${n * j * 2} values, got ${coords2d.length}`,
    );
  }
  if (coords3d.length !== n * j * 3) {
    throw new GeometryError(
      'shape',
      `coords3d: expected ${n}×${j}×3 = ${n * j * 3} values, got ${coords3d.length}`,
    );
  }
  if (intrinsics.length !== 9 && intrinsics.length !== n * 9) {
    throw new GeometryError(
      'shape',
      `intrinsics: expected 9 or ${n}×9 values, got ${intrinsics.length}`,
    );
  }
  if (out.length !== n * j * 3)
    throw new GeometryError('shape', `out must have ${n * j * 3} elements`);
  for (let i = 0; i < coords2d.length; i++) {
    if (!Number.isFinite(coords2d[i]!)) {
      throw new GeometryError(
        'non-finite',
        `coords2d value ${i} (pose ${Math.floor(i / (2 * j))}) is ${coords2d[i]}`,
      );
    }
  }
  for (let i = 0; i < coords3d.length; i++) {
    if (!Number.isFinite(coords3d[i]!)) {
      throw new GeometryError(
        'non-finite',
        `coords3d value ${i} (pose ${Math.floor(i / (3 * j))}) is ${coords3d[i]}`,
      );
    }
  }

  const [lo, hi] = boundsOf(r);
  const normalized = new Float64Array(j * 2);
  const inFov = new Uint8Array(j);
  const offset = new Float64Array(3);
  const K = new Float64Array(9);
  let Kinv: Mat3 = new Float64Array(9);
  for (let b = 0; b < n; b++) {
    if (b === 0 || intrinsics.length > 9) {
      K.set(
        intrinsics.subarray(
          intrinsics.length > 9 ? b * 9 : 0,
          intrinsics.length > 9 ? b * 9 + 9 : 9,
        ),
      );
      for (let i = 0; i < 9; i++) {
        if (!Number.isFinite(K[i]!))
          throw new GeometryError('non-finite', `intrinsics of pose ${b} contain ${K[i]}`);
      }
      Kinv = invert3(K, `intrinsic matrix of pose ${b}`);
    }
    const p2 = b * j * 2;
    const p3 = b * j * 3;
    let nInFov = 0;
    for (let k = 0; k < j; k++) {
      const u = coords2d[p2 + k * 2]!,
        v = coords2d[p2 + k * 2 + 1]!;
      const w = Kinv[6]! * u + Kinv[7]! * v + Kinv[8]!;
      normalized[k * 2] = (Kinv[0]! * u + Kinv[1]! * v + Kinv[2]!) / w;
      normalized[k * 2 + 1] = (Kinv[3]! * u + Kinv[4]! * v + Kinv[5]!) / w;
      const inside = u >= lo && u <= hi && v >= lo && v <= hi;
      inFov[k] = inside ? 1 : 0;
      if (inside) nInFov++;
    }
    if (r.weak) {
      referenceWeakPerspective(normalized, coords3d, p3, inFov, nInFov, j, offset);
    } else {
      referenceFullPerspective(normalized, coords3d, p3, inFov, nInFov, j, r.tikhonov, offset);
    }
    const mix = r.mix;
    for (let k = 0; k < j; k++) {
      const o = p3 + k * 3;
      const X = coords3d[o]! + offset[0]!;
      const Y = coords3d[o + 1]! + offset[1]!;
      const Z = coords3d[o + 2]! + offset[2]!;
      if (!inFov[k]) {
        out[o] = X;
        out[o + 1] = Y;
        out[o + 2] = Z;
        continue;
      }
      // Back-projection of the 2D joint at the 3D estimate's depth.
      const bx = normalized[k * 2]! * Z;
      const by = normalized[k * 2 + 1]! * Z;
      if (mix === null) {
        out[o] = bx;
        out[o + 1] = by;
        out[o + 2] = Z;
      } else {
        out[o] = mix * X + (1 - mix) * bx;
        out[o + 1] = mix * Y + (1 - mix) * by;
        out[o + 2] = Z;
      }
    }
  }
  return out;
}

/**
 * Weighted, regularised least squares for T in rms-normalised variables (see the file
 * comment). Solves the 3×3 normal equations directly.
 */
function referenceFullPerspective(
  normalized: Float64Array,
  coords3d: NumericArray,
  p3: number,
  inFov: Uint8Array,
  nInFov: number,
  j: number,
  tikhonov: number,
  out: Float64Array,
): void {
  // rms scales of the 2D coordinates and of the right-hand side
  let s2 = 0;
  let sb = 0;
  for (let k = 0; k < j; k++) {
    const x = normalized[k * 2]!,
      y = normalized[k * 2 + 1]!;
    const Z = coords3d[p3 + k * 3 + 2]!;
    const bx = x * Z - coords3d[p3 + k * 3]!;
    const by = y * Z - coords3d[p3 + k * 3 + 1]!;
    s2 += x * x + y * y;
    sb += bx * bx + by * by;
  }
  s2 = Math.sqrt(s2 / (2 * j)) || 1;
  sb = Math.sqrt(sb / (2 * j)) || 1;

  // Normal equations M x = r with rows a = (1, 0, −x/s2) and (0, 1, −y/s2).
  let m00 = tikhonov,
    m11 = tikhonov,
    m22 = tikhonov,
    m02 = 0,
    m12 = 0;
  let r0 = 0,
    r1 = 0,
    r2 = 0;
  for (let k = 0; k < j; k++) {
    const wt = nInFov === 0 ? 1 : (inFov[k] ? 1 : 0) + OUTSIDE_FOV_WEIGHT;
    const w2 = wt * wt;
    const x = normalized[k * 2]! / s2,
      y = normalized[k * 2 + 1]! / s2;
    const Z = coords3d[p3 + k * 3 + 2]!;
    const bx = (normalized[k * 2]! * Z - coords3d[p3 + k * 3]!) / sb;
    const by = (normalized[k * 2 + 1]! * Z - coords3d[p3 + k * 3 + 1]!) / sb;
    m00 += w2;
    m11 += w2;
    m02 -= w2 * x;
    m12 -= w2 * y;
    m22 += w2 * (x * x + y * y);
    r0 += w2 * bx;
    r1 += w2 * by;
    r2 -= w2 * (x * bx + y * by);
  }
  // Solve the symmetric 3×3 system by Cramer's rule (m01 = 0).
  const c00 = m11 * m22 - m12 * m12;
  const c01 = m02 * m12; // −(0·m22 − m12·m02)
  const c02 = -m11 * m02; // 0·m12 − m11·m02
  const det = m00 * c00 + m02 * c02;
  if (!(Math.abs(det) > 1e-12 * m00 * m11 * Math.abs(m22))) {
    // Only reachable with tikhonov = 0 and all joints on one ray: no depth information.
    throw new GeometryError(
      'degenerate',
      'absolute reconstruction is underdetermined (all 2D joints coincide); use tikhonov > 0',
    );
  }
  const c11 = m00 * m22 - m02 * m02;
  const c12 = -(m00 * m12);
  const c22 = m00 * m11;
  const x0 = (c00 * r0 + c01 * r1 + c02 * r2) / det;
  const x1 = (c01 * r0 + c11 * r1 + c12 * r2) / det;
  const x2 = (c02 * r0 + c12 * r1 + c22 * r2) / det;
  out[0] = x0 * sb;
  out[1] = x1 * sb;
  out[2] = (x2 * sb) / s2;
}

/**
 * Weak perspective: place the pose so that the mean and spread of its x, y coordinates
 * match those of the 2D joints (in-view joints only, or all when none is in view).
 */
function referenceWeakPerspective(
  normalized: Float64Array,
  coords3d: NumericArray,
  p3: number,
  inFov: Uint8Array,
  nInFov: number,
  j: number,
  out: Float64Array,
): void {
  const useAll = nInFov === 0;
  const count = useAll ? j : nInFov;
  let m2x = 0,
    m2y = 0,
    m3x = 0,
    m3y = 0,
    m3z = 0;
  for (let k = 0; k < j; k++) {
    if (!useAll && !inFov[k]) continue;
    m2x += normalized[k * 2]!;
    m2y += normalized[k * 2 + 1]!;
    m3x += coords3d[p3 + k * 3]!;
    m3y += coords3d[p3 + k * 3 + 1]!;
    m3z += coords3d[p3 + k * 3 + 2]!;
  }
  m2x /= count;
  m2y /= count;
  m3x /= count;
  m3y /= count;
  m3z /= count;
  let v2 = 0,
    v3 = 0;
  for (let k = 0; k < j; k++) {
    if (!useAll && !inFov[k]) continue;
    v2 += (normalized[k * 2]! - m2x) ** 2 + (normalized[k * 2 + 1]! - m2y) ** 2;
    v3 += (coords3d[p3 + k * 3]! - m3x) ** 2 + (coords3d[p3 + k * 3 + 1]! - m3y) ** 2;
  }
  const sd2 = Math.max(Math.sqrt(v2 / count + 1e-10), 1e-5);
  const sd3 = Math.max(Math.sqrt(v3 / count + 1e-10), 1e-5);
  const z = sd3 / sd2;
  out[0] = m2x * z - m3x;
  out[1] = m2y * z - m3y;
  out[2] = z - m3z;
}
