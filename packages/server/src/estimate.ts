/**
 * One image through the pipeline, as the HTTP routes and the batch worker both do it: open the
 * estimators, run one decoded image with a plan, and wrap the result in the shared result
 * document. Problems of the client's making (a camera that does not fit the image) become
 * `ApiError`s; anything else is a bug and stays what it is.
 */
import { resolve } from 'node:path';
import { GeometryError } from '@metrabs/core';
import {
  createEstimator,
  defaultModelDir,
  type Pose3DEstimator,
  type PoseResultLike,
  type ResultDocument,
  type ResultModelInfo,
  type RgbImage,
  resultDocument,
} from '@metrabs/runtime/node';
import { ApiError } from './errors.js';
import type { PosePlan } from './request-options.js';

/**
 * What the service needs of an estimator: the runtime's `Pose3DEstimator`, or a stand-in
 * (tests inject slow fakes to make queueing deterministic).
 */
export type PoseEstimatorLike = Pick<Pose3DEstimator, 'detectPoses' | 'availableSkeletons'>;

export interface OpenEstimatorsOptions {
  /** Model package directory (default: the runtime's default model). */
  model?: string;
  /** Detector ONNX file (default: the runtime's search). */
  detector?: string;
  /** How many estimators (each has its own sessions). */
  count: number;
  /** ONNX Runtime threads per session. */
  threads: number;
}

/** Loads `count` estimators of one model, and the model as result documents record it. */
export async function openEstimators(
  options: OpenEstimatorsOptions,
): Promise<{ estimators: Pose3DEstimator[]; model: ResultModelInfo & { dir: string } }> {
  const dir = resolve(options.model ?? defaultModelDir());
  const estimators: Pose3DEstimator[] = [];
  for (let i = 0; i < options.count; i++) {
    estimators.push(
      await createEstimator({ model: dir, detector: options.detector, threads: options.threads }),
    );
  }
  const d = estimators[0]!.model.descriptor;
  return {
    estimators,
    model: {
      dir,
      backbone: d.backbone,
      skeleton: d.skeleton,
      numJoints: d.jointNames.length,
      cropSide: d.geometry.procSide,
    },
  };
}

/** The result document of one image (`label`: its name in the document and in errors). */
export async function estimateDocument(
  estimator: PoseEstimatorLike,
  image: RgbImage,
  plan: PosePlan,
  label: string,
  model: ResultModelInfo,
): Promise<ResultDocument> {
  let result: PoseResultLike;
  try {
    result = (await estimator.detectPoses(image, plan.options)) as PoseResultLike;
  } catch (e) {
    if (e instanceof GeometryError) {
      throw new ApiError('bad-camera', `${label}: ${(e as Error).message}`);
    }
    throw e;
  }
  return resultDocument(result, {
    image: label,
    imageSize: { width: image.width, height: image.height },
    model,
    ...(plan.extrinsicMatrix ? { extrinsicMatrix: plan.extrinsicMatrix } : {}),
    settings: plan.settings,
  });
}
