/**
 * `metrabs eval`: the metric aggregation and annotation parsing as pure functions (with exact
 * ground truth and known offsets), then the command end to end (in process) with the toy model
 * `fixtures/model-tiny` on a tiny dataset written here from `fixtures/toy-scene` — its poses are
 * meaningless, so only counts, finiteness and exit codes are checked — and on two real images
 * of ../shared/data/real (skipped without the shared data, except in CI).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSkeleton } from '@metrabs/core';
import {
  DatasetWriter,
  imageHeader,
  type ShardExample,
  skeletonInfo,
  upInCamera,
} from '@metrabs/synth';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../test-support/shared-data.js';
import {
  BaselineError,
  type ComparedPerson,
  compareWithBaseline,
  hipCentred,
  parseBaselinePredictions,
  personKey,
} from '../src/eval/baseline.js';
import {
  chooseOutputSkeleton,
  jointCorrespondence,
  metricsTable,
  occludedFraction,
  type Person2d,
  type Person3d,
  pck2dMetrics,
  poseMetrics,
  subsetMetrics,
} from '../src/eval/metrics.js';
import { parseCocoKeypoints, parseMpii } from '../src/eval/real.js';
import { runMetrabsInProcess } from './run-cli.js';

const MODEL = fileURLToPath(new URL('../../../fixtures/model-tiny', import.meta.url));
const SCENE = fileURLToPath(new URL('../../../fixtures/toy-scene', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'metrabs-eval-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Pure parts

/** A J×3 pose with distinct joints, about 4 m in front of the camera. */
function pose(j = 5): number[][] {
  return Array.from({ length: j }, (_, i) => [i * 100 - 200, i * 37 - 100, 4000 + i * 20]);
}
const shift = (p: number[][], d: number[]) => p.map((r) => r.map((v, c) => v + d[c]!));

function person(pred: number[][], gt: number[][], extra: Partial<Person3d> = {}): Person3d {
  return {
    pred,
    gt,
    valid: gt.map(() => true),
    truncated: false,
    occludedFraction: 0,
    ...extra,
  };
}

