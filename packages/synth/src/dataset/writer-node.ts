/**
 * Node writer of the dataset format (docs/dataset-format.md, version 1): `manifest.json` plus
 * POSIX tar shards `<split>/shard-XXXXXX.tar` of `<key>.<ext>` + `<key>.json` pairs.
 *
 * Shards are whole units of work. With S = `examplesPerShard`, shard i of a split holds the
 * examples with global indices [i·S, (i+1)·S) (the last shard may be shorter), keyed
 * `exampleKey(index)` (`000123`), so keys are unique within the split and a shard's content does
 * not depend on which other shards exist. A shard is streamed to `shard-XXXXXX.tar.partial`,
 * fsynced, renamed to `.tar`, and only then listed in the manifest, which is rewritten atomically
 * (temporary file, fsync, rename). A crash therefore never leaves a listed shard half-written.
 *
 * Resume: `DatasetWriter.open()` the same folder with the same options, `cleanPartials()`, then
 * write the shard indices not in `completedShards(split)`. Completed shards are never rewritten.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SynthError } from '../errors.js';
import type { SplitAssignment, SplitFractions } from '../splits.js';
import {
  type DatasetManifest,
  type ExampleLabels,
  exampleKey,
  FORMAT_NAME,
  FORMAT_VERSION,
  IMAGE_EXTENSIONS,
  type ImageExt,
  parseShardFileName,
  type ShardInfo,
  type SkeletonInfo,
  SPLIT_NAMES,
  type SplitInfo,
  shardFileName,
  skeletonProblems,
  validateExample,
} from './labels.js';
import { tarEnd, tarHeader, tarPadding } from './tar.js';

export type { DatasetManifest, ExampleLabels, ShardInfo } from './labels.js';

export const MANIFEST_FILE = 'manifest.json';
export const SPLITS_FILE = 'splits.json';

export interface DatasetWriterOptions {
  outDir: string;
  name: string;
  skeleton: SkeletonInfo;
  license: string;
  sources: string[];
  /**
   * How the data was made (tool, seed, settings). Re-opening an existing dataset requires a
   * deep-equal generator (key order aside), so a resumed run cannot mix seeds or settings; keep
   * volatile values (start times, host names) out of it.
   */
  generator: Record<string, unknown>;
  examplesPerShard: number;
  /** mtime of the tar members, seconds since 1970. Default 0: shards are byte-deterministic. */
  mtime?: number;
}

export interface ShardExample {
  /** Must be `exampleKey(shardIndex · examplesPerShard + position in the shard)`. */
  key: string;
  /** The encoded image (its header must match `imageExt` and the labels' width × height). */
  image: Uint8Array;
  imageExt: ImageExt;
  labels: ExampleLabels;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const errorCode = (e: unknown) =>
  typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;

function badOutput(message: string, cause?: unknown): SynthError {
  return new SynthError(
    'bad-output',
    cause === undefined ? message : `${message}: ${errorText(cause)}`,
    cause === undefined ? undefined : { cause },
  );
}

/** JSON with object keys sorted, for comparing settings regardless of key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function skeletonOf(s: SkeletonInfo): SkeletonInfo {
  return {
    name: s.name,
    joint_names: [...s.joint_names],
    edges: s.edges.map(([a, b]) => [a, b] as [number, number]),
    mirror: [...s.mirror],
  };
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/** fsync of a directory, so that a rename in it is durable (best effort: not on every OS). */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Directories cannot be opened or synced on some platforms (Windows); the rename stands.
  } finally {
    await fh?.close().catch(() => {});
  }
}

let tmpCounter = 0;

/** Writes `text` to `path` atomically: a temporary file beside it, fsync, rename, dir fsync. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}-${++tmpCounter}.tmp`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'w');
    await writeAll(fh, new TextEncoder().encode(text));
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw badOutput(`cannot write ${path}`, e);
  }
  await syncDir(resolve(path, '..'));
}

const SPLIT_PATTERN = /^[A-Za-z0-9_-]+$/;
const TMP_PATTERN = /^(manifest|splits)\.json\.\d+-\d+\.tmp$/;
const PROBE_PATTERN = /^\.write-test-\d+-[0-9a-f]+$/;
const PARTIAL_PATTERN = /^shard-\d{6,}\.tar\.partial$/;

function checkSplit(split: string): void {
  if (!SPLIT_PATTERN.test(split)) {
    throw new SynthError('bad-option', `split name must be letters, digits, "_" or "-": ${split}`);
  }
}

/** Train, validation, test first, then other splits by name. */
function orderSplits(splits: Record<string, SplitInfo>): Record<string, SplitInfo> {
  const known = SPLIT_NAMES.filter((s) => s in splits);
  const others = Object.keys(splits)
    .filter((s) => !(SPLIT_NAMES as readonly string[]).includes(s))
    .sort();
  const out: Record<string, SplitInfo> = {};
  for (const s of [...known, ...others]) out[s] = splits[s]!;
  return out;
}

