/**
 * Scene layout, pure math: where people stand on the ground plane (no two footprints overlap)
 * and where the camera is (field of view, distance, height, pitch, roll, deliberate truncation).
 * World frame: metres, Y up, ground at y = 0. Camera convention as in docs/geometry.md
 * (x right, y down, z forward); `rotation` maps world → camera.
 */
import { Camera, lookAtRotation, multiply3 } from '@metrabs/core';
import type { Rng } from './random.js';
import { swingRotation } from './rotation.js';

export interface SceneOptions {
  /** Horizontal field of view range in degrees. */
  fovDegrees: [number, number];
  /** Camera distance range to the group's centre, metres (sampled log-uniformly). */
  distanceM: [number, number];
  /** Camera height range above the ground, metres. */
  heightM: [number, number];
  /** Standard deviation of the camera roll, degrees (clipped at 3 sd). */
  rollSdDegrees: number;
  /** Probability that one person is deliberately cut by the image border. */
  truncationProbability: number;
  /** Probability of lens distortion. */
  distortionProbability: number;
  /** Relative frequency of 1, 2, 3, 4… people per image. */
  peopleWeights: number[];
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = {
  fovDegrees: [40, 90],
  distanceM: [1.5, 12],
  heightM: [0.4, 2.8],
  rollSdDegrees: 3,
  truncationProbability: 0.25,
  distortionProbability: 0.1,
  peopleWeights: [0.45, 0.25, 0.18, 0.12],
};

/** A person's footprint on the ground: centre (x, z) and radius, all metres. */
export interface Footprint {
  x: number;
  z: number;
  radius: number;
}

/** Placement of a person: rotation about the vertical axis, then translation on the ground. */
export interface Placement {
  yaw: number;
  x: number;
  z: number;
}

/**
 * Places footprints (given centred at the origin) around the origin so that none overlap, the
 * first at the origin. People that find no free spot in `tries` attempts are left out (null).
 */
export function placePeople(
  rng: Rng,
  radii: readonly number[],
  options: { spreadM?: number; gapM?: number; tries?: number } = {},
): (Placement | null)[] {
  const spread = options.spreadM ?? 2.5;
  const gap = options.gapM ?? 0.05;
  const tries = options.tries ?? 40;
  const placed: Footprint[] = [];
  return radii.map((radius, i) => {
    for (let t = 0; t < (i === 0 ? 1 : tries); t++) {
      const angle = rng.uniform(0, 2 * Math.PI);
      const dist = i === 0 ? 0 : rng.uniform(0.3, spread) + radius;
      const x = dist * Math.cos(angle);
      const z = dist * Math.sin(angle);
      if (placed.every((p) => Math.hypot(p.x - x, p.z - z) >= p.radius + radius + gap)) {
        placed.push({ x, z, radius });
        return { yaw: rng.uniform(-Math.PI, Math.PI), x, z };
      }
    }
    return null;
  });
}

export interface SampledCamera {
  /** 3×3 row-major intrinsics (pixels, integer coordinates at pixel centres). */
  intrinsics: Float64Array;
  /** 3×3 row-major world → camera rotation. */
  rotation: Float64Array;
  /** Optical centre, world metres. */
  center: Float64Array;
  /** OpenCV distortion coefficients (k1 k2 p1 p2 k3), zeros when undistorted. */
  distortion: Float64Array;
  fovDegrees: number;
}

/** Camera looking at `target` from `center`, with the image up as close to world up as roll allows. */
export function lookAt(center: ArrayLike<number>, target: ArrayLike<number>, rollRad: number) {
  const forward = [target[0]! - center[0]!, target[1]! - center[1]!, target[2]! - center[2]!];
  const R = lookAtRotation(forward, [0, 1, 0]);
  if (rollRad === 0) return R;
  // Roll: turn the camera about its own z axis (rows x, y rotate within the image plane).
  const c = Math.cos(rollRad);
  const s = Math.sin(rollRad);
  const out = new Float64Array(9);
  for (let k = 0; k < 3; k++) {
    out[k] = c * R[k]! + s * R[3 + k]!;
    out[3 + k] = -s * R[k]! + c * R[3 + k]!;
    out[6 + k] = R[6 + k]!;
  }
  return out;
}

/**
 * Samples a camera that sees the group of people whose centre (on the ground) is at `groupCenter`
 * and whose vertical extent is `groupHeightM`. The aim point is jittered so people are not always
 * centred.
 */
export function sampleCamera(
  rng: Rng,
  width: number,
  height: number,
  groupCenter: [number, number],
  groupHeightM: number,
  options: SceneOptions = DEFAULT_SCENE_OPTIONS,
): SampledCamera {
  const fovDegrees = rng.uniform(options.fovDegrees[0], options.fovDegrees[1]);
  const f = width / 2 / Math.tan((fovDegrees * Math.PI) / 360);
  const intrinsics = Float64Array.of(f, 0, (width - 1) / 2, 0, f, (height - 1) / 2, 0, 0, 1);
  const [dLo, dHi] = options.distanceM;
  const distance = Math.exp(rng.uniform(Math.log(dLo), Math.log(dHi)));
  const camHeight = rng.uniform(options.heightM[0], options.heightM[1]);
  const azimuth = rng.uniform(-Math.PI, Math.PI);
  const horizontal = Math.sqrt(Math.max(distance * distance - (camHeight - 1) ** 2, 0.25));
  const center = Float64Array.of(
    groupCenter[0] + horizontal * Math.sin(azimuth),
    camHeight,
    groupCenter[1] + horizontal * Math.cos(azimuth),
  );
  // Aim somewhere on the people's vertical extent, jittered sideways by up to ~15% of the view.
  const sideways = rng.normal(0, 0.12) * distance * Math.tan((fovDegrees * Math.PI) / 360);
  const target = [
    groupCenter[0] + sideways * Math.cos(azimuth),
    rng.uniform(0.35, 0.65) * groupHeightM,
    groupCenter[1] - sideways * Math.sin(azimuth),
  ];
  const sd = options.rollSdDegrees;
  const roll = (Math.max(-3 * sd, Math.min(3 * sd, rng.normal(0, sd))) * Math.PI) / 180;
  const rotation = lookAt(center, target, roll);
  const distortion = new Float64Array(5);
  if (rng.chance(options.distortionProbability)) {
    // Mostly barrel distortion of wide lenses, sometimes mild pincushion.
    distortion[0] = rng.uniform(-0.25, 0.08);
    distortion[1] = -0.3 * distortion[0]! * rng();
  }
  return { intrinsics, rotation, center, distortion, fovDegrees };
}

/**
 * Turns the camera (pan/tilt about its own axes) so that a point now seen at image position
 * `from` is seen at `to`. Used to push a person partly across the image border.
 */
export function panTilt(
  camera: SampledCamera,
  from: [number, number],
  to: [number, number],
): SampledCamera {
  const K = camera.intrinsics;
  const ray = (u: number, v: number) => {
    const y = (v - K[5]!) / K[4]!;
    const x = (u - K[2]! - K[1]! * y) / K[0]!;
    const n = Math.hypot(x, y, 1);
    return [x / n, y / n, 1 / n];
  };
  const a = ray(from[0], from[1]);
  const b = ray(to[0], to[1]);
  // Turn the camera by M (camera frame) with M a = b: a world direction d seen along a (= R d)
  // is then seen along M a = b.
  if (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! > 1 - 1e-15) return camera;
  const out = multiply3(swingRotation(a, b), camera.rotation);
  return { ...camera, rotation: out };
}

/** Moves the camera so that the person's box crosses a random image border by 15–60%. */
export function truncateOne(
  rng: Rng,
  camera: SampledCamera,
  jointsM: Float64Array,
  W: number,
  H: number,
): SampledCamera {
  const core = new Camera({
    intrinsicMatrix: camera.intrinsics,
    rotation: camera.rotation,
    opticalCenter: [camera.center[0]! * 1000, camera.center[1]! * 1000, camera.center[2]! * 1000],
  });
  const world = Float64Array.from(jointsM, (v) => v * 1000);
  const cam = core.worldToCamera(world);
  for (let j = 2; j < cam.length; j += 3) if (!(cam[j]! > 100)) return camera; // behind: leave it
  const uv = core.worldToImage(world);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < uv.length; i += 2) {
    x0 = Math.min(x0, uv[i]!);
    x1 = Math.max(x1, uv[i]!);
    y0 = Math.min(y0, uv[i + 1]!);
    y1 = Math.max(y1, uv[i + 1]!);
  }
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const out = rng.uniform(0.15, 0.6); // fraction of the box beyond the border
  const side = rng.int(0, 3);
  let to: [number, number];
  if (side === 0) to = [-0.5 - (x1 - x0) * (out - 0.5), cy];
  else if (side === 1) to = [W - 0.5 + (x1 - x0) * (out - 0.5), cy];
  else if (side === 2) to = [cx, -0.5 - (y1 - y0) * (out - 0.5)];
  else to = [cx, H - 0.5 + (y1 - y0) * (out - 0.5)];
  return panTilt(camera, [cx, cy], to);
}

/** Keeps radial distortion monotonic over the whole image (no fold-over at the corners). */
export function limitDistortion(camera: SampledCamera, W: number, H: number): SampledCamera {
  const d = camera.distortion;
  if (d.every((v) => v === 0)) return camera;
  const K = camera.intrinsics;
  const rx = Math.max(K[2]! + 0.5, W - 0.5 - K[2]!) / K[0]!;
  const ry = Math.max(K[5]! + 0.5, H - 0.5 - K[5]!) / K[4]!;
  const r2 = rx * rx + ry * ry;
  // d/dr [r (1 + k1 r² + k2 r⁴)] = 1 + 3 k1 r² + 5 k2 r⁴ must stay ≥ 0.4 up to the corner.
  const slope = 1 + 3 * d[0]! * r2 + 5 * d[1]! * r2 * r2;
  if (slope >= 0.4) return camera;
  const scale = 0.6 / (1 - slope);
  const distortion = Float64Array.from(d, (v) => v * scale);
  return { ...camera, distortion };
}
