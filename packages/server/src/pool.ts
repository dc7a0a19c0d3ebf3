/**
 * A bounded pool of estimators: each works on one image at a time (its ONNX Runtime sessions
 * use their own threads, so several estimators share the cores), at most `maxQueue` images wait
 * for one, and more are refused at once (`overloaded`) instead of piling up in memory. Waiting
 * ends early when the caller's signal aborts (`timeout`). `close` stops new work and waits for
 * what was accepted: the graceful part of shutdown.
 */
import { ApiError } from './errors.js';

/** What a pool slot holds (the runtime's `Pose3DEstimator`, or a stand-in in tests). */
export interface PoolEstimator {
  availableSkeletons(): string[];
}

interface Waiter<E> {
  start: (estimator: E) => void;
  fail: (error: Error) => void;
}

export interface PoolStats {
  /** Estimators in the pool. */
  size: number;
  /** Estimators working. */
  busy: number;
  /** Jobs waiting for an estimator. */
  waiting: number;
}

export class EstimatorPool<E extends PoolEstimator = PoolEstimator> {
  readonly maxQueue: number;
  private readonly idle: E[];
  private readonly size: number;
  private readonly queue: Waiter<E>[] = [];
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly skeletons: string[];

  constructor(estimators: E[], maxQueue: number) {
    if (estimators.length === 0) throw new Error('EstimatorPool needs at least one estimator');
    this.idle = [...estimators];
    this.size = estimators.length;
    this.skeletons = estimators[0]!.availableSkeletons();
    this.maxQueue = maxQueue;
  }

  /** Skeletons every estimator can output (they share one model). */
  availableSkeletons(): string[] {
    return [...this.skeletons];
  }

  stats(): PoolStats {
    return { size: this.size, busy: this.size - this.idle.length, waiting: this.queue.length };
  }

  /**
   * Throws `overloaded` unless `count` more jobs could start or wait now: a request of several
   * images is refused as a whole rather than half-run.
   */
  admit(count: number): void {
    const room = this.idle.length + this.maxQueue - this.queue.length;
    if (count > room) throw this.overloaded();
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.closing;
  }

  /**
   * Runs `work` on a free estimator, waiting for one if needed. Throws `ApiError`
   * `overloaded` when the queue is full, `timeout` when `signal` aborts while waiting,
   * `shutting-down` after `close`.
   */
  async run<T>(work: (estimator: E) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const estimator = await this.acquire(signal);
    try {
      return await work(estimator);
    } finally {
      this.release(estimator);
    }
  }

  private acquire(signal?: AbortSignal): Promise<E> {
    if (this.closing) {
      return Promise.reject(new ApiError('shutting-down', 'the server is shutting down'));
    }
    if (signal?.aborted) return Promise.reject(timeoutError());
    const free = this.idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(this.overloaded());
    }
    return new Promise<E>((resolve, reject) => {
      const waiter: Waiter<E> = {
        start: (e) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(timeoutError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private overloaded(): ApiError {
    return new ApiError(
      'overloaded',
      `all ${this.size} estimators are busy and ${this.queue.length} images are waiting; try again later`,
    );
  }

  private release(estimator: E): void {
    const next = this.queue.shift();
    if (next) {
      next.start(estimator);
      return;
    }
    this.idle.push(estimator);
    if (this.idle.length === this.size) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Refuses new work and resolves when everything accepted so far has finished. */
  close(): Promise<void> {
    this.closing = true;
    if (this.idle.length === this.size && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function timeoutError(): ApiError {
  return new ApiError('timeout', 'the request timed out waiting for an estimator; try again later');
}
