/**
 * The batch queue's vocabulary: the Redis connection, the queue, what a job carries and how its
 * id is made. BullMQ does the bookkeeping (waiting, active, retries, stalled jobs); our code only
 * computes. BullMQ cannot `require` ioredis from an ES module, so we hand it a client.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RequestOptions } from '../request-options.js';

/** The queue every `metrabs batch` command and worker uses unless told otherwise. */
export const DEFAULT_QUEUE = 'metrabs-batch';

/** Bumped when the job layout changes, so old jobs never collide with new ids. */
export const JOB_FORMAT_VERSION = 1;

/** One image: its result document goes to `<out>/<stem>.json`. */
export interface ImageJobData {
  kind: 'image';
  /** Absolute path every worker reads (a shared file system). */
  input: string;
  /** The image's name in the result document (the path as submitted). */
  label: string;
  /** sha256 of the file's bytes when submitted. */
  sha256: string;
  /** Absolute output folder. */
  out: string;
  /** Output file name without extension. */
  stem: string;
  options: RequestOptions;
}

/** Frames `[first, first + count)` of a video: one result document a line in a JSONL file. */
export interface VideoChunkJobData extends Omit<ImageJobData, 'kind'> {
  kind: 'video';
  first: number;
  count: number;
}

export type BatchJobData = ImageJobData | VideoChunkJobData;

/** What a finished job returns (kept by BullMQ with the job). */
export interface BatchJobResult {
  /** The result file. */
  path: string;
  /** People found (summed over the frames of a chunk). */
  people: number;
  /** True when the file was already there from an earlier attempt: nothing was recomputed. */
  reused: boolean;
}

/** JSON with object keys sorted, so equal options give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The job id: a hash of the input's content, the options, where the result goes and (for video)
 * which frames. Submitting the same work again yields the same id, which BullMQ refuses to add
 * twice. (BullMQ ids must not contain ':'.)
 */
export function jobId(data: BatchJobData): string {
  const key = canonicalJson({
    v: JOB_FORMAT_VERSION,
    kind: data.kind,
    sha256: data.sha256,
    options: data.options,
    out: data.out,
    stem: data.stem,
    ...(data.kind === 'video' ? { first: data.first, count: data.count } : {}),
  });
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 40);
  return `${data.kind === 'image' ? 'img' : 'vid'}-${hash}`;
}

export interface ConnectOptions {
  /** Keep reconnecting forever (workers) instead of failing after a few tries (commands). */
  persistent?: boolean;
  /** Told about lost and regained connections (workers log them). */
  onEvent?: (message: string) => void;
}

/** Thrown when Redis cannot be reached by a short-lived command. */
export class RedisUnavailableError extends Error {
  constructor(url: string, reason: string) {
    super(`cannot reach Redis at ${url}: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

/** Checks a `redis://` URL (user errors get a plain message, not ioredis's). */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUnavailableError(url, 'not a URL (expected e.g. redis://127.0.0.1:6379)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUnavailableError(url, `expected a redis:// or rediss:// URL`);
  }
  return url;
}

/**
 * An ioredis client for BullMQ (`maxRetriesPerRequest: null`, as BullMQ requires). Commands
 * give up after about 2 s of failed connection attempts; persistent clients (workers) retry
 * forever with a capped delay, so a restarted Redis is picked up again.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  checkRedisUrl(url);
  let lastError = 'connection refused';
  let down = false;
  let wasReady = false;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (attempt) =>
      options.persistent ? Math.min(200 * attempt, 2000) : attempt > 4 ? null : 100 * attempt,
  });
  redis.on('error', (e: Error) => {
    lastError = e.message || (e as NodeJS.ErrnoException).code || e.name;
    // Before the first connection, the caller reports the failure; after it, we reconnect.
    if (options.persistent && wasReady && !down) {
      down = true;
      options.onEvent?.(`lost Redis at ${url} (${lastError}); reconnecting`);
    }
  });
  redis.on('ready', () => {
    if (down) options.onEvent?.(`reconnected to Redis at ${url}`);
    down = false;
    wasReady = true;
  });
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    throw new RedisUnavailableError(url, lastError);
  }
  return redis;
}

/** The job states of work not finished yet. */
export const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized'] as const;

/** The batch queue on a connection. */
export function openQueue(redis: Redis, name = DEFAULT_QUEUE): Queue<BatchJobData, BatchJobResult> {
  return new Queue<BatchJobData, BatchJobResult>(name, { connection: redis });
}
