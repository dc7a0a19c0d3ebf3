/**
 * Synthetic rendering throughput: images/s at 512² with exactly 1 and exactly 3 people, one
 * render process (the per-worker rate; `--workers 2` roughly doubles it on 2 cores), plus the
 * share of truncated / occluded / multi-person samples under the default scene mix.
 *
 *   npm run bench:synth            (needs the optional `gl` package; starts Xvfb itself)
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_GENERATOR_OPTIONS,
  ExampleGenerator,
  resolveAssetRoot,
  runSynth,
  splitAssignment,
} from '@metrabs/synth';

const N = Number(process.env['BENCH_SYNTH_IMAGES'] ?? 60);
const root = resolveAssetRoot();
const assignment = splitAssignment(root);

async function measure(label: string, peopleWeights: number[], seed: number) {
  const generator = await ExampleGenerator.create({
    ...DEFAULT_GENERATOR_OPTIONS,
    assetRoot: root,
    split: 'train',
    assignment,
    scene: { ...DEFAULT_GENERATOR_OPTIONS.scene, peopleWeights },
  });
  // Warm-up: a shard builds its bodies and loads its clips on first use; measure the steady state.
  for (let i = 0; i < 30; i++) {
    await generator.generate(seed, 0, 100_000 + i, 'warm');
  }
  const stats = {
    people: 0,
    truncated: 0,
    occludedPeople: 0,
    occludedJoints: 0,
    joints: 0,
    multi: 0,
    images: 0,
  };
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const { labels } = await generator.generate(seed, 0, i, 'x');
    stats.images++;
    stats.people += labels.people.length;
    if (labels.people.length > 1) stats.multi++;
    for (const p of labels.people) {
      if (p.truncated) stats.truncated++;
      if (p.occluded?.some((f) => f === 1)) stats.occludedPeople++;
      stats.occludedJoints += p.occluded?.filter((f) => f === 1).length ?? 0;
      stats.joints += p.joint_valid.length;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  generator.dispose();
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(0)}%`;
  console.log(
    `${label}: ${(N / seconds).toFixed(1)} images/s (${((1000 * seconds) / N).toFixed(0)} ms/image), ` +
      `${stats.people} labelled people in ${N} images; truncated ${pct(stats.truncated, stats.people)}, ` +
      `people with an occluded joint ${pct(stats.occludedPeople, stats.people)}, ` +
      `occluded joints ${pct(stats.occludedJoints, stats.joints)}, multi-person images ${pct(stats.multi, N)}`,
  );
}

/** The real thing: `metrabs synth` with one worker per core, start-up and writing included. */
async function endToEnd(label: string, peopleWeights: number[], count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const workers = availableParallelism();
  try {
    const r = await runSynth({
      outDir: dir,
      count,
      split: 'train',
      seed: 21,
      workers,
      examplesPerShard: Math.ceil(count / workers),
      scene: { peopleWeights },
    });
    console.log(
      `${label}, metrabs synth --workers ${workers}: ${(r.rendered / r.seconds).toFixed(1)} images/s ` +
        `(${r.rendered} images in ${r.seconds.toFixed(1)} s, start-up and writing included)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`synth bench: 512² images; steady state of 1 render process over ${N} images`);
await measure('1 person', [1], 11);
await measure('3 people', [0, 0, 1], 12);
await measure('default mix (1–4 people)', DEFAULT_GENERATOR_OPTIONS.scene.peopleWeights, 13);
const E = Number(process.env['BENCH_SYNTH_E2E'] ?? 240);
await endToEnd('1 person', [1], E);
await endToEnd('3 people', [0, 0, 1], E);
