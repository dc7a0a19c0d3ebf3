/**
 * Loading the model and the detector into the worker: the model panel (URLs, backend, Load,
 * Clear cache), the progress bar, the status badge, and messages that say how to fix a
 * failed load.
 */
import { type AppConfig, DEFAULT_MODEL_URL, TOY_MODEL_URL } from './config.js';
import { detectorHelp } from './detector-info.js';
import type { PageElements } from './elements.js';
import type { MessageBoard } from './messages.js';
import type { PageApi } from './page-api.js';
import type { LoadStage, ReadyMessage } from './protocol.js';
import type { LoadEvent, WorkerClient } from './worker-client.js';

export interface ModelLoaderDeps {
  ui: Pick<
    PageElements,
    | 'status'
    | 'toyBanner'
    | 'modelUrl'
    | 'detectorUrl'
    | 'backend'
    | 'load'
    | 'clearCache'
    | 'progress'
    | 'progressText'
    | 'progressBar'
    | 'modelInfo'
  >;
  config: AppConfig;
  messages: MessageBoard;
  api: PageApi;
  worker: WorkerClient;
  /** The model is ready (also after a reload): the settings and the current input follow. */
  loaded(ready: ReadyMessage): void;
  /** The load failed; the frames in flight were rejected. */
  failed(): void;
}

const STAGE_NAMES: Record<LoadStage, string> = {
  runtime: 'ONNX Runtime',
  model: 'model',
  detector: 'person detector',
};

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function absolute(url: string): string {
  return new URL(url, location.href).href;
}

/** models/default when the site has it (it is optional, docs/web.md), else the toy model. */
async function defaultModelUrl(): Promise<string> {
  try {
    // GET, not HEAD: some static hosts refuse HEAD. The descriptor is small.
    const response = await fetch(new URL('metrabs.json', absolute(DEFAULT_MODEL_URL)), {
      cache: 'no-cache',
    });
    // Single-page hosts answer a missing file with index.html and 200.
    const type = response.headers.get('Content-Type') ?? '';
    if (response.ok && !/html/i.test(type)) return DEFAULT_MODEL_URL;
  } catch {
    // fall through
  }
  return TOY_MODEL_URL;
}

export class ModelLoader {
  private readonly ui: ModelLoaderDeps['ui'];
  private readonly config: AppConfig;
  private readonly messages: MessageBoard;
  private readonly api: PageApi;
  private readonly worker: WorkerClient;
  private readonly events: Pick<ModelLoaderDeps, 'loaded' | 'failed'>;
  private current: ReadyMessage | undefined;

  constructor(deps: ModelLoaderDeps) {
    this.ui = deps.ui;
    this.config = deps.config;
    this.messages = deps.messages;
    this.api = deps.api;
    this.worker = deps.worker;
    this.events = deps;
  }

  /** The loaded model, undefined while loading or after a failure. */
  get ready(): ReadyMessage | undefined {
    return this.current;
  }

  /** Fills the model panel from the URL and loads the model it names. */
  async start(): Promise<void> {
    const { ui, config } = this;
    ui.backend.value = config.backend;
    ui.detectorUrl.value = config.detectorUrl;
    ui.load.addEventListener('click', () => {
      // The URL then reloads the same model.
      const params = new URLSearchParams(location.search);
      params.set('model', ui.modelUrl.value.trim());
      params.set('detector', ui.detectorUrl.value.trim());
      params.set('backend', ui.backend.value);
      history.replaceState(null, '', `?${params}`);
      this.load();
    });
    ui.clearCache.addEventListener('click', () => this.worker.send({ type: 'clear-cache' }));
    ui.modelUrl.value = config.modelUrl ?? (await defaultModelUrl());
    if (!globalThis.crossOriginIsolated) {
      this.messages.show(
        'info',
        'Single-threaded',
        [
          'This page is not cross-origin isolated (the server does not send the COOP/COEP headers, docs/web.md), so WebAssembly runs on one thread.',
        ],
        'isolation',
      );
    }
    this.load();
  }

