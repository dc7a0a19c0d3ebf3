import { describe, expect, it } from 'vitest';
import { Camera, intrinsicsFromFov } from '../src/camera.js';
import {
  buildCropCamera,
  cornerAlignedScale,
  cropToCameraPoints,
  cropToImageHomography,
  cropToImageMap,
  linspace,
  ttaSchedule,
} from '../src/crop.js';
import { GeometryError } from '../src/errors.js';
import { apply3, det3 } from '../src/mat3.js';
import { makeRng } from './random.js';

const rng = makeRng(99);

function applyH(H: Float64Array, u: number, v: number): [number, number] {
  const w = H[6]! * u + H[7]! * v + H[8]!;
  return [(H[0]! * u + H[1]! * v + H[2]!) / w, (H[3]! * u + H[4]! * v + H[5]!) / w];
}

describe('buildCropCamera', () => {
  const camera = Camera.fromFov(60, 1280, 720);

  it('puts the box centre at the crop centre and fits the larger side to the crop', () => {
    const box = [700, 100, 200, 500];
    const crop = buildCropCamera(camera, box, { side: 256 });
    const centreWorld = camera.imageToWorld([[800, 350]], 3000);
    const [c] = crop.camera.worldToImage(centreWorld);
    expect(c![0]).toBeCloseTo(128, 9);
    expect(c![1]).toBeCloseTo(128, 9);
    // Top and bottom midpoints land near the crop's top and bottom edges (the box is taller than wide).
    const [top, bottom] = crop.camera.worldToImage(
      camera.imageToWorld(
        [
          [800, 100],
          [800, 600],
        ],
        3000,
      ),
    );
    expect(Math.hypot(bottom![0]! - top![0]!, bottom![1]! - top![1]!)).toBeCloseTo(256, 6);
  });

  it('equals the camera verbs: turnTowards → rotateInPlane → flip → zoom → principal point', () => {
    const distorted = new Camera({
      intrinsicMatrix: intrinsicsFromFov(70, 1280, 720),
      distortionCoeffs: [-0.15, 0.03, 0, 0, 0],
      worldUp: [0.1, -1, 0.05],
    });
    for (const aug of ttaSchedule(5)) {
      const box = [
        rng.uniform(0, 1000),
        rng.uniform(0, 400),
        rng.uniform(50, 300),
        rng.uniform(100, 400),
      ];
      const crop = buildCropCamera(distorted, box, { side: 192, augmentation: aug });
      let verbs = distorted
        .turnTowards({ imagePoint: [box[0]! + box[2]! / 2, box[1]! + box[3]! / 2] })
        .rotateInPlane(aug.angle);
      if (aug.flip) verbs = verbs.horizontalFlip();
      verbs = verbs.withoutDistortion().zoom(crop.zoom).centerPrincipalPoint(192, 192);
      for (let i = 0; i < 9; i++) {
        expect(crop.camera.rotation[i]).toBeCloseTo(verbs.rotation[i]!, 12);
        expect(crop.camera.intrinsicMatrix[i]).toBeCloseTo(verbs.intrinsicMatrix[i]!, 9);
      }
      expect(det3(crop.rotation)).toBeCloseTo(aug.flip ? -1 : 1, 12);
    }
  });

  it('the homography maps a known 3D point to the right crop pixel and back', () => {
    const cam = new Camera({
      intrinsicMatrix: [
        [1000, 0.5, 630],
        [0, 990, 370],
        [0, 0, 1],
      ],
      worldUp: [0.2, -1, 0],
    });
    for (let trial = 0; trial < 20; trial++) {
      const box = [
        rng.uniform(-100, 1100),
        rng.uniform(-100, 600),
        rng.uniform(30, 400),
        rng.uniform(30, 600),
      ];
      const [aug] = ttaSchedule(1);
      const crop = buildCropCamera(cam, box, {
        augmentation: { ...aug!, angle: rng.uniform(-0.4, 0.4), flip: trial % 2 === 1 },
      });
      const world = cam.imageToWorld(
        [[rng.uniform(0, 1280), rng.uniform(0, 720)]],
        rng.uniform(1000, 9000),
      );
      const cropPx = crop.camera.worldToImage(world)[0]!;
      const imagePx = cam.worldToImage(world)[0]!;
      const H = cropToImageHomography(crop, cam);
      const mapped = applyH(H, cropPx[0]!, cropPx[1]!);
      expect(Math.abs(mapped[0] - imagePx[0]!)).toBeLessThan(1e-6);
      expect(Math.abs(mapped[1] - imagePx[1]!)).toBeLessThan(1e-6);
    }
  });

  it('the per-pixel map agrees with the homography and handles lens distortion', () => {
    const plain = Camera.fromFov(55, 640, 480);
    const crop = buildCropCamera(plain, [200, 100, 120, 260], { side: 32 });
    const map = cropToImageMap(crop, plain);
    const H = cropToImageHomography(crop, plain);
    for (const [u, v] of [
      [0, 0],
      [31, 0],
      [13, 27],
      [31, 31],
    ] as const) {
      const [x, y] = applyH(H, u, v);
      expect(map[(v * 32 + u) * 2]).toBeCloseTo(x, 3);
      expect(map[(v * 32 + u) * 2 + 1]).toBeCloseTo(y, 3);
    }
    // With distortion: each crop pixel maps to where the image camera really sees that ray.
    const lens = new Camera({
      intrinsicMatrix: plain.intrinsicMatrix,
      distortionCoeffs: [-0.25, 0.08, 0.001, 0.002, 0],
    });
    const dcrop = buildCropCamera(lens, [400, 250, 150, 200], { side: 16 });
    const dmap = cropToImageMap(dcrop, lens);
    const ray = dcrop.camera.imageToWorld([[5, 11]], 2500);
    const truth = lens.worldToImage(ray)[0]!;
    expect(dmap[(11 * 16 + 5) * 2]).toBeCloseTo(truth[0]!, 3);
    expect(dmap[(11 * 16 + 5) * 2 + 1]).toBeCloseTo(truth[1]!, 3);
    expect(() => cropToImageHomography(dcrop, lens)).toThrow(GeometryError);
  });

  it('anti-aliasing maps pixel corners of the large render onto the crop pixel corners', () => {
    const S = cornerAlignedScale(1 / 2);
    // Corner −0.5 stays at −0.5; corner 2S−0.5 of the big render maps to S−0.5.
    expect(S[0]! * -0.5 + S[2]!).toBeCloseTo(-0.5, 12);
    expect(S[0]! * 511.5 + S[2]!).toBeCloseTo(255.5, 12);
    const plain = Camera.fromFov(55, 640, 480);
    const crop = buildCropCamera(plain, [200, 100, 120, 260], { side: 8 });
    const small = cropToImageMap(crop, plain);
    const big = cropToImageMap(crop, plain, 2);
    // The average of a 2×2 block's centres in the big map is the small pixel's centre (to first order).
    const avg =
      (big[(0 * 16 + 0) * 2]! +
        big[(0 * 16 + 1) * 2]! +
        big[(1 * 16 + 0) * 2]! +
        big[(1 * 16 + 1) * 2]!) /
      4;
    expect(Math.abs(avg - small[0]!)).toBeLessThan(0.02);
  });

  it('cropToCameraPoints undoes the crop rotation, including a flip', () => {
    const crop = buildCropCamera(camera, [100, 100, 200, 300], {
      augmentation: { angle: 0.3, scale: 1, flip: true, gamma: 1 },
    });
    const p = [120, -340, 4200];
    const R = crop.rotation;
    const inCrop = apply3(R, p[0]!, p[1]!, p[2]!);
    const back = cropToCameraPoints(inCrop, crop);
    for (let i = 0; i < 3; i++) expect(back[i]).toBeCloseTo(p[i]!, 9);
  });

  it('rejects zero-size, NaN and malformed boxes clearly', () => {
    expect(() => buildCropCamera(camera, [10, 10, 0, 50])).toThrow(/positive/);
    expect(() => buildCropCamera(camera, [10, 10, -5, 50])).toThrow(GeometryError);
    expect(() => buildCropCamera(camera, [NaN, 10, 5, 50])).toThrow(/finite/);
    expect(() => buildCropCamera(camera, [10, 10, 5])).toThrow(/\[x, y, w, h\]/);
    expect(() => buildCropCamera(camera, [10, 10, 5, 5], { side: 0 })).toThrow(GeometryError);
  });
});

