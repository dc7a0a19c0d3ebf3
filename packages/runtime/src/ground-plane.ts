/**
 * The floor from people's feet over time: the camera's height above it and its tilt and roll,
 * without a calibration.
 *
 * Candidates are, per person and frame, the lower of the two ankles along the image's down
 * direction (a walking person has one foot on the floor most of the time). A plane is fitted
 * by RANSAC (planes through three random candidates, kept by how many candidates lie within
 * `thresholdMm`), then refined by least squares on its inliers (the normal is the direction of
 * least spread). Lifted feet, jumps and misestimated ankles are outliers. Camera frame: x
 * right, y down, z forward, mm; the camera is above the floor, so the normal is turned to
 * point at the camera ("up").
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
}

export interface GroundPlaneOptions {
  thresholdMm?: number;
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

/** Least-squares plane of points: [unit normal, a point on it]. */
function fitPlane(points: readonly V3[]): [V3, V3] {
  const mean: V3 = [0, 0, 0];
  for (const p of points) for (let k = 0; k < 3; k++) mean[k]! += p[k]! / points.length;
  const cov = new Float64Array(9);
  for (const p of points) {
    const d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cov[r * 3 + c]! += d[r]! * d[c]!;
  }
  const { values, vectors } = symmetricEigen3(cov);
  let k = 0;
  for (let i = 1; i < 3; i++) if (values[i]! < values[k]!) k = i;
  return [[vectors[k]!, vectors[3 + k]!, vectors[6 + k]!], mean];
}

export function estimateGroundPlane(
  points: readonly V3[],
  options: GroundPlaneOptions = {},
): GroundPlane {
  const threshold = options.thresholdMm ?? 50;
  const iterations = options.iterations ?? 300;
  if (points.length < 10) {
    throw new GroundPlaneError(
      `ground plane: ${points.length} foot positions, need at least 10 (people standing or walking over several frames)`,
    );
  }
  const next = random(options.seed ?? 1);
  let best: boolean[] = [];
  let bestCount = 0;
  for (let it = 0; it < iterations; it++) {
    const [a, b, c] = [0, 1, 2].map(() => points[Math.floor(next() * points.length)]!) as [
      V3,
      V3,
      V3,
    ];
    const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    const n = [
      u[1]! * v[2]! - u[2]! * v[1]!,
      u[2]! * v[0]! - u[0]! * v[2]!,
      u[0]! * v[1]! - u[1]! * v[0]!,
    ];
    const len = Math.hypot(n[0]!, n[1]!, n[2]!);
    if (!(len > 1e-6)) continue;
    const inlier = points.map(
      (p) =>
        Math.abs(((p[0] - a[0]) * n[0]! + (p[1] - a[1]) * n[1]! + (p[2] - a[2]) * n[2]!) / len) <=
        threshold,
    );
    const count = inlier.filter(Boolean).length;
    if (count > bestCount) {
      bestCount = count;
      best = inlier;
    }
  }
  if (bestCount < 3) throw new GroundPlaneError('ground plane: the foot positions fit no plane');
  const [normal, onPlane] = fitPlane(points.filter((_, i) => best[i]));
  // Up points from the floor towards the camera centre (the origin).
  const towardsCamera = -(normal[0] * onPlane[0] + normal[1] * onPlane[1] + normal[2] * onPlane[2]);
  const sign = towardsCamera >= 0 ? 1 : -1;
  const up: V3 = [normal[0] * sign, normal[1] * sign, normal[2] * sign];
  const height = Math.abs(towardsCamera);
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
  };
}
