/**
 * `metrabs video --bvh / --gltf`: each track's filtered poses, recorded during the run, written
 * as animation files by the runtime's writers (motion-export.ts). Frames where a track went
 * unseen (an occlusion) are filled by linear interpolation between the frames around them;
 * tracks seen in fewer than `MIN_FRAMES` frames are skipped unless asked for with `--track`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { writeBvh, writeGltf } from '@metrabs/runtime';
import type { Io } from '../commands/detect.js';
import { InputError } from '../errors.js';

export const MIN_FRAMES = 10;

export class TrackRecorder {
  /** Track id → processed-frame index → pose (mm). */
  readonly tracks = new Map<number, Map<number, number[][]>>();

  add(frame: number, ids: readonly number[], poses: readonly number[][][]): void {
    ids.forEach((id, i) => {
      if (!this.tracks.has(id)) this.tracks.set(id, new Map());
      this.tracks.get(id)!.set(frame, poses[i]!);
    });
  }

  /** Replaces every recorded pose by `f(pose)` (e.g. into the world frame). */
  map(f: (pose: number[][]) => number[][]): void {
    for (const seen of this.tracks.values()) {
      for (const [frame, pose] of seen) seen.set(frame, f(pose));
    }
  }

  /** The track's poses from its first to its last frame, gaps interpolated. */
  frames(id: number): number[][][] {
    const seen = this.tracks.get(id);
    if (!seen || seen.size === 0) return [];
    const keys = [...seen.keys()].sort((a, b) => a - b);
    const out: number[][][] = [];
    for (let k = 0; k < keys.length; k++) {
      const a = keys[k]!;
      out.push(seen.get(a)!);
      const b = keys[k + 1];
      if (b === undefined) break;
      const pa = seen.get(a)!;
      const pb = seen.get(b)!;
      for (let f = a + 1; f < b; f++) {
        const t = (f - a) / (b - a);
        out.push(pa.map((p, j) => p.map((v, c) => v + t * (pb[j]![c]! - v))));
      }
    }
    return out;
  }
}

function targetPath(
  option: string,
  ext: string,
  video: string,
  id: number,
  single: boolean,
): string {
  const path = resolve(option);
  if (extname(path).toLowerCase() === ext) {
    return single ? path : join(dirname(path), `${basename(path, extname(path))}.track${id}${ext}`);
  }
  return join(path, `${basename(video, extname(video))}.track${id}${ext}`);
}

export interface ExportContext {
  options: { bvh?: string; gltf?: string; track?: number };
  video: string;
  frameTimeS: number;
  jointNames: string[];
  edges: [number, number][];
  skeleton: string;
  /** Poses in world coordinates (extrinsics given, or --world auto): keep their axes; else camera → y up. */
  world: boolean;
  io: Io;
}

/** Writes the files; returns what was written, for the meta file. */
export async function exportTracks(recorder: TrackRecorder, c: ExportContext) {
  const { options } = c;
  let ids = [...recorder.tracks.keys()].sort((a, b) => a - b);
  if (options.track !== undefined) {
    if (!recorder.tracks.has(options.track)) {
      throw new InputError(
        `--track ${options.track}: no such track (tracks: ${ids.join(', ') || 'none'})`,
      );
    }
    ids = [options.track];
  } else {
    ids = ids.filter((id) => recorder.tracks.get(id)!.size >= MIN_FRAMES);
  }
  const single = options.track !== undefined;
  const written: { track: number; frames: number; bvh?: string; gltf?: string }[] = [];
  for (const id of ids) {
    const frames = recorder.frames(id);
    if (frames.length < 2) continue;
    const track = {
      frames,
      frameTimeS: c.frameTimeS,
      jointNames: c.jointNames,
      edges: c.edges,
      skeleton: c.skeleton,
      axes: c.world ? ('as-is' as const) : ('y-up' as const),
    };
    const entry: (typeof written)[number] = { track: id, frames: frames.length };
    for (const [kind, option, ext] of [
      ['bvh', options.bvh, '.bvh'],
      ['gltf', options.gltf, '.glb'],
    ] as const) {
      if (option === undefined) continue;
      const path = targetPath(option, ext, c.video, id, single);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, kind === 'bvh' ? writeBvh(track) : await writeGltf(track, `track ${id}`));
      entry[kind] = path;
      c.io.stderr(`metrabs: track ${id}: ${frames.length} frames → ${path}\n`);
    }
    written.push(entry);
  }
  if (written.length === 0) {
    c.io.stderr(
      `metrabs: no track long enough to export (at least ${MIN_FRAMES} frames; --track ID exports any)\n`,
    );
  }
  return written;
}
