/**
 * Every asset the renderer can use, by kind, and their deterministic split assignment: train
 * never shares a motion clip, skin, garment, hair style or photo with validation or test.
 *
 * Garments are split within their own category (men's outfits, women's outfits, shoes), so every
 * split gets both men's and women's clothes. A category too small to give validation and test
 * one item each (the 2 pairs of shoes) gives train one and lets validation and test share the
 * other — never with train; `splitNotes` says so and `metrabs synth` records it in splits.json.
 */
import { listBackgrounds } from './background-node.js';
import { catalogFor } from './body/index.js';
import { listMotionClips, listPoseGalleries } from './motion/catalog-node.js';
import {
  type Asset,
  assignSplits,
  SPLITS,
  type SplitAssignment,
  type SplitName,
} from './splits.js';

/** `poseGalleries`: a folder of lifted pose galleries, split like motion clips (by gallery). */
export function assetInventory(assetRoot: string, poseGalleries?: string): Asset[] {
  const catalog = catalogFor(assetRoot);
  return [
    ...listMotionClips(assetRoot).map((c) => ({ kind: 'motion', id: c.id })),
    ...(poseGalleries ? listPoseGalleries(poseGalleries) : []).map((c) => ({
      kind: 'motion',
      id: c.id,
    })),
    ...catalog.skins.map((s) => ({ kind: 'skin', id: s.id })),
    ...catalog.clothes
      .filter((c) => c.fittable)
      .map((c) => ({ kind: `garment:${c.category}:${c.gender ?? 'unisex'}`, id: c.id })),
    ...catalog.hair.map((h) => ({ kind: 'hair', id: h.id })),
    ...listBackgrounds(assetRoot).map((b) => ({ kind: 'background', id: b.id })),
  ];
}

/** Kind → split → ids, with the garment categories merged into one `garment` kind. */
export function splitAssignment(assetRoot: string, poseGalleries?: string): SplitAssignment {
  return splitPlan(assetRoot, poseGalleries).assignment;
}

export function splitPlan(
  assetRoot: string,
  poseGalleries?: string,
): { assignment: SplitAssignment; notes: string[] } {
  const raw = assignSplits(assetInventory(assetRoot, poseGalleries));
  const notes: string[] = [];
  const out: SplitAssignment = {};
  for (const [kind, splits] of Object.entries(raw)) {
    const target = kind.startsWith('garment:') ? 'garment' : kind;
    out[target] ??= { train: [], validation: [], test: [] };
    const merged = out[target];
    // A category with everything in train (too few items to split): move one item out so that
    // validation and test have their own, shared between the two of them only.
    if (splits.validation.length === 0 && splits.test.length === 0 && splits.train.length >= 2) {
      const moved = splits.train[splits.train.length - 1]!;
      splits.train = splits.train.slice(0, -1);
      splits.validation = [moved];
      splits.test = [moved];
      notes.push(
        `${kind}: ${moved} is used by both validation and test (too few to split three ways)`,
      );
    }
    for (const s of SPLITS) {
      for (const id of splits[s as SplitName]) if (!merged[s].includes(id)) merged[s].push(id);
    }
  }
  return { assignment: out, notes };
}
