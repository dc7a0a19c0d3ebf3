// npm prepack/postpack: copies the repository's models/default (the files the package ships)
// into model/ with their sha256 checksums, and removes the copy again after packing.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'model');
rmSync(out, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  const source = resolve(here, '../../models/default');
  mkdirSync(out);
  const checksums = {};
  for (const file of ['metrabs.json', 'model.onnx', 'README.md']) {
    copyFileSync(join(source, file), join(out, file));
    checksums[file] = createHash('sha256')
      .update(readFileSync(join(out, file)))
      .digest('hex');
  }
  writeFileSync(join(out, 'checksums.json'), `${JSON.stringify(checksums, null, 2)}\n`);
}
