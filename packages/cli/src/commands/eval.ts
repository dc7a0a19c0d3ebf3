/**
 * `metrabs eval`: the accuracy of a model package measured with the shipped inference pipeline
 * (ONNX model + TypeScript crops and reconstruction, `Pose3DEstimator.estimatePoses` with the
 * ground-truth boxes), either on a split of a dataset in the metrabs format (3D metrics and
 * bone-length ratios per subset; PCK@0.2·torso for people with 2D labels only) or on the
 * annotated real images of ../shared/data/real (2D PCK per set).
 * Definitions: docs/evaluation.md; the pure parts live in ../eval/.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FOV_DEGREES, getSkeleton } from '@metrabs/core';
import type { ReadLabels } from '@metrabs/synth';
import { DatasetError, type DatasetReader, openDataset, SkipLog, upInCamera } from '@metrabs/synth';
import { EXIT, type ExitCode, InputError, ModelError, oneLine, UsageError } from '../errors.js';
import {
  BaselineError,
  type BaselinePredictions,
  type ComparedPerson,
  compareWithBaseline,
  comparisonTable,
  parseBaselinePredictions,
  personKey,
} from '../eval/baseline.js';
import {
  boneLengthRatio,
  bySubset,
  categoryJointsOf,
  cell,
  chooseOutputSkeleton,
  jointCorrespondence,
  labelledCategory,
  metricsTable,
  occludedFraction,
  type Pck2dMetrics,
  type Person2d,
  type Person3d,
  PROTOCOL,
  pck2dMetrics,
  pck2dTable,
  subsetMetrics,
} from '../eval/metrics.js';
import { AnnotationError, parseRealSet, REAL_SETS, type RealSet } from '../eval/real.js';
import {
  TORSO_PCK,
  type TorsoPckMetrics,
  type TorsoPerson,
  torsoPckMetrics,
  torsoPckTable,
} from '../eval/torso-pck.js';
import { stringifyJson } from '../format.js';
import {
  type Estimator,
  loadRuntime,
  openEstimator,
  type PoseOptions,
  type RgbImage,
} from '../pipeline.js';
import { createProgress } from '../progress.js';
import { contactSheet } from '../render/contact-sheet.js';
import { overlayPng, scenePng } from '../render/raster.js';
import type { Io } from './detect.js';

export interface EvalOptions {
  model?: string;
  dataset?: string;
  /** `--real [dir]`: true without a value. */
  real?: string | boolean;
  split: string;
  numAug?: number;
  limit?: number;
  out?: string;
  json?: boolean;
  sheet?: string;
  threads?: number;
  progressEvery?: number;
  /** Another model's predictions on the same split, scored alongside (docs/evaluation.md). */
  baseline?: string;
}

/** Default test-time augmentations of `eval`: 1, as the trainer's evaluation (no augmentation). */
export const EVAL_DEFAULT_NUM_AUG = 1;

/** `../shared/data/real` beside the repository. */
export const DEFAULT_REAL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../../shared/data/real',
);

/** `--real DIR`, else `$METRABS_ASSETS/real`, else ../shared/data/real beside the repository. */
export function resolveRealDir(real: string | boolean | undefined): string {
  if (typeof real === 'string') return resolve(real);
  const assets = process.env['METRABS_ASSETS'];
  return assets ? resolve(assets, 'real') : DEFAULT_REAL_DIR;
}

function checkOptions(options: EvalOptions): 'dataset' | 'real' {
  const real = options.real !== undefined && options.real !== false;
  if (real && options.dataset !== undefined) {
    throw new UsageError('give either --dataset DIR or --real [DIR], not both');
  }
  if (!real && options.dataset === undefined) {
    throw new UsageError('nothing to evaluate: give --dataset DIR or --real [DIR]');
  }
  if (options.baseline !== undefined && real) {
    throw new UsageError('--baseline needs --dataset (predictions for a dataset split)');
  }
  return real ? 'real' : 'dataset';
}

function writeOutput(path: string, text: string | Buffer, what: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    throw new InputError(`cannot write the ${what} ${path}: ${oneLine(e)}`);
  }
}

