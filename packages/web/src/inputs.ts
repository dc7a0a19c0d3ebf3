/**
 * The inputs: a photo or video from the file picker or dropped on the view, and the camera.
 * Opening one closes the previous one; decoding and camera failures become messages that say
 * what to do.
 */
import type { PageElements } from './elements.js';
import type { FrameLoop } from './frame-loop.js';
import type { MessageBoard } from './messages.js';
import type { ResultsView } from './results-view.js';

/** Videos at most this long (one frame, or a few) play once instead of looping. */
const MIN_LOOP_SECONDS = 0.5;

export type SourceKind = 'image' | 'video' | 'camera';

/** What is being processed: written here, read by the frame loop and the results. */
export interface CurrentSource {
  kind: SourceKind | undefined;
  /** File name or camera label (names the download). */
  name: string;
  /** The still image being shown (image inputs only). */
  still: ImageBitmap | undefined;
}

export interface InputsDeps {
  ui: Pick<
    PageElements,
    'fileInput' | 'cameraSelect' | 'cameraButton' | 'view2d' | 'dropHint' | 'video'
  >;
  messages: MessageBoard;
  source: CurrentSource;
  results: Pick<ResultsView, 'reset' | 'showPicture' | 'clearOverlay'>;
  frames: Pick<FrameLoop, 'stillOpened' | 'pump' | 'seeked'>;
}

function describeFile(file: File): string {
  return `“${file.name}” (${file.type || 'unknown type'}, ${file.size.toLocaleString('en-US')} bytes)`;
}

/** Why getUserMedia failed, in words that say what to do. */
function cameraProblem(error: unknown): string {
  const name = (error as DOMException).name;
  return name === 'NotAllowedError' || name === 'SecurityError'
    ? 'Camera permission was denied. Allow the camera for this site in the browser (the icon in the address bar) and press Start camera again. Images and videos still work.'
    : name === 'NotFoundError' || name === 'OverconstrainedError'
      ? 'No camera was found (or the chosen one is unplugged).'
      : name === 'NotReadableError'
        ? 'The camera is in use by another application.'
        : `The camera could not be started: ${(error as Error).message}`;
}

export class Inputs {
  private readonly ui: InputsDeps['ui'];
  private readonly messages: MessageBoard;
  private readonly source: CurrentSource;
  private readonly results: InputsDeps['results'];
  private readonly frames: InputsDeps['frames'];
  private cameraStream: MediaStream | undefined;
  private videoUrl: string | undefined;

  constructor(deps: InputsDeps) {
    this.ui = deps.ui;
    this.messages = deps.messages;
    this.source = deps.source;
    this.results = deps.results;
    this.frames = deps.frames;
  }

  init(): void {
    const { ui, source } = this;
    ui.fileInput.addEventListener('change', () => {
      const file = ui.fileInput.files?.[0];
      // Cleared so that choosing the same file again opens it again.
      ui.fileInput.value = '';
      if (file) void this.openFile(file);
    });
    ui.cameraButton.addEventListener('click', () => {
      if (source.kind === 'camera') {
        this.stopSources();
        source.kind = undefined;
        ui.dropHint.hidden = false;
        this.results.clearOverlay();
      } else {
        void this.startCamera();
      }
    });
    ui.cameraSelect.addEventListener('change', () => {
      if (source.kind === 'camera') void this.startCamera();
    });
    ui.cameraSelect.addEventListener('focus', () => void this.listCameras(), { once: true });
    const target = ui.view2d;
    target.addEventListener('dragover', (e) => {
      e.preventDefault();
      target.classList.add('dragging');
    });
    target.addEventListener('dragleave', () => target.classList.remove('dragging'));
    target.addEventListener('drop', (e) => {
      e.preventDefault();
      target.classList.remove('dragging');
      const file = e.dataTransfer?.files[0];
      if (file) void this.openFile(file);
    });
  }

  /** Closes the camera, the video and the photo, and forgets their results. */
  private stopSources(): void {
    const { ui } = this;
    if (this.cameraStream) {
      for (const track of this.cameraStream.getTracks()) track.stop();
      this.cameraStream = undefined;
    }
    ui.cameraButton.textContent = 'Start camera';
    ui.video.pause();
    ui.video.removeAttribute('src');
    ui.video.srcObject = null;
    ui.video.hidden = true;
    if (this.videoUrl) URL.revokeObjectURL(this.videoUrl);
    this.videoUrl = undefined;
    this.source.still?.close();
    this.source.still = undefined;
    this.results.reset();
  }

