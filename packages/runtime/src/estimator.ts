/**
 * The multi-person MeTRAbs pipeline (DESIGN §4), as the reference's `detect_poses` /
 * `estimate_poses`: person boxes → one virtual crop camera per box and test-time
 * augmentation → perspective crops → crop network → absolute reconstruction → back into
 * the image camera → plausibility filter and pose NMS → world frame → skeleton conversion →
 * averaging of augmentations. Crops of all boxes (and images) are batched through the
 * network `internalBatchSize` at a time.
 *
 * Pure TypeScript over the engine interface: the same code runs with onnxruntime-node and
 * onnxruntime-web.
 */
import {
  applyJointTransform,
  averageAugmentations,
  buildCropCamera,
  CANONICAL_SKELETON,
  Camera,
  type CropGeometry,
  convertPoseBatch,
  cropToCameraPoints,
  DEFAULT_FOV_DEGREES,
  DEFAULT_WORLD_UP,
  GeometryError,
  getSkeleton,
  listSkeletons,
  type Matrix3Like,
  reconstructAbsoluteBatch,
  screenPoses,
  ttaSchedule,
  typicalBoneLengthsMm,
} from '@metrabs/core';
import type { CropModel } from './crop-model.js';
import type { DroppedPerson } from './dropped.js';
import { assertRgbImage } from './letterbox.js';
import { POSE_DEFAULTS } from './options.js';
import type { Box, PersonDetector, RgbImage } from './types.js';
import { userBoxes } from './user-boxes.js';
import { LinearImagePyramid, renderCrop } from './warp.js';

/** Options of the reference API, camelCase, with the reference's defaults. */
export interface PoseOptions {
  /** 3×3 intrinsics of the image; default: from `defaultFovDegrees`. */
  intrinsicMatrix?: Matrix3Like;
  /** 0–12 OpenCV distortion coefficients (default none). */
  distortionCoeffs?: ArrayLike<number>;
  /** 4×4 world→camera matrix in mm; when given, poses3d are in world coordinates. */
  extrinsicMatrix?: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  /** World up direction (default [0, −1, 0]); keeps crops upright under camera roll. */
  worldUpVector?: ArrayLike<number>;
  /** Field of view along the larger image side when intrinsics are unknown (default 55°). */
  defaultFovDegrees?: number;
  /** Crops per network call (default 64). */
  internalBatchSize?: number;
  /** Supersampling factor of the crops (default 1). */
  antialiasFactor?: number;
  /** Test-time augmentations per person (default 5). */
  numAug?: number;
  /** Average the augmentations (default true); else results are per augmentation. */
  averageAug?: boolean;
  /** Output skeleton (default '' = the model's own joint set). */
  skeleton?: string;
  /** Detector score threshold (default 0.3). */
  detectorThreshold?: number;
  /** Detector NMS IoU threshold (default 0.7). */
  detectorNmsIouThreshold?: number;
  /** At most this many detections, best first (default −1 = all). */
  maxDetections?: number;
  /** Detect on the flipped image too (default false). */
  detectorFlipAug?: boolean;
  /** Drop implausible poses and duplicates (default true; detectPoses only). */
  suppressImplausiblePoses?: boolean;
}

export interface PoseResult {
  /** `[x, y, w, h, score]` per person (score 1 for user-given boxes). */
  boxes: Box[];
  /** Per person `J × 3` mm (camera frame, or world frame with extrinsics); `A × J × 3` without averaging. */
  poses3d: number[][][] | number[][][][];
  /** Per person `J × 2` image pixels (lens distortion applied); `A × J × 2` without averaging. */
  poses2d: number[][][] | number[][][][];
  /** Joint names and edges of the returned skeleton. */
  jointNames: string[];
  edges: [number, number][];
  skeleton: string;
  /** The intrinsics used (the default field of view's when none were given). */
  intrinsicMatrix: number[][];
  /** People the detector found (boxes of positive size), or the boxes given to `estimatePoses`. */
  peopleFound: number;
  /**
   * The people found but not returned by the plausibility filter, in detection order, each
   * with its box and reason (`suppressImplausiblePoses`; always empty for `estimatePoses`).
   * `peopleFound − dropped.length` people are returned.
   */
  dropped: DroppedPerson[];
}

// One record of defaults for every front end (options.ts).
const DEFAULTS = POSE_DEFAULTS;

interface ImageJob {
  image: RgbImage;
  camera: Camera;
  boxes: Box[];
  options: PoseOptions;
  hasExtrinsics: boolean;
  crops: CropGeometry[]; // [box][aug]
  poses3d?: Float64Array; // [box][aug][J][3], image camera frame
}

