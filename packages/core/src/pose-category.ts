/**
 * Coarse pose categories — upright, bent, sitting, crouching, lying, inverted — from a 3D pose
 * and the world's up direction, for dataset statistics and for reporting accuracy on the poses
 * that are hard (everything but upright). Pure math on one pose.
 *
 * Angles (degrees), from joints looked up by name (`pelv`, `lhip`/`rhip`, `lkne`/`rkne`,
 * `lank`/`rank`, `neck`):
 * - trunk tilt: between the trunk (pelvis → neck) and up;
 * - hip flexion: 180° − the angle between the trunk and a thigh (hip → knee); 0 when standing;
 * - knee flexion: between a thigh and its shin (knee → ankle); 0 when straight;
 * - thigh elevation: between a thigh and down; 90 when horizontal.
 * The first rule that holds decides (means over both legs):
 *   inverted: tilt > 120 and thigh elevation > 90 (trunk and legs upside down) ·
 *   crouching: knee flexion ≥ 110 (squatting, sitting on the heels, curled up) ·
 *   lying: tilt > 60 and thigh elevation > 45 (trunk and legs off the vertical) ·
 *   sitting: hip flexion ≥ 60 and thigh elevation in [45, 135] ·
 *   bent: hip flexion ≥ 45 or tilt > 30 (incl. bending over with the legs down) ·
 *   upright: otherwise.
 */
import { GeometryError } from './errors.js';

export const POSE_CATEGORIES = [
  'upright',
  'bent',
  'sitting',
  'crouching',
  'lying',
  'inverted',
] as const;
export type PoseCategory = (typeof POSE_CATEGORIES)[number];

/** Indices of the joints the categories need, in a skeleton's joint list. */
export interface CategoryJoints {
  pelvis: number;
  neck: number;
  hips: [number, number];
  knees: [number, number];
  ankles: [number, number];
}

/** Looks the category joints up by name; throws `GeometryError('shape')` naming what is missing. */
export function categoryJoints(jointNames: readonly string[]): CategoryJoints {
  const at = (name: string): number => {
    const i = jointNames.indexOf(name);
    if (i < 0) {
      throw new GeometryError(
        'shape',
        `pose categories need joint '${name}', which this skeleton lacks`,
      );
    }
    return i;
  };
  return {
    pelvis: at('pelv'),
    neck: at('neck'),
    hips: [at('lhip'), at('rhip')],
    knees: [at('lkne'), at('rkne')],
    ankles: [at('lank'), at('rank')],
  };
}

function angleDeg(a: readonly number[], b: readonly number[]): number {
  const na = Math.hypot(a[0]!, a[1]!, a[2]!);
  const nb = Math.hypot(b[0]!, b[1]!, b[2]!);
  if (na === 0 || nb === 0) return 0;
  const c = (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) / (na * nb);
  return (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
}

export interface PoseAngles {
  trunkTilt: number;
  hipFlexion: number;
  kneeFlexion: number;
  thighElevation: number;
}

/** The angles of the header (degrees; leg angles are means over both legs). */
export function poseAngles(
  joints: ArrayLike<number>,
  idx: CategoryJoints,
  up: ArrayLike<number>,
): PoseAngles {
  const p = (j: number): number[] => [joints[j * 3]!, joints[j * 3 + 1]!, joints[j * 3 + 2]!];
  const sub = (a: number[], b: number[]): number[] => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
  for (let i = 0; i < joints.length; i++) {
    if (!Number.isFinite(joints[i]!))
      throw new GeometryError('non-finite', 'pose has a non-finite coordinate');
  }
  const upv = [up[0]!, up[1]!, up[2]!];
  const down = upv.map((v) => -v);
  const trunk = sub(p(idx.neck), p(idx.pelvis));
  let hip = 0;
  let knee = 0;
  let elevation = 0;
  for (let s = 0; s < 2; s++) {
    const thigh = sub(p(idx.knees[s]!), p(idx.hips[s]!));
    const shin = sub(p(idx.ankles[s]!), p(idx.knees[s]!));
    hip += (180 - angleDeg(trunk, thigh)) / 2;
    knee += angleDeg(thigh, shin) / 2;
    elevation += angleDeg(thigh, down) / 2;
  }
  return {
    trunkTilt: angleDeg(trunk, upv),
    hipFlexion: hip,
    kneeFlexion: knee,
    thighElevation: elevation,
  };
}

/** The category of one pose (`joints`: J×3 flat, any unit) given the world's up direction. */
export function poseCategory(
  joints: ArrayLike<number>,
  idx: CategoryJoints,
  up: ArrayLike<number>,
): PoseCategory {
  const a = poseAngles(joints, idx, up);
  if (a.trunkTilt > 120 && a.thighElevation > 90) return 'inverted';
  if (a.kneeFlexion >= 110) return 'crouching';
  if (a.trunkTilt > 60 && a.thighElevation > 45) return 'lying';
  if (a.hipFlexion >= 60 && a.thighElevation >= 45 && a.thighElevation <= 135) return 'sitting';
  if (a.hipFlexion >= 45 || a.trunkTilt > 30) return 'bent';
  return 'upright';
}
