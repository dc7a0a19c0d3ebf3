/**
 * Temporal filtering of one tracked person's poses: One Euro filters (one-euro.ts) on the
 * parts whose errors differ, and bone lengths held per person.
 *
 * The pose is split at its centre (the mean of the joints) into (a) the centre's distance
 * from the camera, (b) its direction from the camera and (c) the joints relative to it. The
 * model's absolute distance is its noisiest output (a few per cent of the distance from frame
 * to frame), its direction and the body's shape much less so, so (a) gets its own, stronger
 * filter. (The centre, not the pelvis: a mean of all joints carries a fraction of one joint's
 * noise, and noise in the split point would reach every joint through (c).) Then, from the
 * skeleton's root outwards, every joint is put back along its filtered bone direction at the
 * person's bone length: a running median of that bone's filtered length over the last
 * `boneWindow` frames (a person's limbs do not change length, and a median ignores the
 * frames where the model misjudged one); the result is shifted back onto the filtered centre.
 *
 * The 2D pose is the filtered 3D pose projected with `project` when the caller has the
 * camera, else the detected 2D joints through their own One Euro filter (pixels).
 */
import { checkOneEuroOptions, OneEuroFilter, type OneEuroOptions } from './one-euro.js';
import type { PoseFilter, PoseFilterOutput } from './tracking.js';

export interface MotionFilterOptions {
  /** `[parent, child]` pairs forming a tree (a result's `edges`); bones are held along them. */
  edges?: readonly (readonly [number, number])[];
  /** Joints relative to the root, mm (beta per mm/s). */
  joints?: OneEuroOptions;
  /** The root's distance from the camera, mm. */
  distance?: OneEuroOptions;
  /** 2D joints when there is no `project`, px (beta per px/s). */
  pixels?: OneEuroOptions;
  /** Hold bone lengths (needs `edges`). Default true. */
  holdBoneLengths?: boolean;
  /** Frames in the bone lengths' running median. */
  boneWindow?: number;
  /** The camera's centre in the poses' frame, mm (world poses); default the origin. */
  cameraCentreMm?: readonly number[];
  /** Filtered 3D pose → 2D pose (the camera's projection). */
  project?: (pose3d: number[][]) => number[][];
}

/**
 * Chosen with bench/motion.ts (docs/motion.md): within 0.1 mm of the lowest MPJPE of the grid
 * at 30 fps, with jitter 4× lower than the raw poses.
 */
export const MOTION_FILTER_DEFAULTS = {
  joints: { minCutoff: 1, beta: 0.005, derivativeCutoff: 1 },
  distance: { minCutoff: 0.2, beta: 0.002, derivativeCutoff: 1 },
  pixels: { minCutoff: 1.5, beta: 0.02, derivativeCutoff: 1 },
  holdBoneLengths: true,
  boneWindow: 300,
} as const;

/** Children in root-first order: the order in which joints are put back along their bones. */
function treeOrder(
  edges: readonly (readonly [number, number])[],
  numJoints: number,
): { root: number; order: [number, number, number][] } {
  const parent = new Array<number>(numJoints).fill(-1);
  edges.forEach(([p, c]) => {
    if (!(p >= 0 && p < numJoints && c >= 0 && c < numJoints) || parent[c] !== -1) {
      throw new RangeError(`motion filter: the edges are not a tree over ${numJoints} joints`);
    }
    parent[c] = p;
  });
  const roots = parent.flatMap((p, j) => (p === -1 ? [j] : []));
  if (roots.length !== 1) {
    throw new RangeError(`motion filter: the edges have ${roots.length} roots, need one`);
  }
  const order: [number, number, number][] = [];
  const queue = [roots[0]!];
  while (queue.length > 0) {
    const p = queue.shift()!;
    edges.forEach(([a, c], e) => {
      if (a === p) {
        order.push([p, c, e]);
        queue.push(c);
      }
    });
  }
  return { root: roots[0]!, order };
}

/** The median of the last `size` values pushed: a FIFO beside a sorted copy. */
class RunningMedian {
  private readonly fifo: number[] = [];
  private readonly sorted: number[] = [];

  constructor(private readonly size: number) {}

