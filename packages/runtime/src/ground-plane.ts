/**
 * The floor from people's feet over time: the camera's height above it and its tilt and roll,
 * without a calibration.
 *
 * Candidates are, per person and frame, the lower of the two ankles along the image's down
 * direction (a walking person has one foot on the floor most of the time). A plane is fitted
 * by RANSAC (planes through three random candidates, kept by how many candidates lie within
 * max(`thresholdMm`, `relativeThreshold` × the camera's height) of it), then refined by least
 * squares on its inliers along the rays (fitPlaneAlongRays). Lifted feet, jumps and
 * misestimated ankles are outliers. Camera frame: x right, y down, z forward, mm; the camera is
 * above the floor, so the normal points at the camera ("up").
 */
import { symmetricEigen3 } from '@metrabs/core';

export interface GroundPlane {
  /** Unit normal of the floor pointing up (towards the camera), camera frame. */
  up: [number, number, number];
  /** The camera centre's height above the floor, mm. */
  cameraHeightMm: number;
  /** Downward tilt of the optical axis below the horizon, degrees. */
  tiltDeg: number;
  /** Roll about the optical axis, degrees: atan2(up_x, −up_y), positive when up leans to the image's right. */
  rollDeg: number;
  inliers: number;
  candidates: number;
  /** RMS distance of the inliers from the plane, mm. */
  rmsMm: number;
  /**
   * How far the inliers spread over the floor: the standard deviations (mm) along their two
   * principal in-plane directions, larger first. Feet along one line (a single person walking
   * straight) leave the plane's tilt about that line unknown; the second number says so.
   */
  spreadMm: [number, number];
}

export interface GroundPlaneOptions {
  /** Inliers lie within max(thresholdMm, relativeThreshold × camera height) of the plane. */
  thresholdMm?: number;
  relativeThreshold?: number;
  iterations?: number;
  seed?: number;
}

export class GroundPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GroundPlaneError';
  }
}

type V3 = [number, number, number];

/** The lower ankle (larger y) of each pose: `ankles` are the two joint indices. */
export function footCandidates(
  poses: readonly number[][][],
  ankles: readonly [number, number],
): V3[] {
  const out: V3[] = [];
  for (const pose of poses) {
    const a = pose[ankles[0]];
    const b = pose[ankles[1]];
    const lower = a && b ? (a[1]! > b[1]! ? a : b) : (a ?? b);
    if (lower && lower.length >= 3 && lower.slice(0, 3).every(Number.isFinite)) {
      out.push([lower[0]!, lower[1]!, lower[2]!]);
    }
  }
  return out;
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The plane `w·p = 1` (so up = −w/|w|, camera height 1/|w|) that best explains the points as
 * seen along their rays: each point may slide along its ray by a fraction of its distance,
 * which is how the model errs (absolute depth is its weak part), and `w·p − 1` is exactly that
 * fraction for a point on its ray. Least squares over it (3 × 3 normal equations). A fit that
 * treats all directions alike (principal components) is pulled towards the rays instead: at
 * grazing angles the depth errors lie almost in the floor.
 */
function fitPlaneAlongRays(points: readonly V3[]): V3 | undefined {
  const a = new Float64Array(9);
  const b = [0, 0, 0];
  for (const p of points) {
    for (let r = 0; r < 3; r++) {
      b[r]! += p[r]!;
      for (let c = 0; c < 3; c++) a[r * 3 + c]! += p[r]! * p[c]!;
    }
  }
  const { values, vectors } = symmetricEigen3(a);
  if (!(values[2]! > 1e-9 * values[0]!)) return undefined;
  // w = A⁻¹ b through the eigen decomposition (A is symmetric positive definite).
  const w: V3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const proj =
      (vectors[k]! * b[0]! + vectors[3 + k]! * b[1]! + vectors[6 + k]! * b[2]!) / values[k]!;
    for (let r = 0; r < 3; r++) w[r]! += proj * vectors[r * 3 + k]!;
  }
  return w;
}

