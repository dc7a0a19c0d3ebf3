import { describe, expect, it } from 'vitest';
import {
  areAugmentationsConsistent,
  averageAugmentations,
  isPoseConsistentWithBox,
  isPosePlausible,
  poseNonMaxSuppression,
  poseSimilarity,
} from '../src/plausibility.js';
import { canonicalReferencePoseMm, getSkeleton, typicalBoneLengthsMm } from '../src/skeletons.js';
import { makeRng } from './random.js';

const rng = makeRng(5);
const skeleton = getSkeleton('smpl+head_30');
const typical = typicalBoneLengthsMm('smpl+head_30');
const reference = canonicalReferencePoseMm();

function placed(pose: number[][], offset: [number, number, number], scale = 1): Float64Array {
  return Float64Array.from(
    pose.flatMap((p) => [
      p[0]! * scale + offset[0],
      p[1]! * scale + offset[1],
      p[2]! * scale + offset[2],
    ]),
  );
}

describe('bone-length plausibility', () => {
  it('accepts a normal person and rejects grossly wrong bones', () => {
    const pose = placed(reference, [0, 0, 4000]);
    expect(isPosePlausible(pose, skeleton.edges, typical)).toBe(true);
    // A giant (4× every bone) is implausible: relatively > 3 and absolutely > 300 mm off.
    expect(isPosePlausible(placed(reference, [0, 0, 4000], 4), skeleton.edges, typical)).toBe(
      false,
    );
    // A collapsed pose: all joints at one point (bones ≈ 0 < 0.1×, and >300 mm off for long bones).
    const collapsed = new Float64Array(30 * 3).fill(1000);
    expect(isPosePlausible(collapsed, skeleton.edges, typical)).toBe(false);
    // A child-sized person (0.6×) is fine.
    expect(isPosePlausible(placed(reference, [0, 0, 3000], 0.6), skeleton.edges, typical)).toBe(
      true,
    );
  });

  it('needs one typical length per edge', () => {
    expect(() => isPosePlausible(placed(reference, [0, 0, 0]), skeleton.edges, [1, 2, 3])).toThrow(
      /typical lengths/,
    );
  });
});

describe('augmentation consistency', () => {
  it('accepts small jitter and rejects disagreeing predictions', () => {
    const numAug = 5;
    const jitter = (sigma: number) =>
      Float64Array.from(
        Array.from({ length: numAug }, () =>
          Array.from(placed(reference, [0, 0, 5000]), (v) => v + rng.normal() * sigma),
        ).flat(),
      );
    expect(areAugmentationsConsistent(jitter(30), numAug)).toBe(true);
    expect(areAugmentationsConsistent(jitter(600), numAug)).toBe(false);
  });

  it('is insensitive to a pure scale difference between augmentations', () => {
    const a = placed(reference, [0, 0, 5000]);
    const b = placed(reference, [0, 0, 5000]).map((v) => v * 1.3);
    expect(areAugmentationsConsistent(Float64Array.from([...a, ...b]), 2)).toBe(true);
  });
});

describe('pose vs box', () => {
  const pose2d = Float64Array.of(100, 100, 200, 300);
  it('requires the pose box to cover half the detection', () => {
    expect(isPoseConsistentWithBox(pose2d, [100, 100, 100, 200])).toBe(true);
    expect(isPoseConsistentWithBox(pose2d, [150, 100, 100, 200])).toBe(false); // exactly half: not more
    expect(isPoseConsistentWithBox(pose2d, [400, 400, 50, 50])).toBe(false);
  });
});

describe('pose non-maximum suppression', () => {
  const a = placed(reference, [0, 0, 4000]);
  const aDup = Float64Array.from(a, (v) => v + 20);
  const b = placed(reference, [900, 0, 4000]);
  const poses = Float64Array.from([...a, ...aDup, ...b]);

  it('similarity is 1 for identical poses and ≈ 0 for people a metre apart', () => {
    const s = poseSimilarity(poses, 3, 30);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeGreaterThan(0.8);
    expect(s[2]).toBeLessThan(0.05);
    expect(s[3]).toBe(s[1]); // symmetric
  });

  it('keeps the best of duplicates and both distinct people, best first', () => {
    expect(poseNonMaxSuppression(poses, [0.9, 0.95, 0.5], 3, 30)).toEqual([1, 2]);
    expect(
      poseNonMaxSuppression(poses, [0.9, 0.95, 0.5], 3, 30, { valid: [true, false, true] }),
    ).toEqual([0, 2]);
    expect(poseNonMaxSuppression(poses, [0.9, 0.95, 0.5], 3, 30, { maxOutput: 1 })).toEqual([1]);
    expect(poseNonMaxSuppression(new Float64Array(0), [], 0, 30)).toEqual([]);
  });
});

describe('averaging augmentations', () => {
  it('averages [N, A, J, D] over A', () => {
    const data = Float64Array.of(
      1,
      2,
      3,
      4,
      /* aug 2 */ 3,
      4,
      5,
      6,
      /* box 2 */ 0,
      0,
      0,
      0,
      10,
      10,
      10,
      10,
    );
    expect(Array.from(averageAugmentations(data, 2, 2, 2, 2))).toEqual([2, 3, 4, 5, 5, 5, 5, 5]);
    expect(() => averageAugmentations(data, 3, 2, 2, 2)).toThrow(/expected/);
  });
});
