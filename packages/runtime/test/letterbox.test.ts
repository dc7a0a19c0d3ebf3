import { describe, expect, it } from 'vitest';
import { letterbox } from '../src/letterbox.js';
import type { RgbImage } from '../src/types.js';

/** An image from per-pixel [r, g, b] triples, row-major. */
function image(width: number, height: number, pixels: (x: number, y: number) => number[]) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixels(x, y), (y * width + x) * 3);
  }
  return { width, height, data };
}

/** Deterministic pseudo-random bytes (Park–Miller), also used to make the OpenCV goldens. */
function lcgImage(width: number, height: number, seed = 12345): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = s % 256;
  }
  return { width, height, data };
}

/** A cheap non-constant pattern for large images. */
function patternImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 10)) & 255;
  return { width, height, data };
}

function mirrored(img: RgbImage): RgbImage {
  return image(img.width, img.height, (x, y) => {
    const i = (y * img.width + (img.width - 1 - x)) * 3;
    return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
  });
}

/** Value of plane c (0 = B, 1 = G, 2 = R) at (x, y) of a size×size tensor. */
function at(data: Float32Array, size: number, c: number, x: number, y: number): number {
  return data[c * size * size + y * size + x]!;
}

/** The resized region of each plane as bytes, B plane first. */
function contentBytes(lb: ReturnType<typeof letterbox>, size: number): Uint8Array {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < lb.height; y++) {
      for (let x = 0; x < lb.width; x++) out.push(at(lb.data, size, c, x, y));
    }
  }
  return Uint8Array.from(out);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('letterbox', () => {
  it('upscales a 2×1 row like cv2.resize INTER_LINEAR and pads the rest with 114', () => {
    const img = image(2, 1, (x) => [x * 100, 0, 0]);
    const lb = letterbox(img, { size: 4 });
    expect(lb.dims).toEqual([1, 3, 4, 4]);
    expect(lb.scale).toBe(2);
    expect([lb.width, lb.height]).toEqual([4, 2]);
    // R is plane 2; cv2.resize([[0, 100]], (4, 2)) gives [0, 25, 75, 100] on both rows.
    for (const y of [0, 1]) {
      expect([0, 1, 2, 3].map((x) => at(lb.data, 4, 2, x, y))).toEqual([0, 25, 75, 100]);
    }
    for (const c of [0, 1, 2]) {
      for (const y of [2, 3]) {
        expect([0, 1, 2, 3].map((x) => at(lb.data, 4, c, x, y))).toEqual([114, 114, 114, 114]);
      }
    }
    expect([0, 1, 2, 3].map((x) => at(lb.data, 4, 0, x, 0))).toEqual([0, 0, 0, 0]);
  });

  it('writes planes in BGR order', () => {
    const lb = letterbox(
      image(1, 1, () => [10, 20, 30]),
      { size: 2 },
    );
    expect(Array.from(lb.data)).toEqual([30, 30, 30, 30, 20, 20, 20, 20, 10, 10, 10, 10]);
  });

  it('halves by averaging 2×2 blocks, rounding half up', () => {
    // Blocks with means 25.25, 25.5, 25.75 and 0 in the R channel.
    const blocks = [
      [10, 20, 30, 41],
      [10, 20, 30, 42],
      [10, 20, 30, 43],
      [0, 0, 0, 0],
    ];
    const img = image(4, 4, (x, y) => {
      const block = blocks[(y >> 1) * 2 + (x >> 1)]!;
      return [block[(y & 1) * 2 + (x & 1)]!, 7, 200];
    });
    const lb = letterbox(img, { size: 2 });
    expect(lb.scale).toBe(0.5);
    expect(Array.from(lb.data.subarray(8, 12))).toEqual([25, 26, 26, 0]);
    expect(Array.from(lb.data.subarray(0, 8))).toEqual([200, 200, 200, 200, 7, 7, 7, 7]);
  });

  it('places landscape and portrait images top-left with the right scale', () => {
    const land = letterbox(
      image(8, 2, () => [1, 2, 3]),
      { size: 4 },
    );
    expect([land.scale, land.width, land.height]).toEqual([0.5, 4, 1]);
    const port = letterbox(
      image(2, 8, () => [1, 2, 3]),
      { size: 4 },
    );
    expect([port.scale, port.width, port.height]).toEqual([0.5, 1, 4]);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        expect(at(land.data, 4, 0, x, y)).toBe(y < 1 ? 3 : 114);
        expect(at(port.data, 4, 0, x, y)).toBe(x < 1 ? 3 : 114);
      }
    }
  });

  it('matches OpenCV 4.14 bit for bit on small images (goldens from cv2.resize)', () => {
    // Made with opencv-python-headless 4.14.0.94: BGR image, cv2.resize(INTER_LINEAR) to
    // floor(W·r)×floor(H·r), pasted top-left on 114; the resized region, B plane first.
    // (On photos, a plain floating-point bilinear differs from OpenCV in ~12 % of values by ±1.)
    const goldens = [
      {
        w: 5,
        h: 3,
        size: 8,
        flip: false,
        hex:
          'c076207dc4f4ab6e61646fb9c28c73655b6981b9a13a404daf84517e6c19222f00479d664e55b3fc4e87' +
          'ca827bb3a5956788ad7e789b938943495159451583dc2f4f766550393b3e4a54679a95594234958678af' +
          'b17e5a42f6d2a39e9b9b7b62',
      },
      {
        w: 3,
        h: 5,
        size: 8,
        flip: true,
        hex:
          'ac4f56c0725177d92a5aa5f33a97c6b645a8c0864c8d95633c4c657d2f1c42954a82660060a28c2684c9' +
          'bb5fcfada6bec18382be5a4d4f609f533a5bdc5c2d5e5c6d5d2f5b5d4e325b4f433961948c4b79c1ae49' +
          'a0d5ab307fa9a26c62869b9c',
      },
      {
        w: 2,
        h: 2,
        size: 7,
        flip: false,
        hex:
          'c0c09c6b3b1717c0c09c6b3b1717bcbca381604747b6b6ac9f928888b0b0b5bcc3c8c8acacbcd2e8f9f9' +
          'acacbcd2e8f9f90000235180a3a30000235180a3a310102c51769292252538516a7d7d3a3a43505d6666' +
          '4a4a4c505356564a4a4c505356562f2f3f536878782f2f3e53687878383843515f6a6a4646494f535858' +
          '52524f4b4845455c5c54493f37375c5c54493f3737',
      },
      {
        w: 9,
        h: 4,
        size: 6,
        flip: false,
        hex: '8476a5319062a2bbba6c30ba3d5665a38ed6677464bb3743518e6a625a9f99ba565cc167',
      },
    ];
    for (const g of goldens) {
      const lb = letterbox(lcgImage(g.w, g.h), { size: g.size, flip: g.flip });
      expect(hex(contentBytes(lb, g.size)), `${g.w}×${g.h} → ${g.size}`).toBe(g.hex);
    }
  });

  it('flip gives the letterbox of the mirrored image', () => {
    for (const [w, h, size] of [
      [37, 23, 32],
      [5, 9, 16],
      [1, 4, 8],
      [64, 64, 32],
    ] as const) {
      const img = lcgImage(w, h, 99);
      const flipped = letterbox(img, { size, flip: true });
      const reference = letterbox(mirrored(img), { size });
      expect(Array.from(flipped.data)).toEqual(Array.from(reference.data));
      expect(flipped.scale).toBe(reference.scale);
    }
  });

  it('handles a 1×1 image, extreme aspect ratios and a large photo-sized image', () => {
    const one = letterbox(image(1, 1, () => [9, 8, 7]));
    expect([one.width, one.height, one.scale]).toEqual([416, 416, 416]);
    expect(one.data.every((v, i) => v === [7, 8, 9][Math.floor(i / 416 ** 2)])).toBe(true);

    const strip = letterbox(patternImage(5000, 3));
    expect([strip.width, strip.height]).toEqual([416, 1]); // floor(3·416/5000) = 0 → 1 row
    const column = letterbox(patternImage(2, 3000));
    expect([column.width, column.height]).toEqual([1, 416]);

    const big = letterbox(patternImage(2000, 1500));
    expect([big.width, big.height]).toEqual([416, 312]);
    expect(big.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    expect(at(big.data, 416, 1, 0, 312)).toBe(114);
  });

  it('uses the exact floor(W·r) where floating point gives 415.99999999999994', () => {
    // 1440·(416/1440) and 1080·(416/1440) round down in double precision.
    const lb = letterbox({ width: 1440, height: 1080, data: new Uint8Array(1440 * 1080 * 3) });
    expect([lb.width, lb.height]).toEqual([416, 312]);
    expect(at(lb.data, 416, 0, 415, 311)).toBe(0);
    expect(at(lb.data, 416, 0, 415, 312)).toBe(114);
  });

  it('reuses an output buffer and accepts another pad value', () => {
    const out = new Float32Array(3 * 16).fill(-1);
    const lb = letterbox(
      image(4, 2, () => [1, 1, 1]),
      { size: 4, out, padValue: 0 },
    );
    expect(lb.data).toBe(out);
    expect(Array.from(out.subarray(0, 16))).toEqual([...Array(8).fill(1), ...Array(8).fill(0)]);
    expect(() =>
      letterbox(
        image(1, 1, () => [0, 0, 0]),
        { size: 4, out: new Float32Array(3) },
      ),
    ).toThrow(/length 3·4² = 48/);
  });

  it('rejects empty and malformed images with a RangeError', () => {
    const empty = { width: 0, height: 0, data: new Uint8Array(0) };
    expect(() => letterbox(empty)).toThrow(RangeError);
    expect(() => letterbox(empty)).toThrow(/positive integer width and height, got 0×0/);
    expect(() => letterbox({ width: 2.5, height: 2, data: new Uint8Array(15) })).toThrow(
      RangeError,
    );
    expect(() => letterbox({ width: 2, height: 2, data: new Uint8Array(16) })).toThrow(
      /2×2 RGB.*got 16 \(this looks like RGBA/,
    );
    expect(() => letterbox({ width: 2, height: 2, data: new Uint8Array(11) })).toThrow(
      /width·height·3 = 12 bytes/,
    );
    expect(() =>
      letterbox(
        image(1, 1, () => [0, 0, 0]),
        { size: 0 },
      ),
    ).toThrow(RangeError);
  });
});
