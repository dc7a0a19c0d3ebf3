/**
 * OpenCV's lens distortion model on normalised image coordinates (x = X/Z, y = Y/Z).
 * Coefficient order (5 to 12 of them; missing ones are zero):
 * `k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4` — radial (rational), tangential, thin prism.
 *
 *   r² = x² + y²
 *   radial = (1 + k1 r² + k2 r⁴ + k3 r⁶) / (1 + k4 r² + k5 r⁴ + k6 r⁶)
 *   x' = x·radial + 2 p1 x y + p2 (r² + 2x²) + s1 r² + s2 r⁴
 *   y' = y·radial + p1 (r² + 2y²) + 2 p2 x y + s3 r² + s4 r⁴
 */
import { GeometryError } from './errors.js';

export const DISTORTION_COEFF_COUNT = 12;

/** Pads 0–12 coefficients to 12, checking count and finiteness. `undefined` → all zero. */
export function toDistortionCoeffs(coeffs: ArrayLike<number> | undefined): Float64Array {
  const out = new Float64Array(DISTORTION_COEFF_COUNT);
  if (coeffs === undefined) return out;
  if (coeffs.length > DISTORTION_COEFF_COUNT) {
    throw new GeometryError(
      'shape',
      `distortion coefficients: at most 12 (k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4), got ${coeffs.length}`,
    );
  }
  for (let i = 0; i < coeffs.length; i++) {
    const v = coeffs[i]!;
    if (!Number.isFinite(v)) {
      throw new GeometryError('non-finite', `distortion coefficient ${i} is ${v}`);
    }
    out[i] = v;
  }
  return out;
}

export function hasDistortion(coeffs: ArrayLike<number>): boolean {
  for (let i = 0; i < coeffs.length; i++) if (coeffs[i] !== 0) return true;
  return false;
}

/**
 * Distorts `n` normalised points in place-or-out (`points` and `out` may be the same
 * array), flat `[x0, y0, x1, y1, …]`.
 */
export function distortPoints(
  points: ArrayLike<number>,
  coeffs: Float64Array,
  out: Float64Array = new Float64Array(points.length),
): Float64Array {
  const [k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4] = coeffs as unknown as number[];
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i]!;
    const y = points[i + 1]!;
    const r2 = x * x + y * y;
    const radial =
      (1 + r2 * (k1! + r2 * (k2! + r2 * k3!))) / (1 + r2 * (k4! + r2 * (k5! + r2 * k6!)));
    out[i] = x * radial + 2 * p1! * x * y + p2! * (r2 + 2 * x * x) + r2 * (s1! + r2 * s2!);
    out[i + 1] = y * radial + p1! * (r2 + 2 * y * y) + 2 * p2! * x * y + r2 * (s3! + r2 * s4!);
  }
  return out;
}

export interface UndistortOptions {
  /** Maximum fixed-point iterations per point (default 30). */
  maxIterations?: number;
  /** Stop when a step moves the estimate by less than this (normalised units, default 1e-14). */
  tolerance?: number;
}

/**
 * Inverts `distortPoints` by fixed-point iteration (the same scheme OpenCV's
 * `undistortPoints` uses): u ← (d − tangential(u) − prism(u)) / radial(u), starting at
 * u = d. Converges for the distortions of real lenses inside their image; points in a
 * region where the distortion polynomial folds over have no unique inverse.
 */
export function undistortPoints(
  points: ArrayLike<number>,
  coeffs: Float64Array,
  out: Float64Array = new Float64Array(points.length),
  options: UndistortOptions = {},
): Float64Array {
  const maxIterations = options.maxIterations ?? 30;
  const tolerance = options.tolerance ?? 1e-14;
  const [k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4] = coeffs as unknown as number[];
  for (let i = 0; i < points.length; i += 2) {
    const xd = points[i]!;
    const yd = points[i + 1]!;
    let x = xd;
    let y = yd;
    for (let it = 0; it < maxIterations; it++) {
      const r2 = x * x + y * y;
      const radial =
        (1 + r2 * (k1! + r2 * (k2! + r2 * k3!))) / (1 + r2 * (k4! + r2 * (k5! + r2 * k6!)));
      const dx = 2 * p1! * x * y + p2! * (r2 + 2 * x * x) + r2 * (s1! + r2 * s2!);
      const dy = p1! * (r2 + 2 * y * y) + 2 * p2! * x * y + r2 * (s3! + r2 * s4!);
      const nx = (xd - dx) / radial;
      const ny = (yd - dy) / radial;
      const step = Math.abs(nx - x) + Math.abs(ny - y);
      x = nx;
      y = ny;
      if (!(step > tolerance)) break;
    }
    out[i] = x;
    out[i + 1] = y;
  }
  return out;
}

/** How a distortion behaves over an image (see `distortionOverImage`). */
export interface DistortionOverImage {
  /** First normalised radius where the distorted point stops moving outward; null if never. */
  foldRadius: number | null;
  /** Smallest and largest ratio of distorted to undistorted distance from the centre. */
  minStretch: number;
  maxStretch: number;
}

/**
 * Walks outward from the centre along the rays to the four corners (`cornerDirections`, flat
 * x, y pairs) up to normalised distance `maxRadius`, and reports where the distortion stops
 * being one-to-one (the distorted point stops moving outward, or turns non-finite) and how far
 * it stretches or shrinks the distance from the centre. A real lens grows steadily and moves
 * points by tens of percent at most.
 */
export function distortionOverImage(
  coeffs: Float64Array,
  cornerDirections: ArrayLike<number>,
  maxRadius: number,
  samples = 512,
): DistortionOverImage {
  const point = new Float64Array(2);
  let foldRadius: number | null = null;
  let minStretch = 1;
  let maxStretch = 1;
  for (let d = 0; d < cornerDirections.length; d += 2) {
    const ux = cornerDirections[d]!;
    const uy = cornerDirections[d + 1]!;
    const norm = Math.hypot(ux, uy);
    if (!(norm > 0)) continue;
    let previous = 0;
    for (let s = 1; s <= samples; s++) {
      const r = (maxRadius * s) / samples;
      point[0] = (ux / norm) * r;
      point[1] = (uy / norm) * r;
      distortPoints(point, coeffs, point);
      const reach = (point[0]! * ux + point[1]! * uy) / norm;
      if (!Number.isFinite(reach) || reach <= previous) {
        if (foldRadius === null || r < foldRadius) foldRadius = r;
        break;
      }
      minStretch = Math.min(minStretch, reach / r);
      maxStretch = Math.max(maxStretch, reach / r);
      previous = reach;
    }
  }
  return { foldRadius, minStretch, maxStretch };
}
