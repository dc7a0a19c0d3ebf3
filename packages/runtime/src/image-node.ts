/**
 * Image input and output for Node, using sharp (libvips): decode JPEG, PNG, WebP, AVIF,
 * TIFF, GIF, … into the 8-bit `RgbImage` the pipeline works on, and write PNGs for
 * debugging. Browsers use their own decoders (canvas / ImageBitmap) instead of this module.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { oneLine } from './one-line.js';
import type { RgbImage } from './types.js';

export type ImageErrorCode = 'not-found' | 'unreadable' | 'empty' | 'decode' | 'shape';

/** Thrown by `loadImage` / `saveRgbPng`; `code` says what went wrong. */
export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
    this.code = code;
  }
}

function checkRgbImage(image: RgbImage, what: string): RgbImage {
  const { width, height, data } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new ImageError(
      'shape',
      `${what}: width and height must be positive integers, got ${width}×${height}`,
    );
  }
  if (!(data instanceof Uint8Array)) {
    throw new ImageError('shape', `${what}: data must be a Uint8Array of interleaved RGB bytes`);
  }
  if (data.length !== width * height * 3) {
    throw new ImageError(
      'shape',
      `${what}: data has ${data.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`,
    );
  }
  return image;
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ImageError('not-found', `image file not found: ${path}`, { cause: error });
    }
    const reason = code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ImageError('unreadable', `cannot read image file ${path}: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * Decodes encoded bytes to 8-bit RGB: EXIF orientation applied, alpha dropped, grey or CMYK
 * converted to sRGB, 16-bit samples reduced to 8 bits. `path` names the source in errors.
 */
async function decode(bytes: Uint8Array, path?: string): Promise<RgbImage> {
  if (bytes.length === 0) {
    throw new ImageError(
      'empty',
      path === undefined
        ? 'cannot decode image: the buffer is empty'
        : `cannot decode image ${path}: the file is empty`,
    );
  }
  const label = path ?? `(${bytes.length}-byte buffer)`;
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await sharp(bytes, { failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageError('decode', `cannot decode image ${label}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  const { data, info } = result;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new ImageError(
      'decode',
      `cannot decode image ${label}: expected 3 channels of 8 bits, got ${info.channels} channels and ${data.length} bytes for ${info.width}×${info.height}`,
    );
  }
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Loads an image as 8-bit RGB.
 * - `string`: a file path (any format sharp reads: JPEG, PNG, WebP, AVIF, TIFF, GIF, …);
 * - `Buffer` / `Uint8Array`: the encoded file contents;
 * - `RgbImage`: raw pixels, checked (data length must be width·height·3) and returned as is.
 *
 * EXIF orientation is applied, alpha is dropped, grey and CMYK images become RGB, 16-bit
 * images are reduced to 8 bits. Throws an `ImageError` ("image file not found: …",
 * "cannot decode image …: <reason>", …) on bad input.
 */
export async function loadImage(input: string | Buffer | Uint8Array | RgbImage): Promise<RgbImage> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new ImageError('not-found', 'image file not found: (empty path)');
    return decode(await readImageFile(input), input);
  }
  if (input instanceof Uint8Array) return decode(input);
  if (input !== null && typeof input === 'object' && 'data' in input) {
    return checkRgbImage(input, 'raw RGB image');
  }
  throw new ImageError(
    'shape',
    `loadImage expects a file path, an encoded Buffer/Uint8Array or an RgbImage, got ${
      input === null ? 'null' : typeof input
    }`,
  );
}

/** Writes an 8-bit RGB image as a PNG file (creating missing directories), for debugging. */
export async function saveRgbPng(image: RgbImage, path: string): Promise<void> {
  checkRgbImage(image, 'image to save');
  await mkdir(dirname(path), { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toFile(path);
}
