/**
 * A skeleton rig fitted to a track's 3D joints, for animation files (BVH, glTF): fixed bone
 * offsets (the track's bone lengths along a rest pose's directions) and, per frame, joint
 * rotations that put every joint where the poses have it.
 *
 * The rig is a tree of nodes. A node is a joint of the skeleton, or a *branch* node: a joint
 * with several children (the pelvis: hips and spine) cannot point all its bones at their
 * targets with one rotation when the estimated pose does not keep their angles fixed, so each
 * extra child hangs from its own zero-length node (`<joint>_<child>`) at the joint, which
 * turns on its own. The joint's rotation is the least-squares fit to all its bones (Kabsch),
 * corrected so its first child's bone is exact. A single-child node turns by the shortest arc
 * from where its parent carries the bone (no twist is invented). So, for poses whose bone
 * lengths equal the rig's, forward kinematics puts every joint exactly on the input.
 *
 * Frames: the export frame is right-handed, metres. `'y-up'` maps the camera frame (x right,
 * y down, z forward) to x right, y up, z towards the camera (a half turn about x); `'as-is'`
 * keeps the poses' own axes (world poses).
 */
import { canonicalReferencePoseMm, convertPoses, listSkeletons, svd3 } from '@metrabs/core';

export type ExportAxes = 'y-up' | 'as-is';

export interface RigNode {
  name: string;
  /** Index of the parent node, −1 for the root. Parents precede children. */
  parent: number;
  /** Skeleton joint at this node, −1 for a branch node. */
  joint: number;
  /** Offset from the parent node in the rest pose, metres (export axes). */
  offset: [number, number, number];
  /** True for a node without children (a BVH End Site). */
  leaf: boolean;
}

export interface Rig {
  nodes: RigNode[];
  /** Bone length per skeleton edge, mm (edge order). */
  boneLengthsMm: number[];
  axes: ExportAxes;
}

/** Per frame: the root's position (m) and every node's local rotation (row-major 3×3). */
export interface RigMotion {
  rootPositions: [number, number, number][];
  localRotations: Float64Array[][];
}

type V3 = [number, number, number];
type M3 = Float64Array;

export function toExportAxes(p: readonly number[], axes: ExportAxes): V3 {
  const s = 0.001;
  return axes === 'y-up' ? [p[0]! * s, -p[1]! * s, -p[2]! * s] : [p[0]! * s, p[1]! * s, p[2]! * s];
}

const sub = (a: readonly number[], b: readonly number[]): V3 => [
  a[0]! - b[0]!,
  a[1]! - b[1]!,
  a[2]! - b[2]!,
];
const dot = (a: readonly number[], b: readonly number[]) =>
  a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const norm = (a: readonly number[]) => Math.sqrt(dot(a, a));
const cross = (a: readonly number[], b: readonly number[]): V3 => [
  a[1]! * b[2]! - a[2]! * b[1]!,
  a[2]! * b[0]! - a[0]! * b[2]!,
  a[0]! * b[1]! - a[1]! * b[0]!,
];
const identity = (): M3 => new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);

