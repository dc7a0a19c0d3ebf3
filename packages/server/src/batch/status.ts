/**
 * `metrabs batch status`: how far the queue (or one output folder's share of it) has got —
 * counts by state, the running jobs' progress, and each failed job with its reason.
 */
import { resolve } from 'node:path';
import type { Job } from 'bullmq';
import { type BatchJobData, connectRedis, DEFAULT_QUEUE, openQueue } from './queue.js';

export interface StatusOptions {
  redis: string;
  queue?: string;
  /** Only the jobs writing into this folder. */
  out?: string;
  /** Failed jobs listed at most (default 20). */
  maxFailures?: number;
}

export interface FailedJob {
  id: string;
  label: string;
  /** Frames of a video chunk, e.g. "frames 100–199". */
  part?: string;
  reason: string;
  attempts: number;
}

export interface BatchStatus {
  queue: string;
  out?: string;
  waiting: number;
  active: number;
  /** Waiting to be retried after an error. */
  delayed: number;
  done: number;
  failed: number;
  total: number;
  /** Running jobs: label and percent (video chunks report progress). */
  running: { id: string; label: string; progress: number }[];
  failures: FailedJob[];
}

function part(data: BatchJobData): string | undefined {
  return data.kind === 'video' ? `frames ${data.first}–${data.first + data.count - 1}` : undefined;
}

function progressOf(job: Job<BatchJobData>): number {
  return typeof job.progress === 'number' ? job.progress : 0;
}

export async function batchStatus(options: StatusOptions): Promise<BatchStatus> {
  const name = options.queue ?? DEFAULT_QUEUE;
  const redis = await connectRedis(options.redis);
  const queue = openQueue(redis, name);
  const maxFailures = options.maxFailures ?? 20;
  try {
    const out = options.out === undefined ? undefined : resolve(options.out);
    const status: BatchStatus = {
      queue: name,
      ...(out ? { out } : {}),
      waiting: 0,
      active: 0,
      delayed: 0,
      done: 0,
      failed: 0,
      total: 0,
      running: [],
      failures: [],
    };
    if (out === undefined) {
      const c = await queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'delayed',
        'completed',
        'failed',
      );
      status.waiting = (c['waiting'] ?? 0) + (c['prioritized'] ?? 0);
      status.active = c['active'] ?? 0;
      status.delayed = c['delayed'] ?? 0;
      status.done = c['completed'] ?? 0;
      status.failed = c['failed'] ?? 0;
    }
    // Running and failed jobs are listed; with `out`, every job is read to count its share.
    const types =
      out === undefined
        ? (['active', 'failed'] as const)
        : (['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const);
    for (const type of types) {
      const jobs = (await queue.getJobs([type], 0, -1, true)) as Job<BatchJobData>[];
      for (const job of jobs) {
        if (!job?.data || (out !== undefined && job.data.out !== out)) continue;
        if (out !== undefined) {
          if (type === 'active') status.active++;
          else if (type === 'delayed') status.delayed++;
          else if (type === 'completed') status.done++;
          else if (type === 'failed') status.failed++;
          else status.waiting++;
        }
        if (type === 'active') {
          status.running.push({
            id: job.id ?? '',
            label: job.data.label,
            progress: progressOf(job),
          });
        }
        if (type === 'failed' && status.failures.length < maxFailures) {
          const p = part(job.data);
          status.failures.push({
            id: job.id ?? '',
            label: job.data.label,
            ...(p ? { part: p } : {}),
            reason: job.failedReason ?? 'unknown',
            attempts: job.attemptsMade,
          });
        }
      }
    }
    status.total = status.waiting + status.active + status.delayed + status.done + status.failed;
    return status;
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
