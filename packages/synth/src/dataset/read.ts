/**
 * The pure half of the dataset reader (docs/dataset-format.md, version 1): tar header parsing,
 * manifest checks, and the lenient per-record label rules of the format's "Reading" section
 * (the same rules as the trainer's `training/metrabs_train/dataset.py`): bad records are
 * skipped and counted in a `SkipLog`, never thrown. No I/O; `reader-node.ts` does the files.
 */
import { det3 } from '@metrabs/core';
import {
  type CameraLabels,
  type DatasetManifest,
  type ExampleLabels,
  type Flag,
  FORMAT_NAME,
  FORMAT_VERSION,
  type PersonLabels,
  type ShardInfo,
  skeletonProblems,
  type Vec2,
  type Vec3,
} from './labels.js';
import { TAR_BLOCK } from './tar.js';

/**
 * A problem with the dataset as a whole (manifest, a listed shard) that a reader must not skip:
 * missing, not a tar file, truncated, unknown format or version. `file` names the file.
 */
export class DatasetError extends Error {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'DatasetError';
    this.file = file;
  }
}

// ---------------------------------------------------------------------------------------------
// Skipped records

/** Counts of skipped records by reason, with the first few locations of each reason. */
export class SkipLog {
  readonly reasons = new Map<string, number>();
  readonly examples = new Map<string, string[]>();
  readonly maxExamplesPerReason: number;

  constructor(maxExamplesPerReason = 5) {
    this.maxExamplesPerReason = maxExamplesPerReason;
  }

  get total(): number {
    let n = 0;
    for (const count of this.reasons.values()) n += count;
    return n;
  }

  add(reason: string, where: string): void {
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    const list = this.examples.get(reason) ?? [];
    if (list.length < this.maxExamplesPerReason) list.push(where);
    this.examples.set(reason, list);
  }

  /** Plain JSON: `{ total, reasons: {reason: count}, examples: {reason: [where…]} }`. */
  toJSON(): { total: number; reasons: Record<string, number>; examples: Record<string, string[]> } {
    return {
      total: this.total,
      reasons: Object.fromEntries(this.reasons),
      examples: Object.fromEntries([...this.examples].map(([k, v]) => [k, [...v]])),
    };
  }

  /** One line, e.g. `3 records skipped: 2 × bad box (e.g. …); 1 × …`. */
  summary(): string {
    if (this.reasons.size === 0) return 'no records skipped';
    const parts = [...this.reasons]
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${n} × ${r} (e.g. ${(this.examples.get(r) ?? []).slice(0, 2).join(', ')})`);
    return `${this.total} records skipped: ${parts.join('; ')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Tar headers

export interface TarHeaderInfo {
  /** Member name (ustar prefix joined with name). */
  name: string;
  size: number;
  /** The typeflag character: '0' (or '\0') regular file, '5' directory, 'x' pax header, … */
  type: string;
}

function field(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return String.fromCharCode(...block.subarray(offset, end));
}

function octal(block: Uint8Array, offset: number, length: number): number | null {
  // GNU base-256 for large numbers: first byte has the high bit set.
  if ((block[offset]! & 0x80) !== 0) {
    let v = block[offset]! & 0x7f;
    for (let i = offset + 1; i < offset + length; i++) v = v * 256 + block[i]!;
    return v;
  }
  const text = field(block, offset, length).trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : null;
}

/** True if the 512-byte block is all zeros (end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Parses a 512-byte tar header block; returns null for a zero block (end of archive). Throws a
 * plain Error (the caller names the file) if the checksum or the size field is invalid.
 */
export function parseTarHeader(block: Uint8Array): TarHeaderInfo | null {
  if (block.length !== TAR_BLOCK) throw new Error(`a tar header must be ${TAR_BLOCK} bytes`);
  if (isZeroBlock(block)) return null;
  const stored = octal(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored === null || (stored !== unsigned && stored !== signed)) {
    throw new Error('bad tar header checksum (not a tar file, or corrupt)');
  }
  const size = octal(block, 124, 12);
  if (size === null) throw new Error('bad size field in a tar header');
  const name = field(block, 0, 100);
  const magic = field(block, 257, 6);
  const prefix = magic.startsWith('ustar') ? field(block, 345, 155) : '';
  const type = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  return { name: prefix ? `${prefix}/${name}` : name, size, type };
}

/** The `path` of a pax extended header's records (`"<len> path=<name>\n"`), if any. */
export function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let path: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) path = m[1];
  }
  return path;
}

/** `dir/000123.JPG` → `['000123', 'jpg']`; no extension → ext ''. */
export function splitMemberName(name: string): [string, string] {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? [base, ''] : [base.slice(0, dot), base.slice(dot + 1).toLowerCase()];
}

/** Image member extensions the reader accepts (`jpeg` too, as the trainer's reader does). */
export const READER_IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp'] as const;

