/**
 * Feeding frames to the worker: the photo once (again after a settings change or a model
 * load), a video or the camera continuously with one frame in flight, so the view stays live
 * and frames that arrive meanwhile are skipped. Also the benchmark behind
 * `window.__metrabs.benchmark`.
 */
import type { CurrentSource } from './inputs.js';
import type { MessageBoard } from './messages.js';
import type { BenchmarkResult } from './page-api.js';
import type { FrameTiming, ReadyMessage } from './protocol.js';
import type { ResultsView } from './results-view.js';
import type { Settings } from './settings.js';
import type { WorkerClient } from './worker-client.js';

export interface FrameLoopDeps {
  video: HTMLVideoElement;
  source: CurrentSource;
  worker: WorkerClient;
  settings: Settings;
  results: ResultsView;
  messages: MessageBoard;
  model: { readonly ready: ReadyMessage | undefined };
}

export class FrameLoop {
  private readonly video: HTMLVideoElement;
  private readonly source: CurrentSource;
  private readonly worker: WorkerClient;
  private readonly settings: Settings;
  private readonly results: ResultsView;
  private readonly messages: MessageBoard;
  private readonly model: FrameLoopDeps['model'];
  /** A frame is in flight. */
  private busy = false;
  /** A paused video was seeked: process the frame shown. */
  private pendingSeek = false;

  constructor(deps: FrameLoopDeps) {
    this.video = deps.video;
    this.source = deps.source;
    this.worker = deps.worker;
    this.settings = deps.settings;
    this.results = deps.results;
    this.messages = deps.messages;
    this.model = deps.model;
  }

  /** Runs the current input again (settings changed, model loaded). */
  rerun(): void {
    const { kind, still } = this.source;
    const ready = this.model.ready;
    if (kind === 'image' && still && ready && !this.busy) void this.runStill();
    if ((kind === 'video' || kind === 'camera') && ready) this.pump();
  }

  /** A photo was opened: process it, or say that it waits for the model. */
  async stillOpened(): Promise<void> {
    if (!this.model.ready) {
      this.messages.show(
        'info',
        'Waiting for the model',
        ['The image is processed once the model has loaded.'],
        'frame',
      );
      return;
    }
    await this.runStill();
  }

  /** A paused video was moved to another frame: process that one. */
  seeked(): void {
    this.pendingSeek = true;
    this.pump();
  }

  /** The worker dropped the frames in flight (a failed load): stop waiting for them. */
  markIdle(): void {
    this.busy = false;
  }

  /** Video and camera: sends the frame shown unless one is in flight; repeats while playing. */
  pump(): void {
    const { source, video } = this;
    if (this.busy || !this.model.ready) return;
    if (source.kind !== 'video' && source.kind !== 'camera') return;
    if (video.readyState < 2 || video.videoWidth === 0) return;
    // A paused video keeps its result until the user seeks.
    if (source.kind === 'video' && video.paused && this.results.hasResult && !this.pendingSeek) {
      return;
    }
    this.pendingSeek = false;
    const options = this.settings.readOrReport();
    if (!options) return;
    this.busy = true;
    const kind = source.kind;
    void (async () => {
      try {
        const bitmap = await this.grabFrame(video);
        // No frame: the media element's own error (the "Cannot play this video" banner) says why.
        if (bitmap === null) return;
        const outcome = await this.worker.processFrame(bitmap, options);
        // A result of a source closed meanwhile is dropped.
        if (source.kind === kind) this.results.show(outcome, undefined, options);
      } catch (error) {
        this.messages.show('error', 'Processing failed', [(error as Error).message], 'frame');
      } finally {
        this.busy = false;
        if (source.kind === kind && (kind === 'camera' || !video.paused)) {
          requestAnimationFrame(() => this.pump());
        }
      }
    })();
  }

  /**
   * The frame on screen, or null when the browser cannot give one (a truncated or undecodable
   * video); a failure the media element does not report itself gets a plain-words message.
   */
  private async grabFrame(video: HTMLVideoElement): Promise<ImageBitmap | null> {
    try {
      return await createImageBitmap(video);
    } catch {
      // The video's error event may follow the failed grab: give it a moment to arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (video.error === null && this.source.kind === 'video') {
        this.messages.show(
          'error',
          'Cannot read this video',
          [
            'The browser could not give a picture of the current frame; the file may be truncated or use an unsupported codec. Try MP4 (H.264) or WebM.',
          ],
          'frame',
        );
      }
      return null;
    }
  }

  /** Runs the current still image `n` times back to back; frames/s over the whole loop. */
  async benchmark(n: number): Promise<BenchmarkResult> {
    if (!this.source.still) throw new Error('open an image first');
    if (!this.model.ready) throw new Error('the model is not loaded');
    if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
    const options = this.settings.read();
    const times: number[] = [];
    const worker: FrameTiming = { readMs: 0, poseMs: 0, detectorMs: 0, networkMs: 0 };
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const { timing } = await this.worker.processFrame(
        await createImageBitmap(this.source.still!),
        options,
      );
      times.push(performance.now() - t);
      for (const key of Object.keys(worker) as (keyof FrameTiming)[]) {
        worker[key] += timing[key] / n;
      }
    }
    const elapsed = performance.now() - start;
    const sorted = [...times].sort((a, b) => a - b);
    return {
      n,
      fps: (n * 1000) / elapsed,
      meanMs: elapsed / n,
      medianMs: sorted[Math.floor(n / 2)]!,
      worker,
    };
  }

  private async runStill(): Promise<void> {
    const options = this.settings.readOrReport();
    const image = this.source.still;
    if (!image || !this.model.ready || !options) return;
    this.busy = true;
    try {
      // The worker takes (and closes) what it is sent; the photo stays for reruns.
      const copy = await createImageBitmap(image);
      const outcome = await this.worker.processFrame(copy, options);
      if (this.source.still === image) this.results.show(outcome, image, options);
    } catch (error) {
      this.messages.show('error', 'Processing failed', [(error as Error).message], 'frame');
    } finally {
      this.busy = false;
    }
  }
}
