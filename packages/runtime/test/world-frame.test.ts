import { Camera, canonicalReferencePoseMm, getSkeleton } from '@metrabs/core';
import {
  ANKLE_HEIGHT_MM,
  cameraToWorldPoints,
  createVideoTracker,
  estimateWorldFrame,
  FloorFeet,
  GroundPlaneError,
  worldFrameFromGround,
} from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { CAMERA, randomSource, type Walker, walkingScene } from '../../../test-support/walkers.js';

const SKELETON = getSkeleton('smpl+head_30');
const NAMES = SKELETON.jointNames;
const [LANK, RANK] = [NAMES.indexOf('lank'), NAMES.indexOf('rank')] as [number, number];
const deg = Math.PI / 180;
/**
 * walkers.ts stands people with their lowest joint (the toe bases, 25 mm above the sole in the
 * reference body) on its floor; the soles are this much lower.
 */
const REFERENCE = canonicalReferencePoseMm();
const SOLE_MM = ANKLE_HEIGHT_MM - (Math.max(...REFERENCE.map((p) => p[1]!)) - REFERENCE[LANK]![1]!);

/**
 * Level-camera points (walkers.ts: y down, floor at y = CAMERA.floorYMm) as seen by a camera at
 * the same place raised to `heightMm`, pitched down by `tiltDeg` and rolled by `rollDeg`.
 */
function tiltedCamera(heightMm: number, tiltDeg: number, rollDeg: number) {
  const t = tiltDeg * deg;
  const r = rollDeg * deg;
  const z = [0, Math.sin(t), Math.cos(t)];
  const y0 = [0, Math.cos(t), -Math.sin(t)];
  const x0 = [1, 0, 0];
  const x = x0.map((v, k) => Math.cos(r) * v + Math.sin(r) * y0[k]!);
  const y = x0.map((v, k) => -Math.sin(r) * v + Math.cos(r) * y0[k]!);
  const lift = heightMm - CAMERA.floorYMm;
  return (p: readonly number[]) => {
    const d = [p[0]!, p[1]! + lift, p[2]!];
    return [x, y, z].map((row) => row[0]! * d[0]! + row[1]! * d[1]! + row[2]! * d[2]!);
  };
}

/** Five people walking about a 9 × 11 m square (in the level camera's view), 8 s at 10 fps. */
const WALKERS: Walker[] = [
  { start: [-2000, 5000], velocity: [500, 600] },
  { start: [4000, 14000], velocity: [-900, -300] },
  { start: [0, 16000], velocity: [200, -1000] },
  { start: [-5000, 10000], velocity: [800, 500] },
  { start: [2500, 6000], velocity: [-600, 400] },
];

