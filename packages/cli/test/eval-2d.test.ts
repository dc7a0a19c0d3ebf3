/**
 * `metrabs eval` on people with 2D labels only (PCK@0.2·torso, the LSP protocol) and the
 * bone-length ratio of the 3D metrics: the pure math with hand-made numbers, then the command end
 * to end on tiny datasets written here — a 2D-only `lsp_14` split with an assumed 8° camera (the
 * sample image's people, with the default model in models/default) and a mixed split (the toy
 * scene with the toy model `fixtures/model-tiny`; its poses are meaningless, so only structure,
 * counts and finiteness are checked). Everything used is in the repository: nothing is skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CANONICAL_SKELETON,
  Camera,
  canonicalReferencePoseMm,
  convertPoses,
  getSkeleton,
} from '@metrabs/core';
import type { ReadLabels } from '@metrabs/synth';
import {
  DatasetWriter,
  type ExampleLabels,
  type Flag,
  imageHeader,
  type ShardExample,
  skeletonInfo,
  type Vec2,
} from '@metrabs/synth';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraAssumed, exampleCamera } from '../src/commands/eval.js';
import {
  boneLengthRatio,
  boneLengthRatios,
  bySubset,
  metricsTable,
  type Person3d,
  subsetMetrics,
} from '../src/eval/metrics.js';
import {
  type TorsoPerson,
  torsoPckMetrics,
  torsoPckTable,
  torsoSize,
} from '../src/eval/torso-pck.js';
import { runMetrabsInProcess as metrabs } from './run-cli.js';

const DEFAULT_MODEL = fileURLToPath(new URL('../../../models/default', import.meta.url));
const TINY_MODEL = fileURLToPath(new URL('../../../fixtures/model-tiny', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../samples/synthetic-street', import.meta.url));
const SCENE = fileURLToPath(new URL('../../../fixtures/toy-scene', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'metrabs-eval-2d-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LSP = [...getSkeleton('lsp_14').jointNames];
const at = (name: string) => LSP.indexOf(name);

// ---------------------------------------------------------------------------------------------
// PCK@0.2·torso

/** Distinct 2D joints, with lsho at (0, 0) and rhip at (60, 80): torso 100 px, threshold 20 px. */
function labels2d(): number[][] {
  const gt = LSP.map((_, j) => [300 + j * 10, 200 + j * 5]);
  gt[at('lsho')] = [0, 0];
  gt[at('rhip')] = [60, 80];
  return gt;
}

function moved(gt: number[][], offsets: Record<string, [number, number]>): number[][] {
  return gt.map(([x, y], j) => {
    const d = offsets[LSP[j]!] ?? [0, 0];
    return [x! + d[0], y! + d[1]];
  });
}

