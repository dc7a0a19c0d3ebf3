/**
 * The page's settings from its URL (`?model=…&detector=…&backend=wasm&numAug=1…`), with
 * defaults, checked so that a bad value gives a readable message instead of NaN. Pure.
 */
import { describeRange, inRange, POSE_DEFAULTS, POSE_OPTION_RANGES } from '@metrabs/runtime';
import type { Backend } from './protocol.js';

export interface AppConfig {
  /** Model package URL; undefined = models/default when the site has it, else the toy model. */
  modelUrl: string | undefined;
  detectorUrl: string;
  ortBase: string;
  backend: Backend;
  threads: number;
  useCache: boolean;
  numAug: number;
  fovDegrees: number;
  /** fx, fy, cx, cy in pixels; undefined = from the field of view. */
  intrinsics: [number, number, number, number] | undefined;
  detectorThreshold: number;
  skeleton: string;
  /** undefined = on for real models, off for the toy model. */
  suppressImplausible: boolean | undefined;
}

export const DEFAULT_MODEL_URL = './models/default/';
export const TOY_MODEL_URL = './models/model-tiny/';
export const DEFAULT_DETECTOR_URL = './models/yolox_nano.onnx';
export const DEFAULT_ORT_BASE = './ort/';

export const DEFAULTS: AppConfig = {
  modelUrl: undefined,
  detectorUrl: DEFAULT_DETECTOR_URL,
  ortBase: DEFAULT_ORT_BASE,
  backend: 'auto',
  threads: 0,
  useCache: true,
  // The pose defaults are the runtime's, as in the CLI.
  numAug: POSE_DEFAULTS.numAug,
  fovDegrees: POSE_DEFAULTS.defaultFovDegrees,
  intrinsics: undefined,
  detectorThreshold: POSE_DEFAULTS.detectorThreshold,
  skeleton: '',
  suppressImplausible: undefined,
};

function numberParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  check: (v: number) => boolean,
  rule: string,
  problems: string[],
): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    problems.push(`?${name}=${raw} ignored: must be ${rule}`);
    return fallback;
  }
  return value;
}

function boolParam(params: URLSearchParams, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  return !/^(0|false|no|off)$/i.test(raw);
}

/** Reads the query string; `problems` lists ignored values (shown to the user). */
export function parseConfig(search: string): { config: AppConfig; problems: string[] } {
  const params = new URLSearchParams(search);
  const problems: string[] = [];
  const backendRaw = params.get('backend') ?? 'auto';
  let backend: Backend = 'auto';
  if (backendRaw === 'wasm' || backendRaw === 'webgpu' || backendRaw === 'auto') {
    backend = backendRaw;
  } else {
    problems.push(`?backend=${backendRaw} ignored: must be auto, wasm or webgpu`);
  }
  let intrinsics: AppConfig['intrinsics'];
  const k = params.get('intrinsics');
  if (k) {
    const values = k.split(',').map(Number);
    if (values.length === 4 && values.every(Number.isFinite) && values[0]! > 0 && values[1]! > 0) {
      intrinsics = values as [number, number, number, number];
    } else {
      problems.push(`?intrinsics=${k} ignored: must be fx,fy,cx,cy in pixels (fx, fy > 0)`);
    }
  }
  const config: AppConfig = {
    modelUrl: params.get('model') || undefined,
    detectorUrl: params.get('detector') || DEFAULTS.detectorUrl,
    ortBase: params.get('ort') || DEFAULTS.ortBase,
    backend,
    threads: numberParam(
      params,
      'threads',
      0,
      (v) => Number.isInteger(v) && v >= 0 && v <= 64,
      'an integer 0–64',
      problems,
    ),
    useCache: boolParam(params, 'cache') ?? true,
    numAug: numberParam(
      params,
      'numAug',
      DEFAULTS.numAug,
      (v) => inRange(v, POSE_OPTION_RANGES.numAug),
      describeRange(POSE_OPTION_RANGES.numAug),
      problems,
    ),
    fovDegrees: numberParam(
      params,
      'fov',
      DEFAULTS.fovDegrees,
      (v) => inRange(v, POSE_OPTION_RANGES.defaultFovDegrees),
      `${describeRange(POSE_OPTION_RANGES.defaultFovDegrees)} (degrees)`,
      problems,
    ),
    intrinsics,
    detectorThreshold: numberParam(
      params,
      'threshold',
      DEFAULTS.detectorThreshold,
      (v) => inRange(v, POSE_OPTION_RANGES.detectorThreshold),
      describeRange(POSE_OPTION_RANGES.detectorThreshold),
      problems,
    ),
    skeleton: params.get('skeleton') ?? '',
    suppressImplausible: boolParam(params, 'suppress'),
  };
  return { config, problems };
}

/** The 3×3 intrinsic matrix from fx, fy, cx, cy. */
export function intrinsicMatrix([fx, fy, cx, cy]: readonly [number, number, number, number]) {
  return [
    [fx, 0, cx],
    [0, fy, cy],
    [0, 0, 1],
  ];
}
