/**
 * The canonical motion skeleton and how the two source rigs map onto it.
 *
 * Each canonical joint takes its *position* from a BVH joint (or from a point fixed in a BVH
 * joint's local frame, for ends the rig lacks) and its *rotation* — the rotation of the
 * segment that starts at it — from one BVH joint's global rotation. See docs/synth-motion.md for the
 * choices and the measured accuracy of the relation
 * `positions[c] − positions[j] ≈ R[j] · (rest[c] − rest[j])`.
 */
import type { Bvh } from './bvh.js';

/** Where motion comes from: two mocap collections, and poses lifted from real photos' 2D labels. */
export type MotionSource = 'cmu' | 'bandai' | 'lspet';

export const MOTION_JOINTS = [
  'pelvis',
  'spine',
  'chest',
  'neck',
  'head',
  'head_end',
  'l_clavicle',
  'l_shoulder',
  'l_elbow',
  'l_wrist',
  'l_hand_end',
  'r_clavicle',
  'r_shoulder',
  'r_elbow',
  'r_wrist',
  'r_hand_end',
  'l_hip',
  'l_knee',
  'l_ankle',
  'l_toe',
  'l_toe_end',
  'r_hip',
  'r_knee',
  'r_ankle',
  'r_toe',
  'r_toe_end',
] as const;
export type MotionJoint = (typeof MOTION_JOINTS)[number];

export const MOTION_PARENT: Record<MotionJoint, MotionJoint | null> = {
  pelvis: null,
  spine: 'pelvis',
  chest: 'spine',
  neck: 'chest',
  head: 'neck',
  head_end: 'head',
  l_clavicle: 'chest',
  l_shoulder: 'l_clavicle',
  l_elbow: 'l_shoulder',
  l_wrist: 'l_elbow',
  l_hand_end: 'l_wrist',
  r_clavicle: 'chest',
  r_shoulder: 'r_clavicle',
  r_elbow: 'r_shoulder',
  r_wrist: 'r_elbow',
  r_hand_end: 'r_wrist',
  l_hip: 'pelvis',
  l_knee: 'l_hip',
  l_ankle: 'l_knee',
  l_toe: 'l_ankle',
  l_toe_end: 'l_toe',
  r_hip: 'pelvis',
  r_knee: 'r_hip',
  r_ankle: 'r_knee',
  r_toe: 'r_ankle',
  r_toe_end: 'r_toe',
};

/** Index of each canonical joint in MOTION_JOINTS. */
export const MOTION_JOINT_INDEX: Readonly<Record<MotionJoint, number>> = Object.fromEntries(
  MOTION_JOINTS.map((name, i) => [name, i]),
) as Record<MotionJoint, number>;

/** Index of each canonical joint's parent, −1 for the pelvis. */
export const MOTION_PARENT_INDEX: readonly number[] = MOTION_JOINTS.map((name) => {
  const p = MOTION_PARENT[name];
  return p === null ? -1 : MOTION_JOINT_INDEX[p];
});

/** A point fixed in a BVH joint's local frame (offset in file units, e.g. cm). */
export interface VirtualPoint {
  readonly on: string;
  readonly offset: readonly [number, number, number];
}

export interface RigJointSource {
  /** A BVH joint name, or a point fixed to one. */
  readonly position: string | VirtualPoint;
  /** The BVH joint whose global rotation is the canonical segment's rotation. */
  readonly rotation: string;
}

export interface MotionRig {
  readonly name: 'cc_base' | 'bandai' | 'lifted';
  readonly source: MotionSource;
  /** Multiply file lengths by this to get metres. */
  readonly unitsToMetres: number;
  /** How position channels combine with OFFSETs (see `FkOptions.positionChannels`). */
  readonly positionChannels: 'add' | 'replace';
  /**
   * Joints whose position channels are used; the others keep their OFFSET so bones are
   * rigid. Undefined: all joints.
   */
  readonly translatedJoints?: readonly string[];
  readonly joints: Readonly<Record<MotionJoint, RigJointSource>>;
}

