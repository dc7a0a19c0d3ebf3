/**
 * A pinhole camera with optional OpenCV lens distortion.
 *
 * Conventions (see docs/geometry.md):
 * - Camera frame: x right, y down, z forward (optical axis), millimetres.
 * - Image frame: pixels, x right, y down; integer coordinates are pixel centres.
 * - `rotation` R maps world directions to camera directions, `opticalCenter` c is the
 *   camera position in world coordinates, so  p_cam = R · (p_world − c). The 4×4
 *   extrinsic matrix is [R | −R c; 0 0 0 1] (translation in mm).
 * - Camera objects are immutable: every edit returns a new camera.
 */
import type { NumericArray, Points } from './arrays.js';
import { flattenPoints, unflattenPoints } from './arrays.js';
import { distortPoints, hasDistortion, toDistortionCoeffs, undistortPoints } from './distortion.js';
import { GeometryError } from './errors.js';
import {
  apply3,
  axisRotation3,
  cross3,
  identity3,
  invert3,
  type Mat3,
  type Matrix3Like,
  multiply3,
  norm3,
  toMat3,
  transpose3,
  type Vec3,
} from './mat3.js';

/** World "up" of the reference: y points down in the usual camera/world set-up. */
export const DEFAULT_WORLD_UP: readonly [number, number, number] = [0, -1, 0];
/** Field of view (degrees, along the larger image side) used when intrinsics are unknown. */
export const DEFAULT_FOV_DEGREES = 55;

export interface CameraInit {
  /** 3×3 intrinsic matrix K (row-major 9 numbers or 3 rows). Bottom row must be 0 0 1. */
  intrinsicMatrix: Matrix3Like;
  /** 0–12 OpenCV distortion coefficients. */
  distortionCoeffs?: ArrayLike<number>;
  /** 4×4 world→camera extrinsic matrix, translation in mm (16 numbers or 4 rows). */
  extrinsicMatrix?: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  /** Alternatively: world→camera rotation and optical centre (mm, world frame). */
  rotation?: Matrix3Like;
  opticalCenter?: ArrayLike<number>;
  /** World up direction, default (0, −1, 0). */
  worldUp?: ArrayLike<number>;
}

export type PointsInput = Points | NumericArray;
type PointsOutput<T> = T extends NumericArray ? Float64Array : number[][];

function readPoints(points: PointsInput, d: number, what: string): Float64Array {
  if (points instanceof Float64Array || points instanceof Float32Array) {
    if (points.length % d !== 0) {
      throw new GeometryError(
        'shape',
        `${what}: flat array length ${points.length} is not a multiple of ${d}`,
      );
    }
    return points instanceof Float64Array ? points : Float64Array.from(points);
  }
  return flattenPoints(points, d, what);
}

function writePoints<T extends PointsInput>(
  input: T,
  flat: Float64Array,
  d: number,
): PointsOutput<T> {
  if (input instanceof Float64Array || input instanceof Float32Array)
    return flat as PointsOutput<T>;
  return unflattenPoints(flat, d) as PointsOutput<T>;
}

function toVec3(v: ArrayLike<number>, what: string): Vec3 {
  if (v.length !== 3)
    throw new GeometryError('shape', `${what} must have 3 elements, got ${v.length}`);
  const out = Float64Array.from(v);
  for (let i = 0; i < 3; i++) {
    if (!Number.isFinite(out[i]!))
      throw new GeometryError('non-finite', `${what}[${i}] is ${out[i]}`);
  }
  return out;
}

/**
 * Rotation whose rows are the axes of a camera looking along `forward` with its image-up
 * direction as close as possible to `up` (both in the current camera frame). When
 * `forward` is parallel to `up`, the right axis is taken as `forward` turned 90° about y
 * (or the old x axis when `forward` is the y axis itself).
 */
export function lookAtRotation(forward: ArrayLike<number>, up: ArrayLike<number>): Mat3 {
  const fn = norm3(forward);
  if (!(fn > 0) || !Number.isFinite(fn)) {
    throw new GeometryError('degenerate', 'cannot look along a zero or non-finite direction');
  }
  const z = Float64Array.of(forward[0]! / fn, forward[1]! / fn, forward[2]! / fn);
  let x = cross3(z, up);
  if (norm3(x) === 0) x = Float64Array.of(z[2]!, 0, -z[0]!);
  if (norm3(x) === 0) x = Float64Array.of(1, 0, 0); // forward is exactly ±y
  const xn = norm3(x);
  x[0]! /= xn;
  x[1]! /= xn;
  x[2]! /= xn;
  const y = cross3(z, x);
  return Float64Array.of(x[0]!, x[1]!, x[2]!, y[0]!, y[1]!, y[2]!, z[0]!, z[1]!, z[2]!);
}

