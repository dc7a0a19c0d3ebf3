/**
 * Benchmark: end-to-end inference with ONNX Runtime (onnxruntime-node) on this machine.
 *
 *   npx tsx bench/inference.ts [--quick] [--official]
 *
 * `--official` times imported official-release architectures instead (issue 19): random-weight
 * releases in the metrabs_pytorch layout (EfficientNetV2-S at 256², -L at 384²), imported once
 * with `metrabs_train.import_official` into /tmp/metrabs-bench-cache/official-*; network alone
 * at batch 1 and 8 with the default threads, and end to end with one person.
 *
 * 1. The crop network alone (`CropModel.predict` on random crops), crops/s at batch sizes
 *    1, 8 and 32, with ONNX Runtime's default number of threads and with 1 thread, for the
 *    toy fixture model (fixtures/model-tiny: MobileNetV3-S ×0.5, 128²) and a randomly
 *    initialised MobileNetV3-L 256² model package. The latter is exported once with the
 *    Python trainer (training/.venv) into /tmp/metrabs-bench-cache/mnv3l-256 and reused.
 * 2. Latency per image of `Pose3DEstimator.estimatePoses` (given boxes, so no detection) on
 *    a 1920×1080 noise image with 1 and 5 people, numAug 1 and 5; and of `detectPoses` with
 *    YOLOX-Nano on ../shared/data/real/metrabs/test_image_3dpw.jpg (skipped if missing).
 * 3. The pipeline's own share: the model's `predict` is wrapped in a timing proxy (nothing in
 *    packages/ is changed), so each call splits into network, before the network (crop
 *    cameras, linear-light pyramid, crop rendering) and after it (reconstruction, back to
 *    the image camera, filtering, averaging, nested output arrays). The pyramid and the
 *    crop rendering are also timed on their own for the same image and crops.
 *
 * Prints markdown tables and one JSON line per measurement (prefix `JSON `). Medians of
 * several rounds after warm-up; `--quick` runs fewer and shorter rounds. The machine is
 * shared and noisy: compare numbers from one run only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCropCamera, Camera, type CropGeometry, ttaSchedule } from '@metrabs/core';
import type {
  Box,
  CropModel,
  CropPredictions,
  DetectorOptions,
  PersonDetector,
  RgbImage,
} from '@metrabs/runtime';
import {
  LinearImagePyramid,
  Pose3DEstimator,
  type PoseOptions,
  renderCrops,
} from '@metrabs/runtime';
import { loadImage, loadModelPackage, loadYoloxDetector } from '@metrabs/runtime/node';

const QUICK = process.argv.includes('--quick');
const OFFICIAL = process.argv.includes('--official');
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(REPO, '../shared/data');
const DETECTOR_PATH = join(SHARED, 'detector/yolox_nano.onnx');
const REAL_IMAGE = join(SHARED, 'real/metrabs/test_image_3dpw.jpg');
const CACHE = '/tmp/metrabs-bench-cache';
const MNV3L_DIR = join(CACHE, 'mnv3l-256');
const PYTHON = join(REPO, 'training/.venv/bin/python');

/** Network alone: rounds of at least `NET_MIN_MS` (at least one call each). */
const NET_ROUNDS = QUICK ? 3 : 7;
const NET_MIN_MS = QUICK ? 200 : 500;
const NET_WARMUP = 2;
/** End to end: timed calls after warm-up calls. */
const E2E_RUNS = QUICK ? 3 : 9;
const E2E_WARMUP = QUICK ? 1 : 2;
/** The issue's target: everything besides the network under this share at numAug 1. */
const TARGET_SHARE = 0.2;

const W = 1920;
const H = 1080;
/** Person boxes `[x, y, w, h]` of a 1080p frame, 200–800 px tall. */
const ONE_PERSON = [[810, 300, 260, 600]];
const FIVE_PEOPLE = [
  [100, 600, 90, 200],
  [400, 450, 150, 350],
  [750, 350, 210, 500],
  [1150, 250, 270, 650],
  [1550, 150, 330, 800],
];

// ---------------------------------------------------------------------------------------------
// helpers

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(x: number, digits = 1): string {
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function pct(x: number): string {
  return `${(100 * x).toFixed(0)} %`;
}

function json(record: Record<string, unknown>): void {
  console.log(`JSON ${JSON.stringify(record)}`);
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
  );
  for (const r of rows) console.log(line(r));
  console.log();
}