/** True if the bytes start like a JPEG, PNG or WebP file. */
export function sniffImage(head: Uint8Array): boolean {
  const b = head;
  const jpeg = b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  const png =
    b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v);
  const ascii = (i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));
  const webp = b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP';
  return jpeg || png || webp;
}

// ---------------------------------------------------------------------------------------------
// Manifest

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed `manifest.json` (throws `DatasetError` naming `file`): known format and
 * version, a valid skeleton, and well-formed splits whose shard paths stay inside the dataset.
 */
export function checkManifest(raw: unknown, file: string): DatasetManifest {
  if (!isObject(raw) || raw['format'] !== FORMAT_NAME) {
    throw new DatasetError(
      file,
      `not a ${FORMAT_NAME} manifest (format is ${String(isObject(raw) ? raw['format'] : raw)})`,
    );
  }
  if (raw['version'] !== FORMAT_VERSION) {
    throw new DatasetError(
      file,
      `unknown format version ${JSON.stringify(raw['version'])}; this reader knows version ${FORMAT_VERSION}`,
    );
  }
  const problems = skeletonProblems(raw['skeleton']);
  if (problems.length > 0) throw new DatasetError(file, `bad skeleton: ${problems.join('; ')}`);
  const splits = raw['splits'];
  if (!isObject(splits)) throw new DatasetError(file, '"splits" must be an object');
  for (const [name, split] of Object.entries(splits)) {
    if (!isObject(split) || !Array.isArray(split['shards'])) {
      throw new DatasetError(file, `split "${name}" must have a "shards" list`);
    }
    for (const shard of split['shards'] as unknown[]) {
      const s = shard as Partial<ShardInfo> | null;
      const path = s?.path;
      if (
        typeof path !== 'string' ||
        path === '' ||
        path.startsWith('/') ||
        path.split('/').includes('..') ||
        !Number.isSafeInteger(s?.examples) ||
        (s?.examples as number) < 0
      ) {
        throw new DatasetError(
          file,
          `split "${name}" lists a malformed shard ${JSON.stringify(shard)}`,
        );
      }
      if (s?.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(String(s.sha256))) {
        throw new DatasetError(file, `shard ${path}: sha256 must be 64 lowercase hex digits`);
      }
    }
  }
  return raw as unknown as DatasetManifest;
}

// ---------------------------------------------------------------------------------------------
// Labels

/** A person as the reader returns it: every optional field filled in with its default. */
export interface ReadPerson extends PersonLabels {
  /** Position in the label file's `people` list (skipped people keep their numbers). */
  index: number;
  in_image: Flag[];
  occluded: Flag[];
  truncated: boolean;
}

/** Example labels as the reader returns them: valid people only, camera defaults filled in. */
export interface ReadLabels extends ExampleLabels {
  camera: CameraLabels & { distortion_coeffs: number[]; world_up: Vec3 };
  people: ReadPerson[];
}

