/**
 * `metrabs batch` and `metrabs worker` end to end, with a private redis-server, real images
 * (samples/ and LSPET photos from ../shared/data), the default model and the YOLOX-Nano detector:
 * a worker killed mid-job, Redis restarted mid-batch, corrupt inputs, submitting again, and a
 * video split into chunks.
 * Workers run as `metrabs worker` processes with short lock and stalled-check intervals so that
 * a dead worker's job is picked up within seconds.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createEstimator,
  findFfmpeg,
  type PoseResultLike,
  resultDocument,
} from '@metrabs/runtime/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../../../test-support/result-schema.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { MetrabsProcess, metrabs, redisProblem, TestRedis } from './batch-support.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/synthetic-street.jpg', import.meta.url));
const LSPET = ['im00001', 'im00002', 'im00003', 'im00004', 'im00005', 'im00006', 'im00008'].map(
  (n) => `real/lspet/images/${n}.jpg`,
);
const data = sharedData(['detector/yolox_nano.onnx', ...LSPET], 'batch.test');
const redisMissing = redisProblem();
const skip = data.skip || redisMissing !== undefined;
const note = skip ? ` — SKIPPED: ${data.problem ?? redisMissing}` : '';

const tmp = mkdtempSync(join(tmpdir(), 'metrabs-batch-'));
const ENV = {
  ...process.env,
  METRABS_DETECTOR: data.path('detector/yolox_nano.onnx'),
  METRABS_DEBUG: '',
  METRABS_REDIS: '',
};
/** Fast jobs, and quick recovery of a dead worker's job. */
const WORKER = [
  'worker',
  '--until-empty',
  '--threads',
  '1',
  '--lock-duration',
  '3000',
  '--stalled-interval',
  '1000',
];

