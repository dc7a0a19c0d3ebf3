/**
 * Model packages (docs/model-package.md): the descriptor `metrabs.json` next to the crop
 * network `model.onnx`. This file parses and validates descriptors; it has no I/O (the Node
 * loader is in model-package-node.ts, the browser fetches the same two files).
 */
import { skeletonDefinitionProblems } from '@metrabs/core';

export const MODEL_FORMAT = 'metrabs-model';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelGeometry {
  /** Crop side S in pixels. */
  procSide: number;
  /** Heatmap stride of this export. */
  stride: number;
  /** Stride at training: sets the field-of-view border of the reconstruction. */
  strideTrain: number;
  depth: number;
  boxSizeMm: number;
  centeredStride: boolean;
  mix3dInsideFov: number;
  tikhonov: number;
}

export interface ModelDescriptor {
  onnx: string;
  geometry: ModelGeometry;
  backbone: string;
  /** Name of the network's joint set (normally the canonical `smpl+head_30`). */
  skeleton: string;
  jointNames: string[];
  edges: [number, number][];
  mirror: number[];
  training: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

/** A bad or unsupported model package; the message names the file and the problem. */
export class ModelPackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelPackageError';
  }
}

function fail(where: string, problem: string): never {
  throw new ModelPackageError(`${where}: ${problem}`);
}

function num(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  check: (v: number) => boolean,
): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    fail(where, `geometry.${key} must be a valid number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates a parsed `metrabs.json`; `where` names it in error messages. */
export function parseModelDescriptor(json: unknown, where = 'metrabs.json'): ModelDescriptor {
  if (typeof json !== 'object' || json === null) fail(where, 'not a JSON object');
  const d = json as Record<string, unknown>;
  if (d['format'] !== MODEL_FORMAT) {
    fail(where, `format must be "${MODEL_FORMAT}", got ${JSON.stringify(d['format'])}`);
  }
  if (d['version'] !== MODEL_FORMAT_VERSION) {
    fail(
      where,
      `unsupported version ${JSON.stringify(d['version'])} (this library reads version ${MODEL_FORMAT_VERSION})`,
    );
  }
  const g = d['geometry'];
  if (typeof g !== 'object' || g === null) fail(where, 'missing "geometry"');
  const geo = g as Record<string, unknown>;
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  const geometry: ModelGeometry = {
    procSide: num(geo, 'proc_side', where, positiveInt),
    stride: num(geo, 'stride', where, positiveInt),
    strideTrain: num(geo, 'stride_train', where, positiveInt),
    depth: num(geo, 'depth', where, positiveInt),
    boxSizeMm: num(geo, 'box_size_mm', where, (v) => v > 0),
    centeredStride: geo['centered_stride'] === true,
    mix3dInsideFov: num(geo, 'mix_3d_inside_fov', where, (v) => v >= 0 && v <= 1),
    tikhonov: num(geo, 'tikhonov', where, (v) => v >= 0),
  };
  const names = d['joint_names'];
  const mirror = d['mirror'];
  const edges = d['edges'];
  const problems = skeletonDefinitionProblems(names, edges, mirror);
  if (problems.length > 0) fail(where, problems.join('; '));
  const onnx = typeof d['onnx'] === 'string' ? (d['onnx'] as string) : 'model.onnx';
  return {
    onnx,
    geometry,
    backbone: String(d['backbone'] ?? 'unknown'),
    skeleton: String(d['skeleton'] ?? 'smpl+head_30'),
    jointNames: names as string[],
    edges: edges as [number, number][],
    mirror: mirror as number[],
    training: (d['training'] as Record<string, unknown>) ?? {},
    metrics: (d['metrics'] as Record<string, unknown>) ?? {},
  };
}
