/**
 * Scoring another model's predictions next to ours on the same people (`metrabs eval --baseline`):
 * the predictions file format (docs/evaluation.md#peer-baseline), and metrics on the joints both
 * models define with the poses centred on the midpoint of the hips — the only root a hip-centred
 * model such as BlazePose shares with ours. Pure: no I/O.
 */
import { mpjpe, paMpjpe, pck3d } from '@metrabs/core';
import { cell, type Person2d, PROTOCOL, pck2dMetrics, textTable } from './metrics.js';

export const BASELINE_FORMAT = 'metrabs-baseline-predictions';
export const BASELINE_VERSION = 1;

export class BaselineError extends Error {
  override name = 'BaselineError';
}

export interface BaselineHeader {
  format: string;
  version: number;
  model: string;
  split?: string;
  joint_names: string[];
  [key: string]: unknown;
}

/** One person's prediction; `joints3d` root-relative (mm), `joints2d` in image pixels. */
export interface BaselineRow {
  key: string;
  person: number;
  detected: boolean;
  joints3d: number[][] | null;
  joints2d: number[][] | null;
}

export interface BaselinePredictions {
  header: BaselineHeader;
  rows: Map<string, BaselineRow>;
}

/** Map key of a person: the example key and the person's index in the example's label file. */
export function personKey(key: string, person: number): string {
  return `${key}#${person}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function points(v: unknown, joints: number, dims: number, what: string): number[][] {
  if (
    !Array.isArray(v) ||
    v.length !== joints ||
    !v.every(
      (p) =>
        Array.isArray(p) &&
        p.length === dims &&
        p.every((x) => typeof x === 'number' && Number.isFinite(x)),
    )
  ) {
    throw new BaselineError(
      `${what} must be ${joints} finite [${dims === 3 ? 'x, y, z' : 'x, y'}]`,
    );
  }
  return v as number[][];
}

/**
 * Parses a predictions file: a JSON header line, then one JSON line per person. Throws
 * `BaselineError` naming the line for anything malformed; a person listed twice is an error too.
 */
export function parseBaselinePredictions(text: string): BaselinePredictions {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new BaselineError('the file is empty');
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new BaselineError(`line ${n}: not JSON`);
    }
  };
  const header = parse(lines[0]!, 1);
  if (!isObject(header) || header['format'] !== BASELINE_FORMAT) {
    throw new BaselineError(`line 1: not a ${BASELINE_FORMAT} header`);
  }
  if (header['version'] !== BASELINE_VERSION) {
    throw new BaselineError(
      `line 1: version ${String(header['version'])} is not supported (expected ${BASELINE_VERSION})`,
    );
  }
  const names = header['joint_names'];
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    throw new BaselineError('line 1: joint_names must be a non-empty list of names');
  }
  if (new Set(names).size !== names.length) throw new BaselineError('line 1: repeated joint names');
  const rows = new Map<string, BaselineRow>();
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    const raw = parse(lines[i]!, n);
    if (!isObject(raw) || typeof raw['key'] !== 'string' || !Number.isSafeInteger(raw['person'])) {
      throw new BaselineError(`line ${n}: needs "key" (string) and "person" (integer)`);
    }
    const detected = raw['detected'] === true;
    let joints3d: number[][] | null = null;
    let joints2d: number[][] | null = null;
    try {
      if (detected) {
        joints3d = points(raw['joints3d'], names.length, 3, 'joints3d');
        joints2d = points(raw['joints2d'], names.length, 2, 'joints2d');
      }
    } catch (e) {
      throw new BaselineError(`line ${n}: ${(e as Error).message}`);
    }
    const row = { key: raw['key'], person: raw['person'] as number, detected, joints3d, joints2d };
    const id = personKey(row.key, row.person);
    if (rows.has(id)) throw new BaselineError(`line ${n}: person ${id} is listed twice`);
    rows.set(id, row);
  }
  return { header: header as BaselineHeader, rows };
}

/** `points` minus the midpoint of joints `lhip` and `rhip`. */
export function hipCentred(pose: number[][], lhip: number, rhip: number): number[][] {
  const a = pose[lhip]!;
  const b = pose[rhip]!;
  const mid = a.map((x, d) => (x + b[d]!) / 2);
  return pose.map((p) => p.map((x, d) => x - mid[d]!));
}

/** One person scored for both models, on the shared joints (same order everywhere). */
export interface ComparedPerson {
  gt3d: number[][];
  gt2d: number[][];
  ours3d: number[][];
  ours2d: number[][];
  base3d: number[][];
  base2d: number[][];
  /** The joint has a 3D label. */
  valid3d: boolean[];
  /** The joint has a label and lies inside the image (2D PCK only scores those). */
  valid2d: boolean[];
  /** Larger side of the ground-truth box, px (2D PCK reference length). */
  boxSize: number;
}

export interface ModelScores {
  /** Hip-centred MPJPE, mm. */
  mpjpe: number;
  pa_mpjpe: number;
  /** Hip-centred 3D PCK@150 (fraction). */
  pck: number;
  /** 2D PCK@0.1 of the larger box side (fraction). */
  pck2d_bbox: number | null;
  mean_error_px: number | null;
}

export interface Comparison {
  people: number;
  ours: ModelScores;
  baseline: ModelScores;
}

function scores(
  people: ComparedPerson[],
  pose3d: (p: ComparedPerson) => number[][],
  pose2d: (p: ComparedPerson) => number[][],
  hips: [number, number],
): ModelScores {
  const pred = people.map((p) => hipCentred(pose3d(p), ...hips));
  const gt = people.map((p) => hipCentred(p.gt3d, ...hips));
  const valid = people.map((p) => p.valid3d);
  const twoD: Person2d[] = people.map((p) => ({
    pred: pose2d(p),
    gt: p.gt2d,
    valid: p.valid2d,
    boxSize: p.boxSize,
    headLength: null,
  }));
  const m2d = pck2dMetrics(twoD);
  return {
    mpjpe: mpjpe(pred, gt, { root: null, valid }),
    pa_mpjpe: paMpjpe(pred, gt, { valid }),
    pck: pck3d(pred, gt, { root: null, valid, thresholdMm: PROTOCOL.pckThresholdMm }),
    pck2d_bbox: m2d.pck_bbox,
    mean_error_px: m2d.mean_error_px,
  };
}

/** Both models' scores over `people`; `hips` are the indices of lhip and rhip. Null if empty. */
export function compareWithBaseline(
  people: ComparedPerson[],
  hips: [number, number],
): Comparison | null {
  if (people.length === 0) return null;
  return {
    people: people.length,
    ours: scores(
      people,
      (p) => p.ours3d,
      (p) => p.ours2d,
      hips,
    ),
    baseline: scores(
      people,
      (p) => p.base3d,
      (p) => p.base2d,
      hips,
    ),
  };
}

/** Both models side by side (mm, PCK in %), with our margin in the last row. */
export function comparisonTable(c: Comparison): string {
  const pct = (v: number | null) => cell(v === null ? null : v * 100, 1, ' %');
  const row = (name: string, m: ModelScores) => [
    name,
    cell(m.mpjpe, 1),
    cell(m.pa_mpjpe, 1),
    pct(m.pck),
    pct(m.pck2d_bbox),
    cell(m.mean_error_px, 1),
  ];
  return textTable(
    ['model', 'MPJPE', 'PA-MPJPE', 'PCK@150', '2D PCK@0.1box', '2D error px'],
    [row('metrabs', c.ours), row('baseline', c.baseline)],
  );
}
