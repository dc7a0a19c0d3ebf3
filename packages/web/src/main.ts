/**
 * The page: inputs (image, video file, camera), settings, the inference worker, the 2D
 * overlay, the 3D view, messages and the JSON download. Results are also exposed as
 * `window.__metrabs` for tests and scripts.
 */
import type { PoseOptions, PoseResult } from '../../runtime/src/index.js';
import {
  type AppConfig,
  DEFAULT_MODEL_URL,
  intrinsicMatrix,
  parseConfig,
  TOY_MODEL_URL,
} from './config.js';
import { detectorHelp } from './detector-info.js';
import { drawOverlay, personColor } from './draw2d.js';
import type {
  FrameTiming,
  ModelInfo,
  ReadyMessage,
  WorkerMessage,
  WorkerRequest,
} from './protocol.js';
import { distanceM, posesOf, resultDocument } from './result.js';
import { PoseView3D } from './view3d.js';

type SourceKind = 'image' | 'video' | 'camera';

interface FrameOutcome {
  result: PoseResult;
  width: number;
  height: number;
  timing: FrameTiming;
  /** Page-side milliseconds from grabbing the frame to the result. */
  totalMs: number;
}

interface BenchmarkResult {
  n: number;
  fps: number;
  meanMs: number;
  medianMs: number;
  /** Means over the frames of the worker's timings (ms). */
  worker: FrameTiming;
}

interface PageApi {
  state: 'loading' | 'ready' | 'error';
  ready: ReadyMessage | undefined;
  lastResult: PoseResult | undefined;
  lastDocument: unknown;
  lastTiming: FrameOutcome['timing'] | undefined;
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

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page element #${id} is missing`);
  return element as T;
};

const ui = {
  status: $<HTMLDivElement>('status'),
  toyBanner: $<HTMLDivElement>('toy-banner'),
  messages: $<HTMLDivElement>('messages'),
  fileInput: $<HTMLInputElement>('file-input'),
  cameraSelect: $<HTMLSelectElement>('camera-select'),
  cameraButton: $<HTMLButtonElement>('camera-button'),
  skeleton: $<HTMLSelectElement>('skeleton-select'),
  numAug: $<HTMLInputElement>('num-aug'),
  fov: $<HTMLInputElement>('fov'),
  fx: $<HTMLInputElement>('fx'),
  fy: $<HTMLInputElement>('fy'),
  cx: $<HTMLInputElement>('cx'),
  cy: $<HTMLInputElement>('cy'),
  threshold: $<HTMLInputElement>('threshold'),
  suppress: $<HTMLInputElement>('suppress'),
  stats: $<HTMLDivElement>('stats'),
  people: $<HTMLOListElement>('people'),
  download: $<HTMLButtonElement>('download-button'),
  modelUrl: $<HTMLInputElement>('model-url'),
  detectorUrl: $<HTMLInputElement>('detector-url'),
  backend: $<HTMLSelectElement>('backend-select'),
  load: $<HTMLButtonElement>('load-button'),
  clearCache: $<HTMLButtonElement>('clear-cache-button'),
  progress: $<HTMLDivElement>('progress'),
  progressText: $<HTMLDivElement>('progress-text'),
  progressBar: $<HTMLProgressElement>('progress-bar'),
  modelInfo: $<HTMLParagraphElement>('model-info'),
  view2d: $<HTMLDivElement>('view2d'),
  dropHint: $<HTMLDivElement>('drop-hint'),
  video: $<HTMLVideoElement>('video'),
  overlay: $<HTMLCanvasElement>('overlay'),
  view3d: $<HTMLDivElement>('view3d'),
  resetView: $<HTMLButtonElement>('reset-view'),
};

// ---------------------------------------------------------------- messages

const shownMessages = new Map<string, HTMLDivElement>();