describe('PCK@0.2·torso', () => {
  // A: torso 100 px. rank exactly at the threshold (12, 16 → 20 px: correct), rkne 20.5 px
  // (wrong), lwri unlabelled with a huge error (not counted), neck 30 px (wrong).
  const gtA = labels2d();
  const a: TorsoPerson = {
    gt: gtA,
    pred: moved(gtA, { rank: [12, 16], rkne: [0, 20.5], lwri: [1000, 0], neck: [0, 30] }),
    valid: LSP.map((n) => n !== 'lwri'),
  };
  // B: lsho unlabelled, so the torso is rsho–lhip = 50 px (threshold 10 px): lank 15 px is wrong.
  const gtB = labels2d();
  gtB[at('rsho')] = [0, 0];
  gtB[at('lhip')] = [0, 50];
  const b: TorsoPerson = {
    gt: gtB,
    pred: moved(gtB, { lank: [0, 15] }),
    valid: LSP.map((n) => n !== 'lsho'),
  };
  // C: neither shoulder labelled (no torso); D: lsho and rhip on the same point (zero torso).
  const c: TorsoPerson = { gt: gtA, pred: gtA, valid: LSP.map((n) => !n.endsWith('sho')) };
  const gtD = labels2d();
  gtD[at('rhip')] = [0, 0];
  const d: TorsoPerson = { gt: gtD, pred: gtD, valid: LSP.map(() => true) };

  it('torso size: lsho–rhip, else rsho–lhip, else none', () => {
    expect(torsoSize(a.gt, a.valid, LSP)).toBe(100);
    expect(torsoSize(b.gt, b.valid, LSP)).toBe(50);
    expect(torsoSize(c.gt, c.valid, LSP)).toBeNull();
    expect(torsoSize(d.gt, d.valid, LSP)).toBe(0);
    expect(torsoSize([[0, 0]], [true], ['nose'])).toBeNull();
  });

  it('counts labelled joints only; a joint at exactly 0.2 × torso is correct', () => {
    const m = torsoPckMetrics([a, b, c, d], LSP);
    expect(m.people).toBe(2);
    expect(m.skipped.total).toBe(2);
    expect(m.skipped.reasons).toEqual({
      'no torso (neither lsho–rhip nor rsho–lhip labelled)': 1,
      'zero torso size': 1,
    });
    // Limb joints: 11 of A (lwri unlabelled) + 11 of B (lsho unlabelled); wrong: rkne, lank.
    expect(m.joints).toBe(22);
    expect(m.pck).toBeCloseTo(20 / 22, 12);
    expect(m.per_joint['rank']).toEqual({ joints: 2, pck: 1 });
    expect(m.per_joint['rkne']).toEqual({ joints: 2, pck: 0.5 });
    expect(m.per_joint['lank']).toEqual({ joints: 2, pck: 0.5 });
    expect(m.per_joint['lwri']).toEqual({ joints: 1, pck: 1 });
    expect(m.per_joint['lsho']).toEqual({ joints: 1, pck: 1 });
    expect(m.per_joint['neck']).toEqual({ joints: 2, pck: 0.5 });
    expect(m.per_joint['htop']).toEqual({ joints: 2, pck: 1 });
    expect(Object.keys(m.per_joint)).toHaveLength(14);
    expect(m.per_type).toEqual({
      ankle: { joints: 4, pck: 0.75 },
      knee: { joints: 4, pck: 0.75 },
      hip: { joints: 4, pck: 1 },
      wrist: { joints: 3, pck: 1 },
      elbow: { joints: 4, pck: 1 },
      shoulder: { joints: 3, pck: 1 },
    });
    // Limb errors: A 20 + 20.5 px (0.2 + 0.205 torso), B 15 px (0.3 torso); neck not included.
    expect(m.mean_error_px).toBeCloseTo(55.5 / 22, 12);
    expect(m.mean_error_torso).toBeCloseTo(0.705 / 22, 12);

    const table = torsoPckTable(m);
    expect(table).toMatch(/^joint\s+left\s+right\s+PCK@0\.2\s+joints\n/);
    expect(table).toMatch(/\nankle\s+50\.0 %\s+100\.0 %\s+75\.0 %\s+4\n/);
    expect(table).toMatch(/\nlimbs\s+90\.9 %\s+22\n/);
    expect(table).toMatch(/\nneck\s+50\.0 %\s+2\n/);
    expect(table).toMatch(/\nhead top\s+100\.0 %\s+2\n/);
  });

  it('nobody scored: nulls, not NaN; skeletons without neck / head top leave them out', () => {
    const m = torsoPckMetrics([c], LSP);
    expect(m).toMatchObject({ people: 0, joints: 0, pck: null, mean_error_px: null });
    expect(m.per_type['ankle']).toEqual({ joints: 0, pck: null });
    const coco = [...getSkeleton('coco_17').jointNames];
    const gt = coco.map((_, j) => [j * 10, j * 20]);
    const only = torsoPckMetrics([{ gt, pred: gt, valid: coco.map(() => true) }], coco);
    expect(only.pck).toBe(1);
    expect(only.joints).toBe(12);
    expect(Object.keys(only.per_joint)).toHaveLength(12);
    expect(torsoPckTable(only)).not.toMatch(/neck|head top/);
  });
});

// ---------------------------------------------------------------------------------------------
// Bone-length ratio

