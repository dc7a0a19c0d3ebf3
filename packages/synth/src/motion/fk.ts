/**
 * Forward kinematics for a parsed BVH: per frame, the global rotation (3×3, row-major) and
 * global position of every joint, End Sites included.
 *
 * BVH conventions used: a joint's local rotation is the product of its rotation channels in
 * the order the file lists them, R = R_c1 · R_c2 · R_c3 (intrinsic rotations, degrees), and
 * its local translation (in the parent's frame) is its OFFSET, combined with its position
 * channels according to `FkOptions.positionChannels`. Global: G_j = G_parent · R_j and
 * p_j = p_parent + G_parent · t_j. With all rotations zero every G_j is the identity, so the
 * global rotation of a joint is also its rotation relative to the rest pose.
 */
import type { Bvh } from './bvh.js';

export interface FkOptions {
  /**
   * How position channels combine with OFFSET:
   * - `'add'` (default): t = OFFSET + channel values (the root of the Reallusion/iClone files
   *   carries small displacements around its OFFSET);
   * - `'replace'`: a channel's value replaces that axis of OFFSET (Bandai Namco files, whose
   *   position channels repeat the offsets).
   */
  positionChannels?: 'add' | 'replace';
  /**
   * Which joints' position channels are used (by joint name); the others keep their OFFSET,
   * so their bones stay exactly rigid. Default: every joint's channels are used.
   */
  translated?: (jointName: string) => boolean;
  /** Factor applied to all lengths, e.g. 0.01 for centimetres → metres. Default 1. */
  scale?: number;
  /**
   * Joint indices that are needed: only they and their ancestors are computed (the others
   * stay zero). Default: all joints.
   */
  only?: readonly number[];
}

export interface FkResult {
  readonly numFrames: number;
  readonly numJoints: number;
  /** F × J × 3 global positions (scaled). */
  readonly positions: Float64Array;
  /** F × J × 9 global rotations, row-major 3×3. */
  readonly rotations: Float64Array;
}

const DEG = Math.PI / 180;

/** Right-multiplies the row-major 3×3 `m` (at `o`) by the rotation of `deg` about `axis`. */
function rightMultiplyAxis(m: Float64Array, o: number, axis: number, deg: number): void {
  const a = deg * DEG;
  const c = Math.cos(a);
  const s = Math.sin(a);
  // Columns i, k are mixed: for X (1,2), Y (2,0), Z (0,1): col_i' = c·col_i + s·col_k,
  // col_k' = −s·col_i + c·col_k.
  const i = axis === 0 ? 1 : axis === 1 ? 2 : 0;
  const k = axis === 0 ? 2 : axis === 1 ? 0 : 1;
  for (let r = 0; r < 3; r++) {
    const mi = m[o + r * 3 + i]!;
    const mk = m[o + r * 3 + k]!;
    m[o + r * 3 + i] = c * mi + s * mk;
    m[o + r * 3 + k] = -s * mi + c * mk;
  }
}

/**
 * The rotation matrix (row-major) of Euler angles in degrees applied in the given axis order
 * (0 = X, 1 = Y, 2 = Z): R = R_axes[0](deg[0]) · R_axes[1](deg[1]) · …
 */
export function eulerToMatrix(axes: readonly number[], deg: readonly number[]): Float64Array {
  const m = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (let n = 0; n < axes.length; n++) rightMultiplyAxis(m, 0, axes[n]!, deg[n]!);
  return m;
}

interface JointPlan {
  parent: number;
  ox: number;
  oy: number;
  oz: number;
  /** Column of each position channel (−1 if absent) for x, y, z. */
  px: number;
  py: number;
  pz: number;
  rotAxes: number[];
  rotCols: number[];
}

function plan(bvh: Bvh, opts: FkOptions): JointPlan[] {
  return bvh.joints.map((j) => {
    const p: JointPlan = {
      parent: j.parent,
      ox: j.offset[0],
      oy: j.offset[1],
      oz: j.offset[2],
      px: -1,
      py: -1,
      pz: -1,
      rotAxes: [],
      rotCols: [],
    };
    const usePos = opts.translated === undefined || opts.translated(j.name);
    j.channels.forEach((ch, n) => {
      const col = j.channelStart + n;
      const axis = ch.charCodeAt(0) - 88; // 'X' = 88
      if (ch.endsWith('rotation')) {
        p.rotAxes.push(axis);
        p.rotCols.push(col);
      } else if (usePos) {
        if (axis === 0) p.px = col;
        else if (axis === 1) p.py = col;
        else p.pz = col;
      }
    });
    return p;
  });
}

