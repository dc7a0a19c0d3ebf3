import { describe, expect, it } from 'vitest';
import {
  distanceFromCamera,
  formatImageResult,
  outputStems,
  peopleText,
  round,
  stringifyJson,
  worldToCamera,
} from '../src/format.js';

const model = { dir: '/m', backbone: 'b', skeleton: 's', numJoints: 2, cropSide: 128 };

describe('result JSON', () => {
  it('rounds 3D to 0.1 mm, 2D to 0.01 px and adds size, model and distances', () => {
    const json = formatImageResult(
      'a.jpg',
      { width: 640, height: 480 },
      {
        boxes: [[10.123, 20.456, 30.789, 40.111, 0.876543]],
        poses3d: [
          [
            [100.04, -200.06, 3000.05],
            [0, 0, 4000],
          ],
        ],
        poses2d: [
          [
            [1.234, 5.678],
            [-0.001, 2],
          ],
        ],
        jointNames: ['a', 'b'],
        edges: [[0, 1]],
        skeleton: 's',
        intrinsicMatrix: [
          [500.123456, 0, 320],
          [0, 500.123456, 240],
          [0, 0, 1],
        ],
      },
      model,
    );
    expect(json.poses3d[0]![0]).toEqual([100, -200.1, 3000.1]);
    expect(json.poses2d[0]![0]).toEqual([1.23, 5.68]);
    expect(Object.is(json.poses2d[0]![1]![0], -0)).toBe(false);
    expect(json.boxes[0]).toEqual([10.12, 20.46, 30.79, 40.11, 0.8765]);
    expect(json.imageSize).toEqual({ width: 640, height: 480 });
    expect(json.people).toBe(1);
    expect(json.frame).toBe('camera');
    expect(json.distancesM[0]).toBeCloseTo(Math.hypot(50, 100, 3500) / 1000, 3);
    expect(json.intrinsicMatrix[0]![0]).toBe(500.1235);
    // Version 2: everyone found is returned unless the runtime says otherwise.
    expect(json).toMatchObject({ version: 2, peopleFound: 1, dropped: [] });
  });

  it('carries the people found and the dropped ones with their rounded boxes and reasons', () => {
    const json = formatImageResult(
      'a.jpg',
      { width: 640, height: 480 },
      {
        boxes: [],
        poses3d: [],
        poses2d: [],
        jointNames: ['a'],
        edges: [],
        skeleton: 's',
        intrinsicMatrix: [
          [500, 0, 320],
          [0, 500, 240],
          [0, 0, 1],
        ],
        peopleFound: 2,
        dropped: [
          { box: [1.234, 2, 3, 4, 0.912345], reason: 'box-mismatch' },
          { box: [5, 6, 7, 8, 0.5], reason: 'duplicate' },
        ],
      },
      model,
    );
    expect(json).toMatchObject({
      version: 2,
      people: 0,
      peopleFound: 2,
      dropped: [
        { box: [1.23, 2, 3, 4, 0.9123], reason: 'box-mismatch' },
        { box: [5, 6, 7, 8, 0.5], reason: 'duplicate' },
      ],
    });
  });

  it('handles world-frame poses through the extrinsic matrix', () => {
    // Camera 2 m behind the world origin along z, no rotation: p_cam = p_world + (0, 0, 2000).
    const e = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 2000],
      [0, 0, 0, 1],
    ];
    expect(worldToCamera([[0, 0, 1000]], e)).toEqual([[0, 0, 3000]]);
    expect(distanceFromCamera(worldToCamera([[0, 0, 1000]], e))).toBe(3000);
  });

  it('names outputs after the inputs, uniquely', () => {
    expect(outputStems(['a/img.jpg', 'b/img.png', 'c.d/x', 'img.jpeg'])).toEqual([
      'img',
      'img-2',
      'x',
      'img-3',
    ]);
  });

  it('keeps points on one line', () => {
    const text = stringifyJson({
      a: [
        [1, 2],
        [3, 4],
      ],
      b: 'x',
      c: [],
      d: undefined,
    });
    expect(text).toBe('{\n  "a": [\n    [1,2],\n    [3,4]\n  ],\n  "b": "x",\n  "c": []\n}');
    expect(JSON.parse(text)).toEqual({
      a: [
        [1, 2],
        [3, 4],
      ],
      b: 'x',
      c: [],
    });
  });

  it('rounds and words counts', () => {
    expect(round(-0.00001, 2)).toBe(0);
    expect(round(1.005, 1)).toBe(1);
    expect(peopleText(0)).toBe('no people found');
    expect(peopleText(1)).toBe('1 person');
    expect(peopleText(3)).toBe('3 people');
  });
});
