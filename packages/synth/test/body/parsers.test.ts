import { describe, expect, it } from 'vitest';
import {
  ageToYears,
  buildRenderBuffers,
  DEFAULT_MACRO,
  FACTOR_FAMILIES,
  fitProxy,
  heightSliderForDelta,
  joinPath,
  macroFactors,
  macroTargetSpecs,
  macroTargetWeights,
  parseMhclo,
  parseMhmat,
  parseObj,
  parseSkeleton,
  parseTarget,
  parseWeights,
  proxySkinFromBody,
  seamlessNormals,
  triangulate,
  yearsToAge,
} from '../../src/body/index.js';
import { SynthError } from '../../src/errors.js';

const OBJ = `# test
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 5 5 5
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vt 0.5 0.5
g body
f 1/1 2/2 3/3 4/4
g helper
f 1/5 2/5 5/5
g body
f 3/3 2/2 5/5
`;

describe('obj', () => {
  it('parses vertices, uvs, groups and triangulates selected groups', () => {
    const m = parseObj(OBJ);
    expect(m.positions.length).toBe(15);
    expect(m.uvs.length).toBe(10);
    const tris = triangulate(m, { groups: ['body'] });
    expect(tris.pos.length).toBe(9); // quad → 2 + triangle → 1
    expect([...tris.pos.slice(0, 6)]).toEqual([0, 1, 2, 0, 2, 3]);
    const all = triangulate(m);
    expect(all.pos.length).toBe(12);
  });

  it('drops faces touching hidden vertices', () => {
    const m = parseObj(OBJ);
    const hidden = new Uint8Array(5);
    hidden[4] = 1;
    expect(triangulate(m, { groups: ['body'], hidden }).pos.length).toBe(6);
  });

  it('splits render vertices by (position, uv) and keeps original indices', () => {
    const m = parseObj(OBJ);
    const tris = triangulate(m);
    const r = buildRenderBuffers(tris, m.uvs);
    // Corner (v1, uv1) and (v1, uv5) differ → separate render vertices.
    expect(r.vertexOf.length).toBe(7);
    for (let i = 0; i < r.indices.length; i++) {
      expect(r.vertexOf[r.indices[i]!]).toBe(tris.pos[i]);
    }
  });

  it('computes normals that are equal on both sides of a uv seam', () => {
    const m = parseObj(OBJ);
    const tris = triangulate(m, { groups: ['body'] });
    const r = buildRenderBuffers(tris, m.uvs);
    const pos = new Float32Array(r.vertexOf.length * 3);
    for (let i = 0; i < r.vertexOf.length; i++)
      for (let a = 0; a < 3; a++) pos[3 * i + a] = m.positions[3 * r.vertexOf[i]! + a]!;
    const n = seamlessNormals(pos, r.indices, r.vertexOf);
    expect(n[2]).toBeCloseTo(1); // render vertex 0 = v1, only in the flat quad
    for (let i = 0; i < n.length / 3; i++) {
      expect(Math.hypot(n[3 * i]!, n[3 * i + 1]!, n[3 * i + 2]!)).toBeCloseTo(1);
    }
  });

  it('rejects bad indices with bad-asset naming the file', () => {
    expect(() => parseObj('v 0 0 0\nf 1 2 3\n', 'x.obj')).toThrow(/x\.obj/);
    try {
      parseObj('v 0 0 zz\n', 'y.obj');
    } catch (e) {
      expect(e).toBeInstanceOf(SynthError);
      expect((e as SynthError).code).toBe('bad-asset');
    }
  });
});

describe('targets', () => {
  it('parses sparse offsets', () => {
    const t = parseTarget('# c\n3 0.1 -0.2 0.3\n0 1 2 3\n');
    expect([...t.indices]).toEqual([3, 0]);
    expect(t.offsets[1]).toBeCloseTo(-0.2);
    expect(parseTarget('# only a header\n').indices.length).toBe(0);
    expect(() => parseTarget('1 2 x 3', 'a.target')).toThrow(/a\.target:1/);
  });
});

