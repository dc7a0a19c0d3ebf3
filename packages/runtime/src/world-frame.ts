/**
 * A world frame from the floor the people stand on (`metrabs video --world auto`): gravity
 * aligned and anchored to the floor, found from camera-frame poses alone.
 *
 * The floor is the RANSAC plane of the people's lower ankles (ground-plane.ts), lowered by the
 * ankle's height above the sole (80 mm, the reference body's). World axes, in mm, as the
 * animation export's (motion-rig.ts 'y-up') and the synthetic data's: y up and the floor at
 * y = 0; z horizontal, pointing from the scene back towards the camera; x = y × z (the image's
 * right, levelled); the origin on the floor right below the camera. The camera is then at
 * (0, height, 0) looking along −z. As a camera file this is `extrinsic_matrix` (world → camera)
 * with `world_up` [0, 1, 0].
 *
 * Feet are gathered over a whole clip before the floor is fitted (`FloorFeet`): a clip's first
 * frames may show too few of them, and one frame's people sample too little of the floor.
 */
import {
  estimateGroundPlane,
  footCandidates,
  type GroundPlane,
  GroundPlaneError,
  type GroundPlaneOptions,
} from './ground-plane.js';

type V3 = [number, number, number];

/** The ankle joint centre's height above the floor in the reference body (core skeletons.ts). */
export const ANKLE_HEIGHT_MM = 80;

export interface WorldFrameOptions extends GroundPlaneOptions {
  /** Height of the ankle joint above the floor, mm. */
  ankleHeightMm?: number;
  /** Fewest foot positions (one per person and frame) to fit a floor to. */
  minFeet?: number;
  /** Fewest of the foot positions that must lie on the floor found. */
  minInlierFraction?: number;
  /** The feet must spread at least this much (mm, σ) across their main direction too. */
  minSpreadMm?: number;
}

export const WORLD_FRAME_DEFAULTS = {
  ankleHeightMm: ANKLE_HEIGHT_MM,
  minFeet: 30,
  minInlierFraction: 0.4,
  minSpreadMm: 250,
} as const;

export interface WorldFrame {
  /** World → camera, 4 × 4, translation in mm (a camera file's `extrinsic_matrix`). */
  extrinsicMatrix: number[][];
  /** Up in world coordinates. */
  worldUp: [0, 1, 0];
  /** The camera centre's height above the floor, mm. */
  cameraHeightMm: number;
  /** Downward tilt of the optical axis below the horizon, degrees. */
  tiltDeg: number;
  /** Roll about the optical axis, degrees: positive when up leans to the image's right. */
  rollDeg: number;
  /** The ankle plane it came from (camera frame). */
  ground: GroundPlane;
}

/** The two ankle joints of a joint set (every skeleton of the project names them lank, rank). */
export function ankleJoints(jointNames: readonly string[]): [number, number] {
  const left = jointNames.indexOf('lank');
  const right = jointNames.indexOf('rank');
  if (left < 0 || right < 0) {
    throw new GroundPlaneError('ground plane: the skeleton has no ankle joints (lank, rank)');
  }
  return [left, right];
}

/** Collects the lower ankle of every person in every frame (camera frame, mm). */
export class FloorFeet {
  readonly feet: V3[] = [];
  private readonly ankles: [number, number];

  constructor(jointNames: readonly string[]) {
    this.ankles = ankleJoints(jointNames);
  }

  add(poses3d: readonly number[][][]): void {
    this.feet.push(...footCandidates(poses3d, this.ankles));
  }
}

const cross = (a: V3, b: V3): V3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const unit = (a: V3): V3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** The world frame of a floor plane (`ankleHeightMm` below the ankles' plane). */
export function worldFrameFromGround(
  ground: GroundPlane,
  ankleHeightMm: number = ANKLE_HEIGHT_MM,
): WorldFrame {
  const up = unit(ground.up);
  const height = ground.cameraHeightMm + ankleHeightMm;
  // The optical axis levelled; a camera looking straight down levels its image-up instead.
  let forward: V3 = [-up[2] * up[0], -up[2] * up[1], 1 - up[2] * up[2]];
  if (Math.hypot(...forward) < 1e-6) forward = [up[1] * up[0], up[1] * up[1] - 1, up[1] * up[2]];
  const z = unit([-forward[0], -forward[1], -forward[2]]);
  const x = cross(up, z);
  // Camera → world is p_w = M p_c + (0, height, 0) with M's rows x, y, z; its inverse is
  // p_c = Mᵀ p_w − height·up.
  const extrinsicMatrix = [0, 1, 2].map((r) => [x[r]!, up[r]!, z[r]!, -height * up[r]!]);
  extrinsicMatrix.push([0, 0, 0, 1]);
  return {
    extrinsicMatrix,
    worldUp: [0, 1, 0],
    cameraHeightMm: height,
    tiltDeg: ground.tiltDeg,
    rollDeg: ground.rollDeg,
    ground,
  };
}

/** Fits the floor to the feet and checks it is one; `GroundPlaneError` says why not. */
export function estimateWorldFrame(
  feet: readonly V3[],
  options: WorldFrameOptions = {},
): WorldFrame {
  const o = { ...WORLD_FRAME_DEFAULTS, ...options };
  if (feet.length < o.minFeet) {
    throw new GroundPlaneError(
      `no floor found: ${feet.length} foot positions, need at least ${o.minFeet} (people standing or walking, over more frames)`,
    );
  }
  const ground = estimateGroundPlane(feet, options);
  const fraction = ground.inliers / ground.candidates;
  if (fraction < o.minInlierFraction) {
    throw new GroundPlaneError(
      `no floor found: only ${ground.inliers} of ${ground.candidates} foot positions lie on one plane (need ${Math.round(o.minInlierFraction * 100)} %); nobody standing or walking on a floor?`,
    );
  }
  if (ground.spreadMm[1] < o.minSpreadMm) {
    throw new GroundPlaneError(
      `no floor found: the feet cover too little of the floor (${Math.round(ground.spreadMm[1])} mm across their main direction, need ${o.minSpreadMm} mm), so its tilt is unknown`,
    );
  }
  return worldFrameFromGround(ground, o.ankleHeightMm);
}

/** Camera-frame points (mm) in the world frame. */
export function cameraToWorldPoints(points: readonly (readonly number[])[], frame: WorldFrame) {
  const e = frame.extrinsicMatrix;
  // p_w = Rᵀ (p_c − t) for the world → camera [R | t].
  return points.map((p) => {
    const d = [p[0]! - e[0]![3]!, p[1]! - e[1]![3]!, p[2]! - e[2]![3]!];
    return [0, 1, 2].map((c) => e[0]![c]! * d[0]! + e[1]![c]! * d[1]! + e[2]![c]! * d[2]!);
  });
}
