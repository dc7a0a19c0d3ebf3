/**
 * The options a request (or a batch job) may give — the same as `metrabs detect`'s — as a JSON
 * Schema built from the runtime's ranges (so the HTTP validation, the OpenAPI document and the
 * runtime agree), and their conversion into the estimator's `PoseOptions` and the settings
 * record of the result document. Pure.
 */
import {
  type CameraFile,
  CameraFileError,
  type OptionRange,
  POSE_OPTION_RANGES,
  type PoseOptions,
  PoseOptionsError,
  parseCameraJson,
  resolvePoseOptions,
  settingsRecord,
} from '@metrabs/runtime';
import { ApiError } from './errors.js';

/** What a client sends (camelCase, like the CLI's long options). */
export interface RequestOptions {
  numAug?: number;
  antialias?: number;
  skeleton?: string;
  fov?: number;
  detectorThreshold?: number;
  maxDetections?: number;
  detectorFlipAug?: boolean;
  suppressImplausible?: boolean;
  /** A camera file's contents (docs/cli.md): intrinsic_matrix, distortion_coeffs, … */
  camera?: unknown;
}

function numberSchema(range: OptionRange, description: string) {
  return {
    type: range.integer ? 'integer' : 'number',
    description,
    ...(range.minExclusive ? { exclusiveMinimum: range.min } : { minimum: range.min }),
    ...(range.max === Number.MAX_SAFE_INTEGER
      ? {}
      : range.maxExclusive
        ? { exclusiveMaximum: range.max }
        : { maximum: range.max }),
  };
}

const R = POSE_OPTION_RANGES;

/** The scalar options as JSON Schema properties (query string and the `options` JSON). */
export const OPTION_PROPERTIES = {
  numAug: numberSchema(R.numAug, 'test-time augmentations per person (default 5; 1 is fastest)'),
  antialias: numberSchema(R.antialiasFactor, 'supersampling factor of the crops (default 1)'),
  skeleton: {
    type: 'string',
    maxLength: 64,
    description: "output joint set, e.g. coco_19, h36m_17, smpl_24 (default: the model's own)",
  },
  fov: numberSchema(
    R.defaultFovDegrees,
    'field of view (degrees) along the longer image side when no camera is given (default 55)',
  ),
  detectorThreshold: numberSchema(R.detectorThreshold, 'minimum detector score (default 0.3)'),
  maxDetections: {
    type: 'integer',
    minimum: -1,
    description: 'at most this many people, best first (default -1: all)',
  },
  detectorFlipAug: { type: 'boolean', description: 'also detect on the mirrored image' },
  suppressImplausible: {
    type: 'boolean',
    description: 'drop implausible poses and duplicates (default true)',
  },
} as const;

/** The query string of the pose routes: the options, `camera` as JSON text. */
export const QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...OPTION_PROPERTIES,
    camera: {
      type: 'string',
      maxLength: 4096,
      description:
        'camera file as JSON text: {"intrinsic_matrix": 3×3, "distortion_coeffs", "extrinsic_matrix" (4×4, mm), "world_up"}',
    },
  },
} as const;

/** The `options` field of a multipart request, or a batch job's options: a JSON object. */
export const OPTIONS_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...OPTION_PROPERTIES,
    camera: { type: 'object', description: 'camera file contents (see the query parameter)' },
  },
} as const;

/** Parses JSON text a client sent (`what` names it in the error). */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('bad-options', `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A parsed camera, with its problems as `bad-camera` errors. */
export function parseCamera(json: unknown): CameraFile {
  try {
    return parseCameraJson(json, 'camera');
  } catch (e) {
    if (e instanceof CameraFileError) throw new ApiError('bad-camera', e.message);
    throw e;
  }
}

/** What the estimator needs for one image, and what the result document records. */
export interface PosePlan {
  options: PoseOptions;
  settings: Record<string, unknown>;
  /** World→camera matrix when poses are in world coordinates. */
  extrinsicMatrix?: number[][];
}

/**
 * Turns validated request options into `PoseOptions` (throws `ApiError`: `unknown-skeleton`,
 * `bad-options`, `bad-camera`). `skeletons` are the ones the model can output.
 */
export function planPoses(request: RequestOptions, skeletons: readonly string[]): PosePlan {
  const skeleton = request.skeleton ?? '';
  if (skeleton !== '' && !skeletons.includes(skeleton)) {
    throw new ApiError(
      'unknown-skeleton',
      `unknown skeleton "${skeleton}" for this model; available: ${skeletons.join(', ')}`,
    );
  }
  if (request.fov !== undefined && request.camera !== undefined) {
    throw new ApiError('bad-options', 'give either fov or camera, not both');
  }
  const camera = request.camera === undefined ? undefined : parseCamera(request.camera);
  const o: PoseOptions = { skeleton };
  if (request.fov !== undefined) o.defaultFovDegrees = request.fov;
  if (request.numAug !== undefined) o.numAug = request.numAug;
  if (request.antialias !== undefined) o.antialiasFactor = request.antialias;
  if (request.detectorThreshold !== undefined) o.detectorThreshold = request.detectorThreshold;
  if (request.maxDetections !== undefined) o.maxDetections = request.maxDetections;
  if (request.detectorFlipAug !== undefined) o.detectorFlipAug = request.detectorFlipAug;
  if (request.suppressImplausible !== undefined)
    o.suppressImplausiblePoses = request.suppressImplausible;
  if (camera) {
    o.intrinsicMatrix = camera.intrinsicMatrix;
    if (camera.distortionCoeffs) o.distortionCoeffs = camera.distortionCoeffs;
    if (camera.extrinsicMatrix) o.extrinsicMatrix = camera.extrinsicMatrix;
    if (camera.worldUpVector) o.worldUpVector = camera.worldUpVector;
  }
  let resolved: ReturnType<typeof resolvePoseOptions>;
  try {
    resolved = resolvePoseOptions(o);
  } catch (e) {
    if (e instanceof PoseOptionsError) throw new ApiError('bad-options', e.message);
    throw e;
  }
  const settings = settingsRecord(
    resolved,
    camera ? { intrinsicMatrix: camera.intrinsicMatrix } : undefined,
  );
  return {
    options: o,
    settings,
    ...(camera?.extrinsicMatrix ? { extrinsicMatrix: camera.extrinsicMatrix } : {}),
  };
}