/** Shows (or replaces, by key) a message; errors stay until closed or replaced. */
function showMessage(kind: 'error' | 'warn' | 'info', title: string, lines: string[], key = title) {
  shownMessages.get(key)?.remove();
  const box = document.createElement('div');
  box.className = `message ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.dataset['key'] = key;
  const strong = document.createElement('strong');
  strong.textContent = title;
  box.appendChild(strong);
  if (lines.length > 0) box.appendChild(document.createTextNode(lines.join('\n')));
  const close = document.createElement('button');
  close.className = 'close';
  close.type = 'button';
  close.textContent = '×';
  close.title = 'Dismiss';
  close.addEventListener('click', () => {
    box.remove();
    shownMessages.delete(key);
  });
  box.appendChild(close);
  ui.messages.appendChild(box);
  shownMessages.set(key, box);
}

function clearMessage(key: string): void {
  shownMessages.get(key)?.remove();
  shownMessages.delete(key);
}

// ---------------------------------------------------------------- state

const { config, problems } = parseConfig(location.search);
for (const problem of problems) showMessage('warn', 'Ignored URL parameter', [problem], problem);

let ready: ReadyMessage | undefined;
let sourceKind: SourceKind | undefined;
let sourceName = '';
/** The still image being shown (image inputs only). */
let stillImage: ImageBitmap | undefined;
let cameraStream: MediaStream | undefined;
let videoUrl: string | undefined;
let busy = false;
/** Frame the 3D view on the first result of a new source. */
let viewNeedsReset = true;
/** A paused video was seeked: process the frame shown. */
let pendingSeek = false;
let nextId = 1;
let lastOutcome: FrameOutcome | undefined;
let lastResultTime = 0;
let fpsEma = 0;
/** Documents of the video/camera frames since the source started (for the download). */
let frameDocuments: unknown[] = [];
const MAX_FRAME_DOCUMENTS = 20_000;

const pending = new Map<
  number,
  { resolve: (o: FrameOutcome) => void; reject: (e: Error) => void; start: number }
>();
const resultWaiters: { resolve: (r: PoseResult) => void; reject: (e: Error) => void }[] = [];

const api: PageApi = {
  state: 'loading',
  ready: undefined,
  lastResult: undefined,
  lastDocument: undefined,
  lastTiming: undefined,
  framesProcessed: 0,
  fps: 0,
  messages: () =>
    [...ui.messages.querySelectorAll<HTMLDivElement>('.message')].map((m) => ({
      kind: m.classList.contains('error')
        ? 'error'
        : m.classList.contains('warn')
          ? 'warn'
          : 'info',
      text: (m.textContent ?? '').replace(/×$/, ''),
    })),
  benchmark,
  nextResult: () => new Promise((resolve, reject) => resultWaiters.push({ resolve, reject })),
};
window.__metrabs = api;

// ---------------------------------------------------------------- 3D view

let view3d: PoseView3D | undefined;
try {
  view3d = new PoseView3D(ui.view3d);
} catch (error) {
  showMessage('warn', 'No 3D view', [
    `WebGL is not available in this browser (${(error as Error).message}); 2D results still work.`,
  ]);
}
ui.resetView.addEventListener('click', () => view3d?.resetView());

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onerror = (event) => {
  setStatus('error', 'worker failed');
  showMessage('error', 'The inference worker failed', [event.message || 'unknown error']);
};

function send(request: WorkerRequest, transfer: Transferable[] = []): void {
  worker.postMessage(request, transfer);
}

function setStatus(kind: 'loading' | 'ready' | 'error', text: string): void {
  ui.status.textContent = text;
  ui.status.className = `badge ${kind === 'loading' ? '' : kind}`;
  api.state = kind;
}

const STAGE_NAMES = { runtime: 'ONNX Runtime', model: 'model', detector: 'person detector' };

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const m = event.data;
  switch (m.type) {
    case 'progress': {
      ui.progress.hidden = false;
      const total = m.total > 0 ? ` / ${mb(m.total)} MB` : ' MB';
      ui.progressText.textContent = `Loading ${STAGE_NAMES[m.stage]}${m.fromCache ? ' (cached)' : ''}: ${mb(m.loaded)}${total}`;
      if (m.total > 0) ui.progressBar.value = m.loaded / m.total;
      else ui.progressBar.removeAttribute('value');
      break;
    }
    case 'ready':
      onReady(m);
      break;
    case 'load-error':
      onLoadError(m.stage, m.reason, m.message);
      break;
    case 'result': {
      const p = pending.get(m.id);
      pending.delete(m.id);
      const outcome: FrameOutcome = {
        result: m.result,
        width: m.width,
        height: m.height,
        timing: m.timing,
        totalMs: p ? performance.now() - p.start : Number.NaN,
      };
      p?.resolve(outcome);
      for (const w of resultWaiters.splice(0)) w.resolve(m.result);
      break;
    }
    case 'frame-error': {
      const p = pending.get(m.id);
      pending.delete(m.id);
      const error = new Error(m.message);
      p?.reject(error);
      for (const w of resultWaiters.splice(0)) w.reject(error);
      break;
    }
    case 'cache-cleared':
      showMessage('info', 'Cache cleared', [`${m.entries} cached file(s) removed.`], 'cache');
      break;
  }
};

function onReady(m: ReadyMessage): void {
  ready = m;
  api.ready = m;
  ui.progress.hidden = true;
  clearMessage('load');
  const backend =
    m.backend === 'webgpu'
      ? 'WebGPU'
      : `WASM · ${m.threads} thread${m.threads === 1 ? '' : 's'}${m.crossOriginIsolated ? '' : ' (not cross-origin isolated)'}`;
  setStatus('ready', backend);
  if (m.backendNote && ui.backend.value !== 'wasm') {
    showMessage('info', 'Using WebAssembly', [m.backendNote], 'backend');
  }
  const model = m.model;
  ui.toyBanner.hidden = !model.toy;
  ui.modelInfo.textContent = `${model.url} — ${model.backbone}, ${model.numJoints} joints (${model.skeleton}), crop ${model.cropSide} px; loaded in ${(m.loadMs / 1000).toFixed(1)} s.`;
  fillSkeletons(model);
  if (config.suppressImplausible === undefined) ui.suppress.checked = !model.toy;
  ui.load.disabled = false;
  rerun();
}

function onLoadError(stage: keyof typeof STAGE_NAMES, reason: string, message: string): void {
  ready = undefined;
  api.ready = undefined;
  ui.progress.hidden = true;
  ui.load.disabled = false;
  setStatus('error', `${STAGE_NAMES[stage]} not loaded`);
  if (stage === 'detector' && reason !== 'other') {
    showMessage(
      'error',
      reason === 'missing' ? 'Person detector missing' : 'Wrong person detector file',
      [message, '', ...detectorHelp(ui.detectorUrl.value)],
      'load',
    );
  } else if (stage === 'model') {
    showMessage(
      'error',
      'The model failed to load',
      [
        message,
        '',
        'Check the model package URL (a folder with metrabs.json and model.onnx, docs/model-package.md) and press Load.',
      ],
      'load',
    );
  } else {
    showMessage('error', `The ${STAGE_NAMES[stage]} failed to load`, [message], 'load');
  }
  for (const [, p] of pending) p.reject(new Error(message));
  pending.clear();
  busy = false;
}

function fillSkeletons(model: ModelInfo): void {
  const wanted = ui.skeleton.value || config.skeleton;
  ui.skeleton.replaceChildren();
  const own = document.createElement('option');
  own.value = '';
  own.textContent = `model's own (${model.skeleton})`;
  ui.skeleton.appendChild(own);
  for (const name of model.skeletons) {
    if (name === model.skeleton) continue;
    const option = document.createElement('option');
    option.value = name;
    option.textContent = name;
    ui.skeleton.appendChild(option);
  }
  if (wanted && model.skeletons.includes(wanted)) ui.skeleton.value = wanted;
  else if (wanted && wanted !== model.skeleton) {
    showMessage('warn', 'Unknown skeleton', [
      `"${wanted}" is not available for this model; using the model's own.`,
    ]);
  }
}

