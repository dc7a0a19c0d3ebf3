/**
 * What the page shows and downloads about a result: per-person distances and the JSON
 * document (the runtime's `PoseResult` in the same layout as `metrabs detect`'s JSON,
 * docs/cli.md). Pure.
 */
import type { PoseResult } from '@metrabs/runtime';

/** Distance from the camera centre to the mean of the joints, in metres (camera frame, mm in). */
export function distanceM(pose: readonly (readonly number[])[]): number {
  if (pose.length === 0) return Number.NaN;
  let x = 0;
  let y = 0;
  let z = 0;
  for (const joint of pose) {
    x += joint[0]!;
    y += joint[1]!;
    z += joint[2]!;
  }
  const n = pose.length;
  return Math.hypot(x / n, y / n, z / n) / 1000;
}

/** Person poses of an averaged result (the page always averages the augmentations). */
export function posesOf(result: PoseResult): { poses3d: number[][][]; poses2d: number[][][] } {
  return {
    poses3d: result.poses3d as number[][][],
    poses2d: result.poses2d as number[][][],
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundDeep(value: unknown, digits: number): unknown {
  if (typeof value === 'number') return round(value, digits);
  if (Array.isArray(value)) return value.map((v) => roundDeep(v, digits));
  return value;
}

export interface DocumentContext {
  image: string;
  width: number;
  height: number;
  model: { url: string; backbone: string; skeleton: string; numJoints: number; cropSide: number };
  settings: Record<string, unknown>;
  /** Seconds into the video, for video and camera frames. */
  time?: number;
}

/** One result as the JSON `metrabs detect` writes (rounded: 0.1 mm, 0.01 px, 4 decimals). */
export function resultDocument(result: PoseResult, context: DocumentContext) {
  const { poses3d, poses2d } = posesOf(result);
  return {
    image: context.image,
    ...(context.time === undefined ? {} : { time: round(context.time, 3) }),
    imageSize: { width: context.width, height: context.height },
    model: context.model,
    people: poses3d.length,
    distancesM: poses3d.map((p) => round(distanceM(p), 3)),
    boxes: result.boxes.map((b) => [
      round(b[0], 2),
      round(b[1], 2),
      round(b[2], 2),
      round(b[3], 2),
      round(b[4], 4),
    ]),
    poses3d: roundDeep(poses3d, 1),
    poses2d: roundDeep(poses2d, 2),
    jointNames: result.jointNames,
    edges: result.edges,
    skeleton: result.skeleton,
    intrinsicMatrix: roundDeep(result.intrinsicMatrix, 4),
    frame: 'camera',
    units: { poses3d: 'mm', poses2d: 'px', boxes: 'px [x, y, width, height, score]' },
    settings: context.settings,
  };
}
