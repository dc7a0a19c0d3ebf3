/**
 * The catalogue of motion clips under an asset root (Node fs): every `.bvh` below
 * `<root>/mocap/cmu/iclone_bvh` and `<root>/mocap/bandai`, each with a stable id, and
 * `loadClip` to read one into a `MotionClip`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ASSET_FOLDERS, resolveAssetRoot } from '../assets.js';
import { SynthError } from '../errors.js';
import { parseBvh } from './bvh.js';
import { clipFromBvh, LICENSES, type MotionClip } from './clip.js';
import { BANDAI_RIG, CC_BASE_RIG, LIFTED_RIG, type MotionRig, type MotionSource } from './rigs.js';

export interface MotionCatalogEntry {
  /**
   * Stable id: `cmu/<subject>_<trial>` in CMU's own two-digit style (file `001_01.bvh` →
   * `cmu/01_01`), or `bandai/<file name without .bvh>`.
   */
  id: string;
  /** Absolute path of the `.bvh`. */
  path: string;
  source: MotionSource;
  license: string;
  /** The rig name (`cc_base` for CMU via iClone, `bandai`, `lifted` for pose galleries). */
  rig: MotionRig['name'];
  /** CMU's motion description (from CMU_data.csv) or Bandai's `<content> (<style>)`. */
  description: string;
}

function listBvh(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listBvh(p));
    else if (name.toLowerCase().endsWith('.bvh')) out.push(p);
  }
  return out;
}

/** CMU_data.csv: "Subject","Trial #","Motion Description",… → description by `SS_TT`. */
function readCmuDescriptions(dir: string): Map<string, string> {
  const file = join(dir, 'CMU_data.csv');
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/).slice(1)) {
    const m = /^(\d+),(\d+),"((?:[^"]|"")*)"/.exec(line);
    if (m) out.set(cmuKey(Number(m[1]), Number(m[2])), m[3]!.replace(/""/g, '"'));
  }
  return out;
}

function cmuKey(subject: number, trial: number): string {
  return `${String(subject).padStart(2, '0')}_${String(trial).padStart(2, '0')}`;
}

/**
 * Every clip under `assetRoot` (default: `resolveAssetRoot()`), sorted by id. Throws
 * `missing-assets` if either mocap folder is missing.
 */
export function listMotionClips(assetRoot: string = resolveAssetRoot()): MotionCatalogEntry[] {
  const entries: MotionCatalogEntry[] = [];
  const cmuDir = join(assetRoot, ASSET_FOLDERS.cmu);
  const bandaiDir = join(assetRoot, ASSET_FOLDERS.bandai);
  for (const dir of [cmuDir, bandaiDir]) {
    if (!existsSync(dir)) {
      throw new SynthError('missing-assets', `motion folder ${dir} does not exist`);
    }
  }
  const descriptions = readCmuDescriptions(cmuDir);
  for (const path of listBvh(cmuDir)) {
    const stem = basename(path).replace(/\.bvh$/i, '');
    const m = /^(\d+)_(\d+)$/.exec(stem);
    const key = m ? cmuKey(Number(m[1]), Number(m[2])) : stem;
    entries.push({
      id: `cmu/${key}`,
      path,
      source: 'cmu',
      license: LICENSES.cmu,
      rig: CC_BASE_RIG.name,
      description: descriptions.get(key) ?? '',
    });
  }
  for (const path of listBvh(bandaiDir)) {
    const stem = basename(path).replace(/\.bvh$/i, '');
    // dataset-N_<content>_<style>_<take>
    const m = /^dataset-\d+_(.+)_([^_]+)_\d+$/.exec(stem);
    entries.push({
      id: `bandai/${stem}`,
      path,
      source: 'bandai',
      license: LICENSES.bandai,
      rig: BANDAI_RIG.name,
      description: m ? `${m[1]} (${m[2]})` : '',
    });
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) {
      throw new SynthError('bad-asset', `two motion files have the id ${e.id} (${e.path})`);
    }
    seen.add(e.id);
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The folder of lifted galleries inside a poses folder (`lift_lspet --out DIR` writes it). */
export const LSPET_GALLERY_FOLDER = 'lspet';

/**
 * Pose galleries under `posesDir` (written by `python -m metrabs_train.lift_lspet`): every
 * `.bvh` in `<posesDir>/lspet`, id `lspet/<file name without .bvh>`, sorted by id. Throws
 * `missing-assets` when the folder is missing or holds no gallery.
 */
export function listPoseGalleries(posesDir: string): MotionCatalogEntry[] {
  const dir = join(posesDir, LSPET_GALLERY_FOLDER);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SynthError(
      'missing-assets',
      `pose galleries: ${dir} is not a folder (make it with python -m metrabs_train.lift_lspet … --out ${posesDir})`,
    );
  }
  const entries = listBvh(dir).map((path) => {
    const stem = basename(path).replace(/\.bvh$/i, '');
    return {
      id: `lspet/${stem}`,
      path,
      source: 'lspet' as const,
      license: LICENSES.lspet,
      rig: LIFTED_RIG.name,
      description: 'poses lifted from LSPET 2D labels',
    };
  });
  if (entries.length === 0)
    throw new SynthError('missing-assets', `pose galleries: no .bvh in ${dir}`);
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface LoadClipOptions {
  /** Called with each non-fatal parser warning (e.g. a truncated file). Default: ignored. */
  onWarning?: (message: string) => void;
  /** Shown in messages instead of the absolute path (default: path relative to the cwd). */
  displayName?: string;
}

/** Reads and converts one catalogued clip. Throws `bad-asset` for a malformed file. */
export function loadClip(entry: MotionCatalogEntry, opts: LoadClipOptions = {}): MotionClip {
  let text: string;
  try {
    text = readFileSync(entry.path, 'utf8');
  } catch (cause) {
    throw new SynthError('missing-assets', `cannot read motion file ${entry.path}`, { cause });
  }
  const name = opts.displayName ?? relative(process.cwd(), entry.path);
  const bvh = parseBvh(text, name);
  for (const w of bvh.warnings) opts.onWarning?.(w);
  const rig = { bandai: BANDAI_RIG, cc_base: CC_BASE_RIG, lifted: LIFTED_RIG }[entry.rig];
  return clipFromBvh(bvh, rig, { id: entry.id, source: entry.source, license: entry.license });
}
