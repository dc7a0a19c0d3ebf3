import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { det3 } from '../src/mat3.js';
import {
  applyRigidTransform,
  procrustesAlign,
  procrustesAlignBatch,
  procrustesTransform,
} from '../src/procrustes.js';
import { codeOf, maxAbs, maxAbsDiff } from './assertions.js';
import { makeRng, randomPose, randomRotation } from './random.js';

/** scale · p · R + t for each row p. */
function transform(pose: number[][], R: ArrayLike<number>, t: number[], scale = 1): number[][] {
  return pose.map((p) =>
    [0, 1, 2].map((c) => scale * (p[0]! * R[c]! + p[1]! * R[3 + c]! + p[2]! * R[6 + c]!) + t[c]!),
  );
}

function sse(a: number[][], b: number[][], valid?: ArrayLike<boolean | number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (valid && !valid[i]) continue;
    for (let c = 0; c < 3; c++) s += (a[i]![c]! - b[i]![c]!) ** 2;
  }
  return s;
}

const MIRROR_X = [-1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('procrustesTransform / procrustesAlign', () => {
  it('recovers a known rotation and translation exactly', () => {
    const rng = makeRng(11);
    for (let trial = 0; trial < 20; trial++) {
      const gt = randomPose(rng, 17, 4000);
      const R = randomRotation(rng);
      const t = [rng.normal() * 500, rng.normal() * 500, rng.normal() * 500];
      const pred = transform(gt, R, t);
      const aligned = procrustesAlign(pred, gt);
      expect(maxAbsDiff(aligned, gt) / maxAbs(gt)).toBeLessThan(1e-12);
      // The transform found is the inverse of the one applied: pred = gt·R + t.
      const tr = procrustesTransform(pred, gt);
      expect(tr.scale).toBe(1);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) expect(tr.rotation[r * 3 + c]).toBeCloseTo(R[c * 3 + r]!, 12);
      }
      expect(maxAbsDiff(applyRigidTransform(pred, tr), gt) / maxAbs(gt)).toBeLessThan(1e-12);
    }
  });

  it('recovers a known similarity transform exactly (scale on)', () => {
    const rng = makeRng(12);
    for (let trial = 0; trial < 20; trial++) {
      const gt = randomPose(rng, 17, 4000);
      const R = randomRotation(rng);
      const s = rng.uniform(0.3, 2.3);
      const pred = transform(gt, R, [100, -200, 1500], s);
      const tr = procrustesTransform(pred, gt, { scale: true });
      expect(tr.scale).toBeCloseTo(1 / s, 12);
      expect(det3(tr.rotation)).toBeCloseTo(1, 12);
      const aligned = procrustesAlign(pred, gt, { scale: true });
      expect(maxAbsDiff(aligned, gt) / maxAbs(gt)).toBeLessThan(1e-12);
      // Without scale, a scaled pose can not be matched exactly.
      expect(maxAbsDiff(procrustesAlign(pred, gt), gt)).toBeGreaterThan(1);
    }
  });

  it('never increases the squared error', () => {
    const rng = makeRng(13);
    for (let trial = 0; trial < 30; trial++) {
      const gt = randomPose(rng, 17, 4000);
      const pred =
        trial % 2 ? randomPose(rng, 17, 4000) : transform(gt, randomRotation(rng), [5, 6, 7]);
      for (const p of pred) for (let c = 0; c < 3; c++) p[c] = p[c]! + 40 * rng.normal();
      const before = sse(pred, gt);
      const rigid = sse(procrustesAlign(pred, gt), gt);
      const similarity = sse(procrustesAlign(pred, gt, { scale: true }), gt);
      const mirrored = sse(procrustesAlign(pred, gt, { scale: true, reflection: true }), gt);
      expect(rigid).toBeLessThanOrEqual(before * (1 + 1e-12));
      expect(similarity).toBeLessThanOrEqual(rigid * (1 + 1e-12));
      expect(mirrored).toBeLessThanOrEqual(similarity * (1 + 1e-12));
    }
  });

  it('does not mirror without reflection, and does with it', () => {
    const rng = makeRng(14);
    for (let trial = 0; trial < 10; trial++) {
      const gt = randomPose(rng, 17, 4000);
      const R = randomRotation(rng);
      // A mirrored copy of gt, then rotated: only a reflection can undo it.
      const pred = transform(transform(gt, MIRROR_X, [0, 0, 0]), R, [30, 40, 50]);
      for (const scale of [false, true]) {
        const proper = procrustesTransform(pred, gt, { scale });
        expect(det3(proper.rotation)).toBeCloseTo(1, 12);
        const aligned = procrustesAlign(pred, gt, { scale });
        expect(maxAbsDiff(aligned, gt)).toBeGreaterThan(1); // a mirror image can not be rotated onto gt
        const improper = procrustesTransform(pred, gt, { scale, reflection: true });
        expect(det3(improper.rotation)).toBeCloseTo(-1, 12);
        expect(improper.scale).toBeCloseTo(1, 12);
        const exact = procrustesAlign(pred, gt, { scale, reflection: true });
        expect(maxAbsDiff(exact, gt) / maxAbs(gt)).toBeLessThan(1e-12);
        if (scale) {
          // The flip of the smallest singular direction must also shrink the optimal scale.
          expect(proper.scale).toBeLessThan(1);
        }
      }
    }
  });

  it('ignores masked-out joints in the fit but transforms them', () => {
    const rng = makeRng(15);
    const gt = randomPose(rng, 20, 4000);
    const R = randomRotation(rng);
    const pred = transform(gt, R, [10, 20, 30], 1.2);
    const valid = gt.map((_, i) => i % 4 !== 1);
    // Corrupt the masked joints: the fit must not change.
    const corrupted = pred.map((p, i) => (valid[i] ? p : p.map((v) => v + 5000 * rng.normal())));
    const clean = procrustesTransform(pred, gt, { scale: true, valid });
    const withGarbage = procrustesTransform(corrupted, gt, { scale: true, valid });
    for (let k = 0; k < 9; k++) expect(withGarbage.rotation[k]).toBeCloseTo(clean.rotation[k]!, 12);
    expect(withGarbage.scale).toBeCloseTo(clean.scale, 12);
    const aligned = procrustesAlign(corrupted, gt, { scale: true, valid });
    for (let i = 0; i < gt.length; i++) {
      if (valid[i]) {
        for (let c = 0; c < 3; c++) expect(aligned[i]![c]).toBeCloseTo(gt[i]![c]!, 8);
      } else {
        // Transformed with the same map as the valid joints.
        const expected = applyRigidTransform([corrupted[i]!], clean)[0]!;
        for (let c = 0; c < 3; c++) expect(aligned[i]![c]).toBeCloseTo(expected[c]!, 8);
        expect(Math.abs(aligned[i]![0]! - gt[i]![0]!)).toBeGreaterThan(0);
      }
    }
    // Masks given as 0/1 numbers behave the same.
    const numeric = procrustesAlign(corrupted, gt, { scale: true, valid: valid.map(Number) });
    expect(maxAbsDiff(numeric, aligned)).toBe(0);
  });

  it('aligns coplanar and collinear point sets without NaN', () => {
    const rng = makeRng(16);
    const plane = Array.from({ length: 12 }, () => [300 * rng.normal(), 300 * rng.normal(), 1000]);
    const R = randomRotation(rng);
    const pred = transform(plane, R, [1, 2, 3], 0.8);
    for (const reflection of [false, true]) {
      const tr = procrustesTransform(pred, plane, { scale: true, reflection });
      expect(det3(tr.rotation)).toBeCloseTo(1, 12); // proper rotation preferred when ambiguous
      expect(tr.scale).toBeCloseTo(1.25, 12);
      const aligned = procrustesAlign(pred, plane, { scale: true, reflection });
      expect(maxAbsDiff(aligned, plane) / maxAbs(plane)).toBeLessThan(1e-12);
    }
    const line = Array.from({ length: 8 }, (_, i) => [i * 10, i * 20 - 5, i * 5 + 100]);
    const predLine = transform(line, R, [7, 8, 9], 2);
    const alignedLine = procrustesAlign(predLine, line, { scale: true });
    expect(maxAbsDiff(alignedLine, line) / maxAbs(line)).toBeLessThan(1e-12);
    // Two valid joints define only a line.
    const valid = line.map((_, i) => i === 2 || i === 6);
    const two = procrustesTransform(predLine, line, { scale: true, valid });
    expect(det3(two.rotation)).toBeCloseTo(1, 12);
    expect(two.scale).toBeCloseTo(0.5, 12);
  });

  it('uses identity rotation and scale 1 for zero spread (single or coincident joints)', () => {
    const gt = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 10],
    ];
    const pred = [
      [0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1],
    ];
    for (const options of [{}, { scale: true }, { scale: true, reflection: true }]) {
      const tr = procrustesTransform(pred, gt, options);
      expect(Array.from(tr.rotation)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      expect(tr.scale).toBe(1);
      // Pure translation of the mean onto the mean.
      const expected = [4 - 0.1, 5 - 0.1, 19 / 3 - 0.1]; // mean(gt) − mean(pred)
      for (let c = 0; c < 3; c++) expect(tr.translation[c]).toBeCloseTo(expected[c]!, 12);
      expect(procrustesAlign(gt, pred, options).flat().every(Number.isFinite)).toBe(true);
    }
    // A single valid joint: pure translation.
    const one = procrustesAlign(gt, pred, { valid: [0, 1, 0] });
    expect(one[1]).toEqual([0.1, 0.1, 0.1]);
    expect(one[0]![0]! - one[1]![0]!).toBeCloseTo(-3, 12);
  });

  it('rejects bad input with the right error code', () => {
    const a = [
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
    ];
    expect(codeOf(() => procrustesAlign(a, a.slice(0, 2)))).toBe('shape');
    expect(codeOf(() => procrustesAlign([[0, 0]], [[0, 0]]))).toBe('shape');
    expect(codeOf(() => procrustesAlign(a, a, { valid: [1, 1] }))).toBe('shape');
    expect(codeOf(() => procrustesAlign(a, a, { valid: [0, 0, 0] }))).toBe('degenerate');
    expect(codeOf(() => procrustesAlign([], []))).toBe('degenerate');
    const bad = a.map((p) => [...p]);
    bad[1]![2] = Number.NaN;
    expect(codeOf(() => procrustesAlign(bad, a))).toBe('non-finite');
    expect(codeOf(() => procrustesAlign(a, bad, { valid: [1, 0, 1] }))).toBe('non-finite');
  });
});

