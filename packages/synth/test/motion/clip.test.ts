import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../../test-support/shared-data.js';
import {
  listMotionClips,
  loadClip,
  MOTION_JOINTS,
  MOTION_PARENT,
  MOTION_PARENT_INDEX,
  type MotionCatalogEntry,
  type MotionClip,
  type MotionJoint,
  mirrorClip,
  sampleFrames,
  segmentRelationError,
} from '../../src/motion/index.js';

const J = MOTION_JOINTS.length;
const ix = (n: MotionJoint): number => MOTION_JOINTS.indexOf(n);
const at = (c: MotionClip, f: number, n: MotionJoint, a: number): number =>
  c.positions[(f * J + ix(n)) * 3 + a]!;

/** A clip whose joints all sit at the pelvis except l_wrist, offset in x by `wristX[f]`. */
function syntheticClip(wristX: number[], pelvisStep = 1): MotionClip {
  const F = wristX.length;
  const positions = new Float64Array(F * J * 3);
  const rotations = new Float64Array(F * J * 9);
  for (let f = 0; f < F; f++) {
    for (let j = 0; j < J; j++) {
      positions[(f * J + j) * 3] = f * pelvisStep + j / 64; // the whole body translates
      positions[(f * J + j) * 3 + 1] = 1 + j / 32;
      positions[(f * J + j) * 3 + 2] = -j / 16;
      rotations.set([1, 0, 0, 0, 1, 0, 0, 0, 1], (f * J + j) * 9);
    }
    const w = (f * J + ix('l_wrist')) * 3;
    positions[w] = positions[w]! + wristX[f]!;
  }
  return {
    id: 'synthetic',
    source: 'cmu',
    license: 'test',
    fps: 30,
    numFrames: F,
    rest: positions.slice(0, J * 3),
    positions,
    rotations,
  };
}

describe('MOTION_PARENT', () => {
  it('is a tree rooted at the pelvis with parents listed first', () => {
    expect(MOTION_PARENT.pelvis).toBeNull();
    MOTION_JOINTS.forEach((n, j) => {
      if (j > 0) expect(MOTION_PARENT_INDEX[j]!).toBeLessThan(j);
      if (j > 0) expect(MOTION_PARENT_INDEX[j]).toBe(ix(MOTION_PARENT[n]!));
    });
    expect(MOTION_PARENT.l_toe_end).toBe('l_toe');
    expect(MOTION_PARENT.r_clavicle).toBe('chest');
  });
});

describe('sampleFrames', () => {
  it('keeps frame 0 and each frame ≥ threshold from the last kept one (pelvis removed)', () => {
    const clip = syntheticClip([0, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.5, 0.5]);
    expect(sampleFrames(clip, { minDisplacementM: 0.125 })).toEqual([0, 2, 4, 6]);
    expect(sampleFrames(clip, { minDisplacementM: 0.0625 })).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sampleFrames(clip, { minDisplacementM: 1 })).toEqual([0]);
    // default 0.1 m
    expect(sampleFrames(clip)).toEqual([0, 2, 4, 6]);
    expect(sampleFrames(syntheticClip([0, 0.09, 0.18, 0.27]))).toEqual([0, 2]);
  });
  it('rejects a negative threshold', () => {
    expect(() => sampleFrames(syntheticClip([0]), { minDisplacementM: -1 })).toThrow(
      /minDisplacementM/,
    );
  });
});