function absolute(url: string): string {
  return new URL(url, location.href).href;
}

async function defaultModelUrl(): Promise<string> {
  try {
    // GET, not HEAD: some static hosts refuse HEAD. The descriptor is small.
    const response = await fetch(new URL('metrabs.json', absolute(DEFAULT_MODEL_URL)), {
      cache: 'no-cache',
    });
    const type = response.headers.get('Content-Type') ?? '';
    if (response.ok && !/html/i.test(type)) return DEFAULT_MODEL_URL;
  } catch {
    // fall through
  }
  return TOY_MODEL_URL;
}

function loadModel(): void {
  const modelUrl = ui.modelUrl.value.trim();
  const detectorUrl = ui.detectorUrl.value.trim();
  if (!modelUrl || !detectorUrl) {
    showMessage('error', 'Missing URL', ['Give both the model package URL and the detector URL.']);
    return;
  }
  ready = undefined;
  api.ready = undefined;
  ui.load.disabled = true;
  setStatus('loading', 'loading model…');
  ui.progress.hidden = false;
  ui.progressText.textContent = 'Starting…';
  let modelAbs: string;
  let detectorAbs: string;
  try {
    modelAbs = absolute(modelUrl);
    detectorAbs = absolute(detectorUrl);
  } catch (error) {
    onLoadError('model', 'invalid', `not a valid URL: ${(error as Error).message}`);
    return;
  }
  send({
    type: 'load',
    modelUrl: modelAbs,
    detectorUrl: detectorAbs,
    ortBase: absolute(config.ortBase.endsWith('/') ? config.ortBase : `${config.ortBase}/`),
    backend: ui.backend.value as AppConfig['backend'],
    threads: config.threads,
    useCache: config.useCache,
  });
}

