/**
 * The long fuzz run: ≥ 10 000 cases per input path (camera files, pose options, image bytes),
 * counted as clear errors, valid results and failures (a crash, an untyped error, a NaN or a
 * hang). The counts go in docs/reliability.md. Exit code 1 on any failure.
 *
 *   nice -n 15 npm run bench:fuzz                 # 10 000 cases per path, seed 18
 *   nice -n 15 npm run bench:fuzz -- 20000 7      # cases per path, seed
 */
import fc from 'fast-check';
import {
  cameraJson,
  count,
  emptyCounts,
  type FuzzCounts,
  judgeCamera,
  judgeImage,
  judgeOptions,
  mutatedImage,
  poseOptions,
  seedImages,
} from '../test-support/fuzz.js';

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 18);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  console.error('usage: bench/fuzz.ts [cases per path ≥ 1] [integer seed]');
  process.exit(2);
}

function sample<T>(arb: fc.Arbitrary<T>, n: number): T[] {
  return fc.sample(arb, { numRuns: n, seed });
}

const results: Record<string, FuzzCounts & { seconds: number }> = {};
async function path(name: string, run: (counts: FuzzCounts) => Promise<void> | void) {
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

await path('camera files', (c) => {
  for (const json of sample(cameraJson, cases)) count(c, json, judgeCamera(json));
});
await path('pose options', (c) => {
  for (const o of sample(poseOptions, cases)) count(c, o, judgeOptions(o));
});
const seeds = await seedImages();
await path('image bytes', async (c) => {
  for (const bytes of sample(mutatedImage(seeds), cases)) {
    count(c, Buffer.from(bytes).toString('base64').slice(0, 120), await judgeImage(bytes));
  }
});

console.log(`seed ${seed}, ${cases} cases per path, node ${process.version}`);
process.exit(Object.values(results).some((r) => r.failure > 0) ? 1 : 0);
