/**
 * `metrabs batch submit` and `metrabs batch status`: pose estimation as jobs on a Redis queue
 * (BullMQ), worked off by `metrabs worker` processes on any number of machines. Submitting
 * prints what was queued; status prints counts, running jobs and failures (stdout: it is the
 * answer), or follows the batch to its end with `--watch` (progress on stderr).
 */
import { readFileSync } from 'node:fs';
import type { BatchStatus, SubmitReport } from '@metrabs/server';
import type { Command } from 'commander';
import { EXIT, EXIT_CODE_HELP, type ExitCode, InputError, oneLine, UsageError } from '../errors.js';
import { addPoseOptions, parsePositiveInt } from '../options.js';
import type { ModelOptions } from '../pipeline.js';
import type { Io } from './detect.js';
import { redisErrors } from './worker.js';

export interface SubmitCommandOptions extends Omit<ModelOptions, 'model' | 'detector' | 'threads'> {
  redis: string;
  queue?: string;
  out: string;
  chunkFrames?: number;
  retryFailed?: boolean;
  ffmpeg?: string;
  json?: boolean;
}

export interface StatusCommandOptions {
  redis: string;
  queue?: string;
  out?: string;
  json?: boolean;
  watch?: boolean;
  interval?: number;
}

/** The camera file's contents as a job carries them (checked again by the workers). */
function cameraJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the camera file ${path}: ${oneLine(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: invalid JSON (${oneLine(e)})`);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function submitSummary(r: SubmitReport): string {
  const parts = [`${r.queued} queued`];
  if (r.done > 0) parts.push(`${r.done} already done`);
  if (r.inQueue > 0) parts.push(`${r.inQueue} already in the queue`);
  if (r.retried > 0) parts.push(`${r.retried} failed before, queued again`);
  if (r.failed > 0) parts.push(`${r.failed} failed before (--retry-failed runs them again)`);
  const inputs = [
    r.images > 0 ? plural(r.images, 'image') : '',
    r.videos > 0 ? plural(r.videos, 'video') : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return `${plural(r.jobs, 'job')} from ${inputs}: ${parts.join(', ')}`;
}

export async function runBatchSubmit(
  inputs: string[],
  options: SubmitCommandOptions,
  io: Io,
): Promise<ExitCode> {
  const server = await import('@metrabs/server');
  const request = {
    ...(options.numAug !== undefined ? { numAug: options.numAug } : {}),
    ...(options.antialias !== undefined ? { antialias: options.antialias } : {}),
    ...(options.skeleton ? { skeleton: options.skeleton } : {}),
    ...(options.fov !== undefined ? { fov: options.fov } : {}),
    ...(options.detectorThreshold !== undefined
      ? { detectorThreshold: options.detectorThreshold }
      : {}),
    ...(options.maxDetections !== undefined ? { maxDetections: options.maxDetections } : {}),
    ...(options.detectorFlipAug ? { detectorFlipAug: true } : {}),
    ...(options.suppressImplausible === false ? { suppressImplausible: false } : {}),
    ...(options.intrinsics !== undefined ? { camera: cameraJson(options.intrinsics) } : {}),
  };
  const { resolve } = await import('node:path');
  const { ensureDirectory, DirectoryError } = await import('@metrabs/runtime/node');
  let report: SubmitReport;
  try {
    // The folder is made now: a bad --out fails here, not in every worker.
    ensureDirectory(options.out);
    report = await redisErrors(() =>
      server.submitBatch(inputs, {
        redis: options.redis,
        queue: options.queue,
        out: options.out,
        options: request,
        chunkFrames: options.chunkFrames,
        retryFailed: options.retryFailed,
        ffmpeg: options.ffmpeg,
      }),
    );
  } catch (e) {
    if (e instanceof DirectoryError) throw new InputError(e.message);
    if (e instanceof server.BatchInputError || e instanceof server.VideoInputError) {
      throw new InputError(e.message);
    }
    if (e instanceof server.BatchOptionsError) {
      throw e.camera ? new InputError(e.message) : new UsageError(e.message);
    }
    throw e;
  }
  if (options.json) io.stdout(`${JSON.stringify(report)}\n`);
  io.stderr(`metrabs: ${submitSummary(report)} → ${resolve(options.out)}\n`);
  if (report.queued + report.retried > 0) {
    io.stderr(
      `metrabs: run \`metrabs worker --redis ${options.redis}\` on each machine; \`metrabs batch status --redis ${options.redis}\` shows progress\n`,
    );
  }
  return EXIT.ok;
}

/** The status as text: counts, progress, running jobs, failures with their reasons. */
export function statusText(
  s: BatchStatus,
  withoutLabel: (reason: string, label: string) => string,
): string {
  const finished = s.done + s.failed;
  const percent = s.total > 0 ? Math.floor((100 * finished) / s.total) : 100;
  const lines = [
    `queue ${s.queue}${s.out ? `, results in ${s.out}` : ''}: ${finished} of ${s.total} jobs finished (${percent} %)`,
    `  waiting ${s.waiting}, active ${s.active}, retrying ${s.delayed}, done ${s.done}, failed ${s.failed}`,
  ];
  for (const r of s.running)
    lines.push(`  running: ${r.label}${r.progress > 0 ? ` (${r.progress} %)` : ''}`);
  for (const f of s.failures) {
    lines.push(
      `  failed: ${f.label}${f.part ? ` (${f.part})` : ''}: ${withoutLabel(f.reason, f.label)}`,
    );
  }
  if (s.failed > s.failures.length)
    lines.push(`  … and ${s.failed - s.failures.length} more failed`);
  return `${lines.join('\n')}\n`;
}

