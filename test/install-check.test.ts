/**
 * Installs never silently lose a needed install script: every dependency with one is reviewed
 * in `allowScripts`, and `scripts/check-install.mjs` (the root postinstall) fails loudly when a
 * needed native file is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/check-install.mjs');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function check(root?: string) {
  return spawnSync(process.execPath, [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, ...(root ? { METRABS_CHECK_ROOT: root } : {}) },
  });
}

/** A fake installed tree: package folders with the given files. */
function fakeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'metrabs-install-'));
  writeFileSync(join(root, 'package.json'), '{"name":"fake","private":true}');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const ORT_BINDING = `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`;

describe('install scripts', () => {
  it('every dependency with an install script in the lockfile is reviewed in allowScripts', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    const withScripts = Object.entries(
      lock.packages as Record<string, { hasInstallScript?: boolean }>,
    )
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const reviewed = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@.*$/, '$1'));
    expect(withScripts.filter((name) => !reviewed.includes(name))).toEqual([]);
    expect(pkg.allowScripts.gl).toBe(true);
    expect(pkg.allowScripts['onnxruntime-node']).toBe(true);
  });

  it('the root postinstall runs the check, and this checkout passes it', () => {
    expect(pkg.scripts.postinstall).toBe('node scripts/check-install.mjs');
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a skipped gl install script fails loudly, naming the fix', () => {
    const root = fakeTree({
      'node_modules/gl/package.json': '{"name":"gl","version":"8.1.6"}',
      'node_modules/onnxruntime-node/package.json': '{"name":"onnxruntime-node"}',
      [ORT_BINDING]: '',
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: gl is installed but build\/Release\/webgl\.node is missing/);
    expect(r.stderr).toMatch(/allowScripts/);
    expect(r.stderr).toMatch(/npm rebuild gl/);
  });

  it('a missing ONNX Runtime binding fails; an absent optional gl does not', () => {
    const bad = check(
      fakeTree({ 'node_modules/onnxruntime-node/package.json': '{"name":"onnxruntime-node"}' }),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /onnxruntime-node is installed but .*onnxruntime_binding\.node is missing/,
    );
    const ok = check(
      fakeTree({
        'node_modules/onnxruntime-node/package.json': '{"name":"onnxruntime-node"}',
        [ORT_BINDING]: '',
      }),
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });
});
