/**
 * Person tracks across video frames: which person in this frame is which person before.
 *
 * Each track keeps a constant-velocity estimate (an alpha-beta filter) of the person's 3D
 * centre (mean of the joints, mm) and of their 2D box (px), so it can say where the person
 * should be now, also after frames in which they were not seen. A (track, person) pair costs
 *
 *     ‖predicted centre − centre‖ / gate  +  weight2d · (1 − IoU(predicted box, box))
 *
 * Both cues are needed: the model's absolute depth is noisy (hundreds of mm at a few metres),
 * its image position is not, and two people who overlap in the image are usually at different
 * depths. A pair is forbidden when the 3D distance exceeds the gate or the box centres are
 * further apart than `gate2d` box heights; both gates widen with every frame the track went
 * unseen, so a person who comes out from behind someone is picked up by their old track. The
 * pairs are chosen by optimal (Hungarian) assignment over the whole frame, not cheapest
 * first, so one close call cannot push another person onto the wrong track.
 *
 * People left unmatched start new tracks; a track unseen for more than `maxAge` processed
 * frames ends. Track ids count from 0 and are never reused. A per-track pose filter
 * (`filter`, see pose-filter.ts) smooths the poses that are returned.
 */
import { type Assignment, greedyAssignment, optimalAssignment } from './assignment.js';
import { boxIou } from './yolox.js';

/** Smooths one track's poses over time; one instance per track. */
export interface PoseFilter {
  /** The filtered pose for a new observation at `timeS` seconds (increasing). */
  filter(pose3d: number[][], pose2d: number[][], timeS: number): PoseFilterOutput;
}

export interface PoseFilterOutput {
  pose3d: number[][];
  pose2d: number[][];
}

export interface TrackerOptions {
  /** `'hungarian'` (default) or `'greedy'` (cheapest pair first; for comparison only). */
  matching?: 'hungarian' | 'greedy';
  /** Largest 3D centre distance (mm) from the prediction that still matches, for a track seen last frame. */
  gateMm?: number;
  /** How much the 3D gate widens (mm) per frame a track went unseen. */
  gateGrowthMm?: number;
  /** Largest distance of box centres, in box heights, for a track seen last frame (widens by half per unseen frame). */
  gate2d?: number;
  /**
   * The model's depth error grows with distance: the part of the 3D distance along the
   * camera ray counts `gateMm / (gateMm + depthTolerance · distance)` as much as the rest.
   */
  depthTolerance?: number;
  /** Camera centre in the poses' frame (mm), the origin of the rays; default the origin. */
  cameraCentreMm?: readonly number[];
  /** Weight of the 2D term (1 − IoU) against the 3D term (distance / gate). */
  weight2d?: number;
  /** Frames a track may go unseen and still be picked up again. */
  maxAge?: number;
  /** Makes each new track's pose filter; default: poses returned as given. */
  filter?: () => PoseFilter;
}

export interface TrackerInput {
  poses3d: number[][][];
  poses2d: number[][][];
  /** `[x, y, w, h, …]` per person; default: the box around the person's 2D joints. */
  boxes?: ArrayLike<number>[];
}

export interface TrackedFrame {
  /** Track id per input person, in input order. */
  trackIds: number[];
  /** Poses after the track's filter, in input order. */
  poses3d: number[][][];
  poses2d: number[][][];
}

export const TRACKER_DEFAULTS = {
  matching: 'hungarian',
  gateMm: 1000,
  gateGrowthMm: 250,
  gate2d: 1,
  depthTolerance: 0.25,
  weight2d: 1,
  maxAge: 15,
} as const;

/** Alpha-beta gains: how far an observation pulls the position and the velocity estimate. */
const GAIN_3D = { position: 0.5, velocity: 0.2 };
const GAIN_2D = { position: 0.8, velocity: 0.4 };

type Vec = number[];

interface Track {
  id: number;
  centre: Vec;
  velocity: Vec;
  /** Box as [centre x, centre y, w, h]. */
  box: Vec;
  boxVelocity: Vec;
  /** Processed frames since the track was last seen. */
  missed: number;
  filter: PoseFilter | undefined;
}

export function meanJointDistance(a: number[][], b: number[][]): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const p = a[j]!;
    const q = b[j]!;
    sum += Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
  }
  return sum / n;
}

/** Mean of the finite joints (NaN coordinates are skipped); undefined when none is finite. */
function poseCentre(pose: number[][]): Vec | undefined {
  const sum = [0, 0, 0];
  let n = 0;
  for (const p of pose) {
    if (!(Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[2]))) continue;
    sum[0]! += p[0]!;
    sum[1]! += p[1]!;
    sum[2]! += p[2]!;
    n++;
  }
  return n === 0 ? undefined : sum.map((v) => v / n);
}