function makeCamera(image: RgbImage, o: PoseOptions): Camera {
  const fov = o.defaultFovDegrees ?? DEFAULT_FOV_DEGREES;
  const common = {
    distortionCoeffs: o.distortionCoeffs,
    extrinsicMatrix: o.extrinsicMatrix,
    worldUp: o.worldUpVector ?? DEFAULT_WORLD_UP,
  };
  return o.intrinsicMatrix === undefined
    ? Camera.fromFov(fov, image.width, image.height, common)
    : new Camera({ ...common, intrinsicMatrix: o.intrinsicMatrix });
}

function nested(flat: ArrayLike<number>, dims: number[]): unknown[] {
  const [first, ...rest] = dims;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first! }, (_, i) =>
    rest.length === 0
      ? flat[i]!
      : nested(Array.prototype.slice.call(flat, i * size, (i + 1) * size), rest),
  );
}

export class Pose3DEstimator {
  readonly model: CropModel;
  readonly detector: PersonDetector | undefined;
  /** Crop buffers not in use (see `takeCropBuffer`). */
  private readonly cropBuffers: Float32Array[] = [];

  constructor(model: CropModel, detector?: PersonDetector) {
    this.model = model;
    this.detector = detector;
  }

  /**
   * Skeletons this model can output: its own joint set, the ones its package defines
   * (`skeleton_transforms`) and, for canonical models, every registered one.
   */
  availableSkeletons(): string[] {
    const d = this.model.descriptor;
    const own = this.isCanonical() ? listSkeletons() : [d.skeleton];
    return [...new Set([...own, ...Object.keys(d.skeletonTransforms)])];
  }

  private isCanonical(): boolean {
    const names = this.model.descriptor.jointNames;
    const canonical = getSkeleton(CANONICAL_SKELETON).jointNames;
    return names.length === canonical.length && names.every((n, i) => n === canonical[i]);
  }

  /** Detects people and estimates their absolute 3D poses. */
  async detectPoses(image: RgbImage, options: PoseOptions = {}): Promise<PoseResult> {
    const [result] = await this.detectPosesBatched([image], options);
    return result!;
  }

  /** Estimates poses for the given boxes `[x, y, w, h]` (no detection, no suppression). */
  async estimatePoses(
    image: RgbImage,
    boxes: ArrayLike<number>[],
    options: PoseOptions = {},
  ): Promise<PoseResult> {
    const [result] = await this.estimatePosesBatched([image], [boxes], options);
    return result!;
  }

  async detectPosesBatched(
    images: RgbImage[],
    options: PoseOptions | PoseOptions[] = {},
  ): Promise<PoseResult[]> {
    if (!this.detector) {
      throw new Error(
        'no person detector was given: pass one to Pose3DEstimator, or use estimatePoses with your own boxes',
      );
    }
    const perImage = images.map((_, i) => (Array.isArray(options) ? (options[i] ?? {}) : options));
    const boxes: Box[][] = [];
    for (const [i, image] of images.entries()) {
      assertRgbImage(image, `image ${i}`);
      const o = perImage[i]!;
      boxes.push(
        await this.detector.detect(image, {
          threshold: o.detectorThreshold ?? DEFAULTS.detectorThreshold,
          nmsIouThreshold: o.detectorNmsIouThreshold ?? DEFAULTS.detectorNmsIouThreshold,
          maxDetections:
            (o.maxDetections ?? DEFAULTS.maxDetections) < 0 ? undefined : o.maxDetections,
          flipAug: o.detectorFlipAug ?? DEFAULTS.detectorFlipAug,
        }),
      );
    }
    return this.run(
      images,
      boxes.map((b) => b.filter((box) => box[2] > 0 && box[3] > 0)),
      perImage,
      true,
    );
  }

  async estimatePosesBatched(
    images: RgbImage[],
    boxes: ArrayLike<number>[][],
    options: PoseOptions | PoseOptions[] = {},
  ): Promise<PoseResult[]> {
    const perImage = images.map((_, i) => (Array.isArray(options) ? (options[i] ?? {}) : options));
    const withScores = userBoxes(boxes, images.length);
    return this.run(images, withScores, perImage, false);
  }

