/**
 * `metrabs fetch-detector`: install the YOLOX-Nano person detector (verified, with its licence)
 * at the cache path where `detect` and `video` look for it, or at `--dest`. The work is done by
 * `installDetector()` in @metrabs/runtime (detector-install-node.ts); this maps its errors onto
 * the exit codes and prints progress on stderr and the result on stdout.
 */
import { resolve } from 'node:path';
import { EXIT, type ExitCode, InputError, UsageError } from '../errors.js';
import { splitDetectorMessage } from '../pipeline.js';
import type { Io } from './detect.js';

export interface FetchDetectorOptions {
  from?: string;
  dest?: string;
  force?: boolean;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Download progress on stderr: one line rewritten in place on a terminal (at most ~10 times a
 * second), otherwise a plain line at 25, 50, 75 and 100 %.
 */
export function createByteProgress(
  label: string,
  options: { tty: boolean; write: (text: string) => void },
): { update(done: number, total: number): void; stop(): void } {
  let lastTime = 0;
  let lastQuarter = 0;
  let open = false;
  const text = (done: number, total: number) =>
    `${label}: ${mib(done)} of ${mib(total)} (${Math.floor((100 * done) / total)} %)`;
  return {
    update(done, total) {
      if (options.tty) {
        const now = performance.now();
        if (now - lastTime < 100 && done < total) return;
        lastTime = now;
        options.write(`\r${text(done, total)}\x1b[K`);
        open = true;
        return;
      }
      const quarter = Math.min(4, Math.floor((4 * done) / total));
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        options.write(`${text(done, total)}\n`);
      }
    },
    stop() {
      if (open) options.write('\n');
      open = false;
    },
  };
}

export async function runFetchDetector(options: FetchDetectorOptions, io: Io): Promise<ExitCode> {
  if (options.from === '') throw new UsageError('--from needs a file or an http(s) URL');
  if (options.dest === '') throw new UsageError('--dest needs a file path');
  const { DetectorInstallError, installDetector, DETECTOR_ENV_VAR, defaultDetectorCachePath } =
    await import('@metrabs/runtime/node');

  const progress = createByteProgress('yolox_nano.onnx', {
    tty: process.stderr.isTTY === true,
    write: io.stderr,
  });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let result: Awaited<ReturnType<typeof installDetector>>;
  try {
    result = await installDetector({
      from: options.from,
      dest: options.dest,
      force: options.force === true,
      signal: controller.signal,
      onDownloadStart: (url, total) => io.stderr(`metrabs: downloading ${url} (${mib(total)})\n`),
      onProgress: (done, total) => progress.update(done, total),
    });
  } catch (e) {
    progress.stop();
    if (e instanceof DetectorInstallError) {
      if (e.reason === 'aborted') {
        io.stderr('metrabs: interrupted: nothing was installed\n');
        return EXIT.interrupted;
      }
      const { first, details } = splitDetectorMessage(
        e.message,
        'pass --detector /path/to/yolox_nano.onnx to detect and video',
      );
      if (e.reason === 'unsupported-source') throw new UsageError(first);
      throw new InputError(first, details || undefined);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }
  progress.stop();

  for (const warning of result.warnings) io.stderr(`metrabs: warning: ${warning}\n`);
  if (result.licensePath !== null && result.source !== 'already-installed') {
    io.stderr(`metrabs: licence (Apache-2.0) saved as ${result.licensePath}\n`);
  }
  // Where detect and video will look (without --detector): say so if that is somewhere else.
  const env = process.env[DETECTOR_ENV_VAR];
  const looked = env ? resolve(env) : defaultDetectorCachePath();
  if (looked !== result.path) {
    io.stderr(
      `metrabs: note: detect and video look for ${looked}${env ? ` (${DETECTOR_ENV_VAR})` : ''}, ` +
        `not this file: pass --detector ${result.path} or set ${DETECTOR_ENV_VAR}=${result.path}\n`,
    );
  }
  const line =
    result.source === 'already-installed'
      ? `detector already installed: ${result.path} (sha256 verified; --force reinstalls it)`
      : `detector installed: ${result.path} (${
          result.source === 'dev-copy'
            ? `copied from this repository's development setup, ${result.origin}`
            : result.source === 'file'
              ? `copied from ${result.origin}`
              : `downloaded from ${result.origin}`
        })`;
  io.stdout(`${line}\n`);
  return EXIT.ok;
}
