/**
 * MakeHuman proxies (`.mhclo`: clothes, hair, eyes) — parsing and fitting to a shaped body.
 * Pure.
 *
 * A proxy vertex i is bound to 3 base-mesh vertices (a, b, c) with weights (wa, wb, wc) and an
 * offset d: `p = wa·V[a] + wb·V[b] + wc·V[c] + S·d`, where S = diag(sx, sy, sz) and
 * `sx = |V[v1].x − V[v2].x| / ref` from the line `x_scale v1 v2 ref` (same for y and z), so the
 * offset grows with the body. Offsets and `ref` are in mesh units (decimetres).
 */
import { SynthError } from '../errors.js';
import { dirnameOf, joinPath } from './material.js';
import { INFLUENCES, type SkinWeights } from './weights.js';

export interface ProxyScale {
  v1: number;
  v2: number;
  ref: number;
}

export interface ProxyDef {
  file: string;
  name: string;
  uuid: string | null;
  /** Lower-cased `tag` lines. */
  tags: string[];
  /** Resolved path of the proxy mesh. */
  objFile: string;
  /** Resolved path of the `.mhmat`, or null. */
  material: string | null;
  /** Resolved path of the proxy's own `.mhw` weights, or null (then weights come from the body). */
  vertexBoneWeightsFile: string | null;
  /** Render order (MakeHuman default 50 when missing); larger = drawn later / on top. */
  zDepth: number;
  /** Per axis x, y, z; null = scale 1 on that axis. */
  scale: [ProxyScale | null, ProxyScale | null, ProxyScale | null];
  /** Number of proxy vertices. */
  count: number;
  /** 3 base-mesh vertex indices per proxy vertex. */
  refVerts: Uint32Array;
  /** 3 weights per proxy vertex. */
  refWeights: Float32Array;
  /** xyz offset per proxy vertex, mesh units. */
  offsets: Float32Array;
  /** Base-mesh vertices hidden by this proxy (sorted, unique). */
  deleteVerts: Uint32Array;
}

const KEYWORDS_IGNORED = new Set([
  'basemesh',
  'version',
  'description',
  'author',
  'license',
  'homepage',
  'author:',
  'license:',
  'max_pole',
  'special_pose',
  'uvLayer',
  'backface_culling',
  'transparent',
  'shear_x',
  'shear_y',
  'shear_z',
  'l_shear_x',
  'l_shear_y',
  'l_shear_z',
  'r_shear_x',
  'r_shear_y',
  'r_shear_z',
]);

function withExt(dir: string, name: string, ext: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return joinPath(dir, base.includes('.') ? name : name + ext);
}

/**
 * Parses `.mhclo` text. `file` is its path (relative paths inside are resolved against it);
 * `vertexCount` bounds the base-mesh indices. Shear-based fitting (used by no asset here) is not
 * supported: such proxies fit with scale 1.
 */
