/**
 * The CI-sized fuzz run (fixed seeds): camera files, pose options and image bytes each end in
 * a typed error or a valid, finite result. The long run is `npm run bench:fuzz`
 * (docs/reliability.md). Failures found there come back here as regression cases.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cameraJson,
  judgeCamera,
  judgeImage,
  judgeOptions,
  mutatedImage,
  poseOptions,
  seedImages,
} from '../test-support/fuzz.js';

const SEED = 18;

describe('fuzz (CI size, seed 18)', { timeout: 180_000 }, () => {
  let seeds: Uint8Array[];
  beforeAll(async () => {
    seeds = await seedImages();
  });

  it('camera files: 2000 cases', () => {
    fc.assert(
      fc.property(cameraJson, (json) => {
        const outcome = judgeCamera(json);
        expect(outcome.why ?? '').toBe('');
        expect(outcome.verdict).not.toBe('failure');
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('pose options: 2000 cases', () => {
    fc.assert(
      fc.property(poseOptions, (o) => {
        expect(judgeOptions(o).verdict).not.toBe('failure');
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('image bytes: 300 mutated JPEG/PNG/WebP/GIF/TIFF files', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedImage(seeds), async (bytes) => {
        const outcome = await judgeImage(bytes);
        expect(outcome.why ?? '').toBe('');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('regressions: the hand-made round of issue 18', async () => {
    // The absurd camera and distortion (defects 2, 3): clear errors, not "singular".
    expect(
      judgeCamera({
        intrinsic_matrix: [
          [500, 0, 1e9],
          [0, 500, -1e9],
          [0, 0, 1],
        ],
      }).verdict,
    ).toBe('error');
    expect(
      judgeCamera({
        intrinsic_matrix: [
          [652, 0, 255.5],
          [0, 652, 255.5],
          [0, 0, 1],
        ],
        distortion_coeffs: [50, -300, 0, 0, 1000],
      }).verdict,
    ).toBe('error');
    // An empty buffer (defect 4) and a JPEG declaring 65535×65535 pixels.
    expect((await judgeImage(new Uint8Array())).verdict).toBe('error');
    const huge = Uint8Array.from(seeds[0]!);
    const sof = huge.findIndex((b, i) => b === 0xff && huge[i + 1] === 0xc0);
    huge.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    expect((await judgeImage(huge)).verdict).toBe('error');
  });
});
