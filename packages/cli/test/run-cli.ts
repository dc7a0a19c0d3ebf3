/**
 * Running the `metrabs` command from tests: as a child process (the real binary, exit codes and
 * all) or in process through `main` (faster), and the project's rule for errors.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../src/program.js';

export const BIN = fileURLToPath(new URL('../bin/metrabs.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/metrabs.js` with `args` in a child process. */
export function runMetrabs(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: options.env ?? process.env,
        maxBuffer: 64 << 20,
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the command in this process through `main`, capturing what it prints. */
export async function runMetrabsInProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

/** Every error is one `metrabs: error: …` line, without a stack trace. */
export function expectOneLineError(run: Pick<Run, 'stderr'>, pattern: RegExp): void {
  const errors = run.stderr.split('\n').filter((l) => l.startsWith('metrabs: error: '));
  expect(errors.length, run.stderr).toBe(1);
  expect(errors[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}
