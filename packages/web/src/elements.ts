/** The page's elements (index.html), looked up once by id so a missing one fails at start-up. */

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page element #${id} is missing`);
  return element as T;
}

export function pageElements() {
  return {
    status: byId<HTMLDivElement>('status'),
    toyBanner: byId<HTMLDivElement>('toy-banner'),
    messages: byId<HTMLDivElement>('messages'),
    fileInput: byId<HTMLInputElement>('file-input'),
    cameraSelect: byId<HTMLSelectElement>('camera-select'),
    cameraButton: byId<HTMLButtonElement>('camera-button'),
    skeleton: byId<HTMLSelectElement>('skeleton-select'),
    numAug: byId<HTMLInputElement>('num-aug'),
    fov: byId<HTMLInputElement>('fov'),
    fx: byId<HTMLInputElement>('fx'),
    fy: byId<HTMLInputElement>('fy'),
    cx: byId<HTMLInputElement>('cx'),
    cy: byId<HTMLInputElement>('cy'),
    threshold: byId<HTMLInputElement>('threshold'),
    suppress: byId<HTMLInputElement>('suppress'),
    stats: byId<HTMLDivElement>('stats'),
    people: byId<HTMLOListElement>('people'),
    download: byId<HTMLButtonElement>('download-button'),
    downloadBvh: byId<HTMLButtonElement>('download-bvh-button'),
    downloadGltf: byId<HTMLButtonElement>('download-gltf-button'),
    modelUrl: byId<HTMLInputElement>('model-url'),
    detectorUrl: byId<HTMLInputElement>('detector-url'),
    backend: byId<HTMLSelectElement>('backend-select'),
    load: byId<HTMLButtonElement>('load-button'),
    clearCache: byId<HTMLButtonElement>('clear-cache-button'),
    progress: byId<HTMLDivElement>('progress'),
    progressText: byId<HTMLDivElement>('progress-text'),
    progressBar: byId<HTMLProgressElement>('progress-bar'),
    modelInfo: byId<HTMLParagraphElement>('model-info'),
    view2d: byId<HTMLDivElement>('view2d'),
    dropHint: byId<HTMLDivElement>('drop-hint'),
    video: byId<HTMLVideoElement>('video'),
    overlay: byId<HTMLCanvasElement>('overlay'),
    view3d: byId<HTMLDivElement>('view3d'),
    resetView: byId<HTMLButtonElement>('reset-view'),
  };
}

export type PageElements = ReturnType<typeof pageElements>;
