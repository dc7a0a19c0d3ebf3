import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleKey } from '../../src/dataset/labels.js';
import {
  type DatasetManifest,
  DatasetWriter,
  type DatasetWriterOptions,
  readSplitsFile,
  type ShardExample,
  writeSplitsFile,
} from '../../src/dataset/writer-node.js';
import { SynthError } from '../../src/errors.js';
import { assignSplits } from '../../src/splits.js';
import { makeImage, makeLabels, SKELETON } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'metrabs-writer-'));
afterAll(() => {
  chmodSync(root, 0o700);
  rmSync(root, { recursive: true, force: true });
});

const W = 20;
const H = 14;
let jpg: Uint8Array;
beforeAll(async () => {
  jpg = await makeImage(W, H, 'jpg');
});

let dirCounter = 0;
const freshDir = () => join(root, `ds${++dirCounter}`);
const options = (
  outDir: string,
  extra: Partial<DatasetWriterOptions> = {},
): DatasetWriterOptions => ({
  outDir,
  name: 'synth-test',
  skeleton: SKELETON,
  license: 'test only',
  sources: ['unit test'],
  generator: { tool: 'metrabs synth', seed: 1 },
  examplesPerShard: 3,
  ...extra,
});

/** Examples [shard·S, min((shard+1)·S, total)) with `index % 3` people each. */
function* examples(shard: number, total: number, S = 3): Generator<ShardExample> {
  for (let i = shard * S; i < Math.min((shard + 1) * S, total); i++) {
    const key = exampleKey(i);
    yield {
      key,
      image: jpg,
      imageExt: 'jpg',
      labels: makeLabels(key, W, H, { numPeople: i % 3, seed: i }),
    };
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;

async function rejection(p: Promise<unknown>): Promise<SynthError> {
  try {
    await p;
  } catch (e) {
    return e as SynthError;
  }
  throw new Error('expected a rejection');
}

describe('DatasetWriter', () => {
  it('writes splits of shards with correct manifest totals and sha256', async () => {
    const dir = freshDir();
    const w = await DatasetWriter.open(options(dir));
    expect(readManifest(dir).splits).toEqual({});
    for (let s = 0; s < 3; s++) await w.writeShard('train', s, examples(s, 7));
    const info = await w.writeShard('validation', 0, examples(0, 2));
    expect(info).toMatchObject({ path: 'validation/shard-000000.tar', examples: 2, people: 1 });

    const m = readManifest(dir);
    expect(m).toMatchObject({ format: 'metrabs-dataset', version: 1, name: 'synth-test' });
    expect(m.skeleton).toEqual(SKELETON);
    expect(m.examples_per_shard).toBe(3);
    expect(m.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Object.keys(m.splits)).toEqual(['train', 'validation']);
    const train = m.splits.train!;
    expect(train.shards.map((s) => [s.path, s.examples, s.people])).toEqual([
      ['train/shard-000000.tar', 3, 0 + 1 + 2],
      ['train/shard-000001.tar', 3, 0 + 1 + 2],
      ['train/shard-000002.tar', 1, 0],
    ]);
    expect(train.examples).toBe(7);
    expect(train.people).toBe(6);
    expect(m.splits.validation).toMatchObject({ examples: 2, people: 1 });
    for (const split of Object.values(m.splits)) {
      for (const s of split.shards) expect(s.sha256).toBe(sha256(join(dir, s.path)));
    }
    expect(w.completedShards('train')).toEqual(new Set([0, 1, 2]));
    expect(w.getManifest()).toEqual(m);

    const list = spawnSync('tar', ['-tf', join(dir, 'train/shard-000001.tar')], {
      encoding: 'utf8',
    });
    expect(list.stdout.trim().split('\n')).toEqual([
      '000003.jpg',
      '000003.json',
      '000004.jpg',
      '000004.json',
      '000005.jpg',
      '000005.json',
    ]);
    const json = spawnSync('tar', ['-xOf', join(dir, 'train/shard-000001.tar'), '000004.json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(json.stdout)).toEqual(makeLabels('000004', W, H, { numPeople: 1, seed: 4 }));
    expect(readdirSync(join(dir, 'train')).sort()).toEqual([
      'shard-000000.tar',
      'shard-000001.tar',
      'shard-000002.tar',
    ]);
  });

  it('writes byte-identical shards for the same input (deterministic)', async () => {
    const a = freshDir();
    const b = freshDir();
    await (await DatasetWriter.open(options(a))).writeShard('train', 1, examples(1, 9));
    await (await DatasetWriter.open(options(b))).writeShard('train', 1, examples(1, 9));
    expect(sha256(join(a, 'train/shard-000001.tar'))).toBe(
      sha256(join(b, 'train/shard-000001.tar')),
    );
  });

  it('resumes after an interrupted run: cleans partials, leaves completed shards untouched', async () => {
    const dir = freshDir();
    const w = await DatasetWriter.open(options(dir));
    await w.writeShard('train', 0, examples(0, 9));
    await w.writeShard('train', 2, examples(2, 9));
    const before = {
      s0: readFileSync(join(dir, 'train/shard-000000.tar')),
      s2: readFileSync(join(dir, 'train/shard-000002.tar')),
      manifest: readFileSync(join(dir, 'manifest.json'), 'utf8'),
    };

    // The examples iterable throws mid-shard: nothing is listed and no partial remains.
    function* crashing(): Generator<ShardExample> {
      const it = examples(1, 9);
      yield it.next().value as ShardExample;
      throw new Error('renderer died');
    }
    await expect(w.writeShard('train', 1, crashing())).rejects.toThrow('renderer died');
    expect(existsSync(join(dir, 'train/shard-000001.tar.partial'))).toBe(false);
    expect(existsSync(join(dir, 'train/shard-000001.tar'))).toBe(false);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(before.manifest);

    // A hard crash leaves a partial, an unrecorded renamed shard and a manifest temp file.
    writeFileSync(join(dir, 'train/shard-000001.tar.partial'), before.s0.subarray(0, 1000));
    writeFileSync(join(dir, 'train/shard-000003.tar'), before.s0);
    mkdirSync(join(dir, 'validation'));
    writeFileSync(join(dir, 'validation/shard-000000.tar.partial'), 'x');
    writeFileSync(join(dir, 'manifest.json.123-4.tmp'), '{');

    const again = await DatasetWriter.open(options(dir));
    expect(again.completedShards('train')).toEqual(new Set([0, 2]));
    expect(again.completedShards('validation')).toEqual(new Set());
    expect(await again.cleanPartials()).toEqual([
      'manifest.json.123-4.tmp',
      'train/shard-000001.tar.partial',
      'train/shard-000003.tar',
      'validation/shard-000000.tar.partial',
    ]);
    expect(await again.cleanPartials()).toEqual([]);
    expect(readFileSync(join(dir, 'train/shard-000000.tar'))).toEqual(before.s0);
    expect(readFileSync(join(dir, 'train/shard-000002.tar'))).toEqual(before.s2);

    for (let s = 0; s < 3; s++) {
      if (!again.completedShards('train').has(s))
        await again.writeShard('train', s, examples(s, 9));
    }
    const m = readManifest(dir);
    expect(m.splits.train!.shards.map((s) => s.path)).toEqual([
      'train/shard-000000.tar',
      'train/shard-000001.tar',
      'train/shard-000002.tar',
    ]);
    expect(m.splits.train!.examples).toBe(9);
    expect(readFileSync(join(dir, 'train/shard-000000.tar'))).toEqual(before.s0);
    expect(readFileSync(join(dir, 'train/shard-000002.tar'))).toEqual(before.s2);
    expect(readdirSync(join(dir, 'train')).some((f) => f.endsWith('.partial'))).toBe(false);

    const err = await rejection(again.writeShard('train', 1, examples(1, 9)));
    expect(err.code).toBe('bad-option');
    expect(err.message).toMatch(/already complete/);
  });

  it('keeps the manifest consistent under concurrent writeShard calls', async () => {
    const dir = freshDir();
    const w = await DatasetWriter.open(options(dir, { examplesPerShard: 2 }));
    async function* slow(shard: number): AsyncGenerator<ShardExample> {
      for (const ex of examples(shard, 11, 2)) {
        await new Promise((r) => setTimeout(r, ((shard * 7) % 5) * 3));
        yield ex;
      }
    }
    const order = [4, 1, 5, 0, 3, 2];
    const infos = await Promise.all(order.map((s) => w.writeShard('train', s, slow(s))));
    expect(infos.map((i) => i.path)).toEqual(order.map((s) => `train/shard-00000${s}.tar`));
    const m = readManifest(dir);
    expect(m.splits.train!.shards.map((s) => s.path)).toEqual(
      [0, 1, 2, 3, 4, 5].map((s) => `train/shard-00000${s}.tar`),
    );
    expect(m.splits.train!.examples).toBe(11);
    expect(m.splits.train!.people).toBe(
      Array.from({ length: 11 }, (_, i) => i % 3).reduce((a, b) => a + b),
    );
    expect(w.getManifest()).toEqual(m);

    const dup = [w.writeShard('validation', 0, slow(0)), w.writeShard('validation', 0, slow(0))];
    const results = await Promise.allSettled(dup);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(readManifest(dir).splits.validation!.shards).toHaveLength(1);
  });

  it('refuses a manifest of another dataset, skeleton, seed or shard size', async () => {
    const dir = freshDir();
    await (await DatasetWriter.open(options(dir))).writeShard('train', 0, examples(0, 3));
    const cases: Partial<DatasetWriterOptions>[] = [
      { name: 'other' },
      { skeleton: { ...SKELETON, name: 'h36m_17' } },
      { generator: { tool: 'metrabs synth', seed: 2 } },
      { generator: { tool: 'metrabs synth', seed: 1, width: 512 } },
      { examplesPerShard: 4 },
    ];
    for (const extra of cases) {
      const err = await rejection(DatasetWriter.open(options(dir, extra)));
      expect(err).toBeInstanceOf(SynthError);
      expect(err.code).toBe('bad-output');
    }
    const seed = await rejection(
      DatasetWriter.open(options(dir, { generator: { seed: 2, tool: 'metrabs synth' } })),
    );
    expect(seed.message).toMatch(/seed 1 vs 2/);
    // Same settings with another key order and new license text: accepted.
    const ok = await DatasetWriter.open(
      options(dir, { generator: { seed: 1, tool: 'metrabs synth' }, license: 'CC BY-NC 4.0' }),
    );
    expect(ok.getManifest().license).toBe('CC BY-NC 4.0');

    const versioned = freshDir();
    mkdirSync(versioned);
    writeFileSync(
      join(versioned, 'manifest.json'),
      JSON.stringify({ ...readManifest(dir), version: 2 }),
    );
    expect((await rejection(DatasetWriter.open(options(versioned)))).message).toMatch(/version 2/);
    writeFileSync(join(versioned, 'manifest.json'), '{ not json');
    expect((await rejection(DatasetWriter.open(options(versioned)))).code).toBe('bad-output');

    rmSync(join(dir, 'train/shard-000000.tar'));
    const missing = await rejection(DatasetWriter.open(options(dir)));
    expect(missing.code).toBe('bad-output');
    expect(missing.message).toMatch(/shard-000000.tar is missing/);
  });

  it('refuses an output folder that cannot be created or written', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const err = await rejection(DatasetWriter.open(options(join(file, 'dataset'))));
    expect(err).toBeInstanceOf(SynthError);
    expect(err.code).toBe('bad-output');
    expect(err.message).toContain(join(file, 'dataset'));
    expect((await rejection(DatasetWriter.open(options(file)))).code).toBe('bad-output');
  });

  it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')(
    'refuses a read-only output folder (skipped as root: root may write anywhere)',
    async () => {
      const dir = freshDir();
      mkdirSync(dir, { mode: 0o500 });
      chmodSync(dir, 0o500);
      try {
        const err = await rejection(DatasetWriter.open(options(dir)));
        expect(err.code).toBe('bad-output');
        expect(err.message).toMatch(/not writable/);
      } finally {
        chmodSync(dir, 0o700);
      }
    },
  );

  it('refuses bad examples without leaving a partial or listing the shard', async () => {
    const dir = freshDir();
    const w = await DatasetWriter.open(options(dir));
    const ex = [...examples(0, 3)];
    const code = async (list: Iterable<ShardExample>) =>
      (await rejection(w.writeShard('train', 0, list))).code;
    expect(await code([ex[1]!, ex[0]!])).toBe('bad-option'); // keys out of order
    expect(await code([...ex, ex[0]!])).toBe('bad-option'); // more than S
    expect(await code([])).toBe('bad-option');
    const nan = structuredClone(ex[1]!);
    nan.labels.people[0]!.joints2d[5]![0] = Number.NaN;
    const err = await rejection(w.writeShard('train', 0, [ex[0]!, nan]));
    expect(err.code).toBe('bad-output');
    expect(err.message).toMatch(/example 000001: .*joints2d\[5\]\[0\] is NaN/);
    const png = { ...ex[0]!, imageExt: 'png' as const };
    expect(await code([png])).toBe('bad-output');
    expect(existsSync(join(dir, 'train/shard-000000.tar.partial'))).toBe(false);
    expect(readManifest(dir).splits).toEqual({});
    expect((await rejection(w.writeShard('a/b', 0, ex))).code).toBe('bad-option');
  });

  it('writes and reads splits.json atomically', async () => {
    const dir = freshDir();
    const assignment = assignSplits([
      { kind: 'background', id: 'a' },
      { kind: 'background', id: 'b' },
      { kind: 'background', id: 'c' },
    ]);
    const path = await writeSplitsFile(dir, assignment, { salt: 'metrabs-synth-v1', notes: ['n'] });
    expect(path).toBe(join(dir, 'splits.json'));
    expect(await readSplitsFile(dir)).toEqual({
      format: 'metrabs-synth-splits',
      version: 1,
      salt: 'metrabs-synth-v1',
      notes: ['n'],
      assets: assignment,
    });
    expect(readdirSync(dir)).toEqual(['splits.json']);
    expect(await readSplitsFile(freshDir())).toBeNull();
  });
});
