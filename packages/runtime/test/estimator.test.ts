/**
 * The pipeline's geometry, checked exactly with a stand-in network that "sees" a known 3D
 * person perfectly: for each crop it returns that person's true 2D and 3D joints in the crop
 * camera (mirrored labels for flipped crops, as a real network trained with flips would).
 * The estimator must then return the true absolute pose — through test-time augmentation,
 * batching, the flip relabelling, the rotation back, world coordinates and skeletons.
 */

import {
  buildCropCamera,
  CANONICAL_SKELETON,
  Camera,
  canonicalReferencePoseMm,
  convertPoses,
  getSkeleton,
  ttaSchedule,
} from '@metrabs/core';
import { describe, expect, it } from 'vitest';
import { CropModel } from '../src/crop-model.js';
import { Pose3DEstimator } from '../src/estimator.js';
import { parseModelDescriptor } from '../src/model-package.js';
import type { Box, PersonDetector, RgbImage, Tensor, TensorSession } from '../src/types.js';

const SIDE = 64;
const canonical = getSkeleton(CANONICAL_SKELETON);
const J = canonical.jointNames.length;

function descriptor(overrides: Record<string, unknown> = {}) {
  return parseModelDescriptor({
    format: 'metrabs-model',
    version: 1,
    geometry: {
      proc_side: SIDE,
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
    ...overrides,
  });
}

/** Pose of a person standing `depthMm` ahead, `lateralMm` to the right, in camera coords. */
function personAt(lateralMm: number, depthMm: number): number[][] {
  return canonicalReferencePoseMm().map(([x, y, z]) => [x! + lateralMm, y! + 200, z! + depthMm]);
}

/** A network stand-in that knows the true camera-frame poses of the people in the image. */
class OracleSession implements TensorSession {
  readonly inputNames = ['image'];
  readonly outputNames = ['coords2d', 'coords3d'];
  calls: number[] = [];
  private next = 0;

  constructor(
    private readonly crops: { crop: ReturnType<typeof buildCropCamera>; pose: number[][] }[],
  ) {}

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const n = feeds['image']!.dims[0]!;
    this.calls.push(n);
    const c2 = new Float32Array(n * J * 2);
    const c3 = new Float32Array(n * J * 3);
    for (let b = 0; b < n; b++) {
      const { crop, pose } = this.crops[this.next++]!;
      const R = crop.rotation;
      const K = crop.camera.intrinsicMatrix;
      for (let k = 0; k < J; k++) {
        // A flipped crop shows the person mirrored: its "left wrist" is the true right wrist.
        const p = pose[crop.augmentation.flip ? canonical.mirror[k]! : k]!;
        const x = R[0]! * p[0]! + R[1]! * p[1]! + R[2]! * p[2]!;
        const y = R[3]! * p[0]! + R[4]! * p[1]! + R[5]! * p[2]!;
        const z = R[6]! * p[0]! + R[7]! * p[1]! + R[8]! * p[2]!;
        c2[(b * J + k) * 2] = (K[0]! * x + K[1]! * y) / z + K[2]!;
        c2[(b * J + k) * 2 + 1] = (K[4]! * y) / z + K[5]!;
        // Relative 3D: an arbitrary offset, as the network's metric volume has.
        c3.set([x - 100, y + 50, z - 3000], (b * J + k) * 3);
      }
    }
    return { coords2d: { data: c2, dims: [n, J, 2] }, coords3d: { data: c3, dims: [n, J, 3] } };
  }
}

const image: RgbImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(90) };

function setUp(
  people: number[][][],
  camera: Camera,
  numAug: number,
  extra: Record<string, unknown> = {},
) {
  const boxes: Box[] = people.map((pose) => {
    const px = camera.worldToImage(camera.cameraToWorld(pose));
    const xs = px.map((p) => p[0]!),
      ys = px.map((p) => p[1]!);
    const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
    return [x0 - 10, y0 - 10, Math.max(...xs) - x0 + 20, Math.max(...ys) - y0 + 20, 0.9];
  });
  const crops = boxes.flatMap((box, i) =>
    ttaSchedule(numAug).map((augmentation) => ({
      crop: buildCropCamera(camera, box, { side: SIDE, augmentation }),
      pose: people[i]!,
    })),
  );
  const session = new OracleSession(crops);
  const model = new CropModel(descriptor(extra), session);
  return { boxes, session, model };
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  for (const [i, p] of a.entries()) {
    for (const [c, v] of p.entries()) m = Math.max(m, Math.abs(v - b[i]![c]!));
  }
  return m;
}