describe('bone-length ratio', () => {
  const edges = getSkeleton(CANONICAL_SKELETON).edges;
  const gt = canonicalReferencePoseMm().map(([x, y, z]) => [x!, y!, z! + 4000]);
  const person = (pred: number[][], extra: Partial<Person3d> = {}): Person3d => ({
    pred,
    gt,
    valid: gt.map(() => true),
    truncated: false,
    occludedFraction: 0,
    ...extra,
  });

  it('a pose scaled by 0.8 (anywhere in space) gives 0.8; unlabelled ends drop their bones', () => {
    const small = gt.map((p) => p.map((v, c) => 0.8 * v + [100, -50, 700][c]!));
    const r = boneLengthRatio([person(small), person(small)], edges)!;
    expect(r.mean).toBeCloseTo(0.8, 12);
    expect(r.median).toBeCloseTo(0.8, 12);
    expect(r.bones).toBe(2 * edges.length);
    const valid = gt.map((_, j) => j !== 0); // the pelvis ends 3 bones (lhip, rhip, spi1)
    expect(boneLengthRatios(person(small, { valid }), edges)).toHaveLength(edges.length - 3);
    expect(boneLengthRatio([person(small, { valid: gt.map(() => false) })], edges)).toBeNull();
  });

  it('mean and median over all (person, bone) pairs; zero-length true bones are left out', () => {
    const two = [
      [0, 0, 0],
      [0, 0, 100],
    ];
    const bone = [[0, 1]] as const;
    const p = (len: number): Person3d => ({
      ...person([
        [0, 0, 0],
        [0, 0, len],
      ]),
      gt: two,
      valid: [true, true],
    });
    const r = boneLengthRatio([p(50), p(100), p(300)], bone)!;
    expect(r).toEqual({ mean: 1.5, median: 1, bones: 3 });
    expect(boneLengthRatio([p(50), p(300)], bone)!.median).toBeCloseTo(1.75, 12);
    const zero = { ...p(50), gt: [two[0]!, two[0]!] };
    expect(boneLengthRatios(zero, bone)).toEqual([]);
  });

  it('per subset, and as a column of the 3D table', () => {
    const people = [
      person(gt),
      person(
        gt.map((q) => q.map((v) => v * 0.5)),
        { truncated: true },
      ),
    ];
    const ratios = bySubset(people, (g) => boneLengthRatio(g, edges));
    expect(ratios.all!.mean).toBeCloseTo(0.75, 12);
    expect(ratios.truncated!.mean).toBeCloseTo(0.5, 12);
    expect(ratios.not_truncated!.mean).toBeCloseTo(1, 12);
    expect(ratios.occluded).toBeNull();
    const table = metricsTable(subsetMetrics(people, 0), ratios);
    expect(table).toMatch(/^subset\s+people\s+MPJPE.*MRPE-z\s+bone ratio\n/);
    expect(table).toMatch(/\nall\s+2\s.*\s0\.750\n/);
    expect(table).toMatch(/\noccluded\s+0\s.*–\n/);
  });
});

// ---------------------------------------------------------------------------------------------
// The camera of an example

