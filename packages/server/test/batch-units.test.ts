/** The batch queue's pure parts, without Redis or a model: job ids, inputs, result files. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchInputError, collectInputs } from '../src/batch/inputs.js';
import { isFinished, resultPath, writeAtomic } from '../src/batch/output.js';
import { canonicalJson, type ImageJobData, jobId } from '../src/batch/queue.js';

const tmp = mkdtempSync(join(tmpdir(), 'metrabs-batch-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const image: ImageJobData = {
  kind: 'image',
  input: '/data/a.jpg',
  label: 'a.jpg',
  sha256: 'ab'.repeat(32),
  out: '/results',
  stem: 'a',
  options: { numAug: 1, skeleton: 'coco_19' },
};

describe('job ids', () => {
  it('depend on content, options, output and frames, not on key order or the path', () => {
    const id = jobId(image);
    expect(id).toMatch(/^img-[0-9a-f]{40}$/);
    expect(jobId({ ...image, options: { skeleton: 'coco_19', numAug: 1 } })).toBe(id);
    expect(jobId({ ...image, input: '/elsewhere/a.jpg', label: 'x/a.jpg' })).toBe(id);
    expect(jobId({ ...image, options: { numAug: 2, skeleton: 'coco_19' } })).not.toBe(id);
    expect(jobId({ ...image, sha256: 'cd'.repeat(32) })).not.toBe(id);
    expect(jobId({ ...image, out: '/other' })).not.toBe(id);
    const chunk = { ...image, kind: 'video' as const, first: 0, count: 100 };
    expect(jobId(chunk)).toMatch(/^vid-/);
    expect(jobId({ ...chunk, first: 100 })).not.toBe(jobId(chunk));
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}',
    );
  });
});

describe('collectInputs', () => {
  it('walks folders, keeps sub-folders in names, and separates names that would collide', async () => {
    const root = join(tmp, 'photos');
    mkdirSync(join(root, 'day1'), { recursive: true });
    mkdirSync(join(root, '.hidden'));
    writeFileSync(join(root, 'a.jpg'), 'one');
    writeFileSync(join(root, 'day1', 'a.png'), 'two');
    writeFileSync(join(root, 'day1', 'notes.txt'), 'skip me');
    writeFileSync(join(root, '.hidden', 'b.jpg'), 'skip me too');
    writeFileSync(join(root, 'clip.mp4'), 'video');
    const loose = join(tmp, 'a.jpeg');
    writeFileSync(loose, 'three');
    const inputs = await collectInputs([root, loose, loose]);
    expect(inputs.map((i) => [i.stem, i.kind])).toEqual([
      [expect.stringMatching(/^a-[0-9a-f]{8}$/), 'image'],
      ['clip', 'video'],
      ['day1/a', 'image'],
      [expect.stringMatching(/^a-[0-9a-f]{8}$/), 'image'],
    ]);
    expect(inputs[0]!.stem).not.toBe(inputs[3]!.stem);
    expect(inputs[0]!.label).toBe(join(root, 'a.jpg'));
    expect(inputs[0]!.sha256).toBe(
      // sha256("one")
      '7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed',
    );
  });

  it('refuses missing paths and folders without images', async () => {
    await expect(collectInputs([join(tmp, 'nope.jpg')])).rejects.toThrow(
      /^input not found: .*nope\.jpg$/,
    );
    mkdirSync(join(tmp, 'empty'));
    await expect(collectInputs([join(tmp, 'empty')])).rejects.toBeInstanceOf(BatchInputError);
  });
});

describe('result files', () => {
  it('are named after the stem, chunks after their frames', () => {
    expect(resultPath(image)).toBe('/results/a.json');
    expect(resultPath({ ...image, kind: 'video', stem: 'v/clip', first: 100, count: 50 })).toBe(
      '/results/v/clip.frames-000100-000149.jsonl',
    );
  });

  it('are written whole (no temporary file left) and count as done only with the same settings', () => {
    const path = join(tmp, 'out', 'sub', 'x.json');
    const settings = { numAug: 1, camera: { defaultFovDegrees: 55 } };
    expect(isFinished(path, { settings, skeleton: '' })).toBe(false);
    writeAtomic(path, JSON.stringify({ skeleton: 'coco_19', settings }));
    expect(readdirSync(join(tmp, 'out', 'sub'))).toEqual(['x.json']);
    expect(isFinished(path, { settings, skeleton: '' })).toBe(true);
    expect(
      isFinished(path, { settings: { camera: settings.camera, numAug: 1 }, skeleton: 'coco_19' }),
    ).toBe(true);
    expect(isFinished(path, { settings, skeleton: 'smpl_24' })).toBe(false);
    expect(isFinished(path, { settings: { ...settings, numAug: 5 }, skeleton: '' })).toBe(false);
    writeFileSync(path, '{"settings": ');
    expect(isFinished(path, { settings, skeleton: '' })).toBe(false);
    const chunk = join(tmp, 'out', 'c.frames-000000-000001.jsonl');
    writeAtomic(chunk, `${JSON.stringify({ settings })}\n${JSON.stringify({ settings })}\n`);
    expect(isFinished(chunk, { settings, skeleton: '' })).toBe(true);
    expect(readFileSync(chunk, 'utf8').split('\n')).toHaveLength(3);
  });
});
