/**
 * `installDetector()`: the choice of source (from → dev copy → download), the licence beside the
 * model, progress, cancelling and stalls. Downloads go to a local HTTP server (`downloadUrl`,
 * `licenseUrl`), never to the network. The real file comes from ../shared/data/detector; without
 * it these tests are skipped, except in CI (CI=true), where they fail.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listDir as entries,
  scratchFolders,
  serveRoutes,
  sha256File as sha256,
  type TestServer,
} from '../../../test-support/files.js';
import { sharedData } from '../../../test-support/shared-data.js';
import {
  YOLOX_NANO_LICENSE_RAW_URL,
  YOLOX_NANO_LICENSE_URL,
  YOLOX_NANO_SHA256,
  YOLOX_NANO_URL,
} from '../src/detector-file.js';
import {
  DEV_DETECTOR_DIR,
  DetectorInstallError,
  describeError,
  installDetector,
} from '../src/detector-install-node.js';
import { detectorInstructions } from '../src/detector-node.js';

const data = sharedData(['detector/yolox_nano.onnx', 'detector/LICENSE'], 'detector-install.test');
const skipNote = data.skip ? ` — SKIPPED: ${data.problem}` : '';

const scratch = scratchFolders('metrabs-install-');
const freshDir = scratch.fresh;
afterAll(scratch.remove);

describe('detector installation: constants and messages', () => {
  it('the licence raw URL is the LICENSE page at the same commit', () => {
    expect(YOLOX_NANO_LICENSE_RAW_URL).toBe(YOLOX_NANO_LICENSE_URL.replace('/blob/', '/raw/'));
    const commit = /\/raw\/([0-9a-f]{40})\//.exec(YOLOX_NANO_URL)?.[1];
    expect(YOLOX_NANO_LICENSE_RAW_URL).toContain(`/raw/${commit}/LICENSE`);
  });

  it('the detector instructions name `npx metrabs fetch-detector` first', () => {
    const text = detectorInstructions();
    const first = text.indexOf('npx metrabs fetch-detector');
    expect(first).toBeGreaterThan(text.indexOf('Then do one of:'));
    expect(first).toBeLessThan(text.indexOf('curl -fL'));
  });

  it('the development copy is ../shared/data/detector beside the repository', () => {
    expect(DEV_DETECTOR_DIR).toBe(data.path('detector').replace(/\/$/, ''));
  });

  it('network errors read as one line from their causes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(describeError(new TypeError('fetch failed', { cause: refused }))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });
    expect(describeError(new TypeError('fetch failed', { cause: aggregate }))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

describe.skipIf(data.skip)(`installDetector with the real file${skipNote}`, () => {
  let model: Buffer;
  let license: Buffer;
  let server: TestServer;
  let base: string;
  /** Requests the server saw, to check what was (not) downloaded. */
  let requests: string[];

  beforeAll(async () => {
    model = readFileSync(data.path('detector/yolox_nano.onnx'));
    license = readFileSync(data.path('detector/LICENSE'));
    server = await serveRoutes({
      '/model': (res) => {
        res.writeHead(200, { 'Content-Length': model.length });
        res.end(model);
      },
      '/license': (res) => {
        res.writeHead(200, { 'Content-Length': license.length });
        res.end(license);
      },
      '/stall': (res) => {
        res.writeHead(200, { 'Content-Length': model.length });
        res.write(model.subarray(0, 1000)); // …and then nothing
      },
      '/huge': (res) => {
        res.writeHead(200); // chunked, more bytes than the model has
        res.end(Buffer.concat([model, model]));
      },
    });
    ({ base, requests } = server);
  });
  afterAll(() => server?.close());

  it('without from: the dev copy when there is one, with its LICENSE', async () => {
    const dev = freshDir();
    copyFileSync(data.path('detector/yolox_nano.onnx'), join(dev, 'yolox_nano.onnx'));
    copyFileSync(data.path('detector/LICENSE'), join(dev, 'LICENSE'));
    const dest = join(freshDir(), 'sub', 'yolox_nano.onnx');
    const before = requests.length;
    const r = await installDetector({ dest, devCopyDir: dev, licenseUrl: `${base}/nothing` });
    expect(r).toEqual({
      path: dest,
      source: 'dev-copy',
      origin: join(dev, 'yolox_nano.onnx'),
      bytes: 3_660_092,
      licensePath: join(dest, '..', 'yolox_nano.LICENSE'),
      warnings: [],
    });
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
    expect(requests.length).toBe(before);
  });

  it('without from or a dev copy: downloads, reporting progress, and fetches the licence', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    const progress: [number, number][] = [];
    let started: string | undefined;
    const r = await installDetector({
      dest,
      devCopyDir: join(dir, 'no-dev-copy-here'),
      downloadUrl: `${base}/model`,
      licenseUrl: `${base}/license`,
      onDownloadStart: (url) => {
        started = url;
      },
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(r.source).toBe('download');
    expect(r.origin).toBe(`${base}/model`);
    expect(r.licensePath).toBe(join(dir, 'yolox_nano.LICENSE'));
    expect(r.warnings).toEqual([]);
    expect(started).toBe(`${base}/model`);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual([model.length, model.length]);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);
    }
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
    expect(entries(dir)).toEqual(['yolox_nano.LICENSE', 'yolox_nano.onnx']);

    // Again: nothing is downloaded; force downloads again.
    const before = requests.length;
    const again = await installDetector({ dest, devCopyDir: null, downloadUrl: `${base}/model` });
    expect(again.source).toBe('already-installed');
    expect(again.licensePath).toBe(join(dir, 'yolox_nano.LICENSE'));
    expect(requests.length).toBe(before);
    const forced = await installDetector({
      dest,
      devCopyDir: null,
      downloadUrl: `${base}/model`,
      licenseUrl: null,
      force: true,
    });
    expect(forced.source).toBe('download');
    expect(requests.slice(before)).toEqual(['/model']);
  });

  it('a licence that cannot be had is a warning, not a failure', async () => {
    const src = freshDir();
    copyFileSync(data.path('detector/yolox_nano.onnx'), join(src, 'yolox_nano.onnx'));
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    const r = await installDetector({
      from: join(src, 'yolox_nano.onnx'),
      dest,
      licenseUrl: `${base}/gone`,
    });
    expect(r.source).toBe('file');
    expect(r.licensePath).toBeNull();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/licence was not saved .*HTTP 404.*Apache-2\.0/);
    expect(entries(dir)).toEqual(['yolox_nano.onnx']);
  });

  it('a stalled download fails after stallTimeoutMs, leaving nothing', async () => {
    const dir = freshDir();
    const error = await installDetector({
      from: `${base}/stall`,
      dest: join(dir, 'new', 'yolox_nano.onnx'),
      stallTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetectorInstallError);
    expect((error as DetectorInstallError).reason).toBe('network');
    expect((error as Error).message).toMatch(
      /failed after 1,000 of 3,660,092 bytes: no data for 0.3 s/,
    );
    expect(entries(dir)).toEqual([]);
  });

  it('a body longer than the model is cut off as a mismatch', async () => {
    const dir = freshDir();
    const error = (await installDetector({
      from: `${base}/huge`,
      dest: join(dir, 'yolox_nano.onnx'),
    }).catch((e: unknown) => e)) as DetectorInstallError;
    expect(error.reason).toBe('checksum-mismatch');
    expect(error.message).toContain('more than the expected 3,660,092 bytes');
    expect(entries(dir)).toEqual([]);
  });

  it('an aborted signal cancels without touching the destination', async () => {
    const dir = freshDir();
    const controller = new AbortController();
    const error = (await installDetector({
      from: `${base}/stall`,
      dest: join(dir, 'yolox_nano.onnx'),
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e)) as DetectorInstallError;
    expect(error).toBeInstanceOf(DetectorInstallError);
    expect(error.reason).toBe('aborted');
    expect(entries(dir)).toEqual([]);
  });

  it('a directory as destination is refused', async () => {
    const dir = freshDir();
    const error = (await installDetector({
      from: data.path('detector/yolox_nano.onnx'),
      dest: dir,
    }).catch((e: unknown) => e)) as DetectorInstallError;
    expect(error.reason).toBe('write-failed');
    expect(error.message).toContain('it is a directory');
    expect(entries(dir)).toEqual([]);
  });
});
