/**
 * Node: install the YOLOX-Nano person detector where `resolveDetectorPath()` finds it (the
 * cache file, or any destination), verified and atomically, with its licence beside it as
 * `yolox_nano.LICENSE`. `metrabs fetch-detector` is a thin layer over `installDetector()`.
 *
 * Sources, the first that applies:
 *   1. `options.from`: a local file or an http(s) URL given by the user;
 *   2. the copy in this repository's development setup, `<repo>/../shared/data/detector/`
 *      (`DEV_DETECTOR_DIR`), when it exists;
 *   3. a download of `YOLOX_NANO_URL` (GitHub, a pinned commit).
 *
 * Whatever the source, the bytes go to a temporary file in the destination's folder, their
 * size and sha256 are checked, and only then is the file renamed over the destination. A wrong
 * file, an interrupted download or a write error leaves the destination as it was and removes
 * the temporary file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  YOLOX_NANO_BYTES,
  YOLOX_NANO_FILENAME,
  YOLOX_NANO_LICENSE_BYTES,
  YOLOX_NANO_LICENSE_FILENAME,
  YOLOX_NANO_LICENSE_RAW_URL,
  YOLOX_NANO_LICENSE_SHA256,
  YOLOX_NANO_LICENSE_URL,
  YOLOX_NANO_SHA256,
  YOLOX_NANO_URL,
} from './detector-file.js';
import { defaultDetectorCachePath, detectorInstructions } from './detector-node.js';

/** `<repo>/../shared/data/detector`: the detector in this repository's development setup. */
export const DEV_DETECTOR_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/data/detector',
);

/** Where the installed file came from (`already-installed`: it was there and verified). */
export type DetectorInstallSource = 'already-installed' | 'file' | 'dev-copy' | 'download';

export type DetectorInstallFailure =
  /** The `from` file does not exist or is not a readable file. */
  | 'source-missing'
  /** `from` is neither a file path nor an http(s) URL. */
  | 'unsupported-source'
  /** The bytes are not YOLOX-Nano (size or sha256 differ). */
  | 'checksum-mismatch'
  /** The server answered with an HTTP error status. */
  | 'http-status'
  /** Connection refused, DNS failure, a body cut short, no data for too long. */
  | 'network'
  /** The destination folder or file cannot be written. */
  | 'write-failed'
  /** `options.signal` was aborted. */
  | 'aborted';

/** Installing failed; nothing was changed at the destination. The message says what was tried. */
export class DetectorInstallError extends Error {
  readonly reason: DetectorInstallFailure;
  /** What was tried: a file path or a URL. */
  readonly source: string;
  /** The destination file. */
  readonly path: string;

  constructor(reason: DetectorInstallFailure, source: string, path: string, detail: string) {
    super(reason === 'aborted' ? detail : `${detail}\n\n${detectorInstructions()}`);
    this.name = 'DetectorInstallError';
    this.reason = reason;
    this.source = source;
    this.path = path;
  }
}

export interface InstallDetectorOptions {
  /** A local file or an http(s) URL to install from (default: the dev copy, else a download). */
  from?: string;
  /** Destination file (default: `defaultDetectorCachePath()`); the licence goes beside it. */
  dest?: string;
  /** Install again even when the destination already holds the verified file. */
  force?: boolean;
  /** Folder of the development copy (default `DEV_DETECTOR_DIR`); `null`: do not use one. */
  devCopyDir?: string | null;
  /** URL downloaded when neither `from` nor the dev copy applies (default `YOLOX_NANO_URL`). */
  downloadUrl?: string;
  /** Where the licence is downloaded from when no verified copy is found beside the source
   *  (default `YOLOX_NANO_LICENSE_RAW_URL`); `null`: never download it. */
  licenseUrl?: string | null;
  /** Download progress of the model: bytes so far and the expected total. */
  onProgress?: (done: number, total: number) => void;
  /** Called once before the model download starts, with the URL. */
  onDownloadStart?: (url: string, total: number) => void;
  /** A download that receives nothing for this long fails (default 30 000 ms). */
  stallTimeoutMs?: number;
  /** Cancels the installation (the destination is left as it was). */
  signal?: AbortSignal;
}

