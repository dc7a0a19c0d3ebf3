/**
 * Builds a shaped, dressed, rigged MakeHuman person in its rest pose (Node: reads the assets,
 * caches everything that does not depend on the shape across persons).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SynthError } from '../errors.js';
import {
  type BodyCatalog,
  type ClothesEntry,
  type EyesEntry,
  type HairEntry,
  loadCatalog,
  type SkinEntry,
} from './catalog-node.js';
import { heightSliderForDelta, type MacroParams, shapeBody, yearsToAge } from './macro.js';
import { type Material, parseMhmat } from './material.js';
import {
  buildRenderBuffers,
  gatherAttribute,
  gatherPositions,
  groupVertices,
  type ObjMesh,
  parseObj,
  type RenderBuffers,
  triangulate,
  vertexCount,
} from './obj.js';
import { fitProxy, markDeleted, type ProxyDef, parseMhclo, proxySkinFromBody } from './proxy.js';
import { type Bone, computeBones, parseSkeleton, type SkeletonDef } from './rig.js';
import { parseTarget, type Target } from './targets.js';
import { INFLUENCES, parseWeights, type SkinWeights } from './weights.js';

export interface PersonParams extends MacroParams {
  /** Skin id from the catalogue, e.g. `skins/young_asian_female`. */
  skin: string;
  /** Clothes ids (fittable only), e.g. `['clothes/male_casualsuit02', 'clothes/shoes01']`. */
  clothes: string[];
  hair: string | null;
  eyes: string | null;
}

export interface PersonMesh {
  /** `body` or the catalogue id of the proxy. */
  id: string;
  kind: 'body' | 'clothes' | 'hair' | 'eyes';
  /** three.js `renderOrder`: 0 for the body, the proxy's `z_depth` otherwise. */
  renderOrder: number;
  /** Rest pose, metres, xyz per render vertex. */
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** 4 bone indices (into `PersonModel.bones`) per render vertex. */
  skinIndex: Uint16Array;
  /** 4 weights per render vertex, summing to 1. */
  skinWeight: Float32Array;
  /** Absolute path of the diffuse texture (PNG), or null. */
  diffuseTexture: string | null;
  diffuseColor: [number, number, number];
  transparent: boolean;
  doubleSided: boolean;
  /**
   * Extra: render vertex → source vertex (base-mesh vertex for the body, proxy vertex for
   * proxies). Shared with a cache: do not modify.
   */
  vertexOf: Uint32Array;
}

export interface PersonModel {
  params: PersonParams;
  /** 163 bones of the default skeleton, parents first, metres. */
  bones: Bone[];
  /** Body first, then proxies in ascending render order. */
  meshes: PersonMesh[];
  /** Shaped rest positions of ALL original base-mesh vertices (metres), for landmarks. */
  basePositions: Float32Array;
  /** Height of the `body` group's bounding box (metres), as MakeHuman measures it. */
  heightM: number;
}

interface LoadedProxy {
  def: ProxyDef;
  render: RenderBuffers;
  /** Per proxy vertex. */
  skin: SkinWeights;
  material: Material | null;
}

interface BodyAssets {
  bodyDir: string;
  obj: ObjMesh;
  bodyVerts: Uint32Array;
  skel: SkeletonDef;
  bodySkin: SkinWeights;
  targets: Map<string, Target>;
  proxies: Map<string, LoadedProxy>;
  materials: Map<string, Material>;
  /** Body render buffers per set of hidden vertices (key: sorted clothes ids). */
  bodyRender: Map<string, RenderBuffers>;
  catalog: BodyCatalog | null;
}

const cache = new Map<string, BodyAssets>();

