/**
 * Benchmark: `metrabs detect` per image on real/opencv/basketball1.png (640×480, 2 people)
 * with the toy model fixtures/model-tiny and YOLOX-Nano from ../shared/data.
 *
 *   npx tsx bench/cli-detect.ts
 *
 * Two measurements:
 * 1. In process, median of 7 rounds after a warm-up: loading the image, `detectPoses`
 *    (detector + crops + network + reconstruction), the overlay PNG and the 3D-view PNG.
 * 2. The CLI as a user runs it (`node packages/cli/bin/metrabs.js detect …`): the wall time
 *    for one image (process start, model loading included), and the cost of each further
 *    image, (t(6 images) − t(1 image)) / 5; medians of 3 runs.
 * The toy model is a small network (128² crops, MobileNetV3-S ×0.5); a real model costs more.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { overlayPng, scenePng } from '@metrabs/cli';
import { createEstimator, loadImage } from '@metrabs/runtime/node';

const root = fileURLToPath(new URL('..', import.meta.url));
const model = join(root, 'fixtures/model-tiny');
const data = join(root, '../shared/data');
const detector = join(data, 'detector/yolox_nano.onnx');
const image = join(data, 'real/opencv/basketball1.png');
const bin = join(root, 'packages/cli/bin/metrabs.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

const estimator = await createEstimator({ model, detector });
console.log(
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; toy model, basketball1.png 640×480\n`,
);
console.log('| numAug | people | load image | detectPoses | overlay PNG | 3D PNG | total ms |');
console.log('| -----: | -----: | ---------: | ----------: | ----------: | -----: | -------: |');
for (const numAug of [1, 5]) {
  const rows: number[][] = [];
  let people = 0;
  for (let round = 0; round < 8; round++) {
    const [img, tLoad] = await time(() => loadImage(image));
    const [result, tDetect] = await time(() =>
      estimator.detectPoses(img, { numAug, skeleton: 'coco_19', suppressImplausiblePoses: false }),
    );
    people = result.boxes.length;
    const poses2d = result.poses2d as number[][][];
    const poses3d = result.poses3d as number[][][];
    const [, tOverlay] = await time(() =>
      overlayPng(img, {
        boxes: result.boxes,
        poses2d,
        jointNames: result.jointNames,
        edges: result.edges,
      }),
    );
    const [, tScene] = await time(() =>
      scenePng({
        poses3d,
        jointNames: result.jointNames,
        edges: result.edges,
        intrinsicMatrix: result.intrinsicMatrix,
        imageWidth: img.width,
        imageHeight: img.height,
      }),
    );
    if (round > 0)
      rows.push([tLoad, tDetect, tOverlay, tScene, tLoad + tDetect + tOverlay + tScene]);
  }
  const m = [0, 1, 2, 3, 4].map((k) => median(rows.map((r) => r[k]!)).toFixed(1));
  console.log(`| ${numAug} | ${people} | ${m.join(' | ')} |`);
}

console.log('\n| CLI options | one image, whole command | each further image |');
console.log('| ----------- | -----------------------: | ----------------: |');
function runCli(n: number, extra: readonly string[]): number {
  const out = mkdtempSync(join(tmpdir(), 'metrabs-bench-'));
  const args = [
    bin,
    'detect',
    ...Array<string>(n).fill(image),
    '--model',
    model,
    '--detector',
    detector,
  ];
  args.push('--skeleton', 'coco_19', '--no-suppress-implausible', '--out', out, ...extra);
  const t0 = performance.now();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return performance.now() - t0;
}
for (const extra of [
  ['--num-aug', '1'],
  ['--num-aug', '5'],
  ['--num-aug', '5', '--no-viz'],
]) {
  const one = median([0, 1, 2].map(() => runCli(1, extra)));
  const six = median([0, 1, 2].map(() => runCli(6, extra)));
  console.log(
    `| ${extra.join(' ')} | ${(one / 1000).toFixed(2)} s | ${((six - one) / 5 / 1000).toFixed(3)} s |`,
  );
}