export interface InstallDetectorResult {
  /** Absolute path of the verified file. */
  path: string;
  source: DetectorInstallSource;
  /** The file or URL it was installed from; null when it was already installed. */
  origin: string | null;
  /** Size of the installed file. */
  bytes: number;
  /** The verified licence beside it, or null when it could not be obtained (see `warnings`). */
  licensePath: string | null;
  /** Things the user should know that did not stop the installation. */
  warnings: string[];
}

interface Expected {
  bytes: number;
  sha256: string;
  /** For messages: "YOLOX-Nano file", "YOLOX-Nano LICENSE". */
  name: string;
}

const MODEL: Expected = {
  bytes: YOLOX_NANO_BYTES,
  sha256: YOLOX_NANO_SHA256,
  name: 'YOLOX-Nano file',
};
const LICENSE: Expected = {
  bytes: YOLOX_NANO_LICENSE_BYTES,
  sha256: YOLOX_NANO_LICENSE_SHA256,
  name: 'YOLOX-Nano LICENSE (Apache-2.0)',
};

const DEFAULT_STALL_MS = 30_000;

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** One line from an error and its causes: `connect ECONNREFUSED 127.0.0.1:9`, `terminated: other side closed`. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    const e = current as { message?: unknown; code?: unknown; errors?: unknown; cause?: unknown };
    let message = typeof e.message === 'string' ? e.message.trim() : '';
    if (message === '' && Array.isArray(e.errors) && e.errors.length > 0) {
      message = String((e.errors[0] as { message?: unknown })?.message ?? '');
    }
    if (message === '' && typeof e.code === 'string') message = e.code;
    if (message === '' && typeof current !== 'object') message = String(current);
    if (message !== '' && message !== 'fetch failed' && !parts.some((p) => p.includes(message))) {
      parts.push(message.replace(/\s*\n\s*/g, ' '));
    }
    current = e.cause;
  }
  return parts.join(': ') || 'fetch failed';
}

/** True when `path` is a regular file with the expected size and sha256. */
async function verifyFile(path: string, expected: Expected): Promise<boolean> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    size = info.size;
  } catch {
    return false;
  }
  if (size !== expected.bytes) return false;
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return false;
  }
  return hash.digest('hex') === expected.sha256;
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * Streams `chunks` into a temporary file beside `dest`, checks size and sha256, and renames it
 * over `dest`. On any failure the temporary file is removed and `dest` is untouched.
 */