export function mul(a: M3, b: M3): M3 {
  const o = new Float64Array(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      o[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
  return o;
}

export function transpose(a: M3): M3 {
  return new Float64Array([a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!]);
}

export function apply(m: M3, v: readonly number[]): V3 {
  return [
    m[0]! * v[0]! + m[1]! * v[1]! + m[2]! * v[2]!,
    m[3]! * v[0]! + m[4]! * v[1]! + m[5]! * v[2]!,
    m[6]! * v[0]! + m[7]! * v[1]! + m[8]! * v[2]!,
  ];
}

/** Rotation about a unit axis by an angle (Rodrigues). */
function axisAngle(axis: V3, angle: number): M3 {
  const [x, y, z] = axis;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return new Float64Array([
    t * x * x + c,
    t * x * y - s * z,
    t * x * z + s * y,
    t * x * y + s * z,
    t * y * y + c,
    t * y * z - s * x,
    t * x * z - s * y,
    t * y * z + s * x,
    t * z * z + c,
  ]);
}

/** The shortest rotation turning direction `a` onto direction `b` (identity for zero vectors). */
export function arc(a: readonly number[], b: readonly number[]): M3 {
  const na = norm(a);
  const nb = norm(b);
  if (!(na > 0 && nb > 0)) return identity();
  const ua = a.map((v) => v / na);
  const ub = b.map((v) => v / nb);
  const axis = cross(ua, ub);
  const s = norm(axis);
  const c = dot(ua, ub);
  if (s < 1e-12) {
    if (c > 0) return identity();
    // Opposite: half a turn about any axis perpendicular to a.
    const helper = Math.abs(ua[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const p = cross(ua, helper);
    const np = norm(p);
    return axisAngle([p[0] / np, p[1] / np, p[2] / np], Math.PI);
  }
  return axisAngle([axis[0] / s, axis[1] / s, axis[2] / s], Math.atan2(s, c));
}

/** The rotation R minimising Σ‖R·from − to‖² (Kabsch, no reflection). */
function fitRotation(from: readonly V3[], to: readonly V3[]): M3 {
  const h = new Float64Array(9);
  from.forEach((f, i) => {
    const t = to[i]!;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) h[r * 3 + c]! += t[r]! * f[c]!;
  });
  const { u, v } = svd3(h);
  const d = Math.sign(
    u[0]! * (u[4]! * u[8]! - u[5]! * u[7]!) -
      u[1]! * (u[3]! * u[8]! - u[5]! * u[6]!) +
      u[2]! * (u[3]! * u[7]! - u[4]! * u[6]!),
  );
  const ud = new Float64Array(u);
  for (let r = 0; r < 3; r++) ud[r * 3 + 2]! *= d || 1;
  return mul(ud, transpose(v));
}

/** Rest directions: the skeleton's reference pose when it is a registered skeleton, else the first frame. */
function restPose(skeleton: string | undefined, firstFrame: number[][]): number[][] {
  if (skeleton && listSkeletons().includes(skeleton)) {
    const reference = convertPoses(canonicalReferencePoseMm(), skeleton);
    if (reference.length === firstFrame.length) return reference;
  }
  return firstFrame;
}

export interface RigOptions {
  jointNames: readonly string[];
  edges: readonly (readonly [number, number])[];
  /** Length per edge (mm); default the median over the frames. */
  boneLengthsMm?: readonly number[];
  /** A registered skeleton name: its reference pose gives the rest directions. */
  skeleton?: string;
  axes?: ExportAxes;
}

function medianLengths(frames: readonly number[][][], edges: RigOptions['edges']): number[] {
  return edges.map(([p, c]) => {
    const lengths = frames
      .map((f) => norm(sub(f[c]!, f[p]!)))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    if (lengths.length === 0) return 0;
    const m = lengths.length >> 1;
    return lengths.length % 2 ? lengths[m]! : (lengths[m - 1]! + lengths[m]!) / 2;
  });
}

/** Children of each joint, the one with the most descendants first. */
function childrenOf(
  numJoints: number,
  edges: RigOptions['edges'],
): { root: number; kids: number[][] } {
  const kids = Array.from({ length: numJoints }, () => [] as number[]);
  const hasParent = new Array<boolean>(numJoints).fill(false);
  for (const [p, c] of edges) {
    if (!(p >= 0 && p < numJoints && c >= 0 && c < numJoints) || hasParent[c]) {
      throw new RangeError(`motion export: the edges are not a tree over ${numJoints} joints`);
    }
    hasParent[c] = true;
    kids[p]!.push(c);
  }
  const roots = hasParent.flatMap((h, j) => (h ? [] : [j]));
  if (roots.length !== 1)
    throw new RangeError(`motion export: the edges have ${roots.length} roots, need one`);
  const size = (j: number): number => 1 + kids[j]!.reduce((s, c) => s + size(c), 0);
  for (const k of kids) k.sort((a, b) => size(b) - size(a));
  return { root: roots[0]!, kids };
}

export function buildRig(frames: readonly number[][][], options: RigOptions): Rig {
  const J = options.jointNames.length;
  if (frames.length === 0) throw new RangeError('motion export: no frames');
  for (const f of frames) {
    if (f.length !== J)
      throw new RangeError(`motion export: a frame has ${f.length} joints, the skeleton ${J}`);
  }
  const axes = options.axes ?? 'y-up';
  const lengths = options.boneLengthsMm
    ? [...options.boneLengthsMm]
    : medianLengths(frames, options.edges);
  const edgeOf = new Map(options.edges.map(([, c], e) => [c, e]));
  const rest = restPose(options.skeleton, frames[0]!).map((p) => toExportAxes(p, axes));
  const { root, kids } = childrenOf(J, options.edges);
  const nodes: RigNode[] = [];
  const restOffset = (p: number, c: number): V3 => {
    const d = sub(rest[c]!, rest[p]!);
    const n = norm(d);
    const l = lengths[edgeOf.get(c)!]! / 1000;
    return n > 0 ? [(d[0] / n) * l, (d[1] / n) * l, (d[2] / n) * l] : [0, l, 0];
  };
  const visit = (j: number, parent: number, offset: V3) => {
    const index = nodes.length;
    const children = kids[j]!;
    nodes.push({
      name: options.jointNames[j]!,
      parent,
      joint: j,
      offset,
      leaf: children.length === 0,
    });
    // The first child hangs directly unless it is a leaf among siblings (a BVH block holds
    // either joints or one End Site); the others through branch nodes.
    const direct = children.length === 1 || (children.length > 1 && kids[children[0]!]!.length > 0);
    children.forEach((c, i) => {
      if (i === 0 && direct) {
        visit(c, index, restOffset(j, c));
        return;
      }
      const branch = nodes.length;
      nodes.push({
        name: `${options.jointNames[j]}_${options.jointNames[c]}`,
        parent: index,
        joint: -1,
        offset: [0, 0, 0],
        leaf: false,
      });
      visit(c, branch, restOffset(j, c));
    });
  };
  visit(root, -1, [0, 0, 0]);
  return { nodes, boneLengthsMm: lengths, axes };
}

/** Joint rotations per frame that carry the rig onto the poses (mm, the poses' frame). */
export function solveMotion(rig: Rig, frames: readonly number[][][]): RigMotion {
  const { nodes } = rig;
  const childNodes = nodes.map((_, n) => nodes.flatMap((m, i) => (m.parent === n ? [i] : [])));
  /** The skeleton joint a node's child subtree starts at, with its rest offset. */
  const target = (n: number): { joint: number; offset: V3 } => {
    const node = nodes[n]!;
    if (node.joint >= 0) return { joint: node.joint, offset: node.offset };
    const child = nodes[childNodes[n]![0]!]!;
    return { joint: child.joint, offset: child.offset };
  };
  const rootPositions: V3[] = [];
  const localRotations: M3[][] = [];
  for (const frame of frames) {
    const p = frame.map((q) => toExportAxes(q, rig.axes));
    const global: M3[] = [];
    const local: M3[] = [];
    nodes.forEach((node, n) => {
      const parentGlobal = node.parent >= 0 ? global[node.parent]! : identity();
      const kidsN = childNodes[n]!;
      let g = parentGlobal;
      const at = node.joint >= 0 ? node.joint : target(n).joint;
      if (node.joint < 0) {
        // Branch node at its parent joint: turns its one bone onto the target.
        const c = nodes[kidsN[0]!]!;
        const parentJoint = nodes[node.parent]!.joint;
        g = mul(
          arc(apply(parentGlobal, c.offset), sub(p[c.joint]!, p[parentJoint]!)),
          parentGlobal,
        );
      } else if (kidsN.length > 0) {
        const bones = kidsN.map((k) => target(k));
        const from = bones.map((b) => apply(parentGlobal, b.offset));
        const to = bones.map((b) => sub(p[b.joint]!, p[at]!));
        if (bones.length > 1) {
          g = mul(fitRotation(from, to), parentGlobal);
        }
        const first = nodes[kidsN[0]!]!;
        if (first.joint >= 0) {
          // The direct child's bone exactly.
          g = mul(arc(apply(g, first.offset), sub(p[first.joint]!, p[at]!)), g);
        } else if (bones.length === 1) {
          g = mul(arc(from[0]!, to[0]!), parentGlobal);
        }
      }
      global.push(g);
      local.push(mul(transpose(parentGlobal), g));
    });
    rootPositions.push(p[nodes[0]!.joint]!);
    localRotations.push(local);
  }
  return { rootPositions, localRotations };
}

/** Forward kinematics of the rig: node positions (m, export axes) for one frame. */
export function rigPositions(rig: Rig, motion: RigMotion, frame: number): V3[] {
  const global: M3[] = [];
  const pos: V3[] = [];
  rig.nodes.forEach((node, n) => {
    const local = motion.localRotations[frame]![n]!;
    if (node.parent < 0) {
      global.push(local);
      pos.push(motion.rootPositions[frame]!);
      return;
    }
    const pg = global[node.parent]!;
    const o = apply(pg, node.offset);
    const pp = pos[node.parent]!;
    pos.push([pp[0] + o[0], pp[1] + o[1], pp[2] + o[2]]);
    global.push(mul(pg, local));
  });
  return pos;
}
