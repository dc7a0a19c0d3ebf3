/** Reading camera files from disk (see camera-file.ts). */
import { readFileSync } from 'node:fs';
import { type CameraFile, CameraFileError, parseCameraJson } from './camera-file.js';

/** Reads and validates a camera file (see `parseCameraJson`). */
export function readCameraFile(path: string): CameraFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CameraFileError(
      path,
      code === 'ENOENT'
        ? `intrinsics file not found: ${path}`
        : `cannot read intrinsics file ${path}: ${code ?? e}`,
    );
  }
  let json: unknown;
  try {
    // JSON has no NaN or Infinity: a file with them is reported as invalid JSON here.
    json = JSON.parse(text);
  } catch (e) {
    throw new CameraFileError(path, `${path}: invalid JSON (${(e as Error).message})`);
  }
  return parseCameraJson(json, path);
}
