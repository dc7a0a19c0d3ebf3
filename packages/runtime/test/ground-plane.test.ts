import { estimateGroundPlane, footCandidates, GroundPlaneError } from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { gaussianSource, randomSource } from '../../../test-support/walkers.js';

/** World: y up, floor y = 0. A camera at `heightMm`, looking along +z, pitched down and rolled. */
function camera(heightMm: number, tiltDeg: number, rollDeg: number) {
  const t = (tiltDeg * Math.PI) / 180;
  const r = (rollDeg * Math.PI) / 180;
  const z = [0, -Math.sin(t), Math.cos(t)];
  const y0 = [0, -Math.cos(t), -Math.sin(t)];
  const x0 = [1, 0, 0];
  const x = x0.map((v, k) => Math.cos(r) * v + Math.sin(r) * y0[k]!);
  const y = x0.map((v, k) => -Math.sin(r) * v + Math.cos(r) * y0[k]!);
  return (p: number[]) => {
    const d = [p[0]!, p[1]! - heightMm, p[2]!];
    return [x, y, z].map((row) => row[0]! * d[0]! + row[1]! * d[1]! + row[2]! * d[2]!) as [
      number,
      number,
      number,
    ];
  };
}

/** Two walkers' ankles over 4 s: one foot on the floor, the other swinging up to 250 mm. */
function ankleTracks(toCamera: (p: number[]) => number[][] | number[], seed: number): number[][][] {
  const gauss = gaussianSource(seed);
  const uniform = randomSource(seed);
  const poses: number[][][] = [];
  for (let f = 0; f < 100; f++) {
    for (const [x0, z0, vx] of [
      [-1500, 4000, 30],
      [1500, 6500, -25],
    ] as const) {
      const x = x0 + vx * f;
      const swing = 250 * Math.max(0, Math.sin(f / 3)) * uniform();
      const ankle = (side: number, lift: number) =>
        toCamera([
          x + 100 * side + 15 * gauss(),
          80 + lift + 15 * gauss(),
          z0 + 15 * gauss(),
        ]) as number[];
      poses.push(f % 2 ? [ankle(-1, swing), ankle(1, 0)] : [ankle(-1, 0), ankle(1, swing)]);
    }
  }
  return poses;
}

describe('estimateGroundPlane', () => {
  it.each([
    [2500, 20, 0],
    [1600, 5, 3],
    [4000, 35, -6],
  ])(
    'camera %i mm high, tilted %i°, rolled %i°: found within 30 mm and 1°',
    (height, tilt, roll) => {
      const toCamera = camera(height, tilt, roll);
      const feet = footCandidates(ankleTracks(toCamera, height), [0, 1]);
      const plane = estimateGroundPlane(feet);
      // The ankle joint is 80 mm above the floor: the plane of ankles is that much closer.
      expect(Math.abs(plane.cameraHeightMm - (height - 80))).toBeLessThan(30);
      expect(Math.abs(plane.tiltDeg - tilt)).toBeLessThan(1);
      expect(Math.abs(plane.rollDeg + roll)).toBeLessThan(1);
      expect(plane.inliers / plane.candidates).toBeGreaterThan(0.7);
      expect(plane.rmsMm).toBeLessThan(30);
    },
  );

  it('ignores a quarter of wild feet (jumps, misestimated ankles)', () => {
    const toCamera = camera(3000, 15, 0);
    const uniform = randomSource(4);
    const feet = footCandidates(ankleTracks(toCamera, 7), [0, 1]).map((p, i) =>
      i % 4 === 0 ? (p.map((v) => v + 800 * (uniform() - 0.5)) as typeof p) : p,
    );
    const plane = estimateGroundPlane(feet);
    expect(Math.abs(plane.cameraHeightMm - 2920)).toBeLessThan(30);
    expect(Math.abs(plane.tiltDeg - 15)).toBeLessThan(1);
  });

  it('says why when there are too few feet', () => {
    expect(() => estimateGroundPlane([[0, 1000, 3000]])).toThrow(GroundPlaneError);
    expect(() => estimateGroundPlane([[0, 1000, 3000]])).toThrow(/need at least 10/);
    expect(footCandidates([[[Number.NaN, 0, 0]]], [0, 1])).toEqual([]);
  });
});
