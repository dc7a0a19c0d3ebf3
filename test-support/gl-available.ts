/**
 * Rendering tests need the optional native `gl` package and an X server (or Xvfb). Like shared
 * data: missing in CI (`CI=true`) is a failure, elsewhere a visible skip.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

function problem(): string | undefined {
  try {
    createRequire(import.meta.url)('gl');
  } catch (e) {
    return `optional dependency 'gl' unavailable (${(e as Error).message.split('\n')[0]})`;
  }
  if (!process.env['DISPLAY'] && spawnSync('Xvfb', ['-help'], { stdio: 'ignore' }).error) {
    return 'no X display and no Xvfb';
  }
  return undefined;
}

export function glAvailable(who: string): { skip: boolean } {
  const p = problem();
  if (p && process.env['CI'] === 'true') throw new Error(`CI=true but ${p} (${who})`);
  if (p) console.warn(`[${who}] skipping rendering tests: ${p}`);
  return { skip: p !== undefined };
}
