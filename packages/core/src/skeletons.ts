/**
 * Skeleton (joint set) registry.
 *
 * Everything is defined relative to one canonical joint set, `smpl+head_30`: the 24 SMPL body
 * joints in SMPL order followed by six head landmarks (head top, nose, eyes, ears). Every other
 * skeleton is a list of joints, each either one canonical joint (a pure index selection) or a
 * fixed convex combination of canonical joints (an approximation of a dataset's own joint
 * definition). Converting a pose is therefore one linear map per skeleton, and because every
 * weight column sums to 1 the conversion commutes with translation (and with any rigid or
 * affine transform of the pose).
 *
 * Naming: short lowercase names, `l`/`r` prefixes for sided joints. A name means the same point
 * *within* one skeleton, but dataset conventions differ (e.g. `neck` is the base of the neck in
 * SMPL and MPI-INF-3DHP, the upper neck in MPII and LSP), so conversions between two
 * non-canonical skeletons are only allowed when every target joint has the same name and the same
 * definition in the source. See docs/skeletons.md.
 */
import { type Points, toPointBatch, unflattenPoints } from './arrays.js';
import { GeometryError } from './errors.js';

/** A joint set: names, tree edges, left/right mirror map and its derivation from the canonical set. */
export interface Skeleton {
  /** Registry name, e.g. `'h36m_17'`. */
  readonly name: string;
  /** Short lowercase joint names, unique within the skeleton. */
  readonly jointNames: readonly string[];
  /** Parent–child pairs `[parent, child]` (indices into `jointNames`) forming a spanning tree. */
  readonly edges: readonly (readonly [number, number])[];
  /** `mirror[i]` is the index of the left/right counterpart of joint `i` (itself for centre joints). */
  readonly mirror: readonly number[];
  /** One-line description of how the skeleton is derived from the canonical joint set. */
  readonly definition: string;
  /**
   * `(30 × J)` row-major weights: joint `k` of this skeleton = Σᵢ `w[i * J + k]` · canonical
   * joint `i`. Each column sums to 1. Shared by all callers: do not modify.
   */
  readonly fromCanonical: Float64Array;
  /** Canonical indices when the conversion is a pure index selection, else `null`. */
  readonly selection: readonly number[] | null;
}

/** Name of the canonical joint set that every skeleton is derived from. */
export const CANONICAL_SKELETON = 'smpl+head_30';

// ---------------------------------------------------------------------------------------------
// Canonical joint set
// ---------------------------------------------------------------------------------------------

const CANONICAL_JOINTS = [
  'pelv', // 0  SMPL pelvis
  'lhip', // 1
  'rhip', // 2
  'spi1', // 3  SMPL spine1 (lower lumbar)
  'lkne', // 4
  'rkne', // 5
  'spi2', // 6  SMPL spine2
  'lank', // 7
  'rank', // 8
  'spi3', // 9  SMPL spine3 (chest)
  'ltoe', // 10 SMPL left foot (toe base / ball of the foot)
  'rtoe', // 11
  'neck', // 12 SMPL neck (base of the neck)
  'lcla', // 13 SMPL left collar
  'rcla', // 14
  'head', // 15 SMPL head joint (skull base)
  'lsho', // 16
  'rsho', // 17
  'lelb', // 18
  'relb', // 19
  'lwri', // 20
  'rwri', // 21
  'lhan', // 22 SMPL left hand (knuckle region)
  'rhan', // 23
  'htop', // 24 head top (vertex), mesh landmark
  'nose', // 25 nose tip, mesh landmark
  'leye', // 26
  'reye', // 27
  'lear', // 28
  'rear', // 29
] as const;

type CanonicalJoint = (typeof CANONICAL_JOINTS)[number];

const N_CANONICAL = CANONICAL_JOINTS.length;

