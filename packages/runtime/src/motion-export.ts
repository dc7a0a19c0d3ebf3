/**
 * Animation files of a tracked person: BVH (Biovision Hierarchy) text and binary glTF 2.0
 * (`.glb`, written with glTF-Transform), both from the rig of motion-rig.ts, in metres.
 *
 * BVH: the root has `Xposition Yposition Zposition` and an OFFSET of zero (tools disagree on
 * whether position channels add to a non-zero OFFSET or replace it, and agree at zero); every
 * joint turns with `Zrotation Xrotation Yrotation` (R = Rz·Rx·Ry, degrees); a leaf is an
 * End Site. glTF: one node per rig node (rest offsets as translations), one skin over them
 * with a small stick-figure mesh bound to it (so viewers show the motion), and one animation
 * with a rotation track per turning node and the root's translation.
 */
import { Document, type Node as GltfNode, type TypedArray, WebIO } from '@gltf-transform/core';
import { buildRig, type ExportAxes, type Rig, type RigMotion, solveMotion } from './motion-rig.js';

export interface TrackMotion {
  /** Poses (mm, camera or world frame) at evenly spaced frames. */
  frames: number[][][];
  /** Seconds between frames. */
  frameTimeS: number;
  jointNames: readonly string[];
  edges: readonly (readonly [number, number])[];
  /** The track's held bone lengths (mm, edge order); default the median over the frames. */
  boneLengthsMm?: readonly number[];
  skeleton?: string;
  axes?: ExportAxes;
}

/** The rig and its motion for one track (shared by both writers and by tests). */
export function fitTrackMotion(track: TrackMotion): { rig: Rig; motion: RigMotion } {
  if (!(track.frameTimeS > 0)) throw new RangeError('motion export: frameTimeS must be positive');
  const rig = buildRig(track.frames, {
    jointNames: track.jointNames,
    edges: track.edges,
    ...(track.boneLengthsMm ? { boneLengthsMm: track.boneLengthsMm } : {}),
    ...(track.skeleton ? { skeleton: track.skeleton } : {}),
    axes: track.axes ?? 'y-up',
  });
  return { rig, motion: solveMotion(rig, track.frames) };
}

/** Euler angles (degrees) of R = Rz(z)·Rx(x)·Ry(y), as [z, x, y]. */
export function eulerZxy(m: Float64Array): [number, number, number] {
  const deg = 180 / Math.PI;
  const sx = Math.max(-1, Math.min(1, m[7]!));
  const x = Math.asin(sx);
  if (Math.abs(sx) > 1 - 1e-12) {
    // Gimbal lock: only z ± y is defined; put it all in z.
    return [Math.atan2(m[3]!, m[0]!) * deg, x * deg, 0];
  }
  return [Math.atan2(-m[1]!, m[4]!) * deg, x * deg, Math.atan2(-m[6]!, m[8]!) * deg];
}

const num = (v: number) => (Math.abs(v) < 5e-7 ? '0' : v.toFixed(6));

export function writeBvh(track: TrackMotion): string {
  const { rig, motion } = fitTrackMotion(track);
  const { nodes } = rig;
  const kids = nodes.map((_, n) => nodes.flatMap((m, i) => (m.parent === n ? [i] : [])));
  const lines: string[] = ['HIERARCHY'];
  const channelNodes: number[] = [];
  const block = (n: number, depth: number) => {
    const pad = '  '.repeat(depth);
    const node = nodes[n]!;
    const offset = node.offset.map(num).join(' ');
    if (node.leaf) {
      lines.push(`${pad}End Site`, `${pad}{`, `${pad}  OFFSET ${offset}`, `${pad}}`);
      return;
    }
    lines.push(`${pad}${node.parent < 0 ? 'ROOT' : 'JOINT'} ${node.name}`, `${pad}{`);
    lines.push(`${pad}  OFFSET ${node.parent < 0 ? '0 0 0' : offset}`);
    lines.push(
      node.parent < 0
        ? `${pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation`
        : `${pad}  CHANNELS 3 Zrotation Xrotation Yrotation`,
    );
    channelNodes.push(n);
    for (const k of kids[n]!) block(k, depth + 1);
    lines.push(`${pad}}`);
  };
  block(0, 0);
  lines.push(
    'MOTION',
    `Frames: ${track.frames.length}`,
    `Frame Time: ${track.frameTimeS.toFixed(8)}`,
  );
  motion.localRotations.forEach((local, f) => {
    const values: string[] = motion.rootPositions[f]!.map(num);
    for (const n of channelNodes) values.push(...eulerZxy(local[n]!).map(num));
    lines.push(values.join(' '));
  });
  return `${lines.join('\n')}\n`;
}