export class Camera {
  readonly intrinsicMatrix: Mat3;
  readonly distortionCoeffs: Float64Array;
  readonly rotation: Mat3;
  readonly opticalCenter: Vec3;
  readonly worldUp: Vec3;

  constructor(init: CameraInit) {
    const K = toMat3(init.intrinsicMatrix, 'intrinsic matrix');
    if (K[6] !== 0 || K[7] !== 0 || K[8] !== 1) {
      throw new GeometryError(
        'invalid-option',
        `intrinsic matrix bottom row must be [0, 0, 1], got [${K[6]}, ${K[7]}, ${K[8]}]`,
      );
    }
    invert3(K, 'intrinsic matrix'); // validates invertibility up front
    this.intrinsicMatrix = K;
    this.distortionCoeffs = toDistortionCoeffs(init.distortionCoeffs);
    if (init.extrinsicMatrix !== undefined) {
      if (init.rotation !== undefined || init.opticalCenter !== undefined) {
        throw new GeometryError(
          'invalid-option',
          'give either extrinsicMatrix or rotation/opticalCenter, not both',
        );
      }
      const { rotation, opticalCenter } = parseExtrinsics(init.extrinsicMatrix);
      this.rotation = rotation;
      this.opticalCenter = opticalCenter;
    } else {
      this.rotation = init.rotation === undefined ? identity3() : toMat3(init.rotation, 'rotation');
      this.opticalCenter =
        init.opticalCenter === undefined
          ? new Float64Array(3)
          : toVec3(init.opticalCenter, 'optical centre');
    }
    this.worldUp = toVec3(init.worldUp ?? DEFAULT_WORLD_UP, 'world up vector');
    if (norm3(this.worldUp) === 0)
      throw new GeometryError('degenerate', 'world up vector must not be zero');
  }

  /**
   * Pinhole camera whose horizontal or vertical field of view (whichever image side is
   * larger) is `fovDegrees`, principal point at (width/2, height/2) as in the reference
   * pipeline.
   */
  static fromFov(
    fovDegrees: number,
    width: number,
    height: number,
    init: Partial<CameraInit> = {},
  ): Camera {
    return new Camera({ ...init, intrinsicMatrix: intrinsicsFromFov(fovDegrees, width, height) });
  }

  private with(changes: Partial<{ K: Mat3; d: Float64Array; R: Mat3; c: Vec3 }>): Camera {
    return new Camera({
      intrinsicMatrix: changes.K ?? this.intrinsicMatrix,
      distortionCoeffs: changes.d ?? this.distortionCoeffs,
      rotation: changes.R ?? this.rotation,
      opticalCenter: changes.c ?? this.opticalCenter,
      worldUp: this.worldUp,
    });
  }

  get hasDistortion(): boolean {
    return hasDistortion(this.distortionCoeffs);
  }

  /** 4×4 world→camera matrix [R | −R c; 0 0 0 1], row-major, mm. */
  extrinsicMatrix(): Float64Array {
    const t = apply3(
      this.rotation,
      this.opticalCenter[0]!,
      this.opticalCenter[1]!,
      this.opticalCenter[2]!,
    );
    const R = this.rotation;
    return Float64Array.of(
      R[0]!,
      R[1]!,
      R[2]!,
      -t[0]!,
      R[3]!,
      R[4]!,
      R[5]!,
      -t[1]!,
      R[6]!,
      R[7]!,
      R[8]!,
      -t[2]!,
      0,
      0,
      0,
      1,
    );
  }

  /** The world-up vector expressed in this camera's frame (R · up). */
  cameraSpaceUp(): Vec3 {
    return apply3(this.rotation, this.worldUp[0]!, this.worldUp[1]!, this.worldUp[2]!);
  }

  // ---- Point transforms: world ↔ camera ↔ image --------------------------------------

