/**
 * Temporal filtering measured on motion capture with model-like noise
 * (test-support/noisy-motion.ts): MPJPE and mean acceleration error (jitter) of the raw
 * per-frame poses, of exponential smoothing and of the One Euro motion filter over a grid of
 * parameters; prints markdown tables (docs/motion.md).
 *
 *   npx tsx --conditions=@metrabs/source bench/motion.ts [fps=30] [depthNoise=0.03] [jointNoiseMm=20]
 */
import {
  exponentialFilter,
  MOTION_FILTER_DEFAULTS,
  MotionFilter,
  type MotionFilterOptions,
  type PoseFilter,
} from '@metrabs/runtime';
import {
  accelerationError,
  mpjpe,
  type NoisyMotion,
  noisyMotion,
} from '../test-support/noisy-motion.js';
import { BENCH_CLIPS } from './motion-clips.js';

const [fps, depthNoise, jointNoiseMm] = [30, 0.03, 20].map((d, i) =>
  Number(process.argv[2 + i] ?? d),
) as [number, number, number];

function run(seq: NoisyMotion, filter: PoseFilter | undefined): number[][][] {
  return seq.estimates.map((pose, f) =>
    filter ? filter.filter(pose, [], f / seq.fps).pose3d : pose,
  );
}

const sequences = BENCH_CLIPS.map((id, i) =>
  noisyMotion(id, { fps, depthNoise, jointNoiseMm, seed: i + 1 }),
);
const frames = sequences.reduce((n, s) => n + s.truth.length, 0);

interface Row {
  name: string;
  mpjpe: number;
  accel: number;
}
function measure(name: string, make: ((seq: NoisyMotion) => PoseFilter) | undefined): Row {
  let m = 0;
  let a = 0;
  for (const seq of sequences) {
    const out = run(seq, make?.(seq));
    m += (mpjpe(out, seq.truth) * seq.truth.length) / frames;
    a += (accelerationError(out, seq.truth) * seq.truth.length) / frames;
  }
  return { name, mpjpe: m, accel: a };
}
const motion = (o: MotionFilterOptions) => (seq: NoisyMotion) =>
  new MotionFilter({ edges: seq.edges, ...o });

const raw = measure('raw (per-frame)', undefined);
const rows: Row[] = [raw];
for (const alpha of [0.7, 0.5, 0.3])
  rows.push(measure(`exponential, alpha ${alpha}`, () => exponentialFilter(alpha)()));
rows.push(measure('One Euro, defaults', motion({})));
rows.push(measure('One Euro, defaults, bones not held', motion({ holdBoneLengths: false })));

const grid: Row[] = [];
for (const minCutoff of [0.5, 1, 2, 3]) {
  for (const beta of [0, 0.001, 0.002, 0.005]) {
    for (const derivativeCutoff of [0.3, 1]) {
      for (const distanceCutoff of [0.1, 0.2, 0.5]) {
        for (const holdBoneLengths of [true, false]) {
          grid.push(
            measure(
              `joints ${minCutoff} Hz + ${beta}/(mm/s), velocity ${derivativeCutoff} Hz; distance ${distanceCutoff} Hz${holdBoneLengths ? '' : '; bones free'}`,
              motion({
                joints: { minCutoff, beta, derivativeCutoff },
                distance: { ...MOTION_FILTER_DEFAULTS.distance, minCutoff: distanceCutoff },
                holdBoneLengths,
              }),
            ),
          );
        }
      }
    }
  }
}

const fmt = (r: Row) =>
  `| ${r.name} | ${r.mpjpe.toFixed(1)} | ${((100 * (r.mpjpe - raw.mpjpe)) / raw.mpjpe).toFixed(1)} % | ${r.accel.toFixed(1)} | ${(raw.accel / r.accel).toFixed(2)}× |`;
console.log(
  `${sequences.length} clips, ${frames} frames at ${fps} fps; noise: depth ${100 * depthNoise} % of distance, joints ${jointNoiseMm} mm (σ per axis)\n`,
);
const header =
  '| filter | MPJPE (mm) | vs raw | accel. error (mm/frame²) | jitter lower by |\n| --- | ---: | ---: | ---: | ---: |';
console.log(header);
for (const r of rows) console.log(fmt(r));
console.log('\nPer clip, raw → One Euro defaults (→ exponential, alpha 0.5):\n');
console.log(
  '| clip | frames | MPJPE raw | One Euro | exp. 0.5 | jitter lower by: One Euro | exp. 0.5 |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const seq of sequences) {
  const oe = run(seq, new MotionFilter({ edges: seq.edges }));
  const ex = run(seq, exponentialFilter(0.5)());
  const ra = accelerationError(seq.estimates, seq.truth);
  console.log(
    `| ${seq.id} | ${seq.truth.length} | ${mpjpe(seq.estimates, seq.truth).toFixed(1)} | ${mpjpe(oe, seq.truth).toFixed(1)} | ${mpjpe(ex, seq.truth).toFixed(1)} | ${(ra / accelerationError(oe, seq.truth)).toFixed(2)}× | ${(ra / accelerationError(ex, seq.truth)).toFixed(2)}× |`,
  );
}

const best = (rows: Row[], title: string) => {
  console.log(`\n${title}:\n`);
  console.log(header);
  if (rows.length === 0) console.log('| (none) | | | | |');
  for (const r of rows.sort((a, b) => a.mpjpe - b.mpjpe).slice(0, 10)) console.log(fmt(r));
};
best(
  grid.filter((r) => raw.accel / r.accel >= 3),
  'Grid (bones held or free), best 10 by MPJPE among those with jitter ≥ 3× lower',
);
best(
  grid.filter((r) => !r.name.includes('bones free')),
  'Grid with bones held, best 10 by MPJPE',
);
