/**
 * Showing results: the 2D overlay, the 3D view, the frame rate and timings, the people list,
 * `window.__metrabs`'s latest result, and the JSON download (one document for a photo, every
 * frame's for a video or the camera).
 */
import {
  createVideoTracker,
  type PoseOptions,
  type PoseResult,
  type PoseTracker,
} from '@metrabs/runtime';
import { drawOverlay, personColor } from './draw2d.js';
import type { PageElements } from './elements.js';
import type { CurrentSource } from './inputs.js';
import type { MessageBoard } from './messages.js';
import type { PageApi } from './page-api.js';
import type { ReadyMessage } from './protocol.js';
import { distanceM, peopleSummary, posesOf, resultDocument } from './result.js';

const posesOfResult = (result: PoseResult) => ({ ...posesOf(result), boxes: result.boxes });

import { settingsRecord } from './settings.js';
import { PoseView3D } from './view3d.js';
import type { FrameOutcome } from './worker-client.js';

/** Caps the memory a long video or camera session takes for its download. */
const MAX_FRAME_DOCUMENTS = 20_000;

export interface ResultsViewDeps {
  ui: Pick<
    PageElements,
    'overlay' | 'view3d' | 'resetView' | 'video' | 'stats' | 'people' | 'download'
  >;
  messages: MessageBoard;
  api: PageApi;
  source: CurrentSource;
  /** The loaded model, described in each document. */
  model: { readonly ready: ReadyMessage | undefined };
}

export class ResultsView {
  private readonly ui: ResultsViewDeps['ui'];
  private readonly messages: MessageBoard;
  private readonly api: PageApi;
  private readonly source: CurrentSource;
  private readonly model: ResultsViewDeps['model'];
  /** Undefined without WebGL: the 2D results still work. */
  private readonly view3d: PoseView3D | undefined;
  /** Frame the 3D view on the first result of a new source. */
  private viewNeedsReset = true;
  private shownResult = false;
  private lastResultTime = 0;
  private fpsEma = 0;
  /** Documents of the video/camera frames since the source started (for the download). */
  private frameDocuments: unknown[] = [];
  /** Video and camera: the runtime's tracker (ids and filtered poses), the same as `metrabs video`'s. */
  private tracker: PoseTracker | undefined;
  /** Track id per person of the result shown (video and camera). */
  private trackIds: number[] | undefined;
  /** Video time of the last tracked frame: a seek (backwards, or over a second ahead) restarts the tracks. */
  private lastTrackTime = Number.NaN;

  constructor(deps: ResultsViewDeps) {
    this.ui = deps.ui;
    this.messages = deps.messages;
    this.api = deps.api;
    this.source = deps.source;
    this.model = deps.model;
    let view3d: PoseView3D | undefined;
    try {
      view3d = new PoseView3D(this.ui.view3d);
    } catch (error) {
      this.messages.show('warn', 'No 3D view', [
        `WebGL is not available in this browser (${(error as Error).message}); 2D results still work.`,
      ]);
    }
    this.view3d = view3d;
    this.ui.resetView.addEventListener('click', () => this.view3d?.resetView());
    this.ui.download.addEventListener('click', () => this.download());
  }

  /** Whether a result of the current source has been shown. */
  get hasResult(): boolean {
    return this.shownResult;
  }

  /** A new source: forget the old one's results, frame rate and recorded frames. */
  reset(): void {
    this.frameDocuments = [];
    this.tracker = undefined;
    this.trackIds = undefined;
    this.lastResultTime = 0;
    this.fpsEma = 0;
    this.shownResult = false;
    this.viewNeedsReset = true;
    // Nothing of the old source stays on screen: picture, skeletons, 3D view, stats, people.
    this.clearOverlay();
    this.view3d?.update(undefined, 1, 1);
    this.ui.stats.textContent = '';
    this.ui.people.replaceChildren();
    this.ui.download.disabled = true;
    this.api.lastResult = undefined;
  }

  /** Recorded video/camera frames used the old settings: the download starts afresh. */
  settingsChanged(): void {
    if (this.source.kind === 'video' || this.source.kind === 'camera') {
      this.frameDocuments = [];
      this.tracker = undefined;
    }
  }

  /** A newly opened photo, before its result. */
  showPicture(image: ImageBitmap): void {
    drawOverlay(this.ui.overlay, image.width, image.height, undefined, image);
    this.view3d?.update(undefined, image.width, image.height);
  }

  /** Empties the overlay (over a video, or with no input). */
  clearOverlay(): void {
    drawOverlay(this.ui.overlay, 1, 1, undefined);
  }

