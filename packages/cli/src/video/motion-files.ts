/**
 * `metrabs video --bvh / --gltf`: where the runtime's recorded tracks (motion-recorder.ts) go
 * as files. Tracks seen in fewer than `MIN_EXPORT_FRAMES` frames are skipped unless asked for
 * with `--track`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MIN_EXPORT_FRAMES, type TrackRecorder, writeBvh, writeGltf } from '@metrabs/runtime';
import type { Io } from '../commands/detect.js';
import { InputError } from '../errors.js';

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
  let ids = recorder.exportable();
  if (options.track !== undefined) {
    if (!recorder.tracks.has(options.track)) {
      const all = recorder.exportable(1);
      throw new InputError(
        `--track ${options.track}: no such track (tracks: ${all.join(', ') || 'none'})`,
      );
    }
    ids = [options.track];
  }
  const single = options.track !== undefined;
  const written: { track: number; frames: number; bvh?: string; gltf?: string }[] = [];
  for (const id of ids) {
    const track = recorder.motion(id, c);
    if (track === undefined) continue;
    const frames = track.frames;
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
      `metrabs: no track long enough to export (at least ${MIN_EXPORT_FRAMES} frames; --track ID exports any)\n`,
    );
  }
  return written;
}
