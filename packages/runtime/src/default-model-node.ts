/**
 * Which model `createEstimator()` loads when none is given: `METRABS_MODEL`, else the
 * `@metrabs/model-default` package (installed with `@metrabs/node`; its files are checked
 * against the sha256 sums recorded when it was packed), else this repository's models/default.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelPackageError } from './model-package.js';

export const MODEL_ENV_VAR = 'METRABS_MODEL';
export const DEFAULT_MODEL_PACKAGE = '@metrabs/model-default';

/** `models/default` of this repository (used when running from a checkout). */
export const DEFAULT_MODEL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../models/default',
);

interface DefaultModelPackage {
  MODEL_DIR: string;
  MODEL_SHA256: Readonly<Record<string, string>>;
}

/** The default model package, if installed (it is an optional peer of the runtime). */
function loadDefaultModelPackage(): DefaultModelPackage | undefined {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${DEFAULT_MODEL_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  // Data package: two constants computed from its own files, so read them the same way.
  const dir = dirname(manifest);
  const packed = join(dir, 'model');
  const sums = join(packed, 'checksums.json');
  if (existsSync(sums))
    return { MODEL_DIR: packed, MODEL_SHA256: JSON.parse(readFileSync(sums, 'utf8')) };
  return { MODEL_DIR: resolve(dir, '../../models/default'), MODEL_SHA256: {} };
}

const verified = new Set<string>();

/** Checks a model directory's files against sha256 sums (once per directory and process). */
export function verifyModelFiles(dir: string, sha256: Readonly<Record<string, string>>): void {
  if (verified.has(dir)) return;
  for (const [file, expected] of Object.entries(sha256)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new ModelPackageError(`${path} is missing from the default model`);
    const actual = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (actual !== expected) {
      throw new ModelPackageError(
        `${path}: sha256 ${actual}, expected ${expected} — the default model is damaged; ` +
          `reinstall ${DEFAULT_MODEL_PACKAGE} (npm install ${DEFAULT_MODEL_PACKAGE})`,
      );
    }
  }
  verified.add(dir);
}

/**
 * The directory of the model to load by default. Throws `ModelPackageError` when the
 * default model package's files fail their checksums.
 */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[MODEL_ENV_VAR];
  if (fromEnv) return resolve(fromEnv);
  const pkg = loadDefaultModelPackage();
  if (pkg && existsSync(join(pkg.MODEL_DIR, 'metrabs.json'))) {
    verifyModelFiles(pkg.MODEL_DIR, pkg.MODEL_SHA256);
    return pkg.MODEL_DIR;
  }
  return DEFAULT_MODEL_DIR;
}
