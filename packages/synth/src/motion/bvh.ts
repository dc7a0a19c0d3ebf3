/**
 * A parser for Biovision Hierarchy (BVH) motion files. Pure: it takes the file's text and a
 * name for messages, and touches no file system.
 *
 * Every malformed input throws `SynthError('bad-asset', '<file>:<line>: <what>')`. The one
 * exception is a *truncated* file — fewer motion rows than `Frames:` declares, possibly with
 * an incomplete last row: the complete rows are kept, `numFrames` is their count and the
 * shortfall is reported in `warnings`, because a cut-off download still holds usable motion.
 * A file with more rows than declared, or with a short row that is not the last line, is an
 * error.
 */
import { SynthError } from '../errors.js';

export type BvhChannel =
  | 'Xposition'
  | 'Yposition'
  | 'Zposition'
  | 'Xrotation'
  | 'Yrotation'
  | 'Zrotation';

const CHANNEL_NAMES: ReadonlySet<string> = new Set<BvhChannel>([
  'Xposition',
  'Yposition',
  'Zposition',
  'Xrotation',
  'Yrotation',
  'Zrotation',
]);

export interface BvhJoint {
  /** The joint's name; an End Site is named `<parent name>/End Site`. */
  readonly name: string;
  /** Index of the parent joint in `Bvh.joints`, −1 for a root. Parents precede children. */
  readonly parent: number;
  /** OFFSET from the parent joint, in the file's units, in the parent's frame. */
  readonly offset: readonly [number, number, number];
  /** CHANNELS in file order (empty for an End Site). */
  readonly channels: readonly BvhChannel[];
  /** Column of the first channel within a motion row. */
  readonly channelStart: number;
  /** True for an End Site (no channels, no children). */
  readonly endSite: boolean;
  /** 1-based line of the joint's ROOT/JOINT/End Site keyword. */
  readonly line: number;
}

export interface Bvh {
  /** The name passed to `parseBvh`, used in messages. */
  readonly fileName: string;
  /** Every joint and End Site in file (depth-first) order. */
  readonly joints: readonly BvhJoint[];
  /** Channels per motion row. */
  readonly numChannels: number;
  /** Motion rows kept (≤ `declaredFrames`; smaller only for a truncated file). */
  readonly numFrames: number;
  /** The `Frames:` value. */
  readonly declaredFrames: number;
  /** Seconds per frame (`Frame Time:`). */
  readonly frameTime: number;
  /** numFrames × numChannels values, row-major, as written (degrees, file units). */
  readonly motion: Float64Array;
  /** Non-fatal problems, e.g. truncation. Empty for a well-formed file. */
  readonly warnings: readonly string[];
}

export interface ParseBvhOptions {
  /** Read at most this many motion rows (e.g. 1 to inspect the hierarchy quickly). */
  maxFrames?: number;
}

interface Token {
  text: string;
  line: number;
}

function fail(fileName: string, line: number, message: string): never {
  throw new SynthError('bad-asset', `${fileName}:${line}: ${message}`);
}

/** Reads a text line by line without splitting all of it up front. */
class LineReader {
  private pos = 0;
  /** 1-based number of the line last returned by `next()`. */
  lineNo = 0;

  constructor(private readonly text: string) {}

  /** The next line without its terminator, or undefined at the end. */
  next(): string | undefined {
    const t = this.text;
    if (this.pos > t.length || (this.pos === t.length && this.lineNo > 0)) return undefined;
    let end = t.indexOf('\n', this.pos);
    if (end === -1) end = t.length;
    let stop = end;
    if (stop > this.pos && t.charCodeAt(stop - 1) === 13) stop--; // \r\n
    const line = t.slice(this.pos, stop);
    this.pos = end + 1;
    this.lineNo++;
    return line;
  }

  /** True if only whitespace follows the last line returned. */
  restIsBlank(): boolean {
    return this.pos >= this.text.length || this.text.slice(this.pos).trim().length === 0;
  }
}

function isNumericToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 0-9 . + - e E
    if (!((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69)) {
      return false;
    }
  }
  return true;
}

function parseNumber(fileName: string, tok: Token, what: string): number {
  const v = isNumericToken(tok.text) ? Number(tok.text) : Number.NaN;
  if (!Number.isFinite(v)) fail(fileName, tok.line, `${what}: '${tok.text}' is not a number`);
  return v;
}

/**
 * Parses BVH text. `fileName` only appears in error messages and `Bvh.fileName`.
 * Throws `SynthError('bad-asset')` naming the file and the 1-based line for malformed input.
 */
