/**
 * The annotated real images of `../shared/data/real/mmpose/{coco,mpii,crowdpose,ochuman}` as
 * evaluation sets (pure parsing, no I/O): per image the people's ground-truth boxes and 2D
 * keypoints, converted to a registry skeleton's joint order (joints the skeleton does not define
 * are dropped). See docs/evaluation.md.
 */
import { getSkeleton } from '@metrabs/core';

export interface RealPerson {
  /** `[x, y, w, h]`, px. */
  box: [number, number, number, number];
  /** J×2 in the set skeleton's order (0s where not annotated). */
  joints2d: number[][];
  valid: boolean[];
  /** Head segment length (MPII: upper neck to head top), px, or null. */
  headLength: number | null;
}

export interface RealImage {
  /** File name relative to the set's folder. */
  file: string;
  people: RealPerson[];
}

export interface RealSet {
  name: string;
  /** Registry skeleton whose joint order `joints2d` uses. */
  skeleton: string;
  images: RealImage[];
}

/** The sets `metrabs eval --real` knows: folder, annotation file, format, skeleton. */
export const REAL_SETS = [
  { name: 'coco', file: 'mmpose/coco/test_coco.json', format: 'coco', skeleton: 'coco_17' },
  { name: 'mpii', file: 'mmpose/mpii/test_mpii.json', format: 'mpii', skeleton: 'mpii_16' },
  {
    name: 'crowdpose',
    file: 'mmpose/crowdpose/test_crowdpose.json',
    format: 'coco',
    skeleton: 'coco_17',
  },
  {
    name: 'ochuman',
    file: 'mmpose/ochuman/test_ochuman.json',
    format: 'coco',
    skeleton: 'coco_17',
  },
] as const;

/** COCO-style keypoint names → registry joint names (only exact equivalents). */
export const KEYPOINT_NAMES: Record<string, string> = {
  nose: 'nose',
  left_eye: 'leye',
  right_eye: 'reye',
  left_ear: 'lear',
  right_ear: 'rear',
  left_shoulder: 'lsho',
  right_shoulder: 'rsho',
  left_elbow: 'lelb',
  right_elbow: 'relb',
  left_wrist: 'lwri',
  right_wrist: 'rwri',
  left_hip: 'lhip',
  right_hip: 'rhip',
  left_knee: 'lkne',
  right_knee: 'rkne',
  left_ankle: 'lank',
  right_ankle: 'rank',
};

export class AnnotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnnotationError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A COCO-style keypoint file (COCO, CrowdPose, OCHuman): `categories[0].keypoints` names the
 * keypoints, `annotations[]` hold `keypoints` [x, y, v]·K (v > 0: annotated) and `bbox`.
 * Crowd annotations and people without any keypoint that maps to the skeleton are left out.
 */
export function parseCocoKeypoints(raw: unknown, skeleton: string, name = 'coco'): RealSet {
  if (!isObject(raw) || !Array.isArray(raw['images']) || !Array.isArray(raw['annotations'])) {
    throw new AnnotationError('expected a COCO-style object with "images" and "annotations"');
  }
  const categories = raw['categories'];
  const names =
    Array.isArray(categories) && isObject(categories[0]) ? categories[0]['keypoints'] : null;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    throw new AnnotationError('categories[0].keypoints must list the keypoint names');
  }
  const joints = getSkeleton(skeleton).jointNames;
  const target = names.map((n) => joints.indexOf(KEYPOINT_NAMES[n as string] ?? '\u0000'));
  const files = new Map<unknown, string>();
  const order: unknown[] = [];
  for (const image of raw['images'] as unknown[]) {
    if (!isObject(image) || typeof image['file_name'] !== 'string') {
      throw new AnnotationError('every image needs a "file_name"');
    }
    files.set(image['id'], image['file_name']);
    order.push(image['id']);
  }
  const people = new Map<unknown, RealPerson[]>();
  for (const ann of raw['annotations'] as unknown[]) {
    if (!isObject(ann) || ann['iscrowd'] === 1) continue;
    const kp = ann['keypoints'];
    const bbox = ann['bbox'];
    if (!Array.isArray(kp) || kp.length !== 3 * names.length || !kp.every(finite)) continue;
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(finite)) continue;
    if (!((bbox[2] as number) > 0 && (bbox[3] as number) > 0)) continue;
    if (!files.has(ann['image_id'])) {
      throw new AnnotationError(`annotation for unknown image_id ${String(ann['image_id'])}`);
    }
    const joints2d = joints.map(() => [0, 0]);
    const valid = joints.map(() => false);
    target.forEach((j, k) => {
      if (j < 0 || !((kp[3 * k + 2] as number) > 0)) return;
      joints2d[j] = [kp[3 * k] as number, kp[3 * k + 1] as number];
      valid[j] = true;
    });
    if (!valid.some(Boolean)) continue;
    const list = people.get(ann['image_id']) ?? [];
    list.push({
      box: bbox as [number, number, number, number],
      joints2d,
      valid,
      headLength: null,
    });
    people.set(ann['image_id'], list);
  }
  return {
    name,
    skeleton,
    images: order
      .filter((id) => people.has(id))
      .map((id) => ({ file: files.get(id)!, people: people.get(id)! })),
  };
}

