/**
 * ffmpeg for `metrabs video`: the runtime's video module (finding ffmpeg, probing, reading and
 * writing frames), with its `VideoError`s turned into the CLI's exit codes — ffmpeg missing:
 * 4, a bad input or an unwritable output: 3.
 */
import * as video from '@metrabs/runtime/node';
import { CliError, EXIT, InputError } from '../errors.js';

export type { FfmpegLocation, FrameReaderOptions, VideoInfo } from '@metrabs/runtime/node';

function cliError(error: unknown): unknown {
  if (!(error instanceof video.VideoError)) return error;
  if (error.kind === 'input') return new InputError(error.message);
  return new CliError(error.message, error.kind === 'ffmpeg' ? EXIT.model : EXIT.input);
}

function mapped<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return f(...args);
    } catch (e) {
      throw cliError(e);
    }
  };
}

export const findFfmpeg = mapped(video.findFfmpeg);
export const parseProbe = mapped(video.parseProbe);
export const probeVideo = mapped(video.probeVideo);

export class FrameReader extends video.FrameReader {
  override async *frames(): AsyncGenerator<Uint8Array> {
    try {
      yield* super.frames();
    } catch (e) {
      throw cliError(e);
    }
  }
}

export class FrameWriter extends video.FrameWriter {
  override async write(rgb: Uint8Array): Promise<void> {
    await super.write(rgb).catch((e) => Promise.reject(cliError(e)));
  }

  override async close(): Promise<void> {
    await super.close().catch((e) => Promise.reject(cliError(e)));
  }
}
