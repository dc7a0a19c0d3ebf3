/**
 * `metrabs worker`: takes batch jobs from the queue and writes their results. Any number of
 * workers on any number of machines share one queue; BullMQ hands each job to one of them, keeps
 * a lock on it while it runs, and puts it back in the queue when the lock lapses (the worker died
 * or lost Redis) so another worker runs it. A job's result is written atomically and a job whose
 * result is already there is not computed again, so a retried job leaves one file. Inputs that
 * cannot be processed (a corrupt image, a camera that does not fit) fail at once with their
 * reason (no retries); anything else is retried with backoff.
 */

import {
  ImageError,
  loadImage,
  type Pose3DEstimator,
  type ResultModelInfo,
  stringifyJson,
} from '@metrabs/runtime/node';
import { type Job, type Queue, UnrecoverableError, Worker } from 'bullmq';
import { cores } from '../config.js';
import { ApiError } from '../errors.js';
import { estimateDocument, openEstimators } from '../estimate.js';
import { EstimatorPool } from '../pool.js';
import { type PosePlan, planPoses } from '../request-options.js';
import { isFinished, resultPath, writeAtomic } from './output.js';
import {
  type BatchJobData,
  type BatchJobResult,
  connectRedis,
  DEFAULT_QUEUE,
  type ImageJobData,
  openQueue,
  UNFINISHED,
} from './queue.js';
import { processVideoChunk } from './video.js';
import { readSubmitted } from './worker-input.js';

export interface BatchWorkerOptions {
  /** redis:// URL. */
  redis: string;
  queue?: string;
  /** Jobs at once (each with its own estimator). */
  concurrency?: number;
  model?: string;
  detector?: string;
  /** ONNX Runtime threads per session (default: the cores shared among the estimators). */
  threads?: number;
  /** How long a job's lock lasts without renewal; a dead worker's job is retried after it. */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock lapsed. */
  stalledIntervalMs?: number;
  /** Times a job may lapse before it fails for good. */
  maxStalledCount?: number;
  /** Estimators opened by the caller (one per concurrent job), instead of `model`/`detector`. */
  opened?: { estimators: Pose3DEstimator[]; model: ResultModelInfo & { dir: string } };
  /** Stop once nothing is waiting or running in the queue. */
  untilEmpty?: boolean;
  /** One line a job and a connection event. */
  log?: (line: string) => void;
}

export interface BatchWorkerStats {
  completed: number;
  failed: number;
  /** Jobs whose result was already written by an earlier attempt. */
  reused: number;
}

export interface BatchWorker {
  /** The model the results are made with. */
  readonly model: ResultModelInfo & { dir: string };
  stats(): BatchWorkerStats;
  /** Resolves when the worker has stopped (after `close`, or when the queue ran empty). */
  readonly stopped: Promise<void>;
  /** Stops taking jobs and waits for the running ones (`force`: abandon them to other workers). */
  close(force?: boolean): Promise<void>;
}

export const WORKER_DEFAULTS = {
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
} as const;

/** A reason without the job's label in front (for lines that start with the label). */
export function withoutLabel(reason: string, label: string): string {
  return reason.startsWith(`${label}: `) ? reason.slice(label.length + 2) : reason;
}

/** Errors of the input or its options: retrying cannot help. */
function unrecoverable(label: string, error: unknown): never {
  if (error instanceof ApiError || error instanceof ImageError) {
    // The image is decoded from bytes: its name in the runtime's message is "(N-byte buffer)".
    const text = error.message.replace(/^cannot decode image [^:]*: /, 'cannot decode: ');
    const message = text.startsWith(label) ? text : `${label}: ${text}`;
    throw new UnrecoverableError(message);
  }
  throw error;
}

function planFor(data: BatchJobData, skeletons: string[]): PosePlan {
  try {
    return planPoses(data.options, skeletons);
  } catch (e) {
    return unrecoverable(data.label, e);
  }
}

async function processImage(
  data: ImageJobData,
  plan: PosePlan,
  pool: EstimatorPool<Pose3DEstimator>,
  model: ResultModelInfo,
  target: string,
): Promise<number> {
  const bytes = readSubmitted(data);
  const image = await loadImage(bytes).catch((e) => unrecoverable(data.label, e));
  const doc = await pool
    .run((estimator) => estimateDocument(estimator, image, plan, data.label, model))
    .catch((e) => unrecoverable(data.label, e));
  writeAtomic(target, `${stringifyJson(doc)}\n`);
  return doc.people;
}

