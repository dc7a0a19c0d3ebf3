/** The web app's pure helpers: URL settings, pixel conversion, result documents. */

import type { PoseResult } from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { intrinsicMatrix, parseConfig } from '../src/config.js';
import { detectorHelp } from '../src/detector-info.js';
import { rgbaToRgb } from '../src/image.js';
import { distanceM, peopleSummary, resultDocument } from '../src/result.js';

describe('parseConfig', () => {
  it('gives the defaults for an empty query', () => {
    const { config, problems } = parseConfig('');
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      modelUrl: undefined,
      detectorUrl: './models/yolox_nano.onnx',
      backend: 'auto',
      numAug: 5,
      fovDegrees: 55,
      detectorThreshold: 0.3,
      suppressImplausible: undefined,
      useCache: true,
    });
  });

  it('reads every parameter', () => {
    const { config, problems } = parseConfig(
      '?model=https://x.org/m/&detector=/d.onnx&backend=wasm&threads=2&numAug=1&fov=70&threshold=0.5&skeleton=coco_19&suppress=0&cache=off&intrinsics=1000,1000,320,240',
    );
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      modelUrl: 'https://x.org/m/',
      detectorUrl: '/d.onnx',
      backend: 'wasm',
      threads: 2,
      numAug: 1,
      fovDegrees: 70,
      detectorThreshold: 0.5,
      skeleton: 'coco_19',
      suppressImplausible: false,
      useCache: false,
      intrinsics: [1000, 1000, 320, 240],
    });
  });

  it('ignores bad values with a readable problem instead of NaN', () => {
    const { config, problems } = parseConfig(
      '?numAug=abc&fov=0&threshold=2&backend=cuda&intrinsics=1,2,3&threads=-1',
    );
    expect(config.numAug).toBe(5);
    expect(config.fovDegrees).toBe(55);
    expect(config.detectorThreshold).toBe(0.3);
    expect(config.backend).toBe('auto');
    expect(config.intrinsics).toBeUndefined();
    expect(config.threads).toBe(0);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/backend=cuda ignored/);
    expect(problems.join('\n')).toMatch(/numAug=abc ignored: must be an integer from 1 to 100/);
  });

  it('builds intrinsic matrices', () => {
    expect(intrinsicMatrix([500, 510, 320, 240])).toEqual([
      [500, 0, 320],
      [0, 510, 240],
      [0, 0, 1],
    ]);
  });
});

describe('rgbaToRgb', () => {
  it('drops alpha', () => {
    const rgba = new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 0]);
    const rgb = rgbaToRgb({ width: 2, height: 1, data: rgba });
    expect([...rgb.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rgb.width).toBe(2);
    expect(rgb.height).toBe(1);
  });

  it('rejects inconsistent sizes', () => {
    expect(() => rgbaToRgb({ width: 2, height: 2, data: new Uint8Array(8) })).toThrow(
      /expected 2×2×4 = 16/,
    );
    expect(() => rgbaToRgb({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(
      /positive integers/,
    );
  });
});

describe('result documents', () => {
  const result: PoseResult = {
    boxes: [[10.123, 20.456, 100.789, 200.111, 0.912345]],
    poses3d: [
      [
        [0, 0, 2000],
        [300, 400, 2000],
      ],
    ],
    poses2d: [
      [
        [1.23456, 2.34567],
        [3, 4],
      ],
    ],
    jointNames: ['a', 'b'],
    edges: [[0, 1]],
    skeleton: 'test',
    intrinsicMatrix: [
      [500.123456, 0, 320],
      [0, 500.123456, 240],
      [0, 0, 1],
    ],
    peopleFound: 2,
    dropped: [{ box: [1.234, 2, 3, 4, 0.55555], reason: 'box-mismatch' }],
  };

  it('measures the distance to the mean joint in metres', () => {
    expect(distanceM([[0, 0, 1000]])).toBe(1);
    expect(distanceM(result.poses3d[0] as number[][])).toBeCloseTo(
      Math.hypot(150, 200, 2000) / 1000,
    );
    expect(distanceM([])).toBeNaN();
  });

  it("uses the CLI's layout and rounding", () => {
    const doc = resultDocument(result, {
      image: 'x.png',
      width: 640,
      height: 480,
      model: { url: 'u', backbone: 'b', skeleton: 's', numJoints: 2, cropSide: 128 },
      settings: { numAug: 5 },
      time: 1.23456,
    });
    expect(doc).toMatchObject({
      version: 2,
      people: 1,
      peopleFound: 2,
      dropped: [{ box: [1.23, 2, 3, 4, 0.5556], reason: 'box-mismatch' }],
    });
    expect(doc.time).toBe(1.235);
    expect(doc.boxes).toEqual([[10.12, 20.46, 100.79, 200.11, 0.9123]]);
    expect(doc.poses2d).toEqual([
      [
        [1.23, 2.35],
        [3, 4],
      ],
    ]);
    expect(doc.distancesM).toEqual([2.016]);
    expect(doc.intrinsicMatrix).toEqual([
      [500.1235, 0, 320],
      [0, 500.1235, 240],
      [0, 0, 1],
    ]);
    expect(doc.frame).toBe('camera');
  });

  it('says in the stats how many people were found and dropped, and how to keep them', () => {
    expect(peopleSummary(result)).toBe(
      '1 person of 2 people found, 1 dropped as implausible [box-mismatch] (unticking “Drop implausible poses” keeps it)',
    );
    expect(peopleSummary({ ...result, peopleFound: 1, dropped: [] })).toBe('1 person');
  });
});

describe('detectorHelp', () => {
  it('names the file, the checksum, the download and where to put it', () => {
    const text = detectorHelp('https://site/models/yolox_nano.onnx').join('\n');
    expect(text).toContain('https://site/models/yolox_nano.onnx');
    expect(text).toContain('695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14');
    expect(text).toContain('~/.cache/metrabs/yolox_nano.onnx');
    expect(text).toContain('models/yolox_nano.onnx');
  });
});
