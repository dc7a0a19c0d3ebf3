/**
 * What `metrabs eval` reports, as pure functions over predictions and ground truth (no I/O):
 * 3D pose metrics and bone-length ratios per subset of people (docs/evaluation.md), 2D PCK on
 * real images (PCK@0.2·torso of 2D-only dataset people: torso-pck.ts), joint
 * correspondences between skeletons, and the text table. The metric definitions are those of
 * `@metrabs/core` (metrics.ts) and of the trainer's `training/metrabs_train/metrics.py`, with the
 * trainer's key names and units (PCK and AUC as fractions) so that a report can be compared with
 * a model card's `metrics` block number by number.
 */
import {
  auc3d,
  type CategoryJoints,
  categoryJoints,
  mpjpe,
  mrpe,
  type PoseCategory,
  paMpjpe,
  pck2d,
  pck3d,
  poseCategory,
} from '@metrabs/core';

/** The evaluation protocol's constants (the trainer's `pose_metrics` / `evaluate` defaults). */
export const PROTOCOL = {
  /** Index of the root joint in the dataset's skeleton (pelvis of `smpl+head_30`). */
  rootJoint: 0,
  /** 3D PCK threshold, mm. */
  pckThresholdMm: 150,
  /** AUC: mean of 3D PCK over `aucSteps` thresholds evenly spaced in [0, aucMaxMm]. */
  aucMaxMm: 150,
  aucSteps: 31,
  /** A person is "occluded" if more than this fraction of its valid joints is occluded. */
  occludedThreshold: 0.25,
  /** Real images: PCK threshold as a fraction of the larger side of the ground-truth box. */
  bboxPckThreshold: 0.1,
  /** Real images with head segments (MPII): PCKh threshold as a fraction of the head length. */
  pckhThreshold: 0.5,
} as const;

// ---------------------------------------------------------------------------------------------
// Joint correspondences

export interface Correspondence {
  /** Indices into the predicted skeleton's joints. */
  pred: number[];
  /** Indices into the ground truth skeleton's joints (same length, same order). */
  gt: number[];
  /** The shared joint names, in ground-truth order. */
  names: string[];
}

/** Joints that both skeletons define (matched by name), in ground-truth order. */
export function jointCorrespondence(predNames: string[], gtNames: string[]): Correspondence {
  const index = new Map(predNames.map((n, i) => [n, i]));
  const out: Correspondence = { pred: [], gt: [], names: [] };
  gtNames.forEach((name, g) => {
    const p = index.get(name);
    if (p === undefined) return;
    out.pred.push(p);
    out.gt.push(g);
    out.names.push(name);
  });
  return out;
}

/**
 * Which output skeleton to request from the estimator for ground truth in `wanted`: `wanted`
 * itself when the model can output it, else the model's own joint set (then joints are matched
 * by name).
 */
export function chooseOutputSkeleton(available: string[], own: string, wanted: string): string {
  return available.includes(wanted) ? wanted : own;
}

// ---------------------------------------------------------------------------------------------
// 3D metrics

/** One evaluated person: prediction and ground truth on the same joints (camera frame, mm). */
export interface Person3d {
  pred: number[][];
  gt: number[][];
  /** Per joint: the ground truth label exists. */
  valid: boolean[];
  truncated: boolean;
  /** Fraction of the valid joints labelled occluded. */
  occludedFraction: number;
  /** The true pose's category (`poseCategory`), when the skeleton and labels allow one. */
  category?: PoseCategory;
}

/** The trainer's `pose_metrics` keys: mm, PCK and AUC as fractions (0..1). */
export interface PoseMetrics {
  people: number;
  mpjpe: number;
  pa_mpjpe: number;
  pck: number;
  auc: number;
  mrpe: number;
  mrpe_x: number;
  mrpe_y: number;
  mrpe_z: number;
}

export const SUBSETS = [
  'all',
  'truncated',
  'not_truncated',
  'occluded',
  'not_occluded',
  'upright',
  'non_upright',
] as const;
export type SubsetName = (typeof SUBSETS)[number];

/** Fraction of the valid joints that are occluded (0 when no joint is valid). */
export function occludedFraction(valid: ArrayLike<unknown>, occluded: ArrayLike<unknown>): number {
  let n = 0;
  let k = 0;
  for (let i = 0; i < valid.length; i++) {
    if (!valid[i]) continue;
    n++;
    if (occluded[i]) k++;
  }
  return n > 0 ? k / n : 0;
}

/**
 * MPJPE, PA-MPJPE, PCK@150, AUC (root-relative, `root` joint) and MRPE with its x/y/z parts
 * (absolute) over `people`, each the mean over all valid (person, joint) pairs (MRPE: over
 * people). Null without people.
 */
