/**
 * Fuzzing model packages through `loadModelPackage`: the toy package (fixtures/model-tiny) with
 * its `metrabs.json` fields missing, of the wrong type, infinite or huge, the JSON cut short, and
 * its `model.onnx` truncated, with flipped bytes, with an output renamed, or random bytes. A
 * loaded package then estimates one person, so a descriptor that loads but cannot work (a crop
 * side the network does not take, a joint count it does not output) is judged too.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeometryError } from '@metrabs/core';
import {
  ModelLoadError,
  ModelPackageError,
  Pose3DEstimator,
  PoseOptionsError,
  type RgbImage,
} from '@metrabs/runtime';
import { loadModelPackage } from '@metrabs/runtime/node';
import fc from 'fast-check';
import { allFinite, type FuzzOutcome, judgeError, weirdValue } from './fuzz.js';

const TINY = new URL('../fixtures/model-tiny/', import.meta.url).pathname;
const tinyDescriptor = JSON.parse(readFileSync(join(TINY, 'metrabs.json'), 'utf8')) as Record<
  string,
  unknown
>;
let tinyOnnx: Uint8Array | undefined;

const TOP_KEYS = [
  'format',
  'version',
  'geometry',
  'joint_names',
  'edges',
  'mirror',
  'onnx',
  'backbone',
  'skeleton',
  'skeleton_transforms',
  'training',
  'metrics',
];
const GEOMETRY_KEYS = [
  'proc_side',
  'stride',
  'stride_train',
  'depth',
  'box_size_mm',
  'centered_stride',
  'mix_3d_inside_fov',
  'tikhonov',
];

/** Wrong values for a field, incl. numbers that parse fine but break the geometry. */
const fieldValue = fc.oneof(
  weirdValue,
  fc.constantFrom(64, 96, 127, 129, 256, 1e6, 2 ** 31, 1e300, Infinity, -Infinity),
  fc.integer({ min: -2, max: 600 }),
);

/** One change to the descriptor: a field removed or replaced, top level or in `geometry`. */
const descriptorChange = fc.oneof(
  fc.record({
    key: fc.constantFrom(...TOP_KEYS),
    value: fc.option(fieldValue, { nil: undefined }),
  }),
  fc.record({
    key: fc.constantFrom(...GEOMETRY_KEYS).map((k) => `geometry.${k}`),
    value: fc.option(fieldValue, { nil: undefined }),
  }),
  // A consistent skeleton of fewer joints than the network outputs.
  fc.record({ key: fc.constant('fewer-joints'), value: fc.integer({ min: 1, max: 29 }) }),
);

const onnxChange = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({
    kind: fc.constant('truncate' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc.record({
    kind: fc.constant('rename' as const),
    output: fc.constantFrom('coords2d', 'coords3d', 'image'),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
);

export const modelPackageCase = fc.record({
  descriptor: fc.array(descriptorChange, { maxLength: 2 }),
  cutJson: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 10, nil: undefined }),
  onnx: onnxChange,
});

export type ModelPackageCase = typeof modelPackageCase extends fc.Arbitrary<infer T> ? T : never;

function changedDescriptor(changes: ModelPackageCase['descriptor']): Record<string, unknown> {
  const d: Record<string, unknown> = structuredClone(tinyDescriptor);
  for (const { key, value } of changes) {
    if (key === 'fewer-joints') {
      const n = value as number;
      d['joint_names'] = (tinyDescriptor['joint_names'] as string[]).slice(0, n);
      d['edges'] = (tinyDescriptor['edges'] as [number, number][]).filter(
        ([a, b]) => a < n && b < n,
      );
      d['mirror'] = Array.from({ length: n }, (_, i) => i);
      delete d['skeleton_transforms'];
    } else if (key.startsWith('geometry.')) {
      const g = d['geometry'];
      if (typeof g === 'object' && g !== null) (g as Record<string, unknown>)[key.slice(9)] = value;
    } else {
      d[key] = value;
    }
  }
  return d;
}

/** JSON text in which ±Infinity survive (as ±1e999, which JSON.parse reads back as such). */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v === Infinity ? '__INF__' : v === -Infinity ? '__NINF__' : v,
  )
    .replaceAll('"__INF__"', '1e999')
    .replaceAll('"__NINF__"', '-1e999');
}

function replaceAll(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const out = Uint8Array.from(bytes);
  const a = new TextEncoder().encode(from);
  const b = new TextEncoder().encode(to);
  for (let i = 0; i + a.length <= out.length; i++) {
    if (a.every((v, k) => out[i + k] === v)) out.set(b, i);
  }
  return out;
}

function changedOnnx(change: ModelPackageCase['onnx']): Uint8Array | undefined {
  tinyOnnx ??= new Uint8Array(readFileSync(join(TINY, 'model.onnx')));
  const bytes = tinyOnnx;
  switch (change.kind) {
    case 'none':
      return undefined;
    case 'truncate':
      return bytes.subarray(0, Math.floor(bytes.length * change.at));
    case 'flip': {
      const out = Uint8Array.from(bytes);
      for (const [i, v] of change.at) out[i % out.length] = v;
      return out;
    }
    case 'rename':
      // Same length, every occurrence: the graph stays consistent, only the name differs.
      return replaceAll(bytes, change.output, `${change.output.slice(0, -1)}X`);
    case 'random':
      return change.bytes;
  }
}

/** Writes the case as a package directory `dir` (the unchanged ONNX file as a link). */
export function writeModelPackage(dir: string, c: ModelPackageCase): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let text = jsonText(changedDescriptor(c.descriptor));
  if (c.cutJson !== undefined) text = text.slice(0, Math.floor(text.length * c.cutJson));
  writeFileSync(join(dir, 'metrabs.json'), text);
  const onnx = changedOnnx(c.onnx);
  if (onnx) writeFileSync(join(dir, 'model.onnx'), onnx);
  else symlinkSync(join(TINY, 'model.onnx'), join(dir, 'model.onnx'));
}

const IMAGE: RgbImage = { width: 96, height: 128, data: new Uint8Array(96 * 128 * 3).fill(100) };

/**
 * Model package path: `ModelPackageError` or `ModelLoadError` when loading (or, for a package
 * that loads but does not fit its network, when estimating), else a result with finite numbers.
 */
export async function judgeModelPackage(dir: string, c: ModelPackageCase): Promise<FuzzOutcome> {
  writeModelPackage(dir, c);
  const types = [ModelPackageError, ModelLoadError, GeometryError, PoseOptionsError];
  let model: Awaited<ReturnType<typeof loadModelPackage>>;
  try {
    model = await loadModelPackage(dir, { threads: 1 });
  } catch (e) {
    return judgeError(e, types);
  }
  try {
    const result = await new Pose3DEstimator(model).estimatePoses(IMAGE, [[10, 10, 70, 110]], {
      numAug: 1,
    });
    return allFinite(result)
      ? { verdict: 'valid' }
      : { verdict: 'failure', why: 'non-finite result' };
  } catch (e) {
    return judgeError(e, types);
  } finally {
    await model.release();
  }
}
