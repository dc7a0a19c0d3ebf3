/**
 * Every asset the renderer can use, by kind, and their deterministic split assignment
 * (train / validation / test never share a motion clip, skin, garment, hair style or photo).
 */
import { listBackgrounds } from './background-node.js';
import { catalogFor } from './body/index.js';
import { listMotionClips } from './motion/catalog-node.js';
import { type Asset, assignSplits, type SplitAssignment } from './splits.js';

export function assetInventory(assetRoot: string): Asset[] {
  const catalog = catalogFor(assetRoot);
  return [
    ...listMotionClips(assetRoot).map((c) => ({ kind: 'motion', id: c.id })),
    ...catalog.skins.map((s) => ({ kind: 'skin', id: s.id })),
    ...catalog.clothes.map((c) => ({ kind: 'garment', id: c.id })),
    ...catalog.hair.map((h) => ({ kind: 'hair', id: h.id })),
    ...listBackgrounds(assetRoot).map((b) => ({ kind: 'background', id: b.id })),
  ];
}

export function splitAssignment(assetRoot: string): SplitAssignment {
  return assignSplits(assetInventory(assetRoot));
}
