import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SynthError } from './errors.js';

/** Sub-folders of the asset root that rendering needs. */
export const ASSET_FOLDERS = {
  body: 'body/makehuman',
  cmu: 'mocap/cmu/iclone_bvh',
  bandai: 'mocap/bandai',
  backgrounds: 'backgrounds',
} as const;

const here = dirname(fileURLToPath(import.meta.url));
/** `../shared/data` next to the repository checkout. */
export const DEFAULT_ASSET_ROOT = resolve(here, '../../../../shared/data');

/**
 * The asset root: the explicit option, else `METRABS_ASSETS`, else `../shared/data` beside the
 * repository. Throws `missing-assets` naming every missing folder.
 */
export function resolveAssetRoot(explicit?: string): string {
  const root = resolve(explicit ?? process.env.METRABS_ASSETS ?? DEFAULT_ASSET_ROOT);
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new SynthError(
      'missing-assets',
      `asset folder ${root} is a file, not a folder; pass --assets DIR or set METRABS_ASSETS ` +
        '(it must hold body/makehuman, mocap/ and backgrounds/ as described in docs/synth.md)',
    );
  }
  if (!existsSync(root)) {
    throw new SynthError(
      'missing-assets',
      `asset folder ${root} does not exist; pass --assets DIR or set METRABS_ASSETS ` +
        '(it must hold body/makehuman, mocap/ and backgrounds/ as described in docs/synth.md)',
    );
  }
  const missing = Object.values(ASSET_FOLDERS).filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    throw new SynthError(
      'missing-assets',
      `asset folder ${root} lacks ${missing.join(', ')} (see docs/synth.md for the layout)`,
    );
  }
  return root;
}
