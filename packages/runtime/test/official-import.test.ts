/**
 * An official-release import end to end, without the official weights: the trainer writes a
 * release directory in the `metrabs_pytorch` layout with random weights (EfficientNetV2-S,
 * 256 px), `metrabs_train.import_official` turns it into a model package, and our pipeline runs
 * it on a real photo. The same crops then go through the Python reference of the per-crop
 * pipeline (metrabs_train.official_reference): the absolute poses of every skeleton must agree.
 * Everything is written to a temporary directory; nothing is committed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCropCamera, Camera, mat3ToRows, ttaSchedule } from '@metrabs/core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../test-support/shared-data.js';
import { CropModel } from '../src/crop-model.js';
import { Pose3DEstimator } from '../src/estimator.js';
import { loadImage } from '../src/image-node.js';
import { parseModelDescriptor } from '../src/model-package.js';
import { createOrtSession } from '../src/ort-session.js';
import type { Tensor, TensorSession } from '../src/types.js';

const IN_CI = process.env['CI'] === 'true';
const TRAINING = fileURLToPath(new URL('../../../training/', import.meta.url));
const PYTHON = process.env['METRABS_TRAINER_PYTHON'] ?? join(TRAINING, '.venv/bin/python');
const IMAGE = 'real/lspet/images/im00005.jpg';
const data = sharedData([IMAGE], 'official-import.test');
const noPython = existsSync(PYTHON)
  ? undefined
  : `trainer venv missing (${PYTHON}); run npm run setup:python`;
if (noPython && IN_CI) throw new Error(`CI: ${noPython}`);
if (noPython) console.warn(`[official-import.test] skipped: ${noPython}`);

function python(args: string[], timeoutMs: number): string {
  const run = spawnSync(PYTHON, args, {
    cwd: TRAINING,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  if (run.status !== 0) {
    throw new Error(`python ${args.join(' ')} failed (${run.status}): ${run.stderr || run.error}`);
  }
  return run.stdout;
}

/** Passes crops through to ONNX Runtime and keeps copies of what went in and came out. */
class RecordingSession implements TensorSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly crops: Float32Array[] = [];
  readonly coords2d: Float32Array[] = [];
  readonly coords3d: Float32Array[] = [];
  constructor(private readonly inner: TensorSession) {
    this.inputNames = inner.inputNames;
    this.outputNames = inner.outputNames;
  }
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    this.crops.push(Float32Array.from(feeds['image']!.data as Float32Array));
    const out = await this.inner.run(feeds);
    this.coords2d.push(Float32Array.from(out['coords2d']!.data));
    this.coords3d.push(Float32Array.from(out['coords3d']!.data));
    return out;
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function maxDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length).toBe(b.length);
    return a.reduce((m: number, x, i) => Math.max(m, maxDiff(x, b[i])), 0);
  }
  return Math.abs((a as number) - (b as number));
}

describe.skipIf(data.skip || noPython !== undefined)(
  'official release import (random weights)',
  () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'metrabs-official-'));
      python(['-m', 'metrabs_train.official_synthetic', '--out', join(dir, 'release')], 300_000);
      python(
        ['-m', 'metrabs_train.import_official', join(dir, 'release'), '--out', join(dir, 'pkg')],
        600_000,
      );
    }, 900_000);
    afterAll(() => {
      if (dir && !process.env['METRABS_KEEP_TEST_DIR'])
        rmSync(dir, { recursive: true, force: true });
    });

    it('runs through our pipeline and matches the Python reference on the same crops (≤ 0.1 mm)', async () => {
      const pkg = join(dir, 'pkg');
      const descriptor = parseModelDescriptor(
        JSON.parse(readFileSync(join(pkg, 'metrabs.json'), 'utf8')),
      );
      expect(descriptor.skeleton).toBe('release');
      expect(Object.keys(descriptor.skeletonTransforms)).toEqual(['smpl_24', 'h36m_17', 'coco_19']);
      const session = new RecordingSession(await createOrtSession(ort, join(pkg, 'model.onnx')));
      const estimator = new Pose3DEstimator(new CropModel(descriptor, session));
      expect(estimator.availableSkeletons()).toEqual(['release', 'smpl_24', 'h36m_17', 'coco_19']);

      const image = await loadImage(data.path(IMAGE));
      const box = [4, 4, image.width - 8, image.height - 8];
      const numAug = 5; // includes mirrored crops: the left/right relabelling is checked too
      const skeletons = ['', 'smpl_24', 'h36m_17', 'coco_19'];
      const results = [];
      for (const skeleton of skeletons) {
        results.push(
          await estimator.estimatePoses(image, [box], { numAug, averageAug: false, skeleton }),
        );
      }
      // The crops of the first call (every call renders the same ones).
      const camera = Camera.fromFov(55, image.width, image.height);
      const crops = ttaSchedule(numAug).map((augmentation) =>
        buildCropCamera(camera, box, { side: 256, augmentation }),
      );
      const n = crops.length;
      const per = session.crops.length / skeletons.length;
      const file = (name: string, values: Float32Array) => {
        writeFileSync(join(dir, name), values);
        return join(dir, name);
      };
      const spec = {
        release: join(dir, 'release'),
        side: 256,
        n,
        crops: file('crops.f32', concat(session.crops.slice(0, per))),
        onnx_coords2d: file('c2.f32', concat(session.coords2d.slice(0, per))),
        onnx_coords3d: file('c3.f32', concat(session.coords3d.slice(0, per))),
        K_crop: crops.map((c) => mat3ToRows(c.camera.intrinsicMatrix)),
        R: crops.map((c) => mat3ToRows(c.rotation)),
        flip: crops.map((c) => c.augmentation.flip),
        K: mat3ToRows(camera.intrinsicMatrix),
      };
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
      python(
        ['-m', 'metrabs_train.official_reference', join(dir, 'spec.json'), join(dir, 'ref.json')],
        300_000,
      );
      const ref = JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8'));
      // Poses are nowhere near degenerate: the random network spreads the joints over the crop.
      const own = results[0]!.poses3d[0] as number[][][];
      expect(
        Math.max(...own[0]!.map((p) => p[2]!)) - Math.min(...own[0]!.map((p) => p[2]!)),
      ).toBeGreaterThan(100);

      for (const [i, skeleton] of skeletons.entries()) {
        const key = skeleton || 'release';
        const ours = results[i]!;
        expect(ours.skeleton).toBe(key);
        // Same network outputs → the same absolute poses, per augmentation, in mm and pixels.
        expect(maxDiff(ours.poses3d[0], ref.from_onnx[key].poses3d)).toBeLessThan(0.1);
        expect(maxDiff(ours.poses2d[0], ref.from_onnx[key].poses2d)).toBeLessThan(1e-3);
        // And from PyTorch's own outputs on these crops (ONNX differs by float rounding only).
        const viaTorch = maxDiff(ours.poses3d[0], ref.from_torch[key].poses3d);
        console.log(`${key}: max |TS − Python (PyTorch network)| ${viaTorch.toFixed(4)} mm`);
        expect(viaTorch).toBeLessThan(0.1);
      }
      expect(ref.max_abs_diff.coords2d / ref.max_abs.coords2d).toBeLessThan(1e-4);
      expect(ref.max_abs_diff.coords3d / ref.max_abs.coords3d).toBeLessThan(1e-4);
    }, 600_000);
  },
);