  private async run(
    images: RgbImage[],
    boxes: Box[][],
    perImage: PoseOptions[],
    detected: boolean,
  ): Promise<PoseResult[]> {
    for (const o of perImage) this.outputSkeleton(o); // fail on a bad name before any work
    const numAug = perImage[0]?.numAug ?? DEFAULTS.numAug;
    const augs = ttaSchedule(numAug);
    const side = this.model.side;
    const jobs: ImageJob[] = images.map((image, i) => {
      assertRgbImage(image, `image ${i}`);
      const o = perImage[i]!;
      if ((o.numAug ?? DEFAULTS.numAug) !== numAug) {
        throw new RangeError('numAug must be the same for all images of a batch');
      }
      const camera = makeCamera(image, o);
      const crops = boxes[i]!.flatMap((box, k) => {
        try {
          return augs.map((augmentation) => buildCropCamera(camera, box, { side, augmentation }));
        } catch (e) {
          // Keep the type and code (a caller branches on them); name the box.
          if (!(e instanceof GeometryError)) throw e;
          throw new GeometryError(
            e.code,
            `image ${i}, box ${k} [${box.slice(0, 4).join(', ')}]: ${e.message}`,
          );
        }
      });
      return {
        image,
        camera,
        boxes: boxes[i]!,
        options: o,
        hasExtrinsics: o.extrinsicMatrix !== undefined,
        crops,
      };
    });
    await this.predictAll(jobs);
    return jobs.map((job) => this.finish(job, augs.length, detected));
  }

  /** Renders and runs every crop of every image in batches; fills `job.poses3d`. */
  private async predictAll(jobs: ImageJob[]): Promise<void> {
    const j = this.model.numJoints;
    const side = this.model.side;
    const batchSize = Math.max(1, jobs[0]?.options.internalBatchSize ?? DEFAULTS.internalBatchSize);
    const antialiasFactor = jobs[0]?.options.antialiasFactor ?? DEFAULTS.antialiasFactor;
    const work: { job: ImageJob; index: number; pyramid: LinearImagePyramid }[] = [];
    for (const job of jobs) {
      if (job.crops.length === 0) continue;
      job.poses3d = new Float64Array(job.crops.length * j * 3);
      const pyramid = new LinearImagePyramid(job.image);
      for (let index = 0; index < job.crops.length; index++) work.push({ job, index, pyramid });
    }
    const crops = this.takeCropBuffer(Math.min(batchSize, work.length) * side * side * 3);
    try {
      await this.predictChunks(work, crops, batchSize, antialiasFactor);
    } finally {
      this.cropBuffers.push(crops);
    }
  }

  /**
   * A crop buffer of at least `length` floats from the pool (calls running concurrently each
   * take their own). Reusing it saves zero-filling and collecting megabytes on every call.
   */
  private takeCropBuffer(length: number): Float32Array {
    const i = this.cropBuffers.findIndex((b) => b.length >= length);
    if (i >= 0) return this.cropBuffers.splice(i, 1)[0]!;
    if (this.cropBuffers.length > 0) this.cropBuffers.pop(); // too small: replace it
    return new Float32Array(length);
  }

  private async predictChunks(
    work: { job: ImageJob; index: number; pyramid: LinearImagePyramid }[],
    crops: Float32Array,
    batchSize: number,
    antialiasFactor: number,
  ): Promise<void> {
    const g = this.model.descriptor.geometry;
    const mirror = this.model.descriptor.mirror;
    const j = this.model.numJoints;
    const side = this.model.side;
    for (let start = 0; start < work.length; start += batchSize) {
      const chunk = work.slice(start, start + batchSize);
      const n = chunk.length;
      for (let c = 0; c < n; c++) {
        const { job, index, pyramid } = chunk[c]!;
        const crop = job.crops[index]!;
        renderCrop(
          pyramid,
          crop,
          job.camera,
          { antialiasFactor },
          crops.subarray(c * side * side * 3, (c + 1) * side * side * 3),
        );
      }
      const { coords2d, coords3d } = await this.model.predict(
        crops.subarray(0, n * side * side * 3),
        n,
      );
      const intrinsics = new Float64Array(n * 9);
      for (const [c, { job, index }] of chunk.entries()) {
        intrinsics.set(job.crops[index]!.camera.intrinsicMatrix, c * 9);
      }
      const absolute = reconstructAbsoluteBatch(coords2d, coords3d, intrinsics, n, j, {
        cropSide: g.procSide,
        strideTrain: g.strideTrain,
        centeredStride: g.centeredStride,
        mix3dInsideFov: g.mix3dInsideFov,
        tikhonov: g.tikhonov,
      });
      const pose = new Float64Array(j * 3);
      chunk.forEach(({ job, index }, c) => {
        const crop = job.crops[index]!;
        // A mirrored crop sees the person's left side as right: swap the labels back.
        for (let k = 0; k < j; k++) {
          const src = (c * j + (crop.augmentation.flip ? mirror[k]! : k)) * 3;
          pose[k * 3] = absolute[src]!;
          pose[k * 3 + 1] = absolute[src + 1]!;
          pose[k * 3 + 2] = absolute[src + 2]!;
        }
        cropToCameraPoints(pose, crop, job.poses3d!.subarray(index * j * 3, (index + 1) * j * 3));
      });
    }
  }

