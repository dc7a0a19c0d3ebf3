import { describe, expect, it } from 'vitest';
import {
  CANONICAL_SKELETON,
  canonicalReferencePoseMm,
  convertPoseBatch,
  convertPoses,
  getSkeleton,
  jointParents,
  listSkeletons,
  type Skeleton,
  skeletonDefinitionProblems,
  typicalBoneLengthsMm,
} from '../src/skeletons.js';
import { expectGeometryError, maxAbsDiff } from './assertions.js';
import { makeRng } from './random.js';

const ALL = [
  'smpl+head_30',
  'smpl_24',
  'h36m_17',
  'coco_19',
  'coco_17',
  'lsp_14',
  'mpi_inf_3dhp_17',
  'mpii_16',
];

const CANONICAL_NAMES =
  'pelv,lhip,rhip,spi1,lkne,rkne,spi2,lank,rank,spi3,ltoe,rtoe,neck,lcla,rcla,head,lsho,rsho,lelb,relb,lwri,rwri,lhan,rhan,htop,nose,leye,reye,lear,rear'.split(
    ',',
  );

/** The same J × d pose (uniform in ±1 m) for the same seed. */
function randomPose(seed: number, j = 30, d = 3): number[][] {
  const rng = makeRng(seed);
  return Array.from({ length: j }, () => Array.from({ length: d }, () => rng.uniform(-1000, 1000)));
}

/** Horizontal flip of a pose: negate x and swap left/right joints. */
function mirrorPose(pose: number[][], mirror: readonly number[]): number[][] {
  return mirror.map((m) => {
    const p = pose[m]!;
    return [-p[0]!, ...p.slice(1)];
  });
}

/** Every coordinate within `tol` (inclusive), with matching shapes. */
function expectPosesClose(a: number[][], b: number[][], tol = 1e-9): void {
  expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(tol);
}

function jointIndex(s: Skeleton, name: string): number {
  const i = s.jointNames.indexOf(name);
  if (i < 0) throw new Error(`${s.name} has no joint ${name}`);
  return i;
}

describe('registry', () => {
  it('lists every required skeleton, canonical first', () => {
    const names = listSkeletons();
    expect(names[0]).toBe(CANONICAL_SKELETON);
    expect([...names].sort()).toEqual([...ALL].sort());
    names.push('mutated');
    expect(listSkeletons()).not.toContain('mutated');
  });

  it('has the canonical joint order', () => {
    expect(CANONICAL_SKELETON).toBe('smpl+head_30');
    expect(getSkeleton(CANONICAL_SKELETON).jointNames).toEqual(CANONICAL_NAMES);
  });

  it("treats '' as the canonical skeleton", () => {
    expect(getSkeleton('')).toBe(getSkeleton('smpl+head_30'));
    const pose = randomPose(1);
    expect(convertPoses(pose, '', '')).toEqual(pose);
    expect(convertPoses(pose, 'h36m_17', '')).toEqual(convertPoses(pose, 'h36m_17'));
  });

  it('rejects unknown names with the list of available ones', () => {
    expectGeometryError(() => getSkeleton('h36m'), 'unknown-skeleton', /h36m_17.*coco_19/s);
    expectGeometryError(() => getSkeleton('SMPL_24'), 'unknown-skeleton', /smpl\+head_30/);
    expectGeometryError(() => convertPoses(randomPose(1), 'nope'), 'unknown-skeleton', /nope/);
    expectGeometryError(() => convertPoses(randomPose(1), 'coco_17', 'nope'), 'unknown-skeleton');
    expectGeometryError(() => typicalBoneLengthsMm('nope'), 'unknown-skeleton');
    expectGeometryError(() => jointParents('nope'), 'unknown-skeleton');
  });

  it('uses the documented joint orders', () => {
    expect(getSkeleton('h36m_17').jointNames.join(',')).toBe(
      'pelv,rhip,rkne,rank,lhip,lkne,lank,spin,thor,neck,htop,lsho,lelb,lwri,rsho,relb,rwri',
    );
    expect(getSkeleton('coco_19').jointNames.join(',')).toBe(
      'neck,nose,pelv,lsho,lelb,lwri,lhip,lkne,lank,rsho,relb,rwri,rhip,rkne,rank,leye,lear,reye,rear',
    );
    expect(getSkeleton('coco_17').jointNames.join(',')).toBe(
      'nose,leye,reye,lear,rear,lsho,rsho,lelb,relb,lwri,rwri,lhip,rhip,lkne,rkne,lank,rank',
    );
    expect(getSkeleton('lsp_14').jointNames.join(',')).toBe(
      'rank,rkne,rhip,lhip,lkne,lank,rwri,relb,rsho,lsho,lelb,lwri,neck,htop',
    );
    expect(getSkeleton('mpi_inf_3dhp_17').jointNames.join(',')).toBe(
      'htop,neck,rsho,relb,rwri,lsho,lelb,lwri,rhip,rkne,rank,lhip,lkne,lank,pelv,spin,head',
    );
    expect(getSkeleton('mpii_16').jointNames.join(',')).toBe(
      'rank,rkne,rhip,lhip,lkne,lank,pelv,thor,neck,htop,rwri,relb,rsho,lsho,lelb,lwri',
    );
    expect(getSkeleton('smpl_24').jointNames).toEqual(CANONICAL_NAMES.slice(0, 24));
  });
});