describe('macro weighting', () => {
  it('maps age like MakeHuman (1 y, 10 y, 25 y, 90 y)', () => {
    expect(ageToYears(0)).toBeCloseTo(1);
    expect(ageToYears(0.1875)).toBeCloseTo(10);
    expect(ageToYears(0.5)).toBeCloseTo(25);
    expect(ageToYears(1)).toBeCloseTo(90);
    for (const y of [1, 18, 25, 40, 90]) expect(ageToYears(yearsToAge(y))).toBeCloseTo(y);
  });

  it('every factor family sums to 1 for random parameters', () => {
    let s = 7;
    const rng = () => {
      s = (s * 48271) % 2147483647;
      return s / 2147483647;
    };
    for (let i = 0; i < 200; i++) {
      const p = {
        gender: rng(),
        age: rng(),
        muscle: rng(),
        weight: rng(),
        height: rng(),
        african: rng(),
        asian: rng(),
        caucasian: rng(),
      };
      const f = macroFactors(p);
      for (const fam of FACTOR_FAMILIES) {
        expect(fam.reduce((a, l) => a + f[l], 0)).toBeCloseTo(1, 6);
      }
      const w = macroTargetWeights(p);
      const sum = (fam: string) =>
        w.filter((t) => t.family === fam).reduce((a, t) => a + t.weight, 0);
      expect(sum('ethnic')).toBeCloseTo(1, 6);
      expect(sum('universal')).toBeCloseTo(1, 6);
      // Height targets only exist for min/max: their weight is |2h - 1|.
      expect(sum('height')).toBeCloseTo(Math.abs(2 * p.height - 1), 6);
    }
  });

  it('default = 1/6 of each young {race}-{sex} target, nothing else but empty averages', () => {
    const w = macroTargetWeights(DEFAULT_MACRO).filter((t) => t.weight > 0);
    const names = w.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        'african-female-young',
        'african-male-young',
        'asian-female-young',
        'asian-male-young',
        'caucasian-female-young',
        'caucasian-male-young',
        'universal-female-young-averagemuscle-averageweight',
        'universal-male-young-averagemuscle-averageweight',
      ].sort(),
    );
    for (const t of w) expect(t.weight).toBeCloseTo(t.family === 'ethnic' ? 1 / 6 : 0.5);
  });

  it('interpolates age between key points (18 y ≈ half child, half young)', () => {
    const f = macroFactors({ ...DEFAULT_MACRO, age: yearsToAge(18) });
    expect(f.young).toBeCloseTo((yearsToAge(18) - 0.1875) / 0.3125);
    expect(f.child + f.young).toBeCloseTo(1);
    expect(f.old).toBe(0);
    const o = macroFactors({ ...DEFAULT_MACRO, age: 0.75 });
    expect(o.old).toBeCloseTo(0.5);
    expect(o.young).toBeCloseTo(0.5);
  });

  it('lists the 112 targets and maps height deltas to the slider', () => {
    expect(macroTargetSpecs().length).toBe(112);
    expect(heightSliderForDelta(0)).toBe(0.5);
    expect(heightSliderForDelta(-0.3669)).toBeCloseTo(0);
    expect(heightSliderForDelta(0.7202)).toBeCloseTo(1);
  });
});

describe('skeleton and weights', () => {
  const SKEL = JSON.stringify({
    bones: {
      child: { head: 'b', tail: 'c', parent: 'root', rotation_plane: 'p' },
      root: { head: 'a', tail: 'b', parent: null, rotation_plane: 'p' },
    },
    joints: { a: [0], b: [1, 2], c: [3] },
    planes: { p: ['a', 'b', 'c'] },
  });

  it('orders bones parents first', () => {
    const s = parseSkeleton(SKEL);
    expect(s.bones.map((b) => b.name)).toEqual(['root', 'child']);
    expect(s.bones[1]!.parent).toBe(0);
  });

  it('keeps the 4 largest weights, renormalised, and binds unweighted vertices to the root', () => {
    const w = parseWeights(
      JSON.stringify({
        weights: {
          a: [[0, 0.1]],
          b: [[0, 0.5]],
          c: [[0, 0.2]],
          d: [[0, 0.3]],
          e: [[0, 0.05]],
        },
      }),
      new Map([
        ['a', 0],
        ['b', 1],
        ['c', 2],
        ['d', 3],
        ['e', 4],
      ]),
      2,
    );
    expect([...w.skinIndex.slice(0, 4)]).toEqual([1, 3, 2, 0]);
    expect(w.skinWeight[0]).toBeCloseTo(0.5 / 1.1);
    expect(w.skinWeight.slice(0, 4).reduce((a, b) => a + b)).toBeCloseTo(1);
    expect([...w.unweighted]).toEqual([1]);
    expect(w.skinWeight[4]).toBe(1);
  });
});