async function writeVerified(
  chunks: AsyncIterable<Uint8Array>,
  dest: string,
  expected: Expected,
  what: string,
  source: string,
  onChunk?: (done: number) => void,
): Promise<void> {
  const tmp = join(
    dirname(dest),
    `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const writeFailed = (error: unknown, action: string) =>
    new DetectorInstallError(
      'write-failed',
      source,
      dest,
      `cannot ${action} ${tmp}: ${describeError(error)}. Nothing was installed.`,
    );
  let handle: FileHandle | undefined;
  try {
    try {
      handle = await open(tmp, 'wx', 0o644);
    } catch (error) {
      throw writeFailed(error, 'create the temporary file');
    }
    const hash = createHash('sha256');
    let done = 0;
    for await (const chunk of chunks) {
      done += chunk.byteLength;
      if (done > expected.bytes) {
        throw new DetectorInstallError(
          'checksum-mismatch',
          source,
          dest,
          `${what} is not the expected ${expected.name}: it has more than the expected ` +
            `${n(expected.bytes)} bytes (sha256 ${expected.sha256}). It is a different file; ` +
            `nothing was installed and ${dest} was not changed.`,
        );
      }
      hash.update(chunk);
      try {
        await writeAll(handle, chunk);
      } catch (error) {
        throw writeFailed(error, 'write');
      }
      onChunk?.(done);
    }
    try {
      await handle.sync();
      await handle.close();
      handle = undefined;
    } catch (error) {
      throw writeFailed(error, 'write');
    }
    const digest = hash.digest('hex');
    if (done !== expected.bytes || digest !== expected.sha256) {
      throw new DetectorInstallError(
        'checksum-mismatch',
        source,
        dest,
        `${what} is not the expected ${expected.name}: its sha256 is ${digest} ` +
          `(${n(done)} bytes), expected ${expected.sha256} (${n(expected.bytes)} bytes). ` +
          'It may be truncated (an interrupted download, or an HTML error page) or a ' +
          `different file; nothing was installed and ${dest} was not changed.`,
      );
    }
    try {
      await rename(tmp, dest);
    } catch (error) {
      throw new DetectorInstallError(
        'write-failed',
        source,
        dest,
        `cannot move the verified file to ${dest}: ${describeError(error)}. Nothing was installed.`,
      );
    }
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
}

interface StreamOptions {
  signal?: AbortSignal;
  stallMs: number;
  dest: string;
}

/**
 * GETs `url` and hands its body to `consume` as chunks. Network problems, HTTP errors, stalls
 * and aborts become `DetectorInstallError`s naming the URL; errors thrown by `consume` pass.
 */
async function withDownload<T>(
  url: string,
  what: string,
  o: StreamOptions,
  consume: (chunks: AsyncIterable<Uint8Array>, total: number | undefined) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let stalled = false;
  let received = 0;
  let total: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, o.stallMs);
  };
  const onAbort = () => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) controller.abort();
  arm();
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => {});
      throw new DetectorInstallError(
        'http-status',
        url,
        o.dest,
        `${what} failed: the server answered HTTP ${response.status}` +
          `${response.statusText ? ` ${response.statusText}` : ''}. Nothing was installed.`,
      );
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    total =
      Number.isSafeInteger(length) && length > 0 && !response.headers.get('content-encoding')
        ? length
        : undefined;
    const body = response.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        arm();
        received += chunk.byteLength;
        yield chunk;
      }
    }
    return await consume(chunks(), total);
  } catch (error) {
    if (error instanceof DetectorInstallError) throw error;
    if (o.signal?.aborted) {
      throw new DetectorInstallError('aborted', url, o.dest, `${what} was cancelled`);
    }
    const progress =
      received > 0
        ? ` after ${n(received)}${total !== undefined ? ` of ${n(total)}` : ''} bytes`
        : '';
    const cause = describeError(error);
    const why = stalled
      ? `no data for ${o.stallMs / 1000} s`
      : cause === 'bad port'
        ? 'fetch refuses this port ("bad port" in the Fetch standard); use another one'
        : cause;
    throw new DetectorInstallError(
      'network',
      url,
      o.dest,
      `${what} failed${progress}: ${why}. Nothing was installed.`,
    );
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

interface Plan {
  kind: 'file' | 'dev-copy' | 'download';
  /** A file path or a URL. */
  origin: string;
  /** Words for messages: "the file /x", "the download of https://…". */
  what: string;
  /** Verified licence copies to look for, in order: local files and URLs. */
  licenseFiles: string[];
  licenseUrls: string[];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function plan(options: InstallDetectorOptions, dest: string): Promise<Plan> {
  const licenseUrl =
    options.licenseUrl === undefined ? YOLOX_NANO_LICENSE_RAW_URL : options.licenseUrl;
  const fallback = licenseUrl === null ? [] : [licenseUrl];
  const from = options.from;
  if (from !== undefined && from !== '') {
    if (isUrl(from)) {
      const siblings =
        from === YOLOX_NANO_URL
          ? []
          : [YOLOX_NANO_LICENSE_FILENAME, 'LICENSE'].map((f) => new URL(f, from).href);
      return {
        kind: 'download',
        origin: from,
        what: `the download of ${from}`,
        licenseFiles: [],
        licenseUrls: [...siblings, ...fallback],
      };
    }
    let path: string;
    if (/^file:/i.test(from)) {
      path = fileURLToPath(from);
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from)) {
      throw new DetectorInstallError(
        'unsupported-source',
        from,
        dest,
        `cannot install from ${from}: give a local file or an http(s) URL.`,
      );
    } else {
      path = resolve(from);
    }
    return {
      kind: 'file',
      origin: path,
      what: `the file ${path}`,
      licenseFiles: [YOLOX_NANO_LICENSE_FILENAME, 'LICENSE'].map((f) => join(dirname(path), f)),
      licenseUrls: fallback,
    };
  }
  const devDir = options.devCopyDir === undefined ? DEV_DETECTOR_DIR : options.devCopyDir;
  if (devDir !== null) {
    const devFile = join(resolve(devDir), YOLOX_NANO_FILENAME);
    if (await isFile(devFile)) {
      return {
        kind: 'dev-copy',
        origin: devFile,
        what: `the development copy ${devFile}`,
        licenseFiles: ['LICENSE', YOLOX_NANO_LICENSE_FILENAME].map((f) =>
          join(dirname(devFile), f),
        ),
        licenseUrls: fallback,
      };
    }
  }
  const url = options.downloadUrl ?? YOLOX_NANO_URL;
  return {
    kind: 'download',
    origin: url,
    what: `the download of ${url}`,
    licenseFiles: [],
    licenseUrls: fallback,
  };
}

/** Opens a local source file as chunks, or throws `source-missing`. */
async function openSourceFile(path: string, what: string, dest: string) {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DetectorInstallError(
      'source-missing',
      path,
      dest,
      `cannot install ${what}: ${code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code ?? describeError(error)})`}.`,
    );
  }
  if (!info.isFile()) {
    throw new DetectorInstallError(
      'source-missing',
      path,
      dest,
      `cannot install ${what}: it is not a file.`,
    );
  }
  return createReadStream(path) as AsyncIterable<Buffer>;
}

