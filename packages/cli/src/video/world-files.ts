/**
 * `metrabs video --world auto`: the floor is only known once the whole clip has been seen, so
 * the JSONL is written in the camera frame as the frames come (an interrupted run keeps its
 * frames) and rewritten in the world frame at the end, line by line (memory stays flat).
 * The estimation and the transform are the runtime's (world-frame.ts); this is file handling.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cameraToWorldPoints, type WorldFrame } from '@metrabs/runtime';
import { round } from '../format.js';

/** Rewrites each line's `poses3d` (camera frame, mm) in the world frame, 0.1 mm. */
export async function rewriteJsonlInWorld(path: string, frame: WorldFrame): Promise<void> {
  const temporary = `${path}.world-tmp`;
  const out = createWriteStream(temporary);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as { poses3d: number[][][] };
    line.poses3d = line.poses3d.map((pose) =>
      cameraToWorldPoints(pose, frame).map((p) => p.map((v) => round(v, 1))),
    );
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  renameSync(temporary, path);
}

/** What the meta file records about the world frame. */
export function worldRecord(frame: WorldFrame) {
  const g = frame.ground;
  return {
    mode: 'auto',
    axes: 'y up, floor y = 0, camera at (0, height, 0) looking along -z; mm',
    worldUp: frame.worldUp,
    cameraHeightM: round(frame.cameraHeightMm / 1000, 3),
    tiltDeg: round(frame.tiltDeg, 2),
    rollDeg: round(frame.rollDeg, 2),
    feet: {
      candidates: g.candidates,
      inliers: g.inliers,
      rmsMm: round(g.rmsMm, 1),
      spreadMm: g.spreadMm.map((v) => round(v, 0)),
    },
  };
}

/** The stderr line. */
export function worldSummary(file: string, frame: WorldFrame): string {
  const g = frame.ground;
  return (
    `${file}: floor from ${g.inliers} of ${g.candidates} foot positions (rms ${g.rmsMm.toFixed(0)} mm):` +
    ` camera ${(frame.cameraHeightMm / 1000).toFixed(2)} m above it, tilted ${frame.tiltDeg.toFixed(1)}° down,` +
    ` rolled ${frame.rollDeg.toFixed(1)}°; poses in the world frame (y up, floor y = 0)\n`
  );
}
