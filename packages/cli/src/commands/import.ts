/**
 * `metrabs import <release-dir> --out <package-dir>`: turn an official MeTRAbs `metrabs_pytorch`
 * release (ckpt.pt, config.yaml, joint_info.npz, skeleton_infos.pkl, joint_transform_matrix.npy)
 * into one of our model packages. The work is Python (training/metrabs_train/import_official.py,
 * in the trainer's virtual environment: it needs PyTorch to read the checkpoint and export ONNX);
 * this command finds that environment, relays its progress on stderr, maps its errors onto the
 * exit codes and checks the package it wrote.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelDescriptor } from '@metrabs/runtime';
import { EXIT, type ExitCode, InputError, ModelError, UsageError } from '../errors.js';
import type { Io } from './detect.js';

export interface ImportOptions {
  out?: string;
  python?: string;
  force?: boolean;
}

/** The repository's `training/` directory (this file is packages/cli/{src,dist}/commands/). */
export const TRAINING_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'training',
);

const SETUP_HINT =
  'The importer needs the trainer\'s Python environment (PyTorch, torchvision, onnx): run "npm run setup:python" in the repository, or pass --python / set METRABS_TRAINER_PYTHON to an interpreter that has them.';

/** The interpreter to use: --python, else $METRABS_TRAINER_PYTHON, else training/.venv. */
export function findTrainerPython(explicit?: string): string {
  const candidate =
    explicit ?? process.env['METRABS_TRAINER_PYTHON'] ?? resolve(TRAINING_DIR, '.venv/bin/python');
  if (!existsSync(candidate)) {
    throw new ModelError(
      `no Python environment for the importer: ${candidate} does not exist`,
      SETUP_HINT,
    );
  }
  if (!existsSync(resolve(TRAINING_DIR, 'metrabs_train', 'import_official.py'))) {
    throw new ModelError(
      `the trainer's code is missing: ${TRAINING_DIR}/metrabs_train`,
      SETUP_HINT,
    );
  }
  return candidate;
}

function checkPaths(release: string, out: string, force: boolean): void {
  let isDir = false;
  try {
    isDir = statSync(release).isDirectory();
  } catch {
    throw new InputError(
      `${release}: no such directory (expected a metrabs_pytorch release directory)`,
    );
  }
  if (!isDir)
    throw new InputError(
      `${release}: not a directory (expected a metrabs_pytorch release directory)`,
    );
  if (existsSync(out) && !force) {
    const isEmptyDir = statSync(out).isDirectory() && readdirSync(out).length === 0;
    if (!isEmptyDir) {
      throw new InputError(`${out} already exists; pass --force to overwrite the package there`);
    }
  }
}

/** Runs the Python importer; progress lines go to `onLine`, the result is its exit code and stderr. */
function runImporter(
  python: string,
  args: string[],
  onLine: (line: string) => void,
): Promise<{ code: number | null; stderr: string; spawnError?: Error }> {
  return new Promise((resolveRun) => {
    const child = spawn(python, ['-m', 'metrabs_train.import_official', ...args], {
      cwd: TRAINING_DIR,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONWARNINGS: 'ignore' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line.trim());
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (spawnError) => resolveRun({ code: null, stderr, spawnError }));
    child.on('close', (code) => {
      if (pending.trim()) onLine(pending.trim());
      resolveRun({ code, stderr });
    });
  });
}

export async function runImport(
  release: string,
  options: ImportOptions,
  io: Io,
): Promise<ExitCode> {
  if (!options.out)
    throw new UsageError('--out <package-dir> is required (e.g. models/metrabs-eff2l)');
  const source = resolve(release);
  const out = resolve(options.out);
  checkPaths(source, out, options.force === true);
  const python = findTrainerPython(options.python);
  io.stderr(`import: ${source} → ${out} (with ${python})\n`);
  const started = performance.now();
  const result = await runImporter(python, [source, '--out', out], (line) =>
    io.stderr(`import: ${line}\n`),
  );
  if (result.spawnError) {
    throw new ModelError(`cannot run ${python}: ${result.spawnError.message}`, SETUP_HINT);
  }
  if (result.code !== 0) {
    const errorLine = result.stderr
      .split('\n')
      .find((line) => line.startsWith('error: '))
      ?.slice('error: '.length);
    if (result.code === 2 && errorLine) {
      throw new InputError(errorLine.startsWith(source) ? errorLine : `${source}: ${errorLine}`);
    }
    if (/No module named/.test(result.stderr)) {
      throw new ModelError(
        `the Python environment ${python} lacks a module: ${result.stderr.trim().split('\n').pop()}`,
        SETUP_HINT,
      );
    }
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the Python importer failed (exit ${result.code}): ${tail}`);
  }
  // The package must be one we can load.
  const descriptor = parseModelDescriptor(
    JSON.parse(readFileSync(resolve(out, 'metrabs.json'), 'utf8')),
    resolve(out, 'metrabs.json'),
  );
  const skeletons = [descriptor.skeleton, ...Object.keys(descriptor.skeletonTransforms)];
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  io.stdout(
    `${out}: ${descriptor.backbone} at ${descriptor.geometry.procSide} px, ${descriptor.jointNames.length} joints; ` +
      `skeletons: ${skeletons.join(', ')} (${seconds} s)\n` +
      `try: metrabs detect IMAGE --model ${options.out} --skeleton ${skeletons[1] ?? skeletons[0]}\n`,
  );
  return EXIT.ok;
}
