/**
 * Contact sheets: a grid of rendered examples with their labels drawn on — boxes (orange when
 * the person is truncated), skeletons, visible joints filled, occluded joints hollow red — for
 * people to check realism and label exactness at a glance.
 */
import sharp from 'sharp';
import type { ExampleLabels } from './dataset/labels.js';
import { CANONICAL } from './joints.js';

const COLOURS = ['#4fc3f7', '#ffb74d', '#aed581', '#f06292', '#ba68c8', '#fff176'];

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** The labels of one example as an SVG of the image's size. */
export function labelsSvg(labels: ExampleLabels): string {
  const { width, height } = labels.image;
  const s = Math.max(1, Math.max(width, height) / 512);
  const parts: string[] = [];
  labels.people.forEach((person, p) => {
    const colour = COLOURS[p % COLOURS.length]!;
    const [x, y, w, h] = person.box;
    parts.push(
      `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="${person.truncated ? '#ff7043' : colour}" stroke-width="${fmt(1.5 * s)}" stroke-dasharray="${person.truncated ? `${fmt(5 * s)} ${fmt(3 * s)}` : 'none'}"/>`,
    );
    const pts = person.joints2d;
    for (const [a, b] of CANONICAL.edges) {
      if (!person.joint_valid[a] || !person.joint_valid[b]) continue;
      const [ax, ay] = pts[a]!;
      const [bx, by] = pts[b]!;
      parts.push(
        `<line x1="${fmt(ax)}" y1="${fmt(ay)}" x2="${fmt(bx)}" y2="${fmt(by)}" stroke="${colour}" stroke-width="${fmt(1.6 * s)}" stroke-linecap="round" opacity="0.9"/>`,
      );
    }
    pts.forEach(([u, v], j) => {
      if (!person.joint_valid[j]) return;
      const hidden = person.occluded?.[j] === 1;
      parts.push(
        hidden
          ? `<circle cx="${fmt(u)}" cy="${fmt(v)}" r="${fmt(2.6 * s)}" fill="none" stroke="#ff1744" stroke-width="${fmt(1.2 * s)}"/>`
          : `<circle cx="${fmt(u)}" cy="${fmt(v)}" r="${fmt(2 * s)}" fill="${colour}" stroke="black" stroke-width="${fmt(0.5 * s)}"/>`,
      );
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * A PNG grid of `tile`-pixel thumbnails (aspect kept), `columns` wide, each example with its
 * labels drawn at full resolution before downscaling.
 */
export async function contactSheet(
  examples: readonly { jpeg: Uint8Array; labels: ExampleLabels }[],
  options: { columns?: number; tile?: number } = {},
): Promise<Buffer> {
  const columns = Math.max(1, Math.min(options.columns ?? 4, examples.length));
  const tile = options.tile ?? 256;
  const rows = Math.ceil(examples.length / columns);
  const tiles = await Promise.all(
    examples.map(async (ex) => {
      const drawn = await sharp(ex.jpeg)
        .composite([{ input: Buffer.from(labelsSvg(ex.labels)), top: 0, left: 0 }])
        .png()
        .toBuffer();
      return sharp(drawn)
        .resize(tile, tile, { fit: 'contain', background: '#202020' })
        .png()
        .toBuffer();
    }),
  );
  const gap = 4;
  return sharp({
    create: {
      width: columns * tile + (columns + 1) * gap,
      height: rows * tile + (rows + 1) * gap,
      channels: 3,
      background: '#202020',
    },
  })
    .composite(
      tiles.map((input, i) => ({
        input,
        left: gap + (i % columns) * (tile + gap),
        top: gap + Math.floor(i / columns) * (tile + gap),
      })),
    )
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}
