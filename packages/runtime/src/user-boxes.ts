/**
 * Boxes a caller gives to `estimatePoses`: checked before any work, so a JavaScript caller's
 * null, a string or a NaN score is a `GeometryError` naming the image and box, not a
 * TypeError from deep inside or a NaN in the result. Geometry (positive, finite size) is
 * checked where the crop is built, which also names the box.
 */
import { GeometryError } from '@metrabs/core';
import type { Box } from './types.js';

const isArrayLike = (v: unknown): v is ArrayLike<unknown> =>
  Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));

/** `[x, y, w, h, score]` per box of each image (score 1 when not given). */
export function userBoxes(lists: unknown, numImages: number): Box[][] {
  if (!Array.isArray(lists)) {
    throw new GeometryError('shape', `boxes must be a list per image, got ${describe(lists)}`);
  }
  if (lists.length !== numImages) {
    throw new GeometryError('shape', `${numImages} images but box lists for ${lists.length}`);
  }
  return lists.map((list, i) => {
    if (!Array.isArray(list)) {
      throw new GeometryError(
        'shape',
        `image ${i}: boxes must be a list of [x, y, w, h], got ${describe(list)}`,
      );
    }
    return list.map((b, k) => userBox(b, `image ${i}, box ${k}`));
  });
}

function userBox(b: unknown, where: string): Box {
  if (!isArrayLike(b) || b.length < 4 || b.length > 5) {
    throw new GeometryError(
      'shape',
      `${where}: expected [x, y, w, h] or [x, y, w, h, score], got ${describe(b)}`,
    );
  }
  const values = Array.from(b);
  if (!values.every((v) => typeof v === 'number')) {
    throw new GeometryError('shape', `${where}: box entries must be numbers, got ${describe(b)}`);
  }
  const [x, y, w, h, score = 1] = values as number[];
  if (!Number.isFinite(score)) {
    throw new GeometryError('non-finite', `${where}: the score must be finite, got ${score}`);
  }
  return [x!, y!, w!, h!, score];
}

/** A short description of a wrong value for messages (never the whole value). */
function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (isArrayLike(v)) {
    const text = `[${Array.from(v, (x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')}]`;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}