describe('the camera eval gives the estimator', () => {
  const camera: ReadLabels['camera'] = {
    intrinsic_matrix: [
      [3000, 0, 100],
      [0, 3000, 150],
      [0, 0, 1],
    ],
    distortion_coeffs: [0.1],
    extrinsic_matrix: null,
    world_up: [0, -1, 0],
  };
  it("the labels' camera, unless they say it is assumed: then the default (55°) camera", () => {
    expect(exampleCamera({ camera })).toEqual({
      intrinsicMatrix: camera.intrinsic_matrix,
      distortionCoeffs: [0.1],
      worldUpVector: [0, -1, 0],
    });
    expect(cameraAssumed({ meta: { camera_assumed: false } })).toBe(false);
    expect(exampleCamera({ camera, meta: { camera_assumed: false } }).intrinsicMatrix).toBe(
      camera.intrinsic_matrix,
    );
    expect(cameraAssumed({ meta: { camera_assumed: true } })).toBe(true);
    expect(exampleCamera({ camera, meta: { camera_assumed: true } })).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// The command

type LabelFile = Pick<ExampleLabels, 'image' | 'camera' | 'people'>;

async function writeDataset(
  dir: string,
  skeletonName: string,
  image: Uint8Array,
  labels: Omit<ExampleLabels, 'key' | 'image'>,
): Promise<void> {
  const writer = await DatasetWriter.open({
    outDir: dir,
    name: `eval-2d-${skeletonName}`,
    skeleton: skeletonInfo(skeletonName),
    license: 'CC0',
    sources: ['eval-2d.test'],
    generator: { tool: 'eval-2d.test' },
    examplesPerShard: 2,
  });
  const { width, height } = imageHeader(image)!;
  const example = (key: string): ShardExample => ({
    key,
    image,
    imageExt: 'jpg',
    labels: { key, image: { file: `${key}.jpg`, width, height }, ...labels },
  });
  await writer.writeShard('validation', 0, [example('000000'), example('000001')]);
}

const LSP_DATASET = join(tmp, 'lsp-2d');
const MIXED_DATASET = join(tmp, 'mixed');

beforeAll(async () => {
  // The sample image's three people as LSPET stores them: lsp_14 2D labels, no 3D, an assumed
  // 8° camera. Person 0 has no label for its left wrist, person 2 none for its shoulders.
  const sample = JSON.parse(readFileSync(`${SAMPLE}.labels.json`, 'utf8')) as LabelFile;
  const { width, height } = sample.image;
  const narrow = Camera.fromFov(8, width, height).intrinsicMatrix;
  const people = sample.people.map((p, i) => {
    const joints2d = convertPoses(p.joints2d, 'lsp_14');
    const valid = LSP.map((n) => !((i === 0 && n === 'lwri') || (i === 2 && n.endsWith('sho'))));
    return {
      box: p.box,
      joints3d: null,
      joints2d: joints2d.map((q, j): Vec2 => (valid[j] ? [q[0]!, q[1]!] : [0, 0])),
      joint_valid: valid.map((v): Flag => (v ? 1 : 0)),
    };
  });
  await writeDataset(LSP_DATASET, 'lsp_14', new Uint8Array(readFileSync(`${SAMPLE}.jpg`)), {
    camera: {
      intrinsic_matrix: [0, 1, 2].map((r) => [0, 1, 2].map((c) => narrow[r * 3 + c]!)),
      distortion_coeffs: [],
      extrinsic_matrix: null,
      world_up: [0, -1, 0],
    },
    people,
    meta: { camera_assumed: true },
  });
  // The toy scene (smpl+head_30) with its third person's 3D labels removed.
  const scene = JSON.parse(readFileSync(join(SCENE, 'labels.json'), 'utf8')) as LabelFile;
  scene.people[2]!.joints3d = null;
  await writeDataset(MIXED_DATASET, CANONICAL_SKELETON, readFileSync(join(SCENE, 'image.jpg')), {
    camera: scene.camera,
    people: scene.people,
  });
});

const finiteFraction = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;

describe('metrabs eval --dataset with 2D labels only', { timeout: 120_000 }, () => {
  it('default model: PCK@0.2·torso in the report, the table and a contact sheet', async () => {
    const out = join(tmp, 'lsp.json');
    const sheet = join(tmp, 'lsp.png');
    const args = ['eval', '--model', DEFAULT_MODEL, '--dataset', LSP_DATASET];
    const r = await metrabs([...args, '--split', 'validation', '--out', out, '--sheet', sheet]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^eval-2d-lsp_14 \/ validation: 2 images, 6 people with 2D labels only, num-aug 1/,
    );
    expect(r.stdout).toMatch(
      /\n2D labels only: PCK@0\.2·torso of 4 people \(not scored: 2 no torso .*\); 2 images with an assumed camera estimated with the default 55° field of view\n/,
    );
    expect(r.stdout).toMatch(/\nlimbs\s+\d+\.\d %\s+46\n/);
    expect(r.stdout).not.toMatch(/MPJPE/);
    expect(r.stderr).toMatch(/evaluating 14 of 14 joints of lsp_14/);

    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.settings).toMatchObject({
      outputSkeleton: 'lsp_14',
      numAug: 1,
      pck2d: { fraction: 0.2, torso: ['lsho–rhip', 'rsho–lhip'] },
    });
    expect(report.settings.pck2d.limbJoints).toHaveLength(12);
    expect(report.settings.camera).toMatch(/camera_assumed.*55°/);
    expect(report.counts).toEqual({
      images: 2,
      people: 0,
      peopleWithout3d: 6,
      peopleExcluded: 0,
      imagesCameraAssumed: 2,
    });
    expect(report.metrics).toBeNull();
    expect(report.boneLengthRatio).toBeNull();
    const m = report.metrics2d;
    expect(m.people).toBe(4);
    expect(m.skipped.total).toBe(2);
    // 2 × (12 limb joints of person 0 without its left wrist + 12 of person 1).
    expect(m.joints).toBe(46);
    expect(Object.keys(m.per_joint)).toEqual([...LSP.slice(0, 12), 'neck', 'htop']);
    expect(m.per_joint.lwri.joints).toBe(2);
    expect(Object.keys(m.per_type)).toEqual(['ankle', 'knee', 'hip', 'wrist', 'elbow', 'shoulder']);
    for (const v of [m.pck, ...Object.values(m.per_joint).map((j) => (j as { pck: number }).pck)]) {
      expect(finiteFraction(v), String(v)).toBe(true);
    }
    for (const v of Object.values(m.per_type)) {
      expect(finiteFraction((v as { pck: number }).pck)).toBe(true);
    }
    expect(Number.isFinite(m.mean_error_px) && m.mean_error_px >= 0).toBe(true);
    expect(Number.isFinite(m.mean_error_torso) && m.mean_error_torso >= 0).toBe(true);
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(600); // two [predicted | labels] pairs side by side

    const json = await metrabs([...args, '--split', 'validation', '--json', '--limit', '1']);
    expect(json.code, json.stderr).toBe(0);
    const limited = JSON.parse(json.stdout);
    expect(limited.counts.images).toBe(1);
    expect(limited.metrics2d.people).toBe(2);
    expect(finiteFraction(limited.metrics2d.pck)).toBe(true);
  });

  it('a mixed split: 3D people get the 3D metrics and the bone ratio, 2D-only people PCK', async () => {
    const r = await metrabs([
      'eval',
      '--model',
      TINY_MODEL,
      '--dataset',
      MIXED_DATASET,
      '--split',
      'validation',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.counts).toEqual({
      images: 2,
      people: 4,
      peopleWithout3d: 2,
      peopleExcluded: 0,
      imagesCameraAssumed: 0,
    });
    expect(report.metrics.all.people).toBe(4);
    expect(report.metrics2d.people).toBe(2);
    expect(report.metrics2d.joints).toBe(24);
    expect(finiteFraction(report.metrics2d.pck)).toBe(true);
    const bones = getSkeleton(CANONICAL_SKELETON).edges.length;
    expect(report.boneLengthRatio.all.bones).toBe(4 * bones);
    expect(report.boneLengthRatio.truncated).toBeNull();
    for (const v of [report.boneLengthRatio.all.mean, report.boneLengthRatio.all.median]) {
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }
    const table = await metrabs([
      'eval',
      '--model',
      TINY_MODEL,
      '--dataset',
      MIXED_DATASET,
      '--split',
      'validation',
    ]);
    expect(table.stdout).toMatch(/: 2 images, 4 people, 2 people with 2D labels only, num-aug 1/);
    expect(table.stdout).toMatch(/\nsubset\s+people\s+.*bone ratio\n/);
    expect(table.stdout).toMatch(/\nall\s+4\s.*\d\.\d{3}\n/);
    expect(table.stdout).toMatch(/\n2D labels only: PCK@0\.2·torso of 2 people\n/);
  });
});
