/**
 * A minimal POSIX ustar writer (pure: builds header blocks and padding as `Uint8Array`s, no I/O).
 *
 * Only what dataset shards need: regular files with names of at most 100 bytes (printable ASCII,
 * relative), fixed mode/uid/gid, a given mtime. An archive is, per member, one 512-byte header
 * block, the data, zero padding to the next block boundary; then two zero blocks end it.
 * Readers (GNU tar, Python `tarfile`) accept archives without the optional record padding.
 */
import { SynthError } from '../errors.js';

/** Size of a tar block in bytes. */
export const TAR_BLOCK = 512;
/** Largest member size the 12-byte octal size field holds (11 octal digits): 8 GiB − 1. */
export const TAR_MAX_SIZE = 8 ** 11 - 1;

export interface TarEntryOptions {
  /** Modification time, seconds since 1970 (integer ≥ 0). Default 0 (deterministic archives). */
  mtime?: number;
  /** Permission bits. Default 0o644. */
  mode?: number;
}

/** Writes `value` as zero-padded octal in `width − 1` digits followed by NUL. */
function writeOctal(block: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) {
    throw new SynthError('bad-option', `tar: ${value} does not fit a ${width}-byte octal field`);
  }
  const text = digits.padStart(width - 1, '0');
  for (let i = 0; i < text.length; i++) block[offset + i] = text.charCodeAt(i);
  block[offset + width - 1] = 0;
}

function writeAscii(block: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) block[offset + i] = text.charCodeAt(i);
}

/** Throws unless `name` is a member name this writer supports. */
export function checkTarName(name: string): void {
  if (name.length === 0 || name.length > 100) {
    throw new SynthError('bad-option', `tar: member name must have 1–100 characters: ${name}`);
  }
  if (!/^[\x20-\x7e]+$/.test(name)) {
    throw new SynthError('bad-option', `tar: member name must be printable ASCII: ${name}`);
  }
  if (name.startsWith('/') || name.split('/').includes('..') || name.endsWith('/')) {
    throw new SynthError('bad-option', `tar: member name must be a relative file path: ${name}`);
  }
}

/**
 * The 512-byte ustar header of a regular file `name` of `size` bytes. The checksum is the sum of
 * all header bytes with the checksum field counted as 8 spaces, stored as 6 octal digits, NUL and
 * a space (the form GNU tar and Python write).
 */
export function tarHeader(name: string, size: number, options: TarEntryOptions = {}): Uint8Array {
  checkTarName(name);
  const mtime = options.mtime ?? 0;
  const mode = options.mode ?? 0o644;
  if (!Number.isSafeInteger(size) || size < 0 || size > TAR_MAX_SIZE) {
    throw new SynthError('bad-option', `tar: member size must be an integer in 0…${TAR_MAX_SIZE}`);
  }
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > TAR_MAX_SIZE) {
    throw new SynthError('bad-option', `tar: mtime must be a non-negative integer, got ${mtime}`);
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new SynthError('bad-option', `tar: mode must be in 0…0o7777, got ${mode}`);
  }
  const block = new Uint8Array(TAR_BLOCK);
  writeAscii(block, 0, name); // name[100]
  writeOctal(block, 100, 8, mode); // mode[8]
  writeOctal(block, 108, 8, 0); // uid[8]
  writeOctal(block, 116, 8, 0); // gid[8]
  writeOctal(block, 124, 12, size); // size[12]
  writeOctal(block, 136, 12, mtime); // mtime[12]
  block[156] = 0x30; // typeflag '0': regular file
  // linkname[100] stays empty
  writeAscii(block, 257, 'ustar'); // magic[6] = "ustar\0"
  writeAscii(block, 263, '00'); // version[2]
  // uname[32], gname[32], devmajor[8], devminor[8], prefix[155] stay empty
  block.fill(0x20, 148, 156); // checksum counted as spaces
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += block[i]!;
  writeOctal(block, 148, 7, sum); // 6 digits + NUL
  block[155] = 0x20;
  return block;
}

/** Number of zero bytes that pad a member of `size` bytes to the next block boundary. */
export function tarPaddingSize(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** The zero padding after a member of `size` bytes (possibly empty). */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array(tarPaddingSize(size));
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * TAR_BLOCK);
}

/** Bytes a member of `size` data bytes takes in the archive (header + data + padding). */
export function tarMemberSize(size: number): number {
  return TAR_BLOCK + size + tarPaddingSize(size);
}

/** The pieces of one member, in order: header, data, padding. */
export function tarMember(name: string, data: Uint8Array, options?: TarEntryOptions): Uint8Array[] {
  return [tarHeader(name, data.length, options), data, tarPadding(data.length)];
}

/** A whole archive in memory (for small archives and tests; shards are streamed instead). */
export function tarArchive(
  files: readonly { name: string; data: Uint8Array; mtime?: number; mode?: number }[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) parts.push(...tarMember(f.name, f.data, f));
  parts.push(tarEnd());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