/** Puts a verified licence beside the model; returns its path, or a warning. */
async function installLicense(
  p: Plan,
  licenseDest: string,
  o: StreamOptions,
): Promise<{ path: string | null; warning?: string }> {
  if (await verifyFile(licenseDest, LICENSE)) return { path: licenseDest };
  for (const file of p.licenseFiles) {
    if (!(await verifyFile(file, LICENSE))) continue;
    try {
      await writeVerified(
        createReadStream(file) as AsyncIterable<Buffer>,
        licenseDest,
        LICENSE,
        `the licence ${file}`,
        file,
      );
      return { path: licenseDest };
    } catch (error) {
      if (error instanceof DetectorInstallError && error.reason === 'write-failed') {
        return { path: null, warning: licenseWarning(firstLine(error)) };
      }
    }
  }
  let last = p.licenseUrls.length === 0 ? 'no licence file beside the source' : '';
  for (const url of p.licenseUrls) {
    try {
      await withDownload(url, `the download of ${url}`, o, (chunks) =>
        writeVerified(chunks, licenseDest, LICENSE, `the download of ${url}`, url),
      );
      return { path: licenseDest };
    } catch (error) {
      if (error instanceof DetectorInstallError && error.reason === 'aborted') throw error;
      last = firstLine(error);
    }
  }
  return { path: null, warning: licenseWarning(last) };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').replace(/ Nothing was installed\.$/, '');
}

function licenseWarning(why: string): string {
  return (
    `the licence was not saved (${why}). YOLOX-Nano is Apache-2.0: keep its LICENSE with ` +
    `copies of the file (${YOLOX_NANO_LICENSE_URL})`
  );
}

