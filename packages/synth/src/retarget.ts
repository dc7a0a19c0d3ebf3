/**
 * Retargeting motion capture onto the MakeHuman default rig.
 *
 * Each rig bone is driven by one segment of the canonical motion skeleton (`MOTION_JOINTS`).
 * The source gives, per frame, the rotation D_s of every segment relative to its rest pose.
 * Rest poses differ between rigs (T-pose, A-pose, or Bandai's meaningless rest), so each
 * segment gets an alignment rotation A that maps the rig's rest frame of that segment onto the
 * source's rest frame: the rig bone then turns by D_t = D_s · A. A is fixed by two directions
 * per segment — the segment itself (exact) and a reference that fixes its twist: the left–right
 * axis for the trunk, the hinge axis of the elbow/knee/ankle for the limbs. On the source side
 * the hinge axis is measured from the clip itself (averaged over bent frames, in the segment's
 * own frame), so even rigs whose rest pose says nothing about twist map correctly.
 *
 * Units: metres, Y up, the rig facing +Z (MakeHuman's convention); all pure math.
 */
import { cross3, multiply3, norm3, transpose3 } from '@metrabs/core';
import { SynthError } from './errors.js';
import {
  MOTION_JOINT_INDEX,
  MOTION_JOINTS,
  MOTION_PARENT,
  type MotionClip,
  type MotionJoint,
} from './motion/index.js';
import { swingRotation } from './rotation.js';

/** The part of a rig bone that retargeting needs (heads and tails in metres, rest pose). */
export interface RigBone {
  readonly name: string;
  readonly parent: number;
  readonly head: ArrayLike<number>;
  readonly tail: ArrayLike<number>;
}

const J = MOTION_JOINTS.length;
const ji = (name: MotionJoint): number => MOTION_JOINT_INDEX[name];

/** Where each canonical motion joint sits on the MakeHuman default rig. */
const RIG_POINTS: Record<MotionJoint, { bone: string; end: 'head' | 'tail' }> = (() => {
  const table: Partial<Record<MotionJoint, { bone: string; end: 'head' | 'tail' }>> = {
    pelvis: { bone: 'root', end: 'head' },
    spine: { bone: 'spine03', end: 'head' },
    chest: { bone: 'spine01', end: 'head' },
    neck: { bone: 'neck01', end: 'head' },
    head: { bone: 'head', end: 'head' },
    head_end: { bone: 'head', end: 'tail' },
  };
  for (const [s, S] of [
    ['l', 'L'],
    ['r', 'R'],
  ] as const) {
    Object.assign(table, {
      [`${s}_clavicle`]: { bone: `clavicle.${S}`, end: 'head' },
      [`${s}_shoulder`]: { bone: `upperarm01.${S}`, end: 'head' },
      [`${s}_elbow`]: { bone: `lowerarm01.${S}`, end: 'head' },
      [`${s}_wrist`]: { bone: `wrist.${S}`, end: 'head' },
      [`${s}_hand_end`]: { bone: `finger3-1.${S}`, end: 'head' },
      [`${s}_hip`]: { bone: `upperleg01.${S}`, end: 'head' },
      [`${s}_knee`]: { bone: `lowerleg01.${S}`, end: 'head' },
      [`${s}_ankle`]: { bone: `foot.${S}`, end: 'head' },
      [`${s}_toe`]: { bone: `toe3-1.${S}`, end: 'head' },
      [`${s}_toe_end`]: { bone: `toe3-3.${S}`, end: 'tail' },
    });
  }
  return table as Record<MotionJoint, { bone: string; end: 'head' | 'tail' }>;
})();

/** Bones that start a new driving segment; every other bone inherits its parent's driver. */
const SEGMENT_STARTS: Record<string, MotionJoint> = (() => {
  const t: Record<string, MotionJoint> = {
    root: 'pelvis',
    spine03: 'spine',
    spine01: 'chest',
    neck01: 'neck',
    head: 'head',
  };
  for (const [s, S] of [
    ['l', 'L'],
    ['r', 'R'],
  ] as const) {
    t[`clavicle.${S}`] = `${s}_clavicle`;
    t[`upperarm01.${S}`] = `${s}_shoulder`;
    t[`lowerarm01.${S}`] = `${s}_elbow`;
    t[`wrist.${S}`] = `${s}_wrist`;
    t[`pelvis.${S}`] = 'pelvis';
    t[`upperleg01.${S}`] = `${s}_hip`;
    t[`lowerleg01.${S}`] = `${s}_knee`;
    t[`foot.${S}`] = `${s}_ankle`;
    for (let toe = 1; toe <= 5; toe++) t[`toe${toe}-1.${S}`] = `${s}_toe`;
  }
  return t;
})();

