/**
 * MakeHuman's macro modifiers (gender, age, muscle, weight, height, ethnicity) as weights of
 * the `targets/macrodetails` morph targets. Pure.
 *
 * How MakeHuman combines them (read from its `apps/human.py`, `apps/humanmodifier.py` and
 * `lib/targets.py`; re-implemented here): every macro slider is turned into a few "factor"
 * values, one per discrete level of that variable, and a target named after levels (e.g.
 * `universal-female-young-maxmuscle-minweight`) gets the **product** of the factors of the
 * levels in its file name. The factor sets of one variable sum to 1:
 *
 * - gender g: female = 1 − g, male = g
 * - age a (0 → 1 y, 0.1875 → 10 y, 0.5 → 25 y, 1 → 90 y): piecewise-linear hat functions over
 *   baby (a = 0), child (a = 0.1875), young (a = 0.5), old (a = 1)
 * - muscle / weight m: min = max(0, 1 − 2m), max = max(0, 2m − 1), average = 1 − min − max
 * - height h: the same three levels (no `averageheight` target exists, so h = 0.5 adds nothing)
 * - ethnicity: african / asian / caucasian used directly (normalised to sum 1 here)
 *
 * Target families (all in `targets/macrodetails/`):
 * - `{race}-{gender}-{age}`: race × gender × age (24 targets, weights sum to 1)
 * - `universal-{gender}-{age}-{muscle}-{weight}`: gender × age × muscle × weight (72, sum 1)
 * - `height/{gender}-{age}-{muscle}-{weight}-{min|max}height`: MakeHuman has all 144; our data
 *   has only the 16 with `averagemuscle-averageweight`. We give each of those the weight
 *   gender × age × height, i.e. the sum MakeHuman would spread over the 9 muscle × weight
 *   variants, so height works for every muscle/weight but ignores how they would modulate it.
 *
 * The default human (all sliders 0.5, ethnicity 1/3 each) is therefore the base mesh plus 1/6
 * of each of the six `{race}-{female|male}-young` targets; muscle/weight contribute the empty
 * `averagemuscle-averageweight` targets and height contributes nothing.
 */
import type { Target } from './targets.js';
import { applyTarget } from './targets.js';

export interface MacroParams {
  /** 0 female … 1 male. */
  gender: number;
  /** 0 → 1 year, 0.1875 → 10 y, 0.5 → 25 y, 1 → 90 y. */
  age: number;
  muscle: number;
  weight: number;
  height: number;
  african: number;
  asian: number;
  caucasian: number;
}

export const DEFAULT_MACRO: Readonly<MacroParams> = Object.freeze({
  gender: 0.5,
  age: 0.5,
  muscle: 0.5,
  weight: 0.5,
  height: 0.5,
  african: 1 / 3,
  asian: 1 / 3,
  caucasian: 1 / 3,
});

export const GENDERS = ['female', 'male'] as const;
export const AGES = ['baby', 'child', 'young', 'old'] as const;
export const RACES = ['african', 'asian', 'caucasian'] as const;
export const MUSCLES = ['minmuscle', 'averagemuscle', 'maxmuscle'] as const;
export const WEIGHTS = ['minweight', 'averageweight', 'maxweight'] as const;
export const HEIGHTS = ['minheight', 'averageheight', 'maxheight'] as const;

export type MacroFactors = Record<
  | (typeof GENDERS)[number]
  | (typeof AGES)[number]
  | (typeof RACES)[number]
  | (typeof MUSCLES)[number]
  | (typeof WEIGHTS)[number]
  | (typeof HEIGHTS)[number],
  number
>;

/** Variable families whose factor values sum to 1 (for checks). */
export const FACTOR_FAMILIES = [GENDERS, AGES, RACES, MUSCLES, WEIGHTS, HEIGHTS] as const;

const MIN_AGE_Y = 1;
const MID_AGE_Y = 25;
const MAX_AGE_Y = 90;
/** Age slider value of a 10-year-old child (MakeHuman's "child" key point). */
const CHILD_AGE = 0.1875;

/** MakeHuman's age slider → years. */
export function ageToYears(age: number): number {
  const a = clamp01(age);
  return a < 0.5
    ? MIN_AGE_Y + (MID_AGE_Y - MIN_AGE_Y) * 2 * a
    : MID_AGE_Y + (MAX_AGE_Y - MID_AGE_Y) * 2 * (a - 0.5);
}

/** Years (1–90) → MakeHuman's age slider. */
export function yearsToAge(years: number): number {
  const y = Math.min(MAX_AGE_Y, Math.max(MIN_AGE_Y, years));
  return y < MID_AGE_Y
    ? (y - MIN_AGE_Y) / ((MID_AGE_Y - MIN_AGE_Y) * 2)
    : 0.5 + (y - MID_AGE_Y) / ((MAX_AGE_Y - MID_AGE_Y) * 2);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
}

function threeLevels(x: number): [number, number, number] {
  const max = Math.max(0, 2 * x - 1);
  const min = Math.max(0, 1 - 2 * x);
  return [min, 1 - min - max, max];
}

