/**
 * Wavefront OBJ parsing for MakeHuman meshes (the base mesh and proxy meshes). Pure: takes
 * text, returns typed arrays. The original vertex order is kept, because targets, the rig's
 * joints and the `.mhclo` proxies all refer to base-mesh vertices by their 0-based index.
 */
import { SynthError } from '../errors.js';

export interface ObjMesh {
  /** `v` lines, xyz per vertex, in file units (MakeHuman: decimetres). */
  positions: Float32Array;
  /** `vt` lines, uv per texture vertex. */
  uvs: Float32Array;
  /** Group names in order of first appearance (`g` lines); index 0 is '' for faces before any `g`. */
  groups: string[];
  /** Per face: index into `groups`. */
  faceGroup: Uint32Array;
  /** Per face: start of its corners in `cornerPos`/`cornerUv`; length = faces + 1. */
  faceStart: Uint32Array;
  /** Per face corner: 0-based position index. */
  cornerPos: Uint32Array;
  /** Per face corner: 0-based uv index, or -1 when the corner has none. */
  cornerUv: Int32Array;
}

export interface Triangles {
  /** 3 position indices per triangle (original vertex indices). */
  pos: Uint32Array;
  /** 3 uv indices per triangle (-1 = none). */
  uv: Int32Array;
}

export interface RenderBuffers {
  /** Render vertex → original vertex index. */
  vertexOf: Uint32Array;
  /** uv per render vertex. */
  uvs: Float32Array;
  /** Triangles over render vertices. */
  indices: Uint32Array;
}

