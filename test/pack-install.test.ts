/**
 * Proof from outside (issue 15): every package is packed with `npm pack`, the tarballs are
 * installed offline into a fresh project outside the repository (tarballs + the npm cache
 * only), and there the README's script (test/outside/estimate.ts) is type-checked with tsc and
 * run on the sample image, and `npx metrabs detect` runs on it.
 *
 * Offline: npm cannot resolve version ranges without registry metadata, so the project gets
 * a lockfile — the third-party part of this repository's lockfile (the same versions `npm ci`
 * put in the cache) plus the tarballs.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../test-support/result-schema.js';
import { sharedData } from '../test-support/shared-data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Packed in dependency order; @metrabs/web-app (the browser app) is private. */
const PACKAGES = ['core', 'runtime', 'synth', 'server', 'cli', 'model-default', 'node', 'web-lib'];
const REGISTRY = 'https://registry.npmjs.org/';
const data = sharedData(['detector/yolox_nano.onnx'], 'pack-install');

interface LockEntry {
  version?: string;
  resolved?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Where Node would find `name` from the lockfile path `from` (walking up node_modules). */
function locate(packages: Record<string, LockEntry>, from: string, name: string) {
  for (let base = from; ; ) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** Required (and installed-optional) dependencies of a lock entry. */
function needs(entry: LockEntry): string[] {
  const optionalPeers = new Set(
    Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, m]) => m.optional)
      .map(([n]) => n),
  );
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
  ];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('the README', () => {
  it("shows the outside test's script verbatim in its Using section", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const script = readFileSync(join(ROOT, 'test', 'outside', 'estimate.ts'), 'utf8');
    const using = readme.slice(readme.indexOf('## Using\n'));
    expect(using).toContain(`\`\`\`ts\n${script}\`\`\``);
  });
});

describe.skipIf(data.skip)('installed from packed tarballs, outside the repository', () => {
  const work = mkdtempSync(join(tmpdir(), 'metrabs-outside-'));
  const project = join(work, 'project');
  afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

  it('packs every package and installs the tarballs offline', () => {
    expect(relative(ROOT, work).startsWith('..')).toBe(true);
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const manifests = new Map<string, LockEntry & { name: string }>();
    for (const dir of PACKAGES) {
      const json = JSON.parse(
        run('npm', ['pack', '--json', '--pack-destination', tarballs], join(ROOT, 'packages', dir)),
      ) as { filename: string }[];
      const manifest = JSON.parse(
        readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'),
      );
      manifests.set(manifest.name, { ...manifest, resolved: join(tarballs, json[0]!.filename) });
    }

    // The project: the user-facing package plus TypeScript, as a user would set it up.
    mkdirSync(project);
    const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const rootLock = repoLock.packages[''] as LockEntry & {
      devDependencies: Record<string, string>;
    };
    const dependencies = {
      '@metrabs/node': `file:${manifests.get('@metrabs/node')!.resolved}`,
      typescript: rootLock.devDependencies['typescript']!,
      '@types/node': rootLock.devDependencies['@types/node']!,
    };
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'outside', private: true, type: 'module', dependencies }, null, 2),
    );

    // Its lockfile: the tarballs, and the closure of third-party packages they need.
    const lock: Record<string, LockEntry> = { '': { name: 'outside', dependencies } };
    const tarballEntries: Record<string, LockEntry> = {};
    for (const [name, m] of manifests) {
      const entry: LockEntry = {
        version: m.version as string,
        resolved: `file:${m.resolved}`,
        ...(m.dependencies ? { dependencies: m.dependencies } : {}),
        ...(m.optionalDependencies ? { optionalDependencies: m.optionalDependencies } : {}),
        ...(m.peerDependencies ? { peerDependencies: m.peerDependencies } : {}),
        ...(m.peerDependenciesMeta ? { peerDependenciesMeta: m.peerDependenciesMeta } : {}),
        ...(m['bin'] ? { bin: m['bin'] } : {}),
      };
      tarballEntries[`node_modules/${name}`] = entry;
    }
    const entryAt = (key: string) => tarballEntries[key] ?? repoLock.packages[key]!;
    const queue: [string, LockEntry][] = ['@metrabs/node', 'typescript', '@types/node'].map(
      (name) => [`node_modules/${name}`, entryAt(`node_modules/${name}`)],
    );
    while (queue.length > 0) {
      const [path, entry] = queue.pop()!;
      // The repository's lockfile leaves out registry URLs; without one npm asks the registry.
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      lock[path] ??= entry.resolved
        ? entry
        : {
            ...entry,
            resolved: `${REGISTRY}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`,
          };
      for (const dep of needs(entry)) {
        const own = `node_modules/${dep}`;
        const key = tarballEntries[own] ? own : locate(repoLock.packages, path, dep);
        if (!key) continue; // an optional dependency not installed for this platform
        if (!lock[key]) queue.push([key, entryAt(key)]);
      }
    }
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify(
        { name: 'outside', lockfileVersion: 3, requires: true, packages: lock },
        null,
        2,
      ),
    );
    // --ignore-scripts: the renderer's optional headless-gl would be compiled from source (minutes,
    // and offline it cannot fetch Node's headers); nothing here renders, and the other install
    // scripts (onnxruntime-node: skipped anyway; sharp: prebuilt) are not needed.
    run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
    const installed = run('npm', ['ls', '--all', '--parseable'], project);
    expect(installed).toContain(join(project, 'node_modules', '@metrabs', 'model-default'));
  }, 600_000);

  it("type-checks and runs the README's script", () => {
    mkdirSync(join(project, 'samples'));
    copyFileSync(
      join(ROOT, 'samples', 'synthetic-street.jpg'),
      join(project, 'samples', 'synthetic-street.jpg'),
    );
    copyFileSync(join(ROOT, 'test', 'outside', 'estimate.ts'), join(project, 'estimate.ts'));
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['estimate.ts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    run('npx', ['--no-install', 'tsc', '-p', '.'], project);
    const out = run('node', ['estimate.js'], project, {
      METRABS_DETECTOR: data.path('detector/yolox_nano.onnx'),
    });
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) {
      const m = /^person \d+: pelvis at (-?\d+), (-?\d+), (-?\d+) mm$/.exec(line);
      expect(m, line).not.toBeNull();
      // People in front of the camera, metres away.
      expect(Number(m![3])).toBeGreaterThan(1000);
    }
  }, 300_000);

  it('runs npx metrabs detect on the sample', () => {
    copyFileSync(
      join(ROOT, 'samples', 'synthetic-street.camera.json'),
      join(project, 'samples', 'synthetic-street.camera.json'),
    );
    run(
      'npx',
      [
        'metrabs',
        'detect',
        'samples/synthetic-street.jpg',
        '--intrinsics',
        'samples/synthetic-street.camera.json',
        '--num-aug',
        '1',
        '--no-viz',
      ],
      project,
      { METRABS_DETECTOR: data.path('detector/yolox_nano.onnx') },
    );
    const json = JSON.parse(
      readFileSync(join(project, 'metrabs-out', 'synthetic-street.json'), 'utf8'),
    );
    expect(resultSchemaErrors(json)).toEqual([]);
    expect(json.people).toBeGreaterThanOrEqual(1);
    expect(resolve(json.model.dir)).toBe(
      join(project, 'node_modules', '@metrabs', 'model-default', 'model'),
    );
  }, 300_000);
});
