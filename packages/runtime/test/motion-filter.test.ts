import {
  exponentialFilter,
  MotionFilter,
  motionFilter,
  OneEuroFilter,
  PoseTracker,
} from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { accelerationError, mpjpe, noisyMotion } from '../../../test-support/noisy-motion.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { gaussianSource } from '../../../test-support/walkers.js';

describe('OneEuroFilter', () => {
  it('smooths a still point hard and follows a moving one with less lag as beta grows', () => {
    const gauss = gaussianSource(3);
    const still = new OneEuroFilter({ minCutoff: 1, beta: 0 }, 1);
    const outs: number[] = [];
    for (let f = 0; f < 300; f++) outs.push(still.filter([100 + 10 * gauss()], f / 30)[0]!);
    const tail = outs.slice(100);
    const sd = Math.sqrt(tail.reduce((s, v) => s + (v - 100) ** 2, 0) / tail.length);
    expect(sd).toBeLessThan(3.5); // input σ is 10

    const lag = (beta: number) => {
      const f1 = new OneEuroFilter({ minCutoff: 1, beta }, 1);
      let out = 0;
      for (let f = 0; f <= 60; f++) out = f1.filter([1000 * (f / 30)], f / 30)[0]!; // 1 m/s
      return 2000 - out;
    };
    expect(lag(0)).toBeGreaterThan(100);
    expect(lag(0.01)).toBeLessThan(lag(0) / 3);
  });

  it('restarts on a time step that is not positive and keeps the estimate through NaN', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0 }, 1);
    f.filter([0], 0);
    expect(f.filter([100], 0.1)[0]).toBeGreaterThan(0);
    expect(f.filter([500], 0.05)[0]).toBe(500); // backwards in time: start again
    expect(f.filter([Number.NaN], 0.1)[0]).toBe(500);
  });

  it('rejects bad parameters with the parameter named', () => {
    expect(() => new OneEuroFilter({ minCutoff: 0, beta: 0 }, 3)).toThrow(/minCutoff/);
    expect(() => new OneEuroFilter({ minCutoff: 1, beta: -1 }, 3)).toThrow(/beta/);
    expect(() => motionFilter({ boneWindow: 0 })).toThrow(/boneWindow/);
  });
});

describe('MotionFilter', () => {
  // A three-joint chain: root at 4 m, a 400 mm bone down, a 300 mm bone forward.
  const edges: [number, number][] = [
    [0, 1],
    [1, 2],
  ];
  const chain = (noise: () => number) => [
    [0, 0, 4000].map((v) => v + noise()),
    [0, 400, 4000].map((v) => v + noise()),
    [0, 400, 3700].map((v) => v + noise()),
  ];
  const length = (p: number[][], a: number, b: number) =>
    Math.hypot(...p[a]!.map((v, k) => v - p[b]![k]!));

  it('holds each bone at the median of its filtered lengths', () => {
    const gauss = gaussianSource(5);
    const filter = new MotionFilter({ edges });
    let out: number[][] = [];
    for (let f = 0; f < 120; f++)
      out = filter.filter(
        chain(() => 20 * gauss()),
        [],
        f / 30,
      ).pose3d;
    const held = filter.boneLengthsMm;
    expect(held[0]).toBeCloseTo(400, -1);
    expect(held[1]).toBeCloseTo(300, -1);
    expect(length(out, 0, 1)).toBeCloseTo(held[0]!, 6);
    expect(length(out, 1, 2)).toBeCloseTo(held[1]!, 6);
  });

  it('projects the filtered pose for 2D when given a camera, and checks the tree', () => {
    const project = (pose: number[][]) =>
      pose.map((p) => [(1000 * p[0]!) / p[2]!, (1000 * p[1]!) / p[2]!]);
    const filter = new MotionFilter({ edges, project });
    const out = filter.filter(
      chain(() => 0),
      [[9, 9]],
      0,
    );
    expect(out.pose2d).toEqual(project(out.pose3d));
    expect(() =>
      new MotionFilter({
        edges: [
          [0, 1],
          [2, 1],
        ],
      }).filter(
        chain(() => 0),
        [],
        0,
      ),
    ).toThrow(/not a tree/);
    expect(() =>
      new MotionFilter({ edges: [[0, 1]] }).filter(
        chain(() => 0),
        [],
        0,
      ),
    ).toThrow(/2 roots/);
  });

  it('stays finite when a frame has no usable joints', () => {
    const filter = new MotionFilter({ edges });
    filter.filter(
      chain(() => 0),
      [],
      0,
    );
    const nan = chain(() => Number.NaN);
    const out = filter.filter(nan, [], 1 / 30).pose3d;
    expect(out.flat().every(Number.isFinite)).toBe(true);
  });

  it('runs per track inside PoseTracker', () => {
    const t = new PoseTracker({ filter: motionFilter({ edges }) });
    const p2 = [
      [0, 0],
      [0, 100],
      [0, 110],
    ];
    t.update({ poses3d: [chain(() => 0)], poses2d: [p2] }, 0);
    const out = t.update({ poses3d: [chain(() => 30)], poses2d: [p2] }, 1 / 30);
    expect(out.trackIds).toEqual([0]);
    expect(out.poses3d[0]![0]![0]).toBeGreaterThan(0);
    expect(out.poses3d[0]![0]![0]).toBeLessThan(30);
  });
});

describe('on motion capture with model-like noise (test-support/noisy-motion.ts)', () => {
  const data = sharedData(['mocap/cmu', 'mocap/bandai'], 'motion-filter');
  it.skipIf(data.skip)(
    'cuts jitter by ≥ 3× without raising MPJPE, beating exponential smoothing',
    () => {
      // Clips of 10 s (punching, kicking) at 30 fps.
      for (const id of ['cmu/02_05', 'bandai/dataset-1_kick_normal_001']) {
        const seq = noisyMotion(id, { maxFrames: 300 });
        const filter = new MotionFilter({ edges: seq.edges });
        const filtered = seq.estimates.map((p, f) => filter.filter(p, [], f / seq.fps).pose3d);
        const exp = exponentialFilter(0.5)();
        const smoothed = seq.estimates.map((p, f) => exp.filter(p, [], f / seq.fps).pose3d);
        const rawAccel = accelerationError(seq.estimates, seq.truth);
        const accel = accelerationError(filtered, seq.truth);
        expect(rawAccel / accel, id).toBeGreaterThan(3);
        expect(accel, id).toBeLessThan(accelerationError(smoothed, seq.truth));
        expect(mpjpe(filtered, seq.truth), id).toBeLessThan(0.7 * mpjpe(seq.estimates, seq.truth));
        expect(mpjpe(filtered, seq.truth), id).toBeLessThan(mpjpe(smoothed, seq.truth));
        // Held bones: every frame has the same limb lengths.
        const last = filtered.at(-1)!;
        const [a, b] = seq.edges[8]!;
        expect(Math.hypot(...last[a]!.map((v, k) => v - last[b]![k]!))).toBeCloseTo(
          filter.boneLengthsMm[8]!,
          6,
        );
      }
    },
  );
});
