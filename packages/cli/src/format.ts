/**
 * What the CLI writes around the result document (`resultDocument` of the runtime, one
 * schema for every front end): output file names, counts in words and the JSON layout.
 */
import { basename, extname } from 'node:path';
import {
  type PoseResultLike,
  type ResultDocument,
  type ResultModelInfo,
  resultDocument,
} from '@metrabs/runtime';

export {
  centroid,
  distanceFromCamera,
  type PoseResultLike,
  round,
  stringifyJson,
  worldToCamera,
} from '@metrabs/runtime';

/** The model as the CLI records it (a directory). */
export type ModelInfo = ResultModelInfo & { dir: string };

/** The result document of one image (see `resultDocument`). */
export function formatImageResult(
  image: string,
  size: { width: number; height: number },
  result: PoseResultLike,
  model: ModelInfo,
  extrinsicMatrix?: number[][],
): ResultDocument {
  return resultDocument(result, {
    image,
    imageSize: { width: size.width, height: size.height },
    model,
    ...(extrinsicMatrix ? { extrinsicMatrix } : {}),
  });
}

/**
 * Output base names for a list of inputs: the file name without its extension, made unique
 * with `-2`, `-3`, … when two inputs share a name.
 */
export function outputStems(paths: string[]): string[] {
  const used = new Set<string>();
  return paths.map((p) => {
    const stem = basename(p, extname(p)) || 'image';
    let name = stem;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}`;
    used.add(name);
    return name;
  });
}

/** `1 person`, `2 people`, `no people found`. */
export function peopleText(n: number): string {
  return n === 0 ? 'no people found' : n === 1 ? '1 person' : `${n} people`;
}
