import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleKey } from '../../src/dataset/labels.js';
import { parseTarHeader, SkipLog, splitMemberName } from '../../src/dataset/read.js';
import { DatasetError, type DatasetExample, DatasetReader } from '../../src/dataset/reader-node.js';
import { tarArchive, tarHeader } from '../../src/dataset/tar.js';
import { DatasetWriter, type ShardExample } from '../../src/dataset/writer-node.js';
import { J, makeImage, makeLabels, SKELETON } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'metrabs-reader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const W = 20;
const H = 14;
let jpg: Uint8Array;
beforeAll(async () => {
  jpg = await makeImage(W, H, 'jpg');
});

async function writeDataset(dir: string, counts: number[], split = 'test'): Promise<void> {
  const writer = await DatasetWriter.open({
    outDir: dir,
    name: 'reader-test',
    skeleton: SKELETON,
    license: 'CC0',
    sources: ['test'],
    generator: { tool: 'test' },
    examplesPerShard: 3,
  });
  for (const [shard, count] of counts.entries()) {
    const examples: ShardExample[] = Array.from({ length: count }, (_, i) => {
      const key = exampleKey(shard * 3 + i);
      return {
        key,
        image: jpg,
        imageExt: 'jpg',
        labels: makeLabels(key, W, H, { numPeople: 1 + (i % 2), seed: i }),
      };
    });
    await writer.writeShard(split, shard, examples);
  }
}

async function readAll(dir: string, verifySha256 = true) {
  const reader = await DatasetReader.open(dir);
  const out: DatasetExample[] = [];
  for await (const ex of reader.examples('test', { verifySha256 })) out.push(ex);
  return { reader, out };
}

