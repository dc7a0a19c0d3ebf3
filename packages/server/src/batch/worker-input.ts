/** A job's input file as the worker reads it: the bytes that were submitted, or a final failure. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UnrecoverableError } from 'bullmq';
import { sha256File } from './inputs.js';
import type { BatchJobData } from './queue.js';

/** An image's bytes, refused when they are not what was submitted. */
export function readSubmitted(data: BatchJobData): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(data.input);
  } catch (e) {
    throw new UnrecoverableError(
      `${data.label}: cannot read ${data.input} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (createHash('sha256').update(bytes).digest('hex') !== data.sha256) {
    throw new UnrecoverableError(
      `${data.label}: the file changed after it was submitted; submit it again`,
    );
  }
  return bytes;
}

/** Refuses a (video) file that is not what was submitted, hashing it as a stream. */
export async function checkSubmitted(data: BatchJobData): Promise<void> {
  let hash: string;
  try {
    hash = await sha256File(data.input);
  } catch (e) {
    throw new UnrecoverableError(`${data.label}: ${(e as Error).message}`);
  }
  if (hash !== data.sha256) {
    throw new UnrecoverableError(
      `${data.label}: the file changed after it was submitted; submit it again`,
    );
  }
}