function progressLine(s: BatchStatus): string {
  const finished = s.done + s.failed;
  const percent = s.total > 0 ? Math.floor((100 * finished) / s.total) : 100;
  return `batch: ${finished} of ${s.total} jobs finished (${percent} %), ${s.active} running, ${s.waiting} waiting, ${s.failed} failed`;
}

export async function runBatchStatus(options: StatusCommandOptions, io: Io): Promise<ExitCode> {
  const server = await import('@metrabs/server');
  const read = () =>
    redisErrors(() =>
      server.batchStatus({ redis: options.redis, queue: options.queue, out: options.out }),
    );
  let status = await read();
  if (options.watch) {
    const tty = process.stderr.isTTY === true;
    let last = '';
    while (status.waiting + status.active + status.delayed > 0) {
      const line = progressLine(status);
      // A terminal gets one line redrawn; a log gets a line when something changed.
      if (tty) io.stderr(`\r${line}\x1b[K`);
      else if (line !== last) io.stderr(`${line}\n`);
      last = line;
      await new Promise((r) => setTimeout(r, options.interval ?? 2000));
      status = await read();
    }
    io.stderr(`${tty ? '\r' : ''}${progressLine(status)}${tty ? '\x1b[K' : ''}\n`);
  }
  io.stdout(options.json ? `${JSON.stringify(status)}\n` : statusText(status, server.withoutLabel));
  return EXIT.ok;
}

const REDIS_HELP = 'Redis URL (default: $METRABS_REDIS, else redis://127.0.0.1:6379)';
const QUEUE_HELP = 'queue name (default metrabs-batch)';

/** `--redis` when not given: METRABS_REDIS, else Redis on this machine. */
export function defaultRedis(): string {
  return process.env['METRABS_REDIS'] || 'redis://127.0.0.1:6379';
}

/** Adds `batch submit` and `batch status`; returns the commands for the program's output setup. */
export function registerBatch(
  program: Command,
  io: Io,
  setExit: (code: ExitCode) => void,
): Command[] {
  const batch = program
    .command('batch')
    .description(
      'pose estimation as jobs on a Redis queue, run by `metrabs worker` processes (docs/batch.md)',
    );
  const submit = batch
    .command('submit')
    .description(
      'queue one job per image (or per chunk of video frames); work already done is skipped',
    )
    .argument('<inputs...>', 'images, videos or folders of them (walked recursively)')
    .option('--redis <url>', REDIS_HELP)
    .option('--queue <name>', QUEUE_HELP)
    .option(
      '--out <dir>',
      'output folder the workers write into (the same path on every machine)',
      './metrabs-out',
    )
    .option('--chunk-frames <n>', 'video frames per job (default 100)', parsePositiveInt)
    .option('--retry-failed', 'queue jobs of these inputs that failed before again')
    .option(
      '--ffmpeg <path>',
      'ffmpeg, to count video frames (default: $METRABS_FFMPEG, PATH, bundled)',
    )
    .option('--json', 'also print the counts as JSON to stdout');
  addPoseOptions(submit, 'camera file (docs/cli.md#camera-file), sent with every job')
    .addHelpText(
      'after',
      `
Each image becomes <out>/<name>.json (the result document of \`metrabs detect\`); each chunk of
a video <out>/<name>.frames-<first>-<last>.jsonl (one result document a frame). Job ids come
from the file's content and the options: submitting again queues only what is neither done nor
queued. Workers need the inputs and <out> at the same paths (a shared file system).

Examples:
  metrabs batch submit photos/ --redis redis://queue-host:6379 --out /shared/results --num-aug 1
  metrabs batch submit clip.mp4 --chunk-frames 200 --skeleton coco_19 --out /shared/results

${EXIT_CODE_HELP}`,
    )
    .action(async (inputs: string[], options: SubmitCommandOptions) => {
      setExit(
        await runBatchSubmit(inputs, { ...options, redis: options.redis ?? defaultRedis() }, io),
      );
    });
  const status = batch
    .command('status')
    .description('counts of waiting, running, done and failed jobs, with the reasons of failures')
    .option('--redis <url>', REDIS_HELP)
    .option('--queue <name>', QUEUE_HELP)
    .option('--out <dir>', 'only the jobs writing into this folder')
    .option('--watch', 'follow the batch until no job is waiting or running (progress on stderr)')
    .option('--json', 'print the status as JSON')
    .action(async (options: StatusCommandOptions) => {
      setExit(await runBatchStatus({ ...options, redis: options.redis ?? defaultRedis() }, io));
    });
  return [batch, submit, status];
}
