/**
 * `metrabs fetch-detector`: installing YOLOX-Nano from a local file, from a local HTTP server
 * (a full body, a body cut short, a 404) and from a closed port, always into temp dirs. The
 * real file comes from ../shared/data/detector: without it the tests that need it are skipped,
 * except in CI (CI=true), where they fail. Nothing here touches the network or ~/.cache.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { YOLOX_NANO_BYTES, YOLOX_NANO_SHA256 } from '@metrabs/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listDir as entries,
  scratchFolders,
  serveRoutes,
  sha256File as sha256,
  type TestServer,
} from '../../../test-support/files.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { expectOneLineError, runMetrabs, runMetrabsInProcess } from './run-cli.js';

const data = sharedData(['detector/yolox_nano.onnx', 'detector/LICENSE'], 'fetch-detector.test');
const skipNote = data.skip ? ` — SKIPPED: ${data.problem}` : '';

const scratch = scratchFolders('metrabs-fetch-');
const freshDir = scratch.fresh;
afterAll(scratch.remove);

/** /ok/… the real bytes, /short/… a part of them and then a cut; anything else is a 404. */
function serveDetector(model: Buffer, license: Buffer): Promise<TestServer> {
  return serveRoutes({
    '/ok/yolox_nano.onnx': (res) => {
      res.writeHead(200, {
        'Content-Length': model.length,
        'Content-Type': 'application/octet-stream',
      });
      res.end(model);
    },
    '/ok/yolox_nano.LICENSE': (res) => {
      res.writeHead(200, { 'Content-Length': license.length, 'Content-Type': 'text/plain' });
      res.end(license);
    },
    '/short/yolox_nano.onnx': (res) => {
      res.writeHead(200, { 'Content-Length': model.length });
      res.write(model.subarray(0, 1_000_000), () => res.socket?.destroy());
    },
  });
}

describe('metrabs fetch-detector without the real file', () => {
  it('--help documents the options and the exit codes', async () => {
    const r = await runMetrabsInProcess(['fetch-detector', '--help']);
    expect(r.code).toBe(0);
    for (const part of ['--from <file|url>', '--dest <file>', '--force', 'Exit codes:']) {
      expect(r.stdout).toContain(part);
    }
  });

  it('a wrong file → exit 3 naming the checksum; the destination stays absent, no temp files', async () => {
    const dir = freshDir();
    const wrong = join(dir, 'wrong.onnx');
    writeFileSync(wrong, '<html>Not Found</html>');
    const dest = join(dir, 'cache', 'yolox_nano.onnx');
    const r = await runMetrabsInProcess(['fetch-detector', '--from', wrong, '--dest', dest]);
    expect(r.code).toBe(3);
    expectOneLineError(r, /not the expected YOLOX-Nano file: its sha256 is [0-9a-f]{64}/);
    expect(r.stderr).toContain(`expected ${YOLOX_NANO_SHA256}`);
    expect(r.stderr).toContain('npx metrabs fetch-detector');
    expect(r.stderr).toContain('curl -fL');
    expect(r.stdout).toBe('');
    expect(entries(join(dir, 'cache'))).toEqual([]);
  });

  it('a missing --from file → exit 3; an unsupported scheme → exit 2', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    const missing = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      join(dir, 'nope.onnx'),
      '--dest',
      dest,
    ]);
    expect(missing.code).toBe(3);
    expectOneLineError(missing, /nope\.onnx: it does not exist/);
    const ftp = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      'ftp://host/x',
      '--dest',
      dest,
    ]);
    expect(ftp.code).toBe(2);
    expectOneLineError(ftp, /give a local file or an http\(s\) URL/);
    expect(entries(dir)).toEqual([]);
  });

  it('a closed port → exit 3 with a one-line network error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const dir = freshDir();
    const url = `http://127.0.0.1:${port}/yolox_nano.onnx`;
    const r = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      url,
      '--dest',
      join(dir, 'yolox_nano.onnx'),
    ]);
    expect(r.code).toBe(3);
    expectOneLineError(
      r,
      new RegExp(`the download of ${url} failed: .*ECONNREFUSED.*Nothing was installed\\.$`),
    );
    expect(entries(dir)).toEqual([]);
  });
});

