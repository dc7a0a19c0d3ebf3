import { describe, expect, it } from 'vitest';
import { Camera } from '../src/camera.js';
import {
  areAugmentationsConsistent,
  averageAugmentations,
  isPoseConsistentWithBox,
  isPosePlausible,
  poseBoxCoverage,
  poseNonMaxSuppression,
  poseSimilarity,
  screenPoses,
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

  it('needs both the relative (0.1×, 3×) and the absolute (300 mm) threshold to fail', () => {
    const bone = (lengthMm: number) => Float64Array.of(0, 0, 5000, lengthMm, 0, 5000);
    const edge: [number, number][] = [[0, 1]];
    // A 400 mm bone: 39 mm is 0.0975× and 361 mm off; 41 mm is 0.1025×.
    expect(isPosePlausible(bone(39), edge, [400])).toBe(false);
    expect(isPosePlausible(bone(41), edge, [400])).toBe(true);
    // 1201 mm is 3.0025× and 801 mm off; 1199 mm is under 3×.
    expect(isPosePlausible(bone(1201), edge, [400])).toBe(false);
    expect(isPosePlausible(bone(1199), edge, [400])).toBe(true);
    // An 80 mm bone (an eye to the nose): vanishing is only 80 mm off, so it stays plausible;
    // 390 mm is 4.9× and 310 mm off (implausible), 370 mm only 290 mm off (plausible).
    expect(isPosePlausible(bone(0), edge, [80])).toBe(true);
    expect(isPosePlausible(bone(390), edge, [80])).toBe(false);
    expect(isPosePlausible(bone(370), edge, [80])).toBe(true);
    // The thresholds are options.
    expect(isPosePlausible(bone(1199), edge, [400], { maxRelative: 2 })).toBe(false);
    expect(isPosePlausible(bone(390), edge, [80], { minAbsoluteDiffMm: 400 })).toBe(true);
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

  it('needs more than J/4 joints spreading under 200 mm', () => {
    // Eight joints at 5 m, all with x = 0 so that moving one sideways keeps the rms scale.
    const base = Array.from({ length: 8 }, (_, k) => [0, k * 100 - 350, 5000]);
    /** Two augmentations; joint k of the second is `dx[k]` mm to the right (spread dx/2). */
    const pair = (dx: number[]) =>
      Float64Array.from([...base.flat(), ...base.flatMap(([x, y, z], k) => [x! + dx[k]!, y!, z!])]);
    const spread = (kept: number, dx: number) =>
      Array.from({ length: 8 }, (_, k) => (k < kept ? 0 : k % 2 ? dx : -dx));
    // 8 joints: more than 2 must spread under 200 mm.
    expect(areAugmentationsConsistent(pair(spread(3, 1000)), 2)).toBe(true);
    expect(areAugmentationsConsistent(pair(spread(2, 1000)), 2)).toBe(false);
    // A spread of 199 mm counts as agreeing, 201 mm does not.
    expect(areAugmentationsConsistent(pair(spread(0, 398)), 2)).toBe(true);
    expect(areAugmentationsConsistent(pair(spread(0, 402)), 2)).toBe(false);
    expect(areAugmentationsConsistent(pair(spread(0, 402)), 2, 250)).toBe(true);
  });

  it('is insensitive to a pure scale difference between augmentations', () => {
    const a = placed(reference, [0, 0, 5000]);
    const b = placed(reference, [0, 0, 5000]).map((v) => v * 1.3);
    expect(areAugmentationsConsistent(Float64Array.from([...a, ...b]), 2)).toBe(true);
  });
});

describe('pose vs box', () => {
  const pose2d = Float64Array.of(100, 100, 200, 300);
  it('measures the covered part of the box per axis and by area', () => {
    expect(poseBoxCoverage(pose2d, [100, 100, 100, 200])).toEqual({ x: 1, y: 1, area: 1 });
    expect(poseBoxCoverage(pose2d, [150, 100, 100, 200])).toEqual({ x: 0.5, y: 1, area: 0.5 });
    expect(poseBoxCoverage(pose2d, [0, 0, 400, 400])).toEqual({ x: 0.25, y: 0.5, area: 0.125 });
    expect(() => poseBoxCoverage(pose2d, [0, 0, 0, 10])).toThrow(/no area/);
  });

  it('keeps a pose spanning more than half the box along one axis, if it overlaps the other', () => {
    expect(isPoseConsistentWithBox(pose2d, [100, 100, 100, 200])).toBe(true);
    // Covers all of the height and 0.1 of the width (area 0.1: the reference's rule drops it).
    expect(isPoseConsistentWithBox(pose2d, [110, 100, 1000, 200])).toBe(true);
    // Exactly half along the better axis is not more than half.
    expect(isPoseConsistentWithBox(pose2d, [100, -100, 200, 400])).toBe(false);
    expect(isPoseConsistentWithBox(pose2d, [100, -100, 199, 399])).toBe(true);
    // A collapsed pose (a fifth of the box each way) and a pose beside its box are dropped.
    expect(isPoseConsistentWithBox(pose2d, [0, 0, 500, 1000])).toBe(false);
    expect(isPoseConsistentWithBox(pose2d, [250, 100, 100, 200])).toBe(false);
    // The threshold is an option.
    expect(isPoseConsistentWithBox(pose2d, [0, 0, 400, 400], 0.4)).toBe(true);
  });

  /** The reference adult at `z` mm, turned `yawDegrees` about the vertical axis, in a 640×480 image. */
  const camera = Camera.fromFov(55, 640, 480);
  function projected(yawDegrees: number, [x, y, z]: [number, number, number]): Float64Array {
    const t = (yawDegrees * Math.PI) / 180;
    const pose = reference.map(([px, py, pz]) => [
      px! * Math.cos(t) + pz! * Math.sin(t) + x,
      py! + y,
      -px! * Math.sin(t) + pz! * Math.cos(t) + z,
    ]);
    return Float64Array.from(camera.cameraToImage(pose).flat());
  }
  /** The image box of a body outline given in mm around the pelvis at `centre` (axis-aligned, facing the camera). */
  function outlineBox(
    centre: [number, number, number],
    [left, right, top, bottom]: [number, number, number, number],
  ): [number, number, number, number, number] {
    const [[x0, y0], [x1, y1]] = camera.cameraToImage([
      [centre[0] + left, centre[1] + top, centre[2]],
      [centre[0] + right, centre[1] + bottom, centre[2]],
    ]) as [number[], number[]];
    return [x0!, y0!, x1! - x0!, y1! - y0!, 0.9];
  }
  // The reference adult's head top is 750 mm above the pelvis (hair: 760), its toe joints 975
  // mm below it (soles: 1000) and its hand joints 220 mm to either side (fingers: 250).
  const HEAD = -760;
  const SOLES = 1000;

  it('keeps a thin side view (joints span 0.37 of the width; the reference rule drops it)', () => {
    const at: [number, number, number] = [0, 0, 4000];
    // Seen from the side the joints spread about 150 mm (toes to neck); the outline is 400 mm
    // deep: shoe tips and the hands 200 mm in front of the pelvis, the back 200 mm behind it.
    const box = outlineBox(at, [-200, 200, HEAD, SOLES]);
    const c = poseBoxCoverage(projected(90, at), box);
    expect(c.x).toBeCloseTo(0.37, 2);
    expect(c.y).toBeCloseTo(0.99, 2);
    expect(c.area).toBeCloseTo(0.37, 2);
    expect(isPoseConsistentWithBox(projected(90, at), box)).toBe(true);
    // Facing the camera, both rules keep the same person (0.88 × 0.99).
    const front = outlineBox(at, [-250, 250, HEAD, SOLES]);
    expect(poseBoxCoverage(projected(0, at), front).area).toBeGreaterThan(0.8);
    expect(isPoseConsistentWithBox(projected(0, at), front)).toBe(true);
  });

  it('keeps truncated people whose joints fall outside the box and the image', () => {
    // Close to the camera and low: the legs are below the image; the detector's box stops at
    // the image's bottom edge (y = 480) and covers the visible upper body only.
    const low: [number, number, number] = [0, 600, 2000];
    const full = outlineBox(low, [-250, 250, HEAD, SOLES]);
    const visible: typeof full = [full[0], full[1], full[2], 480 - full[1], 0.9];
    const legs = projected(0, low);
    expect(Math.max(...legs.filter((_, i) => i % 2 === 1))).toBeGreaterThan(600); // ankles off-image
    expect(poseBoxCoverage(legs, visible).y).toBeCloseTo(0.99, 2);
    expect(isPoseConsistentWithBox(legs, visible)).toBe(true);
    // Half outside the left edge: the box is clipped at x = 0, the joints continue beyond it.
    const left: [number, number, number] = [-1950, 0, 4000];
    const cut = outlineBox(left, [-250, 250, HEAD, SOLES]);
    const clipped: typeof cut = [0, cut[1], cut[0] + cut[2], cut[3], 0.9];
    const pose = projected(0, left);
    expect(pose[0]! < 0 || pose.some((v, i) => i % 2 === 0 && v < 0)).toBe(true);
    const c = poseBoxCoverage(pose, clipped);
    expect(c.x).toBeGreaterThan(0.7);
    expect(isPoseConsistentWithBox(pose, clipped)).toBe(true);
  });
});

describe('screening detected people', () => {
  const j = 30;
  const camera = Camera.fromFov(55, 640, 480);
  /** One person: the same pose for every augmentation, its 2D projection and a fitting box. */
  function person(pose3d: Float64Array, numAug: number, score: number) {
    const pose2d = Float64Array.from(camera.cameraToImage(pose3d));
    const xs = pose2d.filter((_, i) => i % 2 === 0);
    const ys = pose2d.filter((_, i) => i % 2 === 1);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const repeat = (p: Float64Array) => Array.from({ length: numAug }, () => Array.from(p)).flat();
    return {
      poses3d: repeat(pose3d),
      poses2d: repeat(pose2d),
      box: [x0 - 5, y0 - 5, x1 - x0 + 10, y1 - y0 + 10, score],
    };
  }
  function screen(people: ReturnType<typeof person>[], numAug: number) {
    return screenPoses({
      poses3d: Float64Array.from(people.flatMap((p) => p.poses3d)),
      poses2d: Float64Array.from(people.flatMap((p) => p.poses2d)),
      boxes: people.map((p) => p.box),
      numAug,
      numJoints: j,
      edges: skeleton.edges,
      typicalLengthsMm: typical,
    });
  }

  it('keeps real people and names the check each dropped one failed', () => {
    const good = person(placed(reference, [0, 0, 4000]), 2, 0.9);
    const duplicate = person(placed(reference, [20, 0, 4000]), 2, 0.8);
    const giant = person(placed(reference, [-1500, 0, 12000], 4), 2, 0.95);
    const far = person(placed(reference, [1200, 0, 5000]), 2, 0.7);
    // Its box is 5× larger than the pose: the pose collapsed.
    const collapsed = person(placed(reference, [-1200, 0, 5000]), 2, 0.6);
    const [cx, cy, cw, ch] = collapsed.box as number[];
    collapsed.box = [cx! - 2 * cw!, cy! - 2 * ch!, 5 * cw!, 5 * ch!, 0.6];
    // Its two augmentations disagree: the second puts every joint 1 m further right (spread
    // 500 mm > 200 mm), though their mean is a fine pose on its box.
    const torn = person(placed(reference, [0, 0, 7000]), 2, 0.5);
    torn.poses3d = [...torn.poses3d.slice(0, j * 3), ...placed(reference, [1000, 0, 7000])];
    const result = screen([good, duplicate, giant, far, collapsed, torn], 2);
    expect(result.kept).toEqual([0, 3]);
    expect(result.dropped).toEqual([
      { index: 1, reason: 'duplicate' },
      { index: 2, reason: 'implausible-bones' },
      { index: 4, reason: 'box-mismatch' },
      { index: 5, reason: 'inconsistent-augmentations' },
    ]);
  });

  it('keeps a crowd of 160 (the reference stops at 150)', () => {
    // Ten rows of 16 on stands: each row 1 m further away and 1.2 m higher.
    const crowd = Array.from({ length: 160 }, (_, k) => {
      const row = Math.floor(k / 16);
      const at: [number, number, number] = [(k % 16) * 1000 - 7500, -1200 * row, 8000 + 1000 * row];
      return person(placed(reference, at), 1, 0.5);
    });
    const result = screen(crowd, 1);
    expect(result.kept).toHaveLength(160);
    expect(result.dropped).toEqual([]);
  });

  it('checks the shapes', () => {
    const good = person(placed(reference, [0, 0, 4000]), 1, 0.9);
    expect(() =>
      screenPoses({
        poses3d: Float64Array.from(good.poses3d),
        poses2d: Float64Array.from(good.poses2d),
        boxes: [good.box, good.box],
        numAug: 1,
        numJoints: j,
        edges: skeleton.edges,
        typicalLengthsMm: typical,
      }),
    ).toThrow(/expected 2×1×30/);
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
