/**
 * The walking scenes of the tracking tests and of bench/tracking.ts, and a runner that tracks
 * one scene and scores the result against the known identities.
 */
import { PoseTracker, type TrackerOptions, trackingScores } from '@metrabs/runtime';
import { type SceneOptions, walkingScene } from './walkers.js';

export const SCENES: Record<string, Omit<SceneOptions, 'seed'>> = {
  'crossing, 1.5 m apart in depth': {
    frames: 150,
    walkers: [
      { start: [-2000, 4000], velocity: [600, 0] },
      { start: [2000, 5500], velocity: [-400, 0] },
    ],
  },
  'passing side by side, 0.4 m apart': {
    frames: 100,
    walkers: [
      { start: [-2800, 4000], velocity: [1400, 0] },
      { start: [2800, 4400], velocity: [-1400, 0] },
    ],
  },
  overtaking: {
    frames: 125,
    walkers: [
      { start: [-3000, 4000], velocity: [1800, 0] },
      { start: [-1500, 4700], velocity: [700, 0] },
    ],
  },
  'passing side by side, 5 fps': {
    frames: 20,
    fps: 5,
    walkers: [
      { start: [-2800, 4000], velocity: [1400, 0] },
      { start: [2800, 4400], velocity: [-1400, 0] },
    ],
  },
  'crossing, 5 fps': {
    frames: 20,
    fps: 5,
    walkers: [
      { start: [-2800, 4000], velocity: [1400, 0] },
      { start: [2800, 5500], velocity: [-1400, 0] },
    ],
  },
  'X crossing at the same depth, 5 fps': {
    frames: 20,
    fps: 5,
    walkers: [
      { start: [-2000, 3000], velocity: [1400, 700] },
      { start: [2000, 3000], velocity: [-1400, 700] },
    ],
  },
  'X crossing at the same depth, 25 fps': {
    frames: 100,
    walkers: [
      { start: [-2000, 3000], velocity: [1400, 700] },
      { start: [2000, 3000], velocity: [-1400, 700] },
    ],
  },
  'single file, 5 fps': {
    frames: 22,
    fps: 5,
    walkers: [
      { start: [-2000, 4000], velocity: [2000, 0] },
      { start: [-1300, 4000], velocity: [2000, 0] },
    ],
  },
  'three crossing': {
    frames: 110,
    walkers: [
      { start: [-3000, 3500], velocity: [1500, 0] },
      { start: [3000, 4500], velocity: [-1300, 0] },
      { start: [-3000, 5500], velocity: [1200, 150] },
    ],
  },
};

export function runScene(scene: Omit<SceneOptions, 'seed'>, seed: number, options: TrackerOptions) {
  const tracker = new PoseTracker(options);
  const frames = walkingScene({ ...scene, seed }).map((frame) => {
    const out = tracker.update(
      {
        poses3d: frame.detections.map((d) => d.pose3d),
        poses2d: frame.detections.map((d) => d.pose2d),
        boxes: frame.detections.map((d) => d.box),
      },
      frame.timeS,
    );
    return {
      truthIds: frame.truthIds,
      outputs: out.trackIds.map((trackId, i) => ({
        trackId,
        truthId: frame.detections[i]!.truthId,
      })),
    };
  });
  return trackingScores(frames);
}
