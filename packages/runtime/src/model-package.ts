/**
 * Model packages (docs/model-package.md): the descriptor `metrabs.json` next to the crop
 * network `model.onnx`. This file parses and validates descriptors; it has no I/O (the Node
 * loader is in model-package-node.ts, the browser fetches the same two files).
 */
import {
  compileJointTransform,
  type JointTransform,
  jointTransformProblems,
  skeletonDefinitionProblems,
} from '@metrabs/core';

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

/**
 * A skeleton the model's own descriptor defines as a linear map from its joints (packages
 * imported from official MeTRAbs releases: `skeleton_transforms`).
 */
export interface PackageSkeleton {
  jointNames: string[];
  edges: [number, number][];
  transform: JointTransform;
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
  /** Skeletons defined by the package itself, by name (empty for canonical models). */
  skeletonTransforms: Record<string, PackageSkeleton>;
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
  const skeletonTransforms = parseSkeletonTransforms(
    d['skeleton_transforms'],
    (names as string[]).length,
    where,
  );
  return {
    onnx,
    geometry,
    backbone: String(d['backbone'] ?? 'unknown'),
    skeleton: String(d['skeleton'] ?? 'smpl+head_30'),
    jointNames: names as string[],
    edges: edges as [number, number][],
    mirror: mirror as number[],
    skeletonTransforms,
    training: (d['training'] as Record<string, unknown>) ?? {},
    metrics: (d['metrics'] as Record<string, unknown>) ?? {},
  };
}

function parseSkeletonTransforms(
  raw: unknown,
  numJoints: number,
  where: string,
): Record<string, PackageSkeleton> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(where, '"skeleton_transforms" must be an object {name: {joint_names, edges, weights}}');
  }
  const out: Record<string, PackageSkeleton> = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const names = e['joint_names'];
    const weights = e['weights'];
    const identity = Array.isArray(names) ? names.map((_, i) => i) : [];
    const problems = [
      ...skeletonDefinitionProblems(names, e['edges'], identity),
      ...jointTransformProblems(weights, numJoints),
    ];
    if (problems.length === 0 && (weights as unknown[]).length !== (names as unknown[]).length) {
      problems.push('"weights" must have one entry per joint name');
    }
    if (problems.length > 0) fail(where, `skeleton_transforms.${name}: ${problems.join('; ')}`);
    out[name] = {
      jointNames: names as string[],
      edges: e['edges'] as [number, number][],
      transform: compileJointTransform(weights as [number, number][][], numJoints),
    };
  }
  return out;
}