/** [centre x, centre y, w, h] of a detector box, or of the 2D joints' bounding box. */
function centredBox(box: ArrayLike<number> | undefined, pose2d: number[][]): Vec {
  if (box && box.length >= 4 && box[2]! > 0 && box[3]! > 0) {
    return [box[0]! + box[2]! / 2, box[1]! + box[3]! / 2, box[2]!, box[3]!];
  }
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of pose2d) {
    if (!(Number.isFinite(p[0]) && Number.isFinite(p[1]))) continue;
    x0 = Math.min(x0, p[0]!);
    y0 = Math.min(y0, p[1]!);
    x1 = Math.max(x1, p[0]!);
    y1 = Math.max(y1, p[1]!);
  }
  if (!(x1 >= x0)) return [0, 0, 0, 0];
  return [(x0 + x1) / 2, (y0 + y1) / 2, Math.max(x1 - x0, 1), Math.max(y1 - y0, 1)];
}

/** IoU of two centred boxes, through the detector's corner-form `boxIou`. */
function centredIou(a: Vec, b: Vec): number {
  const corner = (c: Vec) => [c[0]! - c[2]! / 2, c[1]! - c[3]! / 2, c[2]!, c[3]!] as const;
  return boxIou(corner(a), corner(b));
}

function ahead(x: Vec, v: Vec, steps: number): Vec {
  return x.map((value, k) => value + v[k]! * steps);
}