describe('3D metric aggregation', () => {
  it('exact ground truth: MPJPE 0, PCK 100 %, AUC 100 %, MRPE 0', () => {
    const gt = pose();
    const m = poseMetrics([person(gt, gt), person(shift(gt, [5, 5, 5]), shift(gt, [5, 5, 5]))], 0)!;
    expect(m.people).toBe(2);
    expect(m.mpjpe).toBeCloseTo(0, 9);
    expect(m.pa_mpjpe).toBeCloseTo(0, 6);
    expect(m.pck).toBe(1);
    expect(m.auc).toBe(1);
    expect(m.mrpe).toBeCloseTo(0, 9);
  });

  it('a translation moves only MRPE; a joint offset gives a known MPJPE / PCK', () => {
    const gt = pose();
    // The whole pose 300 mm deeper: root-relative metrics are perfect, MRPE = 300 = its z part.
    const deeper = poseMetrics([person(shift(gt, [0, 0, 300]), gt)], 0)!;
    expect(deeper.mpjpe).toBeCloseTo(0, 9);
    expect(deeper.pck).toBe(1);
    expect(deeper.mrpe).toBeCloseTo(300, 9);
    expect(deeper.mrpe_z).toBeCloseTo(300, 9);
    expect(deeper.mrpe_x).toBeCloseTo(0, 9);
    // One of 5 joints off by 200 mm (beyond the 150 mm PCK threshold): MPJPE 40, PCK 80 %.
    const bent = gt.map((r, i) => (i === 3 ? [r[0]! + 200, r[1]!, r[2]!] : r));
    const m = poseMetrics([person(bent, gt)], 0)!;
    expect(m.mpjpe).toBeCloseTo(40, 9);
    expect(m.pck).toBeCloseTo(0.8, 12);
    // AUC over 0, 5, …, 150 mm: 4 joints always in, the 200 mm joint never.
    expect(m.auc).toBeCloseTo(0.8, 12);
    expect(m.mrpe).toBeCloseTo(0, 9);
    // Masking the bad joint out: perfect again.
    const masked = poseMetrics([person(bent, gt, { valid: [true, true, true, false, true] })], 0)!;
    expect(masked.mpjpe).toBeCloseTo(0, 9);
    expect(masked.pck).toBe(1);
  });

  it('subsets: truncated / occluded (> 25 % of the valid joints) and their complements', () => {
    const gt = pose(8);
    const occ = [1, 1, 1, 0, 0, 0, 0, 0]; // 3 of 8 = 37.5 %
    expect(
      occludedFraction(
        gt.map(() => 1),
        occ,
      ),
    ).toBeCloseTo(0.375);
    expect(occludedFraction([1, 1, 0, 0, 0, 0, 0, 0], occ)).toBeCloseTo(1); // 2 of 2 valid
    expect(occludedFraction([0, 0, 0], [1, 1, 1])).toBe(0);
    const people = [
      person(gt, gt, { truncated: true }),
      person(shift(gt, [0, 0, 100]), gt, { occludedFraction: 0.375 }),
      person(gt, gt, { occludedFraction: 0.25 }), // not occluded: the rule is "more than 25 %"
    ];
    const s = subsetMetrics(people, 0);
    expect(s.all!.people).toBe(3);
    expect(s.truncated!.people).toBe(1);
    expect(s.not_truncated!.people).toBe(2);
    expect(s.occluded!.people).toBe(1);
    expect(s.occluded!.mrpe).toBeCloseTo(100, 9);
    expect(s.not_occluded!.people).toBe(2);
    expect(s.all!.mrpe).toBeCloseTo(100 / 3, 9);
    expect(subsetMetrics([people[0]!], 0).occluded).toBeNull();
    const table = metricsTable(s);
    expect(table).toMatch(/^subset\s+people\s+MPJPE\s+PA-MPJPE\s+PCK@150\s+AUC\s+MRPE\s+MRPE-z/);
    expect(table).toMatch(/\nall\s+3\s+0\.0\s+0\.0\s+100\.0 %/);
  });

  it('2D PCK: box-normalised, PCKh where head lengths exist, pooled over joint counts', () => {
    const gt = [
      [100, 100],
      [150, 100],
      [100, 300],
    ];
    const off = (d: number) => gt.map(([x, y], i) => (i === 2 ? [x! + d, y!] : [x!, y!]));
    const a: Person2d = {
      pred: off(30),
      gt,
      valid: [true, true, true],
      boxSize: 200,
      headLength: null,
    };
    const b: Person2d = {
      pred: off(10),
      gt,
      valid: [true, true, true],
      boxSize: 200,
      headLength: 10,
    };
    const c: Person2d = {
      pred: [...off(0), [0, 0]],
      gt: [...gt, [5, 5]],
      valid: [true, true, true, false],
      boxSize: 50,
      headLength: null,
    };
    const m = pck2dMetrics([a, b, c]);
    expect(m.people).toBe(3);
    expect(m.joints).toBe(9);
    // Threshold 0.1 × 200 = 20 px: a misses one joint, b and c hit all.
    expect(m.pck_bbox).toBeCloseTo(8 / 9, 12);
    // PCKh@0.5 only for b (head 10 px → 5 px): its 10 px error misses.
    expect(m.pckh).toBeCloseTo(2 / 3, 12);
    expect(m.mean_error_px).toBeCloseTo(40 / 9, 12);
    expect(pck2dMetrics([]).pck_bbox).toBeNull();
  });

  it('joint correspondences and the output skeleton', () => {
    const c = jointCorrespondence(['a', 'b', 'c'], ['c', 'x', 'a']);
    expect(c).toEqual({ pred: [2, 0], gt: [0, 2], names: ['c', 'a'] });
    expect(chooseOutputSkeleton(['smpl+head_30', 'coco_17'], 'smpl+head_30', 'coco_17')).toBe(
      'coco_17',
    );
    expect(chooseOutputSkeleton(['h36m_17'], 'h36m_17', 'coco_17')).toBe('h36m_17');
    expect(upInCamera([0, -1, 0], null)).toEqual([0, -1, 0]);
    const rx = [
      [1, 0, 0, 0],
      [0, 0, -1, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
    ];
    expect(upInCamera([0, -1, 0], rx)).toEqual([0, 0, -1]);
  });
});

describe('real-image annotations', () => {
  it('COCO-style keypoints map onto a registry skeleton by name; crowd and empty are dropped', () => {
    const names = ['left_shoulder', 'head', 'right_ankle'];
    const raw = {
      categories: [{ keypoints: names }],
      images: [
        { id: 7, file_name: 'a.jpg' },
        { id: 8, file_name: 'b.jpg' },
      ],
      annotations: [
        {
          image_id: 7,
          iscrowd: 0,
          bbox: [1, 2, 30, 40],
          keypoints: [10, 11, 2, 5, 5, 2, 20, 21, 1],
        },
        { image_id: 7, iscrowd: 0, bbox: [1, 2, 30, 40], keypoints: [0, 0, 0, 5, 5, 2, 0, 0, 0] },
        {
          image_id: 8,
          iscrowd: 1,
          bbox: [1, 2, 30, 40],
          keypoints: [10, 11, 2, 5, 5, 2, 20, 21, 1],
        },
      ],
    };
    const set = parseCocoKeypoints(raw, 'coco_17', 'test');
    const joints = getSkeleton('coco_17').jointNames;
    expect(set.images).toHaveLength(1);
    expect(set.images[0]!.file).toBe('a.jpg');
    const p = set.images[0]!.people;
    expect(p).toHaveLength(1); // the second has only "head", which coco_17 lacks
    expect(p[0]!.box).toEqual([1, 2, 30, 40]);
    expect(p[0]!.joints2d[joints.indexOf('lsho')]).toEqual([10, 11]);
    expect(p[0]!.joints2d[joints.indexOf('rank')]).toEqual([20, 21]);
    expect(p[0]!.valid.filter(Boolean)).toHaveLength(2);
    expect(() => parseCocoKeypoints({}, 'coco_17')).toThrow(/COCO-style/);
  });

  it('MPII: 0-based coordinates, a square box of 200 × scale, head length neck → top', () => {
    const joints = Array.from({ length: 16 }, (_, j) => [101 + j, 201]);
    joints[8] = [101, 101];
    joints[9] = [101, 61];
    const vis = joints.map((_, j) => (j === 0 ? 0 : 1));
    const set = parseMpii([
      { image: 'm.jpg', joints, joints_vis: vis, center: [101, 151], scale: 0.5 },
    ]);
    const p = set.images[0]!.people[0]!;
    expect(set.skeleton).toBe('mpii_16');
    expect(p.box).toEqual([50, 100, 100, 100]);
    expect(p.joints2d[1]).toEqual([101, 200]);
    expect(p.joints2d[0]).toEqual([0, 0]);
    expect(p.valid[0]).toBe(false);
    expect(p.headLength).toBeCloseTo(40);
    expect(() => parseMpii([{ image: 'x.jpg', joints: [] }])).toThrow(/malformed MPII/);
  });
});

// ---------------------------------------------------------------------------------------------
// The command

describe('peer baseline (--baseline)', () => {
  const header = (extra: object = {}) =>
    JSON.stringify({
      format: 'metrabs-baseline-predictions',
      version: 1,
      model: 'test',
      joint_names: ['lhip', 'rhip', 'lsho'],
      ...extra,
    });
  const row = (extra: object = {}) =>
    JSON.stringify({
      key: '000001',
      person: 2,
      detected: true,
      joints3d: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      joints2d: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      ...extra,
    });

  it('parses the predictions file and rejects malformed ones, naming the line', () => {
    const ok = parseBaselinePredictions(
      `${header()}\n${row()}\n${row({ person: 3, detected: false, joints3d: null })}\n`,
    );
    expect(ok.header.joint_names).toEqual(['lhip', 'rhip', 'lsho']);
    expect(ok.rows.get(personKey('000001', 2))?.joints3d?.[2]).toEqual([7, 8, 9]);
    expect(ok.rows.get(personKey('000001', 3))).toMatchObject({ detected: false, joints3d: null });
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['{"format":"x"}', /line 1: not a metrabs-baseline-predictions header/],
      [header({ version: 2 }), /version 2 is not supported/],
      [header({ joint_names: ['a', 'a'] }), /repeated joint names/],
      [`${header()}\n{nope`, /line 2: not JSON/],
      [`${header()}\n${row({ joints3d: [[1, 2, 3]] })}`, /line 2: joints3d must be 3 finite/],
      [
        `${header()}\n${row({
          joints2d: [
            [1, 2],
            [3, 4],
            [5, null],
          ],
        })}`,
        /line 2: joints2d/,
      ],
      [`${header()}\n${row()}\n${row()}`, /line 3: person 000001#2 is listed twice/],
      [`${header()}\n{"key":1,"person":0}`, /line 2: needs "key"/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseBaselinePredictions(text), text).toThrow(BaselineError);
      expect(() => parseBaselinePredictions(text), text).toThrow(message);
    }
  });

  it('hip-centred scores: translation-free, known offsets give known MPJPE / PCK / 2D error', () => {
    expect(
      hipCentred(
        [
          [0, 0, 10],
          [2, 4, 10],
          [5, 5, 5],
        ],
        0,
        1,
      ),
    ).toEqual([
      [-1, -2, 0],
      [1, 2, 0],
      [4, 3, -5],
    ]);
    const gt3d = pose(6);
    const gt2d = gt3d.map(([x, y, z]) => [(500 * x!) / z! + 320, (500 * y!) / z! + 240]);
    const people: ComparedPerson[] = [0, 1].map(() => ({
      gt3d,
      gt2d,
      ours3d: shift(gt3d, [300, -50, 900]), // absolute error only: hip-centred error 0
      ours2d: gt2d.map((p) => [...p]),
      base3d: gt3d.map((p, j) => (j === 4 ? [p[0]! + 60, p[1]!, p[2]!] : [...p])),
      base2d: gt2d.map(([u, v]) => [u! + 30, v!]), // 30 px off, box 200 px → outside 0.1 · 200
      valid3d: gt3d.map(() => true),
      valid2d: gt3d.map((_, j) => j !== 5),
      boxSize: 200,
    }));
    const c = compareWithBaseline(people, [0, 1])!;
    expect(c.people).toBe(2);
    expect(c.ours.mpjpe).toBeCloseTo(0, 9);
    expect(c.ours.pa_mpjpe).toBeCloseTo(0, 6);
    expect(c.ours.pck).toBe(1);
    expect(c.ours.pck2d_bbox).toBe(1);
    expect(c.ours.mean_error_px).toBeCloseTo(0, 9);
    expect(c.baseline.mpjpe).toBeCloseTo(60 / 6, 9); // one of 6 joints off by 60 mm
    expect(c.baseline.pck).toBe(1);
    expect(c.baseline.pa_mpjpe).toBeGreaterThan(0); // least squares spreads the one outlier
    expect(c.baseline.pck2d_bbox).toBe(0);
    expect(c.baseline.mean_error_px).toBeCloseTo(30, 9);
    expect(compareWithBaseline([], [0, 1])).toBeNull();
  });
});

const metrabs = runMetrabsInProcess;

const DATASET = join(tmp, 'toy-dataset');

/** 3 images (2 shards) of the toy scene, 3 people each; image 1: a truncated and an occluded person. */
async function writeToyDataset(dir: string): Promise<void> {
  const scene = JSON.parse(readFileSync(join(SCENE, 'labels.json'), 'utf8'));
  const image = new Uint8Array(readFileSync(join(SCENE, 'image.jpg')));
  const { width, height } = imageHeader(image)!;
  const writer = await DatasetWriter.open({
    outDir: dir,
    name: 'toy-eval',
    skeleton: skeletonInfo('smpl+head_30'),
    license: 'CC0',
    sources: ['fixtures/toy-scene'],
    generator: { tool: 'eval.test' },
    examplesPerShard: 2,
  });
  const example = (i: number): ShardExample => {
    const key = String(i).padStart(6, '0');
    const people = structuredClone(scene.people);
    if (i === 1) {
      people[0].truncated = true;
      people[1].occluded = people[1].occluded.map((_: number, j: number) => (j < 10 ? 1 : 0));
    }
    return {
      key,
      image,
      imageExt: 'jpg',
      labels: { key, image: { file: `${key}.jpg`, width, height }, camera: scene.camera, people },
    };
  };
  await writer.writeShard('test', 0, [example(0), example(1)]);
  await writer.writeShard('test', 1, [example(2)]);
}

beforeAll(async () => {
  await writeToyDataset(DATASET);
});

describe('metrabs eval --dataset (toy model)', { timeout: 60_000 }, () => {
  it('reports finite metrics with the right counts, as a table and as JSON', async () => {
    const out = join(tmp, 'report.json');
    const r = await metrabs(['eval', '--model', MODEL, '--dataset', DATASET, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/toy-eval \/ test: 3 images, 9 people, num-aug 1/);
    expect(r.stdout).toMatch(/\nall\s+9\s/);
    expect(r.stdout).toMatch(/\ntruncated\s+1\s/);
    expect(r.stdout).toMatch(/\noccluded\s+1\s/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.format).toBe('metrabs-eval');
    expect(report.settings).toMatchObject({
      split: 'test',
      numAug: 1,
      datasetName: 'toy-eval',
      outputSkeleton: 'smpl+head_30',
      rootJoint: 'pelv',
      pckThresholdMm: 150,
    });
    expect(report.settings.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(report.counts).toEqual({
      images: 3,
      people: 9,
      peopleWithout3d: 0,
      peopleExcluded: 0,
      imagesCameraAssumed: 0,
    });
    expect(report.metrics2d).toBeNull();
    expect(report.boneLengthRatio.all.bones).toBe(9 * 29);
    expect(report.skipped.total).toBe(0);
    expect(report.metrics.not_truncated.people).toBe(8);
    expect(report.metrics.not_occluded.people).toBe(8);
    for (const key of ['mpjpe', 'pa_mpjpe', 'pck', 'auc', 'mrpe', 'mrpe_x', 'mrpe_y', 'mrpe_z']) {
      expect(Number.isFinite(report.metrics.all[key]), key).toBe(true);
    }
    expect(report.metrics.all.pck).toBeGreaterThanOrEqual(0);
    expect(report.metrics.all.pck).toBeLessThanOrEqual(1);
    expect(report.metrics.all.pa_mpjpe).toBeLessThanOrEqual(report.metrics.all.mpjpe + 1e-9);

    const j = await metrabs([
      'eval',
      '--model',
      MODEL,
      '--dataset',
      DATASET,
      '--json',
      '--limit',
      '1',
    ]);
    expect(j.code, j.stderr).toBe(0);
    const limited = JSON.parse(j.stdout);
    expect(limited.counts.images).toBe(1);
    expect(limited.metrics.all.people).toBe(3);
    expect(limited.metrics.truncated).toBeNull();
  });

  it('--baseline: scores another model on the same people (hip-centred), with clear errors', async () => {
    const manifest = JSON.parse(readFileSync(join(DATASET, 'manifest.json'), 'utf8'));
    const names: string[] = manifest.skeleton.joint_names;
    const shared = ['lhip', 'rhip', 'lkne', 'rkne', 'lsho', 'rsho', 'nose'];
    const idx = shared.map((n) => names.indexOf(n));
    const scene = JSON.parse(readFileSync(join(SCENE, 'labels.json'), 'utf8'));
    const lines = [
      JSON.stringify({
        format: 'metrabs-baseline-predictions',
        version: 1,
        model: 'oracle',
        split: 'test',
        joint_names: shared,
      }),
    ];
    // Images 0 and 1: the ground truth itself (hip-centred), person 2 of image 0 missed;
    // image 2 is not in the file.
    for (const key of ['000000', '000001']) {
      scene.people.forEach((p: { joints3d: number[][]; joints2d: number[][] }, i: number) => {
        const detected = !(key === '000000' && i === 2);
        const j3 = hipCentred(
          idx.map((j) => p.joints3d[j]!),
          0,
          1,
        );
        lines.push(
          JSON.stringify({
            key,
            person: i,
            detected,
            joints3d: detected ? j3 : null,
            joints2d: detected ? idx.map((j) => p.joints2d[j]) : null,
          }),
        );
      });
    }
    const file = join(tmp, 'baseline.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await metrabs([
      'eval',
      '--model',
      MODEL,
      '--dataset',
      DATASET,
      '--json',
      '--baseline',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout).baseline;
    expect(b).toMatchObject({
      model: 'oracle',
      joints: ['lhip', 'rhip', 'lkne', 'rkne', 'lsho', 'rsho', 'nose'],
      peopleScored: 5,
      peopleNotDetected: 1,
      peopleMissing: 3,
    });
    expect(b.comparison.baseline.mpjpe).toBeCloseTo(0, 6);
    expect(b.comparison.baseline.pck).toBe(1);
    expect(b.comparison.baseline.pck2d_bbox).toBe(1);
    expect(Number.isFinite(b.comparison.ours.mpjpe)).toBe(true);
    const table = await metrabs([
      'eval',
      '--model',
      MODEL,
      '--dataset',
      DATASET,
      '--baseline',
      file,
    ]);
    expect(table.stdout).toMatch(
      /baseline oracle: scored on the 5 of 9 people it detected \(3 not in its file\); 7 shared joints/,
    );
    expect(table.stdout).toMatch(/\nbaseline\s+0\.0\s+0\.0\s+100\.0 %\s+100\.0 %\s+0\.0/);

    const wrongSplit = join(tmp, 'baseline-val.jsonl');
    writeFileSync(wrongSplit, lines.join('\n').replace('"split":"test"', '"split":"validation"'));
    const corrupt = join(tmp, 'baseline-bad.jsonl');
    writeFileSync(
      corrupt,
      `${lines[0]}\n{"key":"000000","person":0,"detected":true,"joints3d":[]}`,
    );
    const cases: [string[], number, RegExp][] = [
      [['--baseline', wrongSplit], 2, /are for split "validation", not "test"/],
      [['--baseline', corrupt], 3, /baseline-bad\.jsonl: line 2: joints3d must be 7 finite/],
      [['--baseline', join(tmp, 'none.jsonl')], 3, /cannot read the baseline predictions/],
    ];
    for (const [extra, code, message] of cases) {
      const e = await metrabs(['eval', '--model', MODEL, '--dataset', DATASET, ...extra]);
      expect(e.code, e.stderr).toBe(code);
      expect(e.stderr).toMatch(message);
    }
    const real = await metrabs(['eval', '--model', MODEL, '--real', tmp, '--baseline', file]);
    expect(real.code).toBe(2);
  });

  it('exit codes: usage 2, missing or corrupt dataset 3, model 4', async () => {
    const usage = [
      ['eval', '--model', MODEL],
      ['eval', '--model', MODEL, '--dataset', DATASET, '--real', tmp],
      ['eval', '--model', MODEL, '--dataset', DATASET, '--num-aug', '0'],
    ];
    for (const args of usage) {
      const r = await metrabs(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    }
    const missing = await metrabs(['eval', '--model', MODEL, '--dataset', join(tmp, 'none')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /metrabs: error: dataset: .*manifest\.json: no dataset manifest/,
    );
    const noSplit = await metrabs([
      'eval',
      '--model',
      MODEL,
      '--dataset',
      DATASET,
      '--split',
      'train',
    ]);
    expect(noSplit.code).toBe(3);
    expect(noSplit.stderr).toMatch(/no split "train"/);

    const broken = join(tmp, 'broken');
    mkdirSync(join(broken, 'test'), { recursive: true });
    copyFileSync(join(DATASET, 'manifest.json'), join(broken, 'manifest.json'));
    writeFileSync(join(broken, 'test/shard-000000.tar'), Buffer.alloc(2048, 1));
    const corrupt = await metrabs(['eval', '--model', MODEL, '--dataset', broken]);
    expect(corrupt.code).toBe(3);
    expect(corrupt.stderr).toMatch(/shard-000000\.tar: /);
    const manifest = JSON.parse(readFileSync(join(DATASET, 'manifest.json'), 'utf8'));
    writeFileSync(join(broken, 'manifest.json'), JSON.stringify({ ...manifest, version: 9 }));
    const version = await metrabs(['eval', '--model', MODEL, '--dataset', broken]);
    expect(version.code).toBe(3);
    expect(version.stderr).toMatch(/unknown format version 9/);

    const noModel = await metrabs(['eval', '--model', join(tmp, 'no-model'), '--dataset', DATASET]);
    expect(noModel.code).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------
// Real images

const REAL_FILES = [
  'real/mmpose/coco/test_coco.json',
  'real/mmpose/coco/000000040083.jpg',
  'real/mmpose/mpii/test_mpii.json',
  'real/mmpose/mpii/052475643.jpg',
];
const data = sharedData(REAL_FILES, 'eval.test');
const dataNote = data.skip ? ` — SKIPPED: ${data.problem}` : '';

describe.skipIf(data.skip)(
  `metrabs eval --real (toy model)${dataNote}`,
  { timeout: 60_000 },
  () => {
    it('evaluates one COCO and one MPII image, per set, with a contact sheet', async () => {
      // A real-image folder with one image of each set (annotations filtered to it).
      const real = join(tmp, 'real');
      mkdirSync(join(real, 'mmpose/coco'), { recursive: true });
      mkdirSync(join(real, 'mmpose/mpii'), { recursive: true });
      const coco = JSON.parse(readFileSync(data.path(REAL_FILES[0]!), 'utf8'));
      const id = coco.images.find(
        (i: { file_name: string }) => i.file_name === '000000040083.jpg',
      ).id;
      coco.images = coco.images.filter((i: { id: number }) => i.id === id);
      coco.annotations = coco.annotations.filter((a: { image_id: number }) => a.image_id === id);
      writeFileSync(join(real, REAL_FILES[0]!.slice(5)), JSON.stringify(coco));
      copyFileSync(data.path(REAL_FILES[1]!), join(real, REAL_FILES[1]!.slice(5)));
      const mpii = JSON.parse(readFileSync(data.path(REAL_FILES[2]!), 'utf8')).filter(
        (a: { image: string }) => a.image === '052475643.jpg',
      );
      writeFileSync(join(real, REAL_FILES[2]!.slice(5)), JSON.stringify(mpii));
      copyFileSync(data.path(REAL_FILES[3]!), join(real, REAL_FILES[3]!.slice(5)));

      const sheet = join(tmp, 'sheet.png');
      const out = join(tmp, 'real.json');
      const r = await metrabs([
        'eval',
        '--model',
        MODEL,
        '--real',
        real,
        '--sheet',
        sheet,
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\ncoco\s+1\s+2\s/); // 2 annotated people (the third has no keypoints)
      expect(r.stdout).toMatch(/\nmpii\s+1\s+1\s/);
      expect(r.stdout).toMatch(/\noverall\s+2\s+3\s/);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(Object.keys(report.sets)).toEqual(['coco', 'mpii']);
      expect(report.sets.coco).toMatchObject({ images: 1, people: 2, skeleton: 'coco_17' });
      expect(report.sets.mpii).toMatchObject({ images: 1, people: 1, skeleton: 'mpii_16' });
      expect(report.sets.mpii.pckh).not.toBeNull();
      expect(report.sets.coco.pckh).toBeNull();
      expect(report.overall.people).toBe(3);
      for (const v of [report.overall.pck_bbox, report.sets.mpii.pckh]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      const meta = await sharp(sheet).metadata();
      expect(meta.format).toBe('png');
      expect(meta.height).toBeGreaterThan(300);
    });

    it('a missing real-image folder → exit 3', async () => {
      const r = await metrabs(['eval', '--model', MODEL, '--real', join(tmp, 'no-real')]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/real image folder .* does not exist/);
    });
  },
);