/** A deterministic noise image (xorshift32 bytes). */
function noiseImage(width: number, height: number, seed = 2463534242): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let x = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data[i] = x >>> 24;
  }
  return { width, height, data };
}

/** Deterministic random crops in [0, 1). */
function randomCrops(n: number, side: number, seed = 12345): Float32Array {
  const out = new Float32Array(n * side * side * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the MobileNetV3-L package (random weights), exported once with the Python trainer

const EXPORT_SCRIPT = `
import json, sys
from pathlib import Path
import torch
from metrabs_train.checkpoint import save_checkpoint
from metrabs_train.config import TrainConfig, to_dict
from metrabs_train.export import export_package
from metrabs_train.model import MetrabsNet, ModelConfig

repo, out, ckpt = (Path(a) for a in sys.argv[1:4])
canonical = json.loads((repo / 'fixtures' / 'skeletons.json').read_text())['skeletons']['smpl+head_30']
skeleton = dict(name='smpl+head_30', joint_names=canonical['joint_names'],
                edges=canonical['edges'], mirror=canonical['mirror'])
cfg = TrainConfig(dataset='none', model=ModelConfig(backbone='mobilenet_v3_large', proc_side=256))
torch.manual_seed(0)
model = MetrabsNet(cfg.model, len(skeleton['joint_names']))
save_checkpoint(ckpt, dict(model=model.state_dict(), config=to_dict(cfg), skeleton=skeleton, step=0))
desc = export_package(ckpt, out, data_info={'dataset': 'none: random initialisation, for benchmarks only'})
print(json.dumps(desc['export_check']))
`;

function ensureMnv3lPackage(): string {
  if (existsSync(join(MNV3L_DIR, 'metrabs.json')) && existsSync(join(MNV3L_DIR, 'model.onnx'))) {
    return MNV3L_DIR;
  }
  if (!existsSync(PYTHON)) {
    throw new Error(
      `${PYTHON} is missing: run \`npm run setup:python\` to create the trainer's environment, ` +
        `which exports the MobileNetV3-L package to ${MNV3L_DIR}`,
    );
  }
  console.log(`exporting a randomly initialised MobileNetV3-L 256² package to ${MNV3L_DIR} …`);
  const partial = `${MNV3L_DIR}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const checkpoint = join(partial, 'checkpoint.pt');
  const t0 = performance.now();
  const run = spawnSync(PYTHON, ['-c', EXPORT_SCRIPT, REPO, partial, checkpoint], {
    cwd: join(REPO, 'training'),
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`the export failed (exit ${run.status ?? run.signal})`);
  }
  rmSync(checkpoint);
  writeFileSync(
    join(partial, 'README.md'),
    '# MobileNetV3-L 256², random weights\n\nExported by bench/inference.ts for timing only: ' +
      'the network is randomly initialised, its poses are meaningless.\n',
  );
  rmSync(MNV3L_DIR, { recursive: true, force: true });
  renameSync(partial, MNV3L_DIR);
  console.log(
    `  done in ${fmt((performance.now() - t0) / 1000)} s; export check ${run.stdout.trim()}`,
  );
  return MNV3L_DIR;
}

// ---------------------------------------------------------------------------------------------
// timing proxies around the model and the detector (packages/ stays untouched)

interface Timeline {
  /** [start, end] of every `predict` call, ms (performance.now()). */
  predict: [number, number][];
  /** Total ms inside `detector.detect`. */
  detectMs: number;
}

function timedModel(model: CropModel, timeline: Timeline): CropModel {
  const predict = async (crops: Float32Array, n: number): Promise<CropPredictions> => {
    const t0 = performance.now();
    const out = await model.predict(crops, n);
    timeline.predict.push([t0, performance.now()]);
    return out;
  };
  return new Proxy(model, {
    get: (target, prop, receiver) =>
      prop === 'predict' ? predict : Reflect.get(target, prop, receiver),
  });
}

function timedDetector(detector: PersonDetector, timeline: Timeline): PersonDetector {
  return {
    async detect(image: RgbImage, options?: DetectorOptions): Promise<Box[]> {
      const t0 = performance.now();
      const boxes = await detector.detect(image, options);
      timeline.detectMs += performance.now() - t0;
      return boxes;
    },
  };
}

interface CallSample {
  totalMs: number;
  networkMs: number;
  /** From the call to the first `predict` (crop cameras, pyramid, rendering; detection if any). */
  beforeMs: number;
  /** From the last `predict` to the result (reconstruction, post-processing). */
  afterMs: number;
  detectMs: number;
  /** Share of the time outside the network and the detector. */
  pipelineShare: number;
  networkCalls: number;
}

async function timeCall(timeline: Timeline, fn: () => Promise<unknown>): Promise<CallSample> {
  timeline.predict = [];
  timeline.detectMs = 0;
  const t0 = performance.now();
  await fn();
  const t1 = performance.now();
  const p = timeline.predict;
  const networkMs = p.reduce((sum, [a, b]) => sum + b - a, 0);
  const totalMs = t1 - t0;
  return {
    totalMs,
    networkMs,
    beforeMs: p.length > 0 ? p[0]![0] - t0 : totalMs,
    afterMs: p.length > 0 ? t1 - p[p.length - 1]![1] : 0,
    detectMs: timeline.detectMs,
    pipelineShare: (totalMs - networkMs - timeline.detectMs) / (totalMs - timeline.detectMs),
    networkCalls: p.length,
  };
}

/** Medians per field over the timed runs (so the columns need not add up exactly). */
async function measureCalls(timeline: Timeline, fn: () => Promise<unknown>): Promise<CallSample> {
  for (let i = 0; i < E2E_WARMUP; i++) await fn();
  const samples: CallSample[] = [];
  for (let i = 0; i < E2E_RUNS; i++) samples.push(await timeCall(timeline, fn));
  const m = (key: keyof CallSample) => median(samples.map((s) => s[key]));
  return {
    totalMs: m('totalMs'),
    networkMs: m('networkMs'),
    beforeMs: m('beforeMs'),
    afterMs: m('afterMs'),
    detectMs: m('detectMs'),
    pipelineShare: m('pipelineShare'),
    networkCalls: m('networkCalls'),
  };
}

// Imported official-release architectures with random weights (--official) -----------------------

const OFFICIAL_PACKAGES = [
  { name: 'official-s256', label: 'official EffV2-S 256² (random)', backbone: 's', side: 256 },
  { name: 'official-l384', label: 'official EffV2-L 384² (random)', backbone: 'l', side: 384 },
];

function ensureOfficialPackage(spec: (typeof OFFICIAL_PACKAGES)[number]): string {
  const dir = join(CACHE, spec.name);
  if (existsSync(join(dir, 'metrabs.json')) && existsSync(join(dir, 'model.onnx'))) return dir;
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run setup:python\``);
  console.log(
    `importing a random-weight EfficientNetV2-${spec.backbone.toUpperCase()} release to ${dir} …`,
  );
  const release = `${dir}-release`;
  const partial = `${dir}.partial-${process.pid}`;
  const t0 = performance.now();
  const steps = [
    [
      '-m',
      'metrabs_train.official_synthetic',
      '--backbone',
      `efficientnetv2-${spec.backbone}`,
      '--side',
      String(spec.side),
      '--out',
      release,
    ],
    ['-m', 'metrabs_train.import_official', release, '--out', partial],
  ];
  for (const args of steps) {
    const run = spawnSync(PYTHON, args, {
      cwd: join(REPO, 'training'),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.status !== 0) throw new Error(`python ${args.join(' ')} failed (exit ${run.status})`);
  }
  rmSync(release, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  console.log(`  done in ${fmt((performance.now() - t0) / 1000)} s`);
  return dir;
}

// ---------------------------------------------------------------------------------------------

const models = OFFICIAL
  ? OFFICIAL_PACKAGES.map((spec) => ({ ...spec, dir: ensureOfficialPackage(spec) }))
  : [
      {
        name: 'model-tiny',
        label: 'tiny (MNv3-S ×0.5, 128²)',
        dir: join(REPO, 'fixtures/model-tiny'),
      },
      { name: 'mnv3l-256', label: 'MNv3-L 256²', dir: ensureMnv3lPackage() },
      // The shipped default model (EfficientNet-Lite0 256²), when this checkout has one.
      ...(existsSync(join(REPO, 'models/default/metrabs.json'))
        ? [{ name: 'default', label: 'default (Lite0 256²)', dir: join(REPO, 'models/default') }]
        : []),
    ];

console.log(
  `bench/inference.ts${QUICK ? ' --quick' : ''}: Node ${process.version}, ${new Date().toISOString()}`,
);
console.log(
  `network: median of ${NET_ROUNDS} rounds ≥ ${NET_MIN_MS} ms after ${NET_WARMUP} warm-up calls; ` +
    `end to end: median of ${E2E_RUNS} calls after ${E2E_WARMUP} warm-up calls\n`,
);

// 1. The network alone -------------------------------------------------------------------------

console.log('## Network alone (CropModel.predict, random crops)\n');
const netRows: string[][] = [];
for (const m of models) {
  for (const threads of OFFICIAL ? [undefined] : [undefined, 1]) {
    const model = await loadModelPackage(m.dir, { threads });
    const side = model.side;
    for (const batch of OFFICIAL ? [1, 8] : [1, 8, 32]) {
      const crops = randomCrops(batch, side);
      for (let i = 0; i < NET_WARMUP; i++) await model.predict(crops, batch);
      const rates: number[] = [];
      for (let r = 0; r < NET_ROUNDS; r++) {
        let calls = 0;
        const t0 = performance.now();
        let t = t0;
        do {
          await model.predict(crops, batch);
          calls++;
          t = performance.now();
        } while (t - t0 < NET_MIN_MS);
        rates.push((calls * batch * 1000) / (t - t0));
      }
      const rate = median(rates);
      const threadLabel = threads === undefined ? 'default' : String(threads);
      netRows.push([
        m.label,
        threadLabel,
        String(batch),
        fmt(rate, 0),
        fmt(1000 / rate, 2),
        fmt((1000 * batch) / rate, 1),
      ]);
      json({
        bench: 'network',
        model: m.name,
        side,
        threads: threadLabel,
        batch,
        cropsPerSecond: rate,
        msPerCrop: 1000 / rate,
      });
    }
    await model.release();
  }
}
table(['model', 'threads', 'batch', 'crops/s', 'ms/crop', 'ms/batch'], netRows, [
  'l',
  'l',
  'r',
  'r',
  'r',
  'r',
]);

// Pyramid and crop rendering on their own (same image, boxes and augmentations) ------------------

const image = noiseImage(W, H);
const camera = Camera.fromFov(55, W, H);

console.log('## Pipeline pieces on their own (1920×1080 noise image)\n');
const pyramid0: number[] = [];
const pyramid12: number[] = [];
for (let r = 0; r < (QUICK ? 4 : 8); r++) {
  const t0 = performance.now();
  const p = new LinearImagePyramid(image);
  const t1 = performance.now();
  p.level(2);
  const t2 = performance.now();
  if (r > 0) {
    pyramid0.push(t1 - t0);
    pyramid12.push(t2 - t1);
  }
}
const pyramidLevel0Ms = median(pyramid0);
const pyramidLevels12Ms = median(pyramid12);
const fullPyramid = new LinearImagePyramid(image);
fullPyramid.level(2);
const renderMsPerCrop = new Map<number, number>();
for (const side of [128, 256]) {
  const crops: CropGeometry[] = FIVE_PEOPLE.flatMap((box) =>
    ttaSchedule(5).map((augmentation) => buildCropCamera(camera, box, { side, augmentation })),
  );
  const out = new Float32Array(crops.length * side * side * 3);
  for (let i = 0; i < 2; i++) renderCrops(fullPyramid, crops, camera, {}, out);
  const ms: number[] = [];
  for (let r = 0; r < (QUICK ? 3 : 7); r++) {
    const t0 = performance.now();
    renderCrops(fullPyramid, crops, camera, {}, out);
    ms.push((performance.now() - t0) / crops.length);
  }
  renderMsPerCrop.set(side, median(ms));
}
table(
  ['piece', 'ms'],
  [
    ['linear-light pyramid, level 0 (once per image)', fmt(pyramidLevel0Ms)],
    ['pyramid levels 1 + 2 (when a crop needs them)', fmt(pyramidLevels12Ms)],
    ['render one crop, S = 128 (5 boxes × 5 augmentations)', fmt(renderMsPerCrop.get(128)!, 2)],
    ['render one crop, S = 256 (5 boxes × 5 augmentations)', fmt(renderMsPerCrop.get(256)!, 2)],
  ],
  ['l', 'r'],
);
json({
  bench: 'pieces',
  pyramidLevel0Ms,
  pyramidLevels12Ms,
  renderMsPerCrop128: renderMsPerCrop.get(128),
  renderMsPerCrop256: renderMsPerCrop.get(256),
});

// 2 + 3. End to end with given boxes ------------------------------------------------------------

console.log('## estimatePoses (given boxes, 1920×1080 noise image, default threads)\n');
const e2eRows: string[][] = [];
const verdicts: string[] = [];
for (const m of models) {
  const timeline: Timeline = { predict: [], detectMs: 0 };
  const model = await loadModelPackage(m.dir);
  const estimator = new Pose3DEstimator(timedModel(model, timeline));
  for (const boxes of OFFICIAL ? [ONE_PERSON] : [ONE_PERSON, FIVE_PEOPLE]) {
    for (const numAug of [1, 5]) {
      const options: PoseOptions = { numAug };
      const s = await measureCalls(timeline, () => estimator.estimatePoses(image, boxes, options));
      e2eRows.push([
        m.label,
        String(boxes.length),
        String(numAug),
        String(boxes.length * numAug),
        fmt(s.totalMs),
        fmt(s.networkMs),
        fmt(s.beforeMs),
        fmt(s.afterMs),
        pct(s.pipelineShare),
      ]);
      json({
        bench: 'estimatePoses',
        model: m.name,
        people: boxes.length,
        numAug,
        crops: boxes.length * numAug,
        ...s,
      });
      if (numAug === 1) {
        const met = s.pipelineShare < TARGET_SHARE;
        verdicts.push(
          `${m.label}, ${boxes.length} ${boxes.length === 1 ? 'person' : 'people'}, numAug 1: ` +
            `outside the network ${pct(s.pipelineShare)} of ${fmt(s.totalMs)} ms → target < ${pct(TARGET_SHARE)} ` +
            `${met ? 'MET' : `MISSED by ${fmt(100 * (s.pipelineShare - TARGET_SHARE), 0)} points`}`,
        );
        json({
          bench: 'target',
          model: m.name,
          people: boxes.length,
          numAug,
          pipelineShare: s.pipelineShare,
          target: TARGET_SHARE,
          met,
        });
      }
    }
  }
  await model.release();
}
table(
  [
    'model',
    'people',
    'numAug',
    'crops',
    'total ms',
    'network ms',
    'before network ms',
    'after network ms',
    'outside network',
  ],
  e2eRows,
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
);
console.log('Target (everything besides the network < 20 % at numAug 1):');
for (const v of verdicts) console.log(`  ${v}`);
console.log();

// 2. End to end with the detector ---------------------------------------------------------------

console.log('## detectPoses (YOLOX-Nano, test_image_3dpw.jpg, default threads)\n');
if (!existsSync(DETECTOR_PATH)) {
  console.log(`skipped: no detector at ${DETECTOR_PATH}\n`);
} else if (!existsSync(REAL_IMAGE)) {
  console.log(`skipped: no test image at ${REAL_IMAGE}\n`);
} else {
  const photo = await loadImage(REAL_IMAGE);
  const detector = await loadYoloxDetector({ path: DETECTOR_PATH });
  const detRows: string[][] = [];
  for (const m of models) {
    const timeline: Timeline = { predict: [], detectMs: 0 };
    const model = await loadModelPackage(m.dir);
    const estimator = new Pose3DEstimator(
      timedModel(model, timeline),
      timedDetector(detector, timeline),
    );
    const found = (await detector.detect(photo)).length;
    for (const numAug of [1, 5]) {
      const options: PoseOptions = { numAug };
      const returned = (await estimator.detectPoses(photo, options)).boxes.length;
      const s = await measureCalls(timeline, () => estimator.detectPoses(photo, options));
      detRows.push([
        m.label,
        `${photo.width}×${photo.height}`,
        String(numAug),
        String(found),
        String(returned),
        fmt(s.totalMs),
        fmt(s.detectMs),
        fmt(s.networkMs),
        fmt(s.totalMs - s.detectMs - s.networkMs),
        pct(s.pipelineShare),
      ]);
      json({
        bench: 'detectPoses',
        model: m.name,
        image: 'test_image_3dpw.jpg',
        width: photo.width,
        height: photo.height,
        numAug,
        peopleDetected: found,
        posesReturned: returned,
        ...s,
      });
    }
    await model.release();
  }
  await detector.release();
  table(
    [
      'model',
      'image',
      'numAug',
      'people detected',
      'poses returned',
      'total ms',
      'detection ms',
      'network ms',
      'rest ms',
      'rest / (total − detection)',
    ],
    detRows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
