/** Huge and absurd images are refused with a clear error instead of exhausting memory. */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../src/image-node.js';

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + body.length);
  return out;
}

/** A valid PNG header announcing `width × height` RGB pixels, with a token of image data. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('image size limits', () => {
  it('refuses a decompression bomb (a PNG claiming 40000 × 40000 pixels)', async () => {
    await expect(loadImage(pngClaiming(40000, 40000))).rejects.toThrow(
      /cannot decode image.*(pixel limit|exceeds)/i,
    );
  });

  it('reports a truncated image of plausible size as undecodable', async () => {
    await expect(loadImage(pngClaiming(64, 48))).rejects.toThrow(/cannot decode image/);
  });
});
