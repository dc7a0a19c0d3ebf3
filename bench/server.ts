/**
 * Load benchmark of `metrabs serve` on loopback (autocannon), against the same work done in
 * process. The default model and YOLOX-Nano (../shared/data/detector, else METRABS_DETECTOR),
 * the sample image (samples/synthetic-street.jpg, 512×512, 3 people) sent as the raw body to
 * `POST /v1/poses?numAug=1`.
 *
 *   npx tsx --conditions=@metrabs/source bench/server.ts [--seconds 10]
 *
 * 1. In process: `workers` estimators (as the server makes them: the cores shared among them)
 *    each decoding the JPEG and running `detectPoses` in a loop: images/s at saturation.
 * 2. `metrabs serve` (a child process, default workers and queue): for 1, 2, 4, 8 and 16
 *    concurrent connections, requests/s and p50/p95/p99 latency of the 200s; the server's RSS
 *    before and after.
 * 3. Overload: `metrabs serve --queue 4` under 32 connections: how many answers were 503
 *    (queue full), their latency and that of the 200s, and whether any request timed out.
 *
 * Each run is bounded in time (--seconds per level). Prints markdown tables and a JSON line
 * (prefix `JSON `). The machine may be shared: compare numbers from one run only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEstimator, loadImage } from '@metrabs/runtime/node';
import { SERVER_DEFAULTS, threadsPerEstimator } from '@metrabs/server';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/cli/bin/metrabs.js');
const sharedDetector = join(root, '../shared/data/detector/yolox_nano.onnx');
const detector = existsSync(sharedDetector) ? sharedDetector : process.env['METRABS_DETECTOR'];
const jpeg = readFileSync(join(root, 'samples/synthetic-street.jpg'));
const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 10;
const workers = SERVER_DEFAULTS.estimators;
const threads = threadsPerEstimator({ estimators: workers });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Images/s of `workers` estimators decoding and estimating in a loop for `seconds`. */
async function inProcess(): Promise<number> {
  const estimators = await Promise.all(
    Array.from({ length: workers }, () => createEstimator({ detector, threads })),
  );
  for (const e of estimators) await e.detectPoses(await loadImage(jpeg), { numAug: 1 }); // warm-up
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    estimators.map(async (e) => {
      while (performance.now() < end) {
        await e.detectPoses(await loadImage(jpeg), { numAug: 1 });
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - t0);
}

interface Server {
  child: ChildProcess;
  url: string;
}

function startServe(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...(detector ? { METRABS_DETECTOR: detector } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`metrabs serve exited (${code}): ${stderr}`)));
  });
}

async function stopServe(server: Server): Promise<void> {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a process, MiB (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface Load {
  connections: number;
  requests: number;
  rps: number;
  ok: number;
  overloaded: number;
  otherErrors: number;
  timeouts: number;
  okMs: { p50: number; p95: number; p99: number };
  overloadedMs: { p50: number; p99: number };
}

async function load(url: string, connections: number): Promise<Load> {
  const okMs: number[] = [];
  const overloadedMs: number[] = [];
  let other = 0;
  const instance = autocannon({
    url: `${url}/v1/poses?numAug=1`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: jpeg,
    connections,
    duration: seconds,
    timeout: 60,
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) okMs.push(ms);
    else if (status === 503) overloadedMs.push(ms);
    else other++;
  });
  const result = await instance;
  okMs.sort((a, b) => a - b);
  overloadedMs.sort((a, b) => a - b);
  const total = okMs.length + overloadedMs.length + other;
  return {
    connections,
    requests: total,
    rps: okMs.length / result.duration,
    ok: okMs.length,
    overloaded: overloadedMs.length,
    otherErrors: other + result.errors,
    timeouts: result.timeouts,
    okMs: { p50: percentile(okMs, 50), p95: percentile(okMs, 95), p99: percentile(okMs, 99) },
    overloadedMs: { p50: percentile(overloadedMs, 50), p99: percentile(overloadedMs, 99) },
  };
}

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');

const baseline = await inProcess();
console.log(
  `in process: ${workers} estimator(s) × ${threads} thread(s), ${f(baseline, 2)} images/s`,
);

const server = await startServe([]);
await load(server.url, workers); // warm-up
const rssBefore = rssMiB(server.child.pid!);
const levels: Load[] = [];
for (const c of [1, 2, 4, 8, 16]) levels.push(await load(server.url, c));
const rssAfter = rssMiB(server.child.pid!);
await stopServe(server);
const served = levels.reduce((n, l) => n + l.requests, 0);

const small = await startServe(['--queue', '4']);
await load(small.url, workers);
const overload = await load(small.url, 32);
await stopServe(small);

console.log(
  `\n| connections | requests/s | % of in-process | p50 ms | p95 ms | p99 ms | 503s | other errors |`,
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const l of [...levels, overload]) {
  const label = l === overload ? `${l.connections} (queue 4)` : String(l.connections);
  console.log(
    `| ${label} | ${f(l.rps, 2)} | ${f((100 * l.rps) / baseline)} % | ${f(l.okMs.p50)} | ${f(l.okMs.p95)} | ${f(l.okMs.p99)} | ${l.overloaded} of ${l.requests} | ${l.otherErrors + l.timeouts} |`,
  );
}
console.log(
  `\noverload: 503 answered in p50 ${f(overload.overloadedMs.p50, 1)} ms, p99 ${f(overload.overloadedMs.p99, 1)} ms; timeouts ${overload.timeouts}`,
);
console.log(
  `server RSS: ${f(rssBefore)} MiB after warm-up, ${f(rssAfter)} MiB after ${served} more requests`,
);
console.log(
  `JSON ${JSON.stringify({ workers, threads, seconds, inProcessImagesPerSecond: baseline, levels, overload, rssMiB: { before: rssBefore, after: rssAfter, requests: served } })}`,
);