// ---------------------------------------------------------------- settings

function numberInput(input: HTMLInputElement, name: string, check: (v: number) => boolean) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new Error(`${name}: "${raw}" is not valid`);
  }
  return value;
}

/** The pose options from the controls; throws with a readable message on bad values. */
function poseOptions(): PoseOptions {
  const o: PoseOptions = {
    skeleton: ui.skeleton.value,
    numAug: numberInput(ui.numAug, 'numAug', (v) => Number.isInteger(v) && v >= 1 && v <= 20) ?? 5,
    detectorThreshold:
      numberInput(ui.threshold, 'detector threshold', (v) => v >= 0 && v <= 1) ?? 0.3,
    suppressImplausiblePoses: ui.suppress.checked,
    defaultFovDegrees: numberInput(ui.fov, 'field of view', (v) => v > 1 && v < 179) ?? 55,
  };
  const k = [ui.fx, ui.fy, ui.cx, ui.cy].map((input, i) =>
    numberInput(input, ['fx', 'fy', 'cx', 'cy'][i]!, (v) => (i < 2 ? v > 0 : true)),
  );
  const given = k.filter((v) => v !== undefined).length;
  if (given === 4) {
    o.intrinsicMatrix = intrinsicMatrix(k as [number, number, number, number]);
  } else if (given > 0) {
    throw new Error('intrinsics: give all four of fx, fy, cx, cy (or none)');
  }
  return o;
}

function settingsRecord(o: PoseOptions): Record<string, unknown> {
  return {
    numAug: o.numAug,
    detectorThreshold: o.detectorThreshold,
    suppressImplausiblePoses: o.suppressImplausiblePoses,
    camera: o.intrinsicMatrix
      ? { intrinsicMatrix: o.intrinsicMatrix }
      : { defaultFovDegrees: o.defaultFovDegrees },
    backend: ready?.backend,
  };
}

