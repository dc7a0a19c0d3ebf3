/** Rasterising the SVG drawings with sharp (librsvg): no canvas dependency. */
import sharp from 'sharp';
import { type OverlayInput, overlaySvg } from './overlay.js';
import { type SceneInput, sceneSvg } from './scene3d.js';

export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

function photo(image: RgbFrame) {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
}

/** The photo with the overlay's SVG composited on it (a sharp pipeline, not yet encoded). */
function withOverlay(image: RgbFrame, input: Omit<OverlayInput, 'width' | 'height'>) {
  const svg = overlaySvg({ ...input, width: image.width, height: image.height });
  return photo(image).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
}

/** The photo with the overlay drawn on it, as PNG. */
export async function overlayPng(
  image: RgbFrame,
  input: Omit<OverlayInput, 'width' | 'height'>,
): Promise<Buffer> {
  return withOverlay(image, input).png({ compressionLevel: 6 }).toBuffer();
}

/** The photo with the overlay drawn on it, as raw RGB bytes (for video encoding). */
export async function overlayRaw(
  image: RgbFrame,
  input: Omit<OverlayInput, 'width' | 'height'>,
): Promise<Buffer> {
  return withOverlay(image, input).removeAlpha().raw().toBuffer();
}

/** The two-panel 3D view as PNG. */
export async function scenePng(input: SceneInput): Promise<Buffer> {
  return sharp(Buffer.from(sceneSvg(input)))
    .png({ compressionLevel: 6 })
    .toBuffer();
}
