/**
 * MakeHuman `.mhw` skinning weights → 4 influences per vertex for GPU skinning. Pure.
 */
import { SynthError } from '../errors.js';

/** Influences per vertex. */
export const INFLUENCES = 4;

export interface SkinWeights {
  /** 4 bone indices per vertex (indices into the bone list). */
  skinIndex: Uint16Array;
  /** 4 weights per vertex, summing to 1 (unused slots 0). */
  skinWeight: Float32Array;
  /** Vertices that had no weight at all; they are bound fully to `fallbackBone`. */
  unweighted: Uint32Array;
}

/**
 * Parses `.mhw` JSON (`{ weights: { bone: [[vertex, weight], …] } }`) for a mesh with
 * `vertexCount` vertices. `boneIndex` maps bone names to indices; weights of bones missing from
 * it are dropped (none are missing for the default skeleton). Each vertex keeps its 4 largest
 * weights, renormalised to sum 1. Vertices without any weight are bound to `fallbackBone`
 * (the root) with weight 1 and listed in `unweighted` (this does not happen for hm08 + default).
 */
export function parseWeights(
  text: string,
  boneIndex: ReadonlyMap<string, number>,
  vertexCount: number,
  file = 'mhw',
  fallbackBone = 0,
): SkinWeights {
  let data: { weights?: Record<string, unknown> };
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SynthError('bad-asset', `${file}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (!data || typeof data.weights !== 'object' || data.weights === null) {
    throw new SynthError('bad-asset', `${file}: expected a "weights" object`);
  }
  const acc = new TopK(vertexCount);
  for (const [bone, list] of Object.entries(data.weights)) {
    const bi = boneIndex.get(bone);
    if (!Array.isArray(list))
      throw new SynthError('bad-asset', `${file}: weights of ${bone} not a list`);
    if (bi === undefined) continue;
    for (const pair of list) {
      const v = Array.isArray(pair) ? pair[0] : undefined;
      const w = Array.isArray(pair) ? pair[1] : undefined;
      if (!Number.isInteger(v) || v < 0 || v >= vertexCount || typeof w !== 'number') {
        throw new SynthError(
          'bad-asset',
          `${file}: bad weight entry ${JSON.stringify(pair)} of ${bone}`,
        );
      }
      if (w > 0) acc.add(v, bi, w);
    }
  }
  return acc.finish(fallbackBone);
}

/**
 * Keeps the 4 largest (bone, weight) contributions per vertex, streaming. Adding the same bone
 * again sums only while it is still among the kept 4, so feed each (vertex, bone) pair once
 * (as `.mhw` files do). Typed arrays only, no per-vertex objects.
 */
export class TopK {
  readonly n: number;
  readonly idx: Uint16Array;
  readonly w: Float32Array;
  private readonly scratchBone = new Int32Array(INFLUENCES);
  private readonly scratchW = new Float64Array(INFLUENCES);

  constructor(n: number) {
    this.n = n;
    this.idx = new Uint16Array(n * INFLUENCES);
    this.w = new Float32Array(n * INFLUENCES);
  }

  /** Adds weight `w` of `bone` to vertex `v` (merging with an existing entry for that bone). */
  add(v: number, bone: number, w: number): void {
    const o = v * INFLUENCES;
    let minK = 0;
    for (let k = 0; k < INFLUENCES; k++) {
      if (this.w[o + k]! > 0 && this.idx[o + k] === bone) {
        this.w[o + k] = this.w[o + k]! + w;
        return;
      }
      if (this.w[o + k]! < this.w[o + minK]!) minK = k;
    }
    if (this.w[o + minK]! < w) {
      this.idx[o + minK] = bone;
      this.w[o + minK] = w;
    }
  }

  /** Sorts each vertex's influences by weight, renormalises, binds empty vertices to `fallback`. */
  finish(fallback: number): SkinWeights {
    const unweighted: number[] = [];
    const bs = this.scratchBone;
    const ws = this.scratchW;
    for (let v = 0; v < this.n; v++) {
      const o = v * INFLUENCES;
      let s = 0;
      for (let k = 0; k < INFLUENCES; k++) {
        bs[k] = this.idx[o + k]!;
        ws[k] = this.w[o + k]!;
        s += ws[k]!;
      }
      if (!(s > 0)) {
        unweighted.push(v);
        this.idx[o] = fallback;
        this.w[o] = 1;
        for (let k = 1; k < INFLUENCES; k++) {
          this.idx[o + k] = 0;
          this.w[o + k] = 0;
        }
        continue;
      }
      // Insertion sort of 4 by descending weight.
      for (let i = 1; i < INFLUENCES; i++) {
        const b = bs[i]!;
        const w = ws[i]!;
        let j = i - 1;
        while (j >= 0 && ws[j]! < w) {
          bs[j + 1] = bs[j]!;
          ws[j + 1] = ws[j]!;
          j--;
        }
        bs[j + 1] = b;
        ws[j + 1] = w;
      }
      for (let k = 0; k < INFLUENCES; k++) {
        this.idx[o + k] = ws[k]! > 0 ? bs[k]! : 0;
        this.w[o + k] = ws[k]! / s;
      }
    }
    return { skinIndex: this.idx, skinWeight: this.w, unweighted: Uint32Array.from(unweighted) };
  }
}