/** Head joint → top of the skull, cm (CC rig: Head is 7 cm below eye level). */
export const CC_HEAD_LENGTH_CM = 18;
/** ToeBase → tip of the middle toe, cm (CC rig). */
export const CC_TOE_LENGTH_CM = 7.5;
/** Head joint → top of the skull, cm (Bandai rig). */
export const BANDAI_HEAD_LENGTH_CM = 18;
/** Wrist → base of the middle finger, cm (Bandai rig has no fingers). */
export const BANDAI_HAND_LENGTH_CM = 9.5;
/** Toes joint → tip of the toes, cm (Bandai rig). */
export const BANDAI_TOE_LENGTH_CM = 6.5;

/** Builds the left and right limb mappings from a side letter and the bone-axis sign. */
function sides(
  make: (side: 'L' | 'R', sign: 1 | -1) => Record<LimbPart, RigJointSource>,
): [Record<LimbPart, RigJointSource>, Record<LimbPart, RigJointSource>] {
  return [make('L', 1), make('R', -1)];
}

const cc = (n: string): string => `CC_Base_${n}`;

/**
 * Reallusion Character Creator rig (`CC_Base_*`) of the iClone exports of the CMU database.
 * Bones run along each joint's local +Y; the performer faces +Z in world. Lengths in cm.
 */
export const CC_BASE_RIG: MotionRig = (() => {
  const [l, r] = sides((s) => ({
    clavicle: { position: cc(`${s}_Clavicle`), rotation: cc(`${s}_Clavicle`) },
    shoulder: { position: cc(`${s}_Upperarm`), rotation: cc(`${s}_Upperarm`) },
    elbow: { position: cc(`${s}_Forearm`), rotation: cc(`${s}_Forearm`) },
    wrist: { position: cc(`${s}_Hand`), rotation: cc(`${s}_Hand`) },
    // Base of the middle finger (its first joint), a direct child of the hand.
    hand_end: { position: cc(`${s}_Mid1`), rotation: cc(`${s}_Mid1`) },
    hip: { position: cc(`${s}_Thigh`), rotation: cc(`${s}_Thigh`) },
    knee: { position: cc(`${s}_Calf`), rotation: cc(`${s}_Calf`) },
    ankle: { position: cc(`${s}_Foot`), rotation: cc(`${s}_Foot`) },
    toe: { position: cc(`${s}_ToeBase`), rotation: cc(`${s}_ToeBase`) },
    // The toe End Sites have zero offsets (they sit on the toes' first joints, 2.4 cm past
    // ToeBase), so the tip is placed 7.5 cm along ToeBase's bone axis.
    toe_end: {
      position: { on: cc(`${s}_ToeBase`), offset: [0, CC_TOE_LENGTH_CM, 0] },
      rotation: cc(`${s}_ToeBase`),
    },
  }));
  return {
    name: 'cc_base',
    source: 'cmu',
    unitsToMetres: 0.01,
    positionChannels: 'add',
    joints: {
      pelvis: { position: cc('Hip'), rotation: cc('Hip') },
      spine: { position: cc('Waist'), rotation: cc('Spine01') },
      chest: { position: cc('Spine02'), rotation: cc('Spine02') },
      neck: { position: cc('NeckTwist02'), rotation: cc('NeckTwist02') },
      head: { position: cc('Head'), rotation: cc('Head') },
      // No joint at the top of the head: a point 18 cm along the head's bone axis.
      head_end: {
        position: { on: cc('Head'), offset: [0, CC_HEAD_LENGTH_CM, 0] },
        rotation: cc('Head'),
      },
      ...prefixed(l, 'l_'),
      ...prefixed(r, 'r_'),
    },
  };
})();

/**
 * Bandai Namco Research Motion Dataset rig (22 joints). Bones run along local +X on the
 * left side and the spine, −X on the right side. End Sites have zero offsets, so the three
 * kinds of ends are points along the last bone's axis. Lengths in cm.
 */