export function poseMetrics(people: Person3d[], root: number): PoseMetrics | null {
  if (people.length === 0) return null;
  const pred = people.map((p) => p.pred);
  const gt = people.map((p) => p.gt);
  const valid = people.map((p) => p.valid);
  const o = { root, valid };
  const r = mrpe(pred, gt, { root });
  return {
    people: people.length,
    mpjpe: mpjpe(pred, gt, o),
    pa_mpjpe: paMpjpe(pred, gt, { valid }),
    pck: pck3d(pred, gt, { ...o, thresholdMm: PROTOCOL.pckThresholdMm }),
    auc: auc3d(pred, gt, { ...o, maxMm: PROTOCOL.aucMaxMm, steps: PROTOCOL.aucSteps }),
    mrpe: r.mean,
    mrpe_x: r.x,
    mrpe_y: r.y,
    mrpe_z: r.z,
  };
}

/** The category joints of a label skeleton, or null when it lacks one of them. */
export function categoryJointsOf(jointNames: readonly string[]): CategoryJoints | null {
  try {
    return categoryJoints(jointNames);
  } catch {
    return null;
  }
}

/**
 * The category of a labelled pose (camera frame, `up` in the camera frame), or undefined when
 * the skeleton lacks a category joint or one of them has no label.
 */
export function labelledCategory(
  joints3d: readonly (readonly number[])[],
  valid: ArrayLike<number>,
  idx: CategoryJoints | null,
  up: readonly number[],
): PoseCategory | undefined {
  if (idx === null) return undefined;
  const needed = [idx.pelvis, idx.neck, ...idx.hips, ...idx.knees, ...idx.ankles];
  if (needed.some((j) => valid[j] !== 1)) return undefined;
  return poseCategory(joints3d.flat(), idx, up);
}

/** Which subsets a person belongs to (besides `all`). */
export function subsetsOf(p: Person3d): SubsetName[] {
  const occluded = p.occludedFraction > PROTOCOL.occludedThreshold;
  return [
    'all',
    p.truncated ? 'truncated' : 'not_truncated',
    occluded ? 'occluded' : 'not_occluded',
    ...(p.category === undefined
      ? []
      : [p.category === 'upright' ? ('upright' as const) : ('non_upright' as const)]),
  ];
}

/** `metric` of every subset's people (`metric` returns null for an empty subset). */
export function bySubset<T>(
  people: Person3d[],
  metric: (group: Person3d[]) => T,
): Record<SubsetName, T> {
  const groups = Object.fromEntries(SUBSETS.map((s) => [s, [] as Person3d[]])) as Record<
    SubsetName,
    Person3d[]
  >;
  for (const p of people) for (const s of subsetsOf(p)) groups[s].push(p);
  return Object.fromEntries(SUBSETS.map((s) => [s, metric(groups[s])])) as Record<SubsetName, T>;
}

/** `poseMetrics` of every subset (null where the subset is empty). */
export function subsetMetrics(
  people: Person3d[],
  root: number,
): Record<SubsetName, PoseMetrics | null> {
  return bySubset(people, (group) => poseMetrics(group, root));
}

/** Predicted / true bone lengths: the mean and median over all (person, bone) pairs. */
export interface BoneLengthRatio {
  mean: number;
  median: number;
  /** (person, bone) pairs. */
  bones: number;
}

/**
 * Predicted / true length of each bone `[a, b]` (joint indices of the person's arrays) whose
 * ends are both valid and whose true length is not 0.
 */
export function boneLengthRatios(
  p: Pick<Person3d, 'pred' | 'gt' | 'valid'>,
  edges: readonly (readonly [number, number])[],
): number[] {
  const length = (q: number[][], a: number, b: number) =>
    Math.hypot(q[a]![0]! - q[b]![0]!, q[a]![1]! - q[b]![1]!, q[a]![2]! - q[b]![2]!);
  const out: number[] = [];
  for (const [a, b] of edges) {
    if (!p.valid[a] || !p.valid[b]) continue;
    const truth = length(p.gt, a, b);
    if (truth > 1e-6) out.push(length(p.pred, a, b) / truth);
  }
  return out;
}

/**
 * The bone-length ratio of `people` (the trainer's `bone_length_ratio`, plus the median):
 * below 1 the model shrinks people. Null without any bone.
 */
export function boneLengthRatio(
  people: Pick<Person3d, 'pred' | 'gt' | 'valid'>[],
  edges: readonly (readonly [number, number])[],
): BoneLengthRatio | null {
  const r = people.flatMap((p) => boneLengthRatios(p, edges)).sort((a, b) => a - b);
  if (r.length === 0) return null;
  const mid = r.length >> 1;
  return {
    mean: r.reduce((sum, v) => sum + v, 0) / r.length,
    median: r.length % 2 === 1 ? r[mid]! : (r[mid - 1]! + r[mid]!) / 2,
    bones: r.length,
  };
}

