/**
 * What the batch tests share: a private redis-server on a free loopback port (started by the
 * test, stopped after it; restartable with its data), and `metrabs` worker processes whose
 * stderr lines can be awaited. Without redis-server the tests are skipped with the reason,
 * except in CI (CI=true), where they fail.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REDIS_SERVER = process.env['METRABS_REDIS_SERVER'] || 'redis-server';
export const BIN = fileURLToPath(new URL('../../cli/bin/metrabs.js', import.meta.url));

/** Why redis-server cannot be used, or undefined; throws in CI. */
export function redisProblem(): string | undefined {
  const r = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  const problem = r.error
    ? `${REDIS_SERVER} not found (apt-get install redis-server, or bash scripts/setup.sh)`
    : undefined;
  if (problem && process.env['CI'] === 'true') throw new Error(`CI=true but ${problem}`);
  if (problem) console.warn(`[batch tests] skipping: ${problem}`);
  return problem;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server with an append-only file in `dir`, so a restart keeps the queue. */
export class TestRedis {
  private child: ChildProcess | undefined;
  url = '';

  constructor(
    readonly dir: string,
    private port = 0,
  ) {}

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.url = `redis://127.0.0.1:${this.port}`;
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${out}`)),
        15_000,
      );
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });
    child.removeAllListeners('exit');
    return this;
  }

  /** Stops it the way an operator would (SIGTERM: it writes its data first). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

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
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
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