/** Starts a worker; it runs until `close` (or until the queue is empty with `untilEmpty`). */
export async function runWorker(options: BatchWorkerOptions): Promise<BatchWorker> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 1;
  const threads = options.threads ?? Math.max(1, Math.floor(cores() / concurrency));
  // The model first: a missing model or detector fails before any job is taken.
  const { estimators, model } =
    options.opened ??
    (await openEstimators({
      model: options.model,
      detector: options.detector,
      count: concurrency,
      threads,
    }));
  if (estimators.length !== concurrency) {
    throw new RangeError(
      `runWorker: ${estimators.length} estimators for concurrency ${concurrency}`,
    );
  }
  const pool = new EstimatorPool(estimators, concurrency);
  const skeletons = pool.availableSkeletons();
  const redis = await connectRedis(options.redis, { persistent: true, onEvent: log });
  const stats: BatchWorkerStats = { completed: 0, failed: 0, reused: 0 };

  const processor = async (job: Job<BatchJobData, BatchJobResult>): Promise<BatchJobResult> => {
    const data = job.data;
    const started = performance.now();
    log(`${data.label}: started (job ${job.id}, attempt ${job.attemptsMade + 1})`);
    const plan = planFor(data, skeletons);
    const target = resultPath(data);
    if (isFinished(target, { settings: plan.settings, skeleton: data.options.skeleton ?? '' })) {
      log(`${data.label}: already done by an earlier attempt → ${target}`);
      return { path: target, people: 0, reused: true };
    }
    const people =
      data.kind === 'image'
        ? await processImage(data, plan, pool, model, target)
        : await processVideoChunk(data, plan, pool, model, target, async (done) => {
            // Progress is for watching: a lost connection must not fail the chunk.
            await job.updateProgress(Math.round((100 * done) / data.count)).catch(() => {});
            // Long chunks say how far they are, in the log as in `batch status`.
            if (done % 50 === 0 && done < data.count) {
              log(
                `${data.label}: frame ${data.first + done} of ${data.first}–${data.first + data.count - 1}`,
              );
            }
          });
    const seconds = (performance.now() - started) / 1000;
    log(
      `${data.label}: ${people} ${people === 1 ? 'person' : 'people'}, ${seconds.toFixed(1)} s → ${target}`,
    );
    return { path: target, people, reused: false };
  };

  const worker = new Worker<BatchJobData, BatchJobResult>(
    options.queue ?? DEFAULT_QUEUE,
    processor,
    {
      connection: redis,
      concurrency,
      lockDuration: options.lockDurationMs ?? WORKER_DEFAULTS.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? WORKER_DEFAULTS.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? WORKER_DEFAULTS.maxStalledCount,
      autorun: false,
    },
  );
  let lastError = '';
  worker.on('error', (e) => {
    // Connection trouble repeats every retry: say it once until something else happens.
    if (e.message !== lastError) log(`queue error: ${e.message}`);
    lastError = e.message;
  });
  worker.on('completed', (_job, result) => {
    lastError = '';
    stats.completed++;
    if (result.reused) stats.reused++;
  });
  worker.on('failed', (job, error) => {
    lastError = '';
    if (!job) return;
    const final =
      error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) stats.failed++;
    log(
      `${job.data.label}: ${final ? 'failed' : 'will be retried'}: ${withoutLabel(error.message, job.data.label)}`,
    );
  });

  // With `untilEmpty`, a queue handle to count what is left.
  const queue = options.untilEmpty ? openQueue(redis, options.queue) : undefined;
  let closing: Promise<void> | undefined;
  let poll: NodeJS.Timeout | undefined;
  const close = (force = false): Promise<void> => {
    closing ??= (async () => {
      if (poll) clearInterval(poll);
      await worker.close(force);
      await queue?.close();
      await pool.close();
      await redis.quit().catch(() => redis.disconnect());
    })();
    return closing;
  };
  const running = worker.run().catch((e: Error) => log(`worker stopped: ${e.message}`));
  if (queue) {
    poll = setInterval(() => {
      void isEmpty(queue).then((empty) => {
        if (empty) void close();
      });
    }, 500);
  }
  return {
    model,
    stats: () => ({ ...stats }),
    stopped: running.then(() => closing),
    close,
  };
}

/** Nothing waiting, delayed or running (errors, e.g. Redis down, count as not empty). */
async function isEmpty(queue: Queue): Promise<boolean> {
  try {
    const counts = await queue.getJobCounts(...UNFINISHED);
    return Object.values(counts).every((n) => n === 0);
  } catch {
    return false;
  }
}