describe.skipIf(data.skip)(`metrabs fetch-detector with the real file${skipNote}`, () => {
  let model: Buffer;
  let server: TestServer;
  let base: string;
  /** A copy of the real file (and its LICENSE) in a folder of its own. */
  let source: string;

  beforeAll(async () => {
    model = readFileSync(data.path('detector/yolox_nano.onnx'));
    const license = readFileSync(data.path('detector/LICENSE'));
    server = await serveDetector(model, license);
    base = server.base;
    const dir = freshDir();
    source = join(dir, 'yolox_nano.onnx');
    copyFileSync(data.path('detector/yolox_nano.onnx'), source);
    copyFileSync(data.path('detector/LICENSE'), join(dir, 'LICENSE'));
  });
  afterAll(() => server?.close());

  it('--from a local copy installs it at $XDG_CACHE_HOME; a second run keeps it; --force reinstalls', async () => {
    const cache = freshDir();
    const env = { ...process.env, XDG_CACHE_HOME: cache, METRABS_DETECTOR: '', METRABS_DEBUG: '' };
    const installed = join(cache, 'metrabs', 'yolox_nano.onnx');
    // The real binary once, with the default destination.
    const first = await runMetrabs(['fetch-detector', '--from', source], { env });
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`detector installed: ${installed} (copied from ${source})\n`);
    expect(first.stderr).not.toContain('note:');
    expect(sha256(installed)).toBe(YOLOX_NANO_SHA256);
    expect(readFileSync(join(cache, 'metrabs', 'yolox_nano.LICENSE'))).toEqual(
      readFileSync(data.path('detector/LICENSE')),
    );
    expect(entries(join(cache, 'metrabs'))).toEqual(['yolox_nano.LICENSE', 'yolox_nano.onnx']);

    const again = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      source,
      '--dest',
      installed,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^detector already installed: .*yolox_nano\.onnx \(sha256 verified/,
    );
    expect(again.stderr).toContain('was not used');

    const forced = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      source,
      '--dest',
      installed,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe(`detector installed: ${installed} (copied from ${source})\n`);
    expect(sha256(installed)).toBe(YOLOX_NANO_SHA256);
    expect(entries(join(cache, 'metrabs'))).toEqual(['yolox_nano.LICENSE', 'yolox_nano.onnx']);
  });

  it('--force with a wrong file leaves the installed file as it was', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    expect(
      (await runMetrabsInProcess(['fetch-detector', '--from', source, '--dest', dest])).code,
    ).toBe(0);
    const wrong = join(freshDir(), 'yolox_nano.onnx');
    const flipped = Buffer.from(model);
    flipped[1000] = flipped[1000]! ^ 0xff;
    writeFileSync(wrong, flipped);
    const r = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      wrong,
      '--dest',
      dest,
      '--force',
    ]);
    expect(r.code).toBe(3);
    expectOneLineError(r, new RegExp(`\\(3,660,092 bytes\\), expected ${YOLOX_NANO_SHA256}`));
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
    expect(entries(dir)).toEqual(['yolox_nano.LICENSE', 'yolox_nano.onnx']);
  });

  it('replaces a wrong file already at the destination, with a warning', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    writeFileSync(dest, model.subarray(0, 1000));
    const r = await runMetrabsInProcess(['fetch-detector', '--from', source, '--dest', dest]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('which was not the expected file (1,000 bytes)');
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
  });

  it('downloads over http with progress, and the licence from beside the URL', async () => {
    const dir = freshDir();
    const dest = join(dir, 'models', 'yolox_nano.onnx');
    const url = `${base}/ok/yolox_nano.onnx`;
    const r = await runMetrabsInProcess(['fetch-detector', '--from', url, '--dest', dest]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`metrabs: downloading ${url} (3.5 MiB)`);
    expect(r.stderr).toMatch(/yolox_nano\.onnx: 3\.5 MiB of 3\.5 MiB \(100 %\)/);
    expect(r.stderr).not.toContain('warning');
    expect(r.stderr).toContain(`not this file: pass --detector ${dest} or set METRABS_DETECTOR=`);
    expect(r.stdout).toBe(`detector installed: ${dest} (downloaded from ${url})\n`);
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
    expect(entries(join(dir, 'models'))).toEqual(['yolox_nano.LICENSE', 'yolox_nano.onnx']);
  });

  it('a body cut short or a 404 → exit 3, a clean message, nothing left behind', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    const short = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      `${base}/short/yolox_nano.onnx`,
      '--dest',
      dest,
    ]);
    expect(short.code).toBe(3);
    expectOneLineError(
      short,
      /short\/yolox_nano\.onnx failed after [\d,]+ of 3,660,092 bytes: .*Nothing was installed\.$/,
    );
    const missing = await runMetrabsInProcess([
      'fetch-detector',
      '--from',
      `${base}/missing/yolox_nano.onnx`,
      '--dest',
      dest,
    ]);
    expect(missing.code).toBe(3);
    expectOneLineError(
      missing,
      /the server answered HTTP 404 Not Found\. Nothing was installed\.$/,
    );
    expect(entries(dir)).toEqual([]);
  });

  it('without --from: copies the development copy (../shared/data/detector)', async () => {
    const dir = freshDir();
    const dest = join(dir, 'yolox_nano.onnx');
    const r = await runMetrabsInProcess(['fetch-detector', '--dest', dest]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `detector installed: ${dest} (copied from this repository's development setup, ${data.path('detector/yolox_nano.onnx')})\n`,
    );
    expect(sha256(dest)).toBe(YOLOX_NANO_SHA256);
    expect(readFileSync(join(dir, 'yolox_nano.LICENSE')).length).toBe(11_357);
    expect(YOLOX_NANO_BYTES).toBe(model.length);
  });
});