let n = 0;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
/** A folder of inputs: the sample and `count` LSPET photos, copied so their paths are ours. */
function inputs(count: number): string {
  const dir = join(tmp, `in${n++}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(SAMPLE, join(dir, 'street.jpg'));
  for (const f of LSPET.slice(0, count)) copyFileSync(data.path(f), join(dir, f.split('/').pop()!));
  return dir;
}

function results(out: string): string[] {
  return readdirSync(out)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

async function startRedis(): Promise<TestRedis> {
  const dir = join(tmp, `redis${n++}`);
  mkdirSync(dir);
  return new TestRedis(dir).start();
}

describe.skipIf(skip)(`metrabs batch on a private Redis${note}`, { timeout: 240_000 }, () => {
  const servers: TestRedis[] = [];
  const workers: MetrabsProcess[] = [];
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    for (const s of servers) await s.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  let reference: ReturnType<typeof resultDocument>;
  beforeAll(async () => {
    // The sample's poses through the runtime directly, to check the workers' files against.
    const estimator = await createEstimator({ detector: ENV.METRABS_DETECTOR, threads: 1 });
    const { loadImage } = await import('@metrabs/runtime/node');
    const image = await loadImage(SAMPLE);
    const result = await estimator.detectPoses(image, { numAug: 1 });
    reference = resultDocument(result as PoseResultLike, {
      image: 'street.jpg',
      imageSize: image,
      model: { backbone: '', skeleton: '', numJoints: 0, cropSide: 0 },
    });
  }, 180_000);

  function spawnWorker(redis: TestRedis, extra: string[] = []): MetrabsProcess {
    const w = new MetrabsProcess([...WORKER, '--redis', redis.url, ...extra], ENV);
    workers.push(w);
    return w;
  }

  it('a worker killed mid-job: another worker runs the job, and each result exists once', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const dir = inputs(7);
    const out = join(tmp, 'out-kill');
    const submit = await metrabs(
      ['batch', 'submit', dir, '--redis', redis.url, '--out', out, '--num-aug', '1'],
      ENV,
    );
    expect(submit.code, submit.stderr).toBe(0);
    expect(submit.stderr).toMatch(/8 jobs from 8 images: 8 queued/);

    const doomed = spawnWorker(redis);
    const survivor = spawnWorker(redis);
    // The first job the doomed worker starts is the one it dies in.
    const [, label] = await doomed.waitFor(/^(.+): started \(job /m);
    doomed.kill('SIGKILL');
    await doomed.exited;
    // It died in the middle of the job: it never reported it done.
    expect(doomed.stderr).not.toMatch(
      new RegExp(`${escapeRegExp(label!)}: \\d+ (person|people), `),
    );
    expect(await survivor.exited, survivor.stderr).toBe(0);

    // The survivor took the dead worker's job over.
    expect(survivor.stderr).toContain(`${label!}: started`);
    const doneLines = survivor.stderr.match(
      new RegExp(`^${escapeRegExp(label!)}: \\d+ (person|people), `, 'gm'),
    );
    expect(doneLines, survivor.stderr).toHaveLength(1);
    const files = readdirSync(out);
    expect(
      files.filter((f) => !f.endsWith('.json')),
      'temporary files left',
    ).toEqual([]);
    expect(results(out)).toEqual([
      'im00001.json',
      'im00002.json',
      'im00003.json',
      'im00004.json',
      'im00005.json',
      'im00006.json',
      'im00008.json',
      'street.json',
    ]);
    for (const f of results(out)) {
      const doc = JSON.parse(readFileSync(join(out, f), 'utf8'));
      expect(resultSchemaErrors(doc), f).toEqual([]);
      expect(doc.settings.numAug).toBe(1);
    }
    const street = JSON.parse(readFileSync(join(out, 'street.json'), 'utf8'));
    expect(street.image).toBe(join(dir, 'street.jpg'));
    expect(street.people).toBe(reference.people);
    // Max. joint difference (mm) to the in-process run: the same pipeline, other threads.
    const diffs = (street.poses3d as number[][][]).flatMap((pose, i) =>
      pose.flatMap((joint, j) => joint.map((v, k) => Math.abs(v - reference.poses3d[i]![j]![k]!))),
    );
    expect(Math.max(...diffs)).toBeLessThan(1);
    const status = await metrabs(['batch', 'status', '--redis', redis.url, '--json'], ENV);
    expect(JSON.parse(status.stdout)).toMatchObject({
      waiting: 0,
      active: 0,
      done: 8,
      failed: 0,
      total: 8,
    });
  });

  it('Redis restarted mid-batch: the worker reconnects and finishes the batch', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const dir = inputs(5);
    const out = join(tmp, 'out-restart');
    const submit = await metrabs(
      ['batch', 'submit', dir, '--redis', redis.url, '--out', out, '--num-aug', '1'],
      ENV,
    );
    expect(submit.code, submit.stderr).toBe(0);
    const worker = spawnWorker(redis);
    await worker.waitFor(/people?, [\d.]+ s → /);
    await redis.stop();
    await worker.waitFor(/lost Redis at/);
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    await worker.waitFor(/reconnected to Redis/);
    expect(await worker.exited, worker.stderr).toBe(0);
    expect(results(out)).toHaveLength(6);
    const status = await metrabs(
      ['batch', 'status', '--redis', redis.url, '--out', out, '--json'],
      ENV,
    );
    expect(JSON.parse(status.stdout)).toMatchObject({ done: 6, failed: 0, total: 6 });
  });

  it('corrupt inputs fail with their reason; the rest completes; submitting again queues nothing', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const dir = inputs(2);
    writeFileSync(join(dir, 'truncated.jpg'), readFileSync(SAMPLE).subarray(0, 2000));
    writeFileSync(join(dir, 'not-an-image.png'), 'hello, I am text\n');
    const out = join(tmp, 'out-corrupt');
    const args = ['batch', 'submit', dir, '--redis', redis.url, '--out', out, '--num-aug', '1'];
    const submit = await metrabs(args, ENV);
    expect(submit.code, submit.stderr).toBe(0);
    const worker = spawnWorker(redis);
    expect(await worker.exited, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(/truncated\.jpg: failed: cannot decode: /);
    expect(results(out)).toEqual(['im00001.json', 'im00002.json', 'street.json']);

    const status = await metrabs(['batch', 'status', '--redis', redis.url, '--out', out], ENV);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/3 of 5 jobs finished|5 of 5 jobs finished/);
    expect(status.stdout).toMatch(/done 3, failed 2/);
    expect(status.stdout).toMatch(
      /failed: \S*truncated\.jpg: cannot decode: .*premature end of JPEG/,
    );
    expect(status.stdout).toMatch(/failed: .*not-an-image\.png: /);
    const json = JSON.parse(
      (await metrabs(['batch', 'status', '--redis', redis.url, '--json'], ENV)).stdout,
    );
    // Corrupt inputs are not retried: one attempt each.
    expect(json.failures.map((f: { attempts: number }) => f.attempts)).toEqual([1, 1]);

    const again = await metrabs([...args, '--json'], ENV);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ jobs: 5, queued: 0, done: 3, failed: 2 });
    expect(again.stderr).toMatch(/0 queued, 3 already done, 2 failed before/);
    const after = JSON.parse(
      (await metrabs(['batch', 'status', '--redis', redis.url, '--json'], ENV)).stdout,
    );
    expect(after).toMatchObject({ waiting: 0, active: 0, total: 5 });
  });

  it('a video becomes jobs of --chunk-frames frames, each a JSONL file of result documents', async () => {
    const redis = await startRedis();
    servers.push(redis);
    // Five frames of the sample image, 10 fps, as a short clip.
    const clip = join(tmp, 'street-clip.mp4');
    const ffmpeg = findFfmpeg().path;
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-loop',
      '1',
      '-i',
      SAMPLE,
      '-frames:v',
      '5',
      '-r',
      '10',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const out = join(tmp, 'out-video');
    const args = [
      'batch',
      'submit',
      clip,
      '--chunk-frames',
      '3',
      '--redis',
      redis.url,
      '--out',
      out,
      '--num-aug',
      '1',
    ];
    const submit = await metrabs(args, ENV);
    expect(submit.stderr).toMatch(/2 jobs from 1 video: 2 queued/);
    const worker = spawnWorker(redis);
    expect(await worker.exited, worker.stderr).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'street-clip.frames-000000-000002.jsonl',
      'street-clip.frames-000003-000004.jsonl',
    ]);
    const docs = files.flatMap((f) =>
      readFileSync(join(out, f), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(docs.map((d) => [d.image, d.time])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`${clip}#${i}`, i / 10]),
    );
    for (const d of docs) {
      expect(resultSchemaErrors(d)).toEqual([]);
      // The same picture in every frame (after video compression): the same three people.
      expect(d.people).toBe(reference.people);
    }
    const again = await metrabs([...args, '--json'], ENV);
    expect(JSON.parse(again.stdout)).toMatchObject({ jobs: 2, queued: 0, done: 2 });
  });

  it('bad command lines and an unreachable Redis are one-line errors', async () => {
    const dead = await metrabs(['batch', 'status', '--redis', 'redis://127.0.0.1:1'], ENV);
    expect(dead.code).toBe(3);
    expect(dead.stderr).toMatch(
      /^metrabs: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/m,
    );
    expect(dead.stderr).not.toMatch(/^\s+at /m);
    const usage = await metrabs(['batch', 'submit', SAMPLE, '--num-aug', '0'], ENV);
    expect(usage.code).toBe(2);
    const missing = await metrabs(
      [
        'batch',
        'submit',
        join(tmp, 'nope.jpg'),
        '--redis',
        'redis://127.0.0.1:1',
        '--out',
        join(tmp, 'o'),
      ],
      ENV,
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/input not found: .*nope\.jpg/);
  });
});
