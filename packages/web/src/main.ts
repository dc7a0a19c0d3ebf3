/**
 * The page: builds its parts and wires them together. Each part is its own module: inputs
 * (photo, video, camera), settings, model loading (the worker), the frame loop and the
 * results view. Results are also exposed as `window.__metrabs` for tests and scripts.
 */
import { parseConfig } from './config.js';
import { pageElements } from './elements.js';
import { FrameLoop } from './frame-loop.js';
import { type CurrentSource, Inputs } from './inputs.js';
import { MessageBoard } from './messages.js';
import { ModelLoader } from './model-loading.js';
import type { PageApi } from './page-api.js';
import { ResultsView } from './results-view.js';
import { Settings } from './settings.js';
import { WorkerClient } from './worker-client.js';

const ui = pageElements();
const messages = new MessageBoard(ui.messages);

const { config, problems } = parseConfig(location.search);
for (const problem of problems) messages.show('warn', 'Ignored URL parameter', [problem], problem);

const source: CurrentSource = { kind: undefined, name: '', still: undefined };

// The parts below fill it in; `frames` and `worker` are only called once the page runs.
const api: PageApi = {
  state: 'loading',
  ready: undefined,
  lastResult: undefined,
  lastDocument: undefined,
  lastTiming: undefined,
  framesProcessed: 0,
  fps: 0,
  messages: () => messages.list(),
  benchmark: (n) => frames.benchmark(n),
  nextResult: () => worker.nextResult(),
};
window.__metrabs = api;

const settings = new Settings(ui, config, messages);
const worker = new WorkerClient({
  loadEvent: (m) => loader.handle(m),
  crashed: (message) => loader.crashed(message),
});
const loader = new ModelLoader({
  ui,
  config,
  messages,
  api,
  worker,
  loaded: (ready) => {
    settings.adoptModel(ready.model);
    frames.rerun();
  },
  failed: () => frames.markIdle(),
});
const results = new ResultsView({ ui, messages, api, source, model: loader });
const frames = new FrameLoop({
  video: ui.video,
  source,
  worker,
  settings,
  results,
  messages,
  model: loader,
});
const inputs = new Inputs({ ui, messages, source, results, frames });

settings.init(() => {
  results.settingsChanged();
  frames.rerun();
});
inputs.init();
void loader.start();
