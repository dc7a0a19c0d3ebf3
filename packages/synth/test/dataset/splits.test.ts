import { describe, expect, it } from 'vitest';
import {
  type Asset,
  assetGroup,
  assetsForSplit,
  assignSplits,
  hash32,
  SPLITS,
  type SplitAssignment,
  type SplitName,
} from '../../src/splits.js';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const assets = (kind: string, list: string[]): Asset[] => list.map((id) => ({ kind, id }));

function splitOf(a: SplitAssignment, kind: string): Map<string, SplitName> {
  const out = new Map<string, SplitName>();
  for (const s of SPLITS) for (const id of a[kind]![s]) out.set(id, s);
  return out;
}

describe('assignSplits', () => {
  const pool = [
    ...assets('background', ids('backgrounds/img', 200)),
    ...assets('skin', ids('skin/', 7)),
    ...assets('garment', ids('garment/', 3)),
    ...assets('hair', ids('hair/', 2)),
  ];

  it('is deterministic and independent of input order', () => {
    const a = assignSplits(pool);
    expect(assignSplits(pool)).toEqual(a);
    expect(assignSplits([...pool].reverse())).toEqual(a);
    expect(assignSplits(pool, undefined, 'other-salt')).not.toEqual(a);
  });

  it('puts every asset in exactly one split', () => {
    const a = assignSplits(pool);
    for (const kind of ['background', 'skin', 'garment', 'hair']) {
      const all = SPLITS.flatMap((s) => a[kind]![s]);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(pool.filter((p) => p.kind === kind).length);
    }
  });

  it('follows the fractions roughly', () => {
    const a = assignSplits(pool);
    expect(a.background!.train.length).toBeGreaterThan(140);
    expect(a.background!.validation.length).toBeGreaterThan(8);
    expect(a.background!.test.length).toBeGreaterThan(8);
  });

  it('gives every split at least one asset of kinds with ≥ 3 groups', () => {
    for (let n = 3; n <= 12; n++) {
      for (const salt of ['a', 'b', 'c', 'd', 'e']) {
        const a = assignSplits(assets('skin', ids('s', n)), undefined, salt);
        for (const s of SPLITS) expect(a.skin![s].length, `${n} ${salt} ${s}`).toBeGreaterThan(0);
      }
    }
  });

  it('puts all of a kind with < 3 groups in train and reports the sharing', () => {
    const a = assignSplits(pool);
    expect(a.hair).toEqual({ train: ['hair/0', 'hair/1'], validation: [], test: [] });
    const v = assetsForSplit(a, 'validation', 'hair');
    expect(v.shared).toBe(true);
    expect(v.ids).toEqual(['hair/0', 'hair/1']);
    expect(v.note).toMatch(/shares those of train/);
    expect(assetsForSplit(a, 'train', 'hair').shared).toBe(false);
    expect(assetsForSplit(a, 'test', 'skin').shared).toBe(false);
    expect(assetsForSplit(a, 'test', 'nothing')).toEqual({
      ids: [],
      shared: false,
      note: 'no assets of kind nothing',
    });
  });

  it('keeps a mirrored clip with its original and CMU clips with their performer', () => {
    const clips = [
      ...ids('cmu/01_0', 9),
      ...ids('cmu/02_0', 9),
      ...ids('cmu/', 40).map((s) => `${s}_01`),
      'bandai/dataset-1_bow_active_001',
      'bandai/dataset-1_bow_active_002',
      'bandai/dataset-1_walk_angry_001',
    ];
    const all = [...clips, ...clips.map((c) => `${c}#mirror`)];
    const a = assignSplits(assets('motion', all));
    const where = splitOf(a, 'motion');
    for (const c of clips) expect(where.get(`${c}#mirror`)).toBe(where.get(c));
    for (let t = 1; t < 9; t++) expect(where.get(`cmu/01_0${t}`)).toBe(where.get('cmu/01_00'));
    expect(where.get('bandai/dataset-1_bow_active_002')).toBe(
      where.get('bandai/dataset-1_bow_active_001'),
    );
    expect(assetGroup('motion', 'cmu/05_01#mirror')).toBe('cmu/05');
    expect(assetGroup('skin', 'skin/young#mirror')).toBe('skin/young');
    expect(assetGroup('background', 'backgrounds/cmu/01_01.jpg')).toBe('backgrounds/cmu/01_01.jpg');
  });

  it('moves no existing asset when one is added (hash thresholds)', () => {
    const before = assignSplits(assets('background', ids('bg', 100)));
    const after = assignSplits(assets('background', [...ids('bg', 100), 'bg-new']));
    const b = splitOf(before, 'background');
    const a = splitOf(after, 'background');
    let moved = 0;
    for (const [id, s] of b) if (a.get(id) !== s) moved++;
    expect(moved).toBe(0);
    expect(a.has('bg-new')).toBe(true);
  });

  it('moves at most one asset per repaired split when a small kind grows', () => {
    for (const salt of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      for (let n = 3; n < 10; n++) {
        const b = splitOf(assignSplits(assets('skin', ids('s', n)), undefined, salt), 'skin');
        const a = splitOf(assignSplits(assets('skin', ids('s', n + 1)), undefined, salt), 'skin');
        let moved = 0;
        for (const [id, s] of b) if (a.get(id) !== s) moved++;
        expect(moved, `${salt} ${n}`).toBeLessThanOrEqual(2);
      }
    }
  });

  it('honours custom fractions and refuses bad ones', () => {
    const a = assignSplits(assets('bg', ids('x', 50)), { train: 1, validation: 0, test: 0 });
    expect(a.bg!.train).toHaveLength(50);
    const b = assignSplits(assets('bg', ids('x', 2)), { train: 0, validation: 1, test: 1 });
    expect([b.bg!.train.length, b.bg!.validation.length, b.bg!.test.length]).toEqual([0, 1, 1]);
    const c = assignSplits(assets('bg', ids('x', 1)), { train: 0, validation: 1, test: 1 });
    expect(c.bg!.validation).toEqual(['x0']);
    expect(() => assignSplits([], { train: -1, validation: 1, test: 1 })).toThrow();
    expect(() => assignSplits([], { train: 0, validation: 0, test: 0 })).toThrow();
  });
});

describe('hash32', () => {
  it('is a fixed, well-spread 32-bit hash', () => {
    expect(hash32('')).toBe(hash32(''));
    expect(hash32('a')).not.toBe(hash32('b'));
    const buckets = new Array(8).fill(0);
    for (let i = 0; i < 4000; i++) buckets[hash32(`item${i}`) >>> 29]++;
    for (const c of buckets) expect(Math.abs(c - 500)).toBeLessThan(100);
  });
});
