/**
 * Fuzzing the estimator without a real network: a stand-in crop network that always "sees" the
 * reference person, fitted to the crop, so every later stage (crops, reconstruction, the camera,
 * skeletons, the result) runs for real on whatever boxes and options a user passes. Fast enough
 * for thousands of cases; the real network's own outputs are fuzzed by the model-package path.
 */
import {
  CANONICAL_SKELETON,
  canonicalReferencePoseMm,
  GeometryError,
  getSkeleton,
} from '@metrabs/core';
import {
  CropModel,
  type PersonDetector,
  Pose3DEstimator,
  PoseOptionsError,
  parseModelDescriptor,
  type RgbImage,
  type Tensor,
  type TensorSession,
} from '@metrabs/runtime';
import fc from 'fast-check';
import { allFinite, type FuzzOutcome, judgeError, weirdNumber } from './fuzz.js';

/** Crop side of the stand-in model: small, so a case renders in microseconds. */
export const STAND_IN_SIDE = 32;

const canonical = getSkeleton(CANONICAL_SKELETON);

/** The reference pose in every crop: 2D fitted into the crop, 3D relative in mm. */
class ReferenceSession implements TensorSession {
  readonly inputNames = ['image'];
  readonly outputNames = ['coords2d', 'coords3d'];
  private readonly pose = canonicalReferencePoseMm();

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const n = feeds['image']!.dims[0]!;
    const j = this.pose.length;
    const c2 = new Float32Array(n * j * 2);
    const c3 = new Float32Array(n * j * 3);
    for (let b = 0; b < n; b++) {
      for (const [k, [x, y, z]] of this.pose.entries()) {
        // 2200 mm (the box size) spans the crop; the pelvis sits in its middle.
        c2.set(
          [
            STAND_IN_SIDE / 2 + (x! / 2200) * STAND_IN_SIDE,
            STAND_IN_SIDE / 2 + (y! / 2200) * STAND_IN_SIDE,
          ],
          (b * j + k) * 2,
        );
        c3.set([x!, y!, z!], (b * j + k) * 3);
      }
    }
    return { coords2d: { data: c2, dims: [n, j, 2] }, coords3d: { data: c3, dims: [n, j, 3] } };
  }
}

/** A detector that finds one person in the middle of any image. */
const middleDetector: PersonDetector = {
  async detect(image) {
    return [[image.width * 0.3, image.height * 0.1, image.width * 0.4, image.height * 0.8, 0.9]];
  },
};

/** A `Pose3DEstimator` over the stand-in network (canonical joints), with a stand-in detector. */
export function standInEstimator(): Pose3DEstimator {
  const descriptor = parseModelDescriptor({
    format: 'metrabs-model',
    version: 1,
    geometry: {
      proc_side: STAND_IN_SIDE,
      stride: 32,
      stride_train: 32,
      depth: 8,
      box_size_mm: 2200,
      centered_stride: true,
      mix_3d_inside_fov: 0.5,
      tikhonov: 0,
    },
    joint_names: canonical.jointNames,
    edges: canonical.edges,
    mirror: canonical.mirror,
  });
  return new Pose3DEstimator(new CropModel(descriptor, new ReferenceSession()), middleDetector);
}

/** The image boxes are given for: 64×48 grey. */
export const BOX_IMAGE: RgbImage = {
  width: 64,
  height: 48,
  data: new Uint8Array(64 * 48 * 3).fill(120),
};

/** Coordinates a user might pass: in the image, zero, negative, far outside, NaN, huge. */
const boxNumber = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: -10, max: 80, noNaN: true }) },
  { weight: 2, arbitrary: weirdNumber },
  fc.constantFrom(0, -0, 1e-300, 1e6, -1e6, 3e38),
);

/** One box: usually `[x, y, w, h]` or with a score, sometimes too short, typed, or not numbers. */
const box: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.double({ min: -40, max: 80, noNaN: true }),
      fc.double({ min: -40, max: 60, noNaN: true }),
      fc.double({ min: 0.5, max: 120, noNaN: true }),
      fc.double({ min: 0.5, max: 120, noNaN: true }),
    ),
  },
  { weight: 6, arbitrary: fc.array(boxNumber, { minLength: 4, maxLength: 5 }) },
  fc.array(boxNumber, { maxLength: 7 }),
  fc.array(boxNumber, { minLength: 4, maxLength: 5 }).map((b) => Float32Array.from(b)),
  fc.constantFrom(null, undefined, 'box', {}, [1, 2, '3', 4], [1, 2, 3, null]),
);

/** Box lists as a caller of `estimatePoses` might pass them, with pose options now and then. */
export const boxesCase = fc.record({
  boxes: fc.oneof(
    { weight: 8, arbitrary: fc.array(box, { maxLength: 4 }) },
    fc.constantFrom(null, undefined, 'boxes', {}, [[]]),
  ),
  options: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ numAug: 1 }) },
    fc.record(
      {
        numAug: fc.integer({ min: 1, max: 3 }),
        skeleton: fc.constantFrom('', 'coco_19', 'h36m_17'),
      },
      { requiredKeys: [] },
    ),
  ),
});

export type BoxesCase = typeof boxesCase extends fc.Arbitrary<infer T> ? T : never;

/** Boxes path: a GeometryError or PoseOptionsError, or a result with finite numbers. */
export async function judgeBoxes(estimator: Pose3DEstimator, c: BoxesCase): Promise<FuzzOutcome> {
  try {
    const result = await estimator.estimatePoses(BOX_IMAGE, c.boxes as number[][], c.options);
    if (!allFinite(result)) return { verdict: 'failure', why: 'non-finite result' };
    return { verdict: 'valid' };
  } catch (e) {
    return judgeError(e, [GeometryError, PoseOptionsError]);
  }
}
