import { describe, expect, it } from 'vitest';
import {
  absPck3d,
  auc3d,
  mpjpe,
  mrpe,
  nMpjpe,
  paMpjpe,
  pck2d,
  pck3d,
  pckh,
  perJointErrors,
} from '../src/metrics.js';
import { codeOf } from './assertions.js';
import { makeRng, randomPose } from './random.js';

function translate(pose: number[][], t: number[]): number[][] {
  return pose.map((p) => p.map((v, c) => v + t[c]!));
}

// Two joints; root-relative errors are exactly [0, 40], absolute errors √300 and √2700.
const GT = [
  [0, 0, 0],
  [100, 0, 0],
];
const PRED = [
  [10, 10, 10],
  [110, 10, 50],
];

describe('perJointErrors', () => {
  it('computes root-relative, mean-relative and absolute distances', () => {
    expect(Array.from(perJointErrors(PRED, GT))).toEqual([0, 40]);
    expect(Array.from(perJointErrors(PRED, GT, { root: 1 }))).toEqual([40, 0]);
    expect(Array.from(perJointErrors(PRED, GT, { root: null }))).toEqual([
      Math.sqrt(300),
      Math.sqrt(2700),
    ]);
    // Mean of the differences is (10, 10, 30): residuals (0,0,-20) and (0,0,20).
    expect(Array.from(perJointErrors(PRED, GT, { root: 'mean' }))).toEqual([20, 20]);
    // With 'mean', only valid joints define the centroid.
    expect(Array.from(perJointErrors(PRED, GT, { root: 'mean', valid: [1, 0] }))).toEqual([0, 40]);
  });

  it('returns one entry per (pose, joint), pose-major', () => {
    const errs = perJointErrors([PRED, GT], [GT, GT]);
    expect(errs).toBeInstanceOf(Float64Array);
    expect(Array.from(errs)).toEqual([0, 40, 0, 0]);
  });
});

describe('mpjpe', () => {
  it('matches hand-computed values', () => {
    expect(mpjpe(PRED, GT)).toBe(20);
    expect(mpjpe(PRED, GT, { root: null })).toBeCloseTo((Math.sqrt(300) + Math.sqrt(2700)) / 2, 12);
    expect(mpjpe(PRED, GT, { root: 'mean' })).toBe(20);
    expect(mpjpe(PRED, GT, { valid: [0, 1] })).toBe(40);
    expect(mpjpe(PRED, GT, { valid: [true, false] })).toBe(0);
  });

  it('is the mean over all valid (pose, joint) pairs of a batch', () => {
    const pred = [PRED, translate(GT, [0, 0, 0]), PRED];
    const gt = [GT, GT, GT];
    // Errors: [0, 40], [0, 0], [0, 40] → mean 80 / 6.
    expect(mpjpe(pred, gt)).toBeCloseTo(80 / 6, 12);
    // Per-pose mask: only pose 0 joint 1 and pose 1 joint 0 → (40 + 0) / 2.
    const mask = [
      [0, 1],
      [1, 0],
      [0, 0],
    ];
    expect(mpjpe(pred, gt, { valid: mask })).toBe(20);
    // A per-joint mask is shared by every pose: joint 1 only → (40 + 0 + 40) / 3.
    expect(mpjpe(pred, gt, { valid: [0, 1] })).toBeCloseTo(80 / 3, 12);
  });

  it('removes a global translation by root-centering', () => {
    const rng = makeRng(1);
    const gt = randomPose(rng, 17, 4000);
    const pred = translate(gt, [123, -45, 678]);
    expect(mpjpe(pred, gt)).toBeCloseTo(0, 9);
    expect(mpjpe(pred, gt, { root: 5 })).toBeCloseTo(0, 9);
    expect(mpjpe(pred, gt, { root: 'mean' })).toBeCloseTo(0, 9);
    expect(mpjpe(pred, gt, { root: null })).toBeCloseTo(Math.hypot(123, 45, 678), 9);
  });
});

describe('paMpjpe', () => {
  it('is zero for a rotated, scaled and translated copy', () => {
    const rng = makeRng(2);
    const gt = randomPose(rng, 17, 4000);
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const pred = gt.map(([x, y, z]) => [
      1.3 * (c * x! - s * y!) + 50,
      1.3 * (s * x! + c * y!) - 20,
      1.3 * z! + 900,
    ]);
    expect(paMpjpe(pred, gt)).toBeLessThan(1e-9);
    expect(mpjpe(pred, gt)).toBeGreaterThan(100);
  });

  it('is no larger than MPJPE for noisy rotated poses, and does not undo a mirror', () => {
    const rng = makeRng(3);
    for (let trial = 0; trial < 10; trial++) {
      const gt = randomPose(rng, 17, 4000);
      const pred = gt.map(([x, y, z]) => [
        y! + rng.uniform(-20, 20),
        -x! + rng.uniform(-20, 20),
        z! + rng.uniform(-20, 20),
      ]);
      const pa = paMpjpe(pred, gt);
      expect(pa).toBeLessThan(mpjpe(pred, gt));
      expect(pa).toBeLessThan(mpjpe(pred, gt, { root: 'mean' }));
      expect(pa).toBeGreaterThan(0);
    }
    const gt = randomPose(rng, 17, 4000);
    const mirrored = gt.map(([x, y, z]) => [-x!, y!, z!]);
    expect(paMpjpe(mirrored, gt)).toBeGreaterThan(10);
  });

  it('fits and scores only valid joints; poses without valid joints are skipped', () => {
    const rng = makeRng(4);
    const gt = randomPose(rng, 6, 4000);
    const pred = gt.map((p) => [...p]);
    pred[5] = [0, 0, 0]; // a wild outlier, masked out
    const valid = [1, 1, 1, 1, 1, 0];
    expect(paMpjpe(pred, gt, { valid })).toBeLessThan(1e-9);
    expect(paMpjpe(pred, gt)).toBeGreaterThan(100);
    const other = randomPose(rng, 6, 4000);
    expect(
      paMpjpe([pred, other], [gt, gt], {
        valid: [valid, [0, 0, 0, 0, 0, 0]],
      }),
    ).toBeLessThan(1e-9);
  });
});

