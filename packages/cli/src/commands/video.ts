/**
 * `metrabs video <file>`: 3D poses in every frame of a video, streamed from ffmpeg as raw
 * RGB. Writes `<name>.jsonl` (one line per processed frame) and `<name>.meta.json`, and
 * optionally an overlay video. A decoding error stops the run with exit code 3 after
 * finishing the outputs of the frames done so far.
 */

import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DropReason } from '@metrabs/core';
import {
  cameraToWorldPoints,
  createVideoTracker,
  estimateWorldFrame,
  FloorFeet,
  GroundPlaneError,
  MOTION_FILTER_DEFAULTS,
  type PoseTracker,
  TrackRecorder,
  type VideoSmoothing,
  videoTrackingRecord,
  type WorldFrame,
} from '@metrabs/runtime';
import { CliError, EXIT, type ExitCode, InputError, oneLine, UsageError } from '../errors.js';
import {
  distanceFromCamera,
  formatImageResult,
  outputStems,
  type PoseResultLike,
  round,
  stringifyJson,
  worldToCamera,
} from '../format.js';
import {
  cameraFromOptions,
  checkSkeleton,
  detectPoses,
  loadRuntime,
  type ModelOptions,
  openEstimator,
  outputFolder,
  poseOptions,
  settingsRecord,
} from '../pipeline.js';
import { createProgress } from '../progress.js';
import { overlayRaw } from '../render/raster.js';
import { FrameReader, FrameWriter, findFfmpeg, probeVideo } from '../video/ffmpeg.js';
import { exportTracks } from '../video/motion-files.js';
import { rewriteJsonlInWorld, worldRecord, worldSummary } from '../video/world-files.js';
import { checkInputFiles, type Io } from './detect.js';

export interface VideoOptions extends ModelOptions {
  out: string;
  overlayVideo?: string;
  smooth?: number;
  /** false with --no-filter. */
  filter?: boolean;
  filterCutoff?: number;
  filterBeta?: number;
  filterDistanceCutoff?: number;
  /** false with --no-hold-bones. */
  holdBones?: boolean;
  trackMaxAge?: number;
  /** BVH output: a file (with --track, or a stem for per-track files) or a folder. */
  bvh?: string;
  /** glTF (.glb) output, as --bvh. */
  gltf?: string;
  /** Export only this track id. */
  track?: number;
  /** 'auto': poses and exports in a world frame found from the floor (world-frame.ts). */
  world?: 'auto';
  maxFrames?: number;
  every?: number;
  ffmpeg?: string;
  ignoreDecodeErrors?: boolean;
  progressEvery?: number;
}

/** `--smooth alpha` (exponential), `--no-filter`, else the One Euro filter with any overrides. */
function videoSmoothing(options: VideoOptions): VideoSmoothing {
  const tuned =
    options.filterCutoff !== undefined ||
    options.filterBeta !== undefined ||
    options.filterDistanceCutoff !== undefined ||
    options.holdBones === false;
  if (options.smooth !== undefined && (options.filter === false || tuned)) {
    throw new UsageError(
      '--smooth (exponential smoothing) replaces the One Euro filter: give it alone',
    );
  }
  if (options.smooth !== undefined) {
    return options.smooth === 1 ? { kind: 'none' } : { kind: 'exponential', alpha: options.smooth };
  }
  if (options.filter === false) {
    if (tuned)
      throw new UsageError('--no-filter cannot be combined with --filter-* or --no-hold-bones');
    return { kind: 'none' };
  }
  const d = MOTION_FILTER_DEFAULTS;
  return {
    kind: 'one-euro',
    joints: {
      ...d.joints,
      ...(options.filterCutoff !== undefined ? { minCutoff: options.filterCutoff } : {}),
      ...(options.filterBeta !== undefined ? { beta: options.filterBeta } : {}),
    },
    distance: {
      ...d.distance,
      ...(options.filterDistanceCutoff !== undefined
        ? { minCutoff: options.filterDistanceCutoff }
        : {}),
    },
    holdBoneLengths: options.holdBones !== false,
  };
}

function roundPoses(poses: number[][][], decimals: number): number[][][] {
  return poses.map((pose) => pose.map((p) => p.map((v) => round(v, decimals))));
}

/** The feet collector of --world auto; a joint set without ankles cannot have one. */
function floorFeetOf(jointNames: readonly string[]): FloorFeet {
  try {
    return new FloorFeet(jointNames);
  } catch (e) {
    if (e instanceof GroundPlaneError) throw new UsageError(`--world auto: ${e.message}`);
    throw e;
  }
}

