/**
 * `metrabs import`: the errors a user meets before any heavy work (the import itself, with
 * the trainer's Python, is tested end to end in packages/runtime/test/official-import.test.ts
 * and training/tests/test_import_official.py).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRAINING_DIR } from '../src/commands/import.js';
import { expectOneLineError, runMetrabsInProcess } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'metrabs-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const python = process.env['METRABS_TRAINER_PYTHON'] ?? join(TRAINING_DIR, '.venv/bin/python');

describe('metrabs import', () => {
  it('needs --out', async () => {
    const run = await runMetrabsInProcess(['import', dir]);
    expect(run.code).toBe(2);
    expectOneLineError(run, /--out <package-dir> is required/);
  });

  it('a missing release directory is an input error', async () => {
    const run = await runMetrabsInProcess(['import', join(dir, 'nope'), '--out', join(dir, 'p')]);
    expect(run.code).toBe(3);
    expectOneLineError(run, /nope: no such directory \(expected a metrabs_pytorch release/);
  });

  it('refuses to overwrite a package without --force', async () => {
    const out = join(dir, 'existing');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'metrabs.json'), '{}');
    const run = await runMetrabsInProcess(['import', dir, '--out', out]);
    expect(run.code).toBe(3);
    expectOneLineError(run, /existing already exists; pass --force/);
  });

  it('no Python environment: exit 4 with the setup hint', async () => {
    const run = await runMetrabsInProcess([
      'import',
      dir,
      '--out',
      join(dir, 'p'),
      '--python',
      join(dir, 'no-python'),
    ]);
    expect(run.code).toBe(4);
    expectOneLineError(run, /no Python environment for the importer: .*no-python does not exist/);
    expect(run.stderr).toMatch(/npm run setup:python/);
  });

  it.skipIf(!existsSync(python))(
    'missing release files are named (the Python side checks them)',
    async () => {
      const release = join(dir, 'partial-release');
      mkdirSync(release, { recursive: true });
      writeFileSync(join(release, 'config.yaml'), 'backbone: efficientnetv2-s\n');
      const run = await runMetrabsInProcess(['import', release, '--out', join(dir, 'p2')]);
      expect(run.code).toBe(3);
      expectOneLineError(
        run,
        /partial-release: missing ckpt\.pt, joint_info\.npz, skeleton_infos\.pkl, joint_transform_matrix\.npy/,
      );
      expect(run.stderr).toMatch(/^import: reading /m);
    },
    300_000, // starting Python with torch takes minutes on shared cores
  );
});
