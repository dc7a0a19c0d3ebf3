import { NodeIO } from '@gltf-transform/core';
import { canonicalReferencePoseMm, getSkeleton } from '@metrabs/core';
import {
  eulerZxy,
  fitTrackMotion,
  MotionFilter,
  quaternionOf,
  rigPositions,
  toExportAxes,
  writeBvh,
  writeGltf,
} from '@metrabs/runtime';
import { forwardKinematics, parseBvh } from '@metrabs/synth';
import { describe, expect, it } from 'vitest';
import { gaussianSource } from '../../../test-support/walkers.js';

const skeleton = getSkeleton('smpl+head_30');
const edges = skeleton.edges;
const names = skeleton.jointNames;

/** Rotation about a unit axis (row-major). */
function rotation(axis: number[], angle: number): Float64Array {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as [number, number, number];
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
const apply = (m: Float64Array, v: number[]) =>
  [0, 1, 2].map((r) => m[r * 3]! * v[0]! + m[r * 3 + 1]! * v[1]! + m[r * 3 + 2]! * v[2]!);

/**
 * Frames of a rigid-bone body: every bone of the reference pose turned by its own random
 * rotation (so sibling bones change their angles, as model output does), walking forward.
 */
function bodyFrames(count: number, seed: number): number[][][] {
  const gauss = gaussianSource(seed);
  const ref = canonicalReferencePoseMm();
  const turns = edges.map(() => [gauss(), gauss(), gauss()]);
  return Array.from({ length: count }, (_, f) => {
    const pose = ref.map(() => [0, 0, 0]);
    pose[0] = [200 + 30 * f, ref[0]![1]!, 4000 - 10 * f];
    for (const [e, [p, c]] of edges.entries()) {
      const turn = rotation(turns[e]!, 0.4 * Math.sin(0.2 * f + e));
      const bone = apply(
        turn,
        ref[c]!.map((v, k) => v - ref[p]![k]!),
      );
      pose[c] = pose[p]!.map((v, k) => v + bone[k]!);
    }
    return pose;
  });
}

function maxError(a: number[][][], b: number[][][]): number {
  let worst = 0;
  a.forEach((pose, f) => {
    pose.forEach((p, j) => {
      worst = Math.max(worst, Math.hypot(...p.map((v, k) => v - b[f]![j]![k]!)));
    });
  });
  return worst;
}

describe('rig and rotations', () => {
  it('Euler ZXY and quaternions reproduce the rotation', () => {
    for (const [axis, angle] of [
      [[1, 2, 3], 0.7],
      [[0, 1, 0], 2.5],
      [[1, 0, 0], Math.PI / 2],
    ] as const) {
      const m = rotation([...axis], angle);
      const [z, x, y] = eulerZxy(m).map((d) => (d * Math.PI) / 180) as [number, number, number];
      const back = [rotation([0, 0, 1], z), rotation([1, 0, 0], x), rotation([0, 1, 0], y)].reduce(
        (a, b) => {
          const o = new Float64Array(9);
          for (let r = 0; r < 3; r++)
            for (let c = 0; c < 3; c++)
              for (let k = 0; k < 3; k++) o[r * 3 + c]! += a[r * 3 + k]! * b[k * 3 + c]!;
          return o;
        },
      );
      for (let i = 0; i < 9; i++) expect(back[i]).toBeCloseTo(m[i]!, 9);
      const [qx, qy, qz, qw] = quaternionOf(m);
      expect(Math.abs(qw)).toBeCloseTo(Math.cos(angle / 2), 9);
      expect(Math.hypot(qx, qy, qz)).toBeCloseTo(Math.sin(angle / 2), 9);
    }
  });

  it('puts every joint on a rigid-bone body exactly (branch nodes take non-rigid siblings)', () => {
    const frames = bodyFrames(20, 1);
    const { rig, motion } = fitTrackMotion({
      frames,
      frameTimeS: 0.04,
      jointNames: names,
      edges,
      skeleton: 'smpl+head_30',
    });
    const fk = frames.map((_, f) => {
      const pos = rigPositions(rig, motion, f);
      const out: number[][] = [];
      rig.nodes.forEach((node, n) => {
        if (node.joint >= 0) out[node.joint] = pos[n]!;
      });
      return out;
    });
    const truth = frames.map((pose) => pose.map((p) => toExportAxes(p, 'y-up')));
    expect(maxError(fk, truth)).toBeLessThan(1e-9);
    expect(rig.nodes.filter((n) => n.joint < 0).map((n) => n.name)).toContain('pelv_lhip');
  });

  it('rejects what it cannot rig with clear errors', () => {
    expect(() =>
      fitTrackMotion({ frames: [], frameTimeS: 0.04, jointNames: names, edges }),
    ).toThrow(/no frames/);
    expect(() =>
      fitTrackMotion({
        frames: bodyFrames(2, 1),
        frameTimeS: 0.04,
        jointNames: names,
        edges: [...edges, [3, 5]],
      }),
    ).toThrow(/not a tree/);
    expect(() =>
      fitTrackMotion({ frames: bodyFrames(2, 1), frameTimeS: 0, jointNames: names, edges }),
    ).toThrow(/frameTimeS/);
  });
});

describe('BVH round trip (read back with @metrabs/synth’s parser and forward kinematics)', () => {
  it('reproduces a rigid-bone body at every joint within 0.01 mm', () => {
    const frames = bodyFrames(30, 2);
    const text = writeBvh({
      frames,
      frameTimeS: 1 / 30,
      jointNames: names,
      edges,
      skeleton: 'smpl+head_30',
    });
    const bvh = parseBvh(text, 'track.bvh');
    expect(bvh.numFrames).toBe(30);
    expect(bvh.frameTime).toBeCloseTo(1 / 30, 6);
    const fk = forwardKinematics(bvh);
    const { rig } = fitTrackMotion({
      frames,
      frameTimeS: 1 / 30,
      jointNames: names,
      edges,
      skeleton: 'smpl+head_30',
    });
    expect(bvh.joints.length).toBe(rig.nodes.length);
    let worstMm = 0;
    for (let f = 0; f < 30; f++) {
      rig.nodes.forEach((node, n) => {
        if (node.joint < 0) return;
        if (!node.leaf) expect(bvh.joints[n]!.name).toBe(node.name);
        const o = (f * bvh.joints.length + n) * 3;
        const want = toExportAxes(frames[f]![node.joint]!, 'y-up');
        const got = [fk.positions[o]!, fk.positions[o + 1]!, fk.positions[o + 2]!];
        worstMm = Math.max(worstMm, 1000 * Math.hypot(...got.map((v, k) => v - want[k]!)));
      });
    }
    expect(worstMm).toBeLessThan(0.01);
  });

  it('filtered noisy poses: within a few mm (the held lengths’ drift)', () => {
    const truth = bodyFrames(90, 3);
    const gauss = gaussianSource(9);
    const filter = new MotionFilter({ edges });
    const frames = truth.map(
      (pose, f) =>
        filter.filter(
          pose.map((p) => p.map((v) => v + 15 * gauss())),
          [],
          f / 30,
        ).pose3d,
    );
    const text = writeBvh({
      frames,
      frameTimeS: 1 / 30,
      jointNames: names,
      edges,
      boneLengthsMm: filter.boneLengthsMm,
    });
    const bvh = parseBvh(text, 'filtered.bvh');
    const fk = forwardKinematics(bvh);
    const { rig } = fitTrackMotion({ frames, frameTimeS: 1 / 30, jointNames: names, edges });
    const errors: number[] = [];
    for (let f = 30; f < 90; f++) {
      rig.nodes.forEach((node, n) => {
        if (node.joint < 0) return;
        const o = (f * bvh.joints.length + n) * 3;
        const want = toExportAxes(frames[f]![node.joint]!, 'y-up');
        errors.push(
          1000 *
            Math.hypot(
              fk.positions[o]! - want[0],
              fk.positions[o + 1]! - want[1],
              fk.positions[o + 2]! - want[2],
            ),
        );
      });
    }
    // Fixed offsets cannot follow the running medians' drift (a few mm per bone over the
    // first seconds, summed down a limb): that is all the difference.
    errors.sort((a, b) => a - b);
    const mean = errors.reduce((a, b) => a + b) / errors.length;
    console.log(
      `filtered BVH round trip: mean ${mean.toFixed(2)} mm, 95th percentile ${errors[Math.floor(0.95 * errors.length)]!.toFixed(2)} mm, max ${errors.at(-1)!.toFixed(2)} mm`,
    );
    expect(mean).toBeLessThan(3);
    expect(errors[Math.floor(0.95 * errors.length)]).toBeLessThan(8);
  });
});

describe('glTF (read back with glTF-Transform)', () => {
  it('has the rig’s nodes, a skin, the animation length and the joints where the poses have them', async () => {
    const frames = bodyFrames(25, 4);
    const track = { frames, frameTimeS: 0.04, jointNames: names, edges, skeleton: 'smpl+head_30' };
    const glb = await writeGltf(track);
    const doc = await new NodeIO().readBinary(glb);
    const root = doc.getRoot();
    const { rig } = fitTrackMotion(track);
    expect(root.listNodes()).toHaveLength(rig.nodes.length + 1);
    expect(root.listSkins()[0]!.listJoints()).toHaveLength(rig.nodes.length);
    const animation = root.listAnimations()[0]!;
    const input = animation.listSamplers()[0]!.getInput()!.getArray()!;
    expect(input.at(-1)).toBeCloseTo(24 * 0.04, 5);

    // Evaluate frame 17 from the file alone: translations and sampled rotations down the tree.
    const f = 17;
    const keyed = new Map<string, { rotation?: number[]; translation?: number[] }>();
    for (const channel of animation.listChannels()) {
      const out = channel.getSampler()!.getOutput()!;
      const size = out.getElementSize();
      const value = Array.from(out.getArray()!.slice(f * size, f * size + size));
      const name = channel.getTargetNode()!.getName();
      keyed.set(name, { ...keyed.get(name), [channel.getTargetPath()!]: value });
    }
    const quatToMatrix = ([x, y, z, w]: number[]) =>
      new Float64Array([
        1 - 2 * (y! * y! + z! * z!),
        2 * (x! * y! - z! * w!),
        2 * (x! * z! + y! * w!),
        2 * (x! * y! + z! * w!),
        1 - 2 * (x! * x! + z! * z!),
        2 * (y! * z! - x! * w!),
        2 * (x! * z! - y! * w!),
        2 * (y! * z! + x! * w!),
        1 - 2 * (x! * x! + y! * y!),
      ]);
    const mul = (a: Float64Array, b: Float64Array) => {
      const o = new Float64Array(9);
      for (let r = 0; r < 3; r++)
        for (let c = 0; c < 3; c++)
          for (let k = 0; k < 3; k++) o[r * 3 + c]! += a[r * 3 + k]! * b[k * 3 + c]!;
      return o;
    };
    const world = new Map<string, { p: number[]; r: Float64Array }>();
    const walk = (
      node: ReturnType<typeof root.listNodes>[number],
      parent?: { p: number[]; r: Float64Array },
    ) => {
      const k = keyed.get(node.getName());
      const t = k?.translation ?? node.getTranslation();
      const local = k?.rotation ? quatToMatrix(k.rotation) : quatToMatrix(node.getRotation());
      const here = parent
        ? { p: apply(parent.r, t).map((v, i) => v + parent.p[i]!), r: mul(parent.r, local) }
        : { p: [...t], r: local };
      world.set(node.getName(), here);
      for (const child of node.listChildren()) walk(child, here);
    };
    walk(root.listScenes()[0]!.listChildren()[0]!);
    for (const [j, name] of names.entries()) {
      const want = toExportAxes(frames[f]![j]!, 'y-up');
      const got = world.get(name)!.p;
      expect(1000 * Math.hypot(...got.map((v, k) => v - want[k]!)), name).toBeLessThan(0.05);
    }
  });
});