describe('mirrorClip (synthetic)', () => {
  it('negates x, swaps sides, conjugates rotations and round-trips', () => {
    const clip = syntheticClip([0, 0.3]);
    const c = 0.6;
    const s = 0.8;
    clip.rotations.set([c, -s, 0, s, c, 0, 0, 0, 1], (1 * J + ix('r_elbow')) * 9); // about Z
    const m = mirrorClip(clip);
    expect(m.id).toBe('synthetic#mirror');
    expect(at(m, 1, 'r_wrist', 0)).toBeCloseTo(-at(clip, 1, 'l_wrist', 0), 15);
    expect(at(m, 1, 'r_wrist', 1)).toBe(at(clip, 1, 'l_wrist', 1));
    expect(at(m, 1, 'pelvis', 0)).toBe(-at(clip, 1, 'pelvis', 0));
    // M Rz(θ) M = Rz(−θ)
    expect(
      [...m.rotations.subarray((1 * J + ix('l_elbow')) * 9, (1 * J + ix('l_elbow')) * 9 + 9)].map(
        (v) => v + 0,
      ),
    ).toEqual([c, s, 0, -s, c, 0, 0, 0, 1]);
    const back = mirrorClip(m);
    expect(back.id).toBe('synthetic');
    expect(back.positions).toEqual(clip.positions);
    expect(back.rotations).toEqual(clip.rotations);
    expect(back.rest).toEqual(clip.rest);
  });
});

// --- Real clips ------------------------------------------------------------------------------

const data = sharedData(
  ['mocap/cmu/iclone_bvh', 'mocap/bandai', 'mocap/cmu/iclone_bvh/007/007_01.bvh'],
  'motion/clip',
);

/** Segments whose canonical child is not a direct BVH child of the rotation joint (CC rig). */
const SPANNING_CC: MotionJoint[] = ['chest', 'neck'];
/** Measured over all 61 CMU clips: 20.8 mm (chest), 31.0 mm (neck). */
const SPANNING_RELATION_TOL_M = 0.035;
/** Measured: up to 11.1 mm (chest) and 17.7 mm (neck) of length change within a clip. */
const SPANNING_LENGTH_TOL_M = 0.02;

