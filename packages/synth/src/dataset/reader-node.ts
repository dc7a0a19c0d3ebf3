/**
 * Node reader of the dataset format (docs/dataset-format.md, version 1): opens `manifest.json`
 * (refusing unknown formats and versions) and streams the examples of a split, shard by shard,
 * member by member (positioned reads: one example in memory at a time).
 *
 * Reading rules as in the format's "Reading" section and the trainer's reader
 * (training/metrabs_train/dataset.py): bad records (an image without labels or the reverse, an
 * image that is not JPEG/PNG/WebP, unparsable JSON, a bad camera, bad people…) are skipped and
 * counted in `reader.skipped`; a missing, non-tar or truncated shard is a `DatasetError` naming
 * the file.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DatasetManifest, SplitInfo } from './labels.js';
import {
  checkManifest,
  DatasetError,
  isZeroBlock,
  parseTarHeader,
  paxPath,
  READER_IMAGE_EXTENSIONS,
  type ReadLabels,
  readExampleLabels,
  SkipLog,
  sniffImage,
  splitMemberName,
} from './read.js';
import { TAR_BLOCK, tarPaddingSize } from './tar.js';

export { DatasetError, type ReadLabels, type ReadPerson, SkipLog } from './read.js';

export const MANIFEST_FILE = 'manifest.json';

/** One example of a split: its image bytes and validated labels (only the valid people). */
export interface DatasetExample {
  key: string;
  split: string;
  /** The shard path relative to the dataset root, e.g. `test/shard-000000.tar`. */
  shard: string;
  /** The image member's extension in lower case: `jpg`, `jpeg`, `png` or `webp`. */
  imageExt: string;
  image: Uint8Array;
  labels: ReadLabels;
}