/** Which reference fixes a segment's twist. */
type TwistReference =
  | { kind: 'lateral'; left: MotionJoint; right: MotionJoint } // a left-minus-right axis
  | { kind: 'hinge'; proximal: MotionJoint; joint: MotionJoint; distal: MotionJoint; bend: Vec3 }
  | { kind: 'inherit' }; // the parent segment's alignment, swung onto this segment

type Vec3 = [number, number, number];
const FORWARD: Vec3 = [0, 0, 1];
const BACKWARD: Vec3 = [0, 0, -1];

function twistReference(j: MotionJoint): TwistReference {
  const side = j.slice(0, 2); // 'l_' | 'r_'
  const limb = j.slice(2);
  switch (j) {
    case 'pelvis':
    case 'spine':
      return { kind: 'lateral', left: 'l_hip', right: 'r_hip' };
    case 'chest':
    case 'neck':
      return { kind: 'lateral', left: 'l_shoulder', right: 'r_shoulder' };
    default:
      break;
  }
  const s = (n: string) => `${side}${n}` as MotionJoint;
  switch (limb) {
    case 'clavicle':
      return { kind: 'lateral', left: 'l_shoulder', right: 'r_shoulder' };
    // Elbows flex forward, knees backward, ankles lift the toes forward-up.
    case 'shoulder':
    case 'elbow':
      return {
        kind: 'hinge',
        proximal: s('shoulder'),
        joint: s('elbow'),
        distal: s('wrist'),
        bend: FORWARD,
      };
    case 'hip':
    case 'knee':
      return {
        kind: 'hinge',
        proximal: s('hip'),
        joint: s('knee'),
        distal: s('ankle'),
        bend: BACKWARD,
      };
    case 'ankle':
      return {
        kind: 'hinge',
        proximal: s('knee'),
        joint: s('ankle'),
        distal: s('toe'),
        bend: FORWARD,
      };
    default:
      return { kind: 'inherit' };
  }
}

/** Everything needed to pose one rig with one clip. */
export interface Retargeting {
  /** Per bone: index of the motion joint whose segment drives it. */
  readonly driver: Int16Array;
  /** J×9 alignment rotations A (rig rest frame → source rest frame), row-major. */
  readonly align: Float64Array;
  /** Rig leg length / source leg length: scales the root's travel. */
  readonly scale: number;
  /** Rest positions of the motion joints on the rig (J×3, metres). */
  readonly rigRest: Float64Array;
}

/** Rest positions of the canonical motion joints on a rig (J×3 metres). */
export function rigMotionPoints(bones: readonly RigBone[]): Float64Array {
  const byName = new Map(bones.map((b, i) => [b.name, i]));
  const out = new Float64Array(J * 3);
  MOTION_JOINTS.forEach((name, j) => {
    const { bone, end } = RIG_POINTS[name];
    const b = byName.get(bone);
    if (b === undefined) {
      throw new SynthError(
        'bad-asset',
        `rig has no bone '${bone}' (needed for motion joint ${name})`,
      );
    }
    const p = bones[b]![end];
    out.set([p[0]!, p[1]!, p[2]!], j * 3);
  });
  return out;
}

function sub(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): Vec3 {
  return [a[ai]! - b[bi]!, a[ai + 1]! - b[bi + 1]!, a[ai + 2]! - b[bi + 2]!];
}
function cross(a: ArrayLike<number>, b: ArrayLike<number>): Vec3 {
  const c = cross3(a, b);
  return [c[0]!, c[1]!, c[2]!];
}
/** rᵀ v for a row-major 3×3 stored at `R[o..o+9]`. */
function applyTransposed(R: ArrayLike<number>, o: number, v: ArrayLike<number>): Vec3 {
  return [
    R[o]! * v[0]! + R[o + 3]! * v[1]! + R[o + 6]! * v[2]!,
    R[o + 1]! * v[0]! + R[o + 4]! * v[1]! + R[o + 7]! * v[2]!,
    R[o + 2]! * v[0]! + R[o + 5]! * v[1]! + R[o + 8]! * v[2]!,
  ];
}

