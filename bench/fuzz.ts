/**
 * The long fuzz run: ≥ 10 000 cases per input path (camera files, pose options, image bytes,
 * boxes, model packages, dataset labels, the HTTP service),
 * counted as clear errors, valid results and failures (a crash, an untyped error, a NaN or a
 * hang). The counts go in docs/reliability.md. Exit code 1 on any failure.
 *
 *   nice -n 15 npm run bench:fuzz                 # 10 000 cases per path, seed 18
 *   nice -n 15 npm run bench:fuzz -- 20000 7      # cases per path, seed
 *   nice -n 15 npm run bench:fuzz -- 10000 18 boxes,server   # only these paths
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import {
  cameraJson,
  count,
  emptyCounts,
  type FuzzCounts,
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

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 18);
const PATHS = ['camera', 'options', 'images', 'boxes', 'models', 'datasets', 'server', 'batch'];
const only = process.argv[4]?.split(',') ?? PATHS;
if (
  !Number.isInteger(cases) ||
  cases < 1 ||
  !Number.isInteger(seed) ||
  !only.every((p) => PATHS.includes(p))
) {
  console.error(
    `usage: bench/fuzz.ts [cases per path ≥ 1] [integer seed] [paths, comma-separated: ${PATHS.join(',')}]`,
  );
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'metrabs-fuzz-'));

function sample<T>(arb: fc.Arbitrary<T>, n: number): T[] {
  return fc.sample(arb, { numRuns: n, seed });
}

const results: Record<string, FuzzCounts & { seconds: number }> = {};
async function path(name: string, key: string, run: (counts: FuzzCounts) => Promise<void> | void) {
  if (!only.includes(key)) return;
  const counts = emptyCounts();
  const started = performance.now();
  await run(counts);
  results[name] = { ...counts, seconds: (performance.now() - started) / 1000 };
  const r = results[name]!;
  console.log(
    `${name.padEnd(14)} ${String(r.cases).padStart(6)} cases  ${String(r.error).padStart(6)} clear errors  ${String(r.valid).padStart(6)} valid  ${r.failure} failures  (${r.seconds.toFixed(1)} s)`,
  );
  for (const f of r.failures)
    console.log(`  FAILURE ${f.why}: ${JSON.stringify(f.input).slice(0, 300)}`);
}

await path('camera files', 'camera', (c) => {
  for (const json of sample(cameraJson, cases)) count(c, json, judgeCamera(json));
});
await path('pose options', 'options', (c) => {
  for (const o of sample(poseOptions, cases)) count(c, o, judgeOptions(o));
});
const seeds = await seedImages();
await path('image bytes', 'images', async (c) => {
  for (const bytes of sample(mutatedImage(seeds), cases)) {
    count(c, Buffer.from(bytes).toString('base64').slice(0, 120), await judgeImage(bytes));
  }
});

await path('boxes', 'boxes', async (c) => {
  const estimator = standInEstimator();
  for (const b of sample(boxesCase, cases)) count(c, b, await judgeBoxes(estimator, b));
});
await path('model packages', 'models', async (c) => {
  for (const m of sample(modelPackageCase, cases)) {
    count(c, m, await judgeModelPackage(join(scratch, 'package'), m));
  }
});
const jpeg = await datasetImage();
await path('dataset labels', 'datasets', async (c) => {
  for (const d of sample(datasetCase, cases)) {
    count(c, d, await judgeDataset(join(scratch, 'dataset'), d, jpeg));
  }
});
/** Every case to one fuzz app; afterwards the service must still be alive. */
async function httpPath<C>(
  name: string,
  key: string,
  arbitrary: fc.Arbitrary<C>,
  judge: (app: FastifyInstance, c: C) => Promise<FuzzOutcome>,
  printable: (c: C) => unknown,
) {
  await path(name, key, async (c) => {
    const app = await fuzzApp();
    for (const r of sample(arbitrary, cases)) count(c, printable(r), await judge(app, r));
    if (!(await stillHealthy(app))) {
      c.failure++;
      c.failures.push({ input: 'GET /healthz afterwards', why: 'no 200' });
    }
    await app.close();
  });
}
await httpPath('HTTP server', 'server', serverCase(seeds), judgeServer, (r) => ({
  ...r,
  image: `${r.image.length} bytes`,
}));
await httpPath('HTTP batch', 'batch', batchCase(seeds), judgeBatch, (r) => ({
  ...r,
  parts: r.parts.map((p) => `${p.field}: ${p.image.length} bytes`),
}));
rmSync(scratch, { recursive: true, force: true });

console.log(`seed ${seed}, ${cases} cases per path, node ${process.version}`);
process.exit(Object.values(results).some((r) => r.failure > 0) ? 1 : 0);
