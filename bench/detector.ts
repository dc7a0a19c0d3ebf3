/**
 * Benchmark: YOLOX-Nano person detection (`YoloxPersonDetector.detect`) on the three real
 * test images, with 1, 2 and ONNX Runtime's default number of threads, with and without
 * flip augmentation.
 *
 *   npx tsx bench/detector.ts
 *
 * Uses ../shared/data/detector/yolox_nano.onnx if present, else the usual search
 * (METRABS_DETECTOR, then the cache directory). Prints the median of 10 timed runs after
 * 2 warm-up runs; the machine is shared and noisy, so compare numbers from one run only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '@metrabs/runtime';
import { letterbox } from '@metrabs/runtime';
import { loadYoloxDetector } from '@metrabs/runtime/node';
import sharp from 'sharp';

const DATA = new URL('../../shared/data/', import.meta.url);
const IMAGES = [
  'real/mmpose/coco/000000000785.jpg',
  'real/opencv/basketball1.png',
  'real/metrabs/test_image_3dpw.jpg',
];
const RUNS = 10;
const WARMUP = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(fn: () => unknown): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function readRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(fileURLToPath(new URL(file, DATA)))
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const shared = new URL('detector/yolox_nano.onnx', DATA);
const path = existsSync(shared) ? fileURLToPath(shared) : undefined;
const images = await Promise.all(IMAGES.map(readRgb));

console.log(`YOLOX-Nano detect(), median of ${RUNS} runs, Node ${process.version}`);
console.log(
  '| image | size | letterbox ms | threads | detect ms | detect + flipAug ms | persons |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const threads of [1, 2, undefined]) {
  const detector = await loadYoloxDetector({ path, threads });
  for (const [i, image] of images.entries()) {
    const lb = await time(() => letterbox(image));
    const plain = await time(() => detector.detect(image));
    const flip = await time(() => detector.detect(image, { flipAug: true }));
    const persons = (await detector.detect(image)).length;
    const name = IMAGES[i]!.split('/').pop();
    console.log(
      `| ${name} | ${image.width}×${image.height} | ${lb.toFixed(1)} | ${threads ?? 'default'} | ` +
        `${plain.toFixed(1)} | ${flip.toFixed(1)} | ${persons} |`,
    );
  }
  await detector.release();
}
