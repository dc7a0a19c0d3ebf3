/**
 * The project rule for tests that need `../shared/data` (real images, the detector): when
 * the files are missing they fail in CI (`CI=true`) and elsewhere are skipped with a visible
 * reason, so a user's fresh clone still passes its own test command.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `../shared/data` beside the repository. */
export const SHARED_DATA = new URL('../../shared/data/', import.meta.url);

export interface SharedData {
  /** True when a test needing these files must be skipped (missing, not in CI). */
  readonly skip: boolean;
  /** Why the files are unavailable, or undefined. */
  readonly problem: string | undefined;
  /** Absolute path of a file below shared/data. */
  path(file: string): string;
}

/** Checks that `files` (paths below shared/data) exist; throws in CI if they do not. */
export function sharedData(files: string[], who: string): SharedData {
  const missing = files.filter((f) => !existsSync(new URL(f, SHARED_DATA)));
  const problem =
    missing.length === 0
      ? undefined
      : `shared data missing under ${fileURLToPath(SHARED_DATA)}: ${missing.join(', ')}`;
  if (problem && process.env['CI'] === 'true') throw new Error(`CI=true but ${problem} (${who})`);
  if (problem) console.warn(`[${who}] skipping tests that need shared data: ${problem}`);
  return {
    skip: problem !== undefined,
    problem,
    path: (f) => fileURLToPath(new URL(f, SHARED_DATA)),
  };
}