class GrowU32 {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

class GrowI32 {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

class GrowF32 {
  a = new Float32Array(4096);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Float32Array {
    return this.a.slice(0, this.n);
  }
}

/** Parses OBJ text. `file` only names the source in error messages. */
export function parseObj(text: string, file = 'OBJ'): ObjMesh {
  const pos = new GrowF32();
  const uv = new GrowF32();
  const faceGroup = new GrowU32();
  const faceStart = new GrowU32();
  const cornerPos = new GrowU32();
  const cornerUv = new GrowI32();
  const groups: string[] = [''];
  const groupIndex = new Map<string, number>([['', 0]]);
  let group = 0;
  let vCount = 0;
  let vtCount = 0;
  const lines = text.split('\n');
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!.trim();
    if (line.length < 2 || line.charCodeAt(0) === 35 /* # */) continue;
    const parts = line.split(/\s+/);
    const key = parts[0];
    if (key === 'v') {
      if (parts.length < 4) throw bad(file, li, 'vertex needs 3 coordinates');
      for (let k = 1; k <= 3; k++) {
        const x = Number(parts[k]);
        if (!Number.isFinite(x)) throw bad(file, li, `bad number ${parts[k]}`);
        pos.push(x);
      }
      vCount++;
    } else if (key === 'vt') {
      if (parts.length < 3) throw bad(file, li, 'texture vertex needs 2 coordinates');
      const u = Number(parts[1]);
      const v = Number(parts[2]);
      if (!Number.isFinite(u) || !Number.isFinite(v)) throw bad(file, li, 'bad uv');
      uv.push(u);
      uv.push(v);
      vtCount++;
    } else if (key === 'g' || key === 'o') {
      if (key === 'o' && parts.length < 2) continue;
      const name = parts.slice(1).join(' ');
      let gi = groupIndex.get(name);
      if (gi === undefined) {
        gi = groups.length;
        groups.push(name);
        groupIndex.set(name, gi);
      }
      group = gi;
    } else if (key === 'f') {
      if (parts.length < 4) throw bad(file, li, 'face needs at least 3 corners');
      faceStart.push(cornerPos.n);
      faceGroup.push(group);
      for (let k = 1; k < parts.length; k++) {
        const c = parts[k]!;
        const s1 = c.indexOf('/');
        let p = Number(s1 < 0 ? c : c.slice(0, s1));
        let t = -1;
        if (s1 >= 0) {
          const s2 = c.indexOf('/', s1 + 1);
          const ts = s2 < 0 ? c.slice(s1 + 1) : c.slice(s1 + 1, s2);
          if (ts.length > 0) {
            t = Number(ts);
            if (!Number.isInteger(t) || t === 0) throw bad(file, li, `bad uv index ${c}`);
            t = t < 0 ? vtCount + t : t - 1;
          }
        }
        if (!Number.isInteger(p) || p === 0) throw bad(file, li, `bad vertex index ${c}`);
        p = p < 0 ? vCount + p : p - 1;
        cornerPos.push(p);
        cornerUv.push(t);
      }
    }
  }
  faceStart.push(cornerPos.n);
  const cp = cornerPos.done();
  const cu = cornerUv.done();
  for (let i = 0; i < cp.length; i++) {
    if (cp[i]! >= vCount)
      throw new SynthError(
        'bad-asset',
        `${file}: face refers to vertex ${cp[i]! + 1} of ${vCount}`,
      );
    if (cu[i]! >= vtCount)
      throw new SynthError('bad-asset', `${file}: face refers to uv ${cu[i]! + 1} of ${vtCount}`);
  }
  return {
    positions: pos.done(),
    uvs: uv.done(),
    groups,
    faceGroup: faceGroup.done(),
    faceStart: faceStart.done(),
    cornerPos: cp,
    cornerUv: cu,
  };
}

function bad(file: string, line: number, msg: string): SynthError {
  return new SynthError('bad-asset', `${file}:${line + 1}: ${msg}`);
}

export function vertexCount(mesh: ObjMesh): number {
  return mesh.positions.length / 3;
}

export function faceCount(mesh: ObjMesh): number {
  return mesh.faceStart.length - 1;
}

export interface TriangulateOptions {
  /** Keep only faces of these groups (default: all faces). */
  groups?: readonly string[];
  /** Per original vertex: non-zero = hidden; a face touching a hidden vertex is dropped. */
  hidden?: Uint8Array;
}

/** Fan-triangulates the selected faces (quads → 2 triangles), keeping original indices. */
export function triangulate(mesh: ObjMesh, opts: TriangulateOptions = {}): Triangles {
  const nf = faceCount(mesh);
  let keepGroup: Uint8Array | null = null;
  if (opts.groups) {
    keepGroup = new Uint8Array(mesh.groups.length);
    for (const g of opts.groups) {
      const gi = mesh.groups.indexOf(g);
      if (gi >= 0) keepGroup[gi] = 1;
    }
  }
  const hidden = opts.hidden;
  let nt = 0;
  for (let f = 0; f < nf; f++) {
    if (keepGroup && !keepGroup[mesh.faceGroup[f]!]) continue;
    nt += mesh.faceStart[f + 1]! - mesh.faceStart[f]! - 2;
  }
  const pos = new Uint32Array(nt * 3);
  const uv = new Int32Array(nt * 3);
  let t = 0;
  for (let f = 0; f < nf; f++) {
    if (keepGroup && !keepGroup[mesh.faceGroup[f]!]) continue;
    const s = mesh.faceStart[f]!;
    const e = mesh.faceStart[f + 1]!;
    if (hidden) {
      let drop = false;
      for (let c = s; c < e; c++) {
        if (hidden[mesh.cornerPos[c]!]) {
          drop = true;
          break;
        }
      }
      if (drop) continue;
    }
    for (let c = s + 1; c + 1 < e; c++) {
      pos[t] = mesh.cornerPos[s]!;
      uv[t++] = mesh.cornerUv[s]!;
      pos[t] = mesh.cornerPos[c]!;
      uv[t++] = mesh.cornerUv[c]!;
      pos[t] = mesh.cornerPos[c + 1]!;
      uv[t++] = mesh.cornerUv[c + 1]!;
    }
  }
  return { pos: pos.slice(0, t), uv: uv.slice(0, t) };
}

/**
 * Splits triangle corners into unique (position, uv) render vertices. Corners without a uv get
 * (0, 0). Per-frame positions are then `positions[vertexOf[i]]`.
 */
export function buildRenderBuffers(tris: Triangles, uvs: Float32Array): RenderBuffers {
  const n = tris.pos.length;
  const key = new Map<number, number>();
  const vertexOf = new Uint32Array(n);
  const uvOf = new Int32Array(n);
  const indices = new Uint32Array(n);
  let nv = 0;
  for (let i = 0; i < n; i++) {
    const p = tris.pos[i]!;
    const t = tris.uv[i]!;
    // Unique and exact while uv index < 2^22 and position index < 2^30.
    const k = p * 4194304 + (t + 1);
    let r = key.get(k);
    if (r === undefined) {
      r = nv++;
      key.set(k, r);
      vertexOf[r] = p;
      uvOf[r] = t;
    }
    indices[i] = r;
  }
  const outUv = new Float32Array(nv * 2);
  for (let r = 0; r < nv; r++) {
    const t = uvOf[r]!;
    if (t >= 0) {
      outUv[2 * r] = uvs[2 * t]!;
      outUv[2 * r + 1] = uvs[2 * t + 1]!;
    }
  }
  return { vertexOf: vertexOf.slice(0, nv), uvs: outUv, indices };
}

/** Gathers per-render-vertex xyz from per-original-vertex xyz (scaled by `scale`). */
export function gatherPositions(
  src: Float32Array,
  vertexOf: Uint32Array,
  scale = 1,
  out = new Float32Array(vertexOf.length * 3),
): Float32Array {
  for (let r = 0; r < vertexOf.length; r++) {
    const v = vertexOf[r]! * 3;
    out[3 * r] = src[v]! * scale;
    out[3 * r + 1] = src[v + 1]! * scale;
    out[3 * r + 2] = src[v + 2]! * scale;
  }
  return out;
}

/** Gathers an `n`-wide attribute (e.g. 4 skin indices) per render vertex. */
export function gatherAttribute<T extends Float32Array | Uint16Array>(
  src: T,
  vertexOf: Uint32Array,
  n: number,
  out: T,
): T {
  for (let r = 0; r < vertexOf.length; r++) {
    const v = vertexOf[r]! * n;
    for (let k = 0; k < n; k++) out[r * n + k] = src[v + k]!;
  }
  return out;
}

/** Original vertex indices used by faces of the given groups (sorted, unique). */
export function groupVertices(mesh: ObjMesh, groups: readonly string[]): Uint32Array {
  const tris = triangulate(mesh, { groups });
  const used = new Uint8Array(vertexCount(mesh));
  for (let i = 0; i < tris.pos.length; i++) used[tris.pos[i]!] = 1;
  let n = 0;
  for (let i = 0; i < used.length; i++) n += used[i]!;
  const out = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < used.length; i++) if (used[i]) out[j++] = i;
  return out;
}