class LabelProblem extends Error {
  readonly reason: string;
  constructor(reason: string, detail = '') {
    super(detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function rows(value: unknown, j: number, dims: number, what: string): number[][] {
  if (!Array.isArray(value)) throw new LabelProblem(`malformed ${what}`, 'not a list');
  if (value.length !== j) {
    throw new LabelProblem(`wrong joint count in ${what}`, `expected ${j}, got ${value.length}`);
  }
  for (const row of value) {
    if (!Array.isArray(row) || row.length !== dims || !row.every((x) => typeof x === 'number')) {
      throw new LabelProblem(`wrong-length or non-numeric rows in ${what}`);
    }
    if (!row.every(finite)) throw new LabelProblem(`non-finite values in ${what}`);
  }
  return value as number[][];
}

function flags(value: unknown, j: number, what: string, fallback?: Flag[]): Flag[] {
  if ((value === undefined || value === null) && fallback) return fallback;
  if (!Array.isArray(value)) throw new LabelProblem(`malformed ${what}`, 'not a list');
  if (value.length !== j) {
    throw new LabelProblem(`wrong joint count in ${what}`, `expected ${j}, got ${value.length}`);
  }
  return value.map((v) => {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (!finite(v)) throw new LabelProblem(`non-finite values in ${what}`);
    return v !== 0 ? 1 : 0;
  });
}

/** Determinant of a 3×3 matrix given as rows. */
function det3Rows(m: number[][]): number {
  return det3(Float64Array.from(m.flat()));
}

function matrix(v: unknown, r: number, c: number): number[][] | null {
  if (!Array.isArray(v) || v.length !== r) return null;
  for (const row of v) {
    if (!Array.isArray(row) || row.length !== c || !row.every(finite)) return null;
  }
  return v as number[][];
}

function parseCamera(camera: unknown): ReadLabels['camera'] {
  if (!isObject(camera)) throw new LabelProblem('bad camera', 'missing "camera" object');
  const K = matrix(camera['intrinsic_matrix'], 3, 3);
  if (!K || !(Math.abs(det3Rows(K)) >= 1e-9)) {
    throw new LabelProblem('bad camera', 'intrinsic_matrix must be a finite invertible 3×3 matrix');
  }
  const dist = camera['distortion_coeffs'] ?? [];
  if (!Array.isArray(dist) || dist.length > 12 || !dist.every(finite)) {
    throw new LabelProblem('bad camera', 'distortion_coeffs must be 0–12 finite numbers');
  }
  const up = camera['world_up'] ?? [0, -1, 0];
  if (!Array.isArray(up) || up.length !== 3 || !up.every(finite) || !(Math.hypot(...up) > 0)) {
    throw new LabelProblem('bad camera', 'world_up must be a finite non-zero 3-vector');
  }
  const E = camera['extrinsic_matrix'];
  if (E !== undefined && E !== null && !matrix(E, 4, 4)) {
    throw new LabelProblem('bad camera', 'extrinsic_matrix must be a finite 4×4 matrix');
  }
  return {
    intrinsic_matrix: K,
    distortion_coeffs: dist as number[],
    extrinsic_matrix: (E ?? null) as number[][] | null,
    world_up: up as Vec3,
  };
}

function parsePerson(
  p: unknown,
  j: number,
  size: { width: number; height: number } | null,
): Omit<ReadPerson, 'index'> {
  if (!isObject(p)) throw new LabelProblem('malformed person', 'not an object');
  const box = p['box'];
  if (!Array.isArray(box) || box.length !== 4 || !box.every((x) => typeof x === 'number')) {
    throw new LabelProblem('bad box', `expected [x, y, w, h], got ${JSON.stringify(box)}`);
  }
  if (!box.every(finite)) throw new LabelProblem('bad box', 'non-finite');
  if (!((box[2] as number) > 0 && (box[3] as number) > 0)) {
    throw new LabelProblem('empty or zero-size box', JSON.stringify(box));
  }
  const j3 = p['joints3d'];
  const joints3d = j3 === null || j3 === undefined ? null : (rows(j3, j, 3, 'joints3d') as Vec3[]);
  const joints2d = rows(p['joints2d'], j, 2, 'joints2d') as Vec2[];
  const jointValid = flags(p['joint_valid'], j, 'joint_valid');
  if (!jointValid.includes(1)) throw new LabelProblem('no valid joints');
  const computedInImage = joints2d.map(
    ([x, y]): Flag =>
      size === null || (x >= -0.5 && y >= -0.5 && x <= size.width - 0.5 && y <= size.height - 0.5)
        ? 1
        : 0,
  );
  const person: Omit<ReadPerson, 'index'> = {
    box: box as [number, number, number, number],
    joints3d,
    joints2d,
    joint_valid: jointValid,
    in_image: flags(p['in_image'], j, 'in_image', computedInImage),
    occluded: flags(p['occluded'], j, 'occluded', new Array<Flag>(j).fill(0)),
    truncated: Boolean(p['truncated'] ?? false),
  };
  if (isObject(p['mask'])) person.mask = p['mask'] as unknown as NonNullable<PersonLabels['mask']>;
  if (isObject(p['meta'])) person.meta = p['meta'];
  return person;
}

/**
 * The reader's view of one `<key>.json` (already JSON-parsed): null if the whole example must be
 * skipped (not an object, bad camera, malformed people list), else the labels with only the
 * valid people. Every skipped record is added to `skipped` with `where` (e.g. `shard:member`).
 */
export function readExampleLabels(
  raw: unknown,
  key: string,
  numJoints: number,
  skipped: SkipLog,
  where: string,
): ReadLabels | null {
  if (!isObject(raw)) {
    skipped.add('unparsable labels', `${where} (labels are not a JSON object)`);
    return null;
  }
  let camera: ReadLabels['camera'];
  try {
    camera = parseCamera(raw['camera']);
  } catch (e) {
    if (!(e instanceof LabelProblem)) throw e;
    skipped.add(e.reason, `${where} (${e.message})`);
    return null;
  }
  const image = isObject(raw['image']) ? raw['image'] : {};
  const width = Number.isSafeInteger(image['width']) ? (image['width'] as number) : 0;
  const height = Number.isSafeInteger(image['height']) ? (image['height'] as number) : 0;
  const size = width > 0 && height > 0 ? { width, height } : null;
  const rawPeople = raw['people'];
  if (!Array.isArray(rawPeople)) {
    skipped.add('malformed people list', where);
    return null;
  }
  const people: ReadPerson[] = [];
  rawPeople.forEach((p, i) => {
    try {
      people.push({ ...parsePerson(p, numJoints, size), index: i });
    } catch (e) {
      if (!(e instanceof LabelProblem)) throw e;
      skipped.add(e.reason, `${where} person ${i}`);
    }
  });
  const labels: ReadLabels = {
    key: typeof raw['key'] === 'string' ? raw['key'] : key,
    image: {
      file: typeof image['file'] === 'string' ? image['file'] : '',
      width,
      height,
    },
    camera,
    people,
  };
  if (isObject(raw['meta'])) labels.meta = raw['meta'];
  return labels;
}
