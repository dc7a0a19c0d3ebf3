/**
 * Node entry of `@metrabs/runtime`: load images (sharp), model packages and the detector
 * (onnxruntime-node), and build a ready estimator.
 */

import { defaultModelDir } from './default-model-node.js';
import { loadYoloxDetector } from './detector-node.js';
import { Pose3DEstimator } from './estimator.js';
import { loadModelPackage } from './model-package-node.js';

export { readCameraFile } from './camera-file-node.js';
export {
  DEFAULT_MODEL_DIR,
  DEFAULT_MODEL_PACKAGE,
  defaultModelDir,
  MODEL_ENV_VAR,
  verifyModelFiles,
} from './default-model-node.js';
export {
  DEV_DETECTOR_DIR,
  DetectorInstallError,
  type DetectorInstallFailure,
  type DetectorInstallSource,
  type InstallDetectorOptions,
  type InstallDetectorResult,
  installDetector,
} from './detector-install-node.js';
export {
  DETECTOR_ENV_VAR,
  DetectorNotFoundError,
  defaultDetectorCachePath,
  detectorInstructions,
  loadYoloxDetector,
  resolveDetectorPath,
} from './detector-node.js';
export { DirectoryError, ensureDirectory } from './directories-node.js';
export { ImageError, loadImage, saveRgbPng } from './image-node.js';
export * from './index.js';
export { type LoadModelOptions, loadModelPackage } from './model-package-node.js';
export {
  countFrames,
  type FfmpegLocation,
  FrameReader,
  type FrameReaderOptions,
  FrameWriter,
  findFfmpeg,
  parseProbe,
  probeVideo,
  VideoError,
  type VideoErrorKind,
  type VideoInfo,
} from './video-node.js';

export interface CreateEstimatorOptions {
  /** Model package directory (default: `defaultModelDir()` — METRABS_MODEL or @metrabs/model-default). */
  model?: string;
  /** YOLOX-Nano ONNX file (default: METRABS_DETECTOR or the cache directory); `false` = no detector. */
  detector?: string | false;
  /** ONNX Runtime threads for each session. */
  threads?: number;
}

/** Loads a model package and the person detector into a `Pose3DEstimator`. */
export async function createEstimator(
  options: CreateEstimatorOptions = {},
): Promise<Pose3DEstimator> {
  const model = await loadModelPackage(options.model ?? defaultModelDir(), {
    threads: options.threads,
  });
  const detector =
    options.detector === false
      ? undefined
      : await loadYoloxDetector({ path: options.detector, threads: options.threads });
  return new Pose3DEstimator(model, detector);
}
