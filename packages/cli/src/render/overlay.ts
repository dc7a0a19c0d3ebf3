/**
 * The 2D overlay as an SVG of the image's size: per person its box, score and distance, and
 * the 2D skeleton; left limbs light and solid, right limbs dark and dashed. Drawn on a
 * transparent background, to be composited over the photo.
 */
import { dashFor, edgeSides, fmt, jointSides, label, limbColour, personColour } from './style.js';

export interface OverlayInput {
  width: number;
  height: number;
  boxes: number[][];
  poses2d: number[][][];
  jointNames: string[];
  edges: [number, number][];
  /** Distance from the camera per person, metres (shown next to the score). */
  distancesM?: number[];
  /** Stable ids per person (video tracks): they pick the colour and the `#` label. */
  ids?: number[];
  /** An extra line at the top left (e.g. the frame number of a video). */
  caption?: string;
}

/** Stroke width etc. grow with the image so the drawing looks alike at any resolution. */
function scale(width: number, height: number): number {
  return Math.max(1, Math.max(width, height) / 640);
}

export function overlaySvg(input: OverlayInput): string {
  const { width, height } = input;
  const s = scale(width, height);
  const lw = 2.6 * s;
  const parts: string[] = [];
  const sides = edgeSides(input.jointNames, input.edges);
  const jSides = jointSides(input.jointNames);

  input.boxes.forEach((box, index) => {
    const p = input.ids?.[index] ?? index;
    const [x = 0, y = 0, w = 0, h = 0, score = 1] = box;
    const colour = personColour(p);
    parts.push(
      `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="${colour}" stroke-width="${fmt(1.6 * s)}" opacity="0.9"/>`,
    );
    const distance = input.distancesM?.[index];
    const text = `#${p + 1} ${score.toFixed(2)}${distance !== undefined ? ` · ${distance.toFixed(1)} m` : ''}`;
    const size = 13 * s;
    const ty = y - 4 * s >= size ? y - 4 * s : y + size + 2 * s;
    parts.push(label(x + 2 * s, ty, text, size, colour));

    const pose = input.poses2d[index] ?? [];
    input.edges.forEach(([a, b], e) => {
      const pa = pose[a];
      const pb = pose[b];
      if (!pa || !pb) return;
      const side = sides[e]!;
      parts.push(
        `<line x1="${fmt(pa[0]!)}" y1="${fmt(pa[1]!)}" x2="${fmt(pb[0]!)}" y2="${fmt(pb[1]!)}" stroke="${limbColour(p, side)}" stroke-width="${fmt(lw)}" stroke-linecap="round"${dashFor(side, lw)}/>`,
      );
    });
    pose.forEach((pt, j) => {
      parts.push(
        `<circle cx="${fmt(pt[0]!)}" cy="${fmt(pt[1]!)}" r="${fmt(lw * 0.9)}" fill="${limbColour(p, jSides[j]!)}" stroke="black" stroke-width="${fmt(0.5 * s)}"/>`,
      );
    });
  });

  const size = 14 * s;
  let y = 8 * s + size;
  if (input.caption) {
    parts.push(label(8 * s, y, input.caption, size, 'white'));
    y += size * 1.3;
  }
  if (input.boxes.length === 0) {
    parts.push(label(8 * s, y, 'no people found', size * 1.2, '#ffd54a'));
  } else {
    parts.push(legend(8 * s, height - 10 * s, s));
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** A small key at the bottom left: which line style is which side. */
export function legend(x: number, y: number, s: number, person = 0): string {
  const lw = 2.6 * s;
  const size = 11 * s;
  const len = 26 * s;
  const parts: string[] = [];
  const rows: ['left' | 'right', string][] = [
    ['right', "person's right"],
    ['left', "person's left"],
  ];
  rows.forEach(([side, text], i) => {
    const yy = y - i * size * 1.4;
    parts.push(
      `<line x1="${fmt(x)}" y1="${fmt(yy - size * 0.35)}" x2="${fmt(x + len)}" y2="${fmt(yy - size * 0.35)}" stroke="${limbColour(person, side)}" stroke-width="${fmt(lw)}" stroke-linecap="round"${dashFor(side, lw)}/>`,
    );
    parts.push(label(x + len + 5 * s, yy, text, size, 'white'));
  });
  return parts.join('');
}