function initControls(): void {
  ui.numAug.value = String(config.numAug);
  ui.fov.value = String(config.fovDegrees);
  ui.threshold.value = String(config.detectorThreshold);
  if (config.intrinsics) {
    [ui.fx, ui.fy, ui.cx, ui.cy].forEach((input, i) => {
      input.value = String(config.intrinsics![i]);
    });
  }
  ui.suppress.checked = config.suppressImplausible ?? true;
  ui.backend.value = config.backend;
  ui.detectorUrl.value = config.detectorUrl;
  for (const input of [
    ui.skeleton,
    ui.numAug,
    ui.fov,
    ui.fx,
    ui.fy,
    ui.cx,
    ui.cy,
    ui.threshold,
    ui.suppress,
  ]) {
    input.addEventListener('change', () => {
      if (sourceKind === 'video' || sourceKind === 'camera') frameDocuments = [];
      rerun();
    });
  }
  ui.load.addEventListener('click', () => {
    const params = new URLSearchParams(location.search);
    params.set('model', ui.modelUrl.value.trim());
    params.set('detector', ui.detectorUrl.value.trim());
    params.set('backend', ui.backend.value);
    history.replaceState(null, '', `?${params}`);
    loadModel();
  });
  ui.clearCache.addEventListener('click', () => send({ type: 'clear-cache' }));
  ui.download.addEventListener('click', download);
}

// ---------------------------------------------------------------- frames

/** Sends one frame to the worker; resolves with its result. Owns (transfers) `bitmap`. */
function processFrame(bitmap: ImageBitmap, options: PoseOptions): Promise<FrameOutcome> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, start: performance.now() });
    send({ type: 'frame', id, bitmap, options }, [bitmap]);
  });
}

function currentOptions(): PoseOptions | undefined {
  try {
    const o = poseOptions();
    clearMessage('settings');
    return o;
  } catch (error) {
    showMessage('error', 'Invalid setting', [(error as Error).message], 'settings');
    return undefined;
  }
}

/** Runs the current still image again (settings changed, model loaded). */
function rerun(): void {
  if (sourceKind === 'image' && stillImage && ready && !busy) void runStill();
  if ((sourceKind === 'video' || sourceKind === 'camera') && ready) pump();
}

async function runStill(): Promise<void> {
  const options = currentOptions();
  if (!stillImage || !ready || !options) return;
  busy = true;
  const image = stillImage;
  try {
    const copy = await createImageBitmap(image);
    const outcome = await processFrame(copy, options);
    if (stillImage === image) show(outcome, image, options);
  } catch (error) {
    showMessage('error', 'Processing failed', [(error as Error).message], 'frame');
  } finally {
    busy = false;
  }
}

function show(outcome: FrameOutcome, background: CanvasImageSource | undefined, o: PoseOptions) {
  clearMessage('frame');
  const { result, width, height } = outcome;
  drawOverlay(ui.overlay, width, height, result, background);
  view3d?.update(result, width, height);
  if (viewNeedsReset && result.poses3d.length > 0) {
    view3d?.resetView();
    viewNeedsReset = false;
  }
  lastOutcome = outcome;
  const now = performance.now();
  if (sourceKind !== 'image' && lastResultTime > 0) {
    const fps = 1000 / Math.max(1, now - lastResultTime);
    fpsEma = fpsEma === 0 ? fps : 0.8 * fpsEma + 0.2 * fps;
  }
  lastResultTime = now;
  const time = sourceKind === 'image' ? undefined : ui.video.currentTime;
  const doc = resultDocument(result, {
    image: sourceName,
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
    settings: settingsRecord(o),
    ...(time === undefined ? {} : { time }),
  });
  if (sourceKind !== 'image' && frameDocuments.length < MAX_FRAME_DOCUMENTS) {
    frameDocuments.push(doc);
  }
  api.lastResult = result;
  api.lastDocument = doc;
  api.lastTiming = outcome.timing;
  api.framesProcessed += 1;
  api.fps = fpsEma;
  ui.download.disabled = false;
  const { poses3d } = posesOf(result);
  const rate =
    sourceKind === 'image'
      ? `${outcome.totalMs.toFixed(0)} ms per image`
      : `${fpsEma.toFixed(1)} frames/s`;
  ui.stats.textContent = `${poses3d.length} ${poses3d.length === 1 ? 'person' : 'people'} · ${rate} (pipeline ${outcome.timing.poseMs.toFixed(0)} ms: detector ${outcome.timing.detectorMs.toFixed(0)}, network ${outcome.timing.networkMs.toFixed(0)})`;
  ui.people.replaceChildren(
    ...poses3d.map((pose, i) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = personColor(i);
      li.append(swatch, `${distanceM(pose).toFixed(2)} m from the camera`);
      return li;
    }),
  );
}