// ---------------------------------------------------------------------------------------------
// 2D metrics (real images)

/** One evaluated person on a real image: 2D prediction and annotation on the same joints. */
export interface Person2d {
  pred: number[][];
  gt: number[][];
  valid: boolean[];
  /** Larger side of the ground-truth box, px. */
  boxSize: number;
  /** Head segment length, px (MPII), else null. */
  headLength: number | null;
}

export interface Pck2dMetrics {
  people: number;
  /** Valid annotated joints that were compared. */
  joints: number;
  /** PCK@0.1 of the larger box side (fraction). */
  pck_bbox: number | null;
  /** PCKh@0.5 (fraction) over the people with a head length, else null. */
  pckh: number | null;
  /** Mean 2D joint error, px. */
  mean_error_px: number | null;
}

function countValid(people: Person2d[]): number {
  let n = 0;
  for (const p of people) for (const v of p.valid) if (v) n++;
  return n;
}

/**
 * `pck2d` pooled over people whose poses may have different joint counts (several sets): the
 * people are grouped by J and the groups' PCKs are weighted by their numbers of valid joints.
 */
function pooledPck2d(
  people: Person2d[],
  threshold: number,
  reference: (p: Person2d) => number,
): number | null {
  const groups = new Map<number, Person2d[]>();
  for (const p of people) {
    if (!p.valid.some(Boolean)) continue;
    const list = groups.get(p.valid.length) ?? [];
    list.push(p);
    groups.set(p.valid.length, list);
  }
  let hits = 0;
  let count = 0;
  for (const group of groups.values()) {
    const n = countValid(group);
    const fraction = pck2d(
      group.map((p) => p.pred),
      group.map((p) => p.gt),
      { threshold, referenceLengths: group.map(reference), valid: group.map((p) => p.valid) },
    );
    hits += fraction * n;
    count += n;
  }
  return count > 0 ? hits / count : null;
}

/** Box-normalised PCK, PCKh where head lengths exist, and the mean pixel error. */
export function pck2dMetrics(people: Person2d[]): Pck2dMetrics {
  const joints = countValid(people);
  let errorSum = 0;
  for (const p of people) {
    p.valid.forEach((v, j) => {
      if (v) errorSum += Math.hypot(p.pred[j]![0]! - p.gt[j]![0]!, p.pred[j]![1]! - p.gt[j]![1]!);
    });
  }
  const withHead = people.filter((p) => p.headLength !== null && p.headLength > 0);
  return {
    people: people.length,
    joints,
    pck_bbox: pooledPck2d(people, PROTOCOL.bboxPckThreshold, (p) => p.boxSize),
    pckh: pooledPck2d(withHead, PROTOCOL.pckhThreshold, (p) => p.headLength!),
    mean_error_px: joints > 0 ? errorSum / joints : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Text

export function cell(value: number | null | undefined, digits: number, suffix = ''): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${value.toFixed(digits)}${suffix}`;
}

/** Left-aligned first column, right-aligned others. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The 3D metrics as a table (PCK and AUC in %), with the mean bone-length ratio when given. */
export function metricsTable(
  metrics: Record<string, PoseMetrics | null>,
  boneRatios?: Record<string, BoneLengthRatio | null>,
): string {
  const rows = Object.entries(metrics).map(([name, m]) => [
    name,
    String(m?.people ?? 0),
    cell(m?.mpjpe, 1),
    cell(m?.pa_mpjpe, 1),
    cell(m === null || m === undefined ? null : m.pck * 100, 1, ' %'),
    cell(m === null || m === undefined ? null : m.auc * 100, 1, ' %'),
    cell(m?.mrpe, 1),
    cell(m?.mrpe_z, 1),
    ...(boneRatios ? [cell(boneRatios[name]?.mean, 3)] : []),
  ]);
  return textTable(
    [
      'subset',
      'people',
      'MPJPE',
      'PA-MPJPE',
      'PCK@150',
      'AUC',
      'MRPE',
      'MRPE-z',
      ...(boneRatios ? ['bone ratio'] : []),
    ],
    rows,
  );
}

/** The 2D metrics per set as a table (in %). */
export function pck2dTable(sets: Record<string, Pck2dMetrics & { images: number }>): string {
  const pct = (v: number | null) => cell(v === null ? null : v * 100, 1, ' %');
  const rows = Object.entries(sets).map(([name, m]) => [
    name,
    String(m.images),
    String(m.people),
    String(m.joints),
    pct(m.pck_bbox),
    pct(m.pckh),
    cell(m.mean_error_px, 1),
  ]);
  return textTable(
    ['set', 'images', 'people', 'joints', 'PCK@0.1box', 'PCKh@0.5', 'error px'],
    rows,
  );
}
