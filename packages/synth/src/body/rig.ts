/**
 * MakeHuman `.mhskel` skeletons. A joint is the mean of a set of base-mesh vertices, so after
 * shaping the body the joints follow the shape. Pure.
 */
import { SynthError } from '../errors.js';

export interface Bone {
  name: string;
  /** Index of the parent in the bone list, -1 for the root. Parents come before children. */
  parent: number;
  /** Rest-pose head (joint) position, metres (or the units of the positions passed in). */
  head: [number, number, number];
  /** Rest-pose tail position. */
  tail: [number, number, number];
  /**
   * Unit normal of the bone's `rotation_plane` (3 joints), MakeHuman's hint for the bone's
   * local X axis (used to define the bone roll); [0, 1, 0] when the plane is degenerate.
   */
  normal: [number, number, number];
}

export interface SkeletonDef {
  name: string;
  /** Bones in breadth-first (topological) order, like MakeHuman's `getBones()`. */
  bones: { name: string; parent: number; head: string; tail: string; plane: string | null }[];
  /** Joint name → base-mesh vertex indices. */
  joints: Map<string, Uint32Array>;
  /** Plane name → 3 joint names. */
  planes: Map<string, [string, string, string]>;
  /** `weights_file` named by the skeleton, if any. */
  weightsFile: string | null;
}

interface RawBone {
  head?: unknown;
  tail?: unknown;
  parent?: unknown;
  rotation_plane?: unknown;
}