/** Unit quaternion [x, y, z, w] of a rotation matrix (row-major). */
export function quaternionOf(m: Float64Array): [number, number, number, number] {
  const [a, b, c, d, e, f, g, h, i] = m as unknown as number[];
  const trace = a! + e! + i!;
  let q: [number, number, number, number];
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    q = [(h! - f!) * s, (c! - g!) * s, (d! - b!) * s, 0.25 / s];
  } else if (a! > e! && a! > i!) {
    const s = 2 * Math.sqrt(1 + a! - e! - i!);
    q = [0.25 * s, (b! + d!) / s, (c! + g!) / s, (h! - f!) / s];
  } else if (e! > i!) {
    const s = 2 * Math.sqrt(1 + e! - a! - i!);
    q = [(b! + d!) / s, 0.25 * s, (f! + h!) / s, (c! - g!) / s];
  } else {
    const s = 2 * Math.sqrt(1 + i! - a! - e!);
    q = [(c! + g!) / s, (f! + h!) / s, 0.25 * s, (d! - b!) / s];
  }
  const n = Math.hypot(...q);
  return q.map((v) => v / n) as [number, number, number, number];
}

/** A binary glTF 2.0 file (`.glb`) of the track's motion. */
export async function writeGltf(track: TrackMotion, name = 'metrabs track'): Promise<Uint8Array> {
  const { rig, motion } = fitTrackMotion(track);
  const { nodes } = rig;
  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene(name);
  const accessor = (array: TypedArray, type: 'SCALAR' | 'VEC3' | 'VEC4' | 'MAT4') =>
    doc.createAccessor().setArray(array).setType(type).setBuffer(buffer);

  const gltfNodes: GltfNode[] = nodes.map((node) =>
    doc.createNode(node.name).setTranslation(node.offset),
  );
  nodes.forEach((node, n) => {
    if (node.parent >= 0) gltfNodes[node.parent]!.addChild(gltfNodes[n]!);
  });
  gltfNodes[0]!.setTranslation(motion.rootPositions[0]!);

  // Rest positions (all rotations identity): the bind pose.
  const rest: [number, number, number][] = [];
  nodes.forEach((node, n) => {
    const p = node.parent >= 0 ? rest[node.parent]! : ([0, 0, 0] as [number, number, number]);
    rest.push([p[0] + node.offset[0], p[1] + node.offset[1], p[2] + node.offset[2]]);
    if (n === 0) rest[0] = [...motion.rootPositions[0]!];
  });
  const inverseBind = new Float32Array(nodes.length * 16);
  rest.forEach((p, n) => {
    inverseBind.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -p[0], -p[1], -p[2], 1], n * 16);
  });
  const skin = doc.createSkin('skeleton').setInverseBindMatrices(accessor(inverseBind, 'MAT4'));
  for (const g of gltfNodes) skin.addJoint(g);
  skin.setSkeleton(gltfNodes[0]!);

  // A stick figure: one thin triangle per bone, bound to the node that turns it.
  const positions: number[] = [];
  const joints: number[] = [];
  const weights: number[] = [];
  nodes.forEach((node, n) => {
    if (node.parent < 0) return;
    const a = rest[node.parent]!;
    const b = rest[n]!;
    for (const v of [a, b, [b[0] + 0.01, b[1], b[2] + 0.01]]) {
      positions.push(v[0]!, v[1]!, v[2]!);
      joints.push(node.parent, 0, 0, 0);
      weights.push(1, 0, 0, 0);
    }
  });
  const primitive = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor(new Float32Array(positions), 'VEC3'))
    .setAttribute('JOINTS_0', accessor(new Uint16Array(joints), 'VEC4'))
    .setAttribute('WEIGHTS_0', accessor(new Float32Array(weights), 'VEC4'));
  const meshNode = doc
    .createNode('body')
    .setMesh(doc.createMesh('stick figure').addPrimitive(primitive))
    .setSkin(skin);
  scene.addChild(gltfNodes[0]!).addChild(meshNode);

  const F = track.frames.length;
  const times = accessor(
    Float32Array.from({ length: F }, (_, f) => f * track.frameTimeS),
    'SCALAR',
  );
  const animation = doc.createAnimation('motion');
  const channel = (
    node: GltfNode,
    path: 'rotation' | 'translation',
    values: Float32Array<ArrayBuffer>,
  ) => {
    const sampler = doc
      .createAnimationSampler()
      .setInput(times)
      .setOutput(accessor(values, path === 'rotation' ? 'VEC4' : 'VEC3'))
      .setInterpolation('LINEAR');
    animation
      .addSampler(sampler)
      .addChannel(
        doc.createAnimationChannel().setTargetNode(node).setTargetPath(path).setSampler(sampler),
      );
  };
  const translation = new Float32Array(F * 3);
  motion.rootPositions.forEach((p, f) => {
    translation.set(p, f * 3);
  });
  channel(gltfNodes[0]!, 'translation', translation);
  nodes.forEach((node, n) => {
    if (node.leaf) return;
    const q = new Float32Array(F * 4);
    let previous: number[] | undefined;
    motion.localRotations.forEach((local, f) => {
      let quat = quaternionOf(local[n]!);
      // The shorter way between keys: q and −q are the same rotation.
      if (previous && quat.reduce((s, v, k) => s + v * previous![k]!, 0) < 0) {
        quat = quat.map((v) => -v) as typeof quat;
      }
      previous = quat;
      q.set(quat, f * 4);
    });
    channel(gltfNodes[n]!, 'rotation', q);
  });
  return new WebIO().writeBinary(doc);
}