export function parseBvh(text: string, fileName: string, opts: ParseBvhOptions = {}): Bvh {
  if (text.trim().length === 0) fail(fileName, 1, 'empty file');
  const reader = new LineReader(text);

  // Tokenise the hierarchy: everything before the MOTION line.
  const tokens: Token[] = [];
  let motionLine = -1; // 1-based line of MOTION, −1 if absent
  for (let line = reader.next(); line !== undefined; line = reader.next()) {
    const trimmed = line.trim();
    if (trimmed === 'MOTION') {
      motionLine = reader.lineNo;
      break;
    }
    for (const p of trimmed.split(/\s+/))
      if (p.length > 0) tokens.push({ text: p, line: reader.lineNo });
  }
  const totalLines = reader.lineNo;
  if (tokens.length === 0) {
    fail(fileName, 1, 'missing HIERARCHY (file starts with MOTION)');
  }
  if (tokens[0]!.text !== 'HIERARCHY') {
    fail(fileName, tokens[0]!.line, `expected HIERARCHY, found '${tokens[0]!.text}'`);
  }

  const joints: BvhJoint[] = [];
  let numChannels = 0;
  let pos = 1;
  const lastLine = tokens[tokens.length - 1]!.line;
  const next = (expected: string): Token => {
    const t = tokens[pos];
    if (t === undefined) {
      const where = motionLine === -1 ? lastLine : motionLine;
      fail(
        fileName,
        where,
        `unexpected ${motionLine === -1 ? 'end of file' : 'MOTION'} while reading the ` +
          `hierarchy (expected ${expected}; unbalanced braces?)`,
      );
    }
    pos++;
    return t;
  };
  const expect = (word: string): Token => {
    const t = next(`'${word}'`);
    if (t.text !== word) fail(fileName, t.line, `expected '${word}', found '${t.text}'`);
    return t;
  };
  const readOffset = (): [number, number, number] => {
    expect('OFFSET');
    const x = parseNumber(fileName, next('an OFFSET value'), 'OFFSET');
    const y = parseNumber(fileName, next('an OFFSET value'), 'OFFSET');
    const z = parseNumber(fileName, next('an OFFSET value'), 'OFFSET');
    return [x, y, z];
  };
  /** Reads the name after ROOT/JOINT: the rest of that line, minus a trailing '{'. */
  const readName = (kw: Token): string => {
    const parts: string[] = [];
    while (pos < tokens.length && tokens[pos]!.line === kw.line && tokens[pos]!.text !== '{') {
      parts.push(tokens[pos]!.text);
      pos++;
    }
    if (parts.length === 0) fail(fileName, kw.line, `${kw.text} without a name`);
    return parts.join(' ');
  };

  const readJoint = (kw: Token, parent: number): void => {
    const name = readName(kw);
    expect('{');
    const offset = readOffset();
    const chTok = expect('CHANNELS');
    const count = parseNumber(fileName, next('a channel count'), 'CHANNELS count');
    if (!Number.isInteger(count) || count < 0 || count > 6) {
      fail(fileName, chTok.line, `CHANNELS count ${count} for '${name}' is not an integer 0…6`);
    }
    const channels: BvhChannel[] = [];
    for (let i = 0; i < count; i++) {
      const t = next('a channel name');
      if (!CHANNEL_NAMES.has(t.text)) {
        fail(fileName, t.line, `unknown channel '${t.text}' for '${name}'`);
      }
      channels.push(t.text as BvhChannel);
    }
    const index = joints.length;
    joints.push({
      name,
      parent,
      offset,
      channels,
      channelStart: numChannels,
      endSite: false,
      line: kw.line,
    });
    numChannels += count;
    for (;;) {
      const t = next("'JOINT', 'End Site' or '}'");
      if (t.text === '}') return;
      if (t.text === 'JOINT') {
        readJoint(t, index);
      } else if (t.text === 'End') {
        const site = next("'Site'");
        if (site.text !== 'Site') fail(fileName, site.line, `expected 'End Site'`);
        expect('{');
        const endOffset = readOffset();
        expect('}');
        joints.push({
          name: `${name}/End Site`,
          parent: index,
          offset: endOffset,
          channels: [],
          channelStart: numChannels,
          endSite: true,
          line: t.line,
        });
      } else {
        fail(
          fileName,
          t.line,
          `expected 'JOINT', 'End Site' or '}' in '${name}', found '${t.text}'`,
        );
      }
    }
  };

  while (pos < tokens.length) {
    const t = tokens[pos]!;
    pos++;
    if (t.text === 'ROOT') readJoint(t, -1);
    else if (t.text === '}') fail(fileName, t.line, "unbalanced braces: '}' without an open joint");
    else if (joints.length > 0 && motionLine === -1) {
      fail(fileName, t.line, `missing MOTION section (found '${t.text}' after the hierarchy)`);
    } else fail(fileName, t.line, `expected ROOT, found '${t.text}'`);
  }
  if (joints.length === 0) fail(fileName, lastLine, 'the HIERARCHY has no ROOT joint');
  if (motionLine === -1) fail(fileName, totalLines, 'missing MOTION section');

  // MOTION header: "Frames: N" and "Frame Time: t", each on its own line.
  const headerValue = (label: string): { value: number; line: number } => {
    let s = reader.next();
    while (s !== undefined && s.trim().length === 0) s = reader.next();
    if (s === undefined) fail(fileName, reader.lineNo, `missing '${label}' after MOTION`);
    s = s.trim();
    if (!s.startsWith(label)) {
      fail(fileName, reader.lineNo, `expected '${label}', found '${s.slice(0, 40)}'`);
    }
    const tok = { text: s.slice(label.length).trim(), line: reader.lineNo };
    return { value: parseNumber(fileName, tok, label), line: reader.lineNo };
  };
  const frames = headerValue('Frames:');
  if (!Number.isInteger(frames.value) || frames.value < 0) {
    fail(fileName, frames.line, `Frames: ${frames.value} is not a non-negative integer`);
  }
  if (frames.value === 0) fail(fileName, frames.line, 'zero frames');
  const ft = headerValue('Frame Time:');
  if (!(ft.value > 0)) fail(fileName, ft.line, `Frame Time: ${ft.value} is not positive`);

  const declared = frames.value;
  const wanted = Math.min(declared, opts.maxFrames ?? declared);
  const motion = new Float64Array(wanted * numChannels);
  const warnings: string[] = [];

  let row = 0;
  while (row < wanted) {
    const line = reader.next();
    if (line === undefined) break;
    const n = line.length;
    let k = 0;
    let col = 0;
    const base = row * numChannels;
    // Scan whitespace-separated numbers by hand: this is the hot loop.
    while (k < n) {
      let c = line.charCodeAt(k);
      while (k < n && (c === 32 || c === 9 || c === 11 || c === 12 || c === 13)) {
        c = line.charCodeAt(++k);
      }
      if (k >= n) break;
      const start = k;
      while (k < n && c !== 32 && c !== 9 && c !== 11 && c !== 12 && c !== 13) {
        c = line.charCodeAt(++k);
      }
      if (col >= numChannels) {
        fail(
          fileName,
          reader.lineNo,
          `frame ${row} has more than the ${numChannels} values the hierarchy's CHANNELS declare`,
        );
      }
      const s = line.slice(start, k);
      const v = isNumericToken(s) ? Number(s) : Number.NaN;
      if (!Number.isFinite(v))
        fail(fileName, reader.lineNo, `frame ${row}: '${s}' is not a number`);
      motion[base + col] = v;
      col++;
    }
    if (col === 0) continue; // blank line
    if (col < numChannels) {
      if (reader.restIsBlank()) {
        warnings.push(
          `${fileName}:${reader.lineNo}: last row is incomplete (${col} of ${numChannels} ` +
            'values); dropped as a truncated file',
        );
        break;
      }
      fail(
        fileName,
        reader.lineNo,
        `frame ${row} has ${col} values but the hierarchy's CHANNELS declare ${numChannels}`,
      );
    }
    row++;
  }
  if (row === wanted && wanted === declared) {
    // Anything but whitespace after the declared rows is an error.
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      if (line.trim().length > 0) {
        fail(fileName, reader.lineNo, `more motion rows than 'Frames: ${declared}'`);
      }
    }
  }
  if (row === 0) fail(fileName, reader.lineNo, 'zero frames (no motion rows)');
  if (row < wanted) {
    warnings.push(
      `${fileName}: truncated: 'Frames: ${declared}' but only ${row} complete rows; kept ${row}`,
    );
  }
  return {
    fileName,
    joints,
    numChannels,
    numFrames: row,
    declaredFrames: declared,
    frameTime: ft.value,
    motion: row === wanted ? motion : motion.slice(0, row * numChannels),
    warnings,
  };
}

/** Index of the joint named `name`, or −1. */
export function bvhJointIndex(bvh: Bvh, name: string): number {
  return bvh.joints.findIndex((j) => j.name === name);
}
