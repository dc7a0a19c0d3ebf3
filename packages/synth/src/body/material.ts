/**
 * MakeHuman `.mhmat` materials (`key value…` lines). Pure: texture paths are resolved with
 * string operations relative to the mhmat file's folder ('/'-separated paths).
 */

export interface Material {
  name: string;
  /** Resolved path of the diffuse texture, or null. */
  diffuseTexture: string | null;
  normalmapTexture: string | null;
  aomapTexture: string | null;
  /** Linear 0–1 RGB multiplied with the texture. */
  diffuseColor: [number, number, number];
  opacity: number;
  /** Needs alpha blending / alpha test (hair cards, eyes). */
  transparent: boolean;
  alphaToCoverage: boolean;
  /** False = render both faces (MakeHuman `backfaceCull False`). */
  backfaceCull: boolean;
  tags: string[];
}

/** Folder of a '/'-separated path ('' for a bare name). */
export function dirnameOf(path: string): string {
  const p = path.replace(/\\/g, '/');
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : i === 0 ? '/' : p.slice(0, i);
}

/** Joins and normalises '/'-separated paths ('.' and '..' segments). */
export function joinPath(dir: string, rel: string): string {
  const r = rel.replace(/\\/g, '/');
  const abs = r.startsWith('/') || dir.startsWith('/');
  const parts = (r.startsWith('/') || dir === '' ? r : `${dir}/${r}`).split('/');
  const out: string[] = [];
  for (const s of parts) {
    if (s === '' || s === '.') continue;
    if (s === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (s === '..' && abs) continue;
    else out.push(s);
  }
  return (abs ? '/' : '') + out.join('/');
}

function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = v.toLowerCase();
  return s === 'true' || s === '1' || s === 'yes';
}

function num(v: string | undefined, dflt: number): number {
  const x = Number(v);
  return v !== undefined && Number.isFinite(x) ? x : dflt;
}

/** Parses `.mhmat` text; `file` is its path, used to resolve texture paths. */
export function parseMhmat(text: string, file: string): Material {
  const dir = dirnameOf(file);
  const kv = new Map<string, string>();
  const tags: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#') || line.startsWith('//')) continue;
    const sp = line.search(/\s/);
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (key === 'tag') tags.push(value.toLowerCase());
    else if (!kv.has(key)) kv.set(key, value);
  }
  const tex = (key: string): string | null => {
    const v = kv.get(key);
    return v && v.toLowerCase() !== 'none' ? joinPath(dir, v) : null;
  };
  const color = (kv.get('diffuseColor') ?? '1 1 1').split(/\s+/).map(Number);
  const diffuseColor: [number, number, number] = [0, 1, 2].map((i) =>
    Number.isFinite(color[i]) ? Math.min(1, Math.max(0, color[i]!)) : 1,
  ) as [number, number, number];
  const opacity = num(kv.get('opacity'), 1);
  return {
    name: kv.get('name') ?? file,
    diffuseTexture: tex('diffuseTexture'),
    normalmapTexture: tex('normalmapTexture'),
    aomapTexture: tex('aomapTexture'),
    diffuseColor,
    opacity,
    transparent: bool(kv.get('transparent'), false) || opacity < 1,
    alphaToCoverage: bool(kv.get('alphaToCoverage'), false),
    backfaceCull: bool(kv.get('backfaceCull'), true),
    tags,
  };
}