/** SMPL kinematic tree plus the head landmarks, as `[parent, child]` name pairs. */
const SMPL_EDGES: readonly (readonly [CanonicalJoint, CanonicalJoint])[] = [
  ['pelv', 'lhip'],
  ['pelv', 'rhip'],
  ['pelv', 'spi1'],
  ['lhip', 'lkne'],
  ['rhip', 'rkne'],
  ['spi1', 'spi2'],
  ['lkne', 'lank'],
  ['rkne', 'rank'],
  ['spi2', 'spi3'],
  ['lank', 'ltoe'],
  ['rank', 'rtoe'],
  ['spi3', 'neck'],
  ['spi3', 'lcla'],
  ['spi3', 'rcla'],
  ['neck', 'head'],
  ['lcla', 'lsho'],
  ['rcla', 'rsho'],
  ['lsho', 'lelb'],
  ['rsho', 'relb'],
  ['lelb', 'lwri'],
  ['relb', 'rwri'],
  ['lwri', 'lhan'],
  ['rwri', 'rhan'],
];

const HEAD_EDGES: readonly (readonly [CanonicalJoint, CanonicalJoint])[] = [
  ['head', 'htop'],
  ['head', 'nose'],
  ['nose', 'leye'],
  ['nose', 'reye'],
  ['leye', 'lear'],
  ['reye', 'rear'],
];

// ---------------------------------------------------------------------------------------------
// Derived joint definitions (shared where two datasets mean the same point)
// ---------------------------------------------------------------------------------------------

/** A joint is either one canonical joint or a convex combination of canonical joints. */
type JointDef = CanonicalJoint | Readonly<Partial<Record<CanonicalJoint, number>>>;

/** Midpoint of the SMPL hip joints: the root of H36M, MPII, MPI-INF-3DHP and Panoptic. */
const MID_HIPS: JointDef = { lhip: 0.5, rhip: 0.5 };
/** Mid-torso spine point, halfway between the mid-hip root and the base of the neck. */
const MID_SPINE: JointDef = { lhip: 0.25, rhip: 0.25, neck: 0.5 };
/** Upper neck (just below the chin): halfway between the SMPL neck and head joints. */
const UPPER_NECK: JointDef = { neck: 0.5, head: 0.5 };
/** H36M "neck/nose" point: halfway between the SMPL head joint and the nose tip. */
const NECK_NOSE: JointDef = { head: 0.5, nose: 0.5 };

interface SkeletonSpec {
  readonly name: string;
  readonly definition: string;
  readonly joints: readonly (readonly [string, JointDef])[];
  readonly edges: readonly (readonly [string, string])[];
}