function checkOptions(opts: DatasetWriterOptions): void {
  const bad = (message: string) => new SynthError('bad-option', `dataset writer: ${message}`);
  if (typeof opts.outDir !== 'string' || opts.outDir === '') throw bad('outDir is required');
  if (typeof opts.name !== 'string' || opts.name === '') throw bad('name is required');
  if (!Number.isSafeInteger(opts.examplesPerShard) || opts.examplesPerShard < 1) {
    throw bad(`examplesPerShard must be a positive integer, got ${opts.examplesPerShard}`);
  }
  const problems = skeletonProblems(opts.skeleton);
  if (problems.length > 0) throw bad(problems.join('; '));
  if (typeof opts.license !== 'string') throw bad('license must be a string');
  if (!Array.isArray(opts.sources) || !opts.sources.every((s) => typeof s === 'string')) {
    throw bad('sources must be a list of strings');
  }
  if (typeof opts.generator !== 'object' || opts.generator === null) {
    throw bad('generator must be an object');
  }
  const generatorJson = JSON.stringify(opts.generator);
  if (canonicalJson(JSON.parse(generatorJson)) !== canonicalJson(opts.generator)) {
    throw bad('generator must be plain JSON (no NaN, Infinity, undefined or typed arrays)');
  }
  if (opts.mtime !== undefined && (!Number.isSafeInteger(opts.mtime) || opts.mtime < 0)) {
    throw bad(`mtime must be a non-negative integer, got ${opts.mtime}`);
  }
}

export class DatasetWriter {
  readonly outDir: string;
  readonly manifestPath: string;
  private manifest: DatasetManifest;
  private readonly numJoints: number;
  private readonly examplesPerShard: number;
  private readonly mtime: number;
  /** Serialises manifest rewrites (writeShard may run concurrently for different shards). */
  private chain: Promise<void> = Promise.resolve();
  /** `split/index` of shards being written now. */
  private readonly inFlight = new Set<string>();

  private constructor(outDir: string, manifest: DatasetManifest, opts: DatasetWriterOptions) {
    this.outDir = outDir;
    this.manifestPath = join(outDir, MANIFEST_FILE);
    this.manifest = manifest;
    this.numJoints = opts.skeleton.joint_names.length;
    this.examplesPerShard = opts.examplesPerShard;
    this.mtime = opts.mtime ?? 0;
  }

  /**
   * Opens `outDir` for writing: creates it (and a new manifest with no shards) or reads its
   * manifest. Throws `SynthError('bad-output')` if the folder cannot be created or written, or
   * its manifest is unreadable, of another format/version, or of another dataset: a different
   * name, skeleton, `examplesPerShard` or generator (e.g. another seed), or a listed shard file
   * is missing. License and sources are updated to the given ones.
   */
  static async open(opts: DatasetWriterOptions): Promise<DatasetWriter> {
    checkOptions(opts);
    const outDir = resolve(opts.outDir);
    try {
      await mkdir(outDir, { recursive: true });
    } catch (e) {
      throw badOutput(`cannot create the output folder ${outDir}`, e);
    }
    const probe = join(outDir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const fh = await open(probe, 'wx');
      await fh.close();
      await unlink(probe);
    } catch (e) {
      throw badOutput(`the output folder ${outDir} is not writable`, e);
    }
    const manifestPath = join(outDir, MANIFEST_FILE);
    let text: string | null = null;
    try {
      text = await readFile(manifestPath, 'utf8');
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw badOutput(`cannot read ${manifestPath}`, e);
    }
    let manifest: DatasetManifest;
    if (text === null) {
      manifest = {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        name: opts.name,
        created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        skeleton: skeletonOf(opts.skeleton),
        splits: {},
        license: opts.license,
        sources: [...opts.sources],
        generator: JSON.parse(JSON.stringify(opts.generator)),
        examples_per_shard: opts.examplesPerShard,
      };
    } else {
      manifest = await checkExisting(outDir, manifestPath, text, opts);
      manifest.license = opts.license;
      manifest.sources = [...opts.sources];
    }
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return new DatasetWriter(outDir, manifest, opts);
  }