describe.each(ALL)('skeleton %s', (name) => {
  const s = getSkeleton(name);
  const nJ = s.jointNames.length;

  it('has a matching name, a definition and unique joint names', () => {
    expect(s.name).toBe(name);
    expect(s.definition.length).toBeGreaterThan(10);
    expect(new Set(s.jointNames).size).toBe(nJ);
    for (const n of s.jointNames) expect(n).toMatch(/^[a-z0-9]{3,5}$/);
  });

  it('has edges forming a spanning tree with one parent per joint', () => {
    expect(s.edges.length).toBe(nJ - 1);
    // union-find: no edge may join two already connected joints
    const root = Array.from({ length: nJ }, (_, i) => i);
    const find = (i: number): number => {
      while (root[i] !== i) i = root[i]!;
      return i;
    };
    const childCount = new Array<number>(nJ).fill(0);
    for (const [p, c] of s.edges) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(nJ);
      expect(c).toBeLessThan(nJ);
      const rp = find(p);
      const rc = find(c);
      expect(rp).not.toBe(rc);
      root[rp] = rc;
      childCount[c]! += 1;
    }
    const roots = new Set(Array.from({ length: nJ }, (_, i) => find(i)));
    expect(roots.size).toBe(1);
    expect(childCount.filter((x) => x === 0).length).toBe(1);
    expect(childCount.every((x) => x <= 1)).toBe(true);
    const parents = jointParents(name);
    expect(parents.filter((p) => p === -1).length).toBe(1);
    for (const [p, c] of s.edges) expect(parents[c]).toBe(p);
  });

  it('has a mirror map that is an involution pairing l*/r* names', () => {
    expect(s.mirror.length).toBe(nJ);
    for (let i = 0; i < nJ; i++) {
      const m = s.mirror[i]!;
      expect(s.mirror[m]).toBe(i);
      const n = s.jointNames[i]!;
      const side = n[0];
      if (side === 'l' || side === 'r') {
        expect(s.jointNames[m]).toBe(`${side === 'l' ? 'r' : 'l'}${n.slice(1)}`);
      } else {
        expect(m).toBe(i);
      }
    }
    // the edge set is mirror-symmetric
    const key = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;
    const edgeSet = new Set(s.edges.map(([a, b]) => key(a, b)));
    for (const [a, b] of s.edges) expect(edgeSet.has(key(s.mirror[a]!, s.mirror[b]!))).toBe(true);
  });

  it('has non-negative fromCanonical columns summing to 1', () => {
    expect(s.fromCanonical.length).toBe(30 * nJ);
    for (const w of s.fromCanonical) expect(w).toBeGreaterThanOrEqual(0);
    for (let k = 0; k < nJ; k++) {
      let sum = 0;
      for (let i = 0; i < 30; i++) sum += s.fromCanonical[i * nJ + k]!;
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('converts as the fromCanonical matrix says', () => {
    const pose = randomPose(7);
    const out = convertPoses(pose, name);
    expect(out.length).toBe(nJ);
    for (let k = 0; k < nJ; k++) {
      for (let c = 0; c < 3; c++) {
        let expected = 0;
        for (let i = 0; i < 30; i++) expected += s.fromCanonical[i * nJ + k]! * pose[i]![c]!;
        expect(out[k]![c]).toBeCloseTo(expected, 9);
      }
    }
  });

  it('commutes with translation', () => {
    const pose = randomPose(11);
    const t = [123.5, -4567.25, 8910];
    const shifted = pose.map((p) => p.map((v, c) => v + t[c]!));
    const a = convertPoses(shifted, name);
    const b = convertPoses(pose, name).map((p) => p.map((v, c) => v + t[c]!));
    expectPosesClose(a, b, 1e-8);
  });

  it('commutes with mirroring (left/right not swapped)', () => {
    const canonical = getSkeleton(CANONICAL_SKELETON);
    for (const seed of [3, 4, 5]) {
      const pose = randomPose(seed);
      const viaMirrorFirst = convertPoses(mirrorPose(pose, canonical.mirror), name);
      const viaConvertFirst = mirrorPose(convertPoses(pose, name), s.mirror);
      expectPosesClose(viaMirrorFirst, viaConvertFirst, 1e-9);
    }
  });

  it('gives exactly the selected joints when it is a selection', () => {
    if (s.selection === null) {
      // at least one joint must be a genuine combination
      let combined = false;
      for (let k = 0; k < nJ; k++) {
        let nonzero = 0;
        for (let i = 0; i < 30; i++) if (s.fromCanonical[i * nJ + k] !== 0) nonzero++;
        if (nonzero > 1) combined = true;
      }
      expect(combined).toBe(true);
      return;
    }
    expect(s.selection.length).toBe(nJ);
    const pose = randomPose(13);
    const out = convertPoses(pose, name);
    for (let k = 0; k < nJ; k++) {
      const i = s.selection[k]!;
      expect(out[k]).toEqual(pose[i]);
      // selected joints keep their canonical names
      expect(s.jointNames[k]).toBe(CANONICAL_NAMES[i]);
    }
  });

  it('is its own identity conversion', () => {
    const pose = randomPose(17, nJ);
    expect(convertPoses(pose, name, name)).toEqual(pose);
  });

  it('has finite, positive, left/right symmetric typical bone lengths', () => {
    const lengths = typicalBoneLengthsMm(name);
    expect(lengths.length).toBe(s.edges.length);
    for (const l of lengths) {
      expect(Number.isFinite(l)).toBe(true);
      expect(l).toBeGreaterThan(20);
      expect(l).toBeLessThan(700);
    }
    s.edges.forEach(([a, b], e) => {
      const m = s.edges.findIndex(
        ([c, d]) =>
          (c === s.mirror[a] && d === s.mirror[b]) || (d === s.mirror[a] && c === s.mirror[b]),
      );
      expect(lengths[m]).toBeCloseTo(lengths[e]!, 9);
    });
  });
});

describe('selection skeletons', () => {
  it('marks exactly the pure selections', () => {
    expect(getSkeleton('smpl+head_30').selection).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(getSkeleton('smpl_24').selection).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(getSkeleton('coco_17').selection).toEqual([
      25, 26, 27, 28, 29, 16, 17, 18, 19, 20, 21, 1, 2, 4, 5, 7, 8,
    ]);
    for (const n of ['h36m_17', 'coco_19', 'lsp_14', 'mpi_inf_3dhp_17', 'mpii_16']) {
      expect(getSkeleton(n).selection).toBeNull();
    }
  });
});

describe('derived joint definitions', () => {
  const pose = randomPose(23);
  const c = (n: string) => pose[CANONICAL_NAMES.indexOf(n)]!;
  const mid = (a: number[], b: number[], wa = 0.5) => a.map((v, i) => wa * v + (1 - wa) * b[i]!);

  it('h36m_17: pelvis = hip midpoint, thorax = SMPL neck, neck/nose = head-nose midpoint', () => {
    const s = getSkeleton('h36m_17');
    const out = convertPoses(pose, 'h36m_17');
    const hips = mid(c('lhip'), c('rhip'));
    expectPosesClose([out[jointIndex(s, 'pelv')]!], [hips]);
    expectPosesClose([out[jointIndex(s, 'thor')]!], [c('neck')]);
    expectPosesClose([out[jointIndex(s, 'neck')]!], [mid(c('head'), c('nose'))]);
    expectPosesClose([out[jointIndex(s, 'spin')]!], [mid(hips, c('neck'))]);
    expectPosesClose([out[jointIndex(s, 'lwri')]!], [c('lwri')]);
    expectPosesClose([out[jointIndex(s, 'rank')]!], [c('rank')]);
  });

  it('lsp_14 and mpii_16: neck is the SMPL neck-head midpoint', () => {
    for (const n of ['lsp_14', 'mpii_16']) {
      const s = getSkeleton(n);
      const out = convertPoses(pose, n);
      expectPosesClose([out[jointIndex(s, 'neck')]!], [mid(c('neck'), c('head'))]);
      expectPosesClose([out[jointIndex(s, 'htop')]!], [c('htop')]);
    }
  });

  it('coco_19 and mpi_inf_3dhp_17: pelvis is the hip midpoint', () => {
    for (const n of ['coco_19', 'mpi_inf_3dhp_17', 'mpii_16']) {
      const s = getSkeleton(n);
      const out = convertPoses(pose, n);
      expectPosesClose([out[jointIndex(s, 'pelv')]!], [mid(c('lhip'), c('rhip'))]);
    }
    const s = getSkeleton('mpi_inf_3dhp_17');
    const out = convertPoses(pose, 'mpi_inf_3dhp_17');
    expectPosesClose([out[jointIndex(s, 'head')]!], [c('head')]);
    expectPosesClose([out[jointIndex(s, 'neck')]!], [c('neck')]);
  });
});

describe('reference pose', () => {
  const pose = canonicalReferencePoseMm();
  const s = getSkeleton(CANONICAL_SKELETON);
  const at = (n: string) => pose[jointIndex(s, n)]!;

  it('is 30 × 3 with the pelvis at the origin and returns a fresh copy', () => {
    expect(pose.length).toBe(30);
    for (const p of pose) {
      expect(p.length).toBe(3);
      for (const v of p) expect(Number.isFinite(v)).toBe(true);
    }
    expect(at('pelv')).toEqual([0, 0, 0]);
    pose[0]![0] = 999;
    expect(canonicalReferencePoseMm()[0]).toEqual([0, 0, 0]);
    pose[0]![0] = 0;
  });

  it('faces the camera: left joints at larger x, face nearer the camera than the head', () => {
    for (let i = 0; i < 30; i++) {
      const n = s.jointNames[i]!;
      if (n[0] !== 'l') continue;
      const r = pose[s.mirror[i]!]!;
      expect(pose[i]![0]!).toBeGreaterThan(r[0]!);
      // mirror-symmetric: same height and depth
      expect(pose[i]![1]).toBe(r[1]);
      expect(pose[i]![2]).toBe(r[2]);
      expect(pose[i]![0]).toBe(-r[0]!);
    }
    expect(at('nose')[2]!).toBeLessThan(at('head')[2]!);
    expect(at('leye')[2]!).toBeLessThan(at('lear')[2]!);
    expect(at('ltoe')[2]!).toBeLessThan(at('lank')[2]!);
  });

  it('is upright with y pointing down', () => {
    expect(at('htop')[1]!).toBeLessThan(at('pelv')[1]!);
    expect(at('htop')[1]!).toBeLessThan(at('nose')[1]!);
    expect(at('neck')[1]!).toBeLessThan(at('spi3')[1]!);
    for (const side of ['l', 'r']) {
      expect(at(`${side}ank`)[1]!).toBeGreaterThan(at(`${side}kne`)[1]!);
      expect(at(`${side}kne`)[1]!).toBeGreaterThan(at(`${side}hip`)[1]!);
      expect(at(`${side}hip`)[1]!).toBeGreaterThan(at('pelv')[1]!);
      expect(at(`${side}wri`)[1]!).toBeGreaterThan(at(`${side}elb`)[1]!);
      expect(at(`${side}elb`)[1]!).toBeGreaterThan(at(`${side}sho`)[1]!);
    }
    const lowest = Math.max(...pose.map((p) => p[1]!));
    const stature = lowest - at('htop')[1]!;
    expect(stature).toBeGreaterThan(1650);
    expect(stature).toBeLessThan(1800);
  });
});

describe('typicalBoneLengthsMm', () => {
  const lengthOf = (skeleton: string, a: string, b: string): number => {
    const s = getSkeleton(skeleton);
    const ia = jointIndex(s, a);
    const ib = jointIndex(s, b);
    const e = s.edges.findIndex(([p, c]) => (p === ia && c === ib) || (p === ib && c === ia));
    if (e < 0) throw new Error(`${skeleton} has no edge ${a}-${b}`);
    return typicalBoneLengthsMm(skeleton)[e]!;
  };

  it('gives plausible adult limb lengths', () => {
    for (const sk of ['smpl+head_30', 'h36m_17', 'mpii_16', 'coco_17']) {
      for (const side of ['l', 'r']) {
        const thigh = lengthOf(sk, `${side}hip`, `${side}kne`);
        expect(thigh).toBeGreaterThan(350);
        expect(thigh).toBeLessThan(500);
        const shank = lengthOf(sk, `${side}kne`, `${side}ank`);
        expect(shank).toBeGreaterThan(350);
        expect(shank).toBeLessThan(500);
        const upperArm = lengthOf(sk, `${side}sho`, `${side}elb`);
        expect(upperArm).toBeGreaterThan(250);
        expect(upperArm).toBeLessThan(350);
        const forearm = lengthOf(sk, `${side}elb`, `${side}wri`);
        expect(forearm).toBeGreaterThan(200);
        expect(forearm).toBeLessThan(300);
      }
    }
    const hand = lengthOf('smpl+head_30', 'lwri', 'lhan');
    expect(hand).toBeGreaterThan(50);
    expect(hand).toBeLessThan(120);
    const foot = lengthOf('smpl+head_30', 'lank', 'ltoe');
    expect(foot).toBeGreaterThan(100);
    expect(foot).toBeLessThan(200);
  });

  it('measures the converted pose (the H36M pelvis sits halfway between the hips)', () => {
    const canonical = getSkeleton(CANONICAL_SKELETON);
    const ref = canonicalReferencePoseMm();
    const lhip = ref[jointIndex(canonical, 'lhip')]!;
    const rhip = ref[jointIndex(canonical, 'rhip')]!;
    const width = Math.hypot(lhip[0]! - rhip[0]!, lhip[1]! - rhip[1]!, lhip[2]! - rhip[2]!);
    expect(typicalBoneLengthsMm(CANONICAL_SKELETON).length).toBe(29);
    expect(lengthOf('h36m_17', 'pelv', 'lhip')).toBeCloseTo(width / 2, 9);
    expect(lengthOf('h36m_17', 'pelv', 'rhip')).toBeCloseTo(width / 2, 9);
  });

  it('returns a fresh array', () => {
    const a = typicalBoneLengthsMm('lsp_14');
    a[0] = -1;
    expect(typicalBoneLengthsMm('lsp_14')[0]).toBeGreaterThan(0);
  });
});

describe('convertPoses / convertPoseBatch', () => {
  it('agree between single, batched-nested and flat forms', () => {
    const poses = [randomPose(31), randomPose(32), randomPose(33)];
    for (const to of ALL) {
      const nested = convertPoses(poses, to);
      expect(nested.length).toBe(3);
      const flat = new Float64Array(poses.flat(2));
      const out = convertPoseBatch(flat, 3, 3, to);
      const nT = getSkeleton(to).jointNames.length;
      expect(out.length).toBe(3 * nT * 3);
      for (let p = 0; p < 3; p++) {
        const single = convertPoses(poses[p]!, to);
        expect(nested[p]).toEqual(single);
        for (let k = 0; k < nT; k++) {
          for (let c = 0; c < 3; c++) expect(out[(p * nT + k) * 3 + c]).toBe(single[k]![c]);
        }
      }
    }
  });

  it('handles 2D poses and detects the dimension from the data', () => {
    const pose2d = randomPose(41, 30, 2);
    const pose3d = pose2d.map((p) => [...p, 5000]);
    for (const to of ALL) {
      const a = convertPoses(pose2d, to);
      const b = convertPoses(pose3d, to).map((p) => p.slice(0, 2));
      expect(a.every((p) => p.length === 2)).toBe(true);
      expectPosesClose(a, b, 1e-9);
      const batch = convertPoses([pose2d, pose2d], to);
      expect(batch[1]).toEqual(a);
    }
  });

  it('accepts typed-array rows and Float32 flat input, and reuses out', () => {
    const pose = randomPose(43);
    const typedRows = pose.map((p) => Float64Array.from(p));
    expect(convertPoses(typedRows, 'h36m_17')).toEqual(convertPoses(pose, 'h36m_17'));
    const f32 = new Float32Array(pose.flat());
    const out = new Float64Array(17 * 3);
    const res = convertPoseBatch(f32, 1, 3, 'h36m_17', out);
    expect(res).toBe(out);
    const expected = convertPoses(
      pose.map((p) => p.map((v) => Math.fround(v))),
      'h36m_17',
    ).flat();
    for (let i = 0; i < expected.length; i++) expect(out[i]).toBeCloseTo(expected[i]!, 9);
  });

  it('returns an empty result for an empty batch', () => {
    expect(convertPoses([], 'coco_17')).toEqual([]);
    expect(convertPoseBatch(new Float64Array(0), 0, 3, 'coco_17').length).toBe(0);
  });

  it('converts between non-canonical skeletons when the target is a same-definition subset', () => {
    const pose = randomPose(51);
    const coco19 = convertPoses(pose, 'coco_19');
    expect(convertPoses(coco19, 'coco_17', 'coco_19')).toEqual(convertPoses(pose, 'coco_17'));
    const mpii = convertPoses(pose, 'mpii_16');
    expect(convertPoses(mpii, 'lsp_14', 'mpii_16')).toEqual(convertPoses(pose, 'lsp_14'));
    const smpl24 = convertPoses(pose, 'smpl_24');
    expect(convertPoses([smpl24], 'smpl_24', 'smpl_24')).toEqual([smpl24]);
    const flat = convertPoseBatch(
      new Float64Array(mpii.flat()),
      1,
      3,
      'lsp_14',
      undefined,
      'mpii_16',
    );
    expect(Array.from(flat)).toEqual(convertPoses(pose, 'lsp_14').flat());
  });

  it('refuses non-canonical conversions that would be wrong', () => {
    const h36m = convertPoses(randomPose(52), 'h36m_17');
    // smpl_24 needs joints h36m_17 lacks
    expectGeometryError(
      () => convertPoses(h36m, 'smpl_24', 'h36m_17'),
      'invalid-option',
      /lacks.*spi1/,
    );
    // lsp_14's joint names are all in h36m_17, but 'neck' means a different point
    expectGeometryError(
      () => convertPoses(h36m, 'lsp_14', 'h36m_17'),
      'invalid-option',
      /'neck' is defined differently/,
    );
    // back to the canonical set is impossible from any subset
    expectGeometryError(
      () => convertPoses(convertPoses(randomPose(1), 'smpl_24'), CANONICAL_SKELETON, 'smpl_24'),
      'invalid-option',
      /htop/,
    );
  });

  it('rejects wrong joint counts, saying expected vs got', () => {
    expectGeometryError(
      () => convertPoses(randomPose(1, 29), 'h36m_17'),
      'shape',
      /30 joints.*got 29/,
    );
    expectGeometryError(
      () => convertPoses([randomPose(1, 17)], 'coco_17'),
      'shape',
      /30 joints.*got 17/,
    );
    expectGeometryError(
      () => convertPoses(randomPose(1, 30), 'coco_17', 'coco_19'),
      'shape',
      /19 joints.*got 30/,
    );
    expectGeometryError(() => convertPoses([randomPose(1), randomPose(2, 29)], 'coco_17'), 'shape');
    expectGeometryError(
      () => convertPoseBatch(new Float64Array(30 * 3 * 2 - 1), 2, 3, 'coco_17'),
      'shape',
      /expected 180 .*got 179/,
    );
    expectGeometryError(
      () => convertPoseBatch(new Float64Array(30 * 3), 1, 3, 'coco_17', new Float64Array(10)),
      'shape',
      /51 .*got 10/,
    );
  });

  it('rejects bad dimensions and malformed input', () => {
    expectGeometryError(() => convertPoses(randomPose(1, 30, 4), 'coco_17'), 'shape', /2 or 3/);
    expectGeometryError(() => convertPoses(randomPose(1, 30, 1), 'coco_17'), 'shape', /2 or 3/);
    expectGeometryError(() => convertPoseBatch(new Float64Array(30 * 4), 1, 4, 'coco_17'), 'shape');
    const ragged = randomPose(1);
    ragged[5] = [1, 2];
    expectGeometryError(() => convertPoses(ragged, 'coco_17'), 'shape');
    expectGeometryError(() => convertPoses('pose' as unknown as number[][], 'coco_17'), 'shape');
    expectGeometryError(() => convertPoses([1, 2, 3] as unknown as number[][], 'coco_17'), 'shape');
    expectGeometryError(() => convertPoses([[]] as unknown as number[][][], 'coco_17'), 'shape');
  });

  it('rejects an output array that overlaps the input', () => {
    const buf = new Float64Array(30 * 3 + 17 * 3);
    buf.set(randomPose(1).flat());
    const data = buf.subarray(0, 90);
    expectGeometryError(
      () => convertPoseBatch(data, 1, 3, 'coco_17', buf.subarray(60, 111)),
      'invalid-option',
    );
    const out = convertPoseBatch(data, 1, 3, 'coco_17', buf.subarray(90));
    expect(Array.from(out)).toEqual(convertPoses(randomPose(1), 'coco_17').flat());
  });

  it('throws non-finite naming the pose and joint', () => {
    const poses = [randomPose(1), randomPose(2)];
    poses[1]![5]![2] = Number.NaN;
    expectGeometryError(
      () => convertPoses(poses, 'h36m_17'),
      'non-finite',
      /pose 1, joint 5 \(rkne\), coordinate z is NaN/,
    );
    const single = randomPose(3);
    single[24]![0] = Number.POSITIVE_INFINITY;
    expectGeometryError(
      () => convertPoses(single, 'coco_17'),
      'non-finite',
      /pose 0, joint 24 \(htop\).*Infinity/,
    );
    const flat = new Float32Array(30 * 2);
    flat[7] = Number.NaN;
    expectGeometryError(
      () => convertPoseBatch(flat, 1, 2, 'lsp_14'),
      'non-finite',
      /joint 3 \(spi1\), coordinate y/,
    );
  });
});

describe('skeletonDefinitionProblems', () => {
  it('accepts every registered skeleton', () => {
    for (const name of listSkeletons()) {
      const s = getSkeleton(name);
      expect(skeletonDefinitionProblems(s.jointNames, s.edges, s.mirror), name).toEqual([]);
    }
  });

  it('names what is wrong', () => {
    expect(skeletonDefinitionProblems([], [], [])).toEqual([
      '"joint_names" must be a non-empty list of strings',
    ]);
    // Not an involution: 0 → 1 but 1 → 2.
    expect(skeletonDefinitionProblems(['a', 'b', 'c'], [[0, 1]], [1, 2, 0])[0]).toMatch(
      /"mirror" must list 3 joint indices/,
    );
    expect(skeletonDefinitionProblems(['a', 'b'], [[0, 2]], [0, 1])).toEqual([
      '"edges" must be pairs of joint indices',
    ]);
    expect(skeletonDefinitionProblems(['a', 'b'], [[0, 1.5]], [1, 0])).toHaveLength(1);
  });
});
