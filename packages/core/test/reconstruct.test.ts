import { describe, expect, it } from 'vitest';
import { Camera, intrinsicsFromFov } from '../src/camera.js';
import { buildCropCamera, cropToCameraPoints, ttaSchedule } from '../src/crop.js';
import { apply3 } from '../src/mat3.js';
import {
  fovBounds,
  isWithinFov,
  reconstructAbsolute,
  reconstructAbsoluteBatch,
} from '../src/reconstruct.js';
import { codeOf } from './assertions.js';
import { makeRng, randomPose } from './random.js';

const rng = makeRng(2026);

interface Scenario {
  cameraPose: number[][]; // true pose, image camera frame
  cropPose: number[][]; // true pose, crop camera frame
  coords2d: number[][]; // crop pixels
  coords3d: number[][]; // crop frame, shifted by an unknown offset
  K: Float64Array;
  crop: ReturnType<typeof buildCropCamera>;
  outsideCount: number;
}

/** A known pose seen by a random camera, cropped by a random (possibly truncating) box. */
function scenario(truncate: boolean): Scenario {
  const width = 1920,
    height = 1080;
  const camera = new Camera({
    intrinsicMatrix: intrinsicsFromFov(rng.uniform(40, 90), width, height),
    distortionCoeffs:
      rng.next() < 0.5 ? [rng.uniform(-0.2, 0.1), 0.02, 0.001, -0.001, 0] : undefined,
    worldUp: [rng.normal() * 0.2, -1, rng.normal() * 0.2],
  });
  const depth = rng.uniform(2000, 10000);
  const centre = camera.imageToCamera([[rng.uniform(300, 1620), rng.uniform(250, 830)]], depth)[0]!;
  const cameraPose = randomPose(rng).map((p) => [
    p[0]! + centre[0]!,
    p[1]! + centre[1]!,
    p[2]! + centre[2]!,
  ]);
  const px = camera.cameraToImage(cameraPose);
  const xs = px.map((p) => p[0]!),
    ys = px.map((p) => p[1]!);
  let box = [
    Math.min(...xs),
    Math.min(...ys),
    Math.max(...xs) - Math.min(...xs),
    Math.max(...ys) - Math.min(...ys),
  ];
  if (truncate) {
    // Keep the upper part only: the legs leave the crop.
    box = [box[0]!, box[1]!, box[2]!, box[3]! * 0.55];
  }
  const augs = ttaSchedule(5);
  const crop = buildCropCamera(camera, box, { augmentation: augs[Math.floor(rng.uniform(0, 5))]! });
  const R = crop.rotation;
  const cropPose = cameraPose.map(([x, y, z]) => Array.from(apply3(R, x!, y!, z!)));
  const K = crop.camera.intrinsicMatrix;
  const coords2d = cropPose.map(([x, y, z]) => [
    (K[0]! * x! + K[1]! * y!) / z! + K[2]!,
    (K[4]! * y!) / z! + K[5]!,
  ]);
  // Like the network's output: coordinates in its 2200 mm metric volume (x, y, z ≈ 0…2200),
  // i.e. the true pose shifted by an unknown offset.
  const mean = [0, 1, 2].map((c) => cropPose.reduce((sum, p) => sum + p[c]!, 0) / cropPose.length);
  const offset = mean.map((m) => m - 1100 + rng.uniform(-300, 300));
  const coords3d = cropPose.map((p) => [
    p[0]! - offset[0]!,
    p[1]! - offset[1]!,
    p[2]! - offset[2]!,
  ]);
  const outsideCount = isWithinFov(coords2d.flat()).filter((v) => !v).length;
  return { cameraPose, cropPose, coords2d, coords3d, K, crop, outsideCount };
}

function maxError(a: number[][], b: number[][]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(
      m,
      Math.hypot(a[i]![0]! - b[i]![0]!, a[i]![1]! - b[i]![1]!, a[i]![2]! - b[i]![2]!),
    );
  }
  return m;
}