/** Video and camera: keep one frame in flight while the video plays. */
function pump(): void {
  if (busy || !ready) return;
  if (sourceKind !== 'video' && sourceKind !== 'camera') return;
  const video = ui.video;
  if (video.readyState < 2 || video.videoWidth === 0) return;
  if (sourceKind === 'video' && video.paused && lastOutcome && !pendingSeek) return;
  pendingSeek = false;
  const options = currentOptions();
  if (!options) return;
  busy = true;
  const kind = sourceKind;
  void (async () => {
    try {
      const bitmap = await createImageBitmap(video);
      const outcome = await processFrame(bitmap, options);
      if (sourceKind === kind) show(outcome, undefined, options);
    } catch (error) {
      showMessage('error', 'Processing failed', [(error as Error).message], 'frame');
    } finally {
      busy = false;
      if (sourceKind === kind && (kind === 'camera' || !video.paused)) {
        requestAnimationFrame(pump);
      }
    }
  })();
}

// ---------------------------------------------------------------- sources

function stopSources(): void {
  if (cameraStream) {
    for (const track of cameraStream.getTracks()) track.stop();
    cameraStream = undefined;
  }
  ui.cameraButton.textContent = 'Start camera';
  ui.video.pause();
  ui.video.removeAttribute('src');
  ui.video.srcObject = null;
  ui.video.hidden = true;
  if (videoUrl) URL.revokeObjectURL(videoUrl);
  videoUrl = undefined;
  stillImage?.close();
  stillImage = undefined;
  frameDocuments = [];
  lastResultTime = 0;
  fpsEma = 0;
  lastOutcome = undefined;
  viewNeedsReset = true;
}

function describeFile(file: File): string {
  return `“${file.name}” (${file.type || 'unknown type'}, ${file.size.toLocaleString('en-US')} bytes)`;
}

async function openFile(file: File): Promise<void> {
  clearMessage('input');
  if (file.type.startsWith('video/')) {
    openVideo(file);
    return;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
      imageOrientation: 'from-image',
    });
  } catch {
    if (!file.type.startsWith('image/') && ui.video.canPlayType(file.type || 'x/none') !== '') {
      openVideo(file);
      return;
    }
    showMessage(
      'error',
      'Not an image or video',
      [
        `${describeFile(file)} cannot be decoded by this browser. Open a JPEG, PNG, WebP or AVIF image, or a video (MP4, WebM).`,
      ],
      'input',
    );
    return;
  }
  stopSources();
  sourceKind = 'image';
  sourceName = file.name;
  stillImage = bitmap;
  ui.dropHint.hidden = true;
  drawOverlay(ui.overlay, bitmap.width, bitmap.height, undefined, bitmap);
  view3d?.update(undefined, bitmap.width, bitmap.height);
  if (!ready) {
    showMessage(
      'info',
      'Waiting for the model',
      ['The image is processed once the model has loaded.'],
      'frame',
    );
    return;
  }
  await runStill();
}

function openVideo(file: File): void {
  stopSources();
  sourceKind = 'video';
  sourceName = file.name;
  videoUrl = URL.createObjectURL(file);
  const video = ui.video;
  video.hidden = false;
  video.controls = true;
  video.loop = true;
  video.srcObject = null;
  video.src = videoUrl;
  ui.dropHint.hidden = true;
  drawOverlay(ui.overlay, 1, 1, undefined);
  video.onerror = () => {
    if (sourceKind !== 'video') return;
    const code = video.error?.code ?? 0;
    showMessage(
      'error',
      'Cannot play this video',
      [
        `${describeFile(file)}: the browser cannot decode it (media error ${code}${video.error?.message ? `: ${video.error.message}` : ''}). Try MP4 (H.264) or WebM.`,
      ],
      'input',
    );
    stopSources();
    sourceKind = undefined;
    ui.dropHint.hidden = false;
  };
  video.onplay = () => pump();
  video.onseeked = () => {
    pendingSeek = true;
    pump();
  };
  video.onloadeddata = () => {
    pump();
    void video.play().catch(() => {
      // Autoplay refused: the user presses play.
    });
  };
}

