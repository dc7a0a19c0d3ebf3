/**
 * Fuzzing the dataset reader as `metrabs eval` uses it: a one-shard dataset whose labels JSON
 * (camera, image size, people, boxes, joints, flags) has fields missing, of the wrong type or
 * non-finite (±1e999 in the text), whose JSON is cut short, whose manifest is broken, or whose
 * shard bytes are truncated or flipped. The reader must raise a `DatasetError` or skip the bad
 * records; the labels it returns must then work in the estimator as eval passes them (camera,
 * boxes), or fail there with a `GeometryError`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeometryError } from '@metrabs/core';
import { PoseOptionsError, type RgbImage } from '@metrabs/runtime';
import {
  DatasetError,
  openDataset,
  type ReadLabels,
  skeletonInfo,
  tarArchive,
  upInCamera,
} from '@metrabs/synth';
import fc from 'fast-check';
import sharp from 'sharp';
import { allFinite, type FuzzOutcome, judgeError, weirdNumber, weirdValue } from './fuzz.js';
import { standInEstimator } from './fuzz-estimator.js';

const SKELETON = skeletonInfo('smpl+head_30');
const J = SKELETON.joint_names.length;
const W = 16;
const H = 12;
const SHARD = 'test/shard-000000.tar';

/** The example's image: a 16×12 grey JPEG. */
export async function datasetImage(): Promise<Uint8Array> {
  const image = sharp({ create: { width: W, height: H, channels: 3, background: '#888' } });
  return new Uint8Array(await image.jpeg().toBuffer());
}

/** Valid labels of one 16×12 image with one person. */
function validLabels(): Record<string, unknown> {
  const joints3d = Array.from({ length: J }, (_, j) => [j * 10 - 150, -800 + j * 55, 4000 + j]);
  return {
    key: '000000',
    image: { file: '000000.jpg', width: W, height: H },
    camera: {
      intrinsic_matrix: [
        [60, 0, 7.5],
        [0, 60, 5.5],
        [0, 0, 1],
      ],
      distortion_coeffs: [0, 0, 0, 0, 0],
      extrinsic_matrix: null,
      world_up: [0, -1, 0],
    },
    people: [
      {
        box: [2, 1, 10, 10],
        joints3d,
        joints2d: joints3d.map(([x, y, z]) => [(60 * x!) / z! + 7.5, (60 * y!) / z! + 5.5]),
        joint_valid: Array.from({ length: J }, () => 1),
        occluded: Array.from({ length: J }, () => 0),
        truncated: false,
      },
    ],
  };
}

function validManifest(): Record<string, unknown> {
  return {
    format: 'metrabs-dataset',
    version: 1,
    name: 'fuzz',
    created: '2026-12-05T00:00:00Z',
    skeleton: structuredClone(SKELETON),
    splits: { test: { shards: [{ path: SHARD, examples: 1, people: 1 }] } },
    license: 'CC0',
    sources: ['fuzz'],
    generator: { tool: 'fuzz' },
  };
}

/** Paths into the labels a change can hit (`people.0.joints2d.3` etc.). */
const LABEL_PATHS = [
  'key',
  'image',
  'image.width',
  'image.height',
  'camera',
  'camera.intrinsic_matrix',
  'camera.intrinsic_matrix.0.0',
  'camera.intrinsic_matrix.0.2',
  'camera.intrinsic_matrix.1.1',
  'camera.intrinsic_matrix.2.2',
  'camera.distortion_coeffs',
  'camera.distortion_coeffs.0',
  'camera.extrinsic_matrix',
  'camera.world_up',
  'camera.world_up.1',
  'people',
  'people.0',
  'people.0.box',
  'people.0.box.0',
  'people.0.box.2',
  'people.0.box.3',
  'people.0.joints3d',
  'people.0.joints3d.0',
  'people.0.joints3d.0.2',
  'people.0.joints2d',
  'people.0.joints2d.5.0',
  'people.0.joint_valid',
  'people.0.joint_valid.0',
  'people.0.in_image',
  'people.0.occluded',
  'people.0.truncated',
  'people.0.mask',
  'people.0.meta',
  'meta',
];
const MANIFEST_PATHS = [
  'format',
  'version',
  'skeleton',
  'skeleton.joint_names',
  'skeleton.mirror',
  'skeleton.edges',
  'splits',
  'splits.test',
  'splits.test.shards',
  'splits.test.shards.0',
  'splits.test.shards.0.path',
  'splits.test.shards.0.examples',
  'splits.test.shards.0.sha256',
];