  /** A copy of the manifest as last written. */
  getManifest(): DatasetManifest {
    return structuredClone(this.manifest);
  }

  /** Indices of the shards of `split` that the manifest lists (complete). */
  completedShards(split: string): Set<number> {
    const shards = this.manifest.splits[split]?.shards ?? [];
    return new Set(shards.map((s) => parseShardFileName(s.path.slice(split.length + 1))!));
  }

  /**
   * Writes shard `shardIndex` of `split` from `examples` (streamed: one example in memory at a
   * time), validating each example (`validateExample`; keys must follow the shard's global
   * index range), then lists it in the manifest. On any error the partial file is removed and
   * the manifest is unchanged. Refuses (`bad-option`) a shard that is complete or being written.
   */
  async writeShard(
    split: string,
    shardIndex: number,
    examples: AsyncIterable<ShardExample> | Iterable<ShardExample>,
  ): Promise<ShardInfo> {
    checkSplit(split);
    const fileName = shardFileName(shardIndex);
    const id = `${split}/${shardIndex}`;
    if (this.completedShards(split).has(shardIndex)) {
      throw new SynthError('bad-option', `shard ${split}/${fileName} is already complete`);
    }
    if (this.inFlight.has(id)) {
      throw new SynthError('bad-option', `shard ${split}/${fileName} is being written already`);
    }
    this.inFlight.add(id);
    try {
      const dir = join(this.outDir, split);
      const finalPath = join(dir, fileName);
      const partialPath = `${finalPath}.partial`;
      let fh: FileHandle | undefined;
      try {
        await mkdir(dir, { recursive: true });
        fh = await open(partialPath, 'w');
      } catch (e) {
        throw badOutput(`cannot create ${partialPath}`, e);
      }
      const hash = createHash('sha256');
      let count = 0;
      let people = 0;
      const S = this.examplesPerShard;
      const put = async (data: Uint8Array) => {
        hash.update(data);
        try {
          await writeAll(fh!, data);
        } catch (e) {
          throw badOutput(`cannot write ${partialPath}`, e);
        }
      };
      const member = async (name: string, data: Uint8Array) => {
        await put(tarHeader(name, data.length, { mtime: this.mtime }));
        await put(data);
        await put(tarPadding(data.length));
      };
      try {
        for await (const ex of examples) {
          if (count >= S) {
            throw new SynthError(
              'bad-option',
              `shard ${split}/${fileName}: more than examplesPerShard = ${S} examples`,
            );
          }
          const expected = exampleKey(shardIndex * S + count);
          if (ex.key !== expected) {
            throw new SynthError(
              'bad-option',
              `shard ${split}/${fileName}: example ${count} must have key ${expected} ` +
                `(global index ${shardIndex} · ${S} + ${count}), got ${ex.key}`,
            );
          }
          if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ex.imageExt)) {
            throw new SynthError('bad-option', `example ${ex.key}: bad imageExt ${ex.imageExt}`);
          }
          if (ex.labels?.key !== ex.key) {
            throw new SynthError(
              'bad-output',
              `refusing to write example ${ex.key}: labels.key is ${String(ex.labels?.key)}`,
            );
          }
          validateExample(ex.labels, {
            numJoints: this.numJoints,
            imageExt: ex.imageExt,
            image: ex.image,
          });
          const json = new TextEncoder().encode(JSON.stringify(ex.labels));
          await member(`${ex.key}.${ex.imageExt}`, ex.image);
          await member(`${ex.key}.json`, json);
          count++;
          people += ex.labels.people.length;
        }
        if (count === 0) {
          throw new SynthError('bad-option', `shard ${split}/${fileName}: no examples`);
        }
        await put(tarEnd());
        try {
          await fh.sync();
          await fh.close();
          fh = undefined;
          await rename(partialPath, finalPath);
        } catch (e) {
          throw badOutput(`cannot finish ${finalPath}`, e);
        }
      } catch (e) {
        await fh?.close().catch(() => {});
        await unlink(partialPath).catch(() => {});
        throw e;
      }
      await syncDir(dir);
      const info: ShardInfo = {
        path: `${split}/${fileName}`,
        examples: count,
        people,
        sha256: hash.digest('hex'),
      };
      await this.enqueue(() => this.commitShard(split, info));
      return { ...info };
    } finally {
      this.inFlight.delete(id);
    }
  }

  /**
   * Removes what a crashed run left behind: `*.tar.partial` files in the split folders, shard
   * files of the known splits that the manifest does not list (renamed but never recorded), and
   * temporary manifest/splits files. Completed (listed) shards and shards being written by this
   * writer are left alone. Returns the removed paths relative to `outDir`, sorted.
   */
  async cleanPartials(): Promise<string[]> {
    const removed: string[] = [];
    const remove = async (rel: string) => {
      try {
        await unlink(join(this.outDir, rel));
        removed.push(rel);
      } catch (e) {
        if (errorCode(e) !== 'ENOENT') throw badOutput(`cannot remove ${rel}`, e);
      }
    };
    let entries: Dirent[];
    try {
      entries = await readdir(this.outDir, { withFileTypes: true });
    } catch (e) {
      throw badOutput(`cannot list ${this.outDir}`, e);
    }
    const splitDirs = new Set<string>([...SPLIT_NAMES, ...Object.keys(this.manifest.splits)]);
    for (const entry of entries) {
      if (entry.isFile() && (TMP_PATTERN.test(entry.name) || PROBE_PATTERN.test(entry.name))) {
        await remove(entry.name);
      }
      if (!entry.isDirectory() || !SPLIT_PATTERN.test(entry.name)) continue;
      const split = entry.name;
      const listed = this.completedShards(split);
      for (const file of await readdir(join(this.outDir, split))) {
        const index = parseShardFileName(file.replace(/\.partial$/, ''));
        if (index === null || this.inFlight.has(`${split}/${index}`)) continue;
        if (PARTIAL_PATTERN.test(file)) await remove(`${split}/${file}`);
        else if (splitDirs.has(split) && !listed.has(index)) await remove(`${split}/${file}`);
      }
    }
    return removed.sort();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Lists a finished shard (sorted by index, totals recomputed) and rewrites the manifest. */
  private async commitShard(split: string, info: ShardInfo): Promise<void> {
    const next = structuredClone(this.manifest);
    const entry = next.splits[split] ?? { examples: 0, people: 0, shards: [] };
    entry.shards = entry.shards.filter((s) => s.path !== info.path);
    entry.shards.push({ ...info });
    const indexOf = (s: ShardInfo) => parseShardFileName(s.path.slice(split.length + 1))!;
    entry.shards.sort((a, b) => indexOf(a) - indexOf(b));
    entry.examples = entry.shards.reduce((n, s) => n + s.examples, 0);
    entry.people = entry.shards.reduce((n, s) => n + s.people, 0);
    next.splits[split] = entry;
    next.splits = orderSplits(next.splits);
    await writeFileAtomic(this.manifestPath, `${JSON.stringify(next, null, 2)}\n`);
    this.manifest = next;
  }
}

