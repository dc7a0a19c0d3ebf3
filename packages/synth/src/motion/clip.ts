/**
 * Motion clips on the canonical joint set: conversion from a parsed BVH, mirroring and
 * frame sampling. Pure (no Node APIs).
 */
import { SynthError } from '../errors.js';
import type { Bvh } from './bvh.js';
import { forwardKinematics, restPositions } from './fk.js';
import {
  MOTION_JOINTS,
  MOTION_PARENT_INDEX,
  type MotionJoint,
  type MotionRig,
  type MotionSource,
  type VirtualPoint,
} from './rigs.js';

export interface MotionClip {
  id: string;
  source: MotionSource;
  license: string;
  fps: number;
  numFrames: number;
  /**
   * Rest pose (all BVH rotations zero), metres, world frame, J×3 in MOTION_JOINTS order.
   * Exception: a segment spanning several BVH bones (CC rig: spine→chest, chest→neck,
   * pelvis→hips) uses its least-squares vector over the clip, so descendants shift slightly
   * (see docs/synth-motion.md). Only differences along segments are meaningful.
   */
  rest: Float64Array;
  /** F×J×3 global positions in metres (Y up). */
  positions: Float64Array;
  /**
   * F×J×9 global rotation (row-major 3×3) of the segment that starts at each joint, as a
   * rotation relative to the rest pose: for every joint j with child c,
   * positions[f,c] − positions[f,j] ≈ R[f,j] · (rest[c] − rest[j]). For *_end joints (no
   * child) it is the rotation of the BVH joint they sit on.
   */
  rotations: Float64Array;
}

/** Licence strings of the two collections. */
export const LICENSES = {
  cmu: 'CMU mocap terms',
  bandai: 'CC BY-NC 4.0',
  lspet: 'derived from LSP Extended labels: research use only',
} as const;

/**
 * Pose galleries (lifted from photos) hold independent poses, one per frame, not takes: no
 * calibration second to skip, and every pose stands on the floor (nothing is airborne).
 */
export function isPoseGallery(clip: { source: MotionSource }): boolean {
  return clip.source === 'lspet';
}

/** Number of canonical joints (J). */
export const NUM_MOTION_JOINTS = MOTION_JOINTS.length;

export interface ClipMeta {
  id?: string;
  source?: MotionSource;
  license?: string;
}

/** File name without folders and without `.bvh`. */
function baseName(fileName: string): string {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  return fileName.slice(slash + 1).replace(/\.bvh$/i, '');
}

/**
 * Converts a parsed BVH into a clip on MOTION_JOINTS using `rig`'s correspondences.
 * `meta` overrides the id (default: the file's base name), source (the rig's) and licence.
 * Throws `bad-asset` if the BVH lacks a joint the rig needs.
 */
export function clipFromBvh(bvh: Bvh, rig: MotionRig, meta: ClipMeta = {}): MotionClip {
  const index = new Map<string, number>();
  bvh.joints.forEach((j, i) => {
    if (!index.has(j.name)) index.set(j.name, i);
  });
  const find = (name: string, canonical: MotionJoint): number => {
    const i = index.get(name);
    if (i === undefined) {
      throw new SynthError(
        'bad-asset',
        `${bvh.fileName}: joint '${name}' (for ${canonical}) of the ${rig.name} rig is missing`,
      );
    }
    return i;
  };
  const J = MOTION_JOINTS.length;
  const posJoint = new Int32Array(J);
  const rotJoint = new Int32Array(J);
  const virt = new Float64Array(J * 3); // local offsets of virtual points (metres)
  const scale = rig.unitsToMetres;
  MOTION_JOINTS.forEach((name, j) => {
    const src = rig.joints[name];
    if (typeof src.position === 'string') {
      posJoint[j] = find(src.position, name);
    } else {
      const v: VirtualPoint = src.position;
      posJoint[j] = find(v.on, name);
      for (let a = 0; a < 3; a++) virt[j * 3 + a] = v.offset[a]! * scale;
    }
    rotJoint[j] = find(src.rotation, name);
  });

  const translated = rig.translatedJoints === undefined ? undefined : new Set(rig.translatedJoints);
  const fk = forwardKinematics(bvh, {
    scale,
    positionChannels: rig.positionChannels,
    ...(translated ? { translated: (name: string) => translated.has(name) } : {}),
    only: [...posJoint, ...rotJoint],
  });
  const restAll = restPositions(bvh, { scale });

  const F = bvh.numFrames;
  const B = bvh.joints.length;
  const positions = new Float64Array(F * J * 3);
  const rotations = new Float64Array(F * J * 9);
  const literalRest = new Float64Array(J * 3);
  for (let j = 0; j < J; j++) {
    const pj = posJoint[j]!;
    for (let a = 0; a < 3; a++) literalRest[j * 3 + a] = restAll[pj * 3 + a]! + virt[j * 3 + a]!;
  }
  for (let f = 0; f < F; f++) {
    for (let j = 0; j < J; j++) {
      const pj = posJoint[j]!;
      const src = (f * B + pj) * 3;
      const dst = (f * J + j) * 3;
      const vx = virt[j * 3]!;
      const vy = virt[j * 3 + 1]!;
      const vz = virt[j * 3 + 2]!;
      const g = (f * B + pj) * 9;
      for (let a = 0; a < 3; a++) {
        let p = fk.positions[src + a]!;
        if (vx !== 0 || vy !== 0 || vz !== 0) {
          p +=
            fk.rotations[g + a * 3]! * vx +
            fk.rotations[g + a * 3 + 1]! * vy +
            fk.rotations[g + a * 3 + 2]! * vz;
        }
        positions[dst + a] = p;
      }
      rotations.set(
        fk.rotations.subarray((f * B + rotJoint[j]!) * 9, (f * B + rotJoint[j]!) * 9 + 9),
        (f * J + j) * 9,
      );
    }
  }
  const rest = restFromEdges(literalRest, positions, rotations, F, (j, c) => {
    // A segment is rigid in its rotation joint's frame when it starts at that joint and ends
    // at a BVH child of it, or at a point fixed to the joint itself.
    const rj = rotJoint[j]!;
    if (posJoint[j] !== rj) return false;
    const pc = posJoint[c]!;
    const virtual = typeof rig.joints[MOTION_JOINTS[c]!].position !== 'string';
    return virtual ? pc === rj : bvh.joints[pc]!.parent === rj;
  });
  const source = meta.source ?? rig.source;
  return {
    id: meta.id ?? baseName(bvh.fileName),
    source,
    license: meta.license ?? LICENSES[source],
    fps: 1 / bvh.frameTime,
    numFrames: F,
    rest,
    positions,
    rotations,
  };
}

