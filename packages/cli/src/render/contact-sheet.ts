/** Contact sheets: many [overlay | 3D view] picture pairs on one PNG (eval --real, detect --sheet). */
import sharp, { type OverlayOptions } from 'sharp';

const TILE_HEIGHT = 320;

/** A grid of [overlay | 3D view] pairs, `columns` pairs per row, on a dark background. */
export async function contactSheet(pairs: Buffer[][], columns = 2): Promise<Buffer> {
  const tiles = await Promise.all(
    pairs.map(async (pair) => {
      const parts = await Promise.all(
        pair.map(async (png) => {
          const { data, info } = await sharp(png)
            .resize({ height: TILE_HEIGHT })
            .png()
            .toBuffer({ resolveWithObject: true });
          return { data, width: info.width };
        }),
      );
      return { parts, width: parts.reduce((n, p) => n + p.width, 0) };
    }),
  );
  const rows: (typeof tiles)[] = [];
  for (let i = 0; i < tiles.length; i += columns) rows.push(tiles.slice(i, i + columns));
  const gap = 8;
  const width = Math.max(...rows.map((r) => r.reduce((n, t) => n + t.width + gap, gap)));
  const height = rows.length * (TILE_HEIGHT + gap) + gap;
  const composites: OverlayOptions[] = [];
  rows.forEach((row, r) => {
    let left = gap;
    for (const tile of row) {
      for (const part of tile.parts) {
        composites.push({ input: part.data, left, top: gap + r * (TILE_HEIGHT + gap) });
        left += part.width;
      }
      left += gap;
    }
  });
  return sharp({ create: { width, height, channels: 3, background: '#101114' } })
    .composite(composites)
    .png({ compressionLevel: 6 })
    .toBuffer();
}
