/**
 * Deterministic train/validation/test assignment of assets (motion clips, skins, garments, hair,
 * backgrounds), so that the splits never share one (docs/dataset-format.md, "Splits"). Pure; runs
 * in browsers.
 *
 * Rule (hash threshold with a minimal repair):
 *  1. Each asset id is mapped to its group (`assetGroup`): assets of one group always share a
 *     split. A mirrored clip `x#mirror` is grouped with `x`; CMU clips `cmu/SS_TT` by performer
 *     `cmu/SS`; Bandai clips `bandai/…_<take>` by take family (content + style).
 *  2. Each group gets u = hash(salt, kind, group) / 2³² ∈ [0, 1) (FNV-1a with a murmur3
 *     finaliser) and lands in train if u < f_train, validation if u < f_train + f_validation,
 *     else test. Adding or removing assets never moves another group, and the split sizes follow
 *     the fractions on average (not exactly: the price of that stability).
 *  3. Repair: if a kind has at least as many groups as there are splits with a positive fraction
 *     (3 with the default fractions) and such a split came out empty, the group of the fullest
 *     split (≥ 2 groups) whose u lies nearest to the empty split's interval moves there. This is
 *     the only case where adding an asset can move other groups, at most one per empty split.
 *  4. A kind with fewer groups than that cannot be split without leaking: all its groups go to
 *     the first split with a positive fraction (train by default), and the other splits get none
 *     of it. `assetsForSplit` reports this (`shared: true`): a split without own assets of a kind
 *     borrows the train ones, which the producer must record (splits.json, `meta.split_assets`).
 */
import { SynthError } from './errors.js';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

export type SplitFractions = Record<SplitName, number>;
export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };
export const DEFAULT_SALT = 'metrabs-synth-v1';

export interface Asset {
  /** `'motion'`, `'skin'`, `'garment'`, `'hair'`, `'background'`, … */
  kind: string;
  id: string;
}

/** kind → split → asset ids (sorted). Every id of a kind is in exactly one split. */
export type SplitAssignment = Record<string, Record<SplitName, string[]>>;

const MIRROR_SUFFIX = '#mirror';

/**
 * The group of an asset: assets of one group always land in the same split. Strips the
 * `#mirror` suffix; for motion, `cmu/<subject>_<trial>` → `cmu/<subject>` (one performer) and
 * `bandai/<dataset>_<content>_<style>_<take>` → without `_<take>` (one take family).
 */
export function assetGroup(kind: string, id: string): string {
  let base = id.endsWith(MIRROR_SUFFIX) ? id.slice(0, -MIRROR_SUFFIX.length) : id;
  if (kind === 'motion') {
    const cmu = /^(cmu\/\d+)_\d+$/i.exec(base);
    if (cmu) base = cmu[1]!;
    const bandai = /^(bandai\/.+)_\d+$/i.exec(base);
    if (bandai) base = bandai[1]!;
  }
  return base;
}

/** 32-bit FNV-1a over the UTF-8 bytes, then murmur3's finaliser for better low-bit mixing. */
export function hash32(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The group's position u ∈ [0, 1) that decides its split. */
export function splitPosition(salt: string, kind: string, group: string): number {
  return hash32(`${salt}\u0000${kind}\u0000${group}`) / 2 ** 32;
}

function normalizeFractions(fractions: SplitFractions): SplitFractions {
  const values = SPLITS.map((s) => fractions[s]);
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    throw new SynthError(
      'bad-option',
      `split fractions must be finite and ≥ 0: ${JSON.stringify(fractions)}`,
    );
  }
  const total = values.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new SynthError('bad-option', 'split fractions must not all be 0');
  return {
    train: fractions.train / total,
    validation: fractions.validation / total,
    test: fractions.test / total,
  };
}

interface Group {
  name: string;
  u: number;
  ids: string[];
}

/** Distance from u to the interval [a, b). */
function distance(u: number, a: number, b: number): number {
  return u < a ? a - u : u >= b ? u - b : 0;
}

