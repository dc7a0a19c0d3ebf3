/**
 * A private redis-server for tests and benchmarks of the batch queue: on a free loopback port,
 * with an append-only file in its own folder so that a restart keeps the queue, stopped with
 * SIGTERM as an operator would. `redisProblem()` says why there is none (throws in CI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export const REDIS_SERVER = process.env['METRABS_REDIS_SERVER'] || 'redis-server';

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