/**
 * mmpose's MPII test file: a list of `{image, joints (16×2, MPII order), joints_vis, center,
 * scale}`. Coordinates are MATLAB 1-based and become 0-based (−1). The box is a square of side
 * 200 · scale around the centre (MPII's scale is the person's height / 200 px); the head length
 * is the distance from the upper neck (8) to the head top (9) when both are annotated.
 */
export function parseMpii(raw: unknown, name = 'mpii'): RealSet {
  if (!Array.isArray(raw)) throw new AnnotationError('expected a list of MPII annotations');
  const skeleton = 'mpii_16';
  const J = getSkeleton(skeleton).jointNames.length;
  const byImage = new Map<string, RealPerson[]>();
  for (const ann of raw as unknown[]) {
    if (!isObject(ann) || typeof ann['image'] !== 'string') {
      throw new AnnotationError('every MPII annotation needs an "image"');
    }
    const joints = ann['joints'];
    const vis = ann['joints_vis'];
    const center = ann['center'];
    const scale = ann['scale'];
    if (
      !Array.isArray(joints) ||
      joints.length !== J ||
      !joints.every((r) => Array.isArray(r) && r.length === 2 && r.every(finite)) ||
      !Array.isArray(vis) ||
      vis.length !== J ||
      !Array.isArray(center) ||
      center.length !== 2 ||
      !center.every(finite) ||
      !finite(scale) ||
      !(scale > 0)
    ) {
      throw new AnnotationError(`malformed MPII annotation of ${ann['image']}`);
    }
    const valid = (vis as unknown[]).map((v) => finite(v) && v > 0);
    if (!valid.some(Boolean)) continue;
    const joints2d = (joints as number[][]).map(([x, y], j) =>
      valid[j] ? [x! - 1, y! - 1] : [0, 0],
    );
    const side = 200 * scale;
    const [cx, cy] = [(center[0] as number) - 1, (center[1] as number) - 1];
    const head =
      valid[8] && valid[9]
        ? Math.hypot(joints2d[8]![0]! - joints2d[9]![0]!, joints2d[8]![1]! - joints2d[9]![1]!)
        : null;
    const list = byImage.get(ann['image']) ?? [];
    list.push({
      box: [cx - side / 2, cy - side / 2, side, side],
      joints2d,
      valid,
      headLength: head !== null && head > 0 ? head : null,
    });
    byImage.set(ann['image'], list);
  }
  return {
    name,
    skeleton,
    images: [...byImage].map(([file, people]) => ({ file, people })),
  };
}

/** Parses the annotation file of one of `REAL_SETS`. */
export function parseRealSet(set: (typeof REAL_SETS)[number], raw: unknown): RealSet {
  return set.format === 'mpii'
    ? parseMpii(raw, set.name)
    : parseCocoKeypoints(raw, set.skeleton, set.name);
}