  worldToCamera<T extends PointsInput>(points: T): PointsOutput<T> {
    const p = readPoints(points, 3, 'world points');
    const out = new Float64Array(p.length);
    const R = this.rotation;
    const [cx, cy, cz] = this.opticalCenter as unknown as [number, number, number];
    for (let i = 0; i < p.length; i += 3) {
      const x = p[i]! - cx,
        y = p[i + 1]! - cy,
        z = p[i + 2]! - cz;
      out[i] = R[0]! * x + R[1]! * y + R[2]! * z;
      out[i + 1] = R[3]! * x + R[4]! * y + R[5]! * z;
      out[i + 2] = R[6]! * x + R[7]! * y + R[8]! * z;
    }
    return writePoints(points, out, 3);
  }

  cameraToWorld<T extends PointsInput>(points: T): PointsOutput<T> {
    const p = readPoints(points, 3, 'camera points');
    const out = new Float64Array(p.length);
    const R = this.rotation;
    const [cx, cy, cz] = this.opticalCenter as unknown as [number, number, number];
    for (let i = 0; i < p.length; i += 3) {
      const x = p[i]!,
        y = p[i + 1]!,
        z = p[i + 2]!;
      out[i] = R[0]! * x + R[3]! * y + R[6]! * z + cx;
      out[i + 1] = R[1]! * x + R[4]! * y + R[7]! * z + cy;
      out[i + 2] = R[2]! * x + R[5]! * y + R[8]! * z + cz;
    }
    return writePoints(points, out, 3);
  }

