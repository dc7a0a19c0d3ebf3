#!/usr/bin/env node
/**
 * Run after `npm install`/`npm ci` (the root `postinstall`): fails loudly when an install script
 * this project needs was skipped — by `--ignore-scripts`, by a future npm that blocks scripts
 * missing from `allowScripts`, or by a failed native build. Without it the install "succeeds"
 * and the damage shows up later as an obscure error in the middle of a run.
 *
 * Each check names the native file the package's install script must leave behind.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// METRABS_CHECK_ROOT: another tree to check (the tests use a fake one).
const root = process.env.METRABS_CHECK_ROOT ?? dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));

/** Installed package folder, or null when the package is absent. */
function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/** The needed install scripts: package, whether it may be absent, and the file it must build. */
export const NEEDED = [
  {
    name: 'gl',
    optional: true,
    file: 'build/Release/webgl.node',
    why: 'synth renders with headless WebGL; its install script builds the native binding',
  },
  {
    name: 'onnxruntime-node',
    optional: false,
    file: `bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`,
    why: 'every model runs on ONNX Runtime; its native binding must be present for this platform',
  },
];

/** Lists what is missing, one sentence each; empty when the install is complete. */
export function missingInstallScripts() {
  const problems = [];
  for (const need of NEEDED) {
    const dir = packageDir(need.name);
    if (dir === null) {
      if (!need.optional) problems.push(`${need.name} is not installed (${need.why})`);
      continue;
    }
    if (!existsSync(join(dir, need.file))) {
      problems.push(
        `${need.name} is installed but ${need.file} is missing: its install script was skipped or ` +
          `failed (${need.why}). Make sure it is listed in "allowScripts" in package.json and ` +
          `that --ignore-scripts is off, then run \`npm rebuild ${need.name}\`.`,
      );
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = missingInstallScripts();
  if (problems.length > 0) {
    for (const p of problems) console.error(`metrabs install check: error: ${p}`);
    process.exit(1);
  }
}
