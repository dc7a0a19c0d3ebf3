// Where the default model package is: `model/` once packed (pack-model.js copies it there),
// else the repository's models/default (a workspace checkout, where the files live in git).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packed = join(here, 'model');
const isPacked = existsSync(join(packed, 'checksums.json'));

/** The model package directory (metrabs.json, model.onnx). */
export const MODEL_DIR = isPacked ? packed : resolve(here, '../../models/default');

/** File name → sha256 (hex) recorded when the package was packed; `{}` in a checkout. */
export const MODEL_SHA256 = isPacked
  ? JSON.parse(readFileSync(join(packed, 'checksums.json'), 'utf8'))
  : {};
