import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, InputError } from '../src/errors.js';
import {
  parseCameraJson,
  parseFov,
  parseMaxDetections,
  parseNumAug,
  parseSmoothing,
  parseThreshold,
  readCameraFile,
} from '../src/options.js';

const K = [
  [1000, 0, 320],
  [0, 1000, 240],
  [0, 0, 1],
];

describe('option parsers', () => {
  it('accept valid values', () => {
    expect(parseNumAug('5')).toBe(5);
    expect(parseFov('55')).toBe(55);
    expect(parseFov('12.5')).toBe(12.5);
    expect(parseThreshold('0')).toBe(0);
    expect(parseThreshold('1')).toBe(1);
    expect(parseMaxDetections('-1')).toBe(-1);
    expect(parseMaxDetections('3')).toBe(3);
    expect(parseSmoothing('1')).toBe(1);
  });

  it.each([
    [parseNumAug, '0'],
    [parseNumAug, '1.5'],
    [parseNumAug, 'abc'],
    [parseNumAug, ''],
    [parseNumAug, '0x10'],
    [parseFov, '0'],
    [parseFov, '180'],
    [parseFov, 'NaN'],
    [parseFov, 'Infinity'],
    [parseThreshold, '1.01'],
    [parseThreshold, '-0.1'],
    [parseMaxDetections, '0'],
    [parseMaxDetections, '-2'],
    [parseSmoothing, '0'],
  ])('reject %o(%j)', (parse, value) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
  });
});

describe('camera file', () => {
  it('reads intrinsics, distortion, extrinsics and world up', () => {
    const cam = parseCameraJson(
      {
        intrinsic_matrix: K,
        distortion_coeffs: [0.1, -0.05, 0, 0, 0],
        extrinsic_matrix: [
          [1, 0, 0, 10],
          [0, 1, 0, 20],
          [0, 0, 1, 30],
          [0, 0, 0, 1],
        ],
        world_up: [0, 0, 1],
      },
      'cam.json',
    );
    expect(cam.intrinsicMatrix).toEqual(K);
    expect(cam.distortionCoeffs).toEqual([0.1, -0.05, 0, 0, 0]);
    expect(cam.extrinsicMatrix?.[2]?.[3]).toBe(30);
    expect(cam.worldUpVector).toEqual([0, 0, 1]);
  });

  it.each([
    [[], 'expected a JSON object'],
    [{}, '"intrinsic_matrix" is missing'],
    [{ intrinsic_matrix: [1, 2, 3] }, '3 rows of 3 numbers'],
    [
      {
        intrinsic_matrix: [
          [1, 0, 0],
          [0, 1, 0],
        ],
      },
      '3 rows of 3 numbers',
    ],
    [
      {
        intrinsic_matrix: [
          [1000, 0, 'a'],
          [0, 1000, 240],
          [0, 0, 1],
        ],
      },
      '"intrinsic_matrix"[0][2] must be a finite number',
    ],
    [
      {
        intrinsic_matrix: [
          [1000, 0, null],
          [0, 1000, 240],
          [0, 0, 1],
        ],
      },
      'must be a finite number, got null',
    ],
    [
      {
        intrinsic_matrix: [
          [-5, 0, 320],
          [0, 1000, 240],
          [0, 0, 1],
        ],
      },
      'positive focal lengths',
    ],
    [
      {
        intrinsic_matrix: [
          [1000, 0, 320],
          [0, 1000, 240],
          [0, 0, 2],
        ],
      },
      'K[2] = [0, 0, 1]',
    ],
    [
      { intrinsic_matrix: K, distortion_coeffs: [1, 2, 3, 4, 5, 6, 7] },
      '"distortion_coeffs" must be a list of',
    ],
    [
      {
        intrinsic_matrix: K,
        extrinsic_matrix: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
        ],
      },
      '4 rows of 4 numbers',
    ],
    [
      {
        intrinsic_matrix: K,
        extrinsic_matrix: [
          [2, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      },
      'not orthonormal',
    ],
    [{ intrinsic_matrix: K, world_up: [0, 0, 0] }, 'must not be zero'],
    [{ intrinsic_matrix: K, intrinsics: K }, 'unknown key "intrinsics"'],
  ])('rejects %j', (json, message) => {
    expect(() => parseCameraJson(json, 'cam.json')).toThrow(message);
    try {
      parseCameraJson(json, 'cam.json');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).exitCode).toBe(EXIT.input);
      expect((e as Error).message.startsWith('cam.json: ')).toBe(true);
    }
  });

  it('reports missing files and invalid JSON (NaN is not JSON) as input errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrabs-cli-'));
    expect(() => readCameraFile(join(dir, 'none.json'))).toThrow(/intrinsics file not found/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"intrinsic_matrix": [[NaN, 0, 1], [0, 1, 1], [0, 0, 1]]}');
    expect(() => readCameraFile(bad)).toThrow(/bad\.json: invalid JSON/);
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ intrinsic_matrix: K }));
    expect(readCameraFile(good).intrinsicMatrix).toEqual(K);
  });
});
