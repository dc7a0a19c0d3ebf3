/**
 * Images from clients: checked from their header (format and pixel count) before anything is
 * decoded, so a decompression bomb costs a few bytes of reading, then decoded to RGB by the
 * runtime. Every problem is an `ApiError` with a 4xx status.
 */
import { ImageError, loadImage, oneLine, type RgbImage } from '@metrabs/runtime/node';
import sharp from 'sharp';
import { ApiError } from './errors.js';

/** The formats the service takes (sharp's names). */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;

/** The content types of a raw image body. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** What the header of an accepted image says. */
export interface ImageHeader {
  format: (typeof IMAGE_FORMATS)[number];
  width: number;
  height: number;
}

/**
 * Reads only the header of `bytes`: refuses empty input, what is not a JPEG, PNG or WebP, and
 * images over `maxPixels` before a single pixel is decoded. `label` names the image in messages.
 */
export async function inspectImage(
  bytes: Uint8Array,
  label: string,
  maxPixels: number,
): Promise<ImageHeader> {
  if (bytes.length === 0) throw new ApiError('empty-image', `${label}: the image is empty`);
  let format: string | undefined;
  let width = 0;
  let height = 0;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    format = meta.format;
    width = meta.width ?? 0;
    height = meta.height ?? 0;
  } catch (e) {
    throw new ApiError('bad-image', `${label}: not a readable image (${oneLine(e)})`);
  }
  if (!(IMAGE_FORMATS as readonly string[]).includes(format ?? '')) {
    throw new ApiError(
      'unsupported-image',
      `${label}: ${format ?? 'unknown'} images are not accepted (JPEG, PNG or WebP)`,
    );
  }
  if (width * height > maxPixels) {
    throw new ApiError(
      'image-too-large',
      `${label}: ${width}×${height} pixels is more than the limit of ${maxPixels}`,
    );
  }
  return { format: format as ImageHeader['format'], width, height };
}

/** Checks the header of `bytes` (`inspectImage`) and decodes them to RGB. */
export async function decodeImage(
  bytes: Uint8Array,
  label: string,
  maxPixels: number,
): Promise<RgbImage> {
  await inspectImage(bytes, label, maxPixels);
  try {
    return await loadImage(bytes);
  } catch (e) {
    if (e instanceof ImageError) {
      throw new ApiError(
        'bad-image',
        `${label}: ${e.message.replace(/^cannot decode image [^:]*: /, 'cannot decode: ')}`,
      );
    }
    throw e;
  }
}
