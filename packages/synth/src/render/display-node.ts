import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { SynthError } from '../errors.js';

let started: ChildProcess | null = null;

/**
 * headless-gl renders through an X display. Uses `$DISPLAY` when set; otherwise starts a private
 * Xvfb (Debian package `xvfb`) for this process and stops it on exit. Returns the display name.
 */
export async function ensureDisplay(): Promise<string> {
  const current = process.env['DISPLAY'];
  if (current) return current;
  const probe = spawnSync('Xvfb', ['-help'], { stdio: 'ignore' });
  if (probe.error) {
    throw new SynthError(
      'renderer',
      'rendering needs an X display and none is set: install Xvfb (Debian: apt-get install xvfb) ' +
        'or run under `xvfb-run -a`',
    );
  }
  // -displayfd makes Xvfb pick a free display number and write it to fd 3 once it is ready.
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '64x64x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${err}`)), 10_000);
    xvfb.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    xvfb.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with code ${code}: ${err.trim()}`));
    });
  }).catch((e: Error) => {
    throw new SynthError('renderer', `could not start Xvfb: ${e.message}`);
  });
  xvfb.unref();
  // Let the process exit while Xvfb's pipes are still open.
  for (const stream of [xvfb.stdio[3], xvfb.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  started = xvfb;
  process.once('exit', () => started?.kill());
  process.env['DISPLAY'] = display;
  return display;
}