/** Standard deviations of the points along their two main directions within the plane. */
function spreadInPlane(points: readonly V3[], up: V3): [number, number] {
  const mean: V3 = [0, 0, 0];
  for (const p of points) for (let k = 0; k < 3; k++) mean[k]! += p[k]! / points.length;
  const cov = new Float64Array(9);
  for (const p of points) {
    const d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
    const h = d[0]! * up[0] + d[1]! * up[1] + d[2]! * up[2];
    for (let k = 0; k < 3; k++) d[k]! -= h * up[k]!;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cov[r * 3 + c]! += d[r]! * d[c]!;
  }
  const { values } = symmetricEigen3(cov);
  return [
    Math.sqrt(Math.max(0, values[0]!) / points.length),
    Math.sqrt(Math.max(0, values[1]!) / points.length),
  ];
}

/** A plane `w·p = 1` as up (towards the camera) and the camera's height above it. */
function planeOf(w: V3): { up: V3; height: number } {
  const len = Math.hypot(w[0], w[1], w[2]);
  return { up: [-w[0] / len, -w[1] / len, -w[2] / len], height: 1 / len };
}

export function estimateGroundPlane(
  points: readonly V3[],
  options: GroundPlaneOptions = {},
): GroundPlane {
  const thresholdMm = options.thresholdMm ?? 50;
  const relative = options.relativeThreshold ?? 0.05;
  const iterations = options.iterations ?? 300;
  if (points.length < 10) {
    throw new GroundPlaneError(
      `ground plane: ${points.length} foot positions, need at least 10 (people standing or walking over several frames)`,
    );
  }
  const next = random(options.seed ?? 1);
  // Within max(thresholdMm, relative · height) of the plane: a point's distance from the
  // plane over the camera's height is how far (as a fraction of its distance) it would have
  // to slide along its ray to reach the plane.
  const inliersOf = (w: V3) => {
    const { up, height } = planeOf(w);
    const limit = Math.max(thresholdMm, relative * height);
    return points.map(
      (p) => Math.abs(up[0] * p[0] + up[1] * p[1] + up[2] * p[2] + height) <= limit,
    );
  };
  let best: boolean[] = [];
  let bestCount = 0;
  for (let it = 0; it < iterations; it++) {
    const sample = [0, 1, 2].map(() => points[Math.floor(next() * points.length)]!);
    const w = fitPlaneAlongRays(sample);
    if (!w) continue;
    const inlier = inliersOf(w);
    const count = inlier.filter(Boolean).length;
    if (count > bestCount) {
      bestCount = count;
      best = inlier;
    }
  }
  if (bestCount < 3) throw new GroundPlaneError('ground plane: the foot positions fit no plane');
  // Refit on the inliers, then once more on the refit's inliers.
  let w: V3 | undefined;
  for (let round = 0; round < 2; round++) {
    const refit = fitPlaneAlongRays(points.filter((_, i) => best[i]));
    if (!refit) break;
    w = refit;
    const again = inliersOf(w);
    if (again.filter(Boolean).length < 3) break;
    best = again;
  }
  if (!w) throw new GroundPlaneError('ground plane: the foot positions fit no plane');
  const { up, height } = planeOf(w);
  const inliers = points.filter((_, i) => best[i]);
  const rms = Math.sqrt(
    inliers.reduce((s, p) => s + (up[0] * p[0] + up[1] * p[1] + up[2] * p[2] + height) ** 2, 0) /
      inliers.length,
  );
  const deg = 180 / Math.PI;
  return {
    up,
    cameraHeightMm: height,
    // The optical axis (0, 0, 1) points below the horizon by asin(−z·up).
    tiltDeg: Math.asin(Math.max(-1, Math.min(1, -up[2]))) * deg,
    rollDeg: Math.atan2(up[0], -up[1]) * deg,
    inliers: inliers.length,
    candidates: points.length,
    rmsMm: rms,
    spreadMm: spreadInPlane(inliers, up),
  };
}