  /** The requested output skeleton's name, validated (unknown names throw, listing the known). */
  private outputSkeleton(o: PoseOptions): string {
    const name = o.skeleton ?? DEFAULTS.skeleton;
    const d = this.model.descriptor;
    const target = name === '' ? d.skeleton : name;
    if (target in d.skeletonTransforms) return target; // the package's own definition wins
    if (target !== d.skeleton && !this.isCanonical()) {
      throw new RangeError(
        `this model cannot output skeleton "${target}"; available: ${this.availableSkeletons().join(', ')}`,
      );
    }
    if (target !== d.skeleton) getSkeleton(target);
    return target;
  }

  private finish(job: ImageJob, numAug: number, detected: boolean): PoseResult {
    const o = job.options;
    const j = this.model.numJoints;
    const target = this.outputSkeleton(o);
    const packaged = this.model.descriptor.skeletonTransforms[target];
    const skeleton =
      packaged ??
      (target === this.model.descriptor.skeleton && !this.isCanonical()
        ? { jointNames: this.model.descriptor.jointNames, edges: this.model.descriptor.edges }
        : getSkeleton(target));
    let boxes = job.boxes;
    let poses3d = job.poses3d ?? new Float64Array(0);
    let poses2d = job.camera.cameraToImage(poses3d);
    let dropped: DroppedPerson[] = [];

    if (
      detected &&
      (o.suppressImplausiblePoses ?? DEFAULTS.suppressImplausiblePoses) &&
      boxes.length > 0
    ) {
      const screened = this.screen(boxes, poses3d, poses2d, numAug);
      dropped = screened.dropped.map(({ index, reason }) => ({ box: boxes[index]!, reason }));
      const keep = screened.kept;
      boxes = keep.map((k) => boxes[k]!);
      poses3d = gather(poses3d, keep, numAug * j * 3);
      poses2d = gather(poses2d, keep, numAug * j * 2);
    }
    const n = boxes.length;
    if (packaged) {
      // As the reference: transform in the camera frame, then project (a weighted sum of
      // joints does not commute with the projection).
      poses3d = applyJointTransform(packaged.transform, poses3d, n * numAug, 3);
      poses2d = job.camera.cameraToImage(poses3d);
    }
    if (job.hasExtrinsics) poses3d = job.camera.cameraToWorld(poses3d);

    const jOut = skeleton.jointNames.length;
    let out3d = poses3d;
    let out2d = poses2d;
    if (!packaged && target !== this.model.descriptor.skeleton) {
      out3d = convertPoseBatch(poses3d, n * numAug, 3, target);
      out2d = convertPoseBatch(poses2d, n * numAug, 2, target);
    }
    const average = o.averageAug ?? DEFAULTS.averageAug;
    if (average) {
      out3d = averageAugmentations(out3d, n, numAug, jOut, 3);
      out2d = averageAugmentations(out2d, n, numAug, jOut, 2);
    }
    const dims = average ? [n, jOut] : [n, numAug, jOut];
    return {
      boxes,
      poses3d: nested(out3d, [...dims, 3]) as number[][][],
      poses2d: nested(out2d, [...dims, 2]) as number[][][],
      jointNames: [...skeleton.jointNames],
      edges: skeleton.edges.map(([a, b]) => [a, b] as [number, number]),
      skeleton: target,
      intrinsicMatrix: nested(job.camera.intrinsicMatrix, [3, 3]) as number[][],
      peopleFound: job.boxes.length,
      dropped,
    };
  }

  /** Which people pass the plausibility checks and pose NMS, and why the others do not. */
  private screen(boxes: Box[], poses3d: Float64Array, poses2d: Float64Array, numAug: number) {
    // Typical bone lengths exist for the canonical joint set only; other models skip that check.
    const canonical = this.isCanonical();
    return screenPoses({
      poses3d,
      poses2d,
      boxes,
      numAug,
      numJoints: this.model.numJoints,
      edges: canonical ? getSkeleton(CANONICAL_SKELETON).edges : [],
      typicalLengthsMm: canonical ? typicalBoneLengthsMm(CANONICAL_SKELETON) : [],
    });
  }
}

function gather(data: Float64Array, indices: number[], block: number): Float64Array {
  const out = new Float64Array(indices.length * block);
  for (const [i, k] of indices.entries())
    out.set(data.subarray(k * block, (k + 1) * block), i * block);
  return out;
}