describe('nMpjpe', () => {
  it('removes a global scale about the root', () => {
    const rng = makeRng(5);
    const gt = randomPose(rng, 17, 4000);
    const pred = gt.map((p) => p.map((v, c) => 2 * (v - gt[0]![c]!) + 10));
    expect(nMpjpe(pred, gt)).toBeLessThan(1e-9);
    expect(mpjpe(pred, gt)).toBeGreaterThan(100);
  });

  it('matches hand-computed values', () => {
    // Centred pred ⟂ centred gt: optimal scale 0, errors [0, 100].
    expect(
      nMpjpe(
        [
          [0, 0, 0],
          [0, 100, 0],
        ],
        GT,
      ),
    ).toBe(50);
    // ⟨p, g⟩ = 5000 = ⟨p, p⟩: scale 1, error |(-50, 50, 0)|.
    expect(
      nMpjpe(
        [
          [0, 0, 0],
          [50, 50, 0],
        ],
        GT,
      ),
    ).toBeCloseTo(Math.hypot(50, 50) / 2, 12);
    // An all-zero centred prediction is fine (any scale gives the same error).
    expect(
      nMpjpe(
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        GT,
      ),
    ).toBe(50);
  });
});

describe('pck3d / auc3d / absPck3d', () => {
  it('match hand-computed values (errors 0 and 40 mm)', () => {
    expect(pck3d(PRED, GT)).toBe(1);
    expect(pck3d(PRED, GT, { thresholdMm: 30 })).toBe(0.5);
    expect(pck3d(PRED, GT, { thresholdMm: 40 })).toBe(1); // inclusive
    expect(pck3d(PRED, GT, { thresholdMm: 39.999 })).toBe(0.5);
    // Thresholds 0, 5, …, 150: error 0 passes all 31, error 40 passes 40…150 = 23.
    expect(auc3d(PRED, GT)).toBe((31 + 23) / 62);
    expect(auc3d(PRED, GT, { maxMm: 80, steps: 3 })).toBe((3 + 2) / 6);
    expect(auc3d(PRED, GT, { valid: [0, 1] })).toBe(23 / 31);
  });

  it('auc3d approaches the continuous mean(max(0, 1 − d/150)) with many steps', () => {
    const continuous = (1 + (1 - 40 / 150)) / 2;
    expect(auc3d(PRED, GT, { steps: 30001 })).toBeCloseTo(continuous, 4);
    const far = [
      [0, 0, 0],
      [400, 0, 0],
    ];
    expect(auc3d(far, GT)).toBe(0.5); // the root passes every threshold, the 300 mm error none
  });

  it('absPck3d does not root-align', () => {
    const rng = makeRng(6);
    const gt = randomPose(rng, 17, 4000);
    expect(absPck3d(translate(gt, [0, 0, 100]), gt)).toBe(1);
    expect(absPck3d(translate(gt, [0, 0, 200]), gt)).toBe(0);
    expect(pck3d(translate(gt, [0, 0, 200]), gt)).toBe(1);
    expect(absPck3d(translate(gt, [0, 0, 200]), gt, { thresholdMm: 250 })).toBe(1);
    expect(absPck3d(PRED, GT, { thresholdMm: 20, valid: [1, 0] })).toBe(1);
  });
});

describe('mrpe', () => {
  it('reports the mean root error and per-axis absolute errors', () => {
    const gt = [
      [0, 0, 0],
      [5, 5, 5],
    ];
    const pred = [
      [10, -20, 30],
      [5, 5, 5],
    ];
    const single = mrpe(pred, gt);
    expect(single).toMatchObject({ x: 10, y: 20, z: 30 });
    expect(single.mean).toBeCloseTo(Math.hypot(10, 20, 30), 12);
    expect(mrpe(pred, gt, { root: 1 })).toEqual({ mean: 0, x: 0, y: 0, z: 0 });
    const batch = mrpe([pred, translate(gt, [0, 0, -60])], [gt, gt]);
    expect(batch.x).toBe(5);
    expect(batch.y).toBe(10);
    expect(batch.z).toBe(45);
    expect(batch.mean).toBeCloseTo((Math.hypot(10, 20, 30) + 60) / 2, 12);
    // Root positions alone, as N × 1 × 3.
    expect(mrpe([[[1, 2, 3]], [[0, 0, 0]]], [[[0, 0, 0]], [[0, 0, 4]]]).z).toBe(3.5);
  });
});

