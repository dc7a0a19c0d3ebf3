/**
 * `metrabs synth` from the outside: bad input gets one clear error line and a meaningful exit
 * code; a real (tiny) run writes a dataset and a preview writes a contact sheet.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetReader } from '@metrabs/synth';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { glAvailable } from '../../../test-support/gl-available.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { expectOneLineError, runMetrabs } from './run-cli.js';

const data = sharedData(
  ['body/makehuman/3dobjs/base.obj', 'mocap', 'backgrounds'],
  'synth-cli.test',
);
const gl = glAvailable('synth-cli.test');
const tmp = mkdtempSync(join(tmpdir(), 'metrabs-synth-cli-'));

const metrabs = (args: string[]) => runMetrabs(args, { timeoutMs: 120_000 });
const oneError = (stderr: string, pattern: RegExp) => expectOneLineError({ stderr }, pattern);

describe.concurrent('metrabs synth: bad input', { timeout: 120_000 }, () => {
  it('a missing asset folder → exit 3 naming it', async () => {
    const r = await metrabs([
      'synth',
      '--out',
      join(tmp, 'a'),
      '--count',
      '1',
      '--assets',
      '/nonexistent/assets',
    ]);
    expect(r.code).toBe(3);
    oneError(r.stderr, /asset folder \/nonexistent\/assets does not exist/);
  });

  it('a file passed as --assets → exit 3 saying it is a file, not a folder', async () => {
    const file = join(tmp, 'assets-file');
    writeFileSync(file, 'x');
    const r = await metrabs(['synth', '--out', join(tmp, 'af'), '--count', '1', '--assets', file]);
    expect(r.code).toBe(3);
    oneError(r.stderr, /asset folder \S*assets-file is a file, not a folder/);
    expect(r.stderr).not.toMatch(/does not exist/);
  });

  it('an unknown split or a bad count → exit 2', async () => {
    const a = await metrabs(['synth', '--split', 'dev', '--out', join(tmp, 'b')]);
    expect(a.code).toBe(2);
    oneError(a.stderr, /--split must be one of train, validation, test/);
    const b = await metrabs(['synth', '--count', '0']);
    expect(b.code).toBe(2);
    oneError(b.stderr, /--count/);
  });

  it.skipIf(data.skip)('an output path that cannot be a folder → exit 3', async () => {
    const file = join(tmp, 'plain-file');
    writeFileSync(file, 'x');
    const r = await metrabs([
      'synth',
      '--out',
      join(file, 'data'),
      '--count',
      '1',
      '--assets',
      data.path(''),
    ]);
    expect(r.code).toBe(3);
    oneError(r.stderr, /plain-file/);
  });
});

describe.skipIf(data.skip || gl.skip)('metrabs synth: real runs', { timeout: 180_000 }, () => {
  it('renders a small split with progress, then resumes as a no-op', async () => {
    const out = join(tmp, 'ds');
    const args = [
      'synth',
      '--out',
      out,
      '--count',
      '3',
      '--split',
      'test',
      '--size',
      '128',
      '--shard-size',
      '2',
      '--assets',
      data.path(''),
    ];
    const r = await metrabs(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 images rendered/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.splits.test.examples).toBe(3);
    expect(manifest.skeleton.name).toBe('smpl+head_30');
    expect(existsSync(join(out, 'splits.json'))).toBe(true);
    const again = await metrabs(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 images rendered .*\(3 already there\)/);
    // Two render processes write byte-identical shards.
    const out2 = join(tmp, 'ds2');
    const two = await metrabs([...args.slice(0, 2), out2, ...args.slice(3), '--workers', '2']);
    expect(two.code, two.stderr).toBe(0);
    const shaOf = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).splits.test.shards.map(
        (s: { sha256: string }) => s.sha256,
      );
    expect(shaOf(out2)).toEqual(shaOf(out));
  });

  it('--motion cmu renders only CMU motion and says so in the licence', async () => {
    const out = join(tmp, 'cmu-only');
    const r = await metrabs([
      'synth',
      '--out',
      out,
      '--count',
      '3',
      '--size',
      '128',
      '--motion',
      'cmu',
      '--assets',
      data.path(''),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.license).not.toMatch(/Bandai/);
    expect(manifest.generator.motion_sources).toEqual(['cmu']);
    const reader = await DatasetReader.open(out);
    let people = 0;
    for await (const ex of reader.examples('train')) {
      for (const p of ex.labels.people) {
        people++;
        expect(String(p.meta?.['motion_clip'])).toMatch(/^cmu\//);
      }
    }
    expect(people).toBeGreaterThan(0);
    const bad = await metrabs(['synth', '--motion', 'lafan']);
    expect(bad.code).toBe(2);
  });

  it('preview writes a contact sheet PNG', async () => {
    const png = join(tmp, 'sheet.png');
    const r = await metrabs([
      'synth',
      'preview',
      '--out',
      png,
      '--count',
      '2',
      '--size',
      '128',
      '--columns',
      '2',
      '--assets',
      data.path(''),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(2 * 256 + 3 * 4);
  });
});
