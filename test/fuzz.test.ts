/**
 * The CI-sized fuzz run (fixed seeds): camera files, pose options, image bytes, boxes, model
 * packages, dataset labels and the HTTP service each end in a typed error (a 4xx JSON error for
 * the service) or a valid, finite result. The long run is `npm run bench:fuzz`
 * (docs/reliability.md). Failures found there come back here as regression cases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cameraJson,
  type FuzzOutcome,
  judgeCamera,
  judgeImage,
  judgeOptions,
  mutatedImage,
  poseOptions,
  seedImages,
} from '../test-support/fuzz.js';
import { datasetCase, datasetImage, judgeDataset } from '../test-support/fuzz-dataset.js';
import { boxesCase, judgeBoxes, standInEstimator } from '../test-support/fuzz-estimator.js';
import { judgeModelPackage, modelPackageCase } from '../test-support/fuzz-model-package.js';
import {
  batchCase,
  fuzzApp,
  judgeBatch,
  judgeServer,
  serverCase,
  stillHealthy,
} from '../test-support/fuzz-server.js';

const SEED = 18;

describe('fuzz (CI size, seed 18)', { timeout: 180_000 }, () => {
  let seeds: Uint8Array[];
  const scratch = mkdtempSync(join(tmpdir(), 'metrabs-fuzz-'));
  beforeAll(async () => {
    seeds = await seedImages();
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

  it('boxes given to estimatePoses: 600 cases', async () => {
    const estimator = standInEstimator();
    await fc.assert(
      fc.asyncProperty(boxesCase, async (c) => {
        expect((await judgeBoxes(estimator, c)).why ?? '').toBe('');
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  it('model packages (descriptor and ONNX file): 30 cases', async () => {
    await fc.assert(
      fc.asyncProperty(modelPackageCase, async (c) => {
        expect((await judgeModelPackage(join(scratch, 'package'), c)).why ?? '').toBe('');
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('dataset labels, manifest and shard: 150 cases', async () => {
    const jpeg = await datasetImage();
    await fc.assert(
      fc.asyncProperty(datasetCase, async (c) => {
        expect((await judgeDataset(join(scratch, 'dataset'), c, jpeg)).why ?? '').toBe('');
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  /** `numRuns` requests to one fuzz app, each judged; then the app must still be healthy. */
  async function fuzzHttp<C>(
    cases: fc.Arbitrary<C>,
    judge: (app: FastifyInstance, c: C) => Promise<FuzzOutcome>,
    numRuns: number,
  ) {
    const app = await fuzzApp();
    try {
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          expect((await judge(app, c)).why ?? '').toBe('');
        }),
        { seed: SEED, numRuns },
      );
      expect(await stillHealthy(app)).toBe(true);
    } finally {
      await app.close();
    }
  }

  it('POST /v1/poses: 200 requests, then /healthz still answers', async () => {
    await fuzzHttp(serverCase(seeds), judgeServer, 200);
  });

  it('POST /v1/poses/batch: 100 requests, then /healthz still answers', async () => {
    await fuzzHttp(batchCase(seeds), judgeBatch, 100);
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