describe('test-time augmentation schedule', () => {
  it('matches the reference for numAug = 5', () => {
    const s = ttaSchedule(5);
    const deg = (r: number) => (r * 180) / Math.PI;
    expect(s.map((a) => deg(a.angle))).toEqual(
      [-25, -12.5, 0, 12.5, 25].map((v) => expect.closeTo(v, 9)),
    );
    expect(s.map((a) => a.scale)).toEqual(
      [0.8, 0.9, 1, 1.05, 1.1].map((v) => expect.closeTo(v, 12)),
    );
    expect(s.map((a) => a.flip)).toEqual([false, true, false, true, false]);
    expect(s.map((a) => a.gamma)).toEqual(
      [0.6, 0.7, 0.8, 0.9, 1].map((v) => expect.closeTo(v, 12)),
    );
  });

  it('numAug = 1 is the midpoint (angle 0, scale 1.05, gamma 0.8, no flip)', () => {
    expect(ttaSchedule(1)).toEqual([
      { angle: 0, scale: 1.05, flip: false, gamma: expect.closeTo(0.8, 12) },
    ]);
  });

  it('linspace follows the reference conventions', () => {
    expect(linspace(0, 1, 0)).toEqual([]);
    expect(linspace(0.8, 1.0, 2, false)).toEqual([0.8, expect.closeTo(0.9, 12)]);
    expect(linspace(2, 4, 3)).toEqual([2, 3, 4]);
  });

  it('rejects non-positive or fractional counts', () => {
    expect(() => ttaSchedule(0)).toThrow(GeometryError);
    expect(() => ttaSchedule(2.5)).toThrow(GeometryError);
  });
});