/**
 * The rest pose as a sum of per-segment vectors from the pelvis. A segment that is rigid in the
 * BVH (`rigid(parent, child)`) keeps its zero-rotation vector, so the relation
 * positions[c] − positions[j] = R[j] · (rest[c] − rest[j]) holds exactly. A segment spanning
 * several BVH bones (e.g. the CC rig's Waist→Spine01→Spine02) gets the least-squares vector
 * mean_f R[f,j]ᵀ (positions[f,c] − positions[f,j]), rescaled to the segment's mean length.
 */
function restFromEdges(
  literal: Float64Array,
  positions: Float64Array,
  rotations: Float64Array,
  F: number,
  rigid: (parent: number, child: number) => boolean,
): Float64Array {
  const J = MOTION_JOINTS.length;
  const rest = new Float64Array(J * 3);
  rest.set(literal.subarray(0, 3), 0);
  for (let c = 1; c < J; c++) {
    const j = MOTION_PARENT_INDEX[c]!;
    let vx = literal[c * 3]! - literal[j * 3]!;
    let vy = literal[c * 3 + 1]! - literal[j * 3 + 1]!;
    let vz = literal[c * 3 + 2]! - literal[j * 3 + 2]!;
    if (!rigid(j, c) && F > 0) {
      let sx = 0;
      let sy = 0;
      let sz = 0;
      let len = 0;
      for (let f = 0; f < F; f++) {
        const po = f * J * 3;
        const dx = positions[po + c * 3]! - positions[po + j * 3]!;
        const dy = positions[po + c * 3 + 1]! - positions[po + j * 3 + 1]!;
        const dz = positions[po + c * 3 + 2]! - positions[po + j * 3 + 2]!;
        const g = (f * J + j) * 9;
        // Rᵀ d
        sx += rotations[g]! * dx + rotations[g + 3]! * dy + rotations[g + 6]! * dz;
        sy += rotations[g + 1]! * dx + rotations[g + 4]! * dy + rotations[g + 7]! * dz;
        sz += rotations[g + 2]! * dx + rotations[g + 5]! * dy + rotations[g + 8]! * dz;
        len += Math.hypot(dx, dy, dz);
      }
      const n = Math.hypot(sx, sy, sz);
      if (n > 0) {
        const k = len / F / n;
        vx = sx * k;
        vy = sy * k;
        vz = sz * k;
      }
    }
    rest[c * 3] = rest[j * 3]! + vx;
    rest[c * 3 + 1] = rest[j * 3 + 1]! + vy;
    rest[c * 3 + 2] = rest[j * 3 + 2]! + vz;
  }
  return rest;
}

/** For each canonical joint, the index of its left/right counterpart (itself if central). */
export const MIRROR_INDEX: readonly number[] = MOTION_JOINTS.map((name) => {
  const other = name.startsWith('l_')
    ? `r_${name.slice(2)}`
    : name.startsWith('r_')
      ? `l_${name.slice(2)}`
      : name;
  return MOTION_JOINTS.indexOf(other as MotionJoint);
});