describe('procrustesAlignBatch', () => {
  it('matches the single-pose function pose by pose, with masks and in place', () => {
    const rng = makeRng(21);
    const n = 5;
    const j = 9;
    const pred = new Float64Array(n * j * 3);
    const gt = new Float32Array(n * j * 3);
    const valid = new Uint8Array(n * j);
    const posesP: number[][][] = [];
    const posesG: number[][][] = [];
    const masks: number[][] = [];
    for (let k = 0; k < n; k++) {
      const g = randomPose(rng, j, 4000).map((p) => p.map((v) => Math.fround(v)));
      const p = transform(g, randomRotation(rng), [1, 2, 3], 1.1).map((q) =>
        q.map((v) => v + 20 * rng.normal()),
      );
      const m = g.map((_, i) => ((i + k) % 3 !== 0 ? 1 : 0));
      posesP.push(p);
      posesG.push(g);
      masks.push(m);
      for (let i = 0; i < j; i++) {
        valid[k * j + i] = m[i]!;
        for (let c = 0; c < 3; c++) {
          pred[(k * j + i) * 3 + c] = p[i]![c]!;
          gt[(k * j + i) * 3 + c] = g[i]![c]!;
        }
      }
    }
    const options = { scale: true, valid };
    const out = procrustesAlignBatch(pred, gt, n, j, options);
    for (let k = 0; k < n; k++) {
      const single = procrustesAlign(posesP[k]!, posesG[k]!, { scale: true, valid: masks[k]! });
      for (let i = 0; i < j; i++) {
        for (let c = 0; c < 3; c++) {
          expect(out[(k * j + i) * 3 + c]).toBeCloseTo(single[i]![c]!, 9);
        }
      }
    }
    // In place (out === pred) gives identical results.
    const inPlace = Float64Array.from(pred);
    expect(procrustesAlignBatch(inPlace, gt, n, j, options, inPlace)).toBe(inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(out));
    // A per-joint mask of length j is shared by all poses.
    const shared = procrustesAlignBatch(pred, gt, n, j, { valid: masks[0]! });
    const first = procrustesAlign(posesP[1]!, posesG[1]!, { valid: masks[0]! });
    expect(shared[j * 3]).toBeCloseTo(first[0]![0]!, 9);
  });

  it('validates sizes and reports the pose without valid joints', () => {
    const p = new Float64Array(2 * 3 * 3).map((_, i) => (i * 7) % 5);
    expect(codeOf(() => procrustesAlignBatch(p, p, 2, 4))).toBe('shape');
    expect(codeOf(() => procrustesAlignBatch(p, p.subarray(1), 2, 3))).toBe('shape');
    expect(codeOf(() => procrustesAlignBatch(p, p, 2, 3, {}, new Float64Array(3)))).toBe('shape');
    expect(codeOf(() => procrustesAlignBatch(p, p, 2, 3, { valid: new Uint8Array(5) }))).toBe(
      'shape',
    );
    expect(codeOf(() => procrustesAlignBatch(p, p, 1.5, 3))).toBe('invalid-option');
    const valid = Uint8Array.from([1, 1, 1, 0, 0, 0]);
    expect(() => procrustesAlignBatch(p, p, 2, 3, { valid })).toThrowError(/pose 1/);
    const nan = Float64Array.from(p);
    nan[4] = Number.POSITIVE_INFINITY;
    expect(codeOf(() => procrustesAlignBatch(nan, p, 2, 3))).toBe('non-finite');
    expect(procrustesAlignBatch(new Float64Array(0), new Float64Array(0), 0, 3)).toHaveLength(0);
  });
});