/**
 * Area-weighted vertex normals per render vertex, accumulated per **source** vertex (via
 * `vertexOf`) so that UV seams — where one source vertex is split into several render
 * vertices — stay smooth (three.js `computeVertexNormals` would show the seams).
 */
export function seamlessNormals(
  positions: Float32Array,
  indices: Uint32Array,
  vertexOf: Uint32Array,
  out: Float32Array = new Float32Array(positions.length),
): Float32Array {
  let maxSrc = 0;
  for (let r = 0; r < vertexOf.length; r++) if (vertexOf[r]! > maxSrc) maxSrc = vertexOf[r]!;
  const acc = new Float64Array((maxSrc + 1) * 3);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t]! * 3;
    const b = indices[t + 1]! * 3;
    const c = indices[t + 2]! * 3;
    const ux = positions[b]! - positions[a]!;
    const uy = positions[b + 1]! - positions[a + 1]!;
    const uz = positions[b + 2]! - positions[a + 2]!;
    const vx = positions[c]! - positions[a]!;
    const vy = positions[c + 1]! - positions[a + 1]!;
    const vz = positions[c + 2]! - positions[a + 2]!;
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    for (let k = 0; k < 3; k++) {
      const s = vertexOf[indices[t + k]!]! * 3;
      acc[s] = acc[s]! + nx;
      acc[s + 1] = acc[s + 1]! + ny;
      acc[s + 2] = acc[s + 2]! + nz;
    }
  }
  for (let r = 0; r < vertexOf.length; r++) {
    const s = vertexOf[r]! * 3;
    const x = acc[s]!;
    const y = acc[s + 1]!;
    const z = acc[s + 2]!;
    const l = Math.hypot(x, y, z) || 1;
    out[3 * r] = x / l;
    out[3 * r + 1] = y / l;
    out[3 * r + 2] = z / l;
  }
  return out;
}
