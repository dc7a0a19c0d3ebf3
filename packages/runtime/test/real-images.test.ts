/**
 * The whole pipeline on real photos (../shared/data/real): the YOLOX detector finds the
 * people, and every pose comes back finite, in front of the camera, with its 2D projection
 * on its box. The network is the toy fixture model (stick figures), so only these geometric
 * properties are checked, not accuracy; plausibility suppression is off because the toy
 * model's poses of real people are not plausible.
 */
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../test-support/shared-data.js';
import { loadYoloxDetector } from '../src/detector-node.js';
import { Pose3DEstimator } from '../src/estimator.js';
import { loadImage } from '../src/image-node.js';
import { loadModelPackage } from '../src/model-package-node.js';

const IMAGES: [string, number][] = [
  ['real/metrabs/test_image_3dpw.jpg', 2],
  ['real/opencv/basketball1.png', 2],
  ['real/mmpose/coco/000000000785.jpg', 1],
  ['real/skimage/astronaut.png', 1],
];
const DETECTOR = 'detector/yolox_nano.onnx';
const data = sharedData([DETECTOR, ...IMAGES.map(([f]) => f)], 'real-images.test');
const tiny = new URL('../../../fixtures/model-tiny/', import.meta.url).pathname;

describe.skipIf(data.skip)('detectPoses on real photos (toy model)', async () => {
  const estimator = data.skip
    ? undefined
    : new Pose3DEstimator(
        await loadModelPackage(tiny, { threads: 1 }),
        await loadYoloxDetector({ path: data.path(DETECTOR), threads: 1 }),
      );

  it.each(IMAGES)(
    '%s: ≥ %i people, finite poses in front of the camera, 2D on the boxes',
    async (file, atLeast) => {
      const image = await loadImage(data.path(file));
      const result = await estimator!.detectPoses(image, {
        numAug: 2,
        suppressImplausiblePoses: false,
        skeleton: 'coco_19',
      });
      expect(result.boxes.length).toBeGreaterThanOrEqual(atLeast);
      expect(result.jointNames).toHaveLength(19);
      for (const [i, pose] of (result.poses3d as number[][][]).entries()) {
        const [x, y, w, h] = result.boxes[i]!;
        for (const joint of pose) {
          for (const v of joint) expect(Number.isFinite(v)).toBe(true);
          expect(joint[2]).toBeGreaterThan(100); // in front of the camera
        }
        // The projections lie on the box (with a margin of a quarter of its size: the crop
        // around the box is larger than the box). Truncated people (the astronaut's legs are
        // below the image) legitimately have joints outside it, hence "most", not "all".
        const inside = (result.poses2d[i] as number[][]).filter(
          ([u, v]) =>
            u! > x - w / 4 && u! < x + (5 * w) / 4 && v! > y - h / 4 && v! < y + (5 * h) / 4,
        );
        expect(inside.length).toBeGreaterThanOrEqual(10);
      }
    },
  );

  it('a many-file batch: one estimator call for several images', async () => {
    const images = await Promise.all(IMAGES.slice(0, 3).map(([f]) => loadImage(data.path(f))));
    const results = await estimator!.detectPosesBatched(images, {
      numAug: 1,
      suppressImplausiblePoses: false,
    });
    expect(results.map((r) => r.boxes.length >= 1)).toEqual([true, true, true]);
  });
});