function readText(path: string): string {
  if (!existsSync(path)) throw new SynthError('missing-assets', `missing body asset ${path}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SynthError('bad-asset', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Loads (once per asset root) the base mesh, skeleton and weights. */
function assets(assetRoot: string): BodyAssets {
  const hit = cache.get(assetRoot);
  if (hit) return hit;
  const bodyDir = join(assetRoot, 'body', 'makehuman');
  const objPath = join(bodyDir, '3dobjs', 'base.obj');
  const obj = parseObj(readText(objPath), objPath);
  const nv = vertexCount(obj);
  const skelPath = join(bodyDir, 'rigs', 'default.mhskel');
  const skel = parseSkeleton(readText(skelPath), skelPath, nv);
  const boneIndex = new Map(skel.bones.map((b, i) => [b.name, i]));
  const wPath = join(bodyDir, 'rigs', skel.weightsFile ?? 'default_weights.mhw');
  const bodySkin = parseWeights(readText(wPath), boneIndex, nv, wPath, 0);
  const bodyVerts = groupVertices(obj, ['body']);
  if (bodyVerts.length === 0) throw new SynthError('bad-asset', `${objPath}: no "body" group`);
  const a: BodyAssets = {
    bodyDir,
    obj,
    bodyVerts,
    skel,
    bodySkin,
    targets: new Map(),
    proxies: new Map(),
    materials: new Map(),
    bodyRender: new Map(),
    catalog: null,
  };
  cache.set(assetRoot, a);
  return a;
}

function target(a: BodyAssets, name: string): Target {
  let t = a.targets.get(name);
  if (!t) {
    const p = join(a.bodyDir, 'targets', 'macrodetails', `${name}.target`);
    t = parseTarget(readText(p), p, vertexCount(a.obj));
    a.targets.set(name, t);
  }
  return t;
}

function material(a: BodyAssets, path: string): Material {
  let m = a.materials.get(path);
  if (!m) {
    m = parseMhmat(readText(path), path);
    a.materials.set(path, m);
  }
  return m;
}

function proxy(a: BodyAssets, rel: string, materialOverride?: string): LoadedProxy {
  const key = `${rel}|${materialOverride ?? ''}`;
  let p = a.proxies.get(key);
  if (p) return p;
  const file = join(a.bodyDir, rel);
  const def = parseMhclo(readText(file), file, vertexCount(a.obj));
  const pobj = parseObj(readText(def.objFile), def.objFile);
  if (vertexCount(pobj) !== def.count) {
    throw new SynthError(
      'bad-asset',
      `${def.objFile} has ${vertexCount(pobj)} vertices but ${file} binds ${def.count}`,
    );
  }
  const render = buildRenderBuffers(triangulate(pobj), pobj.uvs);
  let skin: SkinWeights;
  if (def.vertexBoneWeightsFile) {
    const boneIndex = new Map(a.skel.bones.map((b, i) => [b.name, i]));
    skin = parseWeights(
      readText(def.vertexBoneWeightsFile),
      boneIndex,
      def.count,
      def.vertexBoneWeightsFile,
    );
    // Vertices the proxy's own weights miss fall back to the body blend.
    if (skin.unweighted.length > 0) {
      const blend = proxySkinFromBody(def, a.bodySkin);
      for (const v of skin.unweighted) {
        for (let k = 0; k < INFLUENCES; k++) {
          skin.skinIndex[v * INFLUENCES + k] = blend.skinIndex[v * INFLUENCES + k]!;
          skin.skinWeight[v * INFLUENCES + k] = blend.skinWeight[v * INFLUENCES + k]!;
        }
      }
    }
  } else skin = proxySkinFromBody(def, a.bodySkin);
  const matPath = materialOverride ?? def.material;
  p = { def, render, skin, material: matPath ? material(a, matPath) : null };
  a.proxies.set(key, p);
  return p;
}

/** The catalogue of the asset root (cached). */
export function catalogFor(assetRoot: string): BodyCatalog {
  const a = assets(assetRoot);
  if (!a.catalog) a.catalog = loadCatalog(assetRoot);
  return a.catalog;
}

function find<T extends { id: string }>(list: T[], id: string, what: string): T {
  const e = list.find((x) => x.id === id);
  if (!e) throw new SynthError('bad-option', `unknown ${what} "${id}"`);
  return e;
}

function proxyMesh(
  lp: LoadedProxy,
  id: string,
  kind: PersonMesh['kind'],
  shaped: Float32Array,
): PersonMesh {
  const fitted = fitProxy(lp.def, shaped, 0.1);
  const { vertexOf, uvs, indices } = lp.render;
  const n = vertexOf.length;
  const m = lp.material;
  return {
    id,
    kind,
    renderOrder: lp.def.zDepth,
    positions: gatherPositions(fitted, vertexOf),
    uvs,
    indices,
    skinIndex: gatherAttribute(
      lp.skin.skinIndex,
      vertexOf,
      INFLUENCES,
      new Uint16Array(n * INFLUENCES),
    ),
    skinWeight: gatherAttribute(
      lp.skin.skinWeight,
      vertexOf,
      INFLUENCES,
      new Float32Array(n * INFLUENCES),
    ),
    diffuseTexture: m?.diffuseTexture ?? null,
    diffuseColor: m?.diffuseColor ?? [1, 1, 1],
    transparent: m?.transparent ?? false,
    doubleSided: m ? !m.backfaceCull : false,
    vertexOf,
  };
}

/**
 * Builds the person: macro shape → bones → fitted proxies → body mesh without the faces
 * hidden by the clothes. Throws `bad-option` for unknown or unfittable asset ids.
 */
export function buildPerson(assetRoot: string, params: PersonParams): PersonModel {
  const a = assets(assetRoot);
  const cat = catalogFor(assetRoot);
  const shaped = shapeBody(a.obj.positions, (n) => target(a, n), params);
  const bones = computeBones(a.skel, shaped);

  const proxies: PersonMesh[] = [];
  const hidden = new Uint8Array(vertexCount(a.obj));
  const clothesIds = [...new Set(params.clothes)].sort();
  for (const id of clothesIds) {
    const e = cat.clothes.find((c) => c.id === id) ?? cat.community.find((c) => c.id === id);
    if (!e) throw new SynthError('bad-option', `unknown clothes "${id}"`);
    if (!e.fittable) {
      throw new SynthError('bad-option', `clothes "${id}" (${e.file}) cannot be fitted to a body`);
    }
    const lp = proxy(a, e.file);
    markDeleted(lp.def, hidden);
    proxies.push(proxyMesh(lp, id, 'clothes', shaped));
  }
  if (params.hair) {
    const e = find(cat.hair, params.hair, 'hair');
    const lp = proxy(a, e.file);
    markDeleted(lp.def, hidden);
    proxies.push(proxyMesh(lp, e.id, 'hair', shaped));
  }
  if (params.eyes) {
    const e = find(cat.eyes, params.eyes, 'eyes');
    const lp = proxy(a, e.file, join(a.bodyDir, e.material));
    proxies.push(proxyMesh(lp, e.id, 'eyes', shaped));
  }
  proxies.sort((x, y) => x.renderOrder - y.renderOrder);

  const skin = find(cat.skins, params.skin, 'skin');
  const skinMat = material(a, join(a.bodyDir, skin.file));
  const renderKey = clothesIds.join('|') + (params.hair ? `|${params.hair}` : '');
  let render = a.bodyRender.get(renderKey);
  if (!render) {
    render = buildRenderBuffers(triangulate(a.obj, { groups: ['body'], hidden }), a.obj.uvs);
    if (a.bodyRender.size > 64) a.bodyRender.clear();
    a.bodyRender.set(renderKey, render);
  }
  const n = render.vertexOf.length;
  const body: PersonMesh = {
    id: 'body',
    kind: 'body',
    renderOrder: 0,
    positions: gatherPositions(shaped, render.vertexOf),
    uvs: render.uvs,
    indices: render.indices,
    skinIndex: gatherAttribute(
      a.bodySkin.skinIndex,
      render.vertexOf,
      INFLUENCES,
      new Uint16Array(n * INFLUENCES),
    ),
    skinWeight: gatherAttribute(
      a.bodySkin.skinWeight,
      render.vertexOf,
      INFLUENCES,
      new Float32Array(n * INFLUENCES),
    ),
    diffuseTexture: skinMat.diffuseTexture,
    diffuseColor: skinMat.diffuseColor,
    transparent: false,
    doubleSided: !skinMat.backfaceCull,
    vertexOf: render.vertexOf,
  };

  return {
    params: { ...params, clothes: [...params.clothes] },
    bones,
    meshes: [body, ...proxies],
    basePositions: shaped,
    heightM: heightOf(a, shaped),
  };
}

function heightOf(a: BodyAssets, shaped: Float32Array): number {
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < a.bodyVerts.length; i++) {
    const y = shaped[3 * a.bodyVerts[i]! + 1]!;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return maxY - minY;
}

/**
 * Skin weights of ALL base-mesh vertices (4 per vertex, indices into `PersonModel.bones`),
 * e.g. to skin landmarks taken from `PersonModel.basePositions`. Cached: do not modify.
 */
export function bodySkinWeights(assetRoot: string): SkinWeights {
  return assets(assetRoot).bodySkin;
}

/** Height (m) of the `body` group's bounding box for these macro parameters. */
export function bodyHeightM(assetRoot: string, macro: MacroParams): number {
  const a = assets(assetRoot);
  return heightOf(
    a,
    shapeBody(a.obj.positions, (n) => target(a, n), macro),
  );
}

/** Which catalogue entries random persons may use (ids); omitted = all. */
export interface AllowedAssets {
  skins?: string[];
  clothes?: string[];
  hair?: string[];
}

function pick<T>(rng: () => number, list: readonly T[]): T | undefined {
  return list.length === 0
    ? undefined
    : list[Math.min(list.length - 1, Math.floor(rng() * list.length))];
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * Random adult (20–70 y; MakeHuman blends in the 10-year-old "child" targets below 25 y, so
 * younger ages look adolescent). Muscle and weight are spread around MakeHuman's defaults
 * (triangular distributions); the height slider is solved for a realistic stature (needs the
 * assets of `catalog.assetRoot`, cached); one ethnicity dominates (60–100 %). About 90 % of the time the skin matches
 * the sex, dominant ethnicity and age group, and the outfit matches the sex; shoes 85 %; hair
 * by sex (some men bald).
 */
export function randomPersonParams(
  rng: () => number,
  catalog: BodyCatalog,
  allowed: AllowedAssets = {},
): PersonParams {
  const male = rng() < 0.5;
  const sex = male ? 'male' : 'female';
  const gender = male ? 0.7 + 0.3 * rng() : 0.3 * rng();
  const years = 20 + 50 * rng();
  const tri = () => rng() + rng() - 1; // triangular on [-1, 1]
  const muscle = clamp01(0.5 + 0.35 * tri());
  const weight = clamp01(0.5 + 0.4 * tri());
  const races = ['african', 'asian', 'caucasian'] as const;
  const dominant = Math.floor(rng() * 3) % 3;
  const share = 0.6 + 0.4 * rng();
  const split = rng();
  const eth = [0, 0, 0];
  eth[dominant] = share;
  eth[(dominant + 1) % 3] = (1 - share) * split;
  eth[(dominant + 2) % 3] = (1 - share) * (1 - split);
  const race = races[dominant]!;
  const ageGroup = years < 38 ? 'young' : years < 58 ? 'middleage' : 'old';

  // Height: a realistic adult stature (women ≈ N(1.63 m, 7 cm), men ≈ N(1.77 m, 7 cm), a little
  // less when old, clipped to 1.50–1.98 m), reached by measuring this shape at slider 0.5 and
  // moving the (very wide, 1.2–2.5 m) height slider by the difference.
  const gauss = (rng() + rng() + rng() + rng() - 2) * Math.sqrt(3); // ≈ N(0, 1)
  const stature = Math.min(
    1.98,
    Math.max(1.5, (male ? 1.77 : 1.63) - 0.002 * Math.max(0, years - 50) + 0.07 * gauss),
  );
  const macro: MacroParams = {
    gender,
    age: yearsToAge(years),
    muscle,
    weight,
    height: 0.5,
    african: eth[0]!,
    asian: eth[1]!,
    caucasian: eth[2]!,
  };
  const height = heightSliderForDelta(stature - bodyHeightM(catalog.assetRoot, macro));

  const ok = (list: string[] | undefined, id: string) => !list || list.includes(id);
  const skins = catalog.skins.filter((s) => ok(allowed.skins, s.id));
  const matching = (s: SkinEntry) => s.gender === sex && s.ethnicity === race && s.age === ageGroup;
  const skinPool = rng() < 0.9 && skins.some(matching) ? skins.filter(matching) : skins;
  const skin = pick(rng, skinPool);
  if (!skin) throw new SynthError('bad-option', 'no skin available for random persons');

  const garments = catalog.clothes.filter((c) => c.fittable && ok(allowed.clothes, c.id));
  const sexOk = (c: ClothesEntry) => c.gender === null || c.gender === sex;
  const outfits = garments.filter((c) => c.category === 'outfit');
  const outfitPool = rng() < 0.9 && outfits.some(sexOk) ? outfits.filter(sexOk) : outfits;
  const clothes: string[] = [];
  const outfit = pick(rng, outfitPool);
  if (outfit) clothes.push(outfit.id);
  const shoes = garments.filter((c) => c.category === 'shoes');
  if (rng() < 0.85) {
    const s = pick(rng, shoes);
    if (s) clothes.push(s.id);
  }

  const hairs = catalog.hair.filter((h) => ok(allowed.hair, h.id));
  const hairSexOk = (h: HairEntry) => h.gender === null || h.gender === sex;
  let hair: string | null = null;
  if (!(male && rng() < 0.15)) {
    const pool = rng() < 0.9 && hairs.some(hairSexOk) ? hairs.filter(hairSexOk) : hairs;
    hair = pick(rng, pool)?.id ?? null;
  }
  const eyes: EyesEntry | undefined = pick(rng, catalog.eyes);
  return {
    ...macro,
    height,
    skin: skin.id,
    clothes,
    hair,
    eyes: eyes?.id ?? null,
  };
}