/** Validates an existing manifest against the options (see `DatasetWriter.open`). */
async function checkExisting(
  outDir: string,
  path: string,
  text: string,
  opts: DatasetWriterOptions,
): Promise<DatasetManifest> {
  let m: DatasetManifest;
  try {
    m = JSON.parse(text) as DatasetManifest;
  } catch (e) {
    throw badOutput(`${path} is not valid JSON`, e);
  }
  const refuse = (why: string) =>
    badOutput(`${path}: ${why}; use another output folder or the same settings to resume`);
  if (typeof m !== 'object' || m === null || m.format !== FORMAT_NAME) {
    throw refuse(`not a ${FORMAT_NAME} manifest`);
  }
  if (m.version !== FORMAT_VERSION) {
    throw refuse(`format version ${String(m.version)}, this writer writes ${FORMAT_VERSION}`);
  }
  if (m.name !== opts.name) throw refuse(`dataset name is ${m.name}, not ${opts.name}`);
  if (skeletonProblems(m.skeleton).length > 0) throw refuse('its skeleton is malformed');
  if (typeof m.generator !== 'object' || m.generator === null) {
    throw refuse('its generator is not an object');
  }
  if (canonicalJson(skeletonOf(m.skeleton)) !== canonicalJson(skeletonOf(opts.skeleton))) {
    throw refuse(`the dataset has another skeleton (${m.skeleton?.name})`);
  }
  const splits = m.splits ?? {};
  const anyShards = Object.values(splits).some((s) => (s?.shards?.length ?? 0) > 0);
  if (
    m.examples_per_shard === undefined ? anyShards : m.examples_per_shard !== opts.examplesPerShard
  ) {
    throw refuse(
      `the dataset has ${m.examples_per_shard ?? 'an unknown number of'} examples per shard, ` +
        `not ${opts.examplesPerShard}`,
    );
  }
  m.examples_per_shard = opts.examplesPerShard;
  const old = m.generator;
  if (canonicalJson(old) !== canonicalJson(opts.generator)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(opts.generator)])].filter(
      (k) => canonicalJson(old[k]) !== canonicalJson(opts.generator[k]),
    );
    const seed =
      'seed' in old || 'seed' in opts.generator
        ? ` (seed ${canonicalJson(old['seed'])} vs ${canonicalJson(opts.generator['seed'])})`
        : '';
    throw refuse(`the generator settings differ in ${keys.join(', ')}${seed}`);
  }
  for (const [split, info] of Object.entries(splits)) {
    if (!SPLIT_PATTERN.test(split) || !Array.isArray(info?.shards)) {
      throw refuse(`malformed split ${split}`);
    }
    for (const shard of info.shards) {
      const index =
        typeof shard?.path === 'string' && shard.path.startsWith(`${split}/`)
          ? parseShardFileName(shard.path.slice(split.length + 1))
          : null;
      if (
        index === null ||
        !Number.isSafeInteger(shard.examples) ||
        !Number.isSafeInteger(shard.people)
      ) {
        throw refuse(
          `split ${split} lists a shard this writer did not write: ${canonicalJson(shard)}`,
        );
      }
      try {
        if (!(await stat(join(outDir, shard.path))).isFile()) throw new Error('not a file');
      } catch (e) {
        throw refuse(`listed shard ${shard.path} is missing (${errorText(e)})`);
      }
    }
  }
  m.splits = orderSplits(splits);
  return m;
}

