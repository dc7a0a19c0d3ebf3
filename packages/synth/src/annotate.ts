/**
 * Per-person labels read off the exact label pass: joints in camera mm and pixels, in-image and
 * occlusion flags, and the box and mask of the visible pixels (docs/synth.md, "Labels"). Pure.
 */
import type { Camera } from '@metrabs/core';
import type { PersonLabels, Vec2, Vec3 } from './dataset/labels.js';
import { encodeMask, maskBox } from './dataset/rle.js';
import { CANONICAL, jointDepthTolerance } from './joints.js';
import type { LabelImage } from './render/renderer-node.js';

/** Rounds to `digits` decimals (labels are stored as JSON). */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Labels of one person from the label image: joints in camera mm and pixels, in-image and
 * occlusion flags, box and mask of the visible pixels. Null when too little of them is visible.
 */
export function annotatePerson(
  camera: Camera,
  labels: LabelImage,
  id: number,
  jointsWorldM: Float64Array,
  minVisiblePixels: number,
): PersonLabels | null {
  const { width: W, height: H } = labels;
  const mask = new Uint8Array(W * H);
  let area = 0;
  let touchesBorder = false;
  for (let i = 0; i < mask.length; i++) {
    if (labels.ids[i] === id) {
      mask[i] = 1;
      area++;
      const x = i % W;
      const y = (i - x) / W;
      if (x === 0 || y === 0 || x === W - 1 || y === H - 1) touchesBorder = true;
    }
  }
  if (area < minVisiblePixels) return null;
  const box = maskBox(mask, W, H);
  if (!box) return null;
  const world = Float64Array.from(jointsWorldM, (v) => v * 1000);
  const cam = camera.worldToCamera(world);
  const px = camera.worldToImage(world);
  const J = cam.length / 3;
  const joints3d: Vec3[] = [];
  const joints2d: Vec2[] = [];
  const inImage: (0 | 1)[] = [];
  const occluded: (0 | 1)[] = [];
  const valid: (0 | 1)[] = [];
  for (let j = 0; j < J; j++) {
    const z = cam[j * 3 + 2]!;
    const u = px[j * 2]!;
    const v = px[j * 2 + 1]!;
    const ok = z > 1 && Number.isFinite(u) && Number.isFinite(v);
    valid.push(ok ? 1 : 0);
    joints3d.push(ok ? [round(cam[j * 3]!, 2), round(cam[j * 3 + 1]!, 2), round(z, 2)] : [0, 0, 0]);
    joints2d.push(ok ? [round(u, 3), round(v, 3)] : [0, 0]);
    const inside = ok && u >= -0.5 && u <= W - 0.5 && v >= -0.5 && v <= H - 0.5;
    inImage.push(inside ? 1 : 0);
    occluded.push(
      inside && isOccluded(labels, u, v, z, jointDepthTolerance(CANONICAL.jointNames[j]!)) ? 1 : 0,
    );
  }
  const truncated = touchesBorder || inImage.some((f, j) => f === 0 && valid[j] === 1);
  return {
    box: box.map((v) => round(v, 2)) as [number, number, number, number],
    joints3d,
    joints2d,
    joint_valid: valid,
    in_image: inImage,
    occluded,
    truncated,
    mask: encodeMask(mask, W, H),
  };
}

/**
 * A joint is hidden when, around its pixel, every visible surface is another object (or this
 * body) lying well in front of it: closer than the joint's depth minus how deep it sits inside
 * the body (`tolerance`). A 3×3 neighbourhood forgives thin-limb rasterisation.
 */
function isOccluded(
  labels: LabelImage,
  u: number,
  v: number,
  depthMm: number,
  toleranceM: number,
): boolean {
  const x0 = Math.round(u);
  const y0 = Math.round(v);
  const limit = depthMm - toleranceM * 1000 - 30;
  let seen = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const x = x0 + dx;
      const y = y0 + dy;
      if (x < 0 || y < 0 || x >= labels.width || y >= labels.height) continue;
      const i = y * labels.width + x;
      const other = labels.ids[i]!;
      seen++;
      if (other === 0) return false; // background: nothing in front
      if (labels.depthMm[i]! >= limit) return false; // this surface is not in front of the joint
    }
  }
  return seen > 0;
}
