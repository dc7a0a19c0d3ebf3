/**
 * The inference worker (worker.ts) seen from the page: starts it, sends requests, and pairs
 * each frame with its result. Loading news goes to the model loader.
 */
import type { PoseOptions, PoseResult } from '@metrabs/runtime';
import type { FrameTiming, WorkerMessage, WorkerRequest } from './protocol.js';

export interface FrameOutcome {
  result: PoseResult;
  width: number;
  height: number;
  timing: FrameTiming;
  /** Page-side milliseconds from grabbing the frame to the result. */
  totalMs: number;
}

/** Everything the worker says that is not the answer to a frame. */
export type LoadEvent = Exclude<WorkerMessage, { type: 'result' } | { type: 'frame-error' }>;

export interface WorkerEvents {
  loadEvent(message: LoadEvent): void;
  /** The worker itself broke (failed to start, uncaught error). */
  crashed(message: string): void;
}

interface PendingFrame {
  resolve: (outcome: FrameOutcome) => void;
  reject: (error: Error) => void;
  start: number;
}

export class WorkerClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, PendingFrame>();
  private readonly resultWaiters: {
    resolve: (r: PoseResult) => void;
    reject: (e: Error) => void;
  }[] = [];

  constructor(events: WorkerEvents) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onerror = (event) => events.crashed(event.message || 'unknown error');
    this.worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const m = event.data;
      if (m.type === 'result') {
        const p = this.take(m.id);
        p?.resolve({
          result: m.result,
          width: m.width,
          height: m.height,
          timing: m.timing,
          totalMs: p ? performance.now() - p.start : Number.NaN,
        });
        for (const w of this.resultWaiters.splice(0)) w.resolve(m.result);
      } else if (m.type === 'frame-error') {
        const error = new Error(m.message);
        this.take(m.id)?.reject(error);
        for (const w of this.resultWaiters.splice(0)) w.reject(error);
      } else {
        events.loadEvent(m);
      }
    };
  }

  send(request: WorkerRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  /** Sends one frame to the worker; resolves with its result. Owns (transfers) `bitmap`. */
  processFrame(bitmap: ImageBitmap, options: PoseOptions): Promise<FrameOutcome> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, start: performance.now() });
      this.send({ type: 'frame', id, bitmap, options }, [bitmap]);
    });
  }

  /** The next result of any frame (rejects on the next frame error). */
  nextResult(): Promise<PoseResult> {
    return new Promise((resolve, reject) => this.resultWaiters.push({ resolve, reject }));
  }

  /** Rejects the frames in flight: a failed load means no answer will come for them. */
  failPending(message: string): void {
    for (const [, p] of this.pending) p.reject(new Error(message));
    this.pending.clear();
  }

  private take(id: number): PendingFrame | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }
}