export interface SplitsFileInfo {
  salt?: string;
  fractions?: SplitFractions;
  /** Free-text notes, e.g. the `note`s of `assetsForSplit` for shared kinds. */
  notes?: string[];
}

/** The content of `splits.json`. */
export interface SplitsFile extends SplitsFileInfo {
  format: 'metrabs-synth-splits';
  version: 1;
  assets: SplitAssignment;
}

/**
 * Writes `<outDir>/splits.json` atomically: the asset assignment (kind → split → ids) with the
 * salt and fractions that reproduce it. Returns its path.
 */
export async function writeSplitsFile(
  outDir: string,
  assignment: SplitAssignment,
  info: SplitsFileInfo = {},
): Promise<string> {
  const content: SplitsFile = {
    format: 'metrabs-synth-splits',
    version: 1,
    ...(info.salt !== undefined ? { salt: info.salt } : {}),
    ...(info.fractions !== undefined ? { fractions: info.fractions } : {}),
    ...(info.notes !== undefined ? { notes: info.notes } : {}),
    assets: assignment,
  };
  const path = join(resolve(outDir), SPLITS_FILE);
  try {
    await mkdir(resolve(outDir), { recursive: true });
  } catch (e) {
    throw badOutput(`cannot create the output folder ${outDir}`, e);
  }
  await writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`);
  return path;
}

/** Reads `<outDir>/splits.json`, or null if there is none. */
export async function readSplitsFile(outDir: string): Promise<SplitsFile | null> {
  const path = join(resolve(outDir), SPLITS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw badOutput(`cannot read ${path}`, e);
  }
  try {
    const parsed = JSON.parse(text) as SplitsFile;
    if (parsed.format !== 'metrabs-synth-splits' || parsed.version !== 1) throw new Error('format');
    return parsed;
  } catch (e) {
    throw badOutput(`${path} is not a metrabs-synth-splits file`, e);
  }
}