/**
 * Assigns every asset to train, validation or test (see the module comment for the rule).
 * Deterministic: depends only on the set of assets, the fractions and the salt.
 */
export function assignSplits(
  assets: readonly Asset[],
  fractions: SplitFractions = DEFAULT_FRACTIONS,
  salt: string = DEFAULT_SALT,
  group: (kind: string, id: string) => string = assetGroup,
): SplitAssignment {
  const f = normalizeFractions(fractions);
  const bounds: Record<SplitName, [number, number]> = {
    train: [0, f.train],
    validation: [f.train, f.train + f.validation],
    test: [f.train + f.validation, 1],
  };
  const active = SPLITS.filter((s) => f[s] > 0);
  const byKind = new Map<string, Map<string, Group>>();
  for (const { kind, id } of assets) {
    let groups = byKind.get(kind);
    if (!groups) {
      groups = new Map();
      byKind.set(kind, groups);
    }
    const name = group(kind, id);
    let g = groups.get(name);
    if (!g) {
      g = { name, u: splitPosition(salt, kind, name), ids: [] };
      groups.set(name, g);
    }
    if (!g.ids.includes(id)) g.ids.push(id);
  }

  const out: SplitAssignment = {};
  for (const kind of [...byKind.keys()].sort()) {
    const groups = [...byKind.get(kind)!.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const members: Record<SplitName, Group[]> = { train: [], validation: [], test: [] };
    if (groups.length < active.length) {
      members[active[0]!].push(...groups);
    } else {
      for (const g of groups) {
        // The last active split takes u up to 1 (also guards against rounding of the bounds).
        const s = active.find((s) => g.u < bounds[s][1]) ?? active[active.length - 1]!;
        members[s].push(g);
      }
      for (const empty of active) {
        if (members[empty].length > 0) continue;
        let donor: SplitName | undefined;
        for (const s of active) {
          if (members[s].length >= 2 && (!donor || members[s].length > members[donor].length)) {
            donor = s;
          }
        }
        if (!donor) break; // cannot happen while groups ≥ active splits
        const [a, b] = bounds[empty];
        let best = 0;
        const pool = members[donor];
        for (let i = 1; i < pool.length; i++) {
          if (distance(pool[i]!.u, a, b) < distance(pool[best]!.u, a, b)) best = i;
        }
        members[empty].push(...pool.splice(best, 1));
      }
    }
    const entry = {} as Record<SplitName, string[]>;
    for (const s of SPLITS) entry[s] = members[s].flatMap((g) => g.ids).sort();
    out[kind] = entry;
  }
  return out;
}

export interface SplitAssets {
  /** Asset ids the split may use. */
  ids: string[];
  /**
   * True if the split has no assets of this kind of its own and borrows those of another split
   * (the kind has too few groups to split): images of this split then share these assets.
   */
  shared: boolean;
  /** Why `shared` (for logs and splits.json). */
  note?: string;
}

/**
 * The assets of `kind` that images of `split` may use. A split that got none of a kind that
 * exists borrows the assets of the first non-empty split (train first) and says so.
 */
export function assetsForSplit(
  assignment: SplitAssignment,
  split: SplitName,
  kind: string,
): SplitAssets {
  const entry = assignment[kind];
  if (!entry) return { ids: [], shared: false, note: `no assets of kind ${kind}` };
  if (entry[split].length > 0) return { ids: [...entry[split]], shared: false };
  const lender = SPLITS.find((s) => entry[s].length > 0);
  if (!lender) return { ids: [], shared: false, note: `no assets of kind ${kind}` };
  const total = SPLITS.reduce((n, s) => n + entry[s].length, 0);
  return {
    ids: [...entry[lender]],
    shared: true,
    note:
      `${split} has no ${kind} assets of its own (${total} asset(s) in too few groups to ` +
      `split); it shares those of ${lender}`,
  };
}