async function listCameras(): Promise<void> {
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

async function startCamera(): Promise<void> {
  clearMessage('input');
  if (!navigator.mediaDevices?.getUserMedia) {
    showMessage(
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
    const name = (error as DOMException).name;
    const why =
      name === 'NotAllowedError' || name === 'SecurityError'
        ? 'Camera permission was denied. Allow the camera for this site in the browser (the icon in the address bar) and press Start camera again. Images and videos still work.'
        : name === 'NotFoundError' || name === 'OverconstrainedError'
          ? 'No camera was found (or the chosen one is unplugged).'
          : name === 'NotReadableError'
            ? 'The camera is in use by another application.'
            : `The camera could not be started: ${(error as Error).message}`;
    showMessage('error', 'Camera unavailable', [why], 'input');
    return;
  }
  stopSources();
  cameraStream = stream;
  sourceKind = 'camera';
  sourceName = stream.getVideoTracks()[0]?.label || 'camera';
  ui.cameraButton.textContent = 'Stop camera';
  const video = ui.video;
  video.hidden = false;
  video.controls = false;
  video.srcObject = stream;
  ui.dropHint.hidden = true;
  drawOverlay(ui.overlay, 1, 1, undefined);
  video.onplay = () => pump();
  video.onloadeddata = () => pump();
  video.onseeked = null;
  video.onerror = null;
  await video.play().catch(() => undefined);
  await listCameras();
  pump();
}

function initInputs(): void {
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files?.[0];
    ui.fileInput.value = '';
    if (file) void openFile(file);
  });
  ui.cameraButton.addEventListener('click', () => {
    if (sourceKind === 'camera') {
      stopSources();
      sourceKind = undefined;
      ui.dropHint.hidden = false;
      drawOverlay(ui.overlay, 1, 1, undefined);
    } else {
      void startCamera();
    }
  });
  ui.cameraSelect.addEventListener('change', () => {
    if (sourceKind === 'camera') void startCamera();
  });
  ui.cameraSelect.addEventListener('focus', () => void listCameras(), { once: true });
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
    if (file) void openFile(file);
  });
}

// ---------------------------------------------------------------- output

function download(): void {
  let body: unknown;
  let name: string;
  const base = sourceName.replace(/\.[^.]*$/, '') || 'metrabs';
  if (sourceKind === 'image') {
    body = api.lastDocument;
    name = `${base}.json`;
  } else {
    body = { source: sourceName, frames: frameDocuments };
    name = `${base}.frames.json`;
  }
  const blob = new Blob([JSON.stringify(body)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function benchmark(n: number) {
  if (!stillImage) throw new Error('open an image first');
  if (!ready) throw new Error('the model is not loaded');
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  const options = poseOptions();
  const times: number[] = [];
  const worker: FrameTiming = { readMs: 0, poseMs: 0, detectorMs: 0, networkMs: 0 };
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const { timing } = await processFrame(await createImageBitmap(stillImage), options);
    times.push(performance.now() - t);
    for (const key of Object.keys(worker) as (keyof FrameTiming)[]) worker[key] += timing[key] / n;
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

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  initControls();
  initInputs();
  ui.modelUrl.value = config.modelUrl ?? (await defaultModelUrl());
  if (!globalThis.crossOriginIsolated) {
    showMessage(
      'info',
      'Single-threaded',
      [
        'This page is not cross-origin isolated (the server does not send the COOP/COEP headers, docs/web.md), so WebAssembly runs on one thread.',
      ],
      'isolation',
    );
  }
  loadModel();
}

void start();
