/**
 * End to end in real Chromium (WebAssembly backend, no GPU): build the site, serve it with
 * `vite preview`, load the toy model and the detector, process sample photos, check the
 * skeletons and the 3D view, compare the poses with the Node CLI's for the same images, and
 * check that bad input (a non-image file, a model or detector URL that does not load, a
 * denied camera) gives a visible message while the page keeps working.
 *
 * Needs ../shared/data (detector, photos) and /usr/bin/chromium (or METRABS_CHROMIUM):
 * skipped locally when missing, failing in CI. Screenshots: test-artifacts/web/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NodeIO } from '@gltf-transform/core';
import { fitTrackMotion, toExportAxes } from '@metrabs/runtime';
import { findFfmpeg } from '@metrabs/runtime/node';
import { forwardKinematics, parseBvh } from '@metrabs/synth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../../../test-support/result-schema.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { buildAndServe, chromiumOrSkip, launchChromium, REPO_ROOT, type Site } from './harness.js';

const IMAGES = ['real/opencv/basketball1.png', 'real/skimage/astronaut.png'];
const VIDEO = 'real/opencv/vtest.avi';
const shared = sharedData(['detector/yolox_nano.onnx', ...IMAGES, VIDEO], 'web e2e');
const browserPath = chromiumOrSkip('web e2e');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/web');

/**
 * Browser vs CLI. The CLI's JSON is rounded to 0.1 mm, 0.01 px and 4 decimals (box scores),
 * so equal results differ by up to half of that: 0.05 mm, 0.005 px, 5e-5. Beyond rounding,
 * the only difference is ONNX Runtime's CPU kernels, native (MLAS, AVX) in Node and
 * WebAssembly SIMD in the browser, which sum float32 products in another order (~1e-6
 * relative); the crops, reconstruction and everything else are the same TypeScript. Measured:
 * ≤ 0.0502 mm, ≤ 0.0055 px, ≤ 0.0048 px (boxes), ≤ 2.6e-5 (scores) — rounding plus
 * ≈ 0.0005. The tolerances are twice the rounding step's half, so a real divergence (a
 * different crop, a skipped augmentation: millimetres) fails.
 */
const TOL = { mm: 0.1, px: 0.01, boxPx: 0.01, score: 1e-4 };

interface PageResult {
  boxes: number[][];
  poses3d: number[][][];
  poses2d: number[][][];
  jointNames: string[];
  edges: [number, number][];
  intrinsicMatrix: number[][];
}

interface PageState {
  state: string;
  framesProcessed: number;
  lastResult: PageResult | undefined;
  ready:
    | {
        backend: string;
        threads: number;
        crossOriginIsolated: boolean;
        model: { url: string; toy: boolean; backbone: string };
      }
    | undefined;
  messages: { kind: string; text: string }[];
}

type MetrabsWindow = {
  __metrabs?: {
    state: string;
    framesProcessed: number;
    lastResult: unknown;
    ready: unknown;
    messages(): { kind: string; text: string }[];
  };
};

async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const m = (globalThis as unknown as MetrabsWindow).__metrabs!;
    return {
      state: m.state,
      framesProcessed: m.framesProcessed,
      lastResult: m.lastResult,
      ready: m.ready,
      messages: m.messages(),
    } as PageState;
  });
}

async function waitLoaded(page: Page): Promise<PageState> {
  await page.waitForFunction(
    () => {
      const m = (globalThis as unknown as MetrabsWindow).__metrabs;
      return m !== undefined && m.state !== 'loading';
    },
    null,
    { timeout: 40_000 },
  );
  return pageState(page);
}

/** Opens a file through the file input and waits for the result (or an error message). */
async function openAndWait(
  page: Page,
  file: string | { name: string; mimeType: string; buffer: Buffer },
) {
  const before = (await pageState(page)).framesProcessed;
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(
    (n) => {
      const m = (globalThis as unknown as MetrabsWindow).__metrabs!;
      return m.framesProcessed > n || m.messages().some((x) => x.kind === 'error');
    },
    before,
    { timeout: 30_000 },
  );
  return pageState(page);
}