interface GoldenCase {
  name: string;
  scale: boolean;
  reflection: boolean;
  valid: number[] | null;
  pred: number[][];
  gt: number[][];
  expected: { aligned: number[][]; scale: number; rotation: number[][] | null };
}

describe('golden vectors (NumPy SVD, training/golden/make_golden_procrustes.py)', () => {
  const golden = JSON.parse(
    readFileSync(new URL('../../../fixtures/golden/procrustes.json', import.meta.url), 'utf8'),
  ) as { tolerance: number; cases: GoldenCase[] };

  it('has the expected cases', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(20);
    const names = golden.cases.map((c) => c.name).join(' ');
    for (const kind of ['masked', 'mirrored', 'coplanar', 'similarity']) {
      expect(names).toContain(kind);
    }
  });

  for (const c of golden.cases) {
    it(`agrees with NumPy: ${c.name}`, () => {
      const options = {
        scale: c.scale,
        reflection: c.reflection,
        ...(c.valid ? { valid: c.valid } : {}),
      };
      const tol = golden.tolerance;
      // Relative to the magnitude of the pose (coordinates near zero make per-entry relative
      // errors meaningless).
      const ref = maxAbs(c.expected.aligned);
      const aligned = procrustesAlign(c.pred, c.gt, options);
      expect(maxAbsDiff(aligned, c.expected.aligned) / ref).toBeLessThan(tol);
      const tr = procrustesTransform(c.pred, c.gt, options);
      expect(Math.abs(tr.scale - c.expected.scale) / c.expected.scale).toBeLessThan(tol);
      if (c.expected.rotation) {
        const flat = c.expected.rotation.flat();
        for (let k = 0; k < 9; k++) expect(Math.abs(tr.rotation[k]! - flat[k]!)).toBeLessThan(tol);
      }
      // The batch path agrees too.
      const j = c.pred.length;
      const batch = procrustesAlignBatch(
        Float64Array.from(c.pred.flat()),
        Float64Array.from(c.gt.flat()),
        1,
        j,
        { scale: c.scale, reflection: c.reflection, ...(c.valid ? { valid: c.valid } : {}) },
      );
      for (let i = 0; i < j; i++) {
        for (let d = 0; d < 3; d++) {
          expect(Math.abs(batch[i * 3 + d]! - c.expected.aligned[i]![d]!) / ref).toBeLessThan(tol);
        }
      }
    });
  }
});
