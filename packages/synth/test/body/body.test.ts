import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../../test-support/shared-data.js';
import {
  buildPerson,
  buildRenderBuffers,
  catalogFor,
  computeBones,
  DEFAULT_MACRO,
  fitProxy,
  groupVertices,
  HEIGHT_SLIDER_RANGE_M,
  type MacroParams,
  type ObjMesh,
  type PersonParams,
  parseMhclo,
  parseObj,
  parseSkeleton,
  parseTarget,
  parseWeights,
  randomPersonParams,
  type SkeletonDef,
  shapeBody,
  type Target,
  triangulate,
} from '../../src/body/index.js';
import { SynthError } from '../../src/errors.js';

const B = 'body/makehuman/';
const data = sharedData(
  [
    `${B}3dobjs/base.obj`,
    `${B}rigs/default.mhskel`,
    `${B}rigs/default_weights.mhw`,
    `${B}targets/macrodetails/caucasian-male-young.target`,
    `${B}targets/macrodetails/height/male-young-averagemuscle-averageweight-maxheight.target`,
    `${B}clothes/male_casualsuit02/male_casualsuit02.mhclo`,
    `${B}skins/young_caucasian_male/young_caucasian_male.mhmat`,
  ],
  'body.test',
);
const ROOT = data.path('');
const bodyFile = (f: string) => data.path(B + f);

/** Nearest-point distances via a uniform grid (cell = 3 cm). */
function nearestDistances(
  points: Float32Array,
  cloud: Float32Array,
  ids: Uint32Array,
): Float64Array {
  const cell = 0.03;
  const grid = new Map<string, number[]>();
  const key = (x: number, y: number, z: number) => `${x},${y},${z}`;
  for (const v of ids) {
    const k = key(
      Math.floor(cloud[3 * v]! / cell),
      Math.floor(cloud[3 * v + 1]! / cell),
      Math.floor(cloud[3 * v + 2]! / cell),
    );
    const l = grid.get(k);
    if (l) l.push(v);
    else grid.set(k, [v]);
  }
  const out = new Float64Array(points.length / 3);
  for (let i = 0; i < out.length; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    const cz = Math.floor(z / cell);
    let best = Infinity;
    for (let r = 1; r <= 8 && best === Infinity; r++) {
      for (let dx = -r; dx <= r; dx++)
        for (let dy = -r; dy <= r; dy++)
          for (let dz = -r; dz <= r; dz++) {
            for (const v of grid.get(key(cx + dx, cy + dy, cz + dz)) ?? []) {
              const d = Math.hypot(cloud[3 * v]! - x, cloud[3 * v + 1]! - y, cloud[3 * v + 2]! - z);
              if (d < best) best = d;
            }
          }
    }
    out[i] = best;
  }
  return out;
}

function median(a: Float64Array): number {
  const s = Float64Array.from(a).sort();
  return s[Math.floor(s.length / 2)]!;
}