  private position(v: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  push(v: number): void {
    this.fifo.push(v);
    this.sorted.splice(this.position(v), 0, v);
    if (this.fifo.length > this.size) this.sorted.splice(this.position(this.fifo.shift()!), 1);
  }

  get value(): number {
    const s = this.sorted;
    if (s.length === 0) return Number.NaN;
    const m = s.length >> 1;
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
}

export class MotionFilter implements PoseFilter {
  private readonly o: Required<Omit<MotionFilterOptions, 'edges' | 'project'>> &
    Pick<MotionFilterOptions, 'project'>;
  private readonly edges: readonly (readonly [number, number])[];
  private tree: ReturnType<typeof treeOrder> | undefined;
  private readonly jointFilter: OneEuroFilter;
  private readonly directionFilter: OneEuroFilter;
  private readonly distanceFilter: OneEuroFilter;
  private readonly pixelFilter: OneEuroFilter;
  private lengths: RunningMedian[] = [];

  constructor(options: MotionFilterOptions = {}) {
    const d = MOTION_FILTER_DEFAULTS;
    this.o = {
      joints: options.joints ?? d.joints,
      distance: options.distance ?? d.distance,
      pixels: options.pixels ?? d.pixels,
      holdBoneLengths: options.holdBoneLengths ?? d.holdBoneLengths,
      boneWindow: options.boneWindow ?? d.boneWindow,
      cameraCentreMm: options.cameraCentreMm ?? [0, 0, 0],
      project: options.project,
    };
    if (!(Number.isInteger(this.o.boneWindow) && this.o.boneWindow >= 1)) {
      throw new RangeError(
        `motion filter: boneWindow must be a whole number ≥ 1, got ${this.o.boneWindow}`,
      );
    }
    checkOneEuroOptions(this.o.joints, 'motion filter, joints');
    checkOneEuroOptions(this.o.distance, 'motion filter, distance');
    checkOneEuroOptions(this.o.pixels, 'motion filter, pixels');
    this.edges = options.edges ?? [];
    this.jointFilter = new OneEuroFilter(this.o.joints, 3);
    this.directionFilter = new OneEuroFilter(this.o.joints, 3);
    this.distanceFilter = new OneEuroFilter(this.o.distance, 1);
    this.pixelFilter = new OneEuroFilter(this.o.pixels, 2);
  }

  /** The held length of each edge (mm, edge order), NaN before the first frame. */
  get boneLengthsMm(): number[] {
    return this.edges.map((_, e) => this.lengths[e]?.value ?? Number.NaN);
  }

  filter(pose3d: number[][], pose2d: number[][], timeS: number): PoseFilterOutput {
    const J = pose3d.length;
    if (J === 0) return { pose3d, pose2d };
    if (this.tree === undefined && this.edges.length > 0) this.tree = treeOrder(this.edges, J);
    const c = this.o.cameraCentreMm;
    const centre = [0, 0, 0];
    let finite = 0;
    for (const p of pose3d) {
      if (!(Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[2]))) continue;
      for (let k = 0; k < 3; k++) centre[k]! += p[k]!;
      finite++;
    }
    for (let k = 0; k < 3; k++) centre[k]! /= finite;
    const ray = [0, 1, 2].map((k) => centre[k]! - c[k]!);
    const rawDistance = Math.hypot(ray[0]!, ray[1]!, ray[2]!);
    const usable = finite > 0 && Number.isFinite(rawDistance) && rawDistance > 0;
    const distance = this.distanceFilter.filter([usable ? rawDistance : Number.NaN], timeS)[0]!;
    const direction = this.directionFilter.filter(
      ray.map((v) => (usable ? v / rawDistance : Number.NaN)),
      timeS,
      distance,
    );
    const norm = Math.hypot(direction[0]!, direction[1]!, direction[2]!);
    const relative = new Float64Array(J * 3);
    pose3d.forEach((p, j) => {
      for (let k = 0; k < 3; k++) relative[j * 3 + k] = p[k]! - centre[k]!;
    });
    const rel = this.jointFilter.filter(relative, timeS);
    const centreOut = [0, 1, 2].map((k) => c[k]! + (direction[k]! / norm) * distance);
    const out = pose3d.map((_, j) => [0, 1, 2].map((k) => centreOut[k]! + rel[j * 3 + k]!));
    if (this.tree && this.o.holdBoneLengths) {
      this.holdBones(out, rel);
      // Back onto the filtered centre: re-placing moves the joints' mean.
      const shift = [0, 1, 2].map((k) => centreOut[k]! - out.reduce((s, p) => s + p[k]!, 0) / J);
      for (const p of out) for (let k = 0; k < 3; k++) p[k]! += shift[k]!;
    }
    const out2d = this.o.project
      ? this.o.project(out)
      : this.unflatten2d(this.pixelFilter.filter(pose2d.flat(), timeS), pose2d.length);
    return { pose3d: out, pose2d: out2d };
  }

  /** Puts each joint back along its filtered bone, at the bone's held length; in place. */
  private holdBones(out: number[][], rel: Float64Array): void {
    for (const [p, c, e] of this.tree!.order) {
      const v = [0, 1, 2].map((k) => rel[c * 3 + k]! - rel[p * 3 + k]!);
      const length = Math.hypot(v[0]!, v[1]!, v[2]!);
      if (!(length > 0 && Number.isFinite(length))) {
        out[c] = out[p]!.map((x, k) => x + v[k]!);
        continue;
      }
      if (this.lengths[e] === undefined) this.lengths[e] = new RunningMedian(this.o.boneWindow);
      const median = this.lengths[e];
      median.push(length);
      const held = median.value;
      out[c] = out[p]!.map((x, k) => x + (v[k]! / length) * held);
    }
  }

  private unflatten2d(flat: Float64Array, n: number): number[][] {
    return Array.from({ length: n }, (_, j) => [flat[j * 2]!, flat[j * 2 + 1]!]);
  }
}

/** A tracker `filter` option: a new `MotionFilter` per track. */
export function motionFilter(options: MotionFilterOptions = {}): () => PoseFilter {
  new MotionFilter(options); // fail now on bad options, not at the first track
  return () => new MotionFilter(options);
}
