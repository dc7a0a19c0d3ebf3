/**
 * ffmpeg as a subprocess: find it, probe a video, stream its frames as raw RGB through a
 * pipe, and encode raw RGB frames into a video file. Shared by `metrabs video` and the batch
 * workers; every failure is a `VideoError` saying whether ffmpeg, the input or the output is
 * to blame.
 *
 * Which ffmpeg: `--ffmpeg`, else $METRABS_FFMPEG, else `ffmpeg` on PATH, else the static
 * build shipped inside the npm package @ffmpeg-installer/ffmpeg (its platform package
 * contains the binary itself, so installing it downloads nothing else).
 */
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** What went wrong: no usable ffmpeg, an unreadable or corrupt input, an unwritable output. */
export type VideoErrorKind = 'ffmpeg' | 'input' | 'output';

export class VideoError extends Error {
  readonly kind: VideoErrorKind;

  constructor(kind: VideoErrorKind, message: string) {
    super(message);
    this.name = 'VideoError';
    this.kind = kind;
  }
}

export interface FfmpegLocation {
  path: string;
  source: 'option' | 'env' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds ffmpeg (see the module comment); `VideoError` 'ffmpeg' when there is none. */
export function findFfmpeg(explicit?: string): FfmpegLocation {
  if (explicit) {
    if (!isExecutable(explicit))
      throw new VideoError('ffmpeg', `ffmpeg not found or not executable: ${explicit}`);
    return { path: explicit, source: 'option' };
  }
  const env = process.env['METRABS_FFMPEG'];
  if (env) {
    if (!isExecutable(env))
      throw new VideoError('ffmpeg', `METRABS_FFMPEG=${env} is not an executable file`);
    return { path: env, source: 'env' };
  }
  const system = onPath(process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
  if (system) return { path: system, source: 'PATH' };
  try {
    const bundled = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string };
    if (isExecutable(bundled.path))
      return { path: bundled.path, source: '@ffmpeg-installer/ffmpeg' };
  } catch {
    // Not installed, or no binary for this platform: fall through.
  }
  throw new VideoError(
    'ffmpeg',
    'ffmpeg not found: install it (e.g. apt-get install ffmpeg), pass --ffmpeg <path> or set METRABS_FFMPEG',
  );
}

export interface VideoInfo {
  width: number;
  height: number;
  /** Frames per second (nominal). */
  fps: number;
  /** Seconds, when the container says. */
  durationS?: number;
  /** Estimated number of frames, when the duration is known. */
  frameCount?: number;
  codec: string;
}

/** Parses what `ffmpeg -i file` prints about the input (pure; exported for tests). */
export function parseProbe(text: string, file: string): VideoInfo {
  const stream = text.split('\n').find((l) => /Stream #\d+:\d+.*: Video: /.test(l));
  if (!stream) {
    const reason = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('At least one output file'))
      .pop();
    throw new VideoError(
      'input',
      reason?.includes(file) || reason?.includes('Invalid data')
        ? `cannot read video: ${reason}`
        : `${file}: no video stream found${reason ? ` (${reason})` : ''}`,
    );
  }
  const size = /, (\d{1,5})x(\d{1,5})[\s,]/.exec(stream);
  if (!size)
    throw new VideoError(
      'input',
      `${file}: cannot tell the video's frame size from: ${stream.trim()}`,
    );
  let width = Number(size[1]);
  let height = Number(size[2]);
  // ffmpeg rotates frames upright by default, so a 90° rotation swaps the output size.
  const rotate = /rotate\s*:\s*(-?\d+)/.exec(text) ?? /rotation of (-?[\d.]+) degrees/.exec(text);
  if (rotate && Math.abs(Math.round(Number(rotate[1])) % 180) === 90)
    [width, height] = [height, width];
  const fpsMatch = /, ([\d.]+)(k?) fps/.exec(stream) ?? /, ([\d.]+)(k?) tbr/.exec(stream);
  const fps = fpsMatch ? Number(fpsMatch[1]) * (fpsMatch[2] ? 1000 : 1) : 25;
  const codec = /Video: ([^\s,]+)/.exec(stream)?.[1] ?? 'unknown';
  const dur = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const info: VideoInfo = { width, height, fps: fps > 0 ? fps : 25, codec };
  if (dur) {
    info.durationS = Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]);
    info.frameCount = Math.round(info.durationS * info.fps);
  }
  if (!(width > 0 && height > 0))
    throw new VideoError('input', `${file}: invalid frame size ${width}×${height}`);
  return info;
}

/** Reads the video's size, rate and duration. */
export function probeVideo(ffmpeg: string, file: string): VideoInfo {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-i', file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw new VideoError('ffmpeg', `cannot run ffmpeg (${ffmpeg}): ${r.error.message}`);
  return parseProbe(r.stderr ?? '', file);
}

/**
 * The exact number of video frames, by reading the packets without decoding them (fast; the
 * container's duration × rate is only an estimate).
 */
