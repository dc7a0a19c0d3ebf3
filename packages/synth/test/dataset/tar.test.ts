import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TAR_BLOCK,
  tarArchive,
  tarEnd,
  tarHeader,
  tarMemberSize,
  tarPadding,
} from '../../src/dataset/tar.js';
import { anyPython, runPython } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'metrabs-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const files = [
  { name: '000000.jpg', data: new Uint8Array(700).map((_, i) => (i * 7) & 255), mtime: 1700000000 },
  { name: '000000.json', data: enc('{"key":"000000"}'), mtime: 1700000000 },
  { name: 'empty.bin', data: new Uint8Array(0), mtime: 0 },
  { name: 'exact.bin', data: new Uint8Array(512).fill(65), mtime: 12345 },
  { name: `${'n'.repeat(96)}.txt`, data: enc('long name'), mtime: 1 },
];
const archive = tarArchive(files);
const path = join(dir, 'test.tar');
writeFileSync(path, archive);

describe('tar headers', () => {
  it('are one block with the right fields and checksum', () => {
    const h = tarHeader('a.json', 1234, { mtime: 0o17 });
    expect(h.length).toBe(TAR_BLOCK);
    const text = (from: number, n: number) =>
      String.fromCharCode(...h.subarray(from, from + n)).replace(/\0+$/, '');
    expect(text(0, 100)).toBe('a.json');
    expect(text(100, 8)).toBe('0000644');
    expect(text(124, 12)).toBe((1234).toString(8).padStart(11, '0'));
    expect(text(136, 12)).toBe('00000000017');
    expect(text(257, 6)).toBe('ustar');
    expect(text(263, 2)).toBe('00');
    expect(String.fromCharCode(h[156]!)).toBe('0');
    const stored = Number.parseInt(text(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    expect(stored).toBe(sum);
  });

  it('pads members to blocks and ends with two zero blocks', () => {
    expect(tarPadding(0).length).toBe(0);
    expect(tarPadding(1).length).toBe(511);
    expect(tarPadding(512).length).toBe(0);
    expect(tarMemberSize(700)).toBe(512 + 1024);
    expect(tarEnd()).toEqual(new Uint8Array(1024));
    expect(archive.length).toBe(files.reduce((n, f) => n + tarMemberSize(f.data.length), 1024));
    expect(archive.length % 512).toBe(0);
  });

  it('refuses names and sizes ustar cannot hold', () => {
    expect(() => tarHeader('x'.repeat(101), 0)).toThrow(/1–100/);
    expect(() => tarHeader('', 0)).toThrow();
    expect(() => tarHeader('/abs', 0)).toThrow(/relative/);
    expect(() => tarHeader('a/../b', 0)).toThrow(/relative/);
    expect(() => tarHeader('é.txt', 0)).toThrow(/ASCII/);
    expect(() => tarHeader('a', -1)).toThrow();
    expect(() => tarHeader('a', 8 ** 11)).toThrow();
    expect(() => tarHeader('a', 1.5)).toThrow();
    expect(() => tarHeader('a', 0, { mtime: -1 })).toThrow();
  });
});

describe('archives read by independent tar readers', () => {
  it('GNU/BSD tar lists every member with size, mode and mtime', () => {
    const r = spawnSync('tar', ['--numeric-owner', '-tvf', path], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(files.length);
    lines.forEach((line, i) => {
      const f = files[i]!;
      expect(line.startsWith('-rw-r--r--')).toBe(true);
      expect(line.endsWith(` ${f.name}`)).toBe(true);
      expect(line).toMatch(new RegExp(`\\s${f.data.length}\\s`));
    });
    expect(lines[0]).toContain('2023-11-14 22:13');
    const x = spawnSync('tar', ['-xOf', path, '000000.json'], { encoding: 'utf8' });
    expect(x.stdout).toBe('{"key":"000000"}');
  });

  const python = anyPython();
  it.skipIf(!python)('Python tarfile reads names, sizes, mtimes, modes and data', () => {
    const out = runPython(
      python!,
      `
import json, sys, tarfile, hashlib
with tarfile.open(sys.argv[1], 'r:') as tf:
    ms = []
    for m in tf:
        ms.append(dict(name=m.name, size=m.size, mtime=m.mtime, mode=m.mode, reg=m.isreg(),
                       uid=m.uid, offset=m.offset_data,
                       md5=hashlib.md5(tf.extractfile(m).read()).hexdigest()))
print(json.dumps(ms))
`,
      [path],
    ) as {
      name: string;
      size: number;
      mtime: number;
      mode: number;
      reg: boolean;
      offset: number;
      md5: string;
    }[];
    expect(out.map((m) => m.md5)).toEqual(
      files.map((f) => createHash('md5').update(f.data).digest('hex')),
    );
    expect(out.map((m) => m.name)).toEqual(files.map((f) => f.name));
    expect(out.map((m) => m.size)).toEqual(files.map((f) => f.data.length));
    expect(out.map((m) => m.mtime)).toEqual(files.map((f) => f.mtime));
    expect(out.every((m) => m.mode === 0o644 && m.reg)).toBe(true);
    let offset = 0;
    out.forEach((m, i) => {
      expect(m.offset).toBe(offset + 512);
      offset += tarMemberSize(files[i]!.data.length);
    });
  });
});
