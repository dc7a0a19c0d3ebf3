/**
 * PCK@0.2·torso, the Leeds Sports Pose protocol, as pure functions (no I/O): `metrabs eval` on
 * people with 2D labels only (e.g. the LSPET validation split; docs/evaluation.md). The
 * definitions are those of the trainer's `training/metrabs_train/metrics.py` (`torso_sizes`,
 * `pck_torso`). Joints are identified by their registry names (docs/skeletons.md), so any
 * skeleton with shoulders and hips can be scored.
 */
import { cell, textTable } from './metrics.js';

export const TORSO_PCK = {
  /** A joint is correct when its 2D error is ≤ this fraction of the torso size. */
  fraction: 0.2,
  /** Torso size: the distance between the first pair's labels, else the second's. */
  torsoPairs: [
    ['lsho', 'rhip'],
    ['rsho', 'lhip'],
  ],
  /** The 12 limb joints of the headline PCK (ankles, knees, hips, wrists, elbows, shoulders). */
  limbJoints: [
    'rank',
    'rkne',
    'rhip',
    'lhip',
    'lkne',
    'lank',
    'rwri',
    'relb',
    'rsho',
    'lsho',
    'lelb',
    'lwri',
  ],
  /** Scored separately, outside the headline PCK. */
  headJoints: ['neck', 'htop'],
} as const;

/** Limb joint types: left and right joints (`l` / `r` + suffix) pooled, with a readable name. */
export const LIMB_TYPES = [
  ['ank', 'ankle'],
  ['kne', 'knee'],
  ['hip', 'hip'],
  ['wri', 'wrist'],
  ['elb', 'elbow'],
  ['sho', 'shoulder'],
] as const;

/** One person with 2D labels: prediction and labels on the same named joints, image pixels. */
export interface TorsoPerson {
  pred: number[][];
  gt: number[][];
  /** Per joint: the label exists (`joint_valid` 1). */
  valid: boolean[];
}

export interface JointPck {
  /** Labelled joints compared. */
  joints: number;
  /** Fraction of them within the threshold; null without any. */
  pck: number | null;
}

export interface TorsoPckMetrics {
  /** People scored (with a torso size). */
  people: number;
  /** People not scored, by reason. */
  skipped: { total: number; reasons: Record<string, number> };
  /** Labelled limb joints compared. */
  joints: number;
  /** PCK@0.2·torso over the limb joints (fraction). */
  pck: number | null;
  /** Per limb joint, then `neck` and `htop` (those the skeleton has). */
  per_joint: Record<string, JointPck>;
  /** Per limb joint type, left and right pooled (`ankle` … `shoulder`). */
  per_type: Record<string, JointPck>;
  /** Mean 2D error of the limb joints, px and in torso sizes. */
  mean_error_px: number | null;
  mean_error_torso: number | null;
}

const distance = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

/**
 * The torso size of a person's labels: |lsho − rhip|, or |rsho − lhip| when the first pair is
 * not labelled; null when neither pair is. It may be 0 for degenerate labels.
 */
export function torsoSize(gt: number[][], valid: boolean[], names: string[]): number | null {
  for (const [a, b] of TORSO_PCK.torsoPairs) {
    const i = names.indexOf(a);
    const j = names.indexOf(b);
    if (i >= 0 && j >= 0 && valid[i] && valid[j]) return distance(gt[i]!, gt[j]!);
  }
  return null;
}

const fraction = (hits: number, n: number) => (n > 0 ? hits / n : null);

/**
 * PCK@0.2·torso of `people`, whose joints are `names`: overall over the limb joints, per joint,
 * per limb joint type, and the mean limb error. Only labelled joints count; people without a
 * torso size (or with a zero one) are skipped and counted by reason.
 */
export function torsoPckMetrics(people: TorsoPerson[], names: string[]): TorsoPckMetrics {
  const scoredNames: string[] = [...TORSO_PCK.limbJoints, ...TORSO_PCK.headJoints];
  const tally = new Map(scoredNames.filter((n) => names.includes(n)).map((n) => [n, [0, 0]]));
  const limbs = new Set<string>(TORSO_PCK.limbJoints);
  const reasons: Record<string, number> = {};
  let scored = 0;
  let errorPx = 0;
  let errorTorso = 0;
  for (const p of people) {
    const torso = torsoSize(p.gt, p.valid, names);
    const reason =
      torso === null ? 'no torso (neither lsho–rhip nor rsho–lhip labelled)' : 'zero torso size';
    if (torso === null || !(torso > 0)) {
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      continue;
    }
    scored++;
    names.forEach((name, j) => {
      const t = tally.get(name);
      if (t === undefined || !p.valid[j]) return;
      const error = distance(p.pred[j]!, p.gt[j]!);
      t[0]!++;
      if (error <= TORSO_PCK.fraction * torso) t[1]!++;
      if (limbs.has(name)) {
        errorPx += error;
        errorTorso += error / torso;
      }
    });
  }
  const pck = (list: readonly string[]): JointPck => {
    let n = 0;
    let hits = 0;
    for (const name of list) {
      const t = tally.get(name);
      n += t?.[0] ?? 0;
      hits += t?.[1] ?? 0;
    }
    return { joints: n, pck: fraction(hits, n) };
  };
  const overall = pck(TORSO_PCK.limbJoints);
  return {
    people: scored,
    skipped: { total: people.length - scored, reasons },
    joints: overall.joints,
    pck: overall.pck,
    per_joint: Object.fromEntries([...tally.keys()].map((n) => [n, pck([n])])),
    per_type: Object.fromEntries(LIMB_TYPES.map(([s, type]) => [type, pck([`l${s}`, `r${s}`])])),
    mean_error_px: overall.joints > 0 ? errorPx / overall.joints : null,
    mean_error_torso: overall.joints > 0 ? errorTorso / overall.joints : null,
  };
}

/** The metrics as a table: per limb joint type left / right / both, the limbs, neck, head top. */
export function torsoPckTable(m: TorsoPckMetrics): string {
  const pct = (v: JointPck | undefined) =>
    cell(v?.pck === null || v === undefined ? null : v.pck * 100, 1, ' %');
  const rows = LIMB_TYPES.map(([s, type]) => [
    type,
    pct(m.per_joint[`l${s}`]),
    pct(m.per_joint[`r${s}`]),
    pct(m.per_type[type]),
    String(m.per_type[type]?.joints ?? 0),
  ]);
  rows.push(['limbs', '', '', pct({ joints: m.joints, pck: m.pck }), String(m.joints)]);
  for (const [name, title] of [
    ['neck', 'neck'],
    ['htop', 'head top'],
  ]) {
    const v = m.per_joint[name!];
    if (v !== undefined) rows.push([title!, '', '', pct(v), String(v.joints)]);
  }
  return textTable(['joint', 'left', 'right', 'PCK@0.2', 'joints'], rows);
}
