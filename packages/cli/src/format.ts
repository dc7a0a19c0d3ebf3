/**
 * Turning a runtime `PoseResult` into what the CLI writes: rounded numbers (0.1 mm for 3D,
 * 0.01 px for 2D), image size, model information and each person's distance from the camera.
 */
import { basename, extname } from 'node:path';
import { Camera } from '@metrabs/core';

/** The parts of the runtime's `PoseResult` the CLI uses (averaged augmentations). */
export interface PoseResultLike {
  boxes: number[][];
  poses3d: number[][][];
  poses2d: number[][][];
  jointNames: string[];
  edges: [number, number][];
  skeleton: string;
  intrinsicMatrix: number[][];
}

export interface ModelInfo {
  dir: string;
  backbone: string;
  /** The network's own joint set. */
  skeleton: string;
  numJoints: number;
  cropSide: number;
}

/** Rounds to `decimals` places; −0 becomes 0 so the JSON stays tidy. */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r;
}

function roundNested<T>(value: T, decimals: number): T {
  if (typeof value === 'number') return round(value, decimals) as T;
  if (Array.isArray(value)) return value.map((v) => roundNested(v, decimals)) as T;
  return value;
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Maps world points to the camera frame: p_cam = R p + t. */
export function worldToCamera(pose: number[][], extrinsicMatrix?: number[][]): number[][] {
  if (!extrinsicMatrix) return pose;
  // Only the extrinsics matter for world → camera; the intrinsics are a placeholder.
  return new Camera({ intrinsicMatrix: IDENTITY, extrinsicMatrix }).worldToCamera(pose);
}

/** Mean of the joints (mm). */
export function centroid(pose: number[][]): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  for (const p of pose) {
    c[0] += p[0]! / pose.length;
    c[1] += p[1]! / pose.length;
    c[2] += p[2]! / pose.length;
  }
  return c;
}

/** Distance (mm) from the camera to the mean of a person's joints, in camera-frame poses. */
export function distanceFromCamera(cameraFramePose: number[][]): number {
  const [x, y, z] = centroid(cameraFramePose);
  return Math.hypot(x, y, z);
}

export interface ImageResultJson extends PoseResultLike {
  image: string;
  imageSize: { width: number; height: number };
  model: ModelInfo;
  /** Number of people found. */
  people: number;
  /** Each person's distance from the camera (metres, to the mean of the joints). */
  distancesM: number[];
  /** Present when an extrinsic matrix was given: poses3d are then in world coordinates. */
  extrinsicMatrix?: number[][];
  /** The frame of poses3d. */
  frame: 'camera' | 'world';
  units: { poses3d: 'mm'; poses2d: 'px'; boxes: 'px [x, y, width, height, score]' };
}

/** The JSON document written for one image. */
export function formatImageResult(
  image: string,
  size: { width: number; height: number },
  result: PoseResultLike,
  model: ModelInfo,
  extrinsicMatrix?: number[][],
): ImageResultJson {
  const cameraPoses = result.poses3d.map((p) => worldToCamera(p, extrinsicMatrix));
  const out: ImageResultJson = {
    image,
    imageSize: { width: size.width, height: size.height },
    model,
    people: result.boxes.length,
    distancesM: cameraPoses.map((p) => round(distanceFromCamera(p) / 1000, 3)),
    boxes: result.boxes.map((b) => [...roundNested(b.slice(0, 4), 2), round(b[4] ?? 1, 4)]),
    poses3d: roundNested(result.poses3d, 1),
    poses2d: roundNested(result.poses2d, 2),
    jointNames: result.jointNames,
    edges: result.edges,
    skeleton: result.skeleton,
    intrinsicMatrix: roundNested(result.intrinsicMatrix, 4),
    frame: extrinsicMatrix ? 'world' : 'camera',
    units: { poses3d: 'mm', poses2d: 'px', boxes: 'px [x, y, width, height, score]' },
  };
  if (extrinsicMatrix) out.extrinsicMatrix = extrinsicMatrix;
  return out;
}

/**
 * Output base names for a list of inputs: the file name without its extension, made unique
 * with `-2`, `-3`, … when two inputs share a name.
 */
export function outputStems(paths: string[]): string[] {
  const used = new Set<string>();
  return paths.map((p) => {
    const stem = basename(p, extname(p)) || 'image';
    let name = stem;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}`;
    used.add(name);
    return name;
  });
}

/** `1 person`, `2 people`, `no people found`. */
export function peopleText(n: number): string {
  return n === 0 ? 'no people found' : n === 1 ? '1 person' : `${n} people`;
}

/**
 * JSON with two-space indentation where arrays of plain values (a point, a box, a list of
 * names) stay on one line: a person's pose reads as one joint per line.
 */
export function stringifyJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + stringifyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringifyJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