describe('Pose3DEstimator geometry (oracle network)', () => {
  it('recovers absolute poses exactly through 5 augmentations incl. flips, batched 3 crops at a time', async () => {
    const camera = Camera.fromFov(55, image.width, image.height);
    const people = [personAt(-700, 4500), personAt(900, 6000)];
    const { boxes, session, model } = setUp(people, camera, 5);
    const result = await new Pose3DEstimator(model).estimatePoses(image, boxes, {
      internalBatchSize: 3,
    });
    expect(session.calls).toEqual([3, 3, 3, 1]);
    expect(result.poses3d).toHaveLength(2);
    expect(result).toMatchObject({ peopleFound: 2, dropped: [] }); // given boxes: never filtered
    for (const [i, truth] of people.entries()) {
      expect(maxDiff(result.poses3d[i] as number[][], truth)).toBeLessThan(1e-3);
    }
    // 2D: the projections of the true poses.
    const expected2d = camera.cameraToImage(people[1]!);
    expect(maxDiff(result.poses2d[1] as number[][], expected2d)).toBeLessThan(1e-4);
    expect(result.jointNames).toEqual(canonical.jointNames);
  });

  it('with lens distortion, camera roll (world up) and world coordinates from extrinsics', async () => {
    const roll = 0.3;
    const R = [Math.cos(roll), -Math.sin(roll), 0, Math.sin(roll), Math.cos(roll), 0, 0, 0, 1];
    const c = [500, -1600, -2000]; // camera position in the world, mm
    const t = [0, 1, 2].map(
      (r) => -(R[r * 3]! * c[0]! + R[r * 3 + 1]! * c[1]! + R[r * 3 + 2]! * c[2]!),
    );
    const extrinsicMatrix = [
      ...R.slice(0, 3),
      t[0]!,
      ...R.slice(3, 6),
      t[1]!,
      ...R.slice(6),
      t[2]!,
      0,
      0,
      0,
      1,
    ];
    const options = {
      intrinsicMatrix: [
        [520, 0, 330],
        [0, 515, 235],
        [0, 0, 1],
      ],
      distortionCoeffs: [-0.12, 0.03, 0.001, -0.001, 0],
      extrinsicMatrix,
    };
    const camera = new Camera({ ...options, worldUp: [0, -1, 0] });
    const people = [personAt(-300, 5000)];
    const { boxes, model } = setUp(people, camera, 3);
    const result = await new Pose3DEstimator(model).estimatePoses(image, boxes, {
      ...options,
      numAug: 3,
    });
    const worldTruth = camera.cameraToWorld(people[0]!);
    expect(maxDiff(result.poses3d[0] as number[][], worldTruth)).toBeLessThan(1e-3);
    expect(maxDiff(result.poses2d[0] as number[][], camera.cameraToImage(people[0]!))).toBeLessThan(
      1e-3,
    );
  });

  it('converts to other skeletons and can return every augmentation', async () => {
    const camera = Camera.fromFov(55, image.width, image.height);
    const people = [personAt(0, 5000)];
    const { boxes, model } = setUp(people, camera, 2);
    const result = await new Pose3DEstimator(model).estimatePoses(image, boxes, {
      numAug: 2,
      skeleton: 'h36m_17',
      averageAug: false,
    });
    expect(result.jointNames).toHaveLength(17);
    const perAug = result.poses3d[0] as number[][][];
    expect(perAug).toHaveLength(2);
    const truth = convertPoses(people[0]!, 'h36m_17');
    for (const pose of perAug) expect(maxDiff(pose, truth)).toBeLessThan(1e-3);
  });

  it('package-defined skeletons (imported releases): linear maps of the own joints, in the camera frame', async () => {
    // A release-like model: the canonical joints under other names, two skeletons of its own,
    // one of them named like a registry skeleton (the package's definition must win).
    const names = canonical.jointNames.map((n) => `${n}_rel`);
    const transforms = {
      hips: {
        joint_names: ['mid', 'pelv'],
        edges: [[0, 1]],
        weights: [
          [
            [1, 0.5],
            [2, 0.5],
          ],
          [[0, 1]],
        ],
      },
      h36m_17: { joint_names: ['lhip2'], edges: [], weights: [[[1, 2]]] }, // not affine on purpose
    };
    const camera = Camera.fromFov(55, image.width, image.height);
    const people = [personAt(200, 5000)];
    const extra = { skeleton: 'release', joint_names: names, skeleton_transforms: transforms };
    const estimator = new Pose3DEstimator(setUp(people, camera, 2, extra).model);
    expect(estimator.availableSkeletons()).toEqual(['release', 'hips', 'h36m_17']);
    const truth = people[0]!;
    const mid = [0, 1, 2].map((c) => (truth[1]![c]! + truth[2]![c]!) / 2);
    const hips = await estimator.estimatePoses(image, [], { skeleton: 'hips' });
    expect(hips.jointNames).toEqual(['mid', 'pelv']);
    const { boxes } = setUp(people, camera, 2, extra);
    const fresh = () => new Pose3DEstimator(setUp(people, camera, 2, extra).model);
    const r = await fresh().estimatePoses(image, boxes, { numAug: 2, skeleton: 'hips' });
    expect(r).toMatchObject({ skeleton: 'hips', jointNames: ['mid', 'pelv'], edges: [[0, 1]] });
    expect(maxDiff(r.poses3d[0] as number[][], [mid, truth[0]!])).toBeLessThan(1e-3);
    expect(
      maxDiff(r.poses2d[0] as number[][], camera.cameraToImage([mid, truth[0]!])),
    ).toBeLessThan(1e-4);
    // Weights that do not sum to 1 are applied in the camera frame, before the projection.
    const doubled = truth[1]!.map((v) => 2 * v);
    const h = await fresh().estimatePoses(image, boxes, { numAug: 2, skeleton: 'h36m_17' });
    expect(maxDiff(h.poses3d[0] as number[][], [doubled])).toBeLessThan(2e-3);
    expect(maxDiff(h.poses2d[0] as number[][], camera.cameraToImage([doubled]))).toBeLessThan(1e-4);
    // '' is the network's own joint set; a registry skeleton the package lacks is refused.
    const own = await fresh().estimatePoses(image, boxes, { numAug: 2 });
    expect(own.jointNames).toEqual(names);
    await expect(fresh().estimatePoses(image, boxes, { skeleton: 'coco_19' })).rejects.toThrow(
      /cannot output skeleton "coco_19"; available: release, hips, h36m_17/,
    );
  });

  it('detectPoses filters an implausible detection and a duplicate, keeping the best box', async () => {
    const camera = Camera.fromFov(55, image.width, image.height);
    const real = personAt(0, 5000);
    const giant = real.map(([x, y, z]) => [x! * 5, y! * 5, z!]);
    const { boxes, model } = setUp([real, real, giant], camera, 1);
    boxes[0]![4] = 0.6; // the duplicate of box 1, with a lower score
    const detector: PersonDetector = { detect: async () => boxes };
    const result = await new Pose3DEstimator(model, detector).detectPoses(image, { numAug: 1 });
    expect(result.boxes).toHaveLength(1);
    expect(result.boxes[0]![4]).toBe(0.9);
    // Three found, two dropped, each with its box and reason.
    expect(result.peopleFound).toBe(3);
    expect(result.dropped).toEqual([
      { box: boxes[0], reason: 'duplicate' },
      { box: boxes[2], reason: 'implausible-bones' },
    ]);
    // Without suppression all three come back and nothing is reported dropped (the oracle
    // network answers one run only: a fresh one).
    const again = setUp([real, real, giant], camera, 1).model;
    const all = await new Pose3DEstimator(again, detector).detectPoses(image, {
      numAug: 1,
      suppressImplausiblePoses: false,
    });
    expect(all).toMatchObject({ peopleFound: 3, dropped: [] });
    expect(all.boxes).toHaveLength(3);
  });

  it('no people: empty results and no network call', async () => {
    const camera = Camera.fromFov(55, image.width, image.height);
    const { session, model } = setUp([], camera, 5);
    const detector: PersonDetector = { detect: async () => [] };
    const result = await new Pose3DEstimator(model, detector).detectPoses(image);
    expect(result).toMatchObject({
      boxes: [],
      poses3d: [],
      poses2d: [],
      peopleFound: 0,
      dropped: [],
    });
    expect(session.calls).toEqual([]);
  });

  it('rejects bad input with clear errors', async () => {
    const camera = Camera.fromFov(55, image.width, image.height);
    const { model } = setUp([personAt(0, 5000)], camera, 1);
    const estimator = new Pose3DEstimator(model);
    await expect(estimator.estimatePoses(image, [[10, 10, 0, 50]])).rejects.toThrow(
      /box 0.*positive/,
    );
    await expect(
      estimator.estimatePoses({ width: 0, height: 10, data: new Uint8Array(0) }, []),
    ).rejects.toThrow(/width and height/);
    await expect(
      estimator.estimatePoses({ width: 2, height: 2, data: new Uint8Array(5) }, []),
    ).rejects.toThrow(/bytes/);
    await expect(
      estimator.estimatePoses(image, [[10, 10, 50, 50]], { skeleton: 'nope' }),
    ).rejects.toThrow(/unknown skeleton|nope/);
    await expect(
      estimator.estimatePoses(image, [[10, 10, 50, 50]], {
        intrinsicMatrix: [
          [NaN, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      }),
    ).rejects.toThrow(/finite/);
    await expect(estimator.detectPoses(image)).rejects.toThrow(/no person detector/);
  });
});
