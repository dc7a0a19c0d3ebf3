/**
 * What `detect` and `video` share: loading the runtime lazily (so `--help` and usage errors
 * stay fast), opening the model and the detector with their errors mapped to exit code 4,
 * checking the skeleton name and turning command-line options into `PoseOptions`.
 */
import { resolve } from 'node:path';
import { GeometryError } from '@metrabs/core';
import type { CameraFile } from '@metrabs/runtime';
import { InputError, ModelError, oneLine, UsageError } from './errors.js';
import type { ModelInfo } from './format.js';

export type Runtime = typeof import('@metrabs/runtime/node');
export type Estimator = Awaited<ReturnType<Runtime['createEstimator']>>;
export type PoseOptions = import('@metrabs/runtime/node').PoseOptions;
export type RgbImage = import('@metrabs/runtime/node').RgbImage;

/** Model-related options common to both commands (commander's camelCase names). */
export interface ModelOptions {
  model?: string;
  /** Detector ONNX file; `false` = no detector (commands that bring their own boxes). */
  detector?: string | false;
  skeleton?: string;
  fov?: number;
  intrinsics?: string;
  numAug?: number;
  antialias?: number;
  detectorThreshold?: number;
  maxDetections?: number;
  threads?: number;
  detectorFlipAug?: boolean;
  /** commander's `--no-suppress-implausible`: false when given. */
  suppressImplausible?: boolean;
}

let runtime: Promise<Runtime> | undefined;

export function loadRuntime(): Promise<Runtime> {
  runtime ??= import('@metrabs/runtime/node');
  return runtime;
}

/** Creates the output folder through the runtime's one helper; a refusal is an input error. */
export async function outputFolder(path: string): Promise<string> {
  const rt = await loadRuntime();
  try {
    return rt.ensureDirectory(path);
  } catch (e) {
    if (e instanceof rt.DirectoryError) throw new InputError(e.message);
    throw e;
  }
}

/**
 * The runtime's detector errors are one line of diagnosis, a blank line, then how to install
 * the file: split them (the CLI prints the first as the error line), and replace the line
 * about the API's `path` option by `cliHint`.
 */
export function splitDetectorMessage(
  message: string,
  cliHint: string,
): { first: string; details: string } {
  const [first = '', ...rest] = message.split('\n\n');
  const details = rest
    .join('\n\n')
    .split('\n')
    .map((line) =>
      /loadYoloxDetector|resolveDetectorPath/.test(line)
        ? line.replace(/- .*/, `- ${cliHint}`)
        : line,
    )
    .join('\n');
  return { first: first.trim(), details };
}

/**
 * A failure to load the model package or the detector as the CLI reports it (exit 4): the
 * runtime's own message, and how to get a missing detector.
 */
export async function modelLoadError(e: unknown): Promise<ModelError> {
  const rt = await loadRuntime();
  const error = e as Error;
  if (error instanceof rt.DetectorNotFoundError) {
    const { first, details } = splitDetectorMessage(
      error.message,
      'pass --detector /path/to/yolox_nano.onnx',
    );
    return new ModelError(first, details);
  }
  if (
    error instanceof rt.ModelPackageError ||
    error instanceof rt.ModelLoadError ||
    error instanceof rt.DetectorModelError
  )
    return new ModelError(oneLine(error));
  return new ModelError(`cannot load the model or the detector: ${oneLine(error)}`);
}

/** Opens the model package and the detector; any failure here is a model error (exit 4). */
export async function openEstimator(
  options: ModelOptions,
): Promise<{ estimator: Estimator; info: ModelInfo }> {
  const rt = await loadRuntime();
  let dir: string;
  try {
    dir = options.model ?? rt.defaultModelDir();
  } catch (e) {
    throw new ModelError(oneLine(e));
  }
  let estimator: Estimator;
  try {
    estimator = await rt.createEstimator({
      model: dir,
      detector: options.detector,
      threads: options.threads,
    });
  } catch (e) {
    throw await modelLoadError(e);
  }
  const d = estimator.model.descriptor;
  return {
    estimator,
    info: {
      dir: resolve(dir),
      backbone: d.backbone,
      skeleton: d.skeleton,
      numJoints: d.jointNames.length,
      cropSide: d.geometry.procSide,
    },
  };
}

/** Checks `--skeleton` against what the model can output; '' means the model's own. */
export function checkSkeleton(estimator: Estimator, skeleton: string | undefined): string {
  if (skeleton === undefined || skeleton === '') return '';
  const available = estimator.availableSkeletons();
  if (!available.includes(skeleton)) {
    throw new UsageError(
      `unknown skeleton "${skeleton}" for this model; available: ${available.join(', ')}`,
    );
  }
  return skeleton;
}

/** The camera file, if any (validated by the runtime: exit 3 on problems). */
export async function cameraFromOptions(options: ModelOptions): Promise<CameraFile | undefined> {
  if (options.intrinsics === undefined) return undefined;
  const rt = await loadRuntime();
  try {
    return rt.readCameraFile(options.intrinsics);
  } catch (e) {
    if (e instanceof rt.CameraFileError) throw new InputError(e.message);
    throw e;
  }
}

/** `PoseOptions` from the command line and the camera file. */
export function poseOptions(
  options: ModelOptions,
  skeleton: string,
  camera?: CameraFile,
): PoseOptions {
  const o: PoseOptions = { skeleton };
  if (options.fov !== undefined) o.defaultFovDegrees = options.fov;
  if (options.numAug !== undefined) o.numAug = options.numAug;
  if (options.antialias !== undefined) o.antialiasFactor = options.antialias;
  if (options.detectorThreshold !== undefined) o.detectorThreshold = options.detectorThreshold;
  if (options.maxDetections !== undefined) o.maxDetections = options.maxDetections;
  if (options.detectorFlipAug) o.detectorFlipAug = true;
  if (options.suppressImplausible === false) o.suppressImplausiblePoses = false;
  if (camera) {
    o.intrinsicMatrix = camera.intrinsicMatrix;
    if (camera.distortionCoeffs) o.distortionCoeffs = camera.distortionCoeffs;
    if (camera.extrinsicMatrix) o.extrinsicMatrix = camera.extrinsicMatrix;
    if (camera.worldUpVector) o.worldUpVector = camera.worldUpVector;
  }
  return o;
}

/** The settings recorded in the output files: the runtime's record, defaults resolved. */
export function settingsRecord(
  options: ModelOptions,
  o: PoseOptions,
  rt: Runtime,
): Record<string, unknown> {
  return rt.settingsRecord(
    rt.resolvePoseOptions(o),
    options.intrinsics ? { intrinsicsFile: resolve(options.intrinsics) } : undefined,
  );
}

/**
 * `detectPoses`, with the geometry library's complaints about the camera (bad intrinsics or
 * distortion for this image) reported as input errors rather than as bugs.
 */
export async function detectPoses(
  estimator: Estimator,
  image: RgbImage,
  o: PoseOptions,
  where: string,
) {
  try {
    return await estimator.detectPoses(image, o);
  } catch (e) {
    if (e instanceof GeometryError) throw new InputError(`${where}: ${oneLine(e)}`);
    throw e;
  }
}