describe('reconstructAbsolute recovers known absolute poses', () => {
  it('exactly (sub-millimetre) without regularisation, through random cameras and crops', () => {
    let worst = 0;
    for (let trial = 0; trial < 60; trial++) {
      const s = scenario(false);
      const abs = reconstructAbsolute(s.coords2d, s.coords3d, s.K, { tikhonov: 0 });
      worst = Math.max(worst, maxError(abs, s.cropPose));
      // Back into the image camera's frame.
      const back = cropToCameraPoints(Float64Array.from(abs.flat()), s.crop);
      const backPose = Array.from({ length: abs.length }, (_, i) =>
        Array.from(back.subarray(i * 3, i * 3 + 3)),
      );
      worst = Math.max(worst, maxError(backPose, s.cameraPose));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('for truncated people with joints outside the crop', () => {
    let worst = 0;
    let outside = 0;
    for (let trial = 0; trial < 60; trial++) {
      const s = scenario(true);
      outside += s.outsideCount;
      for (const mix of [0.5, null, 1]) {
        const abs = reconstructAbsolute(s.coords2d, s.coords3d, s.K, {
          tikhonov: 0,
          mix3dInsideFov: mix,
        });
        worst = Math.max(worst, maxError(abs, s.cropPose));
      }
    }
    expect(outside).toBeGreaterThan(200); // the scenario really truncates
    expect(worst).toBeLessThan(1e-3);
  });

  it("with the reference's default regulariser: biased by millimetres, more when few joints are in view", () => {
    // Measured over 4000 of these scenarios (docs/geometry.md): worst joint off by 2.6 mm
    // median, 14 mm at the 90th percentile; with ≥ 15 of 30 joints in view 1.9 mm median,
    // 7 mm p90, 39 mm max. With only a few joints in view the regulariser dominates.
    const mostlyVisible: number[] = [];
    const all: number[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const s = scenario(trial % 2 === 0);
      const err = maxError(reconstructAbsolute(s.coords2d, s.coords3d, s.K), s.cropPose);
      all.push(err);
      if (30 - s.outsideCount >= 15) mostlyVisible.push(err);
    }
    const quantile = (xs: number[], q: number) =>
      [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
    expect(mostlyVisible.length).toBeGreaterThan(100);
    expect(quantile(all, 0)).toBeGreaterThan(1e-3); // the regulariser has a measurable effect
    expect(quantile(all, 0.5)).toBeLessThan(5);
    expect(quantile(mostlyVisible, 0.9)).toBeLessThan(15);
    expect(quantile(mostlyVisible, 1)).toBeLessThan(60);
  });

  it('weak perspective places a distant person at roughly the right depth', () => {
    const K = intrinsicsFromFov(55, 256, 256);
    const pose = randomPose(rng).map(([x, y, z]) => [x! * 0.2, y! * 0.5, z! * 0.1 + 20000]);
    const coords2d = pose.map(([x, y, z]) => [(K[0]! * x!) / z! + 128, (K[4]! * y!) / z! + 128]);
    const coords3d = pose.map(([x, y, z]) => [x!, y!, z! - 20000]);
    const abs = reconstructAbsolute(coords2d, coords3d, K, { weakPerspective: true });
    const meanZ = abs.reduce((s, p) => s + p[2]!, 0) / abs.length;
    expect(Math.abs(meanZ - 20000)).toBeLessThan(400);
  });

  it('batched form equals the single-pose form, with shared or per-pose intrinsics', () => {
    const scenarios = Array.from({ length: 7 }, () => scenario(rng.next() < 0.5));
    const j = 30;
    const c2 = Float64Array.from(scenarios.flatMap((s) => s.coords2d.flat()));
    const c3 = Float32Array.from(scenarios.flatMap((s) => s.coords3d.flat()));
    const Ks = Float64Array.from(scenarios.flatMap((s) => Array.from(s.K)));
    const batched = reconstructAbsoluteBatch(c2, c3, Ks, scenarios.length, j);
    scenarios.forEach((s, i) => {
      const single = reconstructAbsolute(
        s.coords2d,
        Array.from({ length: j }, (_, k) =>
          Array.from(c3.subarray((i * j + k) * 3, (i * j + k) * 3 + 3)),
        ),
        s.K,
      );
      expect(
        maxError(
          single,
          Array.from({ length: j }, (_, k) =>
            Array.from(batched.subarray((i * j + k) * 3, (i * j + k) * 3 + 3)),
          ),
        ),
      ).toBeLessThan(1e-9);
    });
    // One shared K.
    const shared = reconstructAbsoluteBatch(
      c2.subarray(0, 2 * j * 2),
      c3.subarray(0, 2 * j * 3),
      scenarios[0]!.K,
      2,
      j,
    );
    expect(shared.length).toBe(2 * j * 3);
  });
});

describe('field of view', () => {
  it('uses the border 0.75·stride, shifted by −stride/2 without centred striding', () => {
    expect(fovBounds()).toEqual([24, 232]);
    expect(fovBounds({ centeredStride: false })).toEqual([8, 216]);
    expect(fovBounds({ cropSide: 384, strideTrain: 32 })).toEqual([24, 360]);
    expect(isWithinFov([24, 24, 23.99, 100, 232, 232, 100, 232.01])).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});

describe('degenerate and bad input', () => {
  const K = intrinsicsFromFov(55, 256, 256);
  const coords3d = randomPose(rng, 5);

  it('all joints outside the field of view: finite result from equal weights', () => {
    const coords2d = [
      [-10, -10],
      [300, 5],
      [-50, 400],
      [270, 270],
      [0, 0],
    ];
    const abs = reconstructAbsolute(coords2d, coords3d, K);
    for (const p of abs) for (const v of p) expect(Number.isFinite(v)).toBe(true);
    const weak = reconstructAbsolute(coords2d, coords3d, K, { weakPerspective: true });
    for (const p of weak) for (const v of p) expect(Number.isFinite(v)).toBe(true);
  });

  it('all 2D joints at one point: finite with the regulariser, a clear error without', () => {
    const coords2d = coords3d.map(() => [128, 128]);
    const abs = reconstructAbsolute(coords2d, coords3d, K);
    for (const p of abs) for (const v of p) expect(Number.isFinite(v)).toBe(true);
    expect(() => reconstructAbsolute(coords2d, coords3d, K, { tikhonov: 0 })).toThrow(
      /underdetermined/,
    );
  });

  it('zero relative depth and zero relative pose give finite output', () => {
    const zeros = coords3d.map(() => [0, 0, 0]);
    const coords2d = [
      [100, 100],
      [120, 140],
      [90, 160],
      [130, 100],
      [128, 128],
    ];
    for (const p of reconstructAbsolute(coords2d, zeros, K))
      for (const v of p) expect(Number.isFinite(v)).toBe(true);
  });

  it('rejects NaN, mismatched joint counts, singular intrinsics and bad options', () => {
    const coords2d = coords3d.map(() => [100, 100]);
    expect(codeOf(() => reconstructAbsolute([[NaN, 1], ...coords2d.slice(1)], coords3d, K))).toBe(
      'non-finite',
    );
    expect(
      codeOf(() => reconstructAbsolute(coords2d, [[0, 0, Infinity], ...coords3d.slice(1)], K)),
    ).toBe('non-finite');
    expect(codeOf(() => reconstructAbsolute(coords2d.slice(1), coords3d, K))).toBe('shape');
    expect(codeOf(() => reconstructAbsolute(coords2d, coords3d, [1, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe(
      'singular',
    );
    expect(
      codeOf(() =>
        reconstructAbsolute(coords2d, coords3d, [
          [1, 0],
          [0, 1],
        ]),
      ),
    ).toBe('shape');
    expect(codeOf(() => reconstructAbsolute(coords2d, coords3d, K, { mix3dInsideFov: 2 }))).toBe(
      'invalid-option',
    );
    expect(codeOf(() => reconstructAbsolute(coords2d, coords3d, K, { tikhonov: -1 }))).toBe(
      'invalid-option',
    );
    expect(
      codeOf(() => reconstructAbsoluteBatch(new Float64Array(10), new Float64Array(15), K, 1, 5)),
    ).toBeUndefined();
    expect(
      codeOf(() => reconstructAbsoluteBatch(new Float64Array(9), new Float64Array(15), K, 1, 5)),
    ).toBe('shape');
  });
});
