/**
 * The workspace's package boundaries (issue 15): packages use each other only by name,
 * through the public entry points in their `exports` maps, declare every package they import,
 * and the whole workspace installs one version of each third-party library.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  exports?: Record<string, unknown>;
  [key: string]: unknown;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const rootManifest = readJson<Manifest>(join(ROOT, 'package.json'));
/** Workspace packages by directory (relative to the root, e.g. `packages/core`). */
const packages = new Map<string, Manifest>(
  execFileSync('git', ['ls-files', 'packages/*/package.json'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((file) => [dirname(file), readJson<Manifest>(join(ROOT, file))]),
);
const byName = new Map([...packages].map(([dir, m]) => [m.name, { dir, manifest: m }]));

/** Tracked source files (TypeScript and JavaScript), relative to the root. */
const sources = execFileSync('git', ['ls-files', '*.ts', '*.tsx', '*.js', '*.mjs', '*.cjs'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f && !f.startsWith('training/'));

// Static imports and re-exports (statements start a line), side-effect imports, dynamic
// imports, require and import.meta.resolve.
const SPECIFIERS = [
  /^(?:import|export)\s[^;]*?\bfrom\s*(['"])([^'"\n]+)\1/gms,
  /^import\s*(['"])([^'"\n]+)\1/gm,
  /(?:\bimport\s*\(\s*|\brequire\s*\(\s*|import\.meta\.resolve\s*\(\s*)(['"])([^'"\n]+)\1/g,
];

function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return SPECIFIERS.flatMap((re) => [...text.matchAll(re)].map((m) => m[2]!));
}

/** Loaded only when running from TypeScript sources in a checkout (the root dev dependency). */
const SOURCE_ONLY = new Set(['tsx']);

/** `@scope/name/sub` → [`@scope/name`, `./sub`]; `three/addons/x.js` → [`three`, `./addons/x.js`]. */
function splitBare(specifier: string): [string, string] {
  const parts = specifier.split('?')[0]!.split('/');
  const n = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return [parts.slice(0, n).join('/'), rest ? `./${rest}` : '.'];
}

const BUILTINS = new Set(builtinModules);

function isBare(specifier: string): boolean {
  return !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
}

/** The workspace package a file belongs to (its directory), if any. */
function packageOf(file: string): string | undefined {
  const m = /^packages\/[^/]+/.exec(file);
  return m && packages.has(m[0]) ? m[0] : undefined;
}

/** Source files that ship in a package: its `src/` and `bin/`. */
function isShipped(file: string): boolean {
  return /^packages\/[^/]+\/(src|bin)\//.test(file);
}

function declared(manifest: Manifest, includeDev: boolean): Set<string> {
  const names = [
    manifest.dependencies,
    manifest.peerDependencies,
    manifest.optionalDependencies,
    includeDev ? manifest.devDependencies : undefined,
  ].flatMap((deps) => Object.keys(deps ?? {}));
  return new Set(names);
}

describe('package boundaries', () => {
  it('finds the workspace and its sources', () => {
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['@metrabs/core', '@metrabs/runtime', '@metrabs/cli']),
    );
    expect(sources.length).toBeGreaterThan(100);
  });

  it('no relative import leaves its package, and nothing imports another package’s src/', () => {
    const problems: string[] = [];
    for (const file of sources) {
      const own = packageOf(file);
      for (const spec of specifiers(file)) {
        if (/(^|\/)packages\/[^/]+\/src\//.test(spec) || /^@metrabs\/[^/]+\/src\//.test(spec)) {
          problems.push(`${file}: ${spec} (another package's src/)`);
          continue;
        }
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, resolve(ROOT, dirname(file), spec))
          .split(sep)
          .join('/');
        if (own) {
          const inside = target === own || target.startsWith(`${own}/`);
          // Tests may use the repository's shared test helpers; shipped code may not.
          const helper = !isShipped(file) && target.startsWith('test-support/');
          if (!inside && !helper) problems.push(`${file}: ${spec} → ${target}`);
        } else if (/^packages\/[^/]+\/src(\/|$)/.test(target)) {
          problems.push(`${file}: ${spec} → ${target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('imports of workspace packages use their exports maps', () => {
    const problems: string[] = [];
    for (const file of sources) {
      for (const spec of specifiers(file)) {
        if (!spec.startsWith('@metrabs/')) continue;
        const [name, sub] = splitBare(spec);
        const target = byName.get(name);
        if (!target) problems.push(`${file}: ${spec} (no such workspace package)`);
        else if (!Object.hasOwn(target.manifest.exports ?? {}, sub))
          problems.push(`${file}: ${spec} (${name} exports no "${sub}")`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every package declares what it imports (shipped code: not as a dev dependency)', () => {
    const problems: string[] = [];
    for (const file of sources) {
      const own = packageOf(file);
      if (!own) continue;
      const manifest = packages.get(own)!;
      const shipped = isShipped(file);
      const allowed = declared(manifest, !shipped);
      if (!shipped) for (const name of declared(rootManifest, true)) allowed.add(name);
      for (const spec of specifiers(file)) {
        if (!isBare(spec) || BUILTINS.has(spec.split('/')[0]!)) continue;
        const [name] = splitBare(spec);
        if (name === manifest.name || SOURCE_ONLY.has(name)) continue;
        if (!allowed.has(name)) problems.push(`${file}: ${name} is not declared in ${own}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('workspace dependencies are pinned to the workspace version', () => {
    const problems: string[] = [];
    for (const [dir, manifest] of packages) {
      for (const deps of [manifest.dependencies, manifest.peerDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {})) {
          const target = byName.get(name);
          if (target && range !== target.manifest['version'])
            problems.push(`${dir}: ${name}@${range}, workspace has ${target.manifest['version']}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('one version of each third-party library', () => {
  it('every package asks for the same version range of a library', () => {
    const ranges = new Map<string, Set<string>>();
    for (const manifest of [rootManifest, ...packages.values()]) {
      for (const deps of [
        manifest.dependencies,
        manifest.devDependencies,
        manifest.peerDependencies,
        manifest.optionalDependencies,
      ]) {
        for (const [name, range] of Object.entries(deps ?? {})) {
          if (byName.has(name)) continue;
          if (!ranges.has(name)) ranges.set(name, new Set());
          ranges.get(name)!.add(range);
        }
      }
    }
    const split = [...ranges].filter(([, r]) => r.size > 1).map(([n, r]) => `${n}: ${[...r]}`);
    expect(split).toEqual([]);
  });

  it('the lockfile installs one copy of each library the packages use (e.g. one three)', () => {
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(
      join(ROOT, 'package-lock.json'),
    );
    const used = new Set(
      [rootManifest, ...packages.values()].flatMap((m) => [...declared(m, true)]),
    );
    const versions = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path);
      if (!m || !used.has(m[1]!) || byName.has(m[1]!) || !entry.version) continue;
      if (!versions.has(m[1]!)) versions.set(m[1]!, new Set());
      versions.get(m[1]!)!.add(entry.version);
    }
    expect(versions.get('three')?.size).toBe(1);
    const several = [...versions].filter(([, v]) => v.size > 1).map(([n, v]) => `${n}: ${[...v]}`);
    expect(several).toEqual([]);
  });

  it('every package is publishable: dist entry points, files, engines, licence, README', () => {
    const problems: string[] = [];
    for (const [dir, m] of packages) {
      // Data-only packages (the default model) have no src/ to build.
      if (m.private || !existsSync(join(ROOT, dir, 'src'))) continue;
      for (const key of ['types', 'exports', 'files', 'engines', 'license', 'version']) {
        if (m[key] === undefined) problems.push(`${dir}: no "${key}"`);
      }
      if (!existsSync(join(ROOT, dir, 'README.md'))) problems.push(`${dir}: no README.md`);
      for (const [sub, target] of Object.entries(m.exports ?? {})) {
        if (sub === './package.json') continue;
        const t = target as Record<string, string>;
        if (!t['types']?.startsWith('./dist/') || !t['default']?.startsWith('./dist/'))
          problems.push(`${dir}: exports["${sub}"] must point into dist/ (types and default)`);
      }
    }
    expect(problems).toEqual([]);
  });
});