export async function runVideo(file: string, options: VideoOptions, io: Io): Promise<ExitCode> {
  const smoothing = videoSmoothing(options);
  if (options.track !== undefined && options.bvh === undefined && options.gltf === undefined) {
    throw new UsageError('--track chooses the track to export: give --bvh or --gltf with it');
  }
  checkInputFiles([file], 'video');
  const camera = await cameraFromOptions(options);
  if (options.world && camera?.extrinsicMatrix) {
    throw new UsageError(
      '--world auto finds the camera\'s pose itself: give an --intrinsics file without "extrinsic_matrix"',
    );
  }
  const ffmpeg = findFfmpeg(options.ffmpeg);
  const info = probeVideo(ffmpeg.path, file);
  const outDir = await outputFolder(options.out);
  const { estimator, info: model } = await openEstimator(options);
  const rt = await loadRuntime();
  const skeleton = checkSkeleton(estimator, options.skeleton);
  const o = poseOptions(options, skeleton, camera);
  const every = options.every ?? 1;
  const trackingOptions = options.trackMaxAge !== undefined ? { maxAge: options.trackMaxAge } : {};

  const stem = join(outDir, outputStems([file])[0]!);
  const jsonlPath = `${stem}.jsonl`;
  const metaPath = `${stem}.meta.json`;
  io.stderr(
    `metrabs: ${file}: ${info.width}×${info.height}, ${info.fps} fps${info.frameCount ? `, about ${info.frameCount} frames` : ''}` +
      ` (ffmpeg from ${ffmpeg.source})\n`,
  );

  const meta: Record<string, unknown> = {
    video: file,
    videoSize: { width: info.width, height: info.height },
    fps: info.fps,
    codec: info.codec,
    durationS: info.durationS,
    status: 'running',
    framesProcessed: 0,
    framesDecoded: 0,
    every,
    ...videoTrackingRecord({ smoothing, tracking: trackingOptions }),
    model,
    settings: settingsRecord(options, o, await loadRuntime()),
    ffmpeg: ffmpeg.source,
    jsonl: jsonlPath,
  };
  const writeMeta = () => writeFileSync(metaPath, `${stringifyJson(meta)}\n`);
  writeMeta();

  const jsonl = createWriteStream(jsonlPath);
  const encoder = options.overlayVideo
    ? new FrameWriter(
        ffmpeg.path,
        resolve(options.overlayVideo),
        info.width,
        info.height,
        info.fps / every,
      )
    : undefined;
  const decodeLimit = options.maxFrames !== undefined ? options.maxFrames * every : undefined;
  const reader = new FrameReader(ffmpeg.path, file, info, {
    maxFrames: decodeLimit,
    strict: !options.ignoreDecodeErrors,
  });
  const expected =
    info.frameCount !== undefined
      ? Math.min(Math.ceil(info.frameCount / every), options.maxFrames ?? Number.POSITIVE_INFINITY)
      : options.maxFrames;
  const progress = createProgress(basename(file), expected, {
    tty: process.stderr.isTTY === true,
    every: options.progressEvery,
    write: io.stderr,
  });
  // Made at the first frame, when the skeleton's edges and the intrinsics are known.
  let tracker: PoseTracker | undefined;
  const exporting = options.bvh !== undefined || options.gltf !== undefined;
  const recorder = new TrackRecorder();
  // --world auto: every frame's feet; the floor is fitted to all of them at the end.
  let floorFeet: FloorFeet | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);

  let processed = 0;
  let droppedFrames = 0;
  const dropped: { reason: DropReason }[] = [];
  let failure: unknown;
  const started = performance.now();
  try {
    let index = -1;
    for await (const data of reader.frames()) {
      index++;
      if (index % every !== 0) continue;
      const image = { width: info.width, height: info.height, data };
      const result = (await detectPoses(
        estimator,
        image,
        o,
        `${file}, frame ${index}`,
      )) as unknown as PoseResultLike;
      tracker ??= createVideoTracker({
        edges: result.edges,
        intrinsicMatrix: result.intrinsicMatrix,
        ...(camera?.distortionCoeffs ? { distortionCoeffs: camera.distortionCoeffs } : {}),
        ...(camera?.extrinsicMatrix ? { extrinsicMatrix: camera.extrinsicMatrix } : {}),
        smoothing,
        tracking: trackingOptions,
      });
      const tracked = tracker.update(result, index / info.fps);
      if (options.world) {
        floorFeet ??= floorFeetOf(result.jointNames);
        floorFeet.add(tracked.poses3d);
      }
      if (exporting) recorder.add(processed, tracked.trackIds, tracked.poses3d);
      const smoothed: PoseResultLike = {
        ...result,
        poses3d: tracked.poses3d,
        poses2d: tracked.poses2d,
      };
      const formatted = formatImageResult(file, image, smoothed, model, camera?.extrinsicMatrix);
      if (processed === 0) {
        Object.assign(meta, {
          jointNames: formatted.jointNames,
          edges: formatted.edges,
          skeleton: formatted.skeleton,
          intrinsicMatrix: formatted.intrinsicMatrix,
          extrinsicMatrix: camera?.extrinsicMatrix,
          frame: formatted.frame,
          units: formatted.units,
        });
      }
      const line = {
        frame: index,
        time: round(index / info.fps, 4),
        people: formatted.people,
        peopleFound: formatted.peopleFound,
        dropped: formatted.dropped,
        trackIds: tracked.trackIds,
        distancesM: tracked.poses3d.map((p) =>
          round(distanceFromCamera(worldToCamera(p, camera?.extrinsicMatrix)) / 1000, 3),
        ),
        boxes: formatted.boxes,
        poses3d: roundPoses(tracked.poses3d, 1),
        poses2d: roundPoses(tracked.poses2d, 2),
      };
      if (!jsonl.write(`${JSON.stringify(line)}\n`)) await once(jsonl, 'drain');
      if (encoder) {
        await encoder.write(
          await overlayRaw(image, {
            boxes: formatted.boxes,
            poses2d: line.poses2d,
            jointNames: formatted.jointNames,
            edges: formatted.edges,
            distancesM: line.distancesM,
            ids: tracked.trackIds,
            caption: `frame ${index} · ${line.time.toFixed(2)} s`,
          }),
        );
      }
      processed++;
      if (formatted.dropped.length > 0) droppedFrames++;
      dropped.push(...formatted.dropped);
      progress.update(processed, formatted.people);
      if (interrupted || (options.maxFrames !== undefined && processed >= options.maxFrames)) break;
    }
  } catch (e) {
    failure = e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    progress.stop();
    reader.close();
    jsonl.end();
    await once(jsonl, 'close').catch(() => undefined);
  }
  // Finish the overlay video even after an error: the frames so far stay playable.
  let encoderError: unknown;
  if (encoder) {
    try {
      await encoder.close();
    } catch (e) {
      encoderError = e;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  meta['framesProcessed'] = processed;
  meta['framesDecoded'] = reader.decoded;
  meta['dropped'] = {
    frames: droppedFrames,
    people: dropped.length,
    reasons: rt.countDropReasons(dropped),
  };
  // The world frame, from the feet of the whole run (also an interrupted one's).
  let world: WorldFrame | undefined;
  let noFloor: string | undefined;
  if (options.world && !failure) {
    try {
      world = estimateWorldFrame(floorFeet?.feet ?? []);
      await rewriteJsonlInWorld(jsonlPath, world);
      Object.assign(meta, {
        frame: 'world',
        extrinsicMatrix: world.extrinsicMatrix.map((row) => row.map((v) => round(v, 6))),
        world: worldRecord(world),
      });
      recorder.map((pose) => cameraToWorldPoints(pose, world!));
    } catch (e) {
      if (!(e instanceof GroundPlaneError)) throw e;
      noFloor = e.message;
      meta['world'] = { mode: 'auto', error: noFloor };
    }
  }
  if (exporting && !failure && !noFloor && meta['edges']) {
    meta['exports'] = await exportTracks(recorder, {
      options,
      video: file,
      frameTimeS: every / info.fps,
      jointNames: meta['jointNames'] as string[],
      edges: meta['edges'] as [number, number][],
      skeleton: meta['skeleton'] as string,
      world: camera?.extrinsicMatrix !== undefined || world !== undefined,
      io,
    });
  }
  meta['status'] =
    failure || (noFloor && !interrupted) ? 'error' : interrupted ? 'interrupted' : 'complete';
  if (failure) meta['error'] = oneLine(failure);
  else if (noFloor) meta['error'] = noFloor;
  writeMeta();
  io.stderr(
    `${file}: ${processed} frames in ${seconds.toFixed(1)} s (${(processed / Math.max(seconds, 1e-9)).toFixed(1)} fps)` +
      ` → ${jsonlPath}${options.overlayVideo ? `, ${resolve(options.overlayVideo)}` : ''}\n`,
  );
  if (world) io.stderr(worldSummary(file, world));
  if (dropped.length > 0) {
    const reasons = Object.entries(rt.countDropReasons(dropped))
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ');
    io.stderr(
      `${file}: ${dropped.length} detected people dropped in ${droppedFrames} frames [${reasons}] (--no-suppress-implausible keeps them)\n`,
    );
  }
  if (failure) {
    if (failure instanceof CliError) {
      throw new CliError(
        `${oneLine(failure)} (the ${processed} frames before it are saved)`,
        failure.exitCode,
      );
    }
    throw failure;
  }
  if (encoderError) throw encoderError;
  const floorNote = `--world auto: ${noFloor} (the ${processed} frames are saved in the camera frame)`;
  if (noFloor && !interrupted) throw new InputError(floorNote);
  if (interrupted) {
    if (noFloor) io.stderr(`metrabs: ${floorNote}\n`);
    io.stderr('metrabs: interrupted\n');
    return EXIT.interrupted;
  }
  return EXIT.ok;
}
