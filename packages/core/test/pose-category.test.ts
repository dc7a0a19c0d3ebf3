import { describe, expect, it } from 'vitest';
import {
  CANONICAL_SKELETON,
  categoryJoints,
  GeometryError,
  getSkeleton,
  type PoseCategory,
  poseAngles,
  poseCategory,
} from '../src/index.js';

const NAMES = ['pelv', 'neck', 'lhip', 'rhip', 'lkne', 'rkne', 'lank', 'rank'];
const IDX = categoryJoints(NAMES);
const UP = [0, 1, 0];

/** A pose from pelvis, neck and one leg's hip/knee/ankle (mirrored to the other leg), metres. */
function pose(pelvis: number[], neck: number[], hip: number[], knee: number[], ankle: number[]) {
  const m = (p: number[]) => [-p[0]!, p[1]!, p[2]!];
  return [pelvis, neck, hip, m(hip), knee, m(knee), ankle, m(ankle)].flat();
}

const standing = pose([0, 1, 0], [0, 1.5, 0], [0.1, 0.95, 0], [0.1, 0.5, 0], [0.1, 0.08, 0]);
const turnedOver = standing.map((v, i) => (i % 3 === 0 ? v : -v)); // 180° about x

const CASES: [string, number[], PoseCategory][] = [
  ['standing', standing, 'upright'],
  [
    'on a chair',
    pose([0, 0.5, 0], [0, 1, 0], [0.1, 0.5, 0], [0.1, 0.5, 0.45], [0.1, 0.05, 0.45]),
    'sitting',
  ],
  [
    'squatting',
    pose([0, 0.35, 0], [0, 0.8, 0.15], [0.1, 0.35, 0], [0.15, 0.55, 0.35], [0.15, 0.1, 0.1]),
    'crouching',
  ],
  [
    'on the back',
    pose([0, 0.1, 0], [0, 0.1, -0.5], [0.1, 0.1, 0.05], [0.1, 0.1, 0.5], [0.1, 0.1, 0.95]),
    'lying',
  ],
  ['handstand', turnedOver, 'inverted'],
  [
    'touching the toes',
    pose([0, 1, 0], [0.0, 0.6, 0.3], [0.1, 0.95, 0], [0.1, 0.5, 0], [0.1, 0.08, 0]),
    'bent',
  ],
  [
    'leaning forward',
    pose([0, 1, 0], [0, 1.45, 0.3], [0.1, 0.95, 0], [0.1, 0.5, 0], [0.1, 0.08, 0]),
    'bent',
  ],
];

describe('poseCategory', () => {
  it.each(CASES)('%s', (_name, joints, want) => {
    expect(poseCategory(joints, IDX, UP)).toBe(want);
  });

  it('measures the angles it decides by', () => {
    const chair = CASES[1]![1];
    const a = poseAngles(chair, IDX, UP);
    expect(a.trunkTilt).toBeCloseTo(0, 9);
    expect(a.hipFlexion).toBeCloseTo(90, 9);
    expect(a.kneeFlexion).toBeCloseTo(90, 9);
    expect(a.thighElevation).toBeCloseTo(90, 9);
    // In any unit and any frame: millimetres, camera axes (y down).
    const mm = chair.map((v, i) => (i % 3 === 1 ? -v : v) * 1000);
    expect(poseCategory(mm, IDX, [0, -1, 0])).toBe('sitting');
  });

  it('works on the canonical skeleton and names a missing joint', () => {
    expect(() => categoryJoints(getSkeleton(CANONICAL_SKELETON).jointNames)).not.toThrow();
    expect(() => categoryJoints(['pelv', 'neck'])).toThrow(/'lhip'/);
    expect(() => poseCategory([Number.NaN, ...standing.slice(1)], IDX, UP)).toThrow(GeometryError);
  });
});
