/**
 * `metrabs serve` as users run it: the sample image through `curl -F`-style multipart gives the
 * same poses as `metrabs detect`; SIGTERM stops it with exit 0; a port in use is exit 3, a
 * missing model exit 4, a bad option exit 2 — each one error line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../test-support/shared-data.js';
import { BIN, expectOneLineError, runMetrabs, runMetrabsInProcess } from './run-cli.js';

const data = sharedData(['detector/yolox_nano.onnx'], 'cli serve.test');
const DETECTOR = data.path('detector/yolox_nano.onnx');
const SAMPLE = fileURLToPath(new URL('../../../samples/synthetic-street.jpg', import.meta.url));
const CAMERA = fileURLToPath(
  new URL('../../../samples/synthetic-street.camera.json', import.meta.url),
);
const env = { ...process.env, METRABS_DETECTOR: DETECTOR, METRABS_TOKEN: '', METRABS_MODEL: '' };

/** Starts `metrabs serve` and resolves with its URL once it listens (the model loaded). */
function serve(
  args: string[],
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ child, url: match[1]!, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe.skipIf(data.skip)('metrabs serve', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('answers the sample with the poses of metrabs detect, and stops on SIGTERM with 0', async () => {
    const server = await serve(['--port', '0', '--workers', '1', '--threads', '2']);
    children.push(server.child);
    expect(server.stderr()).toMatch(/1 estimator\(s\) × 2 thread\(s\), queue 32/);

    const form = new FormData();
    form.append('image', new Blob([readFileSync(SAMPLE)]), 'synthetic-street.jpg');
    form.append('camera', new Blob([readFileSync(CAMERA)]), 'synthetic-street.camera.json');
    form.append('numAug', '1');
    const response = await fetch(`${server.url}/v1/poses`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const served = (await response.json()) as Record<string, unknown>;

    const detect = await runMetrabsInProcess([
      'detect',
      SAMPLE,
      '--intrinsics',
      CAMERA,
      '--num-aug',
      '1',
      '--threads',
      '2',
      '--detector',
      DETECTOR,
      '--json',
    ]);
    expect(detect.code, detect.stderr).toBe(0);
    const detected = JSON.parse(detect.stdout) as Record<string, unknown>;
    expect(served['people']).toBe(3);
    for (const key of [
      'boxes',
      'poses3d',
      'poses2d',
      'distancesM',
      'jointNames',
      'intrinsicMatrix',
    ]) {
      expect(served[key], key).toEqual(detected[key]);
    }

    const stopped = exitCode(server.child);
    server.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM: stopped after answering the requests in flight/);
  }, 120_000);

  it('a port in use → exit 3; a missing model → exit 4; a bad --cors → exit 2', async () => {
    const server = await serve(['--port', '0', '--workers', '1']);
    children.push(server.child);
    const port = new URL(server.url).port;
    const busy = await runMetrabs(['serve', '--port', port], { env });
    expect(busy.code).toBe(3);
    expectOneLineError(busy, /cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    server.child.kill('SIGTERM');
    await exitCode(server.child);

    const missing = await runMetrabs(['serve', '--port', '0', '--model', '/nonexistent/model'], {
      env,
    });
    expect(missing.code).toBe(4);
    expectOneLineError(missing, /model package not found: \/nonexistent\/model/);

    const cors = await runMetrabs(['serve', '--cors', 'not an origin'], { env });
    expect(cors.code).toBe(2);
    expectOneLineError(cors, /--cors/);
  }, 120_000);
});