/** Per frame, the people's camera-frame poses: the model's kind of noise, shuffled. */
function scene(heightMm: number, tiltDeg: number, rollDeg: number, seed: number) {
  const view = tiltedCamera(heightMm, tiltDeg, rollDeg);
  return walkingScene({ walkers: WALKERS, frames: 80, fps: 10, seed, depthNoise: 0.03 }).map(
    (frame) => frame.detections.map((d) => ({ ...d, pose3d: d.pose3d.map(view) })),
  );
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

describe('estimateWorldFrame', () => {
  it.each([
    [1500, 0, 0],
    [3000, 15, 2],
    [6000, 30, -4],
    [9000, 40, 0],
  ])(
    'camera %i mm high, tilted %i°, rolled %i°: found, standing people’s ankles at their height above y = 0',
    (height, tilt, roll) => {
      const feet = new FloorFeet(NAMES);
      const frames = scene(height, tilt, roll, height + tilt);
      for (const people of frames) feet.add(people.map((d) => d.pose3d));
      const world = estimateWorldFrame(feet.feet);
      expect(Math.abs(world.cameraHeightMm - (height + SOLE_MM))).toBeLessThan(0.02 * height);
      expect(Math.abs(world.tiltDeg - tilt)).toBeLessThan(1);
      expect(Math.abs(world.rollDeg + roll)).toBeLessThan(1);
      // Every ankle of everyone (both feet are down: the walkers stand) in the world frame.
      const ankles = frames.flatMap((people) =>
        cameraToWorldPoints(
          people.flatMap((d) => [d.pose3d[LANK]!, d.pose3d[RANK]!]),
          world,
        ),
      );
      const heights = ankles.map((p) => p[1]!);
      expect(Math.abs(median(heights) - ANKLE_HEIGHT_MM)).toBeLessThan(30);
      // The camera sits at (0, height, 0) and looks along −z, level in x.
      const [centre] = cameraToWorldPoints([[0, 0, 0]], world);
      expect(centre![0]).toBeCloseTo(0, 6);
      expect(centre![1]).toBeCloseTo(world.cameraHeightMm, 6);
      const [ahead] = cameraToWorldPoints([[0, 0, 1000]], world);
      expect(Math.abs(ahead![0]!)).toBeLessThan(1e-6);
      expect(ahead![2]!).toBeLessThan(0);
    },
  );

  it('works on the tracker’s filtered poses as metrabs video gives them', () => {
    const feet = new FloorFeet(NAMES);
    const tracker = createVideoTracker({ edges: SKELETON.edges });
    const frames = scene(4000, 20, 0, 3);
    const world = { ankles: [] as number[][][] };
    frames.forEach((people, f) => {
      const tracked = tracker.update(
        {
          boxes: people.map((d) => d.box),
          poses3d: people.map((d) => d.pose3d),
          poses2d: people.map((d) => d.pose2d),
        },
        f / 10,
      );
      feet.add(tracked.poses3d);
      world.ankles.push(...tracked.poses3d.map((p) => [p[LANK]!, p[RANK]!]));
    });
    const frame = estimateWorldFrame(feet.feet);
    expect(Math.abs(frame.cameraHeightMm - (4000 + SOLE_MM))).toBeLessThan(80);
    expect(Math.abs(frame.tiltDeg - 20)).toBeLessThan(1);
    const heights = world.ankles.flatMap((a) => cameraToWorldPoints(a, frame).map((p) => p[1]!));
    expect(Math.abs(median(heights) - ANKLE_HEIGHT_MM)).toBeLessThan(30);
  });

  it('its extrinsic matrix is a camera file’s: the core Camera maps the world points back', () => {
    const world = worldFrameFromGround({
      up: [0.05, -0.9, -Math.sqrt(1 - 0.05 ** 2 - 0.81)],
      cameraHeightMm: 4920,
      tiltDeg: 0,
      rollDeg: 0,
      inliers: 10,
      candidates: 10,
      rmsMm: 0,
      spreadMm: [1000, 1000],
    });
    expect(world.cameraHeightMm).toBe(5000);
    const camera = new Camera({
      intrinsicMatrix: [
        [1000, 0, 500],
        [0, 1000, 500],
        [0, 0, 1],
      ],
      extrinsicMatrix: world.extrinsicMatrix,
    });
    const points = [
      [100, 1200, 7000],
      [-3000, 4000, 20000],
    ];
    const back = camera.worldToCamera(cameraToWorldPoints(points, world));
    back.flat().forEach((v, i) => {
      expect(v).toBeCloseTo(points.flat()[i]!, 6);
    });
  });
});

describe('estimateWorldFrame says why there is no floor', () => {
  it('too few feet (the first frames of a clip, one person)', () => {
    const feet = new FloorFeet(NAMES);
    for (const people of scene(3000, 15, 0, 1).slice(0, 4)) {
      feet.add(people.slice(0, 1).map((d) => d.pose3d));
    }
    expect(() => estimateWorldFrame(feet.feet)).toThrow(GroundPlaneError);
    expect(() => estimateWorldFrame(feet.feet)).toThrow(/no floor found: 4 foot positions.*30/);
  });

  it('feet along one line (one person walking straight): the tilt about it is unknown', () => {
    const feet = new FloorFeet(NAMES);
    const view = tiltedCamera(3000, 15, 0);
    const line = walkingScene({
      walkers: [{ start: [0, 3000], velocity: [0, 1500] }],
      frames: 80,
      fps: 10,
      seed: 2,
      depthNoise: 0.03,
    });
    for (const frame of line) {
      feet.add(frame.detections.map((d) => d.pose3d.map(view)));
    }
    expect(() => estimateWorldFrame(feet.feet)).toThrow(/cover too little of the floor/);
  });

  it('nobody standing: ankles anywhere in a room (falling, lying, climbing, misestimated)', () => {
    const uniform = randomSource(5);
    const feet = new FloorFeet(['lank', 'rank']);
    for (let f = 0; f < 200; f++) {
      const ankle = () => [
        8000 * (uniform() - 0.5),
        3000 * (uniform() - 0.5),
        4000 + 8000 * uniform(),
      ];
      feet.add([[ankle(), ankle()]]);
    }
    expect(() => estimateWorldFrame(feet.feet)).toThrow(/lie on one plane.*nobody standing/);
  });

  it('a skeleton without ankles', () => {
    expect(() => new FloorFeet(['pelv', 'neck'])).toThrow(/no ankle joints/);
  });
});