export function parseMhclo(text: string, file: string, vertexCount = Infinity): ProxyDef {
  const dir = dirnameOf(file);
  const bad = (li: number, msg: string) => new SynthError('bad-asset', `${file}:${li + 1}: ${msg}`);
  let name = file.slice(file.lastIndexOf('/') + 1).replace(/\.mhclo$/i, '');
  let uuid: string | null = null;
  const tags: string[] = [];
  let objFile: string | null = null;
  let material: string | null = null;
  let vbw: string | null = null;
  let zDepth = -1;
  const scale: ProxyDef['scale'] = [null, null, null];
  const refs: number[] = [];
  const ws: number[] = [];
  const offs: number[] = [];
  const del: number[] = [];
  let status: 'none' | 'verts' | 'weights' | 'delete' = 'none';
  const lines = text.split('\n');
  const checkV = (v: number, li: number) => {
    if (!Number.isInteger(v) || v < 0 || v >= vertexCount)
      throw bad(li, `bad base-mesh vertex ${v}`);
    return v;
  };
  for (let li = 0; li < lines.length; li++) {
    const w = lines[li]!.trim().split(/\s+/);
    const key = w[0]!;
    if (key === '' || key.startsWith('#')) continue;
    switch (key) {
      case 'name':
        name = w.slice(1).join(' ');
        continue;
      case 'uuid':
        uuid = w.slice(1).join(' ');
        continue;
      case 'tag':
        tags.push(w.slice(1).join(' ').toLowerCase());
        continue;
      case 'z_depth':
        zDepth = Number.parseInt(w[1] ?? '', 10);
        if (!Number.isFinite(zDepth)) throw bad(li, 'bad z_depth');
        continue;
      case 'obj_file':
        if (!w[1]) throw bad(li, 'obj_file without a name');
        objFile = withExt(dir, w[1], '.obj');
        continue;
      case 'material':
        if (!w[1]) throw bad(li, 'material without a name');
        material = withExt(dir, w[1], '.mhmat');
        continue;
      case 'vertexboneweights_file':
        if (!w[1]) throw bad(li, 'vertexboneweights_file without a name');
        vbw = withExt(dir, w[1], '.jsonw');
        continue;
      case 'x_scale':
      case 'y_scale':
      case 'z_scale': {
        const v1 = checkV(Number(w[1]), li);
        const v2 = checkV(Number(w[2]), li);
        const ref = Number(w[3]);
        if (!(ref > 0)) throw bad(li, `bad scale reference ${w[3]}`);
        scale[key === 'x_scale' ? 0 : key === 'y_scale' ? 1 : 2] = { v1, v2, ref };
        continue;
      }
      case 'verts':
        status = 'verts';
        continue;
      case 'weights':
        status = 'weights';
        continue;
      case 'delete_verts':
        status = 'delete';
        continue;
    }
    if (KEYWORDS_IGNORED.has(key)) continue;
    if (status === 'verts') {
      if (w.length === 1) {
        const a = checkV(Number(w[0]), li);
        refs.push(a, a, a);
        ws.push(1, 0, 0);
        offs.push(0, 0, 0);
      } else if (w.length >= 6) {
        const n = w.map(Number);
        refs.push(checkV(n[0]!, li), checkV(n[1]!, li), checkV(n[2]!, li));
        for (let k = 3; k < 6; k++) if (!Number.isFinite(n[k])) throw bad(li, 'bad weight');
        ws.push(n[3]!, n[4]!, n[5]!);
        if (w.length >= 9) {
          for (let k = 6; k < 9; k++) if (!Number.isFinite(n[k])) throw bad(li, 'bad offset');
          offs.push(n[6]!, n[7]!, n[8]!);
        } else offs.push(0, 0, 0);
      } else throw bad(li, `expected "a b c wa wb wc dx dy dz", got "${w.join(' ')}"`);
    } else if (status === 'delete') {
      let range = false;
      let prev = -1;
      for (const tok of w) {
        if (tok === '-') {
          range = true;
          continue;
        }
        const v = checkV(Number(tok), li);
        if (range) {
          if (prev < 0 || v < prev) throw bad(li, `bad range ${prev} - ${v}`);
          for (let x = prev + 1; x <= v; x++) del.push(x);
          range = false;
        } else del.push(v);
        prev = v;
      }
    }
    // 'weights' sections (vertex groups) are not needed for rendering.
  }
  if (!objFile) throw new SynthError('bad-asset', `${file}: no obj_file`);
  if (refs.length === 0) throw new SynthError('bad-asset', `${file}: no "verts" section`);
  const delSorted = Uint32Array.from(new Set(del)).sort();
  return {
    file,
    name,
    uuid,
    tags,
    objFile,
    material,
    vertexBoneWeightsFile: vbw,
    zDepth: zDepth < 0 ? 50 : zDepth,
    scale,
    count: refs.length / 3,
    refVerts: Uint32Array.from(refs),
    refWeights: Float32Array.from(ws),
    offsets: Float32Array.from(offs),
    deleteVerts: delSorted,
  };
}