function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function estimate(
  estimator: Estimator,
  image: RgbImage,
  boxes: number[][],
  o: PoseOptions,
  where: string,
) {
  try {
    return await estimator.estimatePoses(image, boxes, o);
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'GeometryError' || e instanceof RangeError) {
      throw new InputError(`${where}: ${oneLine(e)}`);
    }
    throw e;
  }
}

/** The labels say their camera is a guess (`meta.camera_assumed`, e.g. LSPET's 8° field of view). */
export function cameraAssumed(labels: Pick<ReadLabels, 'meta'>): boolean {
  return labels.meta?.['camera_assumed'] === true;
}

/**
 * The camera given to the estimator for an example: the labels' intrinsics, distortion and world
 * up; none when the labels' camera is only assumed, so that the estimator uses its default for
 * unknown intrinsics (a field of view of `DEFAULT_FOV_DEGREES`), as a user's photo gets.
 */
export function exampleCamera(
  labels: Pick<ReadLabels, 'camera' | 'meta'>,
): Pick<PoseOptions, 'intrinsicMatrix' | 'distortionCoeffs' | 'worldUpVector'> {
  if (cameraAssumed(labels)) return {};
  const cam = labels.camera;
  return {
    intrinsicMatrix: cam.intrinsic_matrix,
    distortionCoeffs: cam.distortion_coeffs,
    worldUpVector: upInCamera(cam.world_up, cam.extrinsic_matrix),
  };
}

/** `--sheet` with `--dataset` draws at most this many images (the first ones evaluated). */
export const DATASET_SHEET_MAX_IMAGES = 40;

/** A labelled 2D pose for the overlay: joints without a label are left out (holes are not drawn). */
function labelledPose(joints2d: number[][], valid: ArrayLike<number>): number[][] {
  const pose = new Array<number[]>(joints2d.length);
  joints2d.forEach((p, j) => {
    if (valid[j] === 1) pose[j] = p;
  });
  return pose;
}

export async function runEval(options: EvalOptions, io: Io): Promise<ExitCode> {
  const mode = checkOptions(options);
  return mode === 'dataset' ? evalDataset(options, io) : evalReal(options, io);
}

// ---------------------------------------------------------------------------------------------
// Dataset splits (3D)

async function openReader(dir: string, split: string): Promise<DatasetReader> {
  try {
    const reader = await openDataset(dir);
    reader.split(split);
    return reader;
  } catch (e) {
    if (e instanceof DatasetError) throw new InputError(`dataset: ${e.message}`);
    throw e;
  }
}

