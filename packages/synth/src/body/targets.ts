/**
 * MakeHuman `.target` morph targets: sparse per-vertex offsets, one `idx dx dy dz` line per
 * moved vertex (0-based base-mesh index, offsets in mesh units = decimetres). Pure.
 */
import { SynthError } from '../errors.js';

export interface Target {
  /** Moved vertices (0-based base-mesh indices). */
  indices: Uint32Array;
  /** xyz offset per entry of `indices`, in mesh units. */
  offsets: Float32Array;
}

/** Parses a `.target` file. Comment (`#`) and blank lines are skipped; an empty target is valid. */
export function parseTarget(text: string, file = 'target', vertexCount = Infinity): Target {
  const lines = text.split('\n');
  const idx = new Uint32Array(lines.length);
  const off = new Float32Array(lines.length * 3);
  let n = 0;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!.trim();
    if (line.length === 0 || line.charCodeAt(0) === 35) continue;
    const p = line.split(/\s+/);
    const i = Number(p[0]);
    const x = Number(p[1]);
    const y = Number(p[2]);
    const z = Number(p[3]);
    if (
      p.length < 4 ||
      !Number.isInteger(i) ||
      i < 0 ||
      i >= vertexCount ||
      !Number.isFinite(x) ||
      !Number.isFinite(y) ||
      !Number.isFinite(z)
    ) {
      throw new SynthError(
        'bad-asset',
        `${file}:${li + 1}: expected "index dx dy dz", got "${line}"`,
      );
    }
    idx[n] = i;
    off[3 * n] = x;
    off[3 * n + 1] = y;
    off[3 * n + 2] = z;
    n++;
  }
  return { indices: idx.slice(0, n), offsets: off.slice(0, 3 * n) };
}

/** `positions += weight * target` (in place; positions are xyz per base-mesh vertex). */
export function applyTarget(
  positions: Float32Array | Float64Array,
  target: Target,
  weight: number,
): void {
  if (weight === 0) return;
  const { indices, offsets } = target;
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k]! * 3;
    positions[v] = positions[v]! + weight * offsets[3 * k]!;
    positions[v + 1] = positions[v + 1]! + weight * offsets[3 * k + 1]!;
    positions[v + 2] = positions[v + 2]! + weight * offsets[3 * k + 2]!;
  }
}
