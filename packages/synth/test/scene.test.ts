import { Camera } from '@metrabs/core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/random.js';
import { swingRotation } from '../src/rotation.js';
import { DEFAULT_SCENE_OPTIONS, panTilt, placePeople, sampleCamera } from '../src/scene.js';

const apply = (R: Float64Array, v: number[]) =>
  [0, 1, 2].map((i) => R[i * 3]! * v[0]! + R[i * 3 + 1]! * v[1]! + R[i * 3 + 2]! * v[2]!);

describe('swingRotation', () => {
  it('turns one direction onto another, including opposite ones', () => {
    const rng = createRng('swing');
    for (let k = 0; k < 50; k++) {
      const a = [rng.normal(), rng.normal(), rng.normal()];
      const b = k === 0 ? a.map((x) => -x) : [rng.normal(), rng.normal(), rng.normal()];
      const R = swingRotation(a, b);
      const ra = apply(R, a);
      const la = Math.hypot(...a);
      const lb = Math.hypot(...b);
      for (let i = 0; i < 3; i++) expect(ra[i]! / la).toBeCloseTo(b[i]! / lb, 9);
      // Orthonormal with determinant +1.
      const det =
        R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) -
        R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) +
        R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
      expect(det).toBeCloseTo(1, 9);
    }
  });
});

describe('scene layout', () => {
  it('places people without overlapping footprints', () => {
    const rng = createRng('place');
    for (let trial = 0; trial < 20; trial++) {
      const radii = [0.4, 0.5, 0.3, 0.6];
      const placed = placePeople(rng, radii);
      expect(Math.hypot(placed[0]!.x, placed[0]!.z)).toBe(0);
      for (let i = 0; i < radii.length; i++) {
        for (let j = 0; j < i; j++) {
          const a = placed[i];
          const b = placed[j];
          if (!a || !b) continue;
          expect(Math.hypot(a.x - b.x, a.z - b.z)).toBeGreaterThanOrEqual(radii[i]! + radii[j]!);
        }
      }
    }
  });

  it('samples cameras within the configured ranges, looking at the group', () => {
    const rng = createRng('camera');
    for (let k = 0; k < 200; k++) {
      const cam = sampleCamera(rng, 512, 384, [1, 2], 1.7);
      const [lo, hi] = DEFAULT_SCENE_OPTIONS.fovDegrees;
      expect(cam.fovDegrees).toBeGreaterThanOrEqual(lo);
      expect(cam.fovDegrees).toBeLessThanOrEqual(hi);
      expect(cam.center[1]).toBeGreaterThanOrEqual(DEFAULT_SCENE_OPTIONS.heightM[0]);
      // The group centre (at mid height) is in front of the camera.
      const d = [1 - cam.center[0]!, 0.85 - cam.center[1]!, 2 - cam.center[2]!];
      expect(apply(cam.rotation, d)[2]).toBeGreaterThan(0);
      // Image "down" points down in the world: pitch up to ~65°, roll within ±9°.
      expect(cam.rotation[4]).toBeLessThan(-0.3);
      expect(Math.abs(cam.rotation[1]!)).toBeLessThan(Math.sin((10 * Math.PI) / 180));
    }
  });

  it('panTilt moves a point seen at one pixel to another', () => {
    const rng = createRng('pan');
    const cam = sampleCamera(rng, 512, 512, [0, 0], 1.7);
    const core = (c: typeof cam) =>
      new Camera({ intrinsicMatrix: c.intrinsics, rotation: c.rotation, opticalCenter: [0, 0, 0] });
    // A world direction seen at pixel (300, 200)…
    const ray = core(cam).imageToWorld([[300, 200]], 5000)[0]!;
    const moved = panTilt(cam, [300, 200], [-40, 260]);
    const [u, v] = core(moved).worldToImage([ray])[0]!;
    expect(u).toBeCloseTo(-40, 6);
    expect(v).toBeCloseTo(260, 6);
  });
});