/** Values for a label field: weird ones, and numbers that are valid JSON but absurd. */
const labelValue = fc.oneof(
  weirdValue,
  weirdNumber,
  fc.constantFrom(1e200, -1e200, 1e-200, 0, 4096, -1),
  fc.array(fc.array(weirdNumber, { minLength: 4, maxLength: 4 }), { minLength: 4, maxLength: 4 }),
);

const change = (paths: string[]) =>
  fc.record({ path: fc.constantFrom(...paths), value: fc.option(labelValue, { nil: undefined }) });

export const datasetCase = fc.record({
  labels: fc.array(change(LABEL_PATHS), { maxLength: 3 }),
  manifest: fc.oneof(
    { weight: 6, arbitrary: fc.constant([]) },
    fc.array(change(MANIFEST_PATHS), { minLength: 1, maxLength: 2 }),
  ),
  cutLabels: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 10, nil: undefined }),
  shard: fc.oneof(
    { weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) },
    fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
    }),
  ),
});

export type DatasetCase = typeof datasetCase extends fc.Arbitrary<infer T> ? T : never;

/** Sets (or, for `undefined`, deletes) the value at a dotted path, if its parent exists. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: unknown = root;
  for (const k of keys.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[k];
  }
  if (typeof node !== 'object' || node === null) return;
  const last = keys.at(-1)!;
  if (value === undefined) delete (node as Record<string, unknown>)[last];
  else (node as Record<string, unknown>)[last] = value;
}

/** JSON text in which ±Infinity survive (as ±1e999, which JSON.parse reads back as such). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v === Infinity ? '__INF__' : v === -Infinity ? '__NINF__' : v,
  )
    .replaceAll('"__INF__"', '1e999')
    .replaceAll('"__NINF__"', '-1e999');
}

/** Writes the case as a dataset in `dir` (`jpeg`: the example's image bytes). */
export function writeDataset(dir: string, c: DatasetCase, jpeg: Uint8Array): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  const manifest = validManifest();
  for (const { path, value } of c.manifest) setPath(manifest, path, value);
  writeFileSync(join(dir, 'manifest.json'), jsonText(manifest));
  const labels = validLabels();
  for (const { path, value } of c.labels) setPath(labels, path, value);
  let text = jsonText(labels);
  if (c.cutLabels !== undefined) text = text.slice(0, Math.floor(text.length * c.cutLabels));
  let shard = tarArchive([
    { name: '000000.jpg', data: jpeg },
    { name: '000000.json', data: new TextEncoder().encode(text) },
  ]);
  if (c.shard.kind === 'truncate') shard = shard.subarray(0, Math.floor(shard.length * c.shard.at));
  if (c.shard.kind === 'flip') for (const [i, v] of c.shard.at) shard[i % shard.length] = v;
  writeFileSync(join(dir, SHARD), shard);
}

const IMAGE: RgbImage = { width: W, height: H, data: new Uint8Array(W * H * 3).fill(90) };
let estimator: ReturnType<typeof standInEstimator> | undefined;

/** What eval does with an example's labels: its camera and the people's boxes. */
async function estimateLabels(labels: ReadLabels): Promise<unknown> {
  estimator ??= standInEstimator();
  const cam = labels.camera;
  return estimator.estimatePoses(
    IMAGE,
    labels.people.map((p) => p.box),
    {
      numAug: 1,
      intrinsicMatrix: cam.intrinsic_matrix,
      distortionCoeffs: cam.distortion_coeffs,
      worldUpVector: upInCamera(cam.world_up, cam.extrinsic_matrix),
    },
  );
}

/**
 * Dataset path: a `DatasetError`, or examples whose labels are finite and whose people have
 * one row per joint; their boxes and camera then give a finite estimate or a `GeometryError`.
 */
export async function judgeDataset(
  dir: string,
  c: DatasetCase,
  jpeg: Uint8Array,
): Promise<FuzzOutcome> {
  writeDataset(dir, c, jpeg);
  const examples: ReadLabels[] = [];
  try {
    const reader = await openDataset(dir);
    for await (const ex of reader.examples('test')) examples.push(ex.labels);
  } catch (e) {
    return judgeError(e, [DatasetError]);
  }
  for (const labels of examples) {
    if (!allFinite(labels)) return { verdict: 'failure', why: 'non-finite labels' };
    const badPerson = labels.people.some(
      (p) => p.joints2d.length !== J || p.joint_valid.length !== J || p.box.length !== 4,
    );
    if (badPerson) return { verdict: 'failure', why: 'a person with the wrong joint count' };
    try {
      const result = await estimateLabels(labels);
      if (!allFinite(result)) return { verdict: 'failure', why: 'non-finite estimate' };
    } catch (e) {
      const outcome = judgeError(e, [GeometryError, PoseOptionsError]);
      if (outcome.verdict === 'failure') return outcome;
    }
  }
  return { verdict: 'valid' };
}