/**
 * Orthonormal frame (as matrix columns) from a primary direction and a secondary one that fixes
 * the rotation about it; null when either is degenerate or they are parallel.
 */
export function frameFromTwoVectors(primary: ArrayLike<number>, secondary: ArrayLike<number>) {
  const la = norm3(primary);
  if (!(la > 1e-9)) return null;
  const a: Vec3 = [primary[0]! / la, primary[1]! / la, primary[2]! / la];
  const d = a[0] * secondary[0]! + a[1] * secondary[1]! + a[2] * secondary[2]!;
  const b: Vec3 = [secondary[0]! - d * a[0], secondary[1]! - d * a[1], secondary[2]! - d * a[2]];
  const lb = norm3(b);
  if (!(lb > 1e-6 * Math.max(1, norm3(secondary)))) return null;
  b[0] /= lb;
  b[1] /= lb;
  b[2] /= lb;
  const c = cross(a, b);
  // Columns a, b, c.
  return Float64Array.of(a[0], b[0], c[0], a[1], b[1], c[1], a[2], b[2], c[2]);
}

function childOf(j: MotionJoint): MotionJoint | null {
  // The distal end of a segment: the (first) canonical joint whose parent is j.
  const preferred: Partial<Record<MotionJoint, MotionJoint>> = { pelvis: 'spine', chest: 'neck' };
  if (preferred[j]) return preferred[j]!;
  for (const c of MOTION_JOINTS) if (MOTION_PARENT[c] === j) return c;
  return null;
}

/** Leg length (hip→knee→ankle, both sides averaged) of a J×3 pose. */
function legLength(p: ArrayLike<number>, offset = 0): number {
  let total = 0;
  for (const s of ['l', 'r'] as const) {
    const h = offset + ji(`${s}_hip`) * 3;
    const k = offset + ji(`${s}_knee`) * 3;
    const a = offset + ji(`${s}_ankle`) * 3;
    total += norm3(sub(p, k, p, h)) + norm3(sub(p, a, p, k));
  }
  return total / 2;
}

/**
 * Prepares retargeting of `clip` onto a rig. The twist of each limb segment comes from the hinge
 * axis measured in the clip (frames where the joint is bent by more than ~20°); a segment that
 * never bends in the clip falls back to the rest pose's geometry.
 */
