/**
 * Recording tracked people for animation export: each track's (filtered) pose per processed
 * frame, turned into the evenly spaced `TrackMotion` the BVH and glTF writers take. Shared by
 * `metrabs video --bvh/--gltf` and the web page's motion download. Frames where a track went
 * unseen (an occlusion) are filled by linear interpolation between the frames around them.
 */

import type { TrackMotion } from './motion-export.js';
import type { ExportAxes } from './motion-rig.js';

/** Tracks seen in fewer processed frames are not exported unless asked for by id. */
export const MIN_EXPORT_FRAMES = 10;

/** What every track of one recording shares. */
export interface RecordingInfo {
  /** Seconds between processed frames. */
  frameTimeS: number;
  jointNames: readonly string[];
  edges: readonly (readonly [number, number])[];
  skeleton?: string;
  /** World coordinates (y up already): keep the axes; camera coordinates: turn to y up. */
  world: boolean;
}

export class TrackRecorder {
  /** Track id → processed-frame index → pose (mm). */
  readonly tracks = new Map<number, Map<number, number[][]>>();

  /** The poses of the people tracked in processed frame `frame` (`ids[i]` is `poses[i]`'s track). */
  add(frame: number, ids: readonly number[], poses: readonly number[][][]): void {
    if (ids.length !== poses.length) {
      throw new RangeError(`motion recorder: ${ids.length} track ids for ${poses.length} poses`);
    }
    ids.forEach((id, i) => {
      const seen = this.tracks.get(id) ?? new Map<number, number[][]>();
      this.tracks.set(id, seen);
      seen.set(frame, poses[i]!);
    });
  }

  /** Replaces every recorded pose by `f(pose)` (e.g. into the world frame). */
  map(f: (pose: number[][]) => number[][]): void {
    for (const seen of this.tracks.values()) {
      for (const [frame, pose] of seen) seen.set(frame, f(pose));
    }
  }

  /** Forgets everything (a new source, a seek, changed settings). */
  clear(): void {
    this.tracks.clear();
  }

  /** Ids of the tracks seen in at least `minFrames` frames, ascending. */
  exportable(minFrames = MIN_EXPORT_FRAMES): number[] {
    return [...this.tracks.keys()]
      .filter((id) => this.tracks.get(id)!.size >= minFrames)
      .sort((a, b) => a - b);
  }

  /** The track's poses from its first to its last frame, gaps interpolated. */
  frames(id: number): number[][][] {
    const seen = this.tracks.get(id);
    if (!seen || seen.size === 0) return [];
    const keys = [...seen.keys()].sort((a, b) => a - b);
    const out: number[][][] = [];
    for (let k = 0; k < keys.length; k++) {
      const a = keys[k]!;
      const pa = seen.get(a)!;
      out.push(pa);
      const b = keys[k + 1];
      if (b === undefined) break;
      const pb = seen.get(b)!;
      for (let f = a + 1; f < b; f++) {
        const t = (f - a) / (b - a);
        out.push(pa.map((p, j) => p.map((v, c) => v + t * (pb[j]![c]! - v))));
      }
    }
    return out;
  }

  /** The track as the writers' input, or undefined when it has fewer than two frames. */
  motion(id: number, info: RecordingInfo): TrackMotion | undefined {
    const frames = this.frames(id);
    if (frames.length < 2) return undefined;
    const axes: ExportAxes = info.world ? 'as-is' : 'y-up';
    return {
      frames,
      frameTimeS: info.frameTimeS,
      jointNames: info.jointNames,
      edges: info.edges,
      ...(info.skeleton === undefined ? {} : { skeleton: info.skeleton }),
      axes,
    };
  }
}