/** Alpha-beta update of (x, v) towards observation z after `steps` frames; in place. */
function correct(x: Vec, v: Vec, z: Vec, steps: number, gain: typeof GAIN_3D): void {
  for (let k = 0; k < x.length; k++) {
    const predicted = x[k]! + v[k]! * steps;
    const residual = z[k]! - predicted;
    x[k] = predicted + gain.position * residual;
    v[k] = v[k]! + (gain.velocity * residual) / steps;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0 && Number.isFinite(value))) {
    throw new RangeError(`tracker: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

export class PoseTracker {
  private tracks: Track[] = [];
  private nextId = 0;
  private frame = 0;
  readonly matching: 'hungarian' | 'greedy';
  readonly gateMm: number;
  readonly gateGrowthMm: number;
  readonly gate2d: number;
  readonly weight2d: number;
  readonly depthTolerance: number;
  readonly cameraCentreMm: readonly number[];
  readonly maxAge: number;
  private readonly makeFilter: (() => PoseFilter) | undefined;

  constructor(options: TrackerOptions = {}) {
    const o = { ...TRACKER_DEFAULTS, ...options };
    if (o.matching !== 'hungarian' && o.matching !== 'greedy') {
      throw new RangeError(`tracker: matching must be 'hungarian' or 'greedy', got ${o.matching}`);
    }
    this.matching = o.matching;
    this.gateMm = positive('gateMm', o.gateMm);
    this.gateGrowthMm = o.gateGrowthMm === 0 ? 0 : positive('gateGrowthMm', o.gateGrowthMm);
    this.gate2d = positive('gate2d', o.gate2d);
    this.weight2d = o.weight2d === 0 ? 0 : positive('weight2d', o.weight2d);
    this.depthTolerance = o.depthTolerance === 0 ? 0 : positive('depthTolerance', o.depthTolerance);
    this.cameraCentreMm = options.cameraCentreMm ?? [0, 0, 0];
    if (this.cameraCentreMm.length !== 3 || !this.cameraCentreMm.every(Number.isFinite)) {
      throw new RangeError('tracker: cameraCentreMm must be three finite numbers');
    }
    if (!(Number.isInteger(o.maxAge) && o.maxAge >= 0)) {
      throw new RangeError(`tracker: maxAge must be a whole number ≥ 0, got ${o.maxAge}`);
    }
    this.maxAge = o.maxAge;
    this.makeFilter = options.filter;
  }

  /** Ids of the tracks alive now (seen within `maxAge` frames). */
  get activeIds(): number[] {
    return this.tracks.map((t) => t.id);
  }

  /**
   * Assigns this frame's people to tracks. `timeS` (seconds, increasing) drives the pose
   * filters; by default frames are taken as 1/30 s apart.
   */
  update(input: TrackerInput, timeS?: number): TrackedFrame {
    const { poses3d, poses2d } = input;
    if (poses2d.length !== poses3d.length) {
      throw new RangeError(
        `tracker: ${poses3d.length} 3D poses but ${poses2d.length} 2D poses in one frame`,
      );
    }
    const time = timeS ?? this.frame / 30;
    this.frame++;
    const centres = poses3d.map(poseCentre);
    const boxes = poses3d.map((_, p) => centredBox(input.boxes?.[p], poses2d[p] ?? []));
    const cost = this.tracks.map((track) =>
      centres.map((centre, p) => this.pairCost(track, centre, boxes[p]!)),
    );
    const assign: Assignment =
      this.matching === 'greedy'
        ? greedyAssignment(cost, Number.MAX_VALUE)
        : optimalAssignment(cost, Number.MAX_VALUE);
    const trackOf = new Array<Track | undefined>(poses3d.length);
    for (const [t, p] of assign) trackOf[p] = this.tracks[t];

    const out: TrackedFrame = { trackIds: [], poses3d: [], poses2d: [] };
    const seen = new Set<Track>();
    poses3d.forEach((pose, p) => {
      const pose2d = poses2d[p] ?? [];
      const centre = centres[p] ?? [0, 0, 0];
      let track = trackOf[p];
      if (track === undefined) {
        track = {
          id: this.nextId++,
          centre: [...centre],
          velocity: [0, 0, 0],
          box: [...boxes[p]!],
          boxVelocity: [0, 0, 0, 0],
          missed: 0,
          filter: this.makeFilter?.(),
        };
        this.tracks.push(track);
      } else {
        const steps = track.missed + 1;
        correct(track.centre, track.velocity, centre, steps, GAIN_3D);
        correct(track.box, track.boxVelocity, boxes[p]!, steps, GAIN_2D);
        track.missed = 0;
      }
      seen.add(track);
      const filtered = track.filter
        ? track.filter.filter(pose, pose2d, time)
        : { pose3d: pose, pose2d };
      out.trackIds.push(track.id);
      out.poses3d.push(filtered.pose3d);
      out.poses2d.push(filtered.pose2d);
    });
    for (const track of this.tracks) if (!seen.has(track)) track.missed++;
    this.tracks = this.tracks.filter((track) => track.missed <= this.maxAge);
    return out;
  }

  /** 3D distance with the part along the camera ray through `observed` discounted. */
  private depthDiscounted(predicted: Vec, observed: Vec): number {
    const ray = observed.map((v, k) => v - this.cameraCentreMm[k]!);
    const distance = Math.hypot(...ray);
    const r = predicted.map((v, k) => v - observed[k]!);
    const total = Math.hypot(...r);
    if (distance === 0) return total;
    const along = (r[0]! * ray[0]! + r[1]! * ray[1]! + r[2]! * ray[2]!) / distance;
    const across = Math.sqrt(Math.max(0, total * total - along * along));
    const weight = this.gateMm / (this.gateMm + this.depthTolerance * distance);
    return Math.hypot(across, along * weight);
  }

  private pairCost(track: Track, centre: Vec | undefined, box: Vec): number {
    if (centre === undefined) return Number.POSITIVE_INFINITY;
    const steps = track.missed + 1;
    const gate3d = this.gateMm + this.gateGrowthMm * track.missed;
    const d3 = this.depthDiscounted(ahead(track.centre, track.velocity, steps), centre);
    if (d3 > gate3d) return Number.POSITIVE_INFINITY;
    const predictedBox = ahead(track.box, track.boxVelocity, steps);
    const height = Math.max(predictedBox[3]!, box[3]!, 1);
    const d2 = Math.hypot(predictedBox[0]! - box[0]!, predictedBox[1]! - box[1]!) / height;
    if (d2 > this.gate2d * (1 + 0.5 * track.missed)) return Number.POSITIVE_INFINITY;
    return d3 / gate3d + this.weight2d * (1 - centredIou(predictedBox, box));
  }
}

/** Exponential smoothing, `alpha·new + (1 − alpha)·previous` per coordinate (3D and 2D). */
export function exponentialFilter(alpha: number): () => PoseFilter {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  return () => {
    let last: PoseFilterOutput | undefined;
    const blend = (previous: number[][], current: number[][]) =>
      current.map((point, j) =>
        point.map((v, k) => alpha * v + (1 - alpha) * (previous[j]?.[k] ?? v)),
      );
    return {
      filter(pose3d, pose2d) {
        last = last
          ? { pose3d: blend(last.pose3d, pose3d), pose2d: blend(last.pose2d, pose2d) }
          : { pose3d, pose2d };
        return last;
      },
    };
  };
}
