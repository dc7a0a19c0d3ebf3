/**
 * Output folders, created one way for every front end. `mkdir(…, { recursive: true })` hangs
 * forever on pseudo file systems such as /proc and /sys, so the path is checked first: the
 * nearest existing ancestor must be a writable folder on an ordinary file system.
 */

import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/** Thrown when an output folder cannot be created; the message names the folder and why. */
export class DirectoryError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot create the output folder ${path}: ${reason}`);
    this.name = 'DirectoryError';
  }
}

/** Kernel file systems where folders cannot be made (and where recursive mkdir can hang). */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

function underPseudoRoot(path: string): string | null {
  for (const root of PSEUDO_ROOTS) {
    if (path === root || path.startsWith(root + sep)) return root;
  }
  return null;
}

/**
 * Creates `path` (and its parents) or throws `DirectoryError` at once with a plain reason.
 * Returns the absolute path.
 */
export function ensureDirectory(path: string): string {
  const abs = resolve(path);
  const pseudo = process.platform === 'win32' ? null : underPseudoRoot(abs);
  if (pseudo !== null) {
    throw new DirectoryError(abs, `${pseudo} is a kernel file system, not a place for files`);
  }
  let ancestor = abs;
  while (!existsSync(ancestor)) {
    const up = dirname(ancestor);
    if (up === ancestor) break;
    ancestor = up;
  }
  const stat = statSync(ancestor);
  if (!stat.isDirectory()) {
    throw new DirectoryError(abs, `${ancestor} is a file, not a folder`);
  }
  if (ancestor === abs) {
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw new DirectoryError(abs, 'the folder is not writable');
    }
    return abs;
  }
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw new DirectoryError(abs, `${ancestor} is not writable`);
  }
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new DirectoryError(abs, (e as Error).message.split('\n')[0] ?? 'unknown error');
  }
  return abs;
}