export function prepareRetargeting(bones: readonly RigBone[], clip: MotionClip): Retargeting {
  const rigRest = rigMotionPoints(bones);
  const align = new Float64Array(J * 9);

  const sourceLocal = (f: number, j: number, world: ArrayLike<number>) =>
    applyTransposed(clip.rotations, (f * J + j) * 9, world);

  for (const name of MOTION_JOINTS) {
    const j = ji(name);
    const child = childOf(name);
    const ref = twistReference(name);
    const parent = MOTION_PARENT[name];
    if (child === null || ref.kind === 'inherit') {
      // Parent's alignment (always computed first: MOTION_JOINTS is parent-before-child),
      // swung so the rig's segment direction lands on the source's.
      const pj = parent === null ? j : ji(parent);
      const base = align.subarray(pj * 9, pj * 9 + 9);
      if (child === null) {
        align.set(base, j * 9);
      } else {
        const c = ji(child);
        const rigDir = sub(rigRest, c * 3, rigRest, j * 3);
        const srcDir = sub(clip.rest, c * 3, clip.rest, j * 3);
        const mapped = applyRow(base, rigDir);
        align.set(multiply3(swingRotation(mapped, srcDir), base), j * 9);
      }
      continue;
    }
    const c = ji(child);
    const rigDir = sub(rigRest, c * 3, rigRest, j * 3);
    const srcDir = sub(clip.rest, c * 3, clip.rest, j * 3);
    let rigRef: Vec3;
    let srcRef: Vec3 | null = null;
    if (ref.kind === 'lateral') {
      const l = ji(ref.left);
      const r = ji(ref.right);
      rigRef = sub(rigRest, l * 3, rigRest, r * 3);
      // Average the lateral axis over the clip in this segment's own frame: exact for rigid
      // trunks and robust to rigs whose rest pose is not a standing pose.
      const acc: Vec3 = [0, 0, 0];
      for (let f = 0; f < clip.numFrames; f++) {
        const o = f * J * 3;
        const v = sourceLocal(f, j, sub(clip.positions, o + l * 3, clip.positions, o + r * 3));
        acc[0] += v[0];
        acc[1] += v[1];
        acc[2] += v[2];
      }
      srcRef = acc;
    } else {
      const p = ji(ref.proximal);
      const k = ji(ref.joint);
      const d = ji(ref.distal);
      const upper = sub(rigRest, k * 3, rigRest, p * 3);
      rigRef = cross(upper, ref.bend);
      const acc: Vec3 = [0, 0, 0];
      let weight = 0;
      for (let f = 0; f < clip.numFrames; f++) {
        const o = f * J * 3;
        const a = sub(clip.positions, o + k * 3, clip.positions, o + p * 3);
        const b = sub(clip.positions, o + d * 3, clip.positions, o + k * 3);
        const n = cross(a, b);
        const sinBend = norm3(n) / (norm3(a) * norm3(b) || 1);
        if (!(sinBend > 0.35)) continue; // ~20°: straighter frames say little about the axis
        const v = sourceLocal(f, j, n);
        const w = 1 / (norm3(n) || 1);
        acc[0] += v[0] * w * sinBend;
        acc[1] += v[1] * w * sinBend;
        acc[2] += v[2] * w * sinBend;
        weight += sinBend;
      }
      if (weight > 0) srcRef = acc;
    }
    const rigFrame = frameFromTwoVectors(rigDir, rigRef);
    const srcFrame = srcRef === null ? null : frameFromTwoVectors(srcDir, srcRef);
    if (rigFrame === null || srcFrame === null) {
      // No usable twist reference: the minimal swing between the rest directions.
      align.set(swingRotation(rigDir, srcDir), j * 9);
    } else {
      align.set(multiply3(srcFrame, transpose3(rigFrame)), j * 9);
    }
  }

  const byName = new Map(bones.map((b, i) => [b.name, i]));
  const driver = new Int16Array(bones.length);
  bones.forEach((bone, i) => {
    const start = SEGMENT_STARTS[bone.name];
    if (start !== undefined) driver[i] = ji(start);
    else if (bone.parent >= 0) driver[i] = driver[bone.parent]!;
    else driver[i] = ji('pelvis');
  });
  for (const required of ['root', 'upperleg01.L', 'upperleg01.R']) {
    if (!byName.has(required)) throw new SynthError('bad-asset', `rig has no bone '${required}'`);
  }
  const sourceLeg = legLength(clip.rest);
  const scale = legLength(rigRest) / sourceLeg;
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new SynthError(
      'bad-asset',
      `motion clip ${clip.id} has a degenerate leg (length ${sourceLeg})`,
    );
  }
  return { driver, align, scale, rigRest };
}

function applyRow(R: ArrayLike<number>, v: ArrayLike<number>): Vec3 {
  return [
    R[0]! * v[0]! + R[1]! * v[1]! + R[2]! * v[2]!,
    R[3]! * v[0]! + R[4]! * v[1]! + R[5]! * v[2]!,
    R[6]! * v[0]! + R[7]! * v[1]! + R[8]! * v[2]!,
  ];
}

/** A posed rig: per bone the affine skinning transform and the posed head position. */
export interface PosedRig {
  /** B×12 row-major [R | t]: rest-space point x ↦ R x + t. */
  readonly transforms: Float64Array;
  /** B×3 posed bone heads (metres). */
  readonly heads: Float64Array;
}

/**
 * Poses the rig at `frame`: bone heads by forward kinematics from the rest offsets, each bone
 * turned by its driver's D_s · A, and the root placed at the source pelvis position scaled by
 * the leg-length ratio (so strides and jumps keep their proportion to the body).
 */
