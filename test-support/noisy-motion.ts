/**
 * Noisy pose sequences with known motion, for measuring temporal filters: ground truth from
 * motion capture (a clip of the repository's BVH collection, through @metrabs/synth's parser
 * and canonical 26-joint rig), placed in front of a camera; the "estimates" add the kind of
 * per-frame error a single-frame model makes:
 *
 * - the whole pose slides along the camera ray by `depthNoise` × distance (σ): absolute depth
 *   is the model's weakest output;
 * - each joint moves by `jointNoiseMm` (σ per axis).
 *
 * Also jitter and error measures: MPJPE (mm) and the mean acceleration error (mm/frame²,
 * ‖â − a‖ with a = p[t+1] − 2p[t] + p[t−1], as in the video pose literature).
 *
 * Camera frame: x right, y down, z forward, mm; the camera is `cameraHeightMm` above the
 * floor, looking level, and the clip's mean floor position is `distanceMm` in front of it.
 */
import { listMotionClips, loadClip, MOTION_PARENT_INDEX } from '@metrabs/synth';
import { gaussianSource } from './walkers.js';

export interface NoisyMotion {
  id: string;
  fps: number;
  /** Frames × joints × 3, mm. */
  truth: number[][][];
  estimates: number[][][];
  edges: [number, number][];
}

export interface NoiseOptions {
  depthNoise?: number;
  jointNoiseMm?: number;
  seed?: number;
  /** Frames per second of the sequence (the clip is resampled by taking every n-th frame). */
  fps?: number;
  maxFrames?: number;
  distanceMm?: number;
  cameraHeightMm?: number;
}

export const MOTION_EDGES: [number, number][] = MOTION_PARENT_INDEX.flatMap((p, c) =>
  p >= 0 ? [[p, c] as [number, number]] : [],
);

export function noisyMotion(clipId: string, options: NoiseOptions = {}): NoisyMotion {
  const entry = listMotionClips().find((c) => c.id === clipId);
  if (!entry) throw new Error(`no motion clip ${clipId}`);
  const clip = loadClip(entry);
  const fps = options.fps ?? 30;
  const step = Math.max(1, Math.round(clip.fps / fps));
  const J = clip.positions.length / clip.numFrames / 3;
  const distance = options.distanceMm ?? 4000;
  const height = options.cameraHeightMm ?? 1600;
  let mx = 0;
  let mz = 0;
  for (let f = 0; f < clip.numFrames; f++) {
    mx += clip.positions[f * J * 3]! / clip.numFrames;
    mz += clip.positions[f * J * 3 + 2]! / clip.numFrames;
  }
  const truth: number[][][] = [];
  for (let f = 0; f < clip.numFrames && truth.length < (options.maxFrames ?? 300); f += step) {
    truth.push(
      Array.from({ length: J }, (_, j) => {
        const o = (f * J + j) * 3;
        return [
          (clip.positions[o]! - mx) * 1000,
          height - clip.positions[o + 1]! * 1000,
          (clip.positions[o + 2]! - mz) * 1000 + distance,
        ];
      }),
    );
  }
  const gauss = gaussianSource(options.seed ?? 1);
  const depthNoise = options.depthNoise ?? 0.03;
  const jointNoise = options.jointNoiseMm ?? 20;
  const estimates = truth.map((pose) => {
    const slide = 1 + depthNoise * gauss();
    return pose.map((p) => p.map((v) => v * slide + jointNoise * gauss()));
  });
  return { id: clipId, fps: clip.fps / step, truth, estimates, edges: MOTION_EDGES };
}

/** Mean joint position error, mm. */
export function mpjpe(a: number[][][], b: number[][][]): number {
  let sum = 0;
  let n = 0;
  a.forEach((pose, f) => {
    pose.forEach((p, j) => {
      const q = b[f]![j]!;
      sum += Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
      n++;
    });
  });
  return sum / n;
}

/** Mean acceleration error, mm/frame². */
export function accelerationError(a: number[][][], b: number[][][]): number {
  let sum = 0;
  let n = 0;
  for (let f = 1; f + 1 < a.length; f++) {
    for (let j = 0; j < a[f]!.length; j++) {
      let s2 = 0;
      for (let k = 0; k < 3; k++) {
        const acc = (x: number[][][]) => x[f + 1]![j]![k]! - 2 * x[f]![j]![k]! + x[f - 1]![j]![k]!;
        s2 += (acc(a) - acc(b)) ** 2;
      }
      sum += Math.sqrt(s2);
      n++;
    }
  }
  return sum / n;
}
