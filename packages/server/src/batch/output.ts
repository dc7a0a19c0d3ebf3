/**
 * Result files of batch jobs. Each is written to a temporary name in the same folder and renamed
 * into place, so a reader (or `batch submit` checking what is done) sees either nothing or the
 * whole file, never half of one — also when a worker dies mid-write or two workers finish the
 * same job. A file counts as done when it holds a result made with the same settings.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BatchJobData, canonicalJson } from './queue.js';

/** Where a job's result goes: `<out>/<stem>.json`, or `<stem>.<first>-<last>.jsonl` for a chunk. */
export function resultPath(data: BatchJobData): string {
  if (data.kind === 'image') return join(data.out, `${data.stem}.json`);
  const pad = (n: number) => String(n).padStart(6, '0');
  return join(
    data.out,
    `${data.stem}.frames-${pad(data.first)}-${pad(data.first + data.count - 1)}.jsonl`,
  );
}

/** Writes `text` to `path` atomically (temporary file + rename). */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(
    dirname(path),
    `.${path.slice(dirname(path).length + 1)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** What decides whether an existing result answers a job: its settings and joint set. */
export interface ResultFingerprint {
  settings: unknown;
  /** The requested joint set; '' (the model's own) matches any. */
  skeleton: string;
}

/**
 * True when `path` holds a finished result made with `wanted` (for a chunk: its first line; a
 * chunk file only exists whole). Unreadable or foreign files are not finished.
 */
export function isFinished(path: string, wanted: ResultFingerprint): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  try {
    const first = path.endsWith('.jsonl') ? text.slice(0, text.indexOf('\n')) : text;
    const doc = JSON.parse(first) as { settings?: unknown; skeleton?: unknown };
    return (
      canonicalJson(doc.settings) === canonicalJson(wanted.settings) &&
      (wanted.skeleton === '' || doc.skeleton === wanted.skeleton)
    );
  } catch {
    return false;
  }
}