describe('pck2d / pckh', () => {
  const gt2 = [
    [0, 0],
    [10, 0],
  ];
  const pred2 = [
    [3, 4],
    [10, 20],
  ]; // errors 5 and 20

  it('matches hand-computed values', () => {
    expect(pck2d(pred2, gt2, { threshold: 0.5, referenceLengths: [20] })).toBe(0.5);
    expect(pck2d(pred2, gt2, { threshold: 1, referenceLengths: [20] })).toBe(1);
    expect(pck2d(pred2, gt2, { threshold: 0.2, referenceLengths: 20 })).toBe(0);
    expect(pck2d(pred2, gt2, { threshold: 0.25, referenceLengths: 20 })).toBe(0.5); // inclusive
    // Per-pose reference lengths.
    expect(pck2d([pred2, pred2], [gt2, gt2], { threshold: 0.5, referenceLengths: [20, 40] })).toBe(
      0.75,
    );
    expect(pckh(pred2, gt2, [40])).toBe(1);
    expect(pckh(pred2, gt2, [40], { threshold: 0.1 })).toBe(0);
    expect(pckh(pred2, gt2, [20], { valid: [0, 1] })).toBe(0);
  });

  it('validates reference lengths and thresholds', () => {
    expect(codeOf(() => pck2d(pred2, gt2, { threshold: 0.5, referenceLengths: [1, 2] }))).toBe(
      'shape',
    );
    expect(codeOf(() => pck2d(pred2, gt2, { threshold: 0.5, referenceLengths: [0] }))).toBe(
      'degenerate',
    );
    expect(codeOf(() => pckh(pred2, gt2, [Number.NaN]))).toBe('non-finite');
    expect(codeOf(() => pckh(pred2, gt2, [10], { threshold: -1 }))).toBe('invalid-option');
    expect(codeOf(() => pckh(PRED, GT, [10]))).toBe('shape'); // 3D points where 2D are expected
  });
});

describe('input validation', () => {
  it('rejects mismatched shapes, naming both', () => {
    const three = [...GT, [1, 1, 1]];
    expect(codeOf(() => mpjpe(PRED, three))).toBe('shape');
    expect(() => mpjpe(PRED, three)).toThrowError(/1 × 2 × 3.*1 × 3 × 3/);
    expect(codeOf(() => mpjpe([PRED, PRED], [GT]))).toBe('shape');
    expect(codeOf(() => pck3d([[1, 2]], [[1, 2]]))).toBe('shape');
    expect(codeOf(() => mpjpe(PRED, GT, { valid: [1, 1, 1] }))).toBe('shape');
    expect(codeOf(() => mpjpe([PRED, PRED], [GT, GT], { valid: [[1, 1]] }))).toBe('shape');
  });

  it('rejects non-finite coordinates', () => {
    const bad = [
      [0, 0, 0],
      [Number.NaN, 0, 0],
    ];
    for (const fn of [mpjpe, paMpjpe, nMpjpe, pck3d, auc3d, absPck3d, perJointErrors]) {
      expect(codeOf(() => fn(bad, GT))).toBe('non-finite');
      expect(codeOf(() => fn(GT, bad))).toBe('non-finite');
    }
    expect(codeOf(() => mrpe(bad, GT))).toBe('non-finite');
  });

  it('throws instead of returning NaN when nothing is valid', () => {
    for (const fn of [mpjpe, paMpjpe, nMpjpe, pck3d, auc3d, absPck3d]) {
      expect(codeOf(() => fn(PRED, GT, { valid: [0, 0] }))).toBe('degenerate');
      expect(codeOf(() => fn([], []))).toBe('degenerate');
    }
    expect(codeOf(() => mrpe([], []))).toBe('degenerate');
    expect(codeOf(() => pckh([], [], []))).toBe('degenerate');
  });

  it('rejects bad options', () => {
    expect(codeOf(() => mpjpe(PRED, GT, { root: 2 }))).toBe('invalid-option');
    expect(codeOf(() => mpjpe(PRED, GT, { root: -1 }))).toBe('invalid-option');
    expect(codeOf(() => mpjpe(PRED, GT, { root: 0.5 }))).toBe('invalid-option');
    expect(codeOf(() => pck3d(PRED, GT, { thresholdMm: Number.NaN }))).toBe('invalid-option');
    expect(codeOf(() => auc3d(PRED, GT, { steps: 1 }))).toBe('invalid-option');
    expect(codeOf(() => auc3d(PRED, GT, { maxMm: -5 }))).toBe('invalid-option');
    expect(codeOf(() => mrpe(PRED, GT, { root: 3 }))).toBe('invalid-option');
  });
});
