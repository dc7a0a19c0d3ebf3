/**
 * In-browser throughput of the web app: builds the site, serves it with `vite preview`
 * (cross-origin isolated), opens it in headless Chromium (WebAssembly backend, no GPU) and
 * times back-to-back frames of a still image through the page's own path (ImageBitmap →
 * worker → RGB → detectPoses → result back), with `window.__metrabs.benchmark(n)`.
 *
 *   npm run bench:web                       # toy model fixtures/model-tiny
 *   BENCH_WEB_FRAMES=30 BENCH_WEB_THREADS=1,2 npm run bench:web
 *
 * Needs ../shared/data (detector, photos) and /usr/bin/chromium (or METRABS_CHROMIUM).
 */
import { existsSync } from 'node:fs';
import { buildAndServe, findChromium, launchChromium } from '../packages/web/test/harness.js';
import { sharedData } from '../test-support/shared-data.js';

const IMAGES = ['real/skimage/astronaut.png', 'real/metrabs/test_image_3dpw.jpg'];
const frames = Number(process.env['BENCH_WEB_FRAMES'] ?? 15);
const threadList = (process.env['BENCH_WEB_THREADS'] ?? '0').split(',').map(Number);
const numAugs = [1, 5];

const shared = sharedData(['detector/yolox_nano.onnx', ...IMAGES], 'bench:web');
const chromiumPath = findChromium();
if (shared.skip || !chromiumPath || !existsSync(chromiumPath)) {
  console.error(`bench:web needs the shared data and Chromium: ${shared.problem ?? 'no Chromium'}`);
  process.exit(1);
}
if (!(Number.isInteger(frames) && frames > 0))
  throw new Error('BENCH_WEB_FRAMES: positive integer');

interface Bench {
  fps: number;
  meanMs: number;
  medianMs: number;
  worker: { readMs: number; poseMs: number; detectorMs: number; networkMs: number };
}
type MetrabsWindow = {
  __metrabs: {
    state: string;
    framesProcessed: number;
    ready: { backend: string; threads: number } | undefined;
    lastResult: { poses3d: unknown[] } | undefined;
    benchmark(n: number): Promise<Bench>;
  };
};

process.env['METRABS_DETECTOR'] = shared.path('detector/yolox_nano.onnx');
const site = await buildAndServe();
const browser = await launchChromium(chromiumPath);
const rows: string[] = [];
try {
  const version = browser.version();
  for (const threads of threadList) {
    for (const numAug of numAugs) {
      const page = await browser.newPage();
      await page.goto(`${site.url}?backend=wasm&numAug=${numAug}&threads=${threads}`);
      await page.waitForFunction(
        () => (globalThis as unknown as MetrabsWindow).__metrabs?.state === 'ready',
        null,
        { timeout: 60_000 },
      );
      const ready = await page.evaluate(
        () => (globalThis as unknown as MetrabsWindow).__metrabs.ready!,
      );
      for (const image of IMAGES) {
        const before = await page.evaluate(
          () => (globalThis as unknown as MetrabsWindow).__metrabs.framesProcessed,
        );
        await page.setInputFiles('#file-input', shared.path(image));
        await page.waitForFunction(
          (n) => (globalThis as unknown as MetrabsWindow).__metrabs.framesProcessed > n,
          before,
          { timeout: 60_000 },
        );
        const people = await page.evaluate(
          () => (globalThis as unknown as MetrabsWindow).__metrabs.lastResult!.poses3d.length,
        );
        // Warm-up (WebAssembly tier-up, allocations), then the measured frames.
        await page.evaluate(
          (n) => (globalThis as unknown as MetrabsWindow).__metrabs.benchmark(n),
          3,
        );
        const b = await page.evaluate(
          (n) => (globalThis as unknown as MetrabsWindow).__metrabs.benchmark(n),
          frames,
        );
        const w = b.worker;
        const row = `| ${image.split('/').pop()} | ${people} | ${numAug} | ${ready.threads} | ${b.fps.toFixed(2)} | ${b.meanMs.toFixed(0)} | ${b.medianMs.toFixed(0)} | ${w.detectorMs.toFixed(0)} | ${w.networkMs.toFixed(0)} | ${(w.poseMs - w.detectorMs - w.networkMs).toFixed(0)} | ${(b.meanMs - w.poseMs).toFixed(0)} |`;
        rows.push(row);
        console.error(row);
      }
      await page.close();
    }
  }
  console.log(
    `\nChromium ${version} (headless, WebAssembly backend, no GPU), ${frames} frames after 3 warm-up frames, toy model fixtures/model-tiny + YOLOX-Nano\n`,
  );
  console.log(
    '| image | people | numAug | threads | frames/s | mean ms | median ms | detector ms | network ms | rest of pipeline ms | page + transfer + readback ms |',
  );
  console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const row of rows) console.log(row);
} finally {
  await browser.close();
  await site.close();
}
