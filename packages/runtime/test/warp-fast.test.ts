/**
 * The fast paths of warp.ts: level 0 sampled straight from the bytes, level buffers that cover
 * only the requested windows, and the table-based gamma encoding (bounded against Math.pow).
 */

import { type Augmentation, buildCropCamera, Camera, NO_AUGMENTATION } from '@metrabs/core';
import { describe, expect, it } from 'vitest';
import {
  choosePyramidLevel,
  DECODING_GAMMA,
  LinearImagePyramid,
  renderCrop,
  SRGB_TO_LINEAR,
} from '../src/warp.js';

const W = 640;
const H = 420;

function randomGenerator(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 4294967296;
  };
}

/** Noise plus smooth gradients, with black and white patches (exercise 0 and 1). */
function testImage(): { width: number; height: number; data: Uint8Array } {
  const rnd = randomGenerator(7);
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      if (x < 40 && y < 40) continue; // black
      if (x > W - 40 && y < 40) {
        data.fill(255, i, i + 3);
        continue;
      }
      data[i] = (rnd() * 256) | 0;
      data[i + 1] = Math.round((255 * x) / W);
      data[i + 2] = Math.round(127.5 + 127.5 * Math.sin(x / 9 + y / 13));
    }
  }
  return { width: W, height: H, data };
}

/** Random crops over all levels, pinhole and distorted, partly outside the image. */
function randomCrops(n: number, seed: number) {
  const rnd = randomGenerator(seed);
  const pinhole = Camera.fromFov(55, W, H);
  const distorted = new Camera({
    intrinsicMatrix: pinhole.intrinsicMatrix,
    distortionCoeffs: [-0.15, 0.03, 0.001, -0.001, 0],
  });
  return Array.from({ length: n }, () => {
    const camera = rnd() < 0.5 ? pinhole : distorted;
    const h = 20 + 500 * rnd();
    const box: [number, number, number, number] = [
      W * rnd() - 80,
      H * rnd() - 80,
      h * (0.4 + rnd()),
      h,
    ];
    const augmentation: Augmentation = {
      ...NO_AUGMENTATION,
      angle: (rnd() - 0.5) * 1.2,
      flip: rnd() < 0.5,
      scale: 0.8 + 0.5 * rnd(),
      gamma: 0.5 + rnd(),
    };
    const side = [24, 48, 96][(rnd() * 3) | 0]!;
    const antialiasFactor = 1 + ((rnd() * 2) | 0);
    return { camera, crop: buildCropCamera(camera, box, { side, augmentation }), antialiasFactor };
  });
}

describe('warp fast paths', () => {
  const image = testImage();
  const crops = randomCrops(60, 3);

  it('covers every pyramid level', () => {
    const levels = new Set(crops.map((c) => choosePyramidLevel(c.crop.zoom, c.antialiasFactor)));
    expect([...levels].sort()).toEqual([0, 1, 2]);
  });

  it('renders the same from the bytes, from a linear float image and from complete levels', () => {
    const lazy = new LinearImagePyramid(image);
    const linear = new LinearImagePyramid({
      width: W,
      height: H,
      data: Float32Array.from(image.data, (b) => SRGB_TO_LINEAR[b]!),
    });
    const complete = new LinearImagePyramid(image);
    for (let i = 0; i < complete.levelCount; i++) complete.level(i);
    for (const { camera, crop, antialiasFactor } of crops) {
      const a = renderCrop(lazy, crop, camera, { antialiasFactor });
      const b = renderCrop(linear, crop, camera, { antialiasFactor });
      const c = renderCrop(complete, crop, camera, { antialiasFactor });
      expect(a.every((x, k) => x === b[k] && x === c[k])).toBe(true);
    }
    // Levels built window by window equal levels built at once.
    for (let i = 0; i < lazy.levelCount; i++) {
      const l = lazy.level(i).data;
      const m = linear.level(i).data;
      expect(l.length).toBe(m.length);
      expect(l.every((x, k) => x === m[k])).toBe(true);
    }
  });

  it('the table-based gamma encoding is within 1e-6 of Math.pow (bound: 1e-3)', () => {
    const pyramid = new LinearImagePyramid(image);
    let worst = 0;
    let values = 0;
    for (const { camera, crop, antialiasFactor } of crops) {
      // gamma = 2.2 encodes with exponent 1: the clamped linear-light crop, no table.
      const linear = renderCrop(pyramid, crop, camera, { antialiasFactor, gamma: DECODING_GAMMA });
      for (const gamma of [crop.augmentation.gamma, 0.6, 1, 1.8, 3.5]) {
        const encoded = renderCrop(pyramid, crop, camera, { antialiasFactor, gamma });
        const e = gamma / DECODING_GAMMA;
        for (let k = 0; k < linear.length; k++) {
          const want = Math.fround(linear[k]! ** e);
          worst = Math.max(worst, Math.abs(encoded[k]! - want));
          values++;
        }
      }
    }
    expect(values).toBeGreaterThan(100_000);
    expect(worst).toBeLessThan(1e-3);
    expect(worst).toBeLessThan(1e-6);
  });

  it('encodes tiny, zero and saturated values exactly at the ends', () => {
    const camera = Camera.fromFov(55, 64, 64);
    const crop = buildCropCamera(camera, [0, 0, 64, 64], { side: 16 });
    for (const value of [0, 1, 255]) {
      const pyramid = new LinearImagePyramid({
        width: 64,
        height: 64,
        data: new Uint8Array(64 * 64 * 3).fill(value),
      });
      const out = renderCrop(pyramid, crop, camera, { gamma: 0.8 });
      const want = SRGB_TO_LINEAR[value]! ** (0.8 / DECODING_GAMMA);
      // The centre pixels see only the constant image.
      const centre = (8 * 16 + 8) * 3;
      expect(Math.abs(out[centre]! - want)).toBeLessThan(1e-6);
    }
  });
});