export const BANDAI_RIG: MotionRig = (() => {
  const [l, r] = sides((s, sign) => ({
    clavicle: { position: `Shoulder_${s}`, rotation: `Shoulder_${s}` },
    shoulder: { position: `UpperArm_${s}`, rotation: `UpperArm_${s}` },
    elbow: { position: `LowerArm_${s}`, rotation: `LowerArm_${s}` },
    wrist: { position: `Hand_${s}`, rotation: `Hand_${s}` },
    hand_end: {
      position: { on: `Hand_${s}`, offset: [sign * BANDAI_HAND_LENGTH_CM, 0, 0] as const },
      rotation: `Hand_${s}`,
    },
    hip: { position: `UpperLeg_${s}`, rotation: `UpperLeg_${s}` },
    knee: { position: `LowerLeg_${s}`, rotation: `LowerLeg_${s}` },
    ankle: { position: `Foot_${s}`, rotation: `Foot_${s}` },
    toe: { position: `Toes_${s}`, rotation: `Toes_${s}` },
    toe_end: {
      position: { on: `Toes_${s}`, offset: [sign * BANDAI_TOE_LENGTH_CM, 0, 0] as const },
      rotation: `Toes_${s}`,
    },
  }));
  return {
    name: 'bandai',
    source: 'bandai',
    unitsToMetres: 0.01,
    positionChannels: 'replace',
    // Non-root position channels only repeat the OFFSETs (to ~1e-5 cm): ignore them.
    translatedJoints: ['joint_Root', 'Hips'],
    joints: {
      pelvis: { position: 'Hips', rotation: 'Hips' },
      spine: { position: 'Spine', rotation: 'Spine' },
      chest: { position: 'Chest', rotation: 'Chest' },
      neck: { position: 'Neck', rotation: 'Neck' },
      head: { position: 'Head', rotation: 'Head' },
      head_end: {
        position: { on: 'Head', offset: [BANDAI_HEAD_LENGTH_CM, 0, 0] },
        rotation: 'Head',
      },
      ...prefixed(l, 'l_'),
      ...prefixed(r, 'r_'),
    },
  };
})();

type LimbPartOf<T> = T extends `l_${infer P}` ? P : never;
type LimbPart = LimbPartOf<MotionJoint>;

function prefixed<P extends 'l_' | 'r_'>(
  o: Record<LimbPart, RigJointSource>,
  prefix: P,
): Record<`${P}${LimbPart}`, RigJointSource> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v])) as Record<
    `${P}${LimbPart}`,
    RigJointSource
  >;
}

/**
 * The rig of pose galleries lifted from real photos (`training/metrabs_train/lift_lspet.py`):
 * one BVH joint per canonical joint, named like it, in a T-pose (Y up, facing +Z, the person's
 * left at +X), the three kinds of ends as End Sites. Lengths in cm.
 */
export const LIFTED_RIG: MotionRig = (() => {
  const ends: Partial<Record<MotionJoint, string>> = {
    head_end: 'head',
    l_hand_end: 'l_wrist',
    r_hand_end: 'r_wrist',
    l_toe_end: 'l_toe',
    r_toe_end: 'r_toe',
  };
  const joints = Object.fromEntries(
    MOTION_JOINTS.map((name) => {
      const on = ends[name];
      return [
        name,
        on ? { position: `${on}/End Site`, rotation: on } : { position: name, rotation: name },
      ];
    }),
  ) as Record<MotionJoint, RigJointSource>;
  return {
    name: 'lifted',
    source: 'lspet',
    unitsToMetres: 0.01,
    positionChannels: 'replace',
    translatedJoints: ['pelvis'],
    joints,
  };
})();

export const RIGS: readonly MotionRig[] = [CC_BASE_RIG, BANDAI_RIG, LIFTED_RIG];

/** The rig whose joints all exist in `bvh`, or undefined. */
export function detectRig(bvh: Bvh): MotionRig | undefined {
  const names = new Set(bvh.joints.map((j) => j.name));
  return RIGS.find((rig) => Object.values(rig.joints).every((s) => names.has(s.rotation)));
}