  /**
   * Projects camera-frame points to pixels: perspective division, lens distortion, then K.
   * Points at z ≤ 0 (behind the camera) have no meaningful projection; their result is
   * finite only when z ≠ 0.
   */
  cameraToImage<T extends PointsInput>(points: T): PointsOutput<T> {
    const p = readPoints(points, 3, 'camera points');
    const n = p.length / 3;
    const normalized = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const z = p[i * 3 + 2]!;
      normalized[i * 2] = p[i * 3]! / z;
      normalized[i * 2 + 1] = p[i * 3 + 1]! / z;
    }
    if (this.hasDistortion) distortPoints(normalized, this.distortionCoeffs, normalized);
    applyIntrinsicsInPlace(this.intrinsicMatrix, normalized);
    return writePoints(points, normalized, 2);
  }

  /**
   * Back-projects pixels to camera-frame points at the given depth(s) (z, mm), undoing K and
   * the lens distortion.
   */
  imageToCamera<T extends PointsInput>(
    points: T,
    depth: number | ArrayLike<number> = 1,
  ): PointsOutput<T> {
    const normalized = this.imageToNormalized(readPoints(points, 2, 'image points'));
    const n = normalized.length / 2;
    if (typeof depth !== 'number' && depth.length !== n) {
      throw new GeometryError('shape', `depths: expected ${n} values, got ${depth.length}`);
    }
    const out = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const z = typeof depth === 'number' ? depth : depth[i]!;
      out[i * 3] = normalized[i * 2]! * z;
      out[i * 3 + 1] = normalized[i * 2 + 1]! * z;
      out[i * 3 + 2] = z;
    }
    return writePoints(points, out, 3);
  }

  worldToImage<T extends PointsInput>(points: T): PointsOutput<T> {
    const cam = this.worldToCamera(readPoints(points, 3, 'world points'));
    return writePoints(points, this.cameraToImage(cam), 2);
  }

  imageToWorld<T extends PointsInput>(
    points: T,
    depth: number | ArrayLike<number> = 1,
  ): PointsOutput<T> {
    const cam = this.imageToCamera(readPoints(points, 2, 'image points'), depth);
    return writePoints(points, this.cameraToWorld(cam), 3);
  }

  /** Pixels → undistorted normalised coordinates (x/z, y/z), flat. */
  imageToNormalized(pixels: ArrayLike<number>): Float64Array {
    const Kinv = invert3(this.intrinsicMatrix, 'intrinsic matrix');
    const out = new Float64Array(pixels.length);
    for (let i = 0; i < pixels.length; i += 2) {
      const u = pixels[i]!,
        v = pixels[i + 1]!;
      out[i] = Kinv[0]! * u + Kinv[1]! * v + Kinv[2]!;
      out[i + 1] = Kinv[3]! * u + Kinv[4]! * v + Kinv[5]!;
    }
    if (this.hasDistortion) undistortPoints(out, this.distortionCoeffs, out);
    return out;
  }

  // ---- Camera edits (each returns a new camera) -------------------------------------

  /**
   * Turns the camera about its optical centre so that the optical axis passes through a
   * target, keeping the image upright with respect to `worldUp` (no roll, no flip).
   * The target is a pixel of this camera's image, a camera-frame point or a world point.
   */
  turnTowards(
    target:
      | { imagePoint: ArrayLike<number> }
      | { cameraPoint: ArrayLike<number> }
      | { worldPoint: ArrayLike<number> },
  ): Camera {
    let forward: ArrayLike<number>;
    if ('imagePoint' in target) {
      const n = this.imageToNormalized(toFinite(target.imagePoint, 2, 'target image point'));
      forward = [n[0]!, n[1]!, 1];
    } else if ('cameraPoint' in target) {
      forward = toVec3(target.cameraPoint, 'target camera point');
    } else {
      const w = toVec3(target.worldPoint, 'target world point');
      forward = this.worldToCamera(w);
    }
    const turn = lookAtRotation(forward, this.cameraSpaceUp());
    return this.with({ R: multiply3(turn, this.rotation) });
  }

  /**
   * Rolls the camera by `angle` radians about its optical axis. Camera-frame coordinates
   * change as p' = Rz(−angle) · p, so image content turns by −angle (counter-clockwise on
   * screen for a positive angle, since y points down).
   */
  rotateInPlane(angle: number): Camera {
    if (!Number.isFinite(angle))
      throw new GeometryError('non-finite', `in-plane angle is ${angle}`);
    return this.with({ R: multiply3(axisRotation3('z', -angle), this.rotation) });
  }

  /** Mirrors the camera's x axis (a reflection: the image is flipped left to right). */
  horizontalFlip(): Camera {
    const R = Float64Array.from(this.rotation);
    R[0] = -R[0]!;
    R[1] = -R[1]!;
    R[2] = -R[2]!;
    return this.with({ R });
  }

  /** Multiplies the focal lengths (and skew) by `factor`, keeping the principal point. */
  zoom(factor: number): Camera {
    if (!(factor > 0) || !Number.isFinite(factor)) {
      throw new GeometryError(
        'invalid-option',
        `zoom factor must be a positive finite number, got ${factor}`,
      );
    }
    const K = Float64Array.from(this.intrinsicMatrix);
    K[0]! *= factor;
    K[1]! *= factor;
    K[3]! *= factor;
    K[4]! *= factor;
    return this.with({ K });
  }

  /** Scales the whole image by `factor` about the pixel-grid origin (K's first two rows). */
  scaleOutput(factor: number): Camera {
    if (!(factor > 0) || !Number.isFinite(factor)) {
      throw new GeometryError(
        'invalid-option',
        `scale factor must be a positive finite number, got ${factor}`,
      );
    }
    const K = Float64Array.from(this.intrinsicMatrix);
    for (let i = 0; i < 6; i++) K[i]! *= factor;
    return this.with({ K });
  }

  /** Moves the principal point to (width/2, height/2), the reference's crop convention. */
  centerPrincipalPoint(width: number, height: number): Camera {
    return this.withPrincipalPoint(width / 2, height / 2);
  }

  withPrincipalPoint(cx: number, cy: number): Camera {
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) {
      throw new GeometryError('non-finite', `principal point (${cx}, ${cy}) must be finite`);
    }
    const K = Float64Array.from(this.intrinsicMatrix);
    K[2] = cx;
    K[5] = cy;
    return this.with({ K });
  }

  /** The same camera without lens distortion (an ideal pinhole with the same K). */
  withoutDistortion(): Camera {
    return this.with({ d: new Float64Array(12) });
  }

  /**
   * The 3×3 homography H mapping pixels of this camera's image to pixels of `other`'s,
   * for two cameras at the same optical centre without distortion:
   * H = K_other · R_other · Rᵀ_this · K_this⁻¹.
   */
  homographyTo(other: Camera): Mat3 {
    const c1 = this.opticalCenter,
      c2 = other.opticalCenter;
    const dist = Math.hypot(c1[0]! - c2[0]!, c1[1]! - c2[1]!, c1[2]! - c2[2]!);
    if (dist > 1e-6 * Math.max(1, norm3(c1), norm3(c2))) {
      throw new GeometryError(
        'invalid-option',
        'a homography between cameras needs a shared optical centre',
      );
    }
    if (this.hasDistortion || other.hasDistortion) {
      throw new GeometryError(
        'invalid-option',
        'lens distortion is not a homography; use a per-pixel map (cropToImageMap) instead',
      );
    }
    const relative = multiply3(other.rotation, transpose3(this.rotation));
    return multiply3(
      multiply3(other.intrinsicMatrix, relative),
      invert3(this.intrinsicMatrix, 'intrinsic matrix'),
    );
  }
}