export interface ReadOptions {
  /** Check each shard's SHA-256 against the manifest (when listed) before reading it. */
  verifySha256?: boolean;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function readExactly(
  fh: FileHandle,
  position: number,
  length: number,
  file: string,
  what: string,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new DatasetError(
        file,
        `truncated tar shard: ${what} needs bytes up to ${position + length}, the file ends at ${position + done}`,
      );
    }
    done += bytesRead;
  }
  return buffer;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buffer = new Uint8Array(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

interface Member {
  name: string;
  /** Byte offset of the data in the shard. */
  offset: number;
  size: number;
}

/** Regular-file members of one shard, front to back; errors name the file. */
async function* members(fh: FileHandle, file: string, fileSize: number): AsyncGenerator<Member> {
  let offset = 0;
  let longName: string | undefined;
  for (;;) {
    if (offset >= fileSize) return; // no end-of-archive marker: the count check catches truncation
    const block = await readExactly(fh, offset, TAR_BLOCK, file, `the header at byte ${offset}`);
    if (isZeroBlock(block)) return;
    let header: ReturnType<typeof parseTarHeader>;
    try {
      header = parseTarHeader(block);
    } catch (e) {
      throw new DatasetError(
        file,
        offset === 0
          ? `not a tar file (${errorText(e)})`
          : `corrupt tar shard at byte ${offset} (${errorText(e)})`,
      );
    }
    if (header === null) return;
    const dataOffset = offset + TAR_BLOCK;
    if (dataOffset + header.size > fileSize) {
      throw new DatasetError(
        file,
        `truncated tar shard: member ${header.name} needs bytes up to ${dataOffset + header.size} but the file has ${fileSize}`,
      );
    }
    offset = dataOffset + header.size + tarPaddingSize(header.size);
    if (header.type === 'x' || header.type === 'L') {
      const data = await readExactly(fh, dataOffset, header.size, file, header.name);
      longName =
        header.type === 'x'
          ? (paxPath(data) ?? longName)
          : new TextDecoder().decode(data).replace(/\0+$/, '');
      continue;
    }
    const name = longName ?? header.name;
    longName = undefined;
    if (header.type === '0' || header.type === '7') {
      yield { name, offset: dataOffset, size: header.size };
    }
  }
}

/** An opened dataset: its manifest, and the examples of its splits as async iterables. */
export class DatasetReader {
  readonly dir: string;
  readonly manifest: DatasetManifest;
  /** Records skipped so far by every `examples()` iteration of this reader. */
  readonly skipped = new SkipLog();

  private constructor(dir: string, manifest: DatasetManifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  /**
   * Reads and checks `<dir>/manifest.json`. Throws `DatasetError` naming the file if the folder
   * or manifest is missing, is not JSON, or has an unknown `format` / `version`.
   */
  static async open(dir: string): Promise<DatasetReader> {
    const root = resolve(dir);
    const path = join(root, MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DatasetError(
        path,
        code === 'ENOENT'
          ? 'no dataset manifest here (missing file)'
          : `cannot read (${errorText(e)})`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new DatasetError(path, `not valid JSON (${errorText(e)})`);
    }
    return new DatasetReader(root, checkManifest(raw, path));
  }

  /** Names of the splits the manifest lists. */
  splitNames(): string[] {
    return Object.keys(this.manifest.splits);
  }

  /** The manifest entry of `split`; throws `DatasetError` if there is none. */
  split(name: string): SplitInfo {
    const info = this.manifest.splits[name];
    if (!info) {
      const known = this.splitNames();
      throw new DatasetError(
        join(this.dir, MANIFEST_FILE),
        `no split "${name}" (the dataset has ${known.length > 0 ? known.join(', ') : 'no splits'})`,
      );
    }
    return info;
  }

  /** Joint names of the dataset's skeleton. */
  get jointNames(): string[] {
    return this.manifest.skeleton.joint_names;
  }

  /**
   * The examples of `split` in shard order, each with its image bytes and validated labels.
   * Skipped records go to `this.skipped`. Throws `DatasetError` (naming the shard) when a
   * listed shard is missing, not a tar file, truncated (also at a member boundary: fewer label
   * members than the manifest's `examples`), or fails its SHA-256 check.
   */
  async *examples(split: string, options: ReadOptions = {}): AsyncGenerator<DatasetExample> {
    const info = this.split(split);
    const numJoints = this.manifest.skeleton.joint_names.length;
    for (const shard of info.shards) {
      const path = join(this.dir, shard.path);
      let fh: FileHandle;
      try {
        fh = await open(path, 'r');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new DatasetError(
          path,
          code === 'ENOENT'
            ? 'shard listed in the manifest does not exist'
            : `cannot open shard (${errorText(e)})`,
        );
      }
      try {
        const size = (await fh.stat()).size;
        if (options.verifySha256 && shard.sha256) {
          const actual = await fileSha256(path);
          if (actual !== shard.sha256) {
            throw new DatasetError(
              path,
              `SHA-256 mismatch: the manifest says ${shard.sha256}, the file has ${actual}`,
            );
          }
        }
        yield* this.readShard(fh, path, size, split, shard.path, shard.examples, numJoints);
      } finally {
        await fh.close();
      }
    }
  }

  private async *readShard(
    fh: FileHandle,
    path: string,
    size: number,
    split: string,
    shardPath: string,
    expected: number,
    numJoints: number,
  ): AsyncGenerator<DatasetExample> {
    const shardName = shardPath.slice(shardPath.lastIndexOf('/') + 1);
    let pending: { key: string; ext: string; name: string; bytes: Uint8Array } | null = null;
    let labelMembers = 0;
    const flushPending = () => {
      if (pending) this.skipped.add('image without labels', `${shardName}:${pending.name}`);
      pending = null;
    };
    for await (const m of members(fh, path, size)) {
      const [key, ext] = splitMemberName(m.name);
      if ((READER_IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
        flushPending();
        const bytes = await readExactly(fh, m.offset, m.size, path, m.name);
        pending = { key, ext, name: m.name, bytes };
        continue;
      }
      if (ext !== 'json') continue;
      labelMembers++;
      const where = `${shardName}:${m.name}`;
      const image: { key: string; ext: string; name: string; bytes: Uint8Array } | null =
        pending !== null && (pending as { key: string }).key === key ? pending : null;
      if (image === null) flushPending();
      pending = null;
      if (image === null) {
        this.skipped.add('missing image member', where);
        continue;
      }
      if (!(image.bytes.length > 0 && sniffImage(image.bytes.subarray(0, 16)))) {
        this.skipped.add('undecodable image', `${shardName}:${image.name}`);
        continue;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(
          new TextDecoder('utf-8', { fatal: true }).decode(
            await readExactly(fh, m.offset, m.size, path, m.name),
          ),
        );
      } catch (e) {
        if (e instanceof DatasetError) throw e;
        this.skipped.add('unparsable labels', `${where} (${errorText(e)})`);
        continue;
      }
      const labels = readExampleLabels(raw, key, numJoints, this.skipped, where);
      if (labels === null) continue;
      yield { key, split, shard: shardPath, imageExt: image.ext, image: image.bytes, labels };
    }
    flushPending();
    if (labelMembers < expected) {
      throw new DatasetError(
        path,
        `truncated tar shard: the manifest lists ${expected} examples, the file has ${labelMembers}`,
      );
    }
  }
}

/** `DatasetReader.open(dir)`. */
export function openDataset(dir: string): Promise<DatasetReader> {
  return DatasetReader.open(dir);
}
