/**
 * Synthetic multi-person sequences for tracking tests and benchmarks: people (the canonical
 * reference pose, 30 joints) walk straight lines on a floor in front of a pinhole camera; each
 * frame gives the detections a pose model would, with known identities:
 *
 * - a person whose box is mostly covered (intersection over their own box ≥ `occludedAt`) by
 *   a nearer person's box, or whose centre is outside the image, is not detected;
 * - 3D poses get the model's kind of error: the whole pose slides along the camera ray by a
 *   random fraction of its distance (absolute depth is the weak part), plus per-joint noise;
 *   2D joints get pixel noise;
 * - detections come in a shuffled order, so the order gives nothing away.
 *
 * Camera frame: x right, y down, z forward, mm; the floor is y = `floorYMm`.
 */
import { canonicalReferencePoseMm } from '@metrabs/core';

export interface Walker {
  /** Pelvis start on the floor plane, mm: [x, z]. */
  start: [number, number];
  /** Walking velocity on the floor, mm/s: [vx, vz]. */
  velocity: [number, number];
}

export interface SceneOptions {
  walkers: Walker[];
  frames: number;
  fps?: number;
  seed?: number;
  /** Relative depth noise (σ of the slide along the ray as a fraction of distance). */
  depthNoise?: number;
  /** Per-joint 3D noise σ, mm. */
  jointNoiseMm?: number;
  /** 2D joint noise σ, px. */
  pixelNoise?: number;
  occludedAt?: number;
}

export interface Detection {
  truthId: number;
  pose3d: number[][];
  pose2d: number[][];
  box: [number, number, number, number, number];
}

export interface SceneFrame {
  timeS: number;
  /** Everybody in view (detected or occluded). */
  truthIds: number[];
  /** Shuffled. */
  detections: Detection[];
  /** Noise-free poses of everyone in view, by truth id. */
  truth: Map<number, number[][]>;
}

export const CAMERA = { f: 1000, cx: 640, cy: 360, width: 1280, height: 720, floorYMm: 1500 };

/** Deterministic uniform random numbers in [0, 1) (mulberry32). */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussianSource(seed: number): () => number {
  const uniform = randomSource(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function project(p: readonly number[]): number[] {
  return [CAMERA.cx + (CAMERA.f * p[0]!) / p[2]!, CAMERA.cy + (CAMERA.f * p[1]!) / p[2]!];
}

const REFERENCE = canonicalReferencePoseMm();
const FOOT_Y = Math.max(...REFERENCE.map((p) => p[1]!));

/** The reference pose standing at floor point (x, z), turned to face its walking direction. */
export function standingPose(x: number, z: number, heading: number): number[][] {
  const c = Math.cos(heading);
  const s = Math.sin(heading);
  return REFERENCE.map(([px, py, pz]) => [
    x + c * px! + s * pz!,
    CAMERA.floorYMm - FOOT_Y + py!,
    z - s * px! + c * pz!,
  ]);
}

function boxOf(pose2d: number[][]): [number, number, number, number] {
  const xs = pose2d.map((p) => p[0]!);
  const ys = pose2d.map((p) => p[1]!);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const w = Math.max(...xs) - x0;
  const h = Math.max(...ys) - y0;
  // Detector boxes are a little larger than the joints.
  return [x0 - 0.1 * w, y0 - 0.1 * h, 1.2 * w, 1.2 * h];
}

function coveredFraction(a: number[], b: number[]): number {
  const ix = Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!);
  const iy = Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!);
  return ix > 0 && iy > 0 ? (ix * iy) / (a[2]! * a[3]!) : 0;
}

export function walkingScene(options: SceneOptions): SceneFrame[] {
  const fps = options.fps ?? 25;
  const depthNoise = options.depthNoise ?? 0.04;
  const jointNoise = options.jointNoiseMm ?? 30;
  const pixelNoise = options.pixelNoise ?? 3;
  const occludedAt = options.occludedAt ?? 0.6;
  const gauss = gaussianSource(options.seed ?? 1);
  const uniform = randomSource((options.seed ?? 1) + 7919);
  const frames: SceneFrame[] = [];
  for (let f = 0; f < options.frames; f++) {
    const timeS = f / fps;
    const people = options.walkers.map((w, id) => {
      const x = w.start[0] + w.velocity[0] * timeS;
      const z = w.start[1] + w.velocity[1] * timeS;
      const pose = standingPose(x, z, Math.atan2(w.velocity[0], -w.velocity[1]));
      const pose2d = pose.map(project);
      return { id, pose, pose2d, box: boxOf(pose2d), z };
    });
    const inView = people.filter((p) => {
      const [u, v] = project([p.pose[0]![0]!, p.pose[0]![1]!, p.pose[0]![2]!]);
      return p.z > 500 && u! >= 0 && u! < CAMERA.width && v! >= 0 && v! < CAMERA.height;
    });
    const visible = inView.filter(
      (p) =>
        !inView.some((q) => q !== p && q.z < p.z && coveredFraction(p.box, q.box) >= occludedAt),
    );
    const detections: Detection[] = visible.map((p) => {
      const slide = 1 + depthNoise * gauss();
      const pose3d = p.pose.map((j) => j.map((v) => v * slide + jointNoise * gauss()));
      const pose2d = p.pose2d.map((j) => j.map((v) => v + pixelNoise * gauss()));
      return { truthId: p.id, pose3d, pose2d, box: [...p.box, 0.9] };
    });
    for (let i = detections.length - 1; i > 0; i--) {
      const k = Math.floor(uniform() * (i + 1));
      [detections[i], detections[k]] = [detections[k]!, detections[i]!];
    }
    frames.push({
      timeS,
      truthIds: inView.map((p) => p.id),
      detections,
      truth: new Map(inView.map((p) => [p.id, p.pose])),
    });
  }
  return frames;
}