function toFinite(v: ArrayLike<number>, n: number, what: string): Float64Array {
  if (v.length !== n)
    throw new GeometryError('shape', `${what} must have ${n} elements, got ${v.length}`);
  const out = Float64Array.from(v);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]!))
      throw new GeometryError('non-finite', `${what}[${i}] is ${out[i]}`);
  }
  return out;
}

/** Applies the affine part of K to flat normalised points, in place. */
export function applyIntrinsicsInPlace(K: Mat3, points: Float64Array): void {
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i]!,
      y = points[i + 1]!;
    points[i] = K[0]! * x + K[1]! * y + K[2]!;
    points[i + 1] = K[3]! * x + K[4]! * y + K[5]!;
  }
}

/**
 * K for a field of view of `fovDegrees` along the larger image side, principal point at
 * (width/2, height/2).
 */
export function intrinsicsFromFov(fovDegrees: number, width: number, height: number): Mat3 {
  if (!(fovDegrees > 0 && fovDegrees < 180)) {
    throw new GeometryError(
      'invalid-option',
      `field of view must be in (0°, 180°), got ${fovDegrees}`,
    );
  }
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new GeometryError('degenerate', `image size must be positive, got ${width}×${height}`);
  }
  const f = Math.max(width, height) / (2 * Math.tan((fovDegrees * Math.PI) / 360));
  return Float64Array.of(f, 0, width / 2, 0, f, height / 2, 0, 0, 1);
}

function parseExtrinsics(m: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>): {
  rotation: Mat3;
  opticalCenter: Vec3;
} {
  const flat = new Float64Array(16);
  const first = (m as ArrayLike<unknown>)[0];
  if (typeof first === 'object' && first !== null) {
    const rows = m as ReadonlyArray<ArrayLike<number>>;
    if (rows.length !== 4 || rows.some((r) => r.length !== 4)) {
      throw new GeometryError('shape', 'extrinsic matrix must be 4×4');
    }
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) flat[r * 4 + c] = rows[r]![c]!;
  } else {
    if (m.length !== 16)
      throw new GeometryError(
        'shape',
        `extrinsic matrix must be 4×4 (16 numbers), got ${m.length}`,
      );
    flat.set(m as ArrayLike<number>);
  }
  for (let i = 0; i < 16; i++) {
    if (!Number.isFinite(flat[i]!))
      throw new GeometryError('non-finite', `extrinsic matrix element ${i} is ${flat[i]}`);
  }
  if (flat[12] !== 0 || flat[13] !== 0 || flat[14] !== 0 || flat[15] !== 1) {
    throw new GeometryError('invalid-option', 'extrinsic matrix bottom row must be [0, 0, 0, 1]');
  }
  const R = Float64Array.of(
    flat[0]!,
    flat[1]!,
    flat[2]!,
    flat[4]!,
    flat[5]!,
    flat[6]!,
    flat[8]!,
    flat[9]!,
    flat[10]!,
  );
  // R must be a rotation (orthonormal); a scaled or sheared matrix would silently distort poses.
  const RRt = multiply3(R, transpose3(R));
  for (let i = 0; i < 9; i++) {
    const expected = i % 4 === 0 ? 1 : 0;
    if (Math.abs(RRt[i]! - expected) > 1e-4) {
      throw new GeometryError(
        'invalid-option',
        'extrinsic matrix rotation part is not orthonormal',
      );
    }
  }
  const t = [flat[3]!, flat[7]!, flat[11]!];
  // c = −Rᵀ t
  const opticalCenter = Float64Array.of(
    -(R[0]! * t[0]! + R[3]! * t[1]! + R[6]! * t[2]!),
    -(R[1]! * t[0]! + R[4]! * t[1]! + R[7]! * t[2]!),
    -(R[2]! * t[0]! + R[5]! * t[1]! + R[8]! * t[2]!),
  );
  return { rotation: R, opticalCenter };
}
