/**
 * `metrabs batch submit`: one job per image, or per chunk of frames of a video, with ids made
 * from the content and the options (queue.ts), so submitting again adds only what is neither
 * finished in the output folder nor already in the queue. Options are checked here, before
 * anything is queued, with the same rules the workers and the HTTP service use.
 */
import { resolve } from 'node:path';
import { listSkeletons } from '@metrabs/core';
import { ApiError } from '../errors.js';
import { type PosePlan, planPoses, type RequestOptions } from '../request-options.js';
import { collectInputs } from './inputs.js';
import { isFinished, resultPath } from './output.js';
import { type BatchJobData, connectRedis, DEFAULT_QUEUE, jobId, openQueue } from './queue.js';
import { countVideoFrames } from './video.js';

export interface SubmitOptions {
  redis: string;
  queue?: string;
  /** Output folder (absolute or relative to the current one); workers must see the same path. */
  out: string;
  options: RequestOptions;
  /** Frames a video job covers (default 100). */
  chunkFrames?: number;
  /** Put failed jobs of this batch back in the queue (default: leave them failed). */
  retryFailed?: boolean;
  /** Attempts a job gets for errors that may pass (a lost connection); default 3. */
  attempts?: number;
  /** ffmpeg executable, to count a video's frames. */
  ffmpeg?: string;
}

/** Options a batch cannot run with; `camera` when the camera file is the problem. */
export class BatchOptionsError extends Error {
  constructor(
    readonly camera: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'BatchOptionsError';
  }
}

export interface SubmitReport {
  /** Jobs the inputs make. */
  jobs: number;
  /** Newly queued. */
  queued: number;
  /** Their result is already in the output folder. */
  done: number;
  /** Already in the queue (waiting, running, or finished while its result is still there). */
  inQueue: number;
  /** Failed earlier and left failed (see `retryFailed`). */
  failed: number;
  /** Failed earlier and queued again. */
  retried: number;
  /** Inputs: images and videos. */
  images: number;
  videos: number;
}

export const DEFAULT_CHUNK_FRAMES = 100;

/** Builds the jobs of `paths` and queues what is not done; throws for unusable inputs or options. */
export async function submitBatch(
  paths: readonly string[],
  options: SubmitOptions,
): Promise<SubmitReport> {
  const out = resolve(options.out);
  // Every known joint set passes here; a worker whose model lacks one fails those jobs.
  let plan: PosePlan;
  try {
    plan = planPoses(options.options, listSkeletons());
  } catch (e) {
    if (e instanceof ApiError) throw new BatchOptionsError(e.code === 'bad-camera', e.message);
    throw e;
  }
  const fingerprint = { settings: plan.settings, skeleton: options.options.skeleton ?? '' };
  const inputs = await collectInputs(paths);
  const chunk = options.chunkFrames ?? DEFAULT_CHUNK_FRAMES;
  const jobs: BatchJobData[] = [];
  for (const input of inputs) {
    const base = {
      input: input.path,
      label: input.label,
      sha256: input.sha256,
      out,
      stem: input.stem,
      options: options.options,
    };
    if (input.kind === 'image') {
      jobs.push({ kind: 'image', ...base });
      continue;
    }
    const frames = await countVideoFrames(input.path, input.label, options.ffmpeg);
    for (let first = 0; first < frames; first += chunk) {
      jobs.push({ kind: 'video', ...base, first, count: Math.min(chunk, frames - first) });
    }
  }
  const report: SubmitReport = {
    jobs: jobs.length,
    queued: 0,
    done: 0,
    inQueue: 0,
    failed: 0,
    retried: 0,
    images: inputs.filter((i) => i.kind === 'image').length,
    videos: inputs.filter((i) => i.kind === 'video').length,
  };
  const redis = await connectRedis(options.redis);
  const queue = openQueue(redis, options.queue ?? DEFAULT_QUEUE);
  try {
    const fresh: { name: string; data: BatchJobData; opts: object }[] = [];
    for (const data of jobs) {
      const id = jobId(data);
      if (isFinished(resultPath(data), fingerprint)) {
        report.done++;
        continue;
      }
      const state = await queue.getJobState(id);
      if (state === 'failed') {
        if (!options.retryFailed) {
          report.failed++;
          continue;
        }
        await (await queue.getJob(id))?.retry('failed');
        report.retried++;
        continue;
      }
      if (state === 'completed') {
        // Done once, but its result is gone (deleted or moved): run it again.
        await queue.remove(id);
      } else if (state !== 'unknown') {
        report.inQueue++;
        continue;
      }
      fresh.push({
        name: data.kind,
        data,
        opts: {
          jobId: id,
          attempts: options.attempts ?? 3,
          backoff: { type: 'exponential', delay: 1000 },
        },
      });
    }
    for (let i = 0; i < fresh.length; i += 500) {
      await queue.addBulk(fresh.slice(i, i + 500));
    }
    report.queued = fresh.length;
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
  return report;
}
