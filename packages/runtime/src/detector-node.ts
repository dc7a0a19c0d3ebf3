/**
 * Node: find the YOLOX-Nano ONNX file, check it, and open it with onnxruntime-node.
 *
 * Search order: `options.path` → env `METRABS_DETECTOR` → the cache file
 * `$XDG_CACHE_HOME/metrabs/yolox_nano.onnx` (default `~/.cache/metrabs/yolox_nano.onnx`).
 * The first one that is set is used. If it is missing, or its sha256 differs from the
 * known file, the search stops with a `DetectorNotFoundError` and does not fall back.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  YOLOX_NANO_BYTES,
  YOLOX_NANO_FILENAME,
  YOLOX_NANO_LICENSE_URL,
  YOLOX_NANO_SHA256,
  YOLOX_NANO_URL,
} from './detector-file.js';
import { createOrtSession } from './ort-session.js';
import { YoloxPersonDetector } from './yolox.js';

export const DETECTOR_ENV_VAR = 'METRABS_DETECTOR';
export type DetectorNotFoundReason = 'missing' | 'checksum-mismatch';

/** No usable detector file: the message says where to download it and where to put it. */
export class DetectorNotFoundError extends Error {
  readonly reason: DetectorNotFoundReason;
  /** The path that was tried. */
  readonly path: string;

  constructor(reason: DetectorNotFoundReason, path: string, detail: string) {
    super(`${detail}\n\n${detectorInstructions()}`);
    this.name = 'DetectorNotFoundError';
    this.reason = reason;
    this.path = path;
  }
}

/** The cache location: `$XDG_CACHE_HOME/metrabs/yolox_nano.onnx` or `~/.cache/metrabs/…`. */
export function defaultDetectorCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'metrabs', YOLOX_NANO_FILENAME);
}

/** How to get the detector and where to put it (the body of DetectorNotFoundError). */
export function detectorInstructions(): string {
  const cache = defaultDetectorCachePath();
  return [
    'MeTRAbs finds people with YOLOX-Nano (COCO), an ONNX file that is not bundled:',
    `  file:     ${YOLOX_NANO_FILENAME}, ${YOLOX_NANO_BYTES.toLocaleString('en-US')} bytes`,
    `  sha256:   ${YOLOX_NANO_SHA256}`,
    `  download: ${YOLOX_NANO_URL}`,
    '  origin:   Kazuhito00/YOLOX-ONNX-TFLite-Sample, model/yolox_nano.onnx: YOLOX-Nano exported',
    '            from Megvii YOLOX 0.1.1rc0. Licence Apache-2.0; keep its LICENSE with copies:',
    `            ${YOLOX_NANO_LICENSE_URL}`,
    'Then do one of:',
    '  - run: npx metrabs fetch-detector',
    `      downloads, verifies and installs it (with its licence) at ${cache};`,
    '      --from FILE|URL installs a copy you already have',
    `  - put it at ${cache} yourself`,
    `      mkdir -p "${join(cache, '..')}" && curl -fL -o "${cache}" ${YOLOX_NANO_URL}`,
    `  - set ${DETECTOR_ENV_VAR}=/path/to/${YOLOX_NANO_FILENAME}`,
    '  - pass { path } to loadYoloxDetector() / resolveDetectorPath()',
  ].join('\n');
}

/** sha256 of files already hashed, keyed by path, size, mtime and inode. */
const hashCache = new Map<string, string>();

async function sha256Once(path: string, key: string): Promise<string> {
  let digest = hashCache.get(key);
  if (digest === undefined) {
    digest = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    hashCache.set(key, digest);
  }
  return digest;
}

export interface ResolveDetectorOptions {
  /** Explicit path of the ONNX file (relative paths resolve against the working directory). */
  path?: string;
}

/**
 * Returns the absolute path of a verified YOLOX-Nano file (see the module comment for the
 * search order), or throws `DetectorNotFoundError`. The checksum of a file is computed
 * once per process (again only if the file changes).
 */
export async function resolveDetectorPath(options: ResolveDetectorOptions = {}): Promise<string> {
  const env = process.env[DETECTOR_ENV_VAR];
  let path: string;
  let origin: string;
  if (options.path !== undefined && options.path !== '') {
    path = resolve(options.path);
    origin = `the file ${path} given as the path option`;
  } else if (env !== undefined && env !== '') {
    path = resolve(env);
    origin = `the file ${path} named by ${DETECTOR_ENV_VAR}`;
  } else {
    path = defaultDetectorCachePath();
    origin = `the default cache file ${path} (no path option given, ${DETECTOR_ENV_VAR} not set)`;
  }

  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? error})`;
    throw new DetectorNotFoundError(
      'missing',
      path,
      `person detector not found: ${origin} ${why}.`,
    );
  }
  if (!info.isFile()) {
    throw new DetectorNotFoundError(
      'missing',
      path,
      `person detector not found: ${origin} is not a file.`,
    );
  }
  const digest = await sha256Once(path, `${path}\0${info.size}\0${info.mtimeMs}\0${info.ino}`);
  if (digest !== YOLOX_NANO_SHA256) {
    throw new DetectorNotFoundError(
      'checksum-mismatch',
      path,
      `person detector rejected: ${origin} is not the expected YOLOX-Nano file: ` +
        `its sha256 is ${digest} (${info.size} bytes), expected ${YOLOX_NANO_SHA256} ` +
        `(${YOLOX_NANO_BYTES} bytes). It may be truncated (an interrupted or HTML download) or ` +
        'a different model. To use another YOLOX export, build YoloxPersonDetector over ' +
        'createOrtSession() yourself.',
    );
  }
  return path;
}

export interface LoadDetectorOptions extends ResolveDetectorOptions {
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice). */
  threads?: number;
}

/** Finds and verifies YOLOX-Nano, then opens it with onnxruntime-node. */
export async function loadYoloxDetector(
  options: LoadDetectorOptions = {},
): Promise<YoloxPersonDetector> {
  const path = await resolveDetectorPath(options);
  const ort = await import('onnxruntime-node');
  const session = await createOrtSession(ort, path, { threads: options.threads });
  return new YoloxPersonDetector(session);
}
