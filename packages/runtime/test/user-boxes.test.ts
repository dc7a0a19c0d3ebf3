/**
 * Boxes a caller passes to `estimatePoses`: the minimised fuzz finds of issue 18. Each was a
 * TypeError from deep inside, a RangeError without the error's code, or a NaN in the result;
 * each is now a `GeometryError` naming the image and box.
 */
import { GeometryError } from '@metrabs/core';
import { describe, expect, it } from 'vitest';
import { BOX_IMAGE, standInEstimator } from '../../../test-support/fuzz-estimator.js';

const estimator = standInEstimator();

async function failure(boxes: unknown): Promise<GeometryError> {
  const error = await estimator
    .estimatePoses(BOX_IMAGE, boxes as number[][], { numAug: 1 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GeometryError);
  return error as GeometryError;
}

describe('boxes given to estimatePoses', () => {
  it.each([
    [null, 'shape', /^image 0: boxes must be a list of \[x, y, w, h\], got null$/],
    ['boxes', 'shape', /^image 0: boxes must be a list of \[x, y, w, h\], got "boxes"$/],
    [
      [null],
      'shape',
      /^image 0, box 0: expected \[x, y, w, h\] or \[x, y, w, h, score\], got null$/,
    ],
    [
      [[1, 2, '3', 4]],
      'shape',
      /^image 0, box 0: box entries must be numbers, got \[1, 2, "3", 4\]$/,
    ],
    [[[1, 2, 3]], 'shape', /got \[1, 2, 3\]$/],
    [[[0, 0, 10, 10, -Infinity]], 'non-finite', /^image 0, box 0: the score must be finite/],
    [
      [[847, 0, 0, 6.17]],
      'degenerate',
      /^image 0, box 0 \[847, 0, 0, 6.17\]: box width and height/,
    ],
    [[[Infinity, 3e38, 1, 1]], 'non-finite', /^image 0, box 0 .*: box element 0 must be finite/],
  ])('refuses %j (%s)', async (boxes, code, message) => {
    const error = await failure(boxes);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses box lists that do not match the images (estimatePosesBatched)', async () => {
    const batched = (lists: unknown) =>
      estimator.estimatePosesBatched([BOX_IMAGE], lists as number[][][]).catch((e: unknown) => e);
    expect(await batched(null)).toMatchObject({
      name: 'GeometryError',
      message: 'boxes must be a list per image, got null',
    });
    expect(await batched([[], []])).toMatchObject({
      name: 'GeometryError',
      message: '1 images but box lists for 2',
    });
  });

  it('still estimates boxes in, partly in and far outside the image, with finite numbers', async () => {
    const result = await estimator.estimatePoses(
      BOX_IMAGE,
      [
        [10, 5, 30, 40],
        [-20, -20, 30, 30, 0.5],
        [1e6, 1e6, 10, 10],
        Float32Array.from([0, 0, 64, 48]),
      ],
      { numAug: 1 },
    );
    expect(result.boxes.map((b) => b[4])).toEqual([1, 0.5, 1, 1]);
    expect(result.poses3d.flat(2).every(Number.isFinite)).toBe(true);
    expect(result.poses2d.flat(2).every(Number.isFinite)).toBe(true);
  });
});
