/**
 * What the batch tests share besides the private Redis (test-support/redis-server.ts):
 * `metrabs` processes (workers, commands) whose stderr lines can be awaited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export { redisProblem, TestRedis } from '../../../test-support/redis-server.js';

export const BIN = fileURLToPath(new URL('../../cli/bin/metrabs.js', import.meta.url));

/** A `metrabs` subprocess whose stderr is collected line by line. */
export class MetrabsProcess {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  readonly exited: Promise<number | null>;
  private waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.waiters = this.waiters.filter((w) => {
        const m = this.stderr.match(w.pattern);
        if (m) w.resolve(m);
        return !m;
      });
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the first match of `pattern` in stderr (so far or to come). */
  waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<RegExpMatchArray> {
    const m = this.stderr.match(pattern);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${pattern} in:\n${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (match) => {
          clearTimeout(timer);
          resolve(match);
        },
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/** Runs `metrabs args…` to its end. */
export async function metrabs(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new MetrabsProcess(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}