export function poseRig(
  bones: readonly RigBone[],
  retargeting: Retargeting,
  clip: MotionClip,
  frame: number,
  out?: PosedRig,
): PosedRig {
  if (!(frame >= 0 && frame < clip.numFrames) || !Number.isInteger(frame)) {
    throw new SynthError(
      'bad-option',
      `frame ${frame} is outside clip ${clip.id} (0…${clip.numFrames - 1})`,
    );
  }
  const B = bones.length;
  const transforms = out?.transforms ?? new Float64Array(B * 12);
  const heads = out?.heads ?? new Float64Array(B * 3);
  const rot = new Float64Array(J * 9);
  const tmp = new Float64Array(9);
  for (let j = 0; j < J; j++) {
    const src = clip.rotations.subarray((frame * J + j) * 9, (frame * J + j) * 9 + 9);
    multiply3(src, retargeting.align.subarray(j * 9, j * 9 + 9), tmp);
    rot.set(tmp, j * 9);
  }
  const pelvis = ji('pelvis') * 3;
  const po = frame * J * 3 + pelvis;
  const s = retargeting.scale;
  for (let b = 0; b < B; b++) {
    const bone = bones[b]!;
    const R = rot.subarray(retargeting.driver[b]! * 9, retargeting.driver[b]! * 9 + 9);
    let hx: number;
    let hy: number;
    let hz: number;
    if (bone.parent < 0) {
      // The root follows the source pelvis; its offset from the rig's pelvis point is rotated.
      const off = [
        bone.head[0]! - retargeting.rigRest[pelvis]!,
        bone.head[1]! - retargeting.rigRest[pelvis + 1]!,
        bone.head[2]! - retargeting.rigRest[pelvis + 2]!,
      ];
      const r = applyRow(R, off);
      hx = clip.positions[po]! * s + r[0];
      hy = clip.positions[po + 1]! * s + r[1];
      hz = clip.positions[po + 2]! * s + r[2];
    } else {
      const p = bones[bone.parent]!;
      const PR = rot.subarray(
        retargeting.driver[bone.parent]! * 9,
        retargeting.driver[bone.parent]! * 9 + 9,
      );
      const r = applyRow(PR, [
        bone.head[0]! - p.head[0]!,
        bone.head[1]! - p.head[1]!,
        bone.head[2]! - p.head[2]!,
      ]);
      hx = heads[bone.parent * 3]! + r[0];
      hy = heads[bone.parent * 3 + 1]! + r[1];
      hz = heads[bone.parent * 3 + 2]! + r[2];
    }
    heads[b * 3] = hx;
    heads[b * 3 + 1] = hy;
    heads[b * 3 + 2] = hz;
    const o = b * 12;
    for (let i = 0; i < 3; i++) {
      const r0 = R[i * 3]!;
      const r1 = R[i * 3 + 1]!;
      const r2 = R[i * 3 + 2]!;
      transforms[o + i * 4] = r0;
      transforms[o + i * 4 + 1] = r1;
      transforms[o + i * 4 + 2] = r2;
      transforms[o + i * 4 + 3] =
        [hx, hy, hz][i]! - (r0 * bone.head[0]! + r1 * bone.head[1]! + r2 * bone.head[2]!);
    }
  }
  return { transforms, heads };
}

/** Segments compared by `segmentDirectionErrors`: rig bone heads ↔ motion joints. */
export const CHECKED_SEGMENTS = [
  ['root', 'neck01', 'pelvis', 'neck'],
  ['upperleg01.L', 'lowerleg01.L', 'l_hip', 'l_knee'],
  ['upperarm01.R', 'lowerarm01.R', 'r_shoulder', 'r_elbow'],
  ['lowerleg01.R', 'foot.R', 'r_knee', 'r_ankle'],
] as const;

/**
 * How faithfully a frame is retargeted: for the trunk, a thigh, an upper arm and a shin, the
 * angle (degrees) between the posed rig's segment and the source's.
 */
export function segmentDirectionErrors(
  bones: readonly RigBone[],
  retargeting: Retargeting,
  clip: MotionClip,
  frame: number,
): number[] {
  const posed = poseRig(bones, retargeting, clip, frame);
  const bone = (name: string) => bones.findIndex((b) => b.name === name);
  const o = frame * J * 3;
  return CHECKED_SEGMENTS.map(([ra, rb, sa, sb]) => {
    const t = sub(posed.heads, bone(rb) * 3, posed.heads, bone(ra) * 3);
    const s = sub(clip.positions, o + ji(sb) * 3, clip.positions, o + ji(sa) * 3);
    const cos = (t[0] * s[0] + t[1] * s[1] + t[2] * s[2]) / norm3(t) / norm3(s);
    return (Math.acos(Math.min(1, Math.max(-1, cos))) * 180) / Math.PI;
  });
}
