/**
 * Showing results: the 2D overlay, the 3D view, the frame rate and timings, the people list,
 * `window.__metrabs`'s latest result, and the downloads: JSON (one document for a photo, every
 * frame's for a video or the camera) and, for videos and the camera, each track's motion as
 * BVH or glTF (the runtime's recorder and writers, the same as `metrabs video --bvh/--gltf`).
 */
import {
  createVideoTracker,
  type PoseOptions,
  type PoseResult,
  type PoseTracker,
  type RecordingInfo,
  TrackRecorder,
  writeBvh,
  writeGltf,
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
    | 'overlay'
    | 'view3d'
    | 'resetView'
    | 'video'
    | 'stats'
    | 'people'
    | 'download'
    | 'downloadBvh'
    | 'downloadGltf'
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
  /** The tracks' filtered poses since the tracker (re)started, for the motion downloads. */
  private readonly recorder = new TrackRecorder();
  /** Recorded frames and the video times of the first and last (for the frame time). */
  private recorded = { frames: 0, firstTime: 0, lastTime: 0 };
  /** What the motion files need besides the poses, from the latest tracked result. */
  private recordingInfo: Omit<RecordingInfo, 'frameTimeS'> | undefined;

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
    this.ui.downloadBvh.addEventListener('click', () => void this.downloadMotion('bvh'));
    this.ui.downloadGltf.addEventListener('click', () => void this.downloadMotion('gltf'));
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
    this.restartRecording();
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

  /** The tracks start afresh (new source, seek, settings): so does the motion recording. */
  private restartRecording(): void {
    this.recorder.clear();
    this.recorded = { frames: 0, firstTime: 0, lastTime: 0 };
    this.ui.downloadBvh.disabled = true;
    this.ui.downloadGltf.disabled = true;
  }

  /** Recorded video/camera frames used the old settings: the download starts afresh. */
  settingsChanged(): void {
    if (this.source.kind === 'video' || this.source.kind === 'camera') {
      this.frameDocuments = [];
      this.tracker = undefined;
      this.restartRecording();
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
      ...(this.trackIds === undefined ? {} : { trackIds: this.trackIds }),
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
    if (!(time > this.lastTrackTime && time - this.lastTrackTime < 1)) {
      this.tracker = undefined;
      this.restartRecording();
    }
    if (!this.tracker) {
      this.tracker = createVideoTracker({
        edges: result.edges,
        intrinsicMatrix: result.intrinsicMatrix,
        ...(o.distortionCoeffs ? { distortionCoeffs: o.distortionCoeffs } : {}),
        ...(o.extrinsicMatrix ? { extrinsicMatrix: o.extrinsicMatrix } : {}),
      });
      // Fixed while the tracker lives: a settings change or a seek restarts both.
      this.recordingInfo = {
        jointNames: result.jointNames,
        edges: result.edges,
        // Poses are in world coordinates when the settings give extrinsics, else camera ones.
        world: o.extrinsicMatrix !== undefined,
      };
    }
    this.lastTrackTime = time;
    const frame = this.tracker.update(posesOfResult(result), time);
    this.trackIds = frame.trackIds;
    this.record(frame.trackIds, frame.poses3d, time);
    return { ...result, poses3d: frame.poses3d, poses2d: frame.poses2d };
  }

  private record(ids: number[], poses: number[][][], time: number): void {
    const r = this.recorded;
    if (r.frames === 0) r.firstTime = time;
    r.lastTime = time;
    this.recorder.add(r.frames++, ids, poses);
    const none = this.recorder.exportable().length === 0;
    this.ui.downloadBvh.disabled = none;
    this.ui.downloadGltf.disabled = none;
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

  /**
   * Each track seen in enough frames as a BVH or binary glTF file. The page processes frames
   * as fast as it can, so the frame time is the recording's mean: video seconds between its
   * first and last frame over the frames between them.
   */
  private async motionFiles(
    kind: 'bvh' | 'gltf',
  ): Promise<{ name: string; data: string | Uint8Array }[]> {
    const r = this.recorded;
    if (!this.recordingInfo || r.frames < 2 || !(r.lastTime > r.firstTime)) return [];
    const info = { ...this.recordingInfo, frameTimeS: (r.lastTime - r.firstTime) / (r.frames - 1) };
    const base = this.source.name.replace(/\.[^.]*$/, '') || 'metrabs';
    const files: { name: string; data: string | Uint8Array }[] = [];
    for (const id of this.recorder.exportable()) {
      const motion = this.recorder.motion(id, info);
      if (motion === undefined) continue;
      files.push(
        kind === 'bvh'
          ? { name: `${base}.track${id}.bvh`, data: writeBvh(motion) }
          : { name: `${base}.track${id}.glb`, data: await writeGltf(motion, `track ${id}`) },
      );
    }
    return files;
  }

  private async downloadMotion(kind: 'bvh' | 'gltf'): Promise<void> {
    try {
      const files = await this.motionFiles(kind);
      for (const f of files) {
        const type = kind === 'bvh' ? 'text/plain' : 'model/gltf-binary';
        saveBlob(new Blob([f.data as BlobPart], { type }), f.name);
      }
    } catch (error) {
      this.messages.show('error', 'Motion export failed', [(error as Error).message]);
    }
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
    saveBlob(new Blob([JSON.stringify(body)], { type: 'application/json' }), name);
  }
}

function saveBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  // Revoking at once could cancel the download before the browser has read the blob.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
