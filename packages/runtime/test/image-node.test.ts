import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { MULTILINE_DECODER_JPEG } from '../../../test-support/fuzz.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { ImageError, loadImage, saveRgbPng } from '../src/image-node.js';
import { oneLine } from '../src/one-line.js';
import type { RgbImage } from '../src/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'image-node-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Path of a real test image; skips the test (fails in CI) when it is not there. */
function realImage(ctx: TestContext, relative: string): string {
  const data = sharedData([`real/${relative}`], 'image-node.test');
  if (data.skip) ctx.skip(data.problem);
  return data.path(`real/${relative}`);
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(i, i + 3));
}

describe('loadImage from real files', () => {
  it('decodes a JPEG file', async (ctx) => {
    const image = await loadImage(realImage(ctx, 'metrabs/test_image_3dpw.jpg'));
    expect([image.width, image.height]).toEqual([1080, 1920]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(image.data.length).toBe(1080 * 1920 * 3);
    // A photo, not a blank buffer.
    const values = new Set(image.data.subarray(0, 30000));
    expect(values.size).toBeGreaterThan(50);
  });

  it('decodes RGB and greyscale PNG files (grey becomes R = G = B)', async (ctx) => {
    const rgb = await loadImage(realImage(ctx, 'skimage/astronaut.png'));
    expect([rgb.width, rgb.height, rgb.data.length]).toEqual([512, 512, 512 * 512 * 3]);
    const grey = await loadImage(realImage(ctx, 'opencv/basketball1.png'));
    expect([grey.width, grey.height, grey.data.length]).toEqual([640, 480, 640 * 480 * 3]);
    for (const [x, y] of [
      [0, 0],
      [320, 240],
      [639, 479],
    ] as const) {
      const [r, g, b] = pixel(grey, x, y);
      expect(g).toBe(r);
      expect(b).toBe(r);
    }
    // The same pixels as the file's own grey channel.
    const direct = await sharp(realImage(ctx, 'opencv/basketball1.png'))
      .extractChannel(0)
      .raw()
      .toBuffer();
    expect(direct.length).toBe(640 * 480);
    expect(pixel(grey, 320, 240)[0]).toBe(direct[240 * 640 + 320]);
  });

  it('gives the same pixels for a path, a Buffer and a plain Uint8Array', async (ctx) => {
    const path = realImage(ctx, 'opencv/messi5.jpg');
    const fromPath = await loadImage(path);
    const buffer = readFileSync(path);
    const fromBuffer = await loadImage(buffer);
    const fromBytes = await loadImage(new Uint8Array(buffer));
    expect([fromPath.width, fromPath.height]).toEqual([548, 342]);
    // (Buffer.equals: vitest's deep equality is slow on half a million elements.)
    expect(Buffer.from(fromBuffer.data).equals(fromPath.data)).toBe(true);
    expect(Buffer.from(fromBytes.data).equals(fromPath.data)).toBe(true);
  });

  it('reports a truncated JPEG as undecodable', async (ctx) => {
    const bytes = readFileSync(realImage(ctx, 'opencv/messi5.jpg')).subarray(0, 5000);
    await expect(loadImage(bytes)).rejects.toThrow(
      /^cannot decode image \(5000-byte buffer\): .*(premature end|truncated)/i,
    );
  });
});

describe('loadImage conversions', () => {
  it('honours EXIF orientation', async () => {
    // 32×16: left half red, right half blue. Orientation 6 = display rotated 90° clockwise,
    // so the image becomes 16×32 with red on top.
    const w = 32;
    const h = 16;
    const raw = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) raw.set(i % w < w / 2 ? [230, 20, 20] : [20, 20, 230], i * 3);
    const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const image = await loadImage(jpeg);
    expect([image.width, image.height]).toEqual([16, 32]);
    const [r1, , b1] = pixel(image, 8, 4);
    const [r2, , b2] = pixel(image, 8, 28);
    expect(r1! > 150 && b1! < 80).toBe(true);
    expect(b2! > 150 && r2! < 80).toBe(true);
  });

  it('drops alpha and reduces 16-bit samples to 8 bits', async () => {
    const rgba = new Uint8Array(3 * 2 * 4);
    for (let i = 0; i < 6; i++) rgba.set([10 * i, 100, 200, i * 40], i * 4);
    const png = await sharp(rgba, { raw: { width: 3, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    const image = await loadImage(png);
    expect(image.data.length).toBe(3 * 2 * 3);
    expect(pixel(image, 2, 1)).toEqual([50, 100, 200]);

    const raw16 = new Uint16Array(4 * 2 * 3);
    for (let i = 0; i < raw16.length; i++) raw16[i] = i * 2800;
    const png16 = await sharp(raw16, { raw: { width: 4, height: 2, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const image16 = await loadImage(png16);
    expect(image16.data.length).toBe(4 * 2 * 3);
    for (let i = 0; i < raw16.length; i++) {
      expect(Math.abs(image16.data[i]! - raw16[i]! / 257)).toBeLessThanOrEqual(1);
    }
  });

  it('passes a raw RgbImage through after checking its size', async () => {
    const image: RgbImage = { width: 2, height: 3, data: new Uint8Array(18).fill(7) };
    expect(await loadImage(image)).toBe(image);
  });
});

describe('loadImage errors', () => {
  it('names a missing file', async () => {
    const path = join(tmp, 'no-such-image.jpg');
    const error = await loadImage(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe('not-found');
    expect((error as Error).message).toBe(`image file not found: ${path}`);
  });

  it('rejects a directory, an empty file and an empty buffer', async () => {
    await expect(loadImage(tmp)).rejects.toThrow(
      `cannot read image file ${tmp}: it is a directory`,
    );
    await expect(loadImage(new Uint8Array(0))).rejects.toThrow(
      'cannot decode image: the buffer is empty',
    );
    const empty = join(tmp, 'empty.png');
    writeFileSync(empty, new Uint8Array(0));
    await expect(loadImage(empty)).rejects.toThrow(
      `cannot decode image ${empty}: the file is empty`,
    );
  });

  it('explains corrupt data, naming the file', async () => {
    await expect(loadImage(Buffer.from('definitely not an image'))).rejects.toThrow(
      /^cannot decode image \(23-byte buffer\): .+/,
    );
    const bogus = join(tmp, 'bogus.jpg');
    writeFileSync(bogus, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]));
    const error = await loadImage(bogus).catch((e: unknown) => e);
    expect((error as ImageError).code).toBe('decode');
    expect((error as Error).message).toMatch(new RegExp(`^cannot decode image ${bogus}: .+`));
  });

  it('says in one line what the decoder reported on several (fuzz find, issue 18)', async () => {
    const error = await loadImage(MULTILINE_DECODER_JPEG).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^cannot decode image \(183-byte buffer\): VipsJpeg: .+; VipsJpeg: /);
    expect(oneLine(new Error(' a\n\n  b \n'))).toBe('a; b');
  });

  it('rejects raw images whose data length is not width·height·3', async () => {
    await expect(loadImage({ width: 4, height: 2, data: new Uint8Array(32) })).rejects.toThrow(
      'raw RGB image: data has 32 bytes, expected 4×2×3 = 24',
    );
    await expect(loadImage({ width: 0, height: 2, data: new Uint8Array(0) })).rejects.toThrow(
      /positive integers/,
    );
    await expect(
      loadImage({ width: 1, height: 1, data: [1, 2, 3] as unknown as Uint8Array }),
    ).rejects.toThrow(/Uint8Array/);
    await expect(loadImage(42 as unknown as string)).rejects.toThrow(/expects a file path/);
  });
});

describe('saveRgbPng', () => {
  it('writes a PNG that loads back to the same pixels', async () => {
    const image: RgbImage = { width: 5, height: 3, data: new Uint8Array(45) };
    for (let i = 0; i < 45; i++) image.data[i] = (i * 53) % 256;
    const path = join(tmp, 'nested', 'dir', 'round-trip.png');
    await saveRgbPng(image, path);
    expect((await sharp(path).metadata()).format).toBe('png');
    const back = await loadImage(path);
    expect([back.width, back.height]).toEqual([5, 3]);
    expect(back.data).toEqual(image.data);
    await expect(
      saveRgbPng({ width: 5, height: 3, data: new Uint8Array(44) }, path),
    ).rejects.toThrow('image to save: data has 44 bytes, expected 5×3×3 = 45');
  });
});
