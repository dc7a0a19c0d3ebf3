/**
 * Person tracks across video frames and exponential smoothing of their poses.
 *
 * Matching: each frame, every (track, person) pair gets the mean distance between the
 * track's last pose and the person's 3D joints (mm); pairs are taken greedily from the
 * closest, each track and person once, up to `gateMm`. Unmatched people start new tracks;
 * a track unseen for more than `maxMissed` processed frames ends. Track ids count from 0.
 *
 * Smoothing: a matched track's pose becomes `alpha·new + (1 − alpha)·previous`, per joint
 * and coordinate, for the 3D and the 2D pose alike (alpha = 1: no smoothing). A new track
 * starts at its first pose.
 */

export interface TrackerOptions {
  /** Smoothing factor in (0, 1]; 1 = off. */
  alpha?: number;
  /** Largest mean joint distance (mm) between frames that still counts as the same person. */
  gateMm?: number;
  /** Frames a track may go unseen before it ends. */
  maxMissed?: number;
}

interface Track {
  id: number;
  pose3d: number[][];
  pose2d: number[][];
  missed: number;
}

export interface TrackedFrame {
  trackIds: number[];
  poses3d: number[][][];
  poses2d: number[][][];
}

export const DEFAULT_GATE_MM = 1000;
export const DEFAULT_MAX_MISSED = 5;

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

function blend(previous: number[][], current: number[][], alpha: number): number[][] {
  return current.map((point, j) =>
    point.map((v, k) => alpha * v + (1 - alpha) * (previous[j]?.[k] ?? v)),
  );
}

export class PoseTracker {
  private tracks: Track[] = [];
  private nextId = 0;
  readonly alpha: number;
  readonly gateMm: number;
  readonly maxMissed: number;

  constructor(options: TrackerOptions = {}) {
    this.alpha = options.alpha ?? 1;
    this.gateMm = options.gateMm ?? DEFAULT_GATE_MM;
    this.maxMissed = options.maxMissed ?? DEFAULT_MAX_MISSED;
    if (!(this.alpha > 0 && this.alpha <= 1))
      throw new RangeError(`alpha must be in (0, 1], got ${this.alpha}`);
  }

  /** Assigns this frame's people to tracks; returns their ids and (smoothed) poses, in input order. */
  update(poses3d: number[][][], poses2d: number[][][]): TrackedFrame {
    const pairs: { t: number; p: number; d: number }[] = [];
    this.tracks.forEach((track, t) => {
      poses3d.forEach((pose, p) => {
        const d = meanJointDistance(track.pose3d, pose);
        if (d <= this.gateMm) pairs.push({ t, p, d });
      });
    });
    pairs.sort((a, b) => a.d - b.d);
    const trackOf = new Array<number>(poses3d.length).fill(-1);
    const usedTracks = new Set<number>();
    for (const { t, p } of pairs) {
      if (usedTracks.has(t) || trackOf[p] !== -1) continue;
      usedTracks.add(t);
      trackOf[p] = t;
    }
    const out: TrackedFrame = { trackIds: [], poses3d: [], poses2d: [] };
    const seen = new Set<Track>();
    poses3d.forEach((pose, p) => {
      const pose2d = poses2d[p] ?? [];
      const t = trackOf[p]!;
      let track: Track;
      if (t === -1) {
        track = { id: this.nextId++, pose3d: pose, pose2d, missed: 0 };
        this.tracks.push(track);
      } else {
        track = this.tracks[t]!;
        track.pose3d = blend(track.pose3d, pose, this.alpha);
        track.pose2d = blend(track.pose2d, pose2d, this.alpha);
        track.missed = 0;
      }
      seen.add(track);
      out.trackIds.push(track.id);
      out.poses3d.push(track.pose3d);
      out.poses2d.push(track.pose2d);
    });
    for (const track of this.tracks) if (!seen.has(track)) track.missed++;
    this.tracks = this.tracks.filter((track) => track.missed <= this.maxMissed);
    return out;
  }
}
