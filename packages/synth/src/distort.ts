/**
 * Lens distortion for rendered images. The renderer is a pinhole camera; a distorted camera's
 * image is made by looking up, for every output pixel, where its ray lands in the pinhole render
 * (undistortion of the pixel through the same OpenCV model that projects the labels). Colours are
 * sampled bilinearly, ids and depths by nearest neighbour so they stay exact labels.
 */
import type { Camera } from '@metrabs/core';
import type { LabelImage } from './render/renderer-node.js';

export function distortImage(
  camera: Camera,
  /** Intrinsics of the pinhole render (wider than the camera's when the lens is barrel-shaped). */
  renderK: ArrayLike<number>,
  width: number,
  height: number,
  rgb: Uint8Array,
  labels: LabelImage,
): { rgb: Uint8Array; labels: LabelImage } {
  const pixels = new Float64Array(width * height * 2);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 2) {
      pixels[i] = x;
      pixels[i + 1] = y;
    }
  }
  const normalized = camera.imageToNormalized(pixels);
  const K = renderK;
  const outRgb = new Uint8Array(rgb.length);
  const ids = new Uint8Array(width * height);
  const depthMm = new Uint16Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const nx = normalized[p * 2]!;
    const ny = normalized[p * 2 + 1]!;
    const u = K[0]! * nx + K[1]! * ny + K[2]!;
    const v = K[4]! * ny + K[5]!;
    if (!(u > -0.5 && v > -0.5 && u < width - 0.5 && v < height - 0.5)) continue; // black border
    const xn = Math.min(width - 1, Math.max(0, Math.round(u)));
    const yn = Math.min(height - 1, Math.max(0, Math.round(v)));
    ids[p] = labels.ids[yn * width + xn]!;
    depthMm[p] = labels.depthMm[yn * width + xn]!;
    const x0 = Math.max(0, Math.min(width - 2, Math.floor(u)));
    const y0 = Math.max(0, Math.min(height - 2, Math.floor(v)));
    const fx = Math.min(1, Math.max(0, u - x0));
    const fy = Math.min(1, Math.max(0, v - y0));
    for (let c = 0; c < 3; c++) {
      const a = rgb[(y0 * width + x0) * 3 + c]!;
      const b = rgb[(y0 * width + x0 + 1) * 3 + c]!;
      const d = rgb[((y0 + 1) * width + x0) * 3 + c]!;
      const e = rgb[((y0 + 1) * width + x0 + 1) * 3 + c]!;
      outRgb[p * 3 + c] = Math.round(
        (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy,
      );
    }
  }
  return { rgb: outRgb, labels: { width, height, ids, depthMm } };
}

/**
 * Pinhole intrinsics whose image covers every ray of the distorted camera's image (same size,
 * same principal point, focal length reduced as needed), so the warp never runs out of pixels.
 */
export function coveringIntrinsics(camera: Camera, width: number, height: number): Float64Array {
  const border: number[] = [];
  const steps = 16;
  for (let i = 0; i <= steps; i++) {
    const x = -0.5 + (width * i) / steps;
    const y = -0.5 + (height * i) / steps;
    border.push(x, -0.5, x, height - 0.5, -0.5, y, width - 0.5, y);
  }
  const n = camera.imageToNormalized(border);
  const K = camera.intrinsicMatrix;
  let scale = 1;
  for (let i = 0; i < n.length; i += 2) {
    const u = K[0]! * n[i]! + K[1]! * n[i + 1]! + K[2]!;
    const v = K[4]! * n[i + 1]! + K[5]!;
    // How much farther from the principal point than the border this ray lands.
    const sx = Math.abs(u - K[2]!) / Math.max(K[2]! + 0.5, width - 0.5 - K[2]!);
    const sy = Math.abs(v - K[5]!) / Math.max(K[5]! + 0.5, height - 0.5 - K[5]!);
    scale = Math.max(scale, sx, sy);
  }
  scale *= 1.01;
  return Float64Array.of(K[0]! / scale, K[1]! / scale, K[2]!, 0, K[4]! / scale, K[5]!, 0, 0, 1);
}