describe('DatasetReader', () => {
  it('round-trips what DatasetWriter wrote', async () => {
    const dir = join(root, 'ok');
    await writeDataset(dir, [3, 2]);
    const { reader, out } = await readAll(dir);
    expect(reader.splitNames()).toEqual(['test']);
    expect(reader.jointNames).toEqual(SKELETON.joint_names);
    expect(out.map((e) => e.key)).toEqual(['000000', '000001', '000002', '000003', '000004']);
    expect(out[0]!.shard).toBe('test/shard-000000.tar');
    expect(out[3]!.shard).toBe('test/shard-000001.tar');
    expect(reader.skipped.total).toBe(0);
    const expected = makeLabels('000001', W, H, { numPeople: 2, seed: 1 });
    const got = out[1]!;
    expect(Buffer.from(got.image).equals(Buffer.from(jpg))).toBe(true);
    expect(got.imageExt).toBe('jpg');
    expect(got.labels.people).toHaveLength(2);
    expect(got.labels.people[1]!.joints3d).toEqual(expected.people[1]!.joints3d);
    expect(got.labels.people[1]!.joints2d).toEqual(expected.people[1]!.joints2d);
    expect(got.labels.people[1]!.occluded).toEqual(expected.people[1]!.occluded);
    expect(got.labels.people[1]!.in_image).toHaveLength(J);
    expect(got.labels.camera.intrinsic_matrix).toEqual(expected.camera.intrinsic_matrix);
  });

  it('refuses unknown formats and versions, names the manifest; unknown split', async () => {
    const dir = join(root, 'version');
    await writeDataset(dir, [1]);
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    await expect(DatasetReader.open(dir).then((r) => r.split('train'))).rejects.toThrow(
      /no split "train".*test/,
    );
    writeFileSync(path, JSON.stringify({ ...manifest, version: 2 }));
    await expect(DatasetReader.open(dir)).rejects.toThrow(
      new RegExp(`${path}: unknown format version 2`),
    );
    writeFileSync(path, JSON.stringify({ ...manifest, format: 'other' }));
    await expect(DatasetReader.open(dir)).rejects.toBeInstanceOf(DatasetError);
    writeFileSync(path, '{not json');
    await expect(DatasetReader.open(dir)).rejects.toThrow(/manifest\.json: not valid JSON/);
    await expect(DatasetReader.open(join(root, 'nothing'))).rejects.toThrow(
      /manifest\.json: no dataset manifest/,
    );
  });

  it('a truncated, corrupt or missing shard is an error naming the file', async () => {
    const dir = join(root, 'corrupt');
    await writeDataset(dir, [3]);
    const shard = join(dir, 'test/shard-000000.tar');
    const bytes = readFileSync(shard);
    // Truncated in the middle of a member.
    truncateSync(shard, 1500);
    await expect(readAll(dir, false)).rejects.toThrow(new RegExp(`${shard}: truncated tar shard`));
    // Truncated at a member boundary: fewer examples than the manifest lists (no sha check).
    let cut = 0;
    for (let m = 0; m < 4; m++) {
      const size = parseTarHeader(new Uint8Array(bytes.subarray(cut, cut + 512)))!.size;
      cut += 512 + Math.ceil(size / 512) * 512;
    }
    writeFileSync(shard, bytes.subarray(0, cut));
    const reader = await DatasetReader.open(dir);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const ex of reader.examples('test')) seen.push(ex.key);
      })(),
    ).rejects.toThrow(/truncated tar shard: the manifest lists 3 examples/);
    expect(seen).toEqual(['000000', '000001']);
    // Garbage instead of a tar file.
    writeFileSync(shard, Buffer.alloc(4096, 7));
    await expect(readAll(dir, false)).rejects.toThrow(new RegExp(`${shard}: .*not a tar file`));
    // A changed byte: the SHA-256 check catches it.
    const changed = Buffer.from(bytes);
    changed[700] = changed[700]! ^ 1;
    writeFileSync(shard, changed);
    await expect(readAll(dir)).rejects.toThrow(/SHA-256 mismatch/);
    rmSync(shard);
    await expect(readAll(dir)).rejects.toThrow(
      /shard-000000\.tar: shard listed in the manifest does not exist/,
    );
  });

  it('skips and counts bad records, keeping the good ones', async () => {
    const dir = join(root, 'bad-records');
    await writeDataset(dir, [1]);
    const good = makeLabels('000000', W, H, { numPeople: 2 });
    const badPerson = structuredClone(good);
    (badPerson.people[0] as { box: number[] }).box = [0, 0, 0, 5];
    const badCamera = { ...structuredClone(good), key: '000002' };
    badCamera.camera.intrinsic_matrix = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ];
    const wrongJ = { ...structuredClone(good), key: '000005' };
    wrongJ.people[0]!.joints2d = wrongJ.people[0]!.joints2d.slice(1);
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const tar = tarArchive([
      { name: '000000.jpg', data: jpg },
      { name: '000000.json', data: enc(badPerson) },
      { name: '000001.json', data: enc({ ...good, key: '000001' }) }, // no image
      { name: '000002.jpg', data: jpg },
      { name: '000002.json', data: enc(badCamera) },
      { name: '000003.jpg', data: new TextEncoder().encode('not an image') },
      { name: '000003.json', data: enc({ ...good, key: '000003' }) },
      { name: '000004.jpg', data: jpg },
      { name: '000004.json', data: new TextEncoder().encode('{oops') },
      { name: '000005.jpg', data: jpg },
      { name: '000005.json', data: enc(wrongJ) },
      { name: '000006.jpg', data: jpg }, // no labels
    ]);
    writeFileSync(join(dir, 'test/shard-000000.tar'), tar);
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.splits.test.shards[0].examples = 6;
    delete manifest.splits.test.shards[0].sha256;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const { reader, out } = await readAll(dir);
    expect(out.map((e) => [e.key, e.labels.people.length])).toEqual([
      ['000000', 1],
      ['000005', 1],
    ]);
    expect(reader.skipped.toJSON().reasons).toEqual({
      'empty or zero-size box': 1,
      'missing image member': 1,
      'bad camera': 1,
      'undecodable image': 1,
      'unparsable labels': 1,
      'wrong joint count in joints2d': 1,
      'image without labels': 1,
    });
    expect(reader.skipped.total).toBe(7);
    expect(reader.skipped.summary()).toMatch(/7 records skipped/);
  });
});

describe('tar and name helpers', () => {
  it('parses headers and member names', () => {
    expect(parseTarHeader(tarHeader('a/000001.JPG', 1234))).toEqual({
      name: 'a/000001.JPG',
      size: 1234,
      type: '0',
    });
    expect(parseTarHeader(new Uint8Array(512))).toBeNull();
    const broken = tarHeader('x.json', 3);
    broken[0] = 0x79;
    expect(() => parseTarHeader(broken)).toThrow(/checksum/);
    expect(splitMemberName('a/000001.JPG')).toEqual(['000001', 'jpg']);
    expect(splitMemberName('README')).toEqual(['README', '']);
    const log = new SkipLog(1);
    log.add('x', 'a');
    log.add('x', 'b');
    expect(log.toJSON()).toEqual({ total: 2, reasons: { x: 2 }, examples: { x: ['a'] } });
  });
});