  /** Shows a frame's result; `background` is the photo (undefined over a playing video). */
  show(outcome: FrameOutcome, background: CanvasImageSource | undefined, o: PoseOptions): void {
    const { ui, source } = this;
    this.messages.clear('frame');
    const { width, height } = outcome;
    const time = source.kind === 'image' ? undefined : ui.video.currentTime;
    const result = this.tracked(outcome.result, time, o);
    drawOverlay(ui.overlay, width, height, result, background, this.trackIds);
    this.view3d?.update(result, width, height, this.trackIds);
    if (this.viewNeedsReset && result.poses3d.length > 0) {
      this.view3d?.resetView();
      this.viewNeedsReset = false;
    }
    this.shownResult = true;
    this.updateFps(source.kind !== 'image');
    const ready = this.model.ready;
    const doc = resultDocument(result, {
      image: source.name,
      width,
      height,
      model: ready
        ? {
            url: ready.model.url,
            backbone: ready.model.backbone,
            skeleton: ready.model.skeleton,
            numJoints: ready.model.numJoints,
            cropSide: ready.model.cropSide,
          }
        : { url: '', backbone: '', skeleton: '', numJoints: 0, cropSide: 0 },
      settings: settingsRecord(o, ready?.backend),
      ...(time === undefined ? {} : { time }),
    });
    if (source.kind !== 'image' && this.frameDocuments.length < MAX_FRAME_DOCUMENTS) {
      this.frameDocuments.push(doc);
    }
    this.api.lastResult = result;
    this.api.lastDocument = doc;
    this.api.lastTiming = outcome.timing;
    this.api.framesProcessed += 1;
    this.api.fps = this.fpsEma;
    ui.download.disabled = false;
    this.showStats({ ...outcome, result });
  }

  /**
   * Video and camera frames go through the tracker: each person gets a track id (their colour)
   * and the track's filtered pose. A photo is shown as detected.
   */
  private tracked(result: PoseResult, time: number | undefined, o: PoseOptions): PoseResult {
    if (time === undefined) {
      this.trackIds = undefined;
      return result;
    }
    if (!(time > this.lastTrackTime && time - this.lastTrackTime < 1)) this.tracker = undefined;
    this.tracker ??= createVideoTracker({
      edges: result.edges,
      intrinsicMatrix: result.intrinsicMatrix,
      ...(o.distortionCoeffs ? { distortionCoeffs: o.distortionCoeffs } : {}),
      ...(o.extrinsicMatrix ? { extrinsicMatrix: o.extrinsicMatrix } : {}),
    });
    this.lastTrackTime = time;
    const frame = this.tracker.update(posesOfResult(result), time);
    this.trackIds = frame.trackIds;
    return { ...result, poses3d: frame.poses3d, poses2d: frame.poses2d };
  }

  /** Frames per second between results, smoothed (videos and the camera only). */
  private updateFps(live: boolean): void {
    const now = performance.now();
    if (live && this.lastResultTime > 0) {
      const fps = 1000 / Math.max(1, now - this.lastResultTime);
      this.fpsEma = this.fpsEma === 0 ? fps : 0.8 * this.fpsEma + 0.2 * fps;
    }
    this.lastResultTime = now;
  }

  /** The stats line (people, rate, pipeline timings) and the people list. */
  private showStats(outcome: FrameOutcome): void {
    const { ui } = this;
    const { poses3d } = posesOf(outcome.result);
    const rate =
      this.source.kind === 'image'
        ? `${outcome.totalMs.toFixed(0)} ms per image`
        : `${this.fpsEma.toFixed(1)} frames/s`;
    ui.stats.textContent = `${peopleSummary(outcome.result)} · ${rate} (pipeline ${outcome.timing.poseMs.toFixed(0)} ms: detector ${outcome.timing.detectorMs.toFixed(0)}, network ${outcome.timing.networkMs.toFixed(0)})`;
    ui.people.replaceChildren(
      ...poses3d.map((pose, i) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        const id = this.trackIds?.[i];
        swatch.style.background = personColor(id ?? i);
        const label = id === undefined ? '' : `#${id}: `;
        li.append(swatch, `${label}${distanceM(pose).toFixed(2)} m from the camera`);
        return li;
      }),
    );
  }

  /** Saves the photo's document, or the recorded frames of a video or the camera. */
  private download(): void {
    const { source } = this;
    let body: unknown;
    let name: string;
    const base = source.name.replace(/\.[^.]*$/, '') || 'metrabs';
    if (source.kind === 'image') {
      body = this.api.lastDocument;
      name = `${base}.json`;
    } else {
      body = { source: source.name, frames: this.frameDocuments };
      name = `${base}.frames.json`;
    }
    const blob = new Blob([JSON.stringify(body)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    // Revoking at once could cancel the download before the browser has read the blob.
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
