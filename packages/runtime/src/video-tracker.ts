/**
 * The tracker every front end uses for video (`metrabs video`, the web page's video and camera
 * modes): Hungarian tracking (tracking.ts) with, per track, the One Euro motion filter and held
 * bone lengths (motion-filter.ts) on by default. With the camera known, the 2D poses are the
 * filtered 3D poses projected, so the overlay and the 3D agree.
 */
import { Camera, type CameraInit } from '@metrabs/core';
import { MOTION_FILTER_DEFAULTS, type MotionFilterOptions, motionFilter } from './motion-filter.js';
import { cameraCentre } from './result-document.js';
import {
  exponentialFilter,
  type PoseFilter,
  PoseTracker,
  TRACKER_DEFAULTS,
  type TrackerOptions,
} from './tracking.js';

export type VideoSmoothing =
  | ({ kind: 'one-euro' } & Pick<
      MotionFilterOptions,
      'joints' | 'distance' | 'pixels' | 'holdBoneLengths' | 'boneWindow'
    >)
  | { kind: 'exponential'; alpha: number }
  | { kind: 'none' };

export interface VideoTrackerOptions {
  /** The skeleton's `[parent, child]` edges (a result's `edges`). */
  edges: readonly (readonly [number, number])[];
  /** The camera of the poses, to project filtered poses (a result's `intrinsicMatrix`). */
  intrinsicMatrix?: number[][];
  distortionCoeffs?: ArrayLike<number>;
  /** World → camera (mm) when the poses are in world coordinates. */
  extrinsicMatrix?: CameraInit['extrinsicMatrix'];
  /** Default: the One Euro motion filter with its measured defaults. */
  smoothing?: VideoSmoothing;
  tracking?: Omit<TrackerOptions, 'filter' | 'cameraCentreMm'>;
}

export function createVideoTracker(options: VideoTrackerOptions): PoseTracker {
  const centre = cameraCentre(options.extrinsicMatrix);
  const smoothing = options.smoothing ?? { kind: 'one-euro' };
  let filter: (() => PoseFilter) | undefined;
  if (smoothing.kind === 'exponential') filter = exponentialFilter(smoothing.alpha);
  if (smoothing.kind === 'one-euro') {
    const camera = options.intrinsicMatrix
      ? new Camera({
          intrinsicMatrix: options.intrinsicMatrix,
          ...(options.distortionCoeffs ? { distortionCoeffs: options.distortionCoeffs } : {}),
          ...(options.extrinsicMatrix ? { extrinsicMatrix: options.extrinsicMatrix } : {}),
        })
      : undefined;
    const { kind: _, ...params } = smoothing;
    filter = motionFilter({
      ...params,
      edges: options.edges,
      cameraCentreMm: centre,
      ...(camera ? { project: (pose: number[][]) => camera.worldToImage(pose) } : {}),
    });
  }
  return new PoseTracker({ ...options.tracking, cameraCentreMm: centre, filter });
}

/** What a result file records about tracking and smoothing (the values in force). */
export function videoTrackingRecord(options: Pick<VideoTrackerOptions, 'smoothing' | 'tracking'>) {
  const smoothing = options.smoothing ?? { kind: 'one-euro' };
  return {
    tracking: { ...TRACKER_DEFAULTS, ...options.tracking },
    smoothing:
      smoothing.kind === 'one-euro'
        ? {
            kind: 'one-euro',
            joints: smoothing.joints ?? MOTION_FILTER_DEFAULTS.joints,
            distance: smoothing.distance ?? MOTION_FILTER_DEFAULTS.distance,
            holdBoneLengths: smoothing.holdBoneLengths ?? MOTION_FILTER_DEFAULTS.holdBoneLengths,
            boneWindow: smoothing.boneWindow ?? MOTION_FILTER_DEFAULTS.boneWindow,
          }
        : smoothing,
  };
}
