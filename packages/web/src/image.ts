/** Pixels from the browser's RGBA canvases to the pipeline's 8-bit RGB images. Pure. */
import type { RgbImage } from '@metrabs/runtime';

export interface RgbaPixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** Drops the alpha channel (canvas pixels are not premultiplied when read back). */
export function rgbaToRgb(pixels: RgbaPixels): RgbImage {
  const { width, height, data } = pixels;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new RangeError(
      `RGBA data has ${data.length} bytes, expected ${width}×${height}×4 = ${width * height * 4}`,
    );
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    out[j] = data[i]!;
    out[j + 1] = data[i + 1]!;
    out[j + 2] = data[i + 2]!;
  }
  return { width, height, data: out };
}