describe('material', () => {
  it('resolves textures relative to the mhmat and reads flags', () => {
    const m = parseMhmat(
      'name x\ndiffuseColor 1.0 0.5 0.25\ntransparent True\nbackfaceCull False\n' +
        'diffuseTexture ../textures/skin.png\ntag Young\n',
      '/a/b/skins/x/x.mhmat',
    );
    expect(m.diffuseTexture).toBe('/a/b/skins/textures/skin.png');
    expect(m.diffuseColor).toEqual([1, 0.5, 0.25]);
    expect(m.transparent).toBe(true);
    expect(m.backfaceCull).toBe(false);
    expect(m.tags).toEqual(['young']);
    expect(joinPath('a/b', '../c/./d.png')).toBe('a/c/d.png');
  });
});

describe('mhclo', () => {
  const MHCLO = `# c
name thing
tag Female
obj_file thing.obj
x_scale 0 1 2.0
y_scale 0 2 1.0
z_scale 0 3 1.0
z_depth 20
verts 0
0 1 2 0.5 0.25 0.25 1.0 0.0 0.0
3
material thing.mhmat
delete_verts
1 - 3 5
`;

  it('parses references, scales, delete ranges and late keywords', () => {
    const d = parseMhclo(MHCLO, '/x/thing/thing.mhclo');
    expect(d.count).toBe(2);
    expect(d.objFile).toBe('/x/thing/thing.obj');
    expect(d.material).toBe('/x/thing/thing.mhmat');
    expect(d.zDepth).toBe(20);
    expect(d.tags).toEqual(['female']);
    expect([...d.deleteVerts]).toEqual([1, 2, 3, 5]);
    expect([...d.refVerts.slice(3)]).toEqual([3, 3, 3]);
  });

  it('fits with the body-size scale and blends skin weights', () => {
    const d = parseMhclo(MHCLO, 'thing.mhclo');
    // Body in metres: x extent between v0 and v1 is 0.4 m = 2 × the 2.0 dm reference.
    const body = new Float32Array([0, 0, 0, 0.4, 0, 0, 0, 0.1, 0, 0, 0, 0.1, 0, 0, 0, 0, 0, 0]);
    const p = fitProxy(d, body, 0.1);
    // 0.5·v0 + 0.25·v1 + 0.25·v2 + offset 1 dm × (0.4 m / 2.0 dm) = 0.1 + 0.2
    expect(p[0]).toBeCloseTo(0.3);
    expect(p[1]).toBeCloseTo(0.025);
    expect([p[3], p[4], p[5]]).toEqual([0, 0, expect.closeTo(0.1)]);
    const skin = {
      skinIndex: new Uint16Array(6 * 4),
      skinWeight: new Float32Array(6 * 4),
      unweighted: new Uint32Array(0),
    };
    for (let v = 0; v < 6; v++) {
      skin.skinIndex[4 * v] = v;
      skin.skinWeight[4 * v] = 1;
    }
    const ps = proxySkinFromBody(d, skin);
    expect([...ps.skinIndex.slice(0, 3)]).toEqual([0, 1, 2]);
    expect(ps.skinWeight[0]).toBeCloseTo(0.5);
    expect(ps.skinWeight[1]! + ps.skinWeight[2]!).toBeCloseTo(0.5);
    expect(ps.skinIndex[4]).toBe(3);
    expect(ps.skinWeight[4]).toBe(1);
  });
});