  /** Loads the model and detector named in the panel. */
  load(): void {
    const { ui, config } = this;
    const modelUrl = ui.modelUrl.value.trim();
    const detectorUrl = ui.detectorUrl.value.trim();
    if (!modelUrl || !detectorUrl) {
      this.messages.show('error', 'Missing URL', [
        'Give both the model package URL and the detector URL.',
      ]);
      return;
    }
    this.setReady(undefined);
    ui.load.disabled = true;
    this.setStatus('loading', 'loading model…');
    ui.progress.hidden = false;
    ui.progressText.textContent = 'Starting…';
    let modelAbs: string;
    let detectorAbs: string;
    try {
      modelAbs = absolute(modelUrl);
      detectorAbs = absolute(detectorUrl);
    } catch (error) {
      this.loadFailed('model', 'invalid', `not a valid URL: ${(error as Error).message}`);
      return;
    }
    this.worker.send({
      type: 'load',
      modelUrl: modelAbs,
      detectorUrl: detectorAbs,
      ortBase: absolute(config.ortBase.endsWith('/') ? config.ortBase : `${config.ortBase}/`),
      backend: ui.backend.value as AppConfig['backend'],
      threads: config.threads,
      useCache: config.useCache,
    });
  }

  /** The worker's news about loading and the cache. */
  handle(m: LoadEvent): void {
    switch (m.type) {
      case 'progress':
        this.showProgress(m.stage, m.loaded, m.total, m.fromCache);
        break;
      case 'ready':
        this.loaded(m);
        break;
      case 'load-error':
        this.loadFailed(m.stage, m.reason, m.message);
        break;
      case 'cache-cleared':
        this.messages.show(
          'info',
          'Cache cleared',
          [`${m.entries} cached file(s) removed.`],
          'cache',
        );
        break;
    }
  }

  crashed(message: string): void {
    this.setStatus('error', 'worker failed');
    this.messages.show('error', 'The inference worker failed', [message]);
  }

  private showProgress(stage: LoadStage, loaded: number, total: number, fromCache: boolean) {
    const { ui } = this;
    ui.progress.hidden = false;
    const ofTotal = total > 0 ? ` / ${mb(total)} MB` : ' MB';
    ui.progressText.textContent = `Loading ${STAGE_NAMES[stage]}${fromCache ? ' (cached)' : ''}: ${mb(loaded)}${ofTotal}`;
    // Without a total the bar shows "busy" instead of a fraction.
    if (total > 0) ui.progressBar.value = loaded / total;
    else ui.progressBar.removeAttribute('value');
  }

  private loaded(m: ReadyMessage): void {
    const { ui } = this;
    this.setReady(m);
    ui.progress.hidden = true;
    this.messages.clear('load');
    const backend =
      m.backend === 'webgpu'
        ? 'WebGPU'
        : `WASM · ${m.threads} thread${m.threads === 1 ? '' : 's'}${m.crossOriginIsolated ? '' : ' (not cross-origin isolated)'}`;
    this.setStatus('ready', backend);
    if (m.backendNote && ui.backend.value !== 'wasm') {
      this.messages.show('info', 'Using WebAssembly', [m.backendNote], 'backend');
    }
    const model = m.model;
    ui.toyBanner.hidden = !model.toy;
    ui.modelInfo.textContent = `${model.url} — ${model.backbone}, ${model.numJoints} joints (${model.skeleton}), crop ${model.cropSide} px; loaded in ${(m.loadMs / 1000).toFixed(1)} s.`;
    ui.load.disabled = false;
    this.events.loaded(m);
  }

  private loadFailed(stage: LoadStage, reason: string, message: string): void {
    const { ui } = this;
    this.setReady(undefined);
    ui.progress.hidden = true;
    ui.load.disabled = false;
    this.setStatus('error', `${STAGE_NAMES[stage]} not loaded`);
    if (stage === 'detector' && reason !== 'other') {
      this.messages.show(
        'error',
        reason === 'missing' ? 'Person detector missing' : 'Wrong person detector file',
        [message, '', ...detectorHelp(ui.detectorUrl.value)],
        'load',
      );
    } else if (stage === 'model') {
      this.messages.show(
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
      this.messages.show('error', `The ${STAGE_NAMES[stage]} failed to load`, [message], 'load');
    }
    this.worker.failPending(message);
    this.events.failed();
  }

  private setReady(ready: ReadyMessage | undefined): void {
    this.current = ready;
    this.api.ready = ready;
  }

  private setStatus(kind: PageApi['state'], text: string): void {
    this.ui.status.textContent = text;
    this.ui.status.className = `badge ${kind === 'loading' ? '' : kind}`;
    this.api.state = kind;
  }
}
