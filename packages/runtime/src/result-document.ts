/**
 * The result document: one image's poses as every front end writes them (the CLI's JSON,
 * the web page's download, the server's responses) — a versioned layout described by the JSON
 * Schema in docs/result.schema.json. Numbers are rounded (0.1 mm for 3D, 0.01 px for 2D, 4
 * decimals for scores and intrinsics); each person's distance from the camera is added. Pure.
 */
import { Camera, type CameraInit } from '@metrabs/core';

import type { DroppedPerson } from './dropped.js';

export const RESULT_FORMAT = 'metrabs-result';
/**
 * Raised when a field changes meaning or disappears. 2 added `format`, `version`,
 * `peopleFound` and `dropped`; documents without `version` are version 1.
 */
export const RESULT_FORMAT_VERSION = 2;

/** The parts of a `PoseResult` a document holds (averaged augmentations: one pose a person). */
export interface PoseResultLike {
  boxes: ArrayLike<number>[];
  poses3d: number[][][];
  poses2d: number[][][];
  jointNames: string[];
  edges: [number, number][];
  skeleton: string;
  intrinsicMatrix: number[][];
  /** People the detector found (or boxes given); defaults to the number returned. */
  peopleFound?: number;
  /** People found but not returned, with the reason (the plausibility filter). */
  dropped?: readonly DroppedPerson[];
}

/** The model that made a result: where it came from (`dir` in Node, `url` in browsers). */
export interface ResultModelInfo {
  dir?: string;
  url?: string;
  backbone: string;
  /** The network's own joint set. */
  skeleton: string;
  numJoints: number;
  cropSide: number;
}

export interface ResultContext {
  /** The image's file name, path or label. */
  image: string;
  imageSize: { width: number; height: number };
  model: ResultModelInfo;
  /** The world→camera matrix when poses are in world coordinates. */
  extrinsicMatrix?: number[][];
  /** The settings the result was made with (`settingsRecord`). */
  settings?: Record<string, unknown>;
  /** Seconds into a video, for video and camera frames. */
  time?: number;
  /** Track id per person, for tracked video and camera frames. */
  trackIds?: readonly number[];
}

export interface ResultDocument extends Omit<PoseResultLike, 'boxes' | 'peopleFound' | 'dropped'> {
  format: typeof RESULT_FORMAT;
  version: typeof RESULT_FORMAT_VERSION;
  image: string;
  time?: number;
  /** Track id per person (tracked video and camera frames). */
  trackIds?: number[];
  imageSize: { width: number; height: number };
  model: ResultModelInfo;
  /** Number of people returned. */
  people: number;
  /** Number of people the detector found (returned + dropped). */
  peopleFound: number;
  /** People found but not returned: their box and why (`box-mismatch`, `duplicate`, …). */
  dropped: { box: number[]; reason: DroppedPerson['reason'] }[];
  /** Each person's distance from the camera (metres, to the mean of the joints). */
  distancesM: number[];
  boxes: number[][];
  /** Present when an extrinsic matrix was given: poses3d are then in world coordinates. */
  extrinsicMatrix?: number[][];
  /** The frame of poses3d. */
  frame: 'camera' | 'world';
  units: { poses3d: 'mm'; poses2d: 'px'; boxes: 'px [x, y, width, height, score]' };
  settings?: Record<string, unknown>;
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

/** `[x, y, w, h]` to 0.01 px, the score (default 1) to 4 decimals. */
function roundBox(b: ArrayLike<number>): number[] {
  return [...roundNested(Array.from(b).slice(0, 4), 2), round(b[4] ?? 1, 4)];
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Maps world points to the camera frame: p_cam = R p + t. */
export function worldToCamera(pose: number[][], extrinsicMatrix?: number[][]): number[][] {
  if (!extrinsicMatrix) return pose;
  // Only the extrinsics matter for world → camera; the intrinsics are a placeholder.
  return new Camera({ intrinsicMatrix: IDENTITY, extrinsicMatrix }).worldToCamera(pose);
}

/** The camera's centre in the poses' frame (mm): the world position with extrinsics, else the origin. */
export function cameraCentre(extrinsicMatrix?: CameraInit['extrinsicMatrix']): number[] {
  if (!extrinsicMatrix) return [0, 0, 0];
  return new Camera({ intrinsicMatrix: IDENTITY, extrinsicMatrix }).cameraToWorld([[0, 0, 0]])[0]!;
}

/** Mean of the joints (mm); NaN for a pose without joints. */
export function centroid(pose: readonly (readonly number[])[]): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  for (const p of pose) {
    c[0] += p[0]! / pose.length;
    c[1] += p[1]! / pose.length;
    c[2] += p[2]! / pose.length;
  }
  return pose.length === 0 ? [Number.NaN, Number.NaN, Number.NaN] : c;
}

/** Distance (mm) from the camera to the mean of a person's joints, in camera-frame poses. */
export function distanceFromCamera(cameraFramePose: readonly (readonly number[])[]): number {
  const [x, y, z] = centroid(cameraFramePose);
  return Math.hypot(x, y, z);
}

/** The result document of one image. */
export function resultDocument(result: PoseResultLike, context: ResultContext): ResultDocument {
  const { extrinsicMatrix } = context;
  const cameraPoses = result.poses3d.map((p) => worldToCamera(p, extrinsicMatrix));
  const out: ResultDocument = {
    format: RESULT_FORMAT,
    version: RESULT_FORMAT_VERSION,
    image: context.image,
    imageSize: { width: context.imageSize.width, height: context.imageSize.height },
    model: context.model,
    people: result.boxes.length,
    distancesM: cameraPoses.map((p) => round(distanceFromCamera(p) / 1000, 3)),
    peopleFound: result.peopleFound ?? result.boxes.length,
    dropped: (result.dropped ?? []).map(({ box, reason }) => ({ box: roundBox(box), reason })),
    boxes: result.boxes.map(roundBox),
    poses3d: roundNested(result.poses3d, 1),
    poses2d: roundNested(result.poses2d, 2),
    jointNames: result.jointNames,
    edges: result.edges,
    skeleton: result.skeleton,
    intrinsicMatrix: roundNested(result.intrinsicMatrix, 4),
    frame: extrinsicMatrix ? 'world' : 'camera',
    units: { poses3d: 'mm', poses2d: 'px', boxes: 'px [x, y, width, height, score]' },
  };
  if (context.time !== undefined) out.time = round(context.time, 3);
  if (context.trackIds !== undefined) {
    if (context.trackIds.length !== result.boxes.length) {
      throw new RangeError(
        `result document: ${context.trackIds.length} track ids for ${result.boxes.length} people`,
      );
    }
    out.trackIds = [...context.trackIds];
  }
  if (extrinsicMatrix) out.extrinsicMatrix = extrinsicMatrix;
  if (context.settings) out.settings = context.settings;
  return out;
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