describe.skipIf(data.skip)('MakeHuman body (shared data)', () => {
  let obj: ObjMesh;
  let skel: SkeletonDef;
  let bodyVerts: Uint32Array;
  const targets = new Map<string, Target>();
  const getTarget = (name: string) => {
    let t = targets.get(name);
    if (!t) {
      t = parseTarget(readFileSync(bodyFile(`targets/macrodetails/${name}.target`), 'utf8'));
      targets.set(name, t);
    }
    return t;
  };
  const shape = (p: Partial<MacroParams>) =>
    shapeBody(obj.positions, getTarget, { ...DEFAULT_MACRO, ...p });
  const heightOf = (pos: Float32Array) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of bodyVerts) {
      lo = Math.min(lo, pos[3 * v + 1]!);
      hi = Math.max(hi, pos[3 * v + 1]!);
    }
    return hi - lo;
  };

  beforeAll(() => {
    obj = parseObj(readFileSync(bodyFile('3dobjs/base.obj'), 'utf8'), 'base.obj');
    skel = parseSkeleton(readFileSync(bodyFile('rigs/default.mhskel'), 'utf8'), 'default.mhskel');
    bodyVerts = groupVertices(obj, ['body']);
  });

  it('base.obj: 19,158 vertices; body group 13,378 quads → 26,756 triangles', () => {
    expect(obj.positions.length / 3).toBe(19158);
    const tris = triangulate(obj, { groups: ['body'] });
    expect(tris.pos.length / 3).toBe(26756);
    const r = buildRenderBuffers(tris, obj.uvs);
    for (let i = 0; i < r.indices.length; i++) {
      const v = r.vertexOf[r.indices[i]!]!;
      expect(v).toBe(tris.pos[i]);
    }
    // Gathered positions reproduce the originals.
    for (let k = 0; k < r.vertexOf.length; k += 97) {
      const v = r.vertexOf[k]!;
      expect(obj.positions[3 * v]).toBeDefined();
    }
    expect(r.uvs.length / 2).toBe(r.vertexOf.length);
  });

  it('default shape = base + 1/6 × six young targets; about 1.66 m like the base mesh', () => {
    const def = shape({});
    const ref = Float64Array.from(obj.positions);
    for (const r of ['african', 'asian', 'caucasian'])
      for (const g of ['female', 'male']) {
        const t = getTarget(`${r}-${g}-young`);
        for (let k = 0; k < t.indices.length; k++)
          for (let a = 0; a < 3; a++) ref[3 * t.indices[k]! + a]! += t.offsets[3 * k + a]! / 6;
      }
    let maxErr = 0;
    for (let i = 0; i < def.length; i++)
      maxErr = Math.max(maxErr, Math.abs(def[i]! - ref[i]! * 0.1));
    expect(maxErr).toBeLessThan(1e-6);
    // base.obj itself is not the default human: the default's body vertices lie on average
    // ≈ 3.1 cm (max ≈ 6.3 cm) from the raw base mesh.
    let meanFromBase = 0;
    for (const v of bodyVerts) {
      meanFromBase += Math.hypot(
        def[3 * v]! - obj.positions[3 * v]! * 0.1,
        def[3 * v + 1]! - obj.positions[3 * v + 1]! * 0.1,
        def[3 * v + 2]! - obj.positions[3 * v + 2]! * 0.1,
      );
    }
    meanFromBase /= bodyVerts.length;
    expect(meanFromBase).toBeGreaterThan(0.02);
    expect(meanFromBase).toBeLessThan(0.045);
    expect(heightOf(def)).toBeGreaterThan(1.62);
    expect(heightOf(def)).toBeLessThan(1.7);
  });

  it('male vs female: men taller with wider shoulders', () => {
    const f = shape({ gender: 0 });
    const m = shape({ gender: 1 });
    expect(heightOf(m) - heightOf(f)).toBeGreaterThan(0.08);
    const width = (pos: Float32Array) => {
      const b = computeBones(skel, pos);
      const l = b.find((x) => x.name === 'upperarm01.L')!.head;
      const r = b.find((x) => x.name === 'upperarm01.R')!.head;
      return Math.abs(l[0] - r[0]);
    };
    expect(width(m)).toBeGreaterThan(width(f) + 0.02);
  });

  it('height slider: MakeHuman extremes ≈ 1.22–2.31 m (female), ≈ 1.36–2.45 m (male)', () => {
    const fLo = heightOf(shape({ gender: 0, height: 0 }));
    const fHi = heightOf(shape({ gender: 0, height: 1 }));
    const mLo = heightOf(shape({ gender: 1, height: 0 }));
    const mHi = heightOf(shape({ gender: 1, height: 1 }));
    expect(fLo).toBeGreaterThan(1.18);
    expect(fLo).toBeLessThan(1.27);
    expect(fHi).toBeGreaterThan(2.26);
    expect(fHi).toBeLessThan(2.36);
    expect(mLo).toBeGreaterThan(fLo);
    expect(mHi).toBeGreaterThan(fHi);
    // The documented slider range matches the head-top offsets in the targets.
    const mid = heightOf(shape({ gender: 0 }));
    expect(fHi - mid).toBeCloseTo(HEIGHT_SLIDER_RANGE_M.max, 2);
    expect(fLo - mid).toBeCloseTo(HEIGHT_SLIDER_RANGE_M.min, 2);
  });

  it('rig: 163 bones, parents first, joints follow the shape', () => {
    expect(skel.bones.length).toBe(163);
    skel.bones.forEach((b, i) => {
      expect(b.parent).toBeLessThan(i);
    });
    expect(skel.bones.filter((b) => b.parent < 0).length).toBe(1);
    const headY = (pos: Float32Array) =>
      computeBones(skel, pos).find((b) => b.name === 'head')!.head[1];
    expect(headY(shape({ height: 1 }))).toBeGreaterThan(headY(shape({ height: 0 })) + 0.5);
    const bones = computeBones(skel, shape({}));
    for (const b of bones)
      for (const x of [...b.head, ...b.tail, ...b.normal]) expect(Number.isFinite(x)).toBe(true);
  });

  it('weights: every body vertex has 4 weights summing to 1', () => {
    const boneIndex = new Map(skel.bones.map((b, i) => [b.name, i]));
    const w = parseWeights(
      readFileSync(bodyFile('rigs/default_weights.mhw'), 'utf8'),
      boneIndex,
      19158,
    );
    expect(w.unweighted.length).toBe(0);
    for (const v of bodyVerts) {
      const s =
        w.skinWeight[4 * v]! +
        w.skinWeight[4 * v + 1]! +
        w.skinWeight[4 * v + 2]! +
        w.skinWeight[4 * v + 3]!;
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
      expect(w.skinIndex[4 * v]).toBeLessThan(163);
    }
  });

  it('clothes fit on the body surface for several shapes (median < 3 cm)', () => {
    const cat = catalogFor(ROOT);
    const shapes: Partial<MacroParams>[] = [
      {},
      { gender: 1, weight: 0.85, muscle: 0.8, height: 0.7 },
      { gender: 0, weight: 0, age: 0.9, height: 0.2 },
    ];
    const medians: string[] = [];
    for (const c of cat.clothes) {
      const def = parseMhclo(
        readFileSync(join(cat.bodyDir, c.file), 'utf8'),
        join(cat.bodyDir, c.file),
      );
      for (const s of shapes) {
        const body = shape(s);
        const d = nearestDistances(fitProxy(def, body, 0.1), body, bodyVerts);
        const med = median(d);
        medians.push(`${c.id}:${(med * 100).toFixed(1)}cm`);
        expect(med, `${c.id} ${JSON.stringify(s)}`).toBeLessThan(0.03);
      }
      if (c.category === 'outfit') expect(def.deleteVerts.length).toBeGreaterThan(100);
    }
    console.log(`[body.test] median fit distances: ${medians.join(' ')}`);
    expect(medians.length).toBe(cat.clothes.length * shapes.length);
  });

  it('catalogue: skins with gender/age/ethnicity, outfits, shoes, community garments CC BY', () => {
    const cat = catalogFor(ROOT);
    expect(cat.skins.length).toBe(22);
    const s = cat.skins.find((x) => x.id === 'skins/young_asian_female')!;
    expect([s.gender, s.age, s.ethnicity]).toEqual(['female', 'young', 'asian']);
    expect(cat.clothes.find((c) => c.id === 'clothes/male_casualsuit02')!.category).toBe('outfit');
    expect(cat.clothes.find((c) => c.id === 'clothes/shoes01')!.category).toBe('shoes');
    expect(cat.community.length).toBe(3);
    for (const c of cat.community) {
      expect(c.licence).toMatch(/^CC BY/);
      expect(c.fittable).toBe(false);
    }
    expect(cat.hair.map((h) => h.id).sort()).toEqual(['hair/bob02', 'hair/long01', 'hair/short02']);
    expect(cat.eyes.length).toBe(3);
  });

  it('buildPerson: random adults build quickly with consistent, finite arrays', () => {
    const cat = catalogFor(ROOT);
    let seed = 12345;
    const rng = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const params = randomPersonParams(rng, cat);
      const t0 = performance.now();
      const p = buildPerson(ROOT, params);
      times.push(performance.now() - t0);
      expect(p.bones.length).toBe(163);
      expect(p.basePositions.length).toBe(19158 * 3);
      // Realistic adult heights (the slider itself spans 1.2–2.5 m).
      expect(p.heightM).toBeGreaterThan(1.45);
      expect(p.heightM).toBeLessThan(2.05);
      expect(p.meshes[0]!.kind).toBe('body');
      for (const m of p.meshes) {
        const n = m.positions.length / 3;
        expect(m.uvs.length).toBe(2 * n);
        expect(m.skinIndex.length).toBe(4 * n);
        expect(m.skinWeight.length).toBe(4 * n);
        expect(m.indices.length % 3).toBe(0);
        for (let k = 0; k < m.indices.length; k++)
          if (m.indices[k]! >= n) throw new Error('index out of range');
        for (let k = 0; k < m.positions.length; k++)
          if (!Number.isFinite(m.positions[k]!)) throw new Error('NaN');
        for (let v = 0; v < n; v++) {
          const s =
            m.skinWeight[4 * v]! +
            m.skinWeight[4 * v + 1]! +
            m.skinWeight[4 * v + 2]! +
            m.skinWeight[4 * v + 3]!;
          if (Math.abs(s - 1) > 1e-4) throw new Error(`${m.id}: weights sum ${s}`);
        }
      }
    }
    // Measured (2 shared cores): first ≈ 130–280 ms (parses base mesh, rig, weights, targets,
    // proxies), then ≈ 3–100 ms per person (≈ 10 ms on average over 60 people).
    console.log(`[body.test] buildPerson ms: ${times.map((t) => t.toFixed(0)).join(', ')}`);
  });

  it('buildPerson: garments hide body faces; unknown ids are bad-option', () => {
    const base: PersonParams = {
      ...DEFAULT_MACRO,
      skin: 'skins/young_caucasian_male',
      clothes: [],
      hair: null,
      eyes: null,
    };
    const naked = buildPerson(ROOT, base);
    const dressed = buildPerson(ROOT, {
      ...base,
      clothes: ['clothes/male_casualsuit02', 'clothes/shoes02'],
    });
    expect(naked.meshes[0]!.indices.length / 3).toBe(26756);
    expect(dressed.meshes[0]!.indices.length).toBeLessThan(naked.meshes[0]!.indices.length);
    const def = parseMhclo(
      readFileSync(bodyFile('clothes/male_casualsuit02/male_casualsuit02.mhclo'), 'utf8'),
      'x',
    );
    const hidden = new Set(def.deleteVerts);
    // No body triangle of the dressed person uses a deleted vertex.
    const body = dressed.meshes[0]!;
    let touching = 0;
    for (const v of body.vertexOf) if (hidden.has(v)) touching++;
    expect(touching).toBe(0);
    expect(dressed.meshes.map((m) => m.id)).toEqual([
      'body',
      'clothes/shoes02',
      'clothes/male_casualsuit02',
    ]);
    expect(() => buildPerson(ROOT, { ...base, clothes: ['clothes/nope'] })).toThrow(SynthError);
    expect(() => buildPerson(ROOT, { ...base, clothes: ['community/Coat'] })).toThrow(
      /cannot be fitted/,
    );
  });
});