/** Joints to compute: `only` and all their ancestors (all joints by default). */
function neededJoints(bvh: Bvh, only: readonly number[] | undefined): Uint8Array {
  const need = new Uint8Array(bvh.joints.length);
  if (only === undefined) return need.fill(1);
  for (const j0 of only) {
    for (let j = j0; j >= 0 && need[j] === 0; j = bvh.joints[j]!.parent) need[j] = 1;
  }
  return need;
}

/** Global rotations and positions of every joint in every frame. */
export function forwardKinematics(bvh: Bvh, opts: FkOptions = {}): FkResult {
  const J = bvh.joints.length;
  const F = bvh.numFrames;
  const C = bvh.numChannels;
  const scale = opts.scale ?? 1;
  const replace = opts.positionChannels === 'replace';
  const plans = plan(bvh, opts);
  const need = neededJoints(bvh, opts.only);
  const positions = new Float64Array(F * J * 3);
  const rotations = new Float64Array(F * J * 9);
  const motion = bvh.motion;
  const local = new Float64Array(9);

  for (let f = 0; f < F; f++) {
    const row = f * C;
    for (let j = 0; j < J; j++) {
      if (need[j] === 0) continue;
      const p = plans[j]!;
      // Local translation.
      let tx = p.ox;
      let ty = p.oy;
      let tz = p.oz;
      if (replace) {
        if (p.px >= 0) tx = motion[row + p.px]!;
        if (p.py >= 0) ty = motion[row + p.py]!;
        if (p.pz >= 0) tz = motion[row + p.pz]!;
      } else {
        if (p.px >= 0) tx += motion[row + p.px]!;
        if (p.py >= 0) ty += motion[row + p.py]!;
        if (p.pz >= 0) tz += motion[row + p.pz]!;
      }
      tx *= scale;
      ty *= scale;
      tz *= scale;
      // Local rotation.
      local.fill(0);
      local[0] = local[4] = local[8] = 1;
      for (let n = 0; n < p.rotAxes.length; n++) {
        rightMultiplyAxis(local, 0, p.rotAxes[n]!, motion[row + p.rotCols[n]!]!);
      }
      const go = (f * J + j) * 9;
      const po = (f * J + j) * 3;
      if (p.parent < 0) {
        rotations.set(local, go);
        positions[po] = tx;
        positions[po + 1] = ty;
        positions[po + 2] = tz;
        continue;
      }
      const gp = (f * J + p.parent) * 9;
      const pp = (f * J + p.parent) * 3;
      for (let r = 0; r < 3; r++) {
        const a0 = rotations[gp + r * 3]!;
        const a1 = rotations[gp + r * 3 + 1]!;
        const a2 = rotations[gp + r * 3 + 2]!;
        rotations[go + r * 3] = a0 * local[0]! + a1 * local[3]! + a2 * local[6]!;
        rotations[go + r * 3 + 1] = a0 * local[1]! + a1 * local[4]! + a2 * local[7]!;
        rotations[go + r * 3 + 2] = a0 * local[2]! + a1 * local[5]! + a2 * local[8]!;
        positions[po + r] = positions[pp + r]! + a0 * tx + a1 * ty + a2 * tz;
      }
    }
  }
  return { numFrames: F, numJoints: J, positions, rotations };
}

/**
 * Rest pose: every rotation zero and position channels ignored, so each joint sits at the
 * sum of OFFSETs from the root (scaled). J × 3.
 */
export function restPositions(bvh: Bvh, opts: Pick<FkOptions, 'scale'> = {}): Float64Array {
  const scale = opts.scale ?? 1;
  const J = bvh.joints.length;
  const out = new Float64Array(J * 3);
  for (let j = 0; j < J; j++) {
    const joint = bvh.joints[j]!;
    for (let r = 0; r < 3; r++) {
      const base = joint.parent < 0 ? 0 : out[joint.parent * 3 + r]!;
      out[j * 3 + r] = base + joint.offset[r]! * scale;
    }
  }
  return out;
}