const SPECS: readonly SkeletonSpec[] = [
  {
    name: CANONICAL_SKELETON,
    definition:
      'Canonical set: the 24 SMPL joints in SMPL order, then head top, nose, left/right eye and left/right ear.',
    joints: CANONICAL_JOINTS.map((j) => [j, j] as const),
    edges: [...SMPL_EDGES, ...HEAD_EDGES],
  },
  {
    name: 'smpl_24',
    definition: 'The 24 SMPL body joints: selection of canonical joints 0-23.',
    joints: CANONICAL_JOINTS.slice(0, 24).map((j) => [j, j] as const),
    edges: SMPL_EDGES,
  },
  {
    name: 'h36m_17',
    definition:
      'Human3.6M 17-joint order; limbs and head top are canonical joints, pelvis, spine and neck/nose are fixed linear combinations (approximation).',
    joints: [
      ['pelv', MID_HIPS],
      ['rhip', 'rhip'],
      ['rkne', 'rkne'],
      ['rank', 'rank'],
      ['lhip', 'lhip'],
      ['lkne', 'lkne'],
      ['lank', 'lank'],
      ['spin', MID_SPINE],
      ['thor', 'neck'],
      ['neck', NECK_NOSE],
      ['htop', 'htop'],
      ['lsho', 'lsho'],
      ['lelb', 'lelb'],
      ['lwri', 'lwri'],
      ['rsho', 'rsho'],
      ['relb', 'relb'],
      ['rwri', 'rwri'],
    ],
    edges: [
      ['pelv', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
      ['pelv', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
      ['pelv', 'spin'],
      ['spin', 'thor'],
      ['thor', 'neck'],
      ['neck', 'htop'],
      ['thor', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
      ['thor', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
    ],
  },
  {
    name: 'coco_19',
    definition:
      'CMU Panoptic COCO-19 order; canonical joints except the body centre, the midpoint of the hips (approximation).',
    joints: [
      ['neck', 'neck'],
      ['nose', 'nose'],
      ['pelv', MID_HIPS],
      ['lsho', 'lsho'],
      ['lelb', 'lelb'],
      ['lwri', 'lwri'],
      ['lhip', 'lhip'],
      ['lkne', 'lkne'],
      ['lank', 'lank'],
      ['rsho', 'rsho'],
      ['relb', 'relb'],
      ['rwri', 'rwri'],
      ['rhip', 'rhip'],
      ['rkne', 'rkne'],
      ['rank', 'rank'],
      ['leye', 'leye'],
      ['lear', 'lear'],
      ['reye', 'reye'],
      ['rear', 'rear'],
    ],
    edges: [
      ['pelv', 'neck'],
      ['neck', 'nose'],
      ['neck', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
      ['pelv', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
      ['neck', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
      ['pelv', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
      ['nose', 'leye'],
      ['leye', 'lear'],
      ['nose', 'reye'],
      ['reye', 'rear'],
    ],
  },
  {
    name: 'coco_17',
    definition:
      'COCO keypoint order: selection of canonical joints (SMPL joint centres stand in for surface keypoints).',
    joints: [
      ['nose', 'nose'],
      ['leye', 'leye'],
      ['reye', 'reye'],
      ['lear', 'lear'],
      ['rear', 'rear'],
      ['lsho', 'lsho'],
      ['rsho', 'rsho'],
      ['lelb', 'lelb'],
      ['relb', 'relb'],
      ['lwri', 'lwri'],
      ['rwri', 'rwri'],
      ['lhip', 'lhip'],
      ['rhip', 'rhip'],
      ['lkne', 'lkne'],
      ['rkne', 'rkne'],
      ['lank', 'lank'],
      ['rank', 'rank'],
    ],
    edges: [
      ['nose', 'leye'],
      ['leye', 'lear'],
      ['nose', 'reye'],
      ['reye', 'rear'],
      ['nose', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
      ['lsho', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
      ['nose', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
      ['rsho', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
    ],
  },
  {
    name: 'lsp_14',
    definition:
      'Leeds Sports Pose order; canonical joints except the neck, the midpoint of the SMPL neck and head joints (approximation).',
    joints: [
      ['rank', 'rank'],
      ['rkne', 'rkne'],
      ['rhip', 'rhip'],
      ['lhip', 'lhip'],
      ['lkne', 'lkne'],
      ['lank', 'lank'],
      ['rwri', 'rwri'],
      ['relb', 'relb'],
      ['rsho', 'rsho'],
      ['lsho', 'lsho'],
      ['lelb', 'lelb'],
      ['lwri', 'lwri'],
      ['neck', UPPER_NECK],
      ['htop', 'htop'],
    ],
    edges: [
      ['neck', 'htop'],
      ['neck', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
      ['rsho', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
      ['neck', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
      ['lsho', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
    ],
  },
  {
    name: 'mpi_inf_3dhp_17',
    definition:
      'MPI-INF-3DHP 17-joint order; canonical joints except pelvis (hip midpoint) and spine (mid-torso), which are linear combinations (approximation).',
    joints: [
      ['htop', 'htop'],
      ['neck', 'neck'],
      ['rsho', 'rsho'],
      ['relb', 'relb'],
      ['rwri', 'rwri'],
      ['lsho', 'lsho'],
      ['lelb', 'lelb'],
      ['lwri', 'lwri'],
      ['rhip', 'rhip'],
      ['rkne', 'rkne'],
      ['rank', 'rank'],
      ['lhip', 'lhip'],
      ['lkne', 'lkne'],
      ['lank', 'lank'],
      ['pelv', MID_HIPS],
      ['spin', MID_SPINE],
      ['head', 'head'],
    ],
    edges: [
      ['pelv', 'spin'],
      ['spin', 'neck'],
      ['neck', 'head'],
      ['head', 'htop'],
      ['neck', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
      ['neck', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
      ['pelv', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
      ['pelv', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
    ],
  },
  {
    name: 'mpii_16',
    definition:
      'MPII Human Pose order; canonical joints except pelvis (hip midpoint), thorax (SMPL neck) and upper neck (neck-head midpoint) (approximation).',
    joints: [
      ['rank', 'rank'],
      ['rkne', 'rkne'],
      ['rhip', 'rhip'],
      ['lhip', 'lhip'],
      ['lkne', 'lkne'],
      ['lank', 'lank'],
      ['pelv', MID_HIPS],
      ['thor', 'neck'],
      ['neck', UPPER_NECK],
      ['htop', 'htop'],
      ['rwri', 'rwri'],
      ['relb', 'relb'],
      ['rsho', 'rsho'],
      ['lsho', 'lsho'],
      ['lelb', 'lelb'],
      ['lwri', 'lwri'],
    ],
    edges: [
      ['pelv', 'rhip'],
      ['rhip', 'rkne'],
      ['rkne', 'rank'],
      ['pelv', 'lhip'],
      ['lhip', 'lkne'],
      ['lkne', 'lank'],
      ['pelv', 'thor'],
      ['thor', 'neck'],
      ['neck', 'htop'],
      ['thor', 'rsho'],
      ['rsho', 'relb'],
      ['relb', 'rwri'],
      ['thor', 'lsho'],
      ['lsho', 'lelb'],
      ['lelb', 'lwri'],
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Building the registry
// ---------------------------------------------------------------------------------------------

interface Entry {
  readonly skeleton: Skeleton;
  /** Private copy of the weights, immune to callers mutating `skeleton.fromCanonical`. */
  readonly weights: Float64Array;
}

const CANONICAL_INDEX = new Map<string, number>(CANONICAL_JOINTS.map((n, i) => [n, i]));

/** `lxxx` ↔ `rxxx`; `undefined` for names that carry no side. */
function sideSwapped(name: string): string | undefined {
  if (name.length < 2) return undefined;
  if (name[0] === 'l') return `r${name.slice(1)}`;
  if (name[0] === 'r') return `l${name.slice(1)}`;
  return undefined;
}

function buildEntry(spec: SkeletonSpec): Entry {
  const names = spec.joints.map(([n]) => n);
  const nJ = names.length;
  const index = new Map<string, number>();
  for (let k = 0; k < nJ; k++) {
    const n = names[k]!;
    if (index.has(n)) throw new Error(`skeleton ${spec.name}: duplicate joint name ${n}`);
    index.set(n, k);
  }

  const weights = new Float64Array(N_CANONICAL * nJ);
  let isSelection = true;
  const selection: number[] = [];
  for (let k = 0; k < nJ; k++) {
    const def = spec.joints[k]![1];
    if (typeof def === 'string') {
      const i = CANONICAL_INDEX.get(def)!;
      weights[i * nJ + k] = 1;
      selection.push(i);
      continue;
    }
    isSelection = false;
    let sum = 0;
    for (const [cname, w] of Object.entries(def)) {
      const i = CANONICAL_INDEX.get(cname);
      if (i === undefined || w === undefined) {
        throw new Error(`skeleton ${spec.name}: unknown canonical joint ${cname}`);
      }
      weights[i * nJ + k] = w;
      sum += w;
    }
    if (Math.abs(sum - 1) > 1e-12) {
      throw new Error(`skeleton ${spec.name}: weights of ${names[k]} sum to ${sum}, not 1`);
    }
  }

  const mirror = names.map((n, k) => {
    const other = sideSwapped(n);
    if (other === undefined) return k;
    const m = index.get(other);
    if (m === undefined) throw new Error(`skeleton ${spec.name}: ${n} has no counterpart ${other}`);
    return m;
  });

  const edges = spec.edges.map(([p, c]) => {
    const pi = index.get(p);
    const ci = index.get(c);
    if (pi === undefined || ci === undefined) {
      throw new Error(`skeleton ${spec.name}: edge ${p}-${c} names an unknown joint`);
    }
    return Object.freeze([pi, ci] as const);
  });

  const skeleton: Skeleton = Object.freeze({
    name: spec.name,
    jointNames: Object.freeze(names),
    edges: Object.freeze(edges),
    mirror: Object.freeze(mirror),
    definition: spec.definition,
    fromCanonical: weights.slice(),
    selection: isSelection ? Object.freeze(selection) : null,
  });
  return { skeleton, weights };
}

const REGISTRY = new Map<string, Entry>(SPECS.map((s) => [s.name, buildEntry(s)]));

function getEntry(name: string): Entry {
  const key = name === '' ? CANONICAL_SKELETON : name;
  const entry = REGISTRY.get(key);
  if (entry === undefined) {
    throw new GeometryError(
      'unknown-skeleton',
      `unknown skeleton ${JSON.stringify(name)}; available: ${[...REGISTRY.keys()].join(', ')} ('' means ${CANONICAL_SKELETON})`,
    );
  }
  return entry;
}

/**
 * Looks up a skeleton by name. `''` is an alias of the canonical set (`smpl+head_30`).
 * Throws `GeometryError('unknown-skeleton')` listing the available names otherwise.
 */
/**
 * What is wrong with a joint-set definition read from JSON (a model descriptor, a dataset
 * manifest): names must be a non-empty list of strings, `mirror` an involutive permutation of
 * the joints, `edges` pairs of joint indices. Each problem names the field in quotes; [] = valid.
 */
export function skeletonDefinitionProblems(
  names: unknown,
  edges: unknown,
  mirror: unknown,
): string[] {
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    return ['"joint_names" must be a non-empty list of strings'];
  }
  const j = names.length;
  const isIndex = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < j;
  const out: string[] = [];
  if (
    !Array.isArray(mirror) ||
    mirror.length !== j ||
    !mirror.every(isIndex) ||
    mirror.some((m, i) => mirror[m as number] !== i)
  ) {
    out.push(`"mirror" must list ${j} joint indices, an involutive permutation (left ↔ right)`);
  }
  if (
    !Array.isArray(edges) ||
    !edges.every((e) => Array.isArray(e) && e.length === 2 && e.every(isIndex))
  ) {
    out.push('"edges" must be pairs of joint indices');
  }
  return out;
}

export function getSkeleton(name: string): Skeleton {
  return getEntry(name).skeleton;
}

/** Names of all registered skeletons, canonical first. */
export function listSkeletons(): string[] {
  return [...REGISTRY.keys()];
}

/** Parent index of every joint of a skeleton (`-1` for the root), from its edges. */
export function jointParents(skeleton: string): number[] {
  const s = getSkeleton(skeleton);
  const parents = new Array<number>(s.jointNames.length).fill(-1);
  for (const [p, c] of s.edges) parents[c] = p;
  return parents;
}

// ---------------------------------------------------------------------------------------------
// Conversion
// ---------------------------------------------------------------------------------------------

/**
 * A compiled conversion: target joint `k` = Σ `w[t]` · source joint `src[t]` for
 * `t ∈ [offsets[k], offsets[k + 1])`.
 */
interface Plan {
  readonly from: Skeleton;
  readonly to: Skeleton;
  readonly offsets: Int32Array;
  readonly src: Int32Array;
  readonly w: Float64Array;
}

const PLANS = new Map<string, Plan>();

function selectionPlan(from: Skeleton, to: Skeleton, sourceIndices: readonly number[]): Plan {
  const nJ = sourceIndices.length;
  const offsets = new Int32Array(nJ + 1);
  for (let k = 0; k <= nJ; k++) offsets[k] = k;
  return {
    from,
    to,
    offsets,
    src: Int32Array.from(sourceIndices),
    w: new Float64Array(nJ).fill(1),
  };
}

function buildPlan(fromEntry: Entry, toEntry: Entry): Plan {
  const from = fromEntry.skeleton;
  const to = toEntry.skeleton;
  const nT = to.jointNames.length;
  if (from.name === to.name) {
    return selectionPlan(
      from,
      to,
      to.jointNames.map((_, k) => k),
    );
  }
  if (from.name === CANONICAL_SKELETON) {
    const offsets = new Int32Array(nT + 1);
    const src: number[] = [];
    const w: number[] = [];
    for (let k = 0; k < nT; k++) {
      for (let i = 0; i < N_CANONICAL; i++) {
        const v = toEntry.weights[i * nT + k]!;
        if (v !== 0) {
          src.push(i);
          w.push(v);
        }
      }
      offsets[k + 1] = src.length;
    }
    return { from, to, offsets, src: Int32Array.from(src), w: Float64Array.from(w) };
  }
  // Non-canonical source: only a selection of identically defined joints is exact.
  const nS = from.jointNames.length;
  const missing = to.jointNames.filter((n) => !from.jointNames.includes(n));
  if (missing.length > 0) {
    throw new GeometryError(
      'invalid-option',
      `cannot convert poses from ${from.name} to ${to.name}: ${to.name} needs joints that ${from.name} lacks (${missing.join(', ')}); convert from ${CANONICAL_SKELETON} instead`,
    );
  }
  const sourceIndices: number[] = [];
  for (let k = 0; k < nT; k++) {
    const name = to.jointNames[k]!;
    const s = from.jointNames.indexOf(name);
    for (let i = 0; i < N_CANONICAL; i++) {
      const a = fromEntry.weights[i * nS + s]!;
      const b = toEntry.weights[i * nT + k]!;
      if (Math.abs(a - b) > 1e-12) {
        throw new GeometryError(
          'invalid-option',
          `cannot convert poses from ${from.name} to ${to.name}: joint '${name}' is defined differently in the two skeletons; convert from ${CANONICAL_SKELETON} instead`,
        );
      }
    }
    sourceIndices.push(s);
  }
  return selectionPlan(from, to, sourceIndices);
}

function getPlan(from: string, to: string): Plan {
  const fromEntry = getEntry(from);
  const toEntry = getEntry(to);
  const key = `${fromEntry.skeleton.name}\u0000${toEntry.skeleton.name}`;
  let plan = PLANS.get(key);
  if (plan === undefined) {
    plan = buildPlan(fromEntry, toEntry);
    PLANS.set(key, plan);
  }
  return plan;
}

const AXES = ['x', 'y', 'z'];

/**
 * Converts a flat batch of `n` poses (`data[(p * J + j) * d + c]`, `J` = joint count of `from`)
 * to skeleton `to`. Writes into `out` when given (length `n · J_to · d`, must not overlap
 * `data`) and returns it; never allocates per pose or joint. `from` defaults to the canonical
 * set. Throws `shape` for wrong lengths, `non-finite` for NaN/±Infinity input.
 */
export function convertPoseBatch(
  data: Float32Array | Float64Array,
  n: number,
  d: number,
  to: string,
  out?: Float64Array,
  from: string = CANONICAL_SKELETON,
): Float64Array {
  const plan = getPlan(from, to);
  const nS = plan.from.jointNames.length;
  const nT = plan.to.jointNames.length;
  if (d !== 2 && d !== 3) {
    throw new GeometryError('shape', `poses must have 2 or 3 coordinates per joint, got d = ${d}`);
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new GeometryError('shape', `pose count must be a non-negative integer, got ${n}`);
  }
  if (data.length !== n * nS * d) {
    throw new GeometryError(
      'shape',
      `expected ${n * nS * d} values (${n} poses × ${nS} joints of ${plan.from.name} × ${d}), got ${data.length}`,
    );
  }
  const outLength = n * nT * d;
  if (out === undefined) {
    out = new Float64Array(outLength);
  } else {
    if (out.length !== outLength) {
      throw new GeometryError(
        'shape',
        `output must have ${outLength} values (${n} poses × ${nT} joints of ${plan.to.name} × ${d}), got ${out.length}`,
      );
    }
    if (
      out.buffer === data.buffer &&
      out.byteOffset < data.byteOffset + data.byteLength &&
      data.byteOffset < out.byteOffset + out.byteLength
    ) {
      throw new GeometryError('invalid-option', 'output array must not overlap the input poses');
    }
  }

  for (let p = 0; p < n; p++) {
    for (let j = 0; j < nS; j++) {
      const base = (p * nS + j) * d;
      for (let c = 0; c < d; c++) {
        const v = data[base + c]!;
        if (!Number.isFinite(v)) {
          throw new GeometryError(
            'non-finite',
            `poses must be finite, but pose ${p}, joint ${j} (${plan.from.jointNames[j]}), coordinate ${AXES[c]} is ${v}`,
          );
        }
      }
    }
  }

  const { offsets, src, w } = plan;
  for (let p = 0; p < n; p++) {
    const inBase = p * nS * d;
    const outBase = p * nT * d;
    for (let k = 0; k < nT; k++) {
      const t0 = offsets[k]!;
      const t1 = offsets[k + 1]!;
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let t = t0; t < t1; t++) acc += w[t]! * data[inBase + src[t]! * d + c]!;
        out[outBase + k * d + c] = acc;
      }
    }
  }
  return out;
}

/**
 * Converts one pose (`J × D`) or a batch (`N × J × D`) of nested arrays, `D` = 2 or 3 (read
 * from the data), from skeleton `from` (default: canonical) to skeleton `to`. Returns the same
 * nesting with the target's joints.
 *
 * From a non-canonical source, conversion is allowed to the same skeleton or to a skeleton whose
 * joints all exist in the source with the same name and definition (e.g. `coco_19` →
 * `coco_17`, `mpii_16` → `lsp_14`); anything else throws `invalid-option`.
 */
export function convertPoses(poses: Points, to: string, from?: string): number[][];
export function convertPoses(poses: ReadonlyArray<Points>, to: string, from?: string): number[][][];
export function convertPoses(
  poses: Points | ReadonlyArray<Points>,
  to: string,
  from: string = CANONICAL_SKELETON,
): number[][] | number[][][] {
  const plan = getPlan(from, to);
  const nS = plan.from.jointNames.length;
  const nT = plan.to.jointNames.length;
  if (!Array.isArray(poses)) {
    throw new GeometryError('shape', 'poses must be a nested array (J × D or N × J × D)');
  }
  if (poses.length === 0) return [];
  const first = poses[0] as unknown;
  if (typeof first !== 'object' || first === null) {
    throw new GeometryError(
      'shape',
      `poses must be a nested array (J × D or N × J × D), got ${first}`,
    );
  }
  const firstRow = first as ArrayLike<unknown>;
  const single = typeof firstRow[0] === 'number';
  let d: number;
  if (single) {
    d = firstRow.length;
  } else {
    const point = firstRow[0] as ArrayLike<unknown> | undefined;
    if (firstRow.length !== nS || typeof point !== 'object' || point === null) {
      throw new GeometryError(
        'shape',
        `poses[0] must have ${nS} joints (${plan.from.name}), got ${firstRow.length ?? typeof first}`,
      );
    }
    d = point.length;
  }
  if (d !== 2 && d !== 3) {
    throw new GeometryError('shape', `poses must have 2 or 3 coordinates per joint, got ${d}`);
  }
  const batch = toPointBatch(poses, d, 'poses');
  if (batch.j !== nS) {
    throw new GeometryError(
      'shape',
      `${single ? 'pose' : 'poses'} must have ${nS} joints (${plan.from.name}), got ${batch.j}`,
    );
  }
  const out = convertPoseBatch(batch.data, batch.n, d, to, undefined, from);
  if (single) return unflattenPoints(out, d, 0, nT);
  const result: number[][][] = new Array(batch.n);
  for (let p = 0; p < batch.n; p++) result[p] = unflattenPoints(out, d, p * nT * d, nT);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Reference pose
// ---------------------------------------------------------------------------------------------

/** Height of the SMPL pelvis joint above the floor in the reference pose (mm). */
const PELVIS_HEIGHT_MM = 1000;

/**
 * Neutral standing adult, stature 1750 mm, arms hanging relaxed, facing the camera. Written as
 * `[lateral, height above floor, depth]` in mm: lateral is toward the person's own LEFT (which is
 * +x, image right, because the person faces the camera), depth is +z away from the camera (so
 * the face has negative depth). Converted to camera coordinates below.
 */
const REFERENCE_BODY: Readonly<Record<CanonicalJoint, readonly [number, number, number]>> = {
  // Pelvis: SMPL pelvis joint, a little above the hip joint centres.
  pelv: [0, PELVIS_HEIGHT_MM, 0],
  // Hip joint centres: 170 mm apart, 80 mm below the pelvis joint (about 0.53 × stature).
  lhip: [85, 920, 0],
  rhip: [-85, 920, 0],
  // Lower lumbar spine, slightly behind the pelvis centre.
  spi1: [0, 1110, 10],
  // Knee centres: thigh ≈ 425 mm (about 0.24 × stature), knees slightly forward.
  lkne: [90, 495, -10],
  rkne: [-90, 495, -10],
  // Upper lumbar / lower thoracic spine.
  spi2: [0, 1240, 15],
  // Ankle centres: shank ≈ 415 mm, 80 mm above the floor.
  lank: [90, 80, 15],
  rank: [-90, 80, 15],
  // Chest (mid thoracic spine).
  spi3: [0, 1290, 10],
  // Toe bases (balls of the feet): about 145 mm ahead of the ankles, slight toe-out.
  ltoe: [105, 25, -120],
  rtoe: [-105, 25, -120],
  // Base of the neck (C7 level), slightly behind the shoulders' plane.
  neck: [0, 1500, 20],
  // Inner shoulder girdle (SMPL collar joints), either side of the neck base.
  lcla: [75, 1440, 5],
  rcla: [-75, 1440, 5],
  // Head joint at the skull base / upper neck.
  head: [0, 1570, 5],
  // Shoulder (glenohumeral) joint centres: 350 mm apart (about 0.2 × stature).
  lsho: [175, 1420, 15],
  rsho: [-175, 1420, 15],
  // Elbows, arms hanging with slight abduction: upper arm ≈ 300 mm (about 0.17 × stature).
  lelb: [200, 1120, 25],
  relb: [-200, 1120, 25],
  // Wrists: forearm ≈ 250 mm (about 0.14 × stature), hands slightly forward.
  lwri: [215, 870, -5],
  rwri: [-215, 870, -5],
  // SMPL hand joints (knuckle region): about 85 mm beyond the wrists.
  lhan: [220, 785, -15],
  rhan: [-220, 785, -15],
  // Head top (vertex): the stature.
  htop: [0, 1750, 15],
  // Nose tip: 100 mm in front of the head axis.
  nose: [0, 1605, -95],
  // Eyes: interpupillary distance 64 mm.
  leye: [32, 1640, -70],
  reye: [-32, 1640, -70],
  // Ear canals: head breadth about 150 mm, slightly behind the head axis.
  lear: [75, 1625, 10],
  rear: [-75, 1625, 10],
};

/** Camera coordinates (x right, y down, z forward), pelvis at the origin. */
const REFERENCE_POSE: readonly (readonly number[])[] = CANONICAL_JOINTS.map((name) => {
  const [lateral, height, depth] = REFERENCE_BODY[name];
  return Object.freeze([lateral, PELVIS_HEIGHT_MM - height, depth]);
});

/**
 * A plausible neutral standing adult (stature 1750 mm) in the canonical skeleton, `30 × 3`, in
 * camera coordinates (x right, y down, z forward, mm) with the SMPL pelvis at the origin,
 * facing the camera: the person's left side is at +x and the head has negative y. Fresh copy.
 */
export function canonicalReferencePoseMm(): number[][] {
  return REFERENCE_POSE.map((p) => [...p]);
}

const BONE_LENGTHS = new Map<string, Float64Array>();

/**
 * Length of every edge of `skeleton` (same order as `skeleton.edges`) in the reference pose,
 * converted to that skeleton first. Fresh copy.
 */
export function typicalBoneLengthsMm(skeleton: string): Float64Array {
  const s = getSkeleton(skeleton);
  let lengths = BONE_LENGTHS.get(s.name);
  if (lengths === undefined) {
    const pose = convertPoses(REFERENCE_POSE, s.name);
    lengths = new Float64Array(s.edges.length);
    for (let e = 0; e < s.edges.length; e++) {
      const [a, b] = s.edges[e]!;
      const pa = pose[a]!;
      const pb = pose[b]!;
      lengths[e] = Math.hypot(pa[0]! - pb[0]!, pa[1]! - pb[1]!, pa[2]! - pb[2]!);
    }
    BONE_LENGTHS.set(s.name, lengths);
  }
  return lengths.slice();
}
