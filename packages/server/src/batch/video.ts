/**
 * Video chunks: frames `[first, first + count)` of a video through the pipeline, one result
 * document a line (its `time` in seconds, its `image` "<video>#<frame>"), written as one JSONL
 * file at the end so the file is whole or absent. Chunks are independent: people are not tracked
 * across chunks (`metrabs video` tracks and smooths within one process).
 */
import {
  countFrames,
  FrameReader,
  findFfmpeg,
  type Pose3DEstimator,
  probeVideo,
  type ResultModelInfo,
  VideoError,
} from '@metrabs/runtime/node';
import { UnrecoverableError } from 'bullmq';
import { ApiError } from '../errors.js';
import { estimateDocument } from '../estimate.js';
import type { EstimatorPool } from '../pool.js';
import type { PosePlan } from '../request-options.js';
import { writeAtomic } from './output.js';
import type { VideoChunkJobData } from './queue.js';
import { checkSubmitted } from './worker-input.js';

/** A video `batch submit` cannot use; the message names it and says why. */
export class VideoInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoInputError';
  }
}

/** The exact frame count of a video to split into chunks (ffmpeg: `--ffmpeg`, env, PATH, bundled). */
export function countVideoFrames(path: string, label: string, ffmpeg?: string): number {
  try {
    const found = findFfmpeg(ffmpeg);
    const frames = countFrames(found.path, path);
    if (frames === 0) throw new VideoInputError(`${label}: the video has no frames`);
    return frames;
  } catch (e) {
    if (e instanceof VideoError) throw new VideoInputError(e.message.replace(path, label));
    throw e;
  }
}

/** Runs one chunk; returns the people found over its frames. `progress` gets frames done. */
export async function processVideoChunk(
  data: VideoChunkJobData,
  plan: PosePlan,
  pool: EstimatorPool<Pose3DEstimator>,
  model: ResultModelInfo,
  target: string,
  progress: (framesDone: number) => Promise<void> | void,
): Promise<number> {
  await checkSubmitted(data);
  const where = `${data.label}, frames ${data.first}–${data.first + data.count - 1}`;
  let lines: string[] = [];
  let people = 0;
  try {
    const ffmpeg = findFfmpeg().path;
    const info = probeVideo(ffmpeg, data.input);
    const reader = new FrameReader(ffmpeg, data.input, info, {
      firstFrame: data.first,
      maxFrames: data.count,
    });
    lines = [];
    let index = data.first;
    try {
      for await (const frame of reader.frames()) {
        const image = { width: info.width, height: info.height, data: frame };
        const doc = await pool.run((estimator) =>
          estimateDocument(estimator, image, plan, `${data.label}#${index}`, model),
        );
        doc.time = Math.round((index / info.fps) * 1000) / 1000;
        lines.push(JSON.stringify(doc));
        people += doc.people;
        index++;
        if (lines.length % 10 === 0) await progress(lines.length);
      }
    } finally {
      reader.close();
    }
  } catch (e) {
    if (e instanceof VideoError && e.kind === 'input')
      throw new UnrecoverableError(`${where}: ${e.message}`);
    if (e instanceof ApiError) throw new UnrecoverableError(`${where}: ${e.message}`);
    throw e;
  }
  if (lines.length !== data.count) {
    throw new UnrecoverableError(
      `${where}: the video ended after ${lines.length} of the chunk's ${data.count} frames`,
    );
  }
  writeAtomic(target, `${lines.join('\n')}\n`);
  await progress(lines.length);
  return people;
}