  /** A photo, else a video (by type, or when the browser cannot decode it as an image). */
  private async openFile(file: File): Promise<void> {
    const { ui, source } = this;
    this.messages.clear('input');
    if (file.type.startsWith('video/')) {
      this.openVideo(file);
      return;
    }
    let bitmap: ImageBitmap;
    try {
      // Like the CLI's decoder: EXIF orientation applied, colours left as they are.
      bitmap = await createImageBitmap(file, {
        colorSpaceConversion: 'none',
        premultiplyAlpha: 'none',
        imageOrientation: 'from-image',
      });
    } catch {
      if (!file.type.startsWith('image/') && ui.video.canPlayType(file.type || 'x/none') !== '') {
        this.openVideo(file);
        return;
      }
      // The previous photo, skeleton and stats go: what is on screen must match the input.
      this.stopSources();
      source.kind = undefined;
      ui.dropHint.hidden = false;
      this.messages.show(
        'error',
        'Not an image or video',
        [
          `${describeFile(file)} cannot be decoded by this browser. Open a JPEG, PNG, WebP or AVIF image, or a video (MP4, WebM).`,
        ],
        'input',
      );
      return;
    }
    this.stopSources();
    source.kind = 'image';
    source.name = file.name;
    source.still = bitmap;
    ui.dropHint.hidden = true;
    this.results.showPicture(bitmap);
    await this.frames.stillOpened();
  }

  private openVideo(file: File): void {
    const { ui, source } = this;
    this.stopSources();
    source.kind = 'video';
    source.name = file.name;
    this.videoUrl = URL.createObjectURL(file);
    const video = ui.video;
    video.hidden = false;
    video.controls = true;
    video.loop = true;
    video.srcObject = null;
    video.src = this.videoUrl;
    ui.dropHint.hidden = true;
    this.results.clearOverlay();
    video.onerror = () => {
      if (source.kind !== 'video') return;
      const code = video.error?.code ?? 0;
      this.messages.show(
        'error',
        'Cannot play this video',
        [
          `${describeFile(file)}: the browser cannot decode it (media error ${code}${video.error?.message ? `: ${video.error.message}` : ''}). Try MP4 (H.264) or WebM.`,
        ],
        'input',
      );
      this.stopSources();
      source.kind = undefined;
      ui.dropHint.hidden = false;
    };
    // A clip of one frame (or a few) would replay forever; only longer clips loop.
    video.onloadedmetadata = () => {
      video.loop = Number.isFinite(video.duration) && video.duration > MIN_LOOP_SECONDS;
    };
    video.onplay = () => this.frames.pump();
    video.onseeked = () => this.frames.seeked();
    video.onloadeddata = () => {
      this.frames.pump();
      void video.play().catch(() => {
        // Autoplay refused: the user presses play.
      });
    };
  }

  /** Fills the camera menu, keeping the chosen camera when it is still there. */
  private async listCameras(): Promise<void> {
    const { ui } = this;
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    const selected = ui.cameraSelect.value;
    const cameras = devices.filter((d) => d.kind === 'videoinput');
    ui.cameraSelect.replaceChildren(
      new Option('default camera', ''),
      ...cameras.map((d, i) => new Option(d.label || `camera ${i + 1}`, d.deviceId)),
    );
    if (cameras.some((d) => d.deviceId === selected)) ui.cameraSelect.value = selected;
  }

  private async startCamera(): Promise<void> {
    const { ui, source } = this;
    this.messages.clear('input');
    if (!navigator.mediaDevices?.getUserMedia) {
      this.messages.show(
        'error',
        'No camera access',
        [
          'This page cannot use a camera: browsers allow cameras only on https:// pages and on localhost.',
        ],
        'input',
      );
      return;
    }
    const deviceId = ui.cameraSelect.value;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: deviceId
          ? { deviceId: { exact: deviceId } }
          : { width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (error) {
      this.messages.show('error', 'Camera unavailable', [cameraProblem(error)], 'input');
      return;
    }
    // The old source keeps running until the camera is actually granted.
    this.stopSources();
    this.cameraStream = stream;
    source.kind = 'camera';
    source.name = stream.getVideoTracks()[0]?.label || 'camera';
    ui.cameraButton.textContent = 'Stop camera';
    const video = ui.video;
    video.hidden = false;
    video.controls = false;
    video.srcObject = stream;
    ui.dropHint.hidden = true;
    this.results.clearOverlay();
    // A clip of one frame (or a few) would replay forever; only longer clips loop.
    video.onloadedmetadata = () => {
      video.loop = Number.isFinite(video.duration) && video.duration > MIN_LOOP_SECONDS;
    };
    video.onplay = () => this.frames.pump();
    video.onloadeddata = () => this.frames.pump();
    video.onseeked = null;
    video.onerror = null;
    await video.play().catch(() => undefined);
    // With permission granted, the cameras now have names.
    await this.listCameras();
    this.frames.pump();
  }
}