export function countFrames(ffmpeg: string, file: string): number {
  const r = spawnSync(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'],
    { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 },
  );
  if (r.error) throw new VideoError('ffmpeg', `cannot run ffmpeg (${ffmpeg}): ${r.error.message}`);
  const text = r.stderr ?? '';
  const counts = [...text.matchAll(/frame=\s*(\d+)/g)];
  if (r.status !== 0 || counts.length === 0) {
    parseProbe(text, file); // throws the plain reason when there is no video stream
    throw new VideoError('input', `${file}: cannot count the video's frames`);
  }
  return Number(counts.at(-1)![1]);
}

export interface FrameReaderOptions {
  /** Start at this frame (0-based): the frames before it are decoded but not handed out. */
  firstFrame?: number;
  /** Decode at most this many frames. */
  maxFrames?: number;
  /** Stop at the first decoding error (default true). */
  strict?: boolean;
}

/** Streams a video's frames as raw RGB (`width·height·3` bytes each) from an ffmpeg pipe. */
export class FrameReader {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private stderr = '';
  private exit: Promise<number | null>;
  /** Frames handed out so far. */
  decoded = 0;

  constructor(
    ffmpeg: string,
    readonly file: string,
    readonly info: VideoInfo,
    options: FrameReaderOptions = {},
  ) {
    const args = ['-hide_banner', '-nostdin', '-v', 'error'];
    if (options.strict !== false) args.push('-xerror');
    const first = options.firstFrame ?? 0;
    // `select` drops the frames before `first` inside ffmpeg, so they never cross the pipe;
    // passthrough keeps ffmpeg from duplicating or dropping frames to hold a rate.
    const filters = first > 0 ? `select=gte(n\\,${first}),` : '';
    args.push('-i', file, '-an', '-sn', '-vf', `${filters}scale=${info.width}:${info.height}`);
    if (first > 0) args.push('-vsync', 'passthrough');
    if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames));
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
    // Own process group: Ctrl-C in the terminal reaches only metrabs, which then ends ffmpeg
    // itself after finishing the outputs (ffmpeg ends too when its pipe closes).
    this.child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      if (this.stderr.length < 20_000) this.stderr += s;
    });
    this.exit = new Promise((resolve) => {
      this.child.on('close', (code) => resolve(code));
      this.child.on('error', () => resolve(-1));
    });
  }

  /** The frames in order; throws `VideoError` 'input' after the last good frame if decoding failed. */
  async *frames(): AsyncGenerator<Uint8Array> {
    const size = this.info.width * this.info.height * 3;
    let frame = new Uint8Array(size);
    let filled = 0;
    for await (const chunk of this.child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(size - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === size) {
          this.decoded++;
          yield frame;
          frame = new Uint8Array(size);
          filled = 0;
        }
      }
    }
    const code = await this.exit;
    const message = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (code !== 0) {
      const last = (message.at(-1) ?? `ffmpeg exited with code ${code}`).replace(
        `${this.file}: `,
        '',
      );
      throw new VideoError(
        'input',
        `${this.file}: video decoding failed after ${this.decoded} frames: ${last}`,
      );
    }
    if (filled > 0) {
      throw new VideoError(
        'input',
        `${this.file}: the last frame is incomplete after ${this.decoded} frames (truncated video?)`,
      );
    }
  }

  /** Stops ffmpeg (when the caller ends early). */
  close(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/** Encodes raw RGB frames into a video file (the codec follows the file's extension). */
export class FrameWriter {
  private readonly child: ChildProcessByStdio<Writable, null, Readable>;
  private stderr = '';
  private failed: Error | undefined;
  private readonly exit: Promise<number | null>;

  constructor(
    ffmpeg: string,
    readonly file: string,
    readonly width: number,
    readonly height: number,
    fps: number,
  ) {
    const args = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];
    args.push(
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
    );
    // yuv420p plays everywhere but needs even sizes.
    args.push('-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p', '-an', file);
    this.child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      if (this.stderr.length < 20_000) this.stderr += s;
    });
    this.child.stdin.on('error', (e) => {
      this.failed ??= e;
    });
    this.exit = new Promise((resolve) => {
      this.child.on('close', (code) => resolve(code));
      this.child.on('error', (e) => {
        this.failed ??= e;
        resolve(-1);
      });
    });
  }

  private error(): VideoError {
    const last = this.stderr.trim().split('\n').pop() || this.failed?.message || 'ffmpeg failed';
    return new VideoError('output', `cannot write ${this.file}: ${last}`);
  }

  async write(rgb: Uint8Array): Promise<void> {
    if (this.failed || this.child.exitCode !== null) throw this.error();
    if (!this.child.stdin.write(rgb)) {
      await Promise.race([once(this.child.stdin, 'drain'), this.exit]);
      if (this.failed || this.child.exitCode !== null) throw this.error();
    }
  }

  /** Finishes the file (also after an error elsewhere, so the frames so far are kept). */
  async close(): Promise<void> {
    this.child.stdin.end();
    const code = await this.exit;
    if (code !== 0) throw this.error();
  }
}
