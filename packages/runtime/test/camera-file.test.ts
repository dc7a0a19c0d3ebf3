/** Camera files: parsing, the checks on each key, and reading them from disk. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CameraFileError, parseCameraJson } from '../src/index.js';
import { readCameraFile } from '../src/node.js';

const K = [
  [1000, 0, 320],
  [0, 1000, 240],
  [0, 0, 1],
];

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
      expect(e).toBeInstanceOf(CameraFileError);
      expect((e as CameraFileError).source).toBe('cam.json');
      expect((e as Error).message.startsWith('cam.json: ')).toBe(true);
    }
  });

  it('reports missing files and invalid JSON (NaN is not JSON) as camera file errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrabs-camera-'));
    expect(() => readCameraFile(join(dir, 'none.json'))).toThrow(/intrinsics file not found/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"intrinsic_matrix": [[NaN, 0, 1], [0, 1, 1], [0, 0, 1]]}');
    expect(() => readCameraFile(bad)).toThrow(/bad\.json: invalid JSON/);
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ intrinsic_matrix: K }));
    expect(readCameraFile(good).intrinsicMatrix).toEqual(K);
  });
});

describe('camera file: absurd intrinsics and distortion, in plain words', () => {
  const reject = (json: unknown, pattern: RegExp) => {
    let caught: unknown;
    try {
      parseCameraJson(json, 'cam.json');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CameraFileError);
    expect((caught as Error).message).toMatch(pattern);
    expect((caught as Error).message).not.toMatch(/determinant/);
  };

  it('a principal point at ±1e9 px is named as such, not "singular (determinant 250000)"', () => {
    reject(
      {
        intrinsic_matrix: [
          [500, 0, 1e9],
          [0, 500, -1e9],
          [0, 0, 1],
        ],
      },
      /^cam\.json: "intrinsic_matrix": the principal point \(cx = 1000000000, cy = -1000000000\) lies far outside any image/,
    );
  });

  it('an absurd focal length and a skew larger than it are rejected', () => {
    reject(
      {
        intrinsic_matrix: [
          [1e12, 0, 320],
          [0, 1e12, 240],
          [0, 0, 1],
        ],
      },
      /focal length .* is absurdly long/,
    );
    reject(
      {
        intrinsic_matrix: [
          [500, 1e5, 320],
          [0, 500, 240],
          [0, 0, 1],
        ],
      },
      /skew K\[0\]\[1\] = 100000 is larger than the focal length/,
    );
  });

  it('absurd (k1 = 50, k2 = −300, k3 = 1000) or folding distortion is rejected', () => {
    reject(
      { intrinsic_matrix: K, distortion_coeffs: [50, -300, 0, 0, 1000] },
      /"distortion_coeffs" would move points to 5\.42× their distance from the image centre/,
    );
    reject({ intrinsic_matrix: K, distortion_coeffs: [-3, 0, 0, 0, 0] }, /fold the image back/);
  });

  it('real-lens distortion is accepted', () => {
    for (const coeffs of [
      [0.1, -0.05, 0, 0, 0],
      [-0.28, 0.07, 0.001, -0.0005, 0],
      [0, 0, 0, 0, 0],
    ]) {
      expect(
        parseCameraJson({ intrinsic_matrix: K, distortion_coeffs: coeffs }, 'c').distortionCoeffs,
      ).toEqual(coeffs);
    }
  });
});
