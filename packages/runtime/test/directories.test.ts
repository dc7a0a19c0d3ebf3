/** Output folders: made when possible, refused at once (never a hang) when not. */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryError, ensureDirectory } from '../src/directories-node.js';

const tmp = mkdtempSync(join(tmpdir(), 'metrabs-dirs-'));

describe('ensureDirectory', () => {
  it('creates nested folders and returns the absolute path', () => {
    const dir = join(tmp, 'a', 'b', 'c');
    expect(ensureDirectory(dir)).toBe(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(ensureDirectory(dir)).toBe(dir);
  });

  it.skipIf(process.platform === 'win32')('refuses /proc and /sys at once', () => {
    for (const path of ['/proc/x', '/proc/self/x/y', '/sys/x']) {
      const started = Date.now();
      expect(() => ensureDirectory(path)).toThrow(DirectoryError);
      expect(() => ensureDirectory(path)).toThrow(/kernel file system/);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('refuses a path below a file, naming the file', () => {
    const file = join(tmp, 'plain');
    writeFileSync(file, 'x');
    expect(() => ensureDirectory(join(file, 'sub'))).toThrow(`${file} is a file, not a folder`);
    expect(existsSync(join(file, 'sub'))).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder that cannot be written', () => {
    expect(() => ensureDirectory('/root-owned-nope/x')).toThrow(/not writable/);
  });
});
