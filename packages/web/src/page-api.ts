/**
 * `window.__metrabs`: the page's state and results for tests and scripts (docs/web.md).
 * The modules that own each part keep it up to date.
 */
import type { PoseResult } from '@metrabs/runtime';
import type { FrameTiming, ReadyMessage } from './protocol.js';

export interface BenchmarkResult {
  n: number;
  fps: number;
  meanMs: number;
  medianMs: number;
  /** Means over the frames of the worker's timings (ms). */
  worker: FrameTiming;
}

export interface PageApi {
  state: 'loading' | 'ready' | 'error';
  ready: ReadyMessage | undefined;
  lastResult: PoseResult | undefined;
  lastDocument: unknown;
  lastTiming: FrameTiming | undefined;
  framesProcessed: number;
  fps: number;
  messages(): { kind: string; text: string }[];
  /** Runs the current still image `n` times back to back; frames/s over the whole loop. */
  benchmark(n: number): Promise<BenchmarkResult>;
  /** Promise of the next result (or frame error). */
  nextResult(): Promise<PoseResult>;
}

declare global {
  interface Window {
    __metrabs: PageApi;
  }
}
