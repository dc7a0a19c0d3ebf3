/**
 * Model packages: descriptor validation, loading with onnxruntime-node, and the whole
 * pipeline with the committed toy model (fixtures/model-tiny) on an unseen toy scene with
 * known 3D ground truth (fixtures/toy-scene) — a real trained network end to end.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpjpe } from '@metrabs/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CropModel } from '../src/crop-model.js';
import { Pose3DEstimator } from '../src/estimator.js';
import { ModelPackageError, parseModelDescriptor } from '../src/model-package.js';
import { loadModelPackage } from '../src/model-package-node.js';
import { ModelLoadError } from '../src/ort-session.js';
import type { TensorSession } from '../src/types.js';

const fixtures = new URL('../../../fixtures/', import.meta.url);
const tinyDir = new URL('model-tiny/', fixtures).pathname;
const tinyDescriptor = JSON.parse(readFileSync(join(tinyDir, 'metrabs.json'), 'utf8'));

describe('model descriptor validation', () => {
  it('accepts the toy package and reads its geometry', () => {
    const d = parseModelDescriptor(tinyDescriptor);
    expect(d.geometry).toMatchObject({
      procSide: 128,
      stride: 32,
      strideTrain: 32,
      depth: 8,
      centeredStride: true,
    });
    expect(d.jointNames).toHaveLength(30);
  });

  it.each([
    [{ format: 'other' }, /format must be "metrabs-model"/],
    [{ version: 2 }, /unsupported version 2/],
    [{ geometry: { ...tinyDescriptor.geometry, proc_side: -1 } }, /proc_side/],
    [{ geometry: undefined }, /missing "geometry"/],
    [{ mirror: [0, 1] }, /"mirror" must list 30/],
    [{ edges: [[0, 99]] }, /"edges"/],
    [{ joint_names: [] }, /joint_names/],
    [{ skeleton_transforms: [] }, /"skeleton_transforms" must be an object/],
    [
      { skeleton_transforms: { a: { joint_names: ['x'], edges: [], weights: [[[30, 1]]] } } },
      /skeleton_transforms.a: "weights"\[0\] must be a non-empty list of \[joint index < 30/,
    ],
    [
      { skeleton_transforms: { a: { joint_names: ['x', 'y'], edges: [], weights: [[[0, 1]]] } } },
      /skeleton_transforms.a: "weights" must have one entry per joint name/,
    ],
    [
      { skeleton_transforms: { a: { joint_names: ['x'], edges: [[0, 1]], weights: [[[0, 1]]] } } },
      /skeleton_transforms.a: "edges"/,
    ],
  ])('rejects %j', (change, message) => {
    expect(() => parseModelDescriptor({ ...tinyDescriptor, ...change }, 'x.json')).toThrow(message);
  });
});

describe('loading packages', () => {
  it('gives clear errors for missing and broken packages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrabs-pkg-'));
    await expect(loadModelPackage(join(dir, 'nope'))).rejects.toThrow(/model package not found/);
    await expect(loadModelPackage(dir)).rejects.toThrow(/metrabs.json is missing/);
    writeFileSync(join(dir, 'metrabs.json'), '{ not json');
    await expect(loadModelPackage(dir)).rejects.toThrow(/invalid JSON/);
    writeFileSync(join(dir, 'metrabs.json'), JSON.stringify(tinyDescriptor));
    await expect(loadModelPackage(dir)).rejects.toThrow(/ONNX file is missing/);
    // An empty file (fuzz find, issue 18): ONNX Runtime's own message ended in a line break.
    writeFileSync(join(dir, 'model.onnx'), '');
    await expect(loadModelPackage(dir)).rejects.toThrow(/model.onnx: the ONNX file is empty$/);
    writeFileSync(join(dir, 'model.onnx'), 'garbage');
    await expect(loadModelPackage(dir)).rejects.toThrow(/cannot load ONNX model/);
    const truncated = readFileSync(join(tinyDir, 'model.onnx')).subarray(0, 1000);
    writeFileSync(join(dir, 'model.onnx'), truncated);
    const error = await loadModelPackage(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).not.toContain('\n');
    await expect(loadModelPackage(dir)).rejects.toBeInstanceOf(Error);
    expect(ModelPackageError.name).toBe('ModelPackageError');
  });

  // Fuzz finds of issue 18: a descriptor that does not fit its graph loaded fine, then failed on
  // the first image with ONNX Runtime's untyped, multi-line "Got invalid dimensions".
  it.each([
    [
      { geometry: { ...tinyDescriptor.geometry, proc_side: 276 } },
      /"image" has shape \[batch, 128, 128, 3\] in the ONNX graph, but the descriptor \(proc_side 276, 30 joints\) needs \[n, 276, 276, 3\]/,
    ],
    [
      {
        joint_names: tinyDescriptor.joint_names.slice(0, 23),
        edges: tinyDescriptor.edges.filter(([a, b]: number[]) => a! < 23 && b! < 23),
        mirror: Array.from({ length: 23 }, (_, i) => i),
        skeleton_transforms: undefined,
      },
      /"coords2d" has shape \[batch, 30, 2\] in the ONNX graph, but the descriptor \(proc_side 128, 23 joints\) needs \[n, 23, 2\]/,
    ],
  ])('refuses a descriptor that does not fit its ONNX graph: %#', async (change, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'metrabs-pkg-'));
    writeFileSync(join(dir, 'metrabs.json'), JSON.stringify({ ...tinyDescriptor, ...change }));
    symlinkSync(join(tinyDir, 'model.onnx'), join(dir, 'model.onnx'));
    const error = await loadModelPackage(dir, { threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelPackageError);
    expect((error as Error).message).toMatch(message);
  });

  it('turns a failing or NaN-producing network into a one-line ModelPackageError', async () => {
    const descriptor = parseModelDescriptor(tinyDescriptor);
    const session = (run: TensorSession['run']): TensorSession => ({
      inputNames: ['image'],
      outputNames: ['coords2d', 'coords3d'],
      run,
    });
    const crops = new Float32Array(128 * 128 * 3);
    const throwing = new CropModel(
      descriptor,
      session(async () => {
        throw new Error('Got invalid dimensions for input: image\n index: 1 Got: 276');
      }),
    );
    await expect(throwing.predict(crops, 1)).rejects.toThrow(
      'model.onnx: the network failed to run: Got invalid dimensions for input: image; index: 1 Got: 276',
    );
    const nan = new CropModel(
      descriptor,
      session(async () => ({
        coords2d: { data: new Float32Array(60).fill(Number.NaN), dims: [1, 30, 2] },
        coords3d: { data: new Float32Array(90), dims: [1, 30, 3] },
      })),
    );
    await expect(nan.predict(crops, 1)).rejects.toThrow(/NaN or infinite coordinates/);
  });

  it('runs the toy network: finite coordinates in the crop for any input', async () => {
    const model = await loadModelPackage(tinyDir, { threads: 1 });
    const crops = new Float32Array(2 * 128 * 128 * 3).map((_, i) => (i % 7) / 7);
    const { coords2d, coords3d } = await model.predict(crops, 2);
    expect(coords2d.length).toBe(2 * 30 * 2);
    expect(coords3d.length).toBe(2 * 30 * 3);
    for (const v of coords2d) expect(v >= 0 && v <= 128).toBe(true);
    for (const v of coords3d) expect(Number.isFinite(v)).toBe(true);
    await expect(model.predict(crops.subarray(1), 2)).rejects.toThrow(/expected 2×128×128×3/);
  });
});

describe('the toy model end to end on an unseen toy scene', () => {
  it('estimates every stick figure to within the model card’s accuracy', async () => {
    const labels = JSON.parse(readFileSync(new URL('toy-scene/labels.json', fixtures), 'utf8'));
    const { data, info } = await sharp(new URL('toy-scene/image.jpg', fixtures).pathname)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = { width: info.width, height: info.height, data: new Uint8Array(data) };
    const people = (labels.people as { box: number[]; joints3d: number[][] | null }[]).filter(
      (p) => p.joints3d,
    );
    const E = labels.camera.extrinsic_matrix as number[][];
    const up = labels.camera.world_up as number[];
    // Results in the camera frame: give the world-up direction in camera coordinates.
    const upCam = [0, 1, 2].map(
      (r) => E[r]![0]! * up[0]! + E[r]![1]! * up[1]! + E[r]![2]! * up[2]!,
    );
    const estimator = new Pose3DEstimator(await loadModelPackage(tinyDir, { threads: 1 }));
    const result = await estimator.estimatePoses(
      image,
      people.map((p) => p.box),
      { intrinsicMatrix: labels.camera.intrinsic_matrix, worldUpVector: upCam, numAug: 5 },
    );
    const truth = people.map((p) => p.joints3d!);
    const predicted = result.poses3d as number[][][];
    const error = mpjpe(predicted, truth);
    const rootError = Math.max(
      ...predicted.map((p, i) =>
        Math.hypot(...[0, 1, 2].map((c) => p[0]![c]! - truth[i]![0]![c]!)),
      ),
    );
    // model-tiny's card: MPJPE 160 mm, MRPE 525 mm (mostly depth) on its toy test split.
    // Measured here: MPJPE 190 mm; root errors 0.4–1.3 m for people 5.6–8.1 m away.
    expect(error).toBeLessThan(250);
    expect(rootError).toBeLessThan(1500);
    console.info(
      `toy scene: ${people.length} people, MPJPE ${error.toFixed(0)} mm, worst root error ${rootError.toFixed(0)} mm`,
    );
  });
});
