/**
 * What the page shows and downloads about a result: per-person distances and the result
 * document — thin calls into the runtime, which owns both (docs/result.schema.json). Pure.
 */
import {
  distanceFromCamera,
  droppedSummary,
  type PoseResult,
  type ResultDocument,
  resultDocument as runtimeResultDocument,
} from '@metrabs/runtime';

/** Distance from the camera centre to the mean of the joints, in metres (camera frame, mm in). */
export function distanceM(pose: readonly (readonly number[])[]): number {
  return distanceFromCamera(pose) / 1000;
}

/** Person poses of an averaged result (the page always averages the augmentations). */
export function posesOf(result: PoseResult): { poses3d: number[][][]; poses2d: number[][][] } {
  return {
    poses3d: result.poses3d as number[][][],
    poses2d: result.poses2d as number[][][],
  };
}

/**
 * The stats line's people part: `2 people`, or, when the plausibility filter dropped some,
 * `2 people of 3 people found, 1 dropped as implausible [box-mismatch] (unticking … keeps it)`.
 */
export function peopleSummary(result: PoseResult): string {
  const n = result.boxes.length;
  const returned = n === 1 ? '1 person' : `${n} people`;
  const dropped = droppedSummary(
    result.peopleFound,
    result.dropped,
    'unticking “Drop implausible poses”',
  );
  return dropped === undefined ? returned : `${returned} of ${dropped}`;
}

export interface DocumentContext {
  image: string;
  width: number;
  height: number;
  model: { url: string; backbone: string; skeleton: string; numJoints: number; cropSide: number };
  settings: Record<string, unknown>;
  /** Seconds into the video, for video and camera frames. */
  time?: number;
  /** Track id per person, for video and camera frames. */
  trackIds?: number[];
}

/** One result as the runtime's result document (the same schema as `metrabs detect`). */
export function resultDocument(result: PoseResult, context: DocumentContext): ResultDocument {
  return runtimeResultDocument(
    { ...result, ...posesOf(result) },
    {
      image: context.image,
      imageSize: { width: context.width, height: context.height },
      model: context.model,
      settings: context.settings,
      ...(context.time === undefined ? {} : { time: context.time }),
      ...(context.trackIds === undefined ? {} : { trackIds: context.trackIds }),
    },
  );
}