/** Parses `.mhskel` JSON text and orders bones breadth-first from the root(s). */
export function parseSkeleton(text: string, file = 'mhskel', vertexCount = Infinity): SkeletonDef {
  let data: {
    name?: unknown;
    bones?: Record<string, RawBone>;
    joints?: Record<string, unknown>;
    planes?: Record<string, unknown>;
    weights_file?: unknown;
  };
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SynthError('bad-asset', `${file}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (!data || typeof data.bones !== 'object' || typeof data.joints !== 'object') {
    throw new SynthError('bad-asset', `${file}: expected "bones" and "joints" objects`);
  }
  const joints = new Map<string, Uint32Array>();
  for (const [name, list] of Object.entries(data.joints)) {
    if (!Array.isArray(list) || list.length === 0) continue;
    const arr = new Uint32Array(list.length);
    list.forEach((v, i) => {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= vertexCount) {
        throw new SynthError('bad-asset', `${file}: joint ${name} has bad vertex index ${v}`);
      }
      arr[i] = v as number;
    });
    joints.set(name, arr);
  }
  const planes = new Map<string, [string, string, string]>();
  for (const [name, list] of Object.entries(data.planes ?? {})) {
    if (Array.isArray(list) && list.length === 3 && list.every((j) => typeof j === 'string')) {
      planes.set(name, list as [string, string, string]);
    }
  }
  const raw = Object.entries(data.bones);
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  const names = new Set(raw.map(([n]) => n));
  for (const [name, b] of raw) {
    if (typeof b.head !== 'string' || typeof b.tail !== 'string') {
      throw new SynthError('bad-asset', `${file}: bone ${name} lacks head/tail joint names`);
    }
    for (const j of [b.head, b.tail]) {
      if (!joints.has(j))
        throw new SynthError('bad-asset', `${file}: bone ${name} uses unknown joint ${j}`);
    }
    const parent = typeof b.parent === 'string' && b.parent.length > 0 ? b.parent : null;
    if (parent === null) roots.push(name);
    else if (!names.has(parent)) {
      throw new SynthError('bad-asset', `${file}: bone ${name} has unknown parent ${parent}`);
    } else {
      const c = children.get(parent);
      if (c) c.push(name);
      else children.set(parent, [name]);
    }
  }
  if (roots.length === 0) throw new SynthError('bad-asset', `${file}: no root bone`);
  const byName = new Map(raw);
  const order: string[] = [];
  const index = new Map<string, number>();
  for (let q = [...roots]; q.length > 0; ) {
    const next: string[] = [];
    for (const n of q) {
      index.set(n, order.length);
      order.push(n);
      next.push(...(children.get(n) ?? []));
    }
    q = next;
  }
  if (order.length !== raw.length) {
    throw new SynthError('bad-asset', `${file}: bone hierarchy has a cycle`);
  }
  const bones = order.map((name) => {
    const b = byName.get(name)!;
    const parent = typeof b.parent === 'string' && b.parent.length > 0 ? index.get(b.parent)! : -1;
    const plane = typeof b.rotation_plane === 'string' ? b.rotation_plane : null;
    return { name, parent, head: b.head as string, tail: b.tail as string, plane };
  });
  return {
    name: typeof data.name === 'string' ? data.name : file,
    bones,
    joints,
    planes,
    weightsFile: typeof data.weights_file === 'string' ? data.weights_file : null,
  };
}

/** Mean of a joint's vertices in `positions` (xyz per base-mesh vertex). */
export function jointPosition(
  skel: SkeletonDef,
  joint: string,
  positions: Float32Array,
): [number, number, number] {
  const vs = skel.joints.get(joint);
  if (!vs) throw new SynthError('bad-asset', `skeleton ${skel.name}: unknown joint ${joint}`);
  let x = 0;
  let y = 0;
  let z = 0;
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]! * 3;
    x += positions[v]!;
    y += positions[v + 1]!;
    z += positions[v + 2]!;
  }
  const n = vs.length;
  return [x / n, y / n, z / n];
}

function sub(a: number[], b: number[]): [number, number, number] {
  return [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
}
function norm(a: [number, number, number]): [number, number, number] | null {
  const l = Math.hypot(a[0], a[1], a[2]);
  return l > 1e-12 ? [a[0] / l, a[1] / l, a[2] / l] : null;
}
function cross(a: number[], b: number[]): [number, number, number] {
  return [
    a[1]! * b[2]! - a[2]! * b[1]!,
    a[2]! * b[0]! - a[0]! * b[2]!,
    a[0]! * b[1]! - a[1]! * b[0]!,
  ];
}

/** Bones (breadth-first) with head/tail/plane normal from shaped base-mesh positions. */
export function computeBones(skel: SkeletonDef, positions: Float32Array): Bone[] {
  const cache = new Map<string, [number, number, number]>();
  const joint = (j: string) => {
    let p = cache.get(j);
    if (!p) {
      p = jointPosition(skel, j, positions);
      cache.set(j, p);
    }
    return p;
  };
  return skel.bones.map((b) => {
    let normal: [number, number, number] = [0, 1, 0];
    const plane = b.plane ? skel.planes.get(b.plane) : undefined;
    if (plane) {
      const p1 = joint(plane[0]);
      const p2 = joint(plane[1]);
      const p3 = joint(plane[2]);
      const u = norm(sub(p2, p1));
      const v = norm(sub(p3, p2));
      const n = u && v ? norm(cross(v, u)) : null;
      if (n) normal = n;
    }
    return { name: b.name, parent: b.parent, head: joint(b.head), tail: joint(b.tail), normal };
  });
}

/**
 * MakeHuman's bone rest frame as a column-major 4×4 (three.js `Matrix4.fromArray` order):
 * Y along head→tail, Z = normalize(normal × Y), X = Y × Z, translation = head.
 */
export function boneRestMatrix(bone: Bone): number[] {
  const y = norm(sub(bone.tail, bone.head)) ?? [0, 1, 0];
  let z = norm(cross(bone.normal, y));
  if (!z) z = norm(cross([1, 0, 0], y)) ?? [0, 0, 1];
  const x = norm(cross(y, z))!;
  const h = bone.head;
  return [x[0], x[1], x[2], 0, y[0], y[1], y[2], 0, z[0], z[1], z[2], 0, h[0], h[1], h[2], 1];
}
