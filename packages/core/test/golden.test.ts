/**
 * The TypeScript geometry against golden vectors computed independently with NumPy and
 * OpenCV by training/golden/make_golden_geometry.py (the trainer's Python tests read the
 * same file, so the two implementations cannot drift apart).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Camera } from '../src/camera.js';
import { buildCropCamera, cropToImageHomography, ttaSchedule } from '../src/crop.js';
import { distortPoints, toDistortionCoeffs, undistortPoints } from '../src/distortion.js';
import { decodeMetrabsHeads, type HeatmapMapping } from '../src/heatmap.js';
import { type ReconstructOptions, reconstructAbsolute } from '../src/reconstruct.js';
import { maxAbsDiff } from './assertions.js';

type Nested = number[] | number[][] | number[][][];
interface Golden {
  distortion: {
    coeffs: number[];
    undistorted: Nested;
    distorted: Nested;
    opencv_undistorted: Nested;
  }[];
  crop: {
    intrinsics: number[][];
    distortion: number[];
    up_camera: number[];
    box: number[];
    side: number;
    angle: number;
    scale: number;
    flip: boolean;
    crop_intrinsics: number[][];
    rotation: number[][];
    zoom: number;
    point_crop: number[];
    point_camera: number[];
    point_crop_px: number[];
    point_image_px: number[];
    homography: number[][] | null;
  }[];
  heatmap: {
    shape: { n: number; h: number; w: number; depth: number; joints: number };
    mapping: HeatmapMapping;
    logits2d: number[];
    logits3d: number[];
    coords2d: number[];
    coords3d: number[];
  }[];
  reconstruction: {
    coords2d: number[][];
    coords3d: number[][];
    intrinsics: number[][];
    options: ReconstructOptions;
    expected: number[][];
  }[];
  tta: {
    num_aug: number;
    angles: number[];
    scales: number[];
    flips: boolean[];
    gammas: number[];
  }[];
}

const golden: Golden = JSON.parse(
  readFileSync(new URL('../../../fixtures/golden/geometry.json', import.meta.url), 'utf8'),
);

const flat = (x: unknown): number[] => (x as number[]).flat(3) as number[];

describe('golden: lens distortion vs OpenCV', () => {
  for (const [i, c] of golden.distortion.entries())
    it(`case ${i}`, () => {
      const coeffs = toDistortionCoeffs(c.coeffs);
      const distorted = distortPoints(flat(c.undistorted), coeffs);
      expect(maxAbsDiff(distorted, flat(c.distorted))).toBeLessThan(1e-11);
      const undistorted = undistortPoints(flat(c.distorted), coeffs);
      expect(maxAbsDiff(undistorted, flat(c.undistorted))).toBeLessThan(1e-10);
      expect(maxAbsDiff(undistorted, flat(c.opencv_undistorted))).toBeLessThan(1e-9);
    });
});

describe('golden: crop cameras', () => {
  for (const [i, c] of golden.crop.entries())
    it(`case ${i}`, () => {
      const camera = new Camera({
        intrinsicMatrix: c.intrinsics,
        distortionCoeffs: c.distortion,
        worldUp: c.up_camera,
      });
      const crop = buildCropCamera(camera, c.box, {
        side: c.side,
        augmentation: { angle: c.angle, scale: c.scale, flip: c.flip, gamma: 1 },
      });
      expect(maxAbsDiff(crop.camera.intrinsicMatrix, flat(c.crop_intrinsics))).toBeLessThan(1e-7);
      expect(maxAbsDiff(crop.rotation, flat(c.rotation))).toBeLessThan(1e-10);
      expect(crop.zoom).toBeCloseTo(c.zoom, 9);
      // The same 3D point seen through the crop camera and the image camera.
      const pCrop = crop.camera.worldToCamera([c.point_camera])[0]!;
      expect(maxAbsDiff(pCrop, c.point_crop)).toBeLessThan(1e-7);
      const cropPx = crop.camera.cameraToImage([pCrop])[0]!;
      expect(maxAbsDiff(cropPx, c.point_crop_px)).toBeLessThan(1e-7);
      const imagePx = camera.cameraToImage([c.point_camera])[0]!;
      expect(maxAbsDiff(imagePx, c.point_image_px)).toBeLessThan(1e-6);
      if (c.homography) {
        const h22 = c.homography[2]![2]!;
        const H = cropToImageHomography(crop, camera);
        const scale = h22 / H[8]!;
        expect(
          maxAbsDiff(
            H.map((v) => v * scale),
            flat(c.homography),
          ),
        ).toBeLessThan(1e-9 * Math.abs(scale) * 1e3);
      }
    });
});

describe('golden: heatmap decoding', () => {
  for (const [i, c] of golden.heatmap.entries())
    it(`case ${i}`, () => {
      const decoded = decodeMetrabsHeads(
        Float64Array.from(c.logits2d),
        Float64Array.from(c.logits3d),
        c.shape,
        c.mapping,
      );
      expect(maxAbsDiff(decoded.coords2d, c.coords2d)).toBeLessThan(1e-9);
      expect(maxAbsDiff(decoded.coords3d, c.coords3d)).toBeLessThan(1e-8);
    });
});

describe('golden: absolute reconstruction vs numpy lstsq', () => {
  for (const [i, c] of golden.reconstruction.entries())
    it(`case ${i}`, () => {
      const result = reconstructAbsolute(c.coords2d, c.coords3d, c.intrinsics, c.options);
      // Millimetre-scale values: 1e-6 mm agreement.
      expect(maxAbsDiff(result.flat(), flat(c.expected))).toBeLessThan(1e-6);
    });
});

describe('golden: test-time augmentation schedule', () => {
  for (const c of golden.tta)
    it(`numAug=${c.num_aug}`, () => {
      const schedule = ttaSchedule(c.num_aug);
      expect(schedule.map((a) => a.flip)).toEqual(c.flips);
      expect(
        maxAbsDiff(
          schedule.map((a) => a.angle),
          c.angles,
        ),
      ).toBeLessThan(1e-12);
      expect(
        maxAbsDiff(
          schedule.map((a) => a.scale),
          c.scales,
        ),
      ).toBeLessThan(1e-12);
      expect(
        maxAbsDiff(
          schedule.map((a) => a.gamma),
          c.gammas,
        ),
      ).toBeLessThan(1e-12);
    });
});