/** Writes the verified model at `dest` from the planned source. */
async function installModel(
  p: Plan,
  dest: string,
  options: InstallDetectorOptions,
  o: StreamOptions,
): Promise<void> {
  if (p.kind === 'download') {
    options.onDownloadStart?.(p.origin, YOLOX_NANO_BYTES);
    await withDownload(p.origin, p.what, o, (chunks, total) =>
      writeVerified(chunks, dest, MODEL, p.what, p.origin, (done) =>
        options.onProgress?.(done, total ?? YOLOX_NANO_BYTES),
      ),
    );
    return;
  }
  const chunks = await openSourceFile(p.origin, p.what, dest);
  try {
    await writeVerified(chunks, dest, MODEL, p.what, p.origin);
  } catch (error) {
    if (error instanceof DetectorInstallError) throw error;
    throw new DetectorInstallError(
      'source-missing',
      p.origin,
      dest,
      `cannot read ${p.what}: ${describeError(error)}. Nothing was installed.`,
    );
  }
}

/** Removes `dir` and its parents up to and including `top`, stopping at the first non-empty one. */
async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  const stop = resolve(top);
  for (let d = resolve(dir); d.startsWith(stop); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === stop) return;
  }
}

/**
 * Puts a verified YOLOX-Nano at `options.dest` (default: the cache file that
 * `resolveDetectorPath()` uses) and its licence beside it. Does nothing but verify when the
 * destination already holds the file, unless `force`. Throws `DetectorInstallError` (with a
 * `reason`) when no verified file could be installed; the destination is then unchanged.
 */
export async function installDetector(
  options: InstallDetectorOptions = {},
): Promise<InstallDetectorResult> {
  const dest = resolve(options.dest || defaultDetectorCachePath());
  const licenseDest = join(dirname(dest), YOLOX_NANO_LICENSE_FILENAME);
  const o: StreamOptions = {
    signal: options.signal,
    stallMs: options.stallTimeoutMs ?? DEFAULT_STALL_MS,
    dest,
  };
  const p = await plan(options, dest);
  const warnings: string[] = [];

  let destInfo: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    destInfo = await stat(dest);
  } catch {
    destInfo = undefined;
  }
  if (destInfo?.isDirectory()) {
    throw new DetectorInstallError(
      'write-failed',
      p.origin,
      dest,
      `cannot install at ${dest}: it is a directory; give the file's path, e.g. ` +
        `${join(dest, YOLOX_NANO_FILENAME)}.`,
    );
  }
  const destVerified = destInfo !== undefined && (await verifyFile(dest, MODEL));
  if (destVerified && !options.force) {
    if (options.from) {
      warnings.push(`${options.from} was not used; reinstall with force (--force) to use it`);
    }
    const license = await installLicense(p, licenseDest, o);
    if (license.warning) warnings.push(license.warning);
    return {
      path: dest,
      source: 'already-installed',
      origin: null,
      bytes: YOLOX_NANO_BYTES,
      licensePath: license.path,
      warnings,
    };
  }

  let createdDir: string | undefined;
  try {
    createdDir = await mkdir(dirname(dest), { recursive: true });
  } catch (error) {
    throw new DetectorInstallError(
      'write-failed',
      p.origin,
      dest,
      `cannot create the folder ${dirname(dest)}: ${describeError(error)}.`,
    );
  }
  try {
    if (o.signal?.aborted) {
      throw new DetectorInstallError('aborted', p.origin, dest, 'installation cancelled');
    }
    await installModel(p, dest, options, o);
  } catch (error) {
    // Folders this call created are removed again, as long as they are empty.
    if (createdDir !== undefined) await removeEmptyDirs(dirname(dest), createdDir);
    throw error;
  }
  if (destInfo?.isFile() && !destVerified) {
    warnings.push(`replaced ${dest}, which was not the expected file (${n(destInfo.size)} bytes)`);
  }

  const license = await installLicense(p, licenseDest, o).catch((error: unknown) => ({
    path: null,
    warning: licenseWarning(firstLine(error)),
  }));
  if (license.warning) warnings.push(license.warning);
  return {
    path: dest,
    source: p.kind,
    origin: p.origin,
    bytes: YOLOX_NANO_BYTES,
    licensePath: license.path,
    warnings,
  };
}