/**
 * Fits the proxy to shaped body positions `body` (xyz per base-mesh vertex, in any unit; `unit`
 * = body units per mesh unit, 0.1 for metres). Returns xyz per proxy vertex in body units.
 */
export function fitProxy(
  def: ProxyDef,
  body: Float32Array,
  unit = 0.1,
  out: Float32Array = new Float32Array(def.count * 3),
): Float32Array {
  const s = [unit, unit, unit];
  for (let ax = 0; ax < 3; ax++) {
    const sc = def.scale[ax];
    // Offset in mesh units × (current length / reference length); current length in body
    // units already contains `unit`.
    if (sc) s[ax] = Math.abs(body[3 * sc.v1 + ax]! - body[3 * sc.v2 + ax]!) / sc.ref;
  }
  const { refVerts: r, refWeights: w, offsets: d } = def;
  for (let i = 0; i < def.count; i++) {
    const a = 3 * r[3 * i]!;
    const b = 3 * r[3 * i + 1]!;
    const c = 3 * r[3 * i + 2]!;
    const wa = w[3 * i]!;
    const wb = w[3 * i + 1]!;
    const wc = w[3 * i + 2]!;
    for (let ax = 0; ax < 3; ax++) {
      out[3 * i + ax] =
        wa * body[a + ax]! + wb * body[b + ax]! + wc * body[c + ax]! + s[ax]! * d[3 * i + ax]!;
    }
  }
  return out;
}

/**
 * Proxy skin weights from the body's: the 3 reference vertices' influences blended with the
 * proxy weights (negative proxy weights clamped to 0), merged per bone, top 4, renormalised.
 */
export function proxySkinFromBody(def: ProxyDef, body: SkinWeights): SkinWeights {
  const n = def.count;
  const skinIndex = new Uint16Array(n * INFLUENCES);
  const skinWeight = new Float32Array(n * INFLUENCES);
  const unweighted: number[] = [];
  const M = 3 * INFLUENCES;
  const bones = new Int32Array(M);
  const wsum = new Float64Array(M);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < 3; j++) {
      const pw = Math.max(0, def.refWeights[3 * i + j]!);
      if (pw === 0) continue;
      const v = def.refVerts[3 * i + j]! * INFLUENCES;
      for (let k = 0; k < INFLUENCES; k++) {
        const bw = body.skinWeight[v + k]! * pw;
        if (bw <= 0) continue;
        const b = body.skinIndex[v + k]!;
        let q = 0;
        while (q < m && bones[q] !== b) q++;
        if (q === m) {
          bones[m] = b;
          wsum[m++] = bw;
        } else wsum[q] = wsum[q]! + bw;
      }
    }
    const o = i * INFLUENCES;
    let total = 0;
    for (let k = 0; k < INFLUENCES; k++) {
      // Select the k-th largest.
      let best = -1;
      for (let q = 0; q < m; q++)
        if (wsum[q]! > 0 && (best < 0 || wsum[q]! > wsum[best]!)) best = q;
      if (best < 0) break;
      skinIndex[o + k] = bones[best]!;
      skinWeight[o + k] = wsum[best]!;
      total += wsum[best]!;
      wsum[best] = 0;
    }
    if (total > 0) {
      for (let k = 0; k < INFLUENCES; k++) skinWeight[o + k] = skinWeight[o + k]! / total;
    } else {
      unweighted.push(i);
      skinIndex[o] = 0;
      skinWeight[o] = 1;
    }
  }
  return { skinIndex, skinWeight, unweighted: Uint32Array.from(unweighted) };
}

/** Marks `def.deleteVerts` in a per-base-vertex mask (non-zero = hidden). */
export function markDeleted(def: ProxyDef, mask: Uint8Array): void {
  for (let i = 0; i < def.deleteVerts.length; i++) mask[def.deleteVerts[i]!] = 1;
}