function loadBaseline(file: string, split: string): BaselinePredictions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the baseline predictions ${file}: ${oneLine(e)}`);
  }
  let parsed: BaselinePredictions;
  try {
    parsed = parseBaselinePredictions(text);
  } catch (e) {
    if (e instanceof BaselineError) throw new InputError(`${file}: ${e.message}`);
    throw e;
  }
  const made = parsed.header.split;
  if (made !== undefined && made !== split) {
    throw new UsageError(
      `the baseline predictions in ${file} are for split "${made}", not "${split}"`,
    );
  }
  return parsed;
}

/** Joint indices shared by the baseline, our output skeleton and the ground truth. */
function baselineJoints(baseline: BaselinePredictions, ourNames: string[], gtNames: string[]) {
  const base = new Map(baseline.header.joint_names.map((n, i) => [n, i]));
  const ours = new Map(ourNames.map((n, i) => [n, i]));
  const shared = gtNames
    .map((name, gt) => ({ name, gt, ours: ours.get(name), base: base.get(name) }))
    .filter((j) => j.ours !== undefined && j.base !== undefined);
  const lhip = shared.findIndex((j) => j.name === 'lhip');
  const rhip = shared.findIndex((j) => j.name === 'rhip');
  if (lhip < 0 || rhip < 0) {
    throw new InputError(
      `the baseline, the model and the dataset must all define lhip and rhip (hip-centred comparison); shared joints: ${shared.map((j) => j.name).join(', ') || 'none'}`,
    );
  }
  return {
    names: shared.map((j) => j.name),
    gt: shared.map((j) => j.gt),
    ours: shared.map((j) => j.ours!),
    base: shared.map((j) => j.base!),
    hips: [lhip, rhip] as [number, number],
  };
}

/** The estimator without a detector (evaluation uses the ground-truth boxes). */
async function openEval(options: EvalOptions) {
  const started = performance.now();
  const { estimator, info } = await openEstimator({
    model: options.model,
    detector: false,
    threads: options.threads,
  });
  const rt = await loadRuntime();
  return { started, estimator, info, rt, numAug: options.numAug ?? EVAL_DEFAULT_NUM_AUG };
}

async function evalDataset(options: EvalOptions, io: Io): Promise<ExitCode> {
  const reader = await openReader(options.dataset!, options.split);
  const splitInfo = reader.split(options.split);
  const { started, estimator, info, rt, numAug } = await openEval(options);
  const gtNames = reader.jointNames;
  const categoryIdx = categoryJointsOf(gtNames);
  const wanted = reader.manifest.skeleton.name;
  const outSkeleton = chooseOutputSkeleton(estimator.availableSkeletons(), info.skeleton, wanted);
  const corr = jointCorrespondence([...getSkeleton(outSkeleton).jointNames], gtNames);
  const root = corr.gt.indexOf(PROTOCOL.rootJoint);
  // The dataset skeleton's bones (for the bone-length ratio), as indices into the compared joints.
  const bones = reader.manifest.skeleton.edges
    .map(([a, b]) => [corr.gt.indexOf(a), corr.gt.indexOf(b)] as [number, number])
    .filter(([a, b]) => a >= 0 && b >= 0);
  io.stderr(
    `metrabs: model ${info.dir} (${info.backbone}, ${info.skeleton}) loaded in ${secondsText(performance.now() - started)}; ` +
      `evaluating ${corr.names.length} of ${gtNames.length} joints of ${wanted}\n`,
  );
  const baseline =
    options.baseline === undefined ? null : loadBaseline(options.baseline, options.split);
  const baseJoints =
    baseline === null
      ? null
      : baselineJoints(baseline, [...getSkeleton(outSkeleton).jointNames], gtNames);
  const compared: ComparedPerson[] = [];
  let baselineMissing = 0;
  let baselineUndetected = 0;

  const total =
    options.limit !== undefined ? Math.min(options.limit, splitInfo.examples) : splitInfo.examples;
  const progress = createProgress(`eval ${options.split}`, total, {
    tty: process.stderr.isTTY === true,
    every: options.progressEvery ?? 25,
    write: io.stderr,
    unit: 'images',
  });
  const evalSkips = new SkipLog();
  const people: Person3d[] = [];
  const people2d: TorsoPerson[] = [];
  const sheetPairs: Buffer[][] = [];
  let images = 0;
  let without3d = 0;
  let excluded = 0;
  let camerasAssumed = 0;
  const t0 = performance.now();
  try {
    for await (const ex of reader.examples(options.split, { verifySha256: true })) {
      if (options.limit !== undefined && images >= options.limit) break;
      images++;
      const where = `${ex.shard}:${ex.key}`;
      const labeled = ex.labels.people;
      without3d += labeled.filter((p) => p.joints3d === null).length;
      if (labeled.length === 0) {
        progress.update(images, 0);
        continue;
      }
      let image: RgbImage;
      try {
        image = await rt.loadImage(ex.image);
      } catch (e) {
        evalSkips.add('undecodable image', `${where} (${oneLine(e)})`);
        continue;
      }
      const { width, height } = ex.labels.image;
      if (width > 0 && height > 0 && (image.width !== width || image.height !== height)) {
        evalSkips.add('image size differs from the labels', where);
        continue;
      }
      if (cameraAssumed(ex.labels)) camerasAssumed++;
      const o: PoseOptions = { skeleton: outSkeleton, numAug, ...exampleCamera(ex.labels) };
      const result = await estimate(
        estimator,
        image,
        labeled.map((p) => p.box),
        o,
        where,
      );
      const poses = result.poses3d as number[][][];
      const poses2d = result.poses2d as number[][][];
      labeled.forEach((p, k) => {
        const valid = corr.gt.map((g) => p.joint_valid[g] === 1);
        if (p.joints3d === null) {
          people2d.push({
            pred: corr.pred.map((i) => poses2d[k]![i]!),
            gt: corr.gt.map((g) => p.joints2d[g]!),
            valid,
          });
          return;
        }
        if (root < 0) {
          throw new ModelError(
            `the model's joint set (${outSkeleton}) has no joint "${gtNames[PROTOCOL.rootJoint]}", the root joint of the dataset's skeleton ${wanted}`,
          );
        }
        if (!valid[root] || valid.filter(Boolean).length < 2) {
          excluded++;
          return;
        }
        if (baseline !== null && baseJoints !== null) {
          const row = baseline.rows.get(personKey(ex.key, p.index));
          if (row === undefined) baselineMissing++;
          else if (!row.detected) baselineUndetected++;
          else {
            const j = baseJoints;
            compared.push({
              gt3d: j.gt.map((g) => p.joints3d![g]!),
              gt2d: j.gt.map((g) => p.joints2d[g]!),
              ours3d: j.ours.map((i) => poses[k]![i]!),
              ours2d: j.ours.map((i) => poses2d[k]![i]!),
              base3d: j.base.map((i) => row.joints3d![i]!),
              base2d: j.base.map((i) => row.joints2d![i]!),
              valid3d: j.gt.map((g) => p.joint_valid[g] === 1),
              valid2d: j.gt.map((g) => p.joint_valid[g] === 1 && p.in_image[g] === 1),
              boxSize: Math.max(p.box[2], p.box[3]),
            });
          }
        }
        people.push({
          pred: corr.pred.map((i) => poses[k]![i]!),
          gt: corr.gt.map((g) => p.joints3d![g]!),
          valid,
          truncated: p.truncated,
          occludedFraction: occludedFraction(
            corr.gt.map((g) => p.joint_valid[g]),
            corr.gt.map((g) => p.occluded[g]),
          ),
          category: labelledCategory(
            p.joints3d!,
            p.joint_valid,
            categoryIdx,
            upInCamera(ex.labels.camera.world_up, ex.labels.camera.extrinsic_matrix),
          ),
        });
      });
      if (options.sheet !== undefined && sheetPairs.length < DATASET_SHEET_MAX_IMAGES) {
        sheetPairs.push([
          await overlayPng(image, {
            boxes: result.boxes,
            poses2d,
            jointNames: result.jointNames,
            edges: result.edges,
            caption: `${ex.key}: predicted`,
          }),
          await overlayPng(image, {
            boxes: labeled.map((p) => [...p.box]),
            poses2d: labeled.map((p) => labelledPose(p.joints2d, p.joint_valid)),
            jointNames: gtNames,
            edges: reader.manifest.skeleton.edges,
            caption: `${ex.key}: labels`,
          }),
        ]);
      }
      progress.update(images, labeled.length);
    }
  } catch (e) {
    progress.stop();
    if (e instanceof DatasetError) throw new InputError(`dataset: ${e.message}`);
    throw e;
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const metrics2d = people2d.length > 0 ? torsoPckMetrics(people2d, corr.names) : null;
  if (people.length === 0 && (metrics2d?.people ?? 0) === 0) {
    throw new InputError(
      `split "${options.split}" of ${reader.dir} has no people to evaluate: none with 3D labels` +
        (people2d.length > 0 ? ', none with 2D labels and a torso size' : ' or 2D labels') +
        ` (${images} images read; ${reader.skipped.summary()})`,
    );
  }
  const skipped = reader.skipped.toJSON();
  const extra = evalSkips.toJSON();
  const report = {
    format: 'metrabs-eval',
    version: 1,
    mode: 'dataset',
    settings: {
      model: info.dir,
      modelSkeleton: info.skeleton,
      backbone: info.backbone,
      dataset: reader.dir,
      datasetName: reader.manifest.name,
      split: options.split,
      numAug,
      limit: options.limit ?? null,
      boxes: 'ground truth',
      camera:
        'from the labels (intrinsics, distortion, world up)' +
        (camerasAssumed > 0
          ? `; where they say meta.camera_assumed, the default for unknown intrinsics (${DEFAULT_FOV_DEGREES}° field of view along the longer side)`
          : ''),
      outputSkeleton: outSkeleton,
      joints: corr.names,
      rootJoint: gtNames[PROTOCOL.rootJoint],
      pckThresholdMm: PROTOCOL.pckThresholdMm,
      aucThresholdsMm: { max: PROTOCOL.aucMaxMm, steps: PROTOCOL.aucSteps },
      occludedThreshold: PROTOCOL.occludedThreshold,
      ...(metrics2d !== null
        ? {
            pck2d: {
              metric: `PCK@${TORSO_PCK.fraction}·torso`,
              fraction: TORSO_PCK.fraction,
              torso: TORSO_PCK.torsoPairs.map(([a, b]) => `${a}–${b}`),
              limbJoints: TORSO_PCK.limbJoints,
            },
          }
        : {}),
      date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    counts: {
      images,
      people: people.length,
      peopleWithout3d: without3d,
      peopleExcluded: excluded,
      imagesCameraAssumed: camerasAssumed,
    },
    skipped: {
      total: skipped.total + extra.total,
      reasons: { ...skipped.reasons, ...extra.reasons },
      examples: { ...skipped.examples, ...extra.examples },
    },
    // 3D metrics per subset; PCK@0.2·torso of the people with 2D labels only (null without any).
    metrics: people.length > 0 ? subsetMetrics(people, root) : null,
    boneLengthRatio:
      people.length > 0 ? bySubset(people, (group) => boneLengthRatio(group, bones)) : null,
    metrics2d,
    ...(baseline !== null && baseJoints !== null
      ? {
          baseline: {
            file: resolve(options.baseline!),
            model: baseline.header.model,
            joints: baseJoints.names,
            root: 'midpoint of lhip and rhip',
            peopleScored: compared.length,
            peopleNotDetected: baselineUndetected,
            peopleMissing: baselineMissing,
            comparison: compareWithBaseline(compared, baseJoints.hips),
          },
        }
      : {}),
    seconds,
  };
  if (options.sheet !== undefined && sheetPairs.length > 0) {
    writeOutput(options.sheet, await contactSheet(sheetPairs), 'contact sheet');
    io.stderr(`metrabs: contact sheet written to ${resolve(options.sheet)}\n`);
  }
  if (options.out !== undefined) writeOutput(options.out, `${stringifyJson(report)}\n`, 'report');
  if (options.json) {
    io.stdout(`${stringifyJson(report)}\n`);
  } else {
    const counted = [`${images} images`];
    if (people.length > 0) counted.push(`${people.length} people`);
    if (people2d.length > 0) counted.push(`${people2d.length} people with 2D labels only`);
    io.stdout(
      `${reader.manifest.name} / ${options.split}: ${counted.join(', ')}, ` +
        `num-aug ${numAug}, ${secondsText(seconds * 1000)}\n`,
    );
    if (report.metrics !== null) {
      io.stdout(
        metricsTable(report.metrics, report.boneLengthRatio ?? undefined) +
          `(MPJPE, PA-MPJPE, MRPE in mm; root joint ${gtNames[PROTOCOL.rootJoint]}; occluded: > ${PROTOCOL.occludedThreshold * 100} % of the valid joints; bone ratio: predicted / true bone length, mean)\n`,
      );
    }
    if (metrics2d !== null) io.stdout(torsoPckText(metrics2d, camerasAssumed));
    if (report.baseline) io.stdout(baselineText(report.baseline));
  }
  if (report.skipped.total > 0) {
    io.stderr(
      `metrabs: warning: ${report.skipped.total} records skipped (see "skipped" in the report)\n`,
    );
  }
  if (excluded > 0) {
    io.stderr(
      `metrabs: ${excluded === 1 ? '1 person' : `${excluded} people`} without a valid root joint not scored\n`,
    );
  }
  if (options.out !== undefined) io.stderr(`metrabs: report written to ${resolve(options.out)}\n`);
  return EXIT.ok;
}

/** The 2D-only people's block of the text output: a heading, the table, the definitions. */
function torsoPckText(m: TorsoPckMetrics, camerasAssumed: number): string {
  const skipped = Object.entries(m.skipped.reasons)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  const camera =
    camerasAssumed > 0
      ? `; ${camerasAssumed} images with an assumed camera estimated with the default ${DEFAULT_FOV_DEGREES}° field of view`
      : '';
  return (
    `\n2D labels only: PCK@${TORSO_PCK.fraction}·torso of ${m.people} people` +
    (skipped ? ` (not scored: ${skipped})` : '') +
    `${camera}\n` +
    torsoPckTable(m) +
    `(correct: 2D error ≤ ${TORSO_PCK.fraction} × the torso size |lsho − rhip|, else |rsho − lhip|, of the labels; ` +
    `limbs: ankles, knees, hips, wrists, elbows, shoulders; their mean error ${cell(m.mean_error_px, 1)} px = ${cell(m.mean_error_torso, 3)} torso)\n`
  );
}

function baselineText(b: {
  model: string;
  joints: string[];
  peopleScored: number;
  peopleNotDetected: number;
  peopleMissing: number;
  comparison: ReturnType<typeof compareWithBaseline>;
}): string {
  const all = b.peopleScored + b.peopleNotDetected + b.peopleMissing;
  const head =
    `\nbaseline ${b.model}: scored on the ${b.peopleScored} of ${all} people it detected` +
    (b.peopleMissing > 0 ? ` (${b.peopleMissing} not in its file)` : '') +
    `; ${b.joints.length} shared joints, hip-centred\n`;
  const c = b.comparison;
  if (c === null) return `${head}(no person to compare)\n`;
  return head + comparisonTable(c);
}

// ---------------------------------------------------------------------------------------------
// Real images (2D)

interface LoadedSet {
  set: RealSet;
  folder: string;
}

function loadRealSets(root: string): LoadedSet[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InputError(
      `real image folder ${root} does not exist; pass --real DIR or set METRABS_ASSETS (see docs/evaluation.md)`,
    );
  }
  const out: LoadedSet[] = [];
  for (const spec of REAL_SETS) {
    const file = join(root, spec.file);
    if (!existsSync(file)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`cannot read the annotation file ${file}: ${oneLine(e)}`);
    }
    try {
      out.push({ set: parseRealSet(spec, raw), folder: dirname(file) });
    } catch (e) {
      if (e instanceof AnnotationError) throw new InputError(`${file}: ${e.message}`);
      throw e;
    }
  }
  if (out.length === 0) {
    throw new InputError(
      `no annotation files under ${root} (expected ${REAL_SETS.map((s) => s.file).join(', ')})`,
    );
  }
  return out;
}

async function evalReal(options: EvalOptions, io: Io): Promise<ExitCode> {
  const root = resolveRealDir(options.real);
  const sets = loadRealSets(root);
  const { started, estimator, info, rt, numAug } = await openEval(options);
  io.stderr(
    `metrabs: model ${info.dir} (${info.backbone}, ${info.skeleton}) loaded in ${secondsText(performance.now() - started)}\n`,
  );
  const totalImages = sets.reduce((n, s) => n + s.set.images.length, 0);
  const total = options.limit !== undefined ? Math.min(options.limit, totalImages) : totalImages;
  const progress = createProgress('eval real', total, {
    tty: process.stderr.isTTY === true,
    every: options.progressEvery ?? 5,
    write: io.stderr,
    unit: 'images',
  });
  const skips = new SkipLog();
  const perSet: Record<
    string,
    Pck2dMetrics & { images: number; skeleton: string; joints_compared: string[] }
  > = {};
  const everyone: Person2d[] = [];
  const sheetPairs: Buffer[][] = [];
  let images = 0;
  const t0 = performance.now();
  for (const { set, folder } of sets) {
    if (options.limit !== undefined && images >= options.limit) break;
    const outSkeleton = chooseOutputSkeleton(
      estimator.availableSkeletons(),
      info.skeleton,
      set.skeleton,
    );
    const corr = jointCorrespondence(
      [...getSkeleton(outSkeleton).jointNames],
      [...getSkeleton(set.skeleton).jointNames],
    );
    if (corr.names.length === 0) {
      throw new ModelError(
        `the model's joint set ${outSkeleton} shares no joint with ${set.skeleton}`,
      );
    }
    const people: Person2d[] = [];
    let setImages = 0;
    for (const entry of set.images) {
      if (options.limit !== undefined && images >= options.limit) break;
      images++;
      const path = join(folder, entry.file);
      let image: RgbImage;
      try {
        image = await rt.loadImage(path);
      } catch (e) {
        skips.add('unreadable image', `${path} (${oneLine(e)})`);
        continue;
      }
      setImages++;
      const result = await estimate(
        estimator,
        image,
        entry.people.map((p) => p.box),
        { skeleton: outSkeleton, numAug },
        path,
      );
      const poses2d = result.poses2d as number[][][];
      entry.people.forEach((p, k) => {
        people.push({
          pred: corr.pred.map((i) => poses2d[k]![i]!),
          gt: corr.gt.map((g) => p.joints2d[g]!),
          valid: corr.gt.map((g) => p.valid[g]!),
          boxSize: Math.max(p.box[2], p.box[3]),
          headLength: p.headLength,
        });
      });
      if (options.sheet !== undefined) {
        const title = `${set.name}/${entry.file}`;
        sheetPairs.push([
          await overlayPng(image, {
            boxes: result.boxes,
            poses2d,
            jointNames: result.jointNames,
            edges: result.edges,
            caption: title,
          }),
          await scenePng({
            poses3d: result.poses3d as number[][][],
            jointNames: result.jointNames,
            edges: result.edges,
            intrinsicMatrix: result.intrinsicMatrix,
            imageWidth: image.width,
            imageHeight: image.height,
            title,
          }),
        ]);
      }
      progress.update(images, entry.people.length);
    }
    everyone.push(...people);
    perSet[set.name] = {
      images: setImages,
      skeleton: outSkeleton,
      joints_compared: corr.names,
      ...pck2dMetrics(people),
    };
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const overall = {
    images: Object.values(perSet).reduce((n, s) => n + s.images, 0),
    ...pck2dMetrics(everyone),
  };
  const report = {
    format: 'metrabs-eval',
    version: 1,
    mode: 'real',
    settings: {
      model: info.dir,
      modelSkeleton: info.skeleton,
      backbone: info.backbone,
      real: root,
      numAug,
      limit: options.limit ?? null,
      boxes: 'ground truth (annotation bbox; MPII: square of 200 × scale)',
      camera: 'default field of view (55° along the longer side)',
      bboxPckThreshold: PROTOCOL.bboxPckThreshold,
      pckhThreshold: PROTOCOL.pckhThreshold,
      date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    sets: perSet,
    overall,
    skipped: skips.toJSON(),
    seconds,
  };
  if (options.sheet !== undefined && sheetPairs.length > 0) {
    writeOutput(options.sheet, await contactSheet(sheetPairs), 'contact sheet');
    io.stderr(`metrabs: contact sheet written to ${resolve(options.sheet)}\n`);
  }
  if (options.out !== undefined) {
    writeOutput(options.out, `${stringifyJson(report)}\n`, 'report');
    io.stderr(`metrabs: report written to ${resolve(options.out)}\n`);
  }
  if (options.json) {
    io.stdout(`${stringifyJson(report)}\n`);
  } else {
    io.stdout(
      `real images (${root}): ${overall.images} images, ${overall.people} people, num-aug ${numAug}, ${secondsText(seconds * 1000)}\n` +
        pck2dTable({ ...perSet, overall }) +
        `(PCK@0.1box: error ≤ 0.1 × the larger side of the ground-truth box; PCKh@0.5: ≤ 0.5 × head length, MPII only)\n`,
    );
  }
  if (skips.total > 0) io.stderr(`metrabs: warning: ${skips.summary()}\n`);
  return EXIT.ok;
}