const MIRROR_SUFFIX = '#mirror';

/**
 * The clip reflected through the x = 0 plane: x → −x, left and right joints swapped, rotations
 * R' = M R M with M = diag(−1, 1, 1) (still proper rotations). The id gains '#mirror' (or
 * loses it, so mirroring twice gives back the original clip).
 */
export function mirrorClip(clip: MotionClip): MotionClip {
  const J = NUM_MOTION_JOINTS;
  const F = clip.numFrames;
  const positions = new Float64Array(clip.positions.length);
  const rotations = new Float64Array(clip.rotations.length);
  const rest = new Float64Array(clip.rest.length);
  const mirrorPoint = (src: Float64Array, s: number, dst: Float64Array, d: number): void => {
    dst[d] = -src[s]!;
    dst[d + 1] = src[s + 1]!;
    dst[d + 2] = src[s + 2]!;
  };
  for (let j = 0; j < J; j++) mirrorPoint(clip.rest, MIRROR_INDEX[j]! * 3, rest, j * 3);
  for (let f = 0; f < F; f++) {
    for (let j = 0; j < J; j++) {
      const m = MIRROR_INDEX[j]!;
      mirrorPoint(clip.positions, (f * J + m) * 3, positions, (f * J + j) * 3);
      const s = (f * J + m) * 9;
      const d = (f * J + j) * 9;
      // (M R M)[r][c] = R[r][c] · (−1 if exactly one of r, c is 0).
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const flip = (r === 0) !== (c === 0);
          const v = clip.rotations[s + r * 3 + c]!;
          rotations[d + r * 3 + c] = flip ? -v : v;
        }
      }
    }
  }
  const id = clip.id.endsWith(MIRROR_SUFFIX)
    ? clip.id.slice(0, -MIRROR_SUFFIX.length)
    : clip.id + MIRROR_SUFFIX;
  return { ...clip, id, rest, positions, rotations };
}

export interface SampleOptions {
  /** Minimum displacement (metres) of some pelvis-relative joint since the last kept frame. */
  minDisplacementM?: number;
}

/**
 * Frames worth keeping: frame 0, then every frame at which some joint, after subtracting the
 * pelvis position, has moved by at least `minDisplacementM` (default 0.1 m, Euclidean)
 * from where it was in the last kept frame. Returns increasing frame indices.
 */
export function sampleFrames(clip: MotionClip, opts: SampleOptions = {}): number[] {
  const threshold = opts.minDisplacementM ?? 0.1;
  if (!(threshold >= 0)) {
    throw new SynthError('bad-option', `minDisplacementM must be ≥ 0, got ${threshold}`);
  }
  const J = NUM_MOTION_JOINTS;
  const P = clip.positions;
  const t2 = threshold * threshold;
  if (clip.numFrames === 0) return [];
  const kept = [0];
  let k = 0;
  for (let f = 1; f < clip.numFrames; f++) {
    const fo = f * J * 3;
    const ko = k * J * 3;
    let moved = false;
    for (let j = 1; j < J && !moved; j++) {
      let d2 = 0;
      for (let a = 0; a < 3; a++) {
        const d = P[fo + j * 3 + a]! - P[fo + a]! - (P[ko + j * 3 + a]! - P[ko + a]!);
        d2 += d * d;
      }
      moved = d2 >= t2;
    }
    if (moved) {
      kept.push(f);
      k = f;
    }
  }
  return kept;
}

/**
 * Largest violation, over frames and parent→child segments, of
 * positions[f,c] − positions[f,j] = R[f,j] · (rest[c] − rest[j]), in metres, per segment
 * (indexed by the child joint; 0 for the pelvis). A consistency check used by tests.
 */
export function segmentRelationError(clip: MotionClip): Float64Array {
  const J = NUM_MOTION_JOINTS;
  const out = new Float64Array(J);
  const { positions: P, rotations: R, rest } = clip;
  for (let f = 0; f < clip.numFrames; f++) {
    for (let c = 0; c < J; c++) {
      const j = MOTION_PARENT_INDEX[c]!;
      if (j < 0) continue;
      const rx = rest[c * 3]! - rest[j * 3]!;
      const ry = rest[c * 3 + 1]! - rest[j * 3 + 1]!;
      const rz = rest[c * 3 + 2]! - rest[j * 3 + 2]!;
      const g = (f * J + j) * 9;
      let e2 = 0;
      for (let a = 0; a < 3; a++) {
        const pred = R[g + a * 3]! * rx + R[g + a * 3 + 1]! * ry + R[g + a * 3 + 2]! * rz;
        const d = P[(f * J + c) * 3 + a]! - P[(f * J + j) * 3 + a]! - pred;
        e2 += d * d;
      }
      const e = Math.sqrt(e2);
      if (e > out[c]!) out[c] = e;
    }
  }
  return out;
}
