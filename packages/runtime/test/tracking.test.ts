import {
  exponentialFilter,
  greedyAssignment,
  optimalAssignment,
  PoseTracker,
  trackingScores,
} from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { runScene, SCENES } from '../../../test-support/tracking-scenes.js';
import { walkingScene } from '../../../test-support/walkers.js';

const pose = (x: number, z = 3000) => [
  [x, 0, z],
  [x + 100, 500, z],
];
const pose2d = (u: number) => [
  [u, 10],
  [u + 5, 400],
];
const frame = (xs: number[]) => ({
  poses3d: xs.map((x) => pose(x)),
  poses2d: xs.map((x) => pose2d(x / 10)),
});

describe('assignment', () => {
  // The cheapest pair (0, 1) is wrong: taking it leaves row 1 only a forbidden pair.
  const cost = [
    [2, 1],
    [3, 9],
  ];

  it('finds the cheapest total where cheapest-first does not', () => {
    expect(optimalAssignment(cost, 5)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const trap = [
      [1, 0.5],
      [10, 1],
    ];
    expect(greedyAssignment(trap, 5)).toEqual([[0, 1]]);
    expect(optimalAssignment(trap, 5)).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('respects the gate, rectangles and empty input', () => {
    expect(optimalAssignment([[7, 1, 8]], 5)).toEqual([[0, 1]]);
    expect(optimalAssignment([[7], [9]], 5)).toEqual([]);
    expect(optimalAssignment([[Number.NaN, 2]], 5)).toEqual([[0, 1]]);
    expect(optimalAssignment([], 5)).toEqual([]);
    expect(() => optimalAssignment([[1, 2], [3]], 5)).toThrow(RangeError);
  });
});

describe('PoseTracker', () => {
  it('keeps ids for people that move a little, new ids for new people', () => {
    const t = new PoseTracker();
    expect(t.update(frame([0, 2000])).trackIds).toEqual([0, 1]);
    expect(t.update(frame([2100, 100])).trackIds).toEqual([1, 0]);
    expect(t.update(frame([200, -6000])).trackIds).toEqual([0, 2]);
  });

  it('keeps a track through a short absence, ends it after maxAge frames', () => {
    const t = new PoseTracker({ maxAge: 3 });
    t.update(frame([0]));
    for (let i = 0; i < 3; i++) t.update(frame([]));
    expect(t.update(frame([0])).trackIds).toEqual([0]);
    for (let i = 0; i < 4; i++) t.update(frame([]));
    expect(t.activeIds).toEqual([]);
    expect(t.update(frame([0])).trackIds).toEqual([1]);
  });

  it('rejects bad options and mismatched input with clear errors', () => {
    expect(() => new PoseTracker({ gateMm: 0 })).toThrow(/gateMm/);
    expect(() => new PoseTracker({ maxAge: 1.5 })).toThrow(/maxAge/);
    expect(() => new PoseTracker({ matching: 'best' as 'greedy' })).toThrow(/matching/);
    expect(() => exponentialFilter(0)).toThrow(RangeError);
    expect(() => new PoseTracker().update({ poses3d: [pose(0)], poses2d: [] })).toThrow(/2D poses/);
  });

  it('gives a person without finite joints a new track instead of NaN costs', () => {
    const t = new PoseTracker();
    t.update(frame([0]));
    const nan = [[Number.NaN, Number.NaN, Number.NaN]];
    expect(t.update({ poses3d: [nan], poses2d: [[[0, 0]]] }).trackIds).toEqual([1]);
  });

  it('smooths exponentially through exponentialFilter', () => {
    const t = new PoseTracker({ filter: exponentialFilter(0.25) });
    t.update(frame([0]));
    const out = t.update(frame([400]));
    expect(out.poses3d[0]![0]![0]).toBeCloseTo(100);
    expect(out.poses2d[0]![0]![0]).toBeCloseTo(10);
  });
});

describe('tracking synthetic walkers (test-support/walkers.ts)', () => {
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);

  it('X crossing at one depth: greedy matching switches ids, Hungarian never does', () => {
    const scene = SCENES['X crossing at the same depth, 25 fps']!;
    const greedy = seeds.map((s) => runScene(scene, s, { matching: 'greedy' }).idSwitches);
    const hungarian = seeds.map((s) => runScene(scene, s, {}));
    expect(greedy.reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(hungarian.map((s) => s.idSwitches)).toEqual(seeds.map(() => 0));
    for (const s of hungarian) expect(s.idf1).toBe(1);
  });

  it('single file at 5 fps: greedy fails on most frames, Hungarian holds', () => {
    const scene = SCENES['single file, 5 fps']!;
    const greedy = runScene(scene, 1, { matching: 'greedy' });
    const hungarian = runScene(scene, 1, {});
    expect(greedy.idSwitches).toBeGreaterThan(3);
    expect(greedy.idf1).toBeLessThan(0.8);
    expect(hungarian.idSwitches).toBe(0);
    expect(hungarian.tracksPerPerson).toBe(1);
  });

  it('a full occlusion while crossing: the hidden person keeps their track', () => {
    const scene = SCENES['crossing, 1.5 m apart in depth']!;
    const hidden = walkingScene({ ...scene, seed: 1 }).filter(
      (f) => f.detections.length < f.truthIds.length,
    );
    expect(hidden.length).toBeGreaterThanOrEqual(5);
    for (const seed of seeds) {
      const s = runScene(scene, seed, {});
      expect(s.fragmentations).toBe(1); // the occlusion itself
      expect(s.idSwitches).toBe(0);
      expect(s.tracksPerPerson).toBe(1);
      expect(s.mota).toBeGreaterThan(0.98);
    }
    // Too short a memory loses the person behind the other.
    const forgetful = runScene(scene, 1, { maxAge: 3 });
    expect(forgetful.tracksPerPerson).toBeGreaterThan(1);
  });

  it('three people crossing and overtaking keep their ids', () => {
    for (const name of ['three crossing', 'overtaking', 'passing side by side, 0.4 m apart']) {
      for (const seed of seeds.slice(0, 10)) {
        expect(runScene(SCENES[name]!, seed, {}).idSwitches, `${name}, seed ${seed}`).toBe(0);
      }
    }
  });
});

describe('trackingScores', () => {
  it('counts switches, fragmentations, misses and IDF1 by hand', () => {
    const s = trackingScores([
      {
        truthIds: [0, 1],
        outputs: [
          { trackId: 5, truthId: 0 },
          { trackId: 6, truthId: 1 },
        ],
      },
      { truthIds: [0, 1], outputs: [{ trackId: 5, truthId: 0 }] },
      {
        truthIds: [0, 1],
        outputs: [
          { trackId: 5, truthId: 0 },
          { trackId: 7, truthId: 1 },
        ],
      },
      {
        truthIds: [0, 1],
        outputs: [{ trackId: 5, truthId: 0 }, { trackId: 7, truthId: 1 }, { trackId: 9 }],
      },
    ]);
    expect(s).toMatchObject({ truth: 8, outputs: 8, misses: 1, falsePositives: 1, idSwitches: 1 });
    expect(s.fragmentations).toBe(1);
    expect(s.tracksPerPerson).toBe(1.5);
    expect(s.mota).toBeCloseTo(1 - 3 / 8);
    // Best mapping: 0↔5 (4 frames), 1↔7 (2 frames).
    expect(s.idf1).toBeCloseTo((2 * 6) / 16);
  });
});