function dot3(a: number[], b: number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
function vec(c: MotionClip, f: number, a: MotionJoint, b: MotionJoint): number[] {
  return [0, 1, 2].map((k) => at(c, f, a, k) - at(c, f, b, k));
}

/**
 * Frames in which the feet agree on a forward direction (toe ends ahead of ankles, both
 * horizontal vectors ≥ 4 cm and within 90°): there left = up × forward = (f_z, 0, −f_x).
 * Returns [frames where l_hip and l_shoulder are on the left, qualifying frames].
 */
function leftCheck(c: MotionClip): [number, number] {
  let ok = 0;
  let n = 0;
  for (let f = 0; f < c.numFrames; f++) {
    const lf = vec(c, f, 'l_toe_end', 'l_ankle');
    const rf = vec(c, f, 'r_toe_end', 'r_ankle');
    lf[1] = 0;
    rf[1] = 0;
    if (Math.hypot(...lf) < 0.04 || Math.hypot(...rf) < 0.04 || dot3(lf, rf) <= 0) continue;
    const fwd = [lf[0]! + rf[0]!, 0, lf[2]! + rf[2]!];
    const left = [fwd[2]!, 0, -fwd[0]!];
    n++;
    if (
      dot3(vec(c, f, 'l_hip', 'r_hip'), left) > 0 &&
      dot3(vec(c, f, 'l_shoulder', 'r_shoulder'), left) > 0
    )
      ok++;
  }
  return [ok, n];
}

/** Max over frames of head_end height above the lowest foot joint. */
function stature(c: MotionClip): number {
  let best = 0;
  const feet: MotionJoint[] = ['l_ankle', 'r_ankle', 'l_toe', 'r_toe', 'l_toe_end', 'r_toe_end'];
  for (let f = 0; f < c.numFrames; f++) {
    const low = Math.min(...feet.map((n) => at(c, f, n, 1)));
    best = Math.max(best, at(c, f, 'head_end', 1) - low);
  }
  return best;
}

describe.skipIf(data.skip)('clips from the shared mocap', () => {
  let entries: MotionCatalogEntry[] = [];
  const clips = new Map<string, MotionClip>();
  const warnings: string[] = [];
  beforeAll(() => {
    entries = listMotionClips(data.path('.'));
    for (const e of entries) clips.set(e.id, loadClip(e, { onWarning: (w) => warnings.push(w) }));
  }, 60_000);
  const clip = (id: string): MotionClip => {
    const c = clips.get(id);
    if (!c) throw new Error(`no clip ${id}`);
    return c;
  };

  it('loads all 305 clips (61 CMU at 60 fps, 244 Bandai at 30 fps) without warnings', () => {
    expect(clips.size).toBe(305);
    expect(warnings).toEqual([]);
    let cmuFrames = 0;
    let bandaiFrames = 0;
    for (const c of clips.values()) {
      expect(c.positions.length).toBe(c.numFrames * J * 3);
      expect(c.rotations.length).toBe(c.numFrames * J * 9);
      expect(c.rest.length).toBe(J * 3);
      expect(Math.round(c.fps)).toBe(c.source === 'cmu' ? 60 : 30);
      if (c.source === 'cmu') cmuFrames += c.numFrames;
      else bandaiFrames += c.numFrames;
    }
    // SOURCES.md: 26,468 CMU frames; 31,914 + 10,906 Bandai frames.
    expect(cmuFrames).toBe(26_468);
    expect(bandaiFrames).toBe(31_914 + 10_906);
  });

  it('segments satisfy positions[c] − positions[j] = R[j]·(rest[c] − rest[j])', () => {
    for (const c of clips.values()) {
      const err = segmentRelationError(c);
      MOTION_JOINTS.forEach((n, j) => {
        const tol = c.source === 'cmu' && SPANNING_CC.includes(n) ? SPANNING_RELATION_TOL_M : 1e-6;
        if (!(err[j]! <= tol)) throw new Error(`${c.id} segment →${n}: ${err[j]} m > ${tol} m`);
      });
    }
    // The spanning segments really are approximate (so the split above is meaningful).
    expect(segmentRelationError(clip('cmu/05_06'))[ix('neck')]!).toBeGreaterThan(0.01);
  });

  it('bone lengths are constant along each clip', () => {
    for (const c of clips.values()) {
      for (let j = 1; j < J; j++) {
        const p = MOTION_PARENT_INDEX[j]!;
        const name = MOTION_JOINTS[j]!;
        const tol = c.source === 'cmu' && SPANNING_CC.includes(name) ? SPANNING_LENGTH_TOL_M : 1e-6;
        const len = (f: number) =>
          Math.hypot(
            ...[0, 1, 2].map(
              (a) => c.positions[(f * J + j) * 3 + a]! - c.positions[(f * J + p) * 3 + a]!,
            ),
          );
        const l0 = len(0);
        let worst = 0;
        for (let f = 1; f < c.numFrames; f++) worst = Math.max(worst, Math.abs(len(f) - l0));
        if (!(worst < tol))
          throw new Error(`${c.id} bone ${MOTION_JOINTS[p]}→${name} varies by ${worst} m`);
      }
    }
  });

  it('rotations are proper rotations', () => {
    for (const id of ['cmu/02_01', 'cmu/05_06', 'bandai/dataset-1_dash_active_001']) {
      const R = clip(id).rotations;
      for (let o = 0; o < R.length; o += 9) {
        const det =
          R[o]! * (R[o + 4]! * R[o + 8]! - R[o + 5]! * R[o + 7]!) -
          R[o + 1]! * (R[o + 3]! * R[o + 8]! - R[o + 5]! * R[o + 6]!) +
          R[o + 2]! * (R[o + 3]! * R[o + 7]! - R[o + 4]! * R[o + 6]!);
        expect(Math.abs(det - 1)).toBeLessThan(1e-9);
      }
    }
  });

  const STANDING = [
    'cmu/02_01', // walk (RL_BoneRoot file)
    'cmu/07_01', // walk (RL_BoneRoot file)
    'cmu/07_02',
    'cmu/06_01', // basketball dribble
    'cmu/05_01',
    'bandai/dataset-1_walk_normal_001',
    'bandai/dataset-1_bow_normal_001',
    'bandai/dataset-2_wave-left-hand_normal_001',
    'bandai/dataset-2_walk-turn-right_masculine_001',
  ];

  it("left joints are on the performer's left, in original and mirrored clips", () => {
    for (const id of STANDING) {
      for (const c of [clip(id), mirrorClip(clip(id))]) {
        const [ok, n] = leftCheck(c);
        expect(n, c.id).toBeGreaterThan(c.numFrames / 3);
        if (ok < 0.95 * n) throw new Error(`${c.id}: left side correct in ${ok} of ${n} frames`);
      }
    }
  });

  it('heights are plausible for an adult (head top 1.5–2.0 m above the feet)', () => {
    for (const id of STANDING) {
      const h = stature(clip(id));
      if (!(h > 1.5 && h < 2.0)) throw new Error(`${id}: stature ${h} m`);
    }
    // Measured: CMU (CC rig, ~1.75–1.85 m), Bandai (~1.56–1.60 m).
    expect(stature(clip('cmu/07_01'))).toBeGreaterThan(1.7);
    expect(stature(clip('bandai/dataset-1_bow_normal_001'))).toBeGreaterThan(1.55);
  });

  it('mirrorClip swaps sides numerically, keeps the relation, and twice is the identity', () => {
    for (const id of ['cmu/02_01', 'cmu/05_06', 'bandai/dataset-1_walk_normal_001']) {
      const c = clip(id);
      const m = mirrorClip(c);
      expect(m.id).toBe(`${id}#mirror`);
      for (const f of [0, Math.floor(c.numFrames / 2), c.numFrames - 1]) {
        for (const [a, b] of [
          ['l_wrist', 'r_wrist'],
          ['r_toe_end', 'l_toe_end'],
          ['head', 'head'],
        ] as [MotionJoint, MotionJoint][]) {
          expect(at(m, f, a, 0)).toBeCloseTo(-at(c, f, b, 0), 12);
          expect(at(m, f, a, 1)).toBe(at(c, f, b, 1));
          expect(at(m, f, a, 2)).toBe(at(c, f, b, 2));
        }
      }
      const errM = segmentRelationError(m);
      const errC = segmentRelationError(c);
      for (let j = 0; j < J; j++) {
        expect(Math.abs(errM[j]! - errC[MIRROR_OF[j]!]!)).toBeLessThan(1e-9);
      }
      const back = mirrorClip(m);
      expect(back.id).toBe(id);
      expect(back.positions).toEqual(c.positions);
      expect(back.rotations).toEqual(c.rotations);
      expect(back.rest).toEqual(c.rest);
    }
  });

  it('sampleFrames on a real clip respects the threshold', () => {
    const c = clip('cmu/07_02');
    const kept = sampleFrames(c, { minDisplacementM: 0.1 });
    expect(kept[0]).toBe(0);
    const rel = (f: number, j: number) =>
      [0, 1, 2].map((a) => c.positions[(f * J + j) * 3 + a]! - c.positions[f * J * 3 + a]!);
    const maxMove = (f: number, k: number) => {
      let m = 0;
      for (let j = 0; j < J; j++)
        m = Math.max(m, Math.hypot(...rel(f, j).map((v, a) => v - rel(k, j)[a]!)));
      return m;
    };
    let k = 0;
    let next = 1;
    for (let f = 1; f < c.numFrames; f++) {
      if (kept[next] === f) {
        expect(maxMove(f, k)).toBeGreaterThanOrEqual(0.1);
        k = f;
        next++;
      } else {
        expect(maxMove(f, k)).toBeLessThan(0.1);
      }
    }
    expect(next).toBe(kept.length);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(c.numFrames / 2);
  });
});

const MIRROR_OF = MOTION_JOINTS.map((n) =>
  ix(
    (n.startsWith('l_')
      ? `r_${n.slice(2)}`
      : n.startsWith('r_')
        ? `l_${n.slice(2)}`
        : n) as MotionJoint,
  ),
);
