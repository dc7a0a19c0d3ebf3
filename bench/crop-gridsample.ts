/**
 * Benchmark: one perspective crop rendered by the TypeScript renderer (`renderCrop`,
 * packages/runtime/src/warp.ts, what the pipeline uses) against the same crop as an ONNX
 * graph run by onnxruntime-node (bytes → linear light table → [2×2 average] → bilinear
 * GridSample → gamma; graph from training/bench/crop_graph.py, exported once into
 * /tmp/metrabs-bench-cache/crop-graph with the trainer's environment). Both start from the
 * 8-bit image, as `estimatePoses` does; the ONNX path's time includes the sampling grid and the
 * window copy made in TypeScript. Also checks that the two crops agree.
 *
 *   npx tsx bench/crop-gridsample.ts [--quick]
 *
 * 1920×1080 textured image, 55° camera, S = 256, antialias 1, no lens distortion, the
 * single-crop test-time augmentation; median of several rounds of repeated calls.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildCropCamera,
  Camera,
  type CropGeometry,
  cropToImageHomography,
  ttaSchedule,
} from '@metrabs/core';
import {
  choosePyramidLevel,
  DECODING_GAMMA,
  LinearImagePyramid,
  renderCrop,
} from '@metrabs/runtime';
import ort from 'onnxruntime-node';
import { texturedImage } from './images.js';
import { callsPerSecond, callsPerSecondAsync } from './timing.js';

const REPO = resolve(import.meta.dirname, '..');
const GRAPH_DIR = '/tmp/metrabs-bench-cache/crop-graph';
const PYTHON = join(REPO, 'training/.venv/bin/python');
const QUICK = process.argv.includes('--quick');
const W = 1920;
const H = 1080;
const S = 256;

function ensureGraphs(): void {
  if (existsSync(join(GRAPH_DIR, 'crop-level1.onnx'))) return;
  if (!existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run \`npm run setup:python\` (it exports the graphs)`);
  }
  const run = spawnSync(PYTHON, [join(REPO, 'training/bench/crop_graph.py'), GRAPH_DIR], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`exporting the crop graphs failed (exit ${run.status})`);
}

const image = texturedImage(W, H);
const camera = Camera.fromFov(55, W, H);
const [augmentation] = ttaSchedule(1);

/**
 * The ONNX graph's inputs for a crop: the level-0 window it reads (even-aligned for level 1)
 * and the GridSample grid in that window's (level's) normalised coordinates.
 */
function graphInputs(crop: CropGeometry, level: number) {
  const Hm = cropToImageHomography(crop, camera);
  // Bounding box of the crop's footprint (corners of the render square) plus the bilinear margin.
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const [u, v] of [
    [0, 0],
    [S - 1, 0],
    [0, S - 1],
    [S - 1, S - 1],
  ] as const) {
    const z = Hm[6]! * u + Hm[7]! * v + Hm[8]!;
    const x = (Hm[0]! * u + Hm[1]! * v + Hm[2]!) / z;
    const y = (Hm[3]! * u + Hm[4]! * v + Hm[5]!) / z;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const align = 1 << level;
  const clampX = (x: number) => Math.min(Math.max(x, 0), W);
  const clampY = (y: number) => Math.min(Math.max(y, 0), H);
  const wx0 = clampX(Math.floor((Math.floor(x0) - 2) / align) * align);
  const wy0 = clampY(Math.floor((Math.floor(y0) - 2) / align) * align);
  const wx1 = clampX(Math.ceil((Math.floor(x1) + 3) / align) * align);
  const wy1 = clampY(Math.ceil((Math.floor(y1) + 3) / align) * align);
  const ww = wx1 - wx0;
  const wh = wy1 - wy0;
  const window = new Uint8Array(ww * wh * 3);
  for (let y = 0; y < wh; y++) {
    const src = ((wy0 + y) * W + wx0) * 3;
    window.set(image.data.subarray(src, src + ww * 3), y * ww * 3);
  }
  // Level pixel centres are integers; level l's pixel grid is level 0's under x → (x + ½)/2^l − ½.
  const f = 2 ** -level;
  const lw = ww * f;
  const lh = wh * f;
  const grid = new Float32Array(S * S * 2);
  let g = 0;
  for (let v = 0; v < S; v++) {
    for (let u = 0; u < S; u++, g += 2) {
      const z = Hm[6]! * u + Hm[7]! * v + Hm[8]!;
      const x = (Hm[0]! * u + Hm[1]! * v + Hm[2]!) / z;
      const y = (Hm[3]! * u + Hm[4]! * v + Hm[5]!) / z;
      const lx = (x - wx0 + 0.5) * f - 0.5;
      const ly = (y - wy0 + 0.5) * f - 0.5;
      grid[g] = (2 * lx + 1) / lw - 1;
      grid[g + 1] = (2 * ly + 1) / lh - 1;
    }
  }
  return { window, ww, wh, grid };
}

ensureGraphs();
const sessions = await Promise.all(
  [0, 1].map((l) =>
    ort.InferenceSession.create(join(GRAPH_DIR, `crop-level${l}.onnx`), {
      executionMode: 'sequential',
    }),
  ),
);

console.log(`node ${process.version}, onnxruntime-node, image ${W}×${H}, S = ${S}, antialias 1\n`);
console.log(
  '| person box (px) | level | TypeScript ms/crop | ONNX graph ms/crop | ratio | mean abs diff | max abs diff |',
);
console.log(
  '| --------------- | ----: | -----------------: | -----------------: | ----: | ------------: | -----------: |',
);
const opts = QUICK ? { minMs: 150, rounds: 3 } : { minMs: 400, rounds: 7 };
for (const box of [
  [810, 400, 130, 300],
  [810, 300, 260, 600],
  [1550, 150, 330, 800],
]) {
  const crop = buildCropCamera(camera, box, { side: S, augmentation: augmentation! });
  const level = choosePyramidLevel(crop.zoom);
  if (level > 1) throw new Error('the graph covers levels 0 and 1 only');
  const exponent = (augmentation!.gamma ?? 1) / DECODING_GAMMA;
  const ts = new Float32Array(S * S * 3);
  const renderTs = () => {
    renderCrop(new LinearImagePyramid(image), crop, camera, {}, ts);
  };
  let onnxOut: Float32Array = new Float32Array(0);
  const renderOnnx = async () => {
    const { window, ww, wh, grid } = graphInputs(crop, level);
    const result = await sessions[level]!.run({
      window: new ort.Tensor('uint8', window, [1, wh, ww, 3]),
      grid: new ort.Tensor('float32', grid, [1, S, S, 2]),
      exponent: new ort.Tensor('float32', Float32Array.of(exponent), []),
    });
    onnxOut = result.crop!.data as Float32Array;
  };
  renderTs();
  await renderOnnx();
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ts.length; i++) {
    const d = Math.abs(ts[i]! - onnxOut[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  const tsRate = callsPerSecond(renderTs, opts);
  const onnxRate = await callsPerSecondAsync(renderOnnx, opts);
  console.log(
    `| ${box.join(', ')} | ${level} | ${(1000 / tsRate).toFixed(2)} | ${(1000 / onnxRate).toFixed(2)} | ` +
      `${(tsRate / onnxRate).toFixed(2)} | ${(sum / ts.length).toExponential(1)} | ${max.toExponential(1)} |`,
  );
}