function cli(image: string): Promise<Record<string, unknown>> {
  return promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'packages/cli/bin/metrabs.js'),
      'detect',
      image,
      '--detector',
      shared.path('detector/yolox_nano.onnx'),
      // Equivalence of every detected person, whatever the model's plausibility verdicts.
      '--no-suppress-implausible',
      '--json',
    ],
    { cwd: REPO_ROOT, maxBuffer: 1 << 24 },
  ).then(({ stdout }) => JSON.parse(stdout) as Record<string, unknown>);
}

function maxAbsDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Number.POSITIVE_INFINITY;
    return a.reduce((m: number, v, i) => Math.max(m, maxAbsDiff(v, b[i])), 0);
  }
  return Number.POSITIVE_INFINITY;
}

function errors(state: PageState): string[] {
  return state.messages.filter((m) => m.kind === 'error').map((m) => m.text);
}

describe.skipIf(shared.skip || browserPath.skip)('web app in Chromium', () => {
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let cliResults: Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    process.env['METRABS_DETECTOR'] = shared.path('detector/yolox_nano.onnx');
    // The CLI runs while the site builds and the browser starts.
    cliResults = Promise.all(IMAGES.map((f) => cli(shared.path(f))));
    cliResults.catch(() => undefined);
    site = await buildAndServe();
    browser = await launchChromium(browserPath.path!);
    context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('loads, processes photos, draws skeletons and the 3D view, and matches the Node CLI', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${site.url}?backend=wasm&suppress=0`);
    const loaded = await waitLoaded(page);
    expect(errors(loaded)).toEqual([]);
    expect(loaded.state).toBe('ready');
    expect(loaded.ready?.backend).toBe('wasm');
    expect(loaded.ready?.crossOriginIsolated).toBe(true); // vite preview sends COOP/COEP
    // The site serves models/default, the shipped model: no toy-model banner.
    expect(loaded.ready?.model.url).toMatch(/models\/default/);
    expect(loaded.ready?.model.backbone).toBe('efficientnet_lite0');
    expect(loaded.ready?.model.toy).toBe(false);
    expect(await page.locator('#toy-banner').isVisible()).toBe(false);

    const reference = await cliResults;
    const report: Record<string, unknown> = {};
    for (const [i, file] of IMAGES.entries()) {
      const state = await openAndWait(page, shared.path(file));
      expect(errors(state)).toEqual([]);
      const result = state.lastResult!;
      const ref = reference[i]! as unknown as PageResult & { people: number };
      expect(result.poses3d.length).toBe(ref.people);
      expect(result.poses3d.length).toBeGreaterThan(0);
      for (const pose of result.poses3d) {
        expect(pose.length).toBe(30);
        expect(pose.flat().every(Number.isFinite)).toBe(true);
      }
      expect(result.jointNames).toEqual(ref.jointNames);
      const diff = {
        poses3dMm: maxAbsDiff(result.poses3d, ref.poses3d),
        poses2dPx: maxAbsDiff(result.poses2d, ref.poses2d),
        boxesPx: maxAbsDiff(
          result.boxes.map((b) => b.slice(0, 4)),
          ref.boxes.map((b) => b.slice(0, 4)),
        ),
        scores: maxAbsDiff(
          result.boxes.map((b) => b[4]),
          ref.boxes.map((b) => b[4]),
        ),
        intrinsics: maxAbsDiff(result.intrinsicMatrix, ref.intrinsicMatrix),
      };
      report[file] = { people: result.poses3d.length, ...diff };
      expect(diff.poses3dMm).toBeLessThanOrEqual(TOL.mm);
      expect(diff.poses2dPx).toBeLessThanOrEqual(TOL.px);
      expect(diff.boxesPx).toBeLessThanOrEqual(TOL.boxPx);
      expect(diff.scores).toBeLessThanOrEqual(TOL.score);
      expect(diff.intrinsics).toBeLessThanOrEqual(1e-3);

      // The overlay is the image's size; the people list and the 3D view show every person.
      const overlay = await page.evaluate(() => {
        const c = document.getElementById('overlay') as HTMLCanvasElement;
        return { width: c.width, height: c.height };
      });
      expect(overlay.width).toBeGreaterThan(100);
      expect(await page.locator('#people li').count()).toBe(result.poses3d.length);
      await page.screenshot({ path: join(ARTIFACTS, `${file.split('/').pop()}.page.png`) });
    }
    writeFileSync(join(ARTIFACTS, 'cli-vs-browser.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('[web e2e] browser vs CLI, max |difference|:', JSON.stringify(report));

    // The 3D view drew something: its canvas is not a single flat colour.
    const colours = await page.evaluate(() => {
      const canvas = document.querySelector('#view3d canvas') as HTMLCanvasElement | null;
      if (!canvas) return 0;
      const copy = document.createElement('canvas');
      copy.width = 64;
      copy.height = 64;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(canvas, 0, 0, 64, 64);
      const data = ctx.getImageData(0, 0, 64, 64).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      }
      return seen.size;
    });
    expect(colours).toBeGreaterThan(10);
    // So did the 2D overlay: skeleton colours over the photo.
    const personPixels = await page.evaluate(() => {
      const c = document.getElementById('overlay') as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        // PERSON_COLORS[0] #ff4d4f
        if (data[i]! === 0xff && data[i + 1]! === 0x4d && data[i + 2]! === 0x4f) n++;
      }
      return n;
    });
    expect(personPixels).toBeGreaterThan(200);
    expect(pageErrors).toEqual([]);

    // The download is the result document, the same schema as the CLI's JSON.
    const download = page.waitForEvent('download');
    await page.click('#download-button');
    const saved = join(ARTIFACTS, 'astronaut.json');
    await (await download).saveAs(saved);
    const downloaded = JSON.parse(readFileSync(saved, 'utf8'));
    const documents = Array.isArray(downloaded) ? downloaded : [downloaded];
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) expect(resultSchemaErrors(document)).toEqual([]);
    await page.close();
  }, 60_000);

  it('records the tracks of a video and downloads each as BVH and glTF that reproduce its poses', async () => {
    // Chromium plays WebM, not the AVI: the first 6 s of vtest.avi as VP8.
    const webm = join(ARTIFACTS, 'vtest.webm');
    execFileSync(findFfmpeg().path, [
      ...['-y', '-loglevel', 'error', '-i', shared.path(VIDEO), '-t', '6', '-an'],
      ...['-c:v', 'libvpx', '-b:v', '1M', webm],
    ]);
    const page = await context.newPage();
    await page.goto(`${site.url}?backend=wasm&numAug=1`);
    expect((await waitLoaded(page)).state).toBe('ready');
    await page.setInputFiles('#file-input', webm);
    // Slow playback: a track needs 10 processed frames less than a second of video apart.
    await page.evaluate(() => {
      (document.getElementById('video') as HTMLVideoElement).playbackRate = 0.25;
    });
    await page.waitForFunction(
      () => !(document.getElementById('download-bvh-button') as HTMLButtonElement).disabled,
      null,
      { timeout: 90_000 },
    );
    await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).pause());
    await page.waitForTimeout(3000); // a frame in flight lands in both the recording and the JSON

    const save = async (button: string, name: string) => {
      const download = page.waitForEvent('download');
      await page.click(button);
      const file = await download;
      const path = join(ARTIFACTS, name.replace('NAME', file.suggestedFilename()));
      await file.saveAs(path);
      return { path, name: file.suggestedFilename() };
    };
    const json = await save('#download-button', 'NAME');
    const bvhFile = await save('#download-bvh-button', 'NAME');
    const glbFile = await save('#download-gltf-button', 'NAME');
    expect(bvhFile.name).toMatch(/^vtest\.track\d+\.bvh$/);
    expect(glbFile.name).toMatch(/^vtest\.track\d+\.glb$/);
    const id = Number(/track(\d+)/.exec(bvhFile.name)![1]);

    // The track's poses, as the frame documents of the JSON download carry them.
    const { frames } = JSON.parse(readFileSync(json.path, 'utf8')) as {
      frames: {
        trackIds: number[];
        poses3d: number[][][];
        jointNames: string[];
        edges: [number, number][];
        skeleton: string;
        time: number;
      }[];
    };
    for (const doc of frames) expect(resultSchemaErrors(doc)).toEqual([]);
    const seen = frames.filter((d) => d.trackIds.includes(id));
    expect(seen.length).toBeGreaterThanOrEqual(10);
    const last = seen.at(-1)!;
    const pose = last.poses3d[last.trackIds.indexOf(id)]!;

    const bvh = parseBvh(readFileSync(bvhFile.path, 'utf8'), bvhFile.name);
    expect(bvh.numFrames).toBeGreaterThanOrEqual(seen.length);
    // The mean video time between recorded frames (0.04 s per frame of a 25 fps clip at most).
    expect(bvh.frameTime).toBeGreaterThan(0.03);
    expect(bvh.frameTime).toBeLessThan(1);
    // The BVH's last frame is the track's last pose: the root exactly, the other joints up to
    // the bone lengths (the file's are the track's medians; a short recording's held lengths
    // still drift frame to frame — motion-export.test.ts measures the long-run difference).
    const { rig } = fitTrackMotion({
      frames: [pose, pose],
      frameTimeS: bvh.frameTime,
      jointNames: last.jointNames,
      edges: last.edges,
      skeleton: last.skeleton,
    });
    const fk = forwardKinematics(bvh);
    const f = bvh.numFrames - 1;
    const errorsMm = new Map<number, number>();
    rig.nodes.forEach((node, n) => {
      if (node.joint < 0) return;
      const want = toExportAxes(pose[node.joint]!, 'y-up');
      const o = (f * bvh.joints.length + n) * 3;
      const got = [fk.positions[o]!, fk.positions[o + 1]!, fk.positions[o + 2]!];
      errorsMm.set(node.joint, 1000 * Math.hypot(...got.map((v, k) => v - want[k]!)));
    });
    expect(errorsMm.size).toBe(last.jointNames.length);
    expect(errorsMm.get(0)).toBeLessThan(1); // the root (pelvis)
    const meanMm = [...errorsMm.values()].reduce((a, b) => a + b) / errorsMm.size;
    expect(meanMm).toBeLessThan(30);

    const glb = await new NodeIO().read(glbFile.path);
    const animation = glb.getRoot().listAnimations()[0]!;
    expect(glb.getRoot().listSkins()[0]!.listJoints().length).toBe(rig.nodes.length);
    const times = animation.listSamplers()[0]!.getInput()!.getArray()!;
    expect(times.length).toBe(bvh.numFrames);
    await page.close();
  }, 150_000);

  it('reports a non-image file and a denied camera, and keeps working', async () => {
    const page = await context.newPage();
    // suppress=0: whether the plausibility filter keeps a pose depends on the model; this test
    // is about the page recovering from bad inputs.
    await page.goto(`${site.url}?backend=wasm&numAug=1&suppress=0`);
    expect((await waitLoaded(page)).state).toBe('ready');

    // A photo first: after the bad file below, none of it may stay on screen.
    const first = await openAndWait(page, shared.path(IMAGES[0]!));
    expect(first.lastResult!.poses3d.length).toBeGreaterThan(0);
    expect(await page.locator('#stats').textContent()).not.toBe('');

    const bad = await openAndWait(page, {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('this is not a picture\n'),
    });
    expect(errors(bad).join('\n')).toMatch(/notes\.txt.*cannot be decoded/);
    expect(await page.locator('.message.error').isVisible()).toBe(true);
    expect(bad.lastResult).toBeUndefined();
    expect(await page.locator('#stats').textContent()).toBe('');
    const overlay = await page.evaluate(() => {
      const c = document.querySelector('#overlay') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    expect(overlay).toEqual([1, 1]);

    // The page has an icon: no /favicon.ico 404.
    const icon = await page.evaluate(() =>
      document.querySelector('link[rel="icon"]')?.getAttribute('href'),
    );
    expect(icon).toBeTruthy();
    expect((await fetch(new URL(icon!, site.url))).status).toBe(200);

    // Camera: a (fake) camera exists, but this context has no permission: the browser denies it.
    await page.click('#camera-button');
    await page.waitForFunction(() =>
      (globalThis as unknown as MetrabsWindow)
        .__metrabs!.messages()
        .some((m) => m.text.includes('Camera')),
    );
    const camera = (await pageState(page)).messages.find((m) => m.text.includes('Camera'))!;
    expect(camera.kind).toBe('error');
    expect(camera.text).toMatch(/Camera permission was denied/);

    // Still works: a real photo after the bad inputs.
    const good = await openAndWait(page, shared.path(IMAGES[0]!));
    expect(good.framesProcessed).toBe(first.framesProcessed + 1);
    expect(good.lastResult!.poses3d.length).toBeGreaterThan(0);
    await page.close();
  }, 40_000);

  it("runs live on a camera (Chromium's fake camera) with a frame rate", async () => {
    const cameraContext = await browser.newContext({
      viewport: { width: 1000, height: 700 },
      permissions: ['camera'],
    });
    try {
      const page = await cameraContext.newPage();
      await page.goto(`${site.url}?backend=wasm&numAug=1`);
      expect((await waitLoaded(page)).state).toBe('ready');
      await page.click('#camera-button');
      await page.waitForFunction(
        () => (globalThis as unknown as MetrabsWindow).__metrabs!.framesProcessed >= 3,
        null,
        { timeout: 20_000 },
      );
      const live = await page.evaluate(() => {
        const m = (globalThis as unknown as MetrabsWindow).__metrabs! as unknown as {
          fps: number;
          messages(): { kind: string }[];
        };
        return { fps: m.fps, errors: m.messages().filter((x) => x.kind === 'error').length };
      });
      expect(live.errors).toBe(0);
      expect(live.fps).toBeGreaterThan(0);
      expect(await page.locator('#stats').textContent()).toMatch(/frames\/s/);
      await page.click('#camera-button'); // stop
      expect(await page.locator('#camera-button').textContent()).toBe('Start camera');
    } finally {
      await cameraContext.close();
    }
  }, 40_000);

  it('reports a model that fails to load, then loads another from the UI', async () => {
    const page = await context.newPage();
    await page.goto(`${site.url}?backend=wasm&numAug=1&model=./models/no-such-model/`);
    const failed = await waitLoaded(page);
    expect(failed.state).toBe('error');
    const text = errors(failed).join('\n');
    expect(text).toMatch(/The model failed to load/);
    expect(text).toMatch(/no-such-model/);
    expect(text).toMatch(/HTTP 404/);
    await page.screenshot({ path: join(ARTIFACTS, 'model-error.page.png') });

    // An image opened meanwhile waits; then the right model is loaded from the UI.
    await page.fill('#model-url', './models/model-tiny/');
    await page.click('#load-button');
    await page.waitForFunction(
      () => (globalThis as unknown as MetrabsWindow).__metrabs!.state === 'ready',
      null,
      { timeout: 30_000 },
    );
    expect(errors(await pageState(page))).toEqual([]);
    const good = await openAndWait(page, shared.path(IMAGES[1]!));
    expect(good.lastResult!.poses3d.length).toBe(1);
    await page.close();
  }, 40_000);

  it('explains where to get the detector when it is missing', async () => {
    const page = await context.newPage();
    await page.goto(`${site.url}?backend=wasm&detector=./models/missing-detector.onnx`);
    const failed = await waitLoaded(page);
    expect(failed.state).toBe('error');
    const text = errors(failed).join('\n');
    expect(text).toMatch(/Person detector missing/);
    expect(text).toMatch(/missing-detector\.onnx/);
    expect(text).toContain('https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/raw/');
    expect(text).toContain('695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14');
    await page.close();
  }, 30_000);
});