/** The factor value of every level of every macro variable. */
export function macroFactors(p: MacroParams): MacroFactors {
  const g = clamp01(p.gender);
  const a = clamp01(p.age);
  let baby = 0;
  let child = 0;
  let young: number;
  let old = 0;
  if (a < 0.5) {
    // Hat functions with knots at 0, CHILD_AGE and 0.5.
    young = Math.max(0, (a - CHILD_AGE) / (0.5 - CHILD_AGE));
    baby = Math.max(0, 1 - a / CHILD_AGE);
    child = Math.max(0, Math.min(1, a / CHILD_AGE) - young);
  } else {
    old = 2 * a - 1;
    young = 1 - old;
  }
  const [minmuscle, averagemuscle, maxmuscle] = threeLevels(clamp01(p.muscle));
  const [minweight, averageweight, maxweight] = threeLevels(clamp01(p.weight));
  const [minheight, averageheight, maxheight] = threeLevels(clamp01(p.height));
  let af = Math.max(0, p.african || 0);
  let as = Math.max(0, p.asian || 0);
  let ca = Math.max(0, p.caucasian || 0);
  const s = af + as + ca;
  if (s > 0) {
    af /= s;
    as /= s;
    ca /= s;
  } else {
    af = as = ca = 1 / 3;
  }
  return {
    female: 1 - g,
    male: g,
    baby,
    child,
    young,
    old,
    african: af,
    asian: as,
    caucasian: ca,
    minmuscle,
    averagemuscle,
    maxmuscle,
    minweight,
    averageweight,
    maxweight,
    minheight,
    averageheight,
    maxheight,
  };
}

export type MacroFamily = 'ethnic' | 'universal' | 'height';

export interface MacroTargetSpec {
  /** Path below `targets/macrodetails/` without `.target`, e.g. `height/male-old-…-maxheight`. */
  name: string;
  family: MacroFamily;
  /** Levels whose factors multiply into the weight. */
  levels: (keyof MacroFactors)[];
}

let specs: MacroTargetSpec[] | null = null;

/** The 112 macro targets our data has, with the levels that weight them. */
export function macroTargetSpecs(): readonly MacroTargetSpec[] {
  if (specs) return specs;
  const out: MacroTargetSpec[] = [];
  for (const r of RACES)
    for (const g of GENDERS)
      for (const a of AGES)
        out.push({ name: `${r}-${g}-${a}`, family: 'ethnic', levels: [r, g, a] });
  for (const g of GENDERS)
    for (const a of AGES)
      for (const m of MUSCLES)
        for (const w of WEIGHTS)
          out.push({
            name: `universal-${g}-${a}-${m}-${w}`,
            family: 'universal',
            levels: [g, a, m, w],
          });
  for (const g of GENDERS)
    for (const a of AGES)
      for (const h of ['minheight', 'maxheight'] as const)
        out.push({
          name: `height/${g}-${a}-averagemuscle-averageweight-${h}`,
          family: 'height',
          // Stand-in for all 9 muscle × weight variants: their factors sum to 1.
          levels: [g, a, h],
        });
  specs = out;
  return out;
}

export interface WeightedTarget {
  name: string;
  family: MacroFamily;
  weight: number;
}

/** Weight of each of the 112 macro targets for these parameters (zeros included). */
export function macroTargetWeights(p: MacroParams): WeightedTarget[] {
  const f = macroFactors(p);
  return macroTargetSpecs().map((s) => {
    let w = 1;
    for (const l of s.levels) w *= f[l];
    return { name: s.name, family: s.family, weight: w };
  });
}

/**
 * How far the top of the head (base-mesh vertex 881) moves with the height slider, in metres,
 * from the `…-minheight` / `…-maxheight` targets at full weight (the same for every gender and
 * age in our data; the feet stay put): −0.3669 m at height 0 and +0.7202 m at height 1. So
 * MakeHuman's slider spans dwarfs to giants (a default-shaped woman: 1.22 m … 2.31 m).
 */
export const HEIGHT_SLIDER_RANGE_M = { min: -0.3669, max: 0.7202 } as const;

/**
 * Height slider value that changes body height by `deltaM` metres relative to height 0.5
 * (piecewise linear, exact for the top of the head). Used to sample realistic heights.
 */
export function heightSliderForDelta(deltaM: number): number {
  const h =
    deltaM < 0
      ? 0.5 - (0.5 * deltaM) / HEIGHT_SLIDER_RANGE_M.min
      : 0.5 + (0.5 * deltaM) / HEIGHT_SLIDER_RANGE_M.max;
  return clamp01(h);
}

/** Decimetres (MakeHuman mesh units) → metres. */
export const MESH_UNIT_M = 0.1;

/**
 * Shaped positions of all base-mesh vertices, in **metres**. `base` is the OBJ's xyz in
 * decimetres; `getTarget(name)` returns the parsed target `targets/macrodetails/<name>.target`
 * (it is only called for targets with non-zero weight).
 */
export function shapeBody(
  base: Float32Array,
  getTarget: (name: string) => Target,
  p: MacroParams,
  out: Float32Array = new Float32Array(base.length),
): Float32Array {
  const acc = new Float64Array(base);
  for (const t of macroTargetWeights(p)) {
    if (t.weight > 1e-9) applyTarget(acc, getTarget(t.name), t.weight);
  }
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! * MESH_UNIT_M;
  return out;
}
