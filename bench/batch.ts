/**
 * Benchmark: `metrabs batch` throughput with 1 and 2 `metrabs worker` processes on a private
 * loopback Redis, against one plain `metrabs detect` process over the same images, in one run
 * (so the ratio holds even on shared, noisy cores), in rounds that alternate the runs. Default model, YOLOX-Nano, `--num-aug 1`,
 * the first N LSPET photos from ../shared/data. Wall time from the processes' start to their
 * end (start-up and model loading included on both sides); submitting is timed apart.
 *
 *   npx tsx --conditions=@metrabs/source bench/batch.ts [--images 50] [--rounds 2]
 *   npx tsx --conditions=@metrabs/source bench/batch.ts --fault [--images 200]
 *
 * `--fault`: the issue's fault run — 2 workers, one killed (SIGKILL) a third of the way in;
 * counts results, duplicates and losses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisProblem, TestRedis } from '../test-support/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/cli/bin/metrabs.js');
const data = join(root, '../shared/data');
const args = process.argv.slice(2);
const fault = args.includes('--fault');
const count = Number(args[args.indexOf('--images') + 1] ?? 0) || (fault ? 200 : 50);
const env = {
  ...process.env,
  METRABS_DETECTOR: join(data, 'detector/yolox_nano.onnx'),
  METRABS_REDIS: '',
};

const problem = redisProblem();
if (problem) {
  console.error(`bench/batch: ${problem}`);
  process.exit(1);
}
const lspet = join(data, 'real/lspet/images');
const images = readdirSync(lspet)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .slice(0, count)
  .map((f) => join(lspet, f));
const work = mkdtempSync(join(tmpdir(), 'metrabs-bench-batch-'));

interface Proc {
  child: ChildProcess;
  stderr: string;
  done: Promise<number | null>;
}

function start(argv: string[]): Proc {
  const child = spawn('nice', ['-n', '19', process.execPath, bin, ...argv], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const p: Proc = { child, stderr: '', done: Promise.resolve(null) };
  child.stderr!.on('data', (d: Buffer) => {
    p.stderr += d.toString();
  });
  p.done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return p;
}

async function finish(p: Proc, what: string): Promise<void> {
  const code = await p.done;
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${p.stderr}`);
}

async function seconds(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

let redisN = 0;
const submits: number[] = [];
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 0) || 2;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}
async function freshRedis(): Promise<TestRedis> {
  const dir = join(work, `redis${redisN++}`);
  mkdirSync(dir);
  return new TestRedis(dir).start();
}

async function submit(redis: TestRedis, out: string): Promise<number> {
  return seconds(() =>
    finish(
      start(['batch', 'submit', ...images, '--redis', redis.url, '--out', out, '--num-aug', '1']),
      'submit',
    ),
  );
}

function jsonFiles(out: string): string[] {
  return readdirSync(out).filter((f) => f.endsWith('.json'));
}

async function batchRun(workers: number, threads?: number) {
  const redis = await freshRedis();
  const out = join(work, `out-${workers}-${threads ?? 'd'}-${redisN}`);
  try {
    const submitS = await submit(redis, out);
    const extra = threads ? ['--threads', String(threads)] : [];
    const s = await seconds(async () => {
      const ps = Array.from({ length: workers }, () =>
        start(['worker', '--redis', redis.url, '--until-empty', ...extra]),
      );
      await Promise.all(ps.map((p, i) => finish(p, `worker ${i}`)));
    });
    if (jsonFiles(out).length !== images.length) throw new Error(`missing results in ${out}`);
    submits.push(submitS);
    return { s, submitS };
  } finally {
    await redis.stop();
  }
}

async function faultRun(): Promise<void> {
  const redis = await freshRedis();
  const out = join(work, 'out-fault');
  try {
    await submit(redis, out);
    const flags = ['--until-empty', '--lock-duration', '5000', '--stalled-interval', '2000'];
    const t0 = performance.now();
    const [doomed, survivor] = [0, 1].map(() =>
      start(['worker', '--redis', redis.url, ...flags]),
    ) as [Proc, Proc];
    // Kill the doomed worker in the middle of a job, once a third of the results are there.
    while (jsonFiles(out).length < images.length / 3) await new Promise((r) => setTimeout(r, 200));
    await new Promise<void>((resolve) => {
      const check = () =>
        /: started \(job [^\n]*\n$/.test(doomed.stderr) ? resolve() : setTimeout(check, 20);
      check();
    });
    doomed.child.kill('SIGKILL');
    const killedAt = jsonFiles(out).length;
    const inFlight = /^(.+): started \(job [^\n]*\n$/m.exec(
      doomed.stderr.split('\n').slice(-2).join('\n'),
    )?.[1];
    await finish(survivor, 'surviving worker');
    const s = (performance.now() - t0) / 1000;
    const files = readdirSync(out);
    const results = jsonFiles(out);
    const labels = results.map(
      (f) => JSON.parse(readFileSync(join(out, f), 'utf8')).image as string,
    );
    const duplicates = labels.length - new Set(labels).size;
    const lost = images.filter((i) => !labels.includes(i)).length;
    const retried = inFlight ? survivor.stderr.includes(`${inFlight}: started`) : false;
    console.log(
      `fault run: ${images.length} jobs, 2 workers, one killed (SIGKILL) mid-job after ${killedAt} results` +
        ` (in flight: ${inFlight ?? '?'}; taken over by the other worker: ${retried ? 'yes' : 'no'})`,
    );
    console.log(
      `→ ${results.length} results, ${duplicates} duplicates, ${lost} lost, ` +
        `${files.length - results.length} other files, ${s.toFixed(1)} s`,
    );
  } finally {
    await redis.stop();
  }
}

try {
  console.log(
    `Node ${process.version}, ${availableParallelism()} cores (shared with a training run), ` +
      `${new Date().toISOString().slice(0, 16)}Z; default model, --num-aug 1, ${images.length} LSPET photos\n`,
  );
  if (fault) {
    await faultRun();
  } else {
    // Rounds alternate the runs, so that a change in the machine's other load hits all alike.
    const runs: [string, () => Promise<number>][] = [
      [
        '`metrabs detect` (one process, all images)',
        () =>
          seconds(() =>
            finish(
              start([
                'detect',
                ...images,
                '--num-aug',
                '1',
                '--no-viz',
                '--out',
                join(work, 'cli'),
              ]),
              'detect',
            ),
          ),
      ],
      ['1 worker', async () => (await batchRun(1)).s],
      ['2 workers', async () => (await batchRun(2)).s],
      ['2 workers, `--threads 1` each', async () => (await batchRun(2, 1)).s],
    ];
    const times: number[][] = runs.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name, run]] of runs.entries()) {
        times[i]!.push(await run());
        // As it goes, so that a long run on a busy machine leaves numbers even if stopped.
        console.error(`round ${round + 1}: ${name}: ${times[i]!.at(-1)!.toFixed(1)} s`);
      }
    }
    const rate = (s: number) => images.length / s;
    console.log(
      `| run | wall s (${rounds} rounds) | images/s (median) | vs. \`metrabs detect\` (per round) |`,
    );
    console.log('| --- | ---: | ---: | ---: |');
    for (const [i, [name]] of runs.entries()) {
      const ratios = times[i]!.map((s, r) => (rate(s) / rate(times[0]![r]!)).toFixed(2));
      console.log(
        `| ${name} | ${times[i]!.map((s) => s.toFixed(1)).join(', ')} | ${rate(median(times[i]!)).toFixed(2)} | ${ratios.join(', ')} |`,
      );
    }
    console.log(
      `\nSubmitting ${images.length} jobs (hashing, checks, Redis), median: ${median(submits).toFixed(1)} s`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
