/**
 * The 3D view: two orthographic panels of the camera-frame skeletons (x right, y down,
 * z forward, mm). Left: seen from the front (the camera's direction), with a metric grid in
 * the x–y plane and the floor line under the lowest joint. Right: seen from above, with the
 * metric ground grid in the x–z plane, the camera and its field of view, and each person's
 * distance from the camera in metres.
 */
import {
  dashFor,
  edgeSides,
  escapeXml,
  FONT,
  fmt,
  jointSides,
  label,
  limbColour,
  personColour,
} from './style.js';

export const PANEL_SIZE = 600;
export const HEADER_HEIGHT = 40;
/** Size of the 3D view image. */
export const SCENE_WIDTH = 2 * PANEL_SIZE;
export const SCENE_HEIGHT = PANEL_SIZE + HEADER_HEIGHT;

export interface SceneInput {
  /** Per person J×3, camera frame, mm. */
  poses3d: number[][][];
  jointNames: string[];
  edges: [number, number][];
  intrinsicMatrix: number[][];
  imageWidth: number;
  imageHeight: number;
  /** Title text of the header (e.g. the image name). */
  title?: string;
}

interface Bounds {
  minU: number;
  maxU: number;
  minV: number;
  maxV: number;
}

const GRID_STEPS_M = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The smallest grid step (m) that draws at most `maxLines` lines across `spanMm`. */
export function gridStepM(spanMm: number, maxLines = 12): number {
  for (const step of GRID_STEPS_M) if (spanMm / (step * 1000) <= maxLines) return step;
  return GRID_STEPS_M[GRID_STEPS_M.length - 1]!;
}

/** Maps a rectangle of the scene (mm) into a square panel, uniformly scaled, v pointing down or up. */
class Projection {
  readonly scale: number;
  private readonly cu: number;
  private readonly cv: number;

  constructor(
    bounds: Bounds,
    readonly x0: number,
    readonly y0: number,
    readonly size: number,
    readonly vUp: boolean,
    margin = 40,
  ) {
    const spanU = Math.max(bounds.maxU - bounds.minU, 1);
    const spanV = Math.max(bounds.maxV - bounds.minV, 1);
    this.scale = (size - 2 * margin) / Math.max(spanU, spanV);
    this.cu = (bounds.minU + bounds.maxU) / 2;
    this.cv = (bounds.minV + bounds.maxV) / 2;
  }

  x(u: number): number {
    return this.x0 + this.size / 2 + (u - this.cu) * this.scale;
  }

  y(v: number): number {
    const d = (v - this.cv) * this.scale;
    return this.y0 + this.size / 2 + (this.vUp ? -d : d);
  }

  /** Scene coordinates visible at the panel's edges. */
  get visible(): Bounds {
    const half = this.size / 2 / this.scale;
    return {
      minU: this.cu - half,
      maxU: this.cu + half,
      minV: this.cv - half,
      maxV: this.cv + half,
    };
  }
}

function boundsOf(points: [number, number][], minSpan: number): Bounds {
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (const [u, v] of points) {
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
    minU = Math.min(minU, u);
    maxU = Math.max(maxU, u);
    minV = Math.min(minV, v);
    maxV = Math.max(maxV, v);
  }
  if (minU > maxU) return { minU: -minSpan / 2, maxU: minSpan / 2, minV: 0, maxV: minSpan };
  const grow = (lo: number, hi: number): [number, number] => {
    const pad = Math.max(0, minSpan - (hi - lo)) / 2;
    return [lo - pad, hi + pad];
  };
  const [a, b] = grow(minU, maxU);
  const [c, d] = grow(minV, maxV);
  return { minU: a, maxU: b, minV: c, maxV: d };
}

function gridLines(p: Projection, stepM: number, colour: string, width: number): string {
  const step = stepM * 1000;
  const vis = p.visible;
  const out: string[] = [];
  const top = p.y0;
  const bottom = p.y0 + p.size;
  const left = p.x0;
  const right = p.x0 + p.size;
  for (let u = Math.ceil(vis.minU / step) * step; u <= vis.maxU; u += step) {
    const x = p.x(u);
    const axis = Math.abs(u) < step / 2;
    out.push(
      `<line x1="${fmt(x)}" y1="${top}" x2="${fmt(x)}" y2="${bottom}" stroke="${colour}" stroke-width="${axis ? width * 2 : width}"/>`,
    );
  }
  for (let v = Math.ceil(vis.minV / step) * step; v <= vis.maxV; v += step) {
    const y = p.y(v);
    out.push(
      `<line x1="${left}" y1="${fmt(y)}" x2="${right}" y2="${fmt(y)}" stroke="${colour}" stroke-width="${width}"/>`,
    );
  }
  return out.join('');
}

function skeleton(
  p: Projection,
  pose: number[][],
  person: number,
  edges: [number, number][],
  sides: ReturnType<typeof edgeSides>,
  jSides: ReturnType<typeof jointSides>,
  pick: (q: number[]) => [number, number],
): string {
  const lw = 3;
  const out: string[] = [];
  edges.forEach(([a, b], e) => {
    const qa = pose[a];
    const qb = pose[b];
    if (!qa || !qb) return;
    const [ua, va] = pick(qa);
    const [ub, vb] = pick(qb);
    const side = sides[e]!;
    out.push(
      `<line x1="${fmt(p.x(ua))}" y1="${fmt(p.y(va))}" x2="${fmt(p.x(ub))}" y2="${fmt(p.y(vb))}" stroke="${limbColour(person, side)}" stroke-width="${lw}" stroke-linecap="round"${dashFor(side, lw)}/>`,
    );
  });
  pose.forEach((q, j) => {
    const [u, v] = pick(q);
    out.push(
      `<circle cx="${fmt(p.x(u))}" cy="${fmt(p.y(v))}" r="2.6" fill="${limbColour(person, jSides[j]!)}"/>`,
    );
  });
  return out.join('');
}

function panelFrame(x0: number, y0: number, title: string, note: string): string {
  return (
    `<rect x="${x0 + 0.5}" y="${y0 + 0.5}" width="${PANEL_SIZE - 1}" height="${PANEL_SIZE - 1}" fill="none" stroke="#555"/>` +
    `<text x="${x0 + 12}" y="${y0 + 22}" font-family="${FONT}" font-size="15" font-weight="bold" fill="#ddd">${title}</text>` +
    `<text x="${x0 + PANEL_SIZE - 12}" y="${y0 + PANEL_SIZE - 12}" font-family="${FONT}" font-size="12" fill="#aaa" text-anchor="end">${note}</text>`
  );
}

export function sceneSvg(input: SceneInput): string {
  const { poses3d, edges, jointNames } = input;
  const sides = edgeSides(jointNames, edges);
  const jSides = jointSides(jointNames);
  const finite = poses3d.filter((pose) => pose.every((q) => q.every(Number.isFinite)));
  const all = finite.flat();
  const parts: string[] = [];
  parts.push(`<rect width="${SCENE_WIDTH}" height="${SCENE_HEIGHT}" fill="#16181d"/>`);
  const title = input.title ? `${input.title} — ` : '';
  parts.push(
    `<text x="12" y="26" font-family="${FONT}" font-size="17" font-weight="bold" fill="#eee">${escapeXml(title)}${peopleSummary(poses3d.length)}, camera frame (mm → grid in metres)</text>`,
  );

  // Front view: u = x, v = y (down).
  const front = new Projection(
    boundsOf(
      all.map((q) => [q[0]!, q[1]!]),
      2000,
    ),
    0,
    HEADER_HEIGHT,
    PANEL_SIZE,
    false,
  );
  const frontStep = gridStepM(PANEL_SIZE / front.scale);
  parts.push(`<g>${gridLines(front, frontStep, '#2f343d', 1)}`);
  if (all.length > 0) {
    const floor = Math.max(...all.map((q) => q[1]!));
    const y = front.y(floor);
    parts.push(
      `<line x1="0" y1="${fmt(y)}" x2="${PANEL_SIZE}" y2="${fmt(y)}" stroke="#6b7280" stroke-width="2"/>`,
    );
  }
  const order = finite.map((pose, i) => ({
    pose,
    i,
    z: pose.reduce((s, q) => s + q[2]!, 0) / pose.length,
  }));
  // Far people first, so nearer ones are drawn on top.
  order.sort((a, b) => b.z - a.z);
  for (const { pose, i } of order) {
    parts.push(skeleton(front, pose, i, edges, sides, jSides, (q) => [q[0]!, q[1]!]));
    const headY = Math.min(...pose.map((q) => q[1]!));
    const cx = pose.reduce((s, q) => s + q[0]!, 0) / pose.length;
    parts.push(
      label(
        front.x(cx),
        front.y(headY) - 10,
        `#${i + 1} ${distanceM(pose)} m`,
        13,
        personColour(i),
        'middle',
      ),
    );
  }
  parts.push(`</g>${panelFrame(0, HEADER_HEIGHT, 'front (camera view)', `grid ${frontStep} m`)}`);

  // Top view: u = x, v = z (forward = up on the panel); include the camera at the origin.
  const topPoints: [number, number][] = all.map((q) => [q[0]!, q[2]!]);
  topPoints.push([0, 0]);
  const top = new Projection(
    boundsOf(topPoints, 3000),
    PANEL_SIZE,
    HEADER_HEIGHT,
    PANEL_SIZE,
    true,
    48,
  );
  const topStep = gridStepM(PANEL_SIZE / top.scale);
  parts.push(`<g>${gridLines(top, topStep, '#2f343d', 1)}`);
  parts.push(cameraMarker(top, input));
  for (const { pose, i } of order) {
    parts.push(skeleton(top, pose, i, edges, sides, jSides, (q) => [q[0]!, q[2]!]));
    const cx = pose.reduce((s, q) => s + q[0]!, 0) / pose.length;
    const cz = pose.reduce((s, q) => s + q[2]!, 0) / pose.length;
    parts.push(
      `<line x1="${fmt(top.x(0))}" y1="${fmt(top.y(0))}" x2="${fmt(top.x(cx))}" y2="${fmt(top.y(cz))}" stroke="${personColour(i)}" stroke-width="1" stroke-dasharray="2 4" opacity="0.7"/>`,
    );
    parts.push(
      label(top.x(cx) + 10, top.y(cz) - 10, `#${i + 1} ${distanceM(pose)} m`, 13, personColour(i)),
    );
  }
  parts.push(
    `</g>${panelFrame(PANEL_SIZE, HEADER_HEIGHT, 'top (from above, camera at ▲)', `grid ${topStep} m`)}`,
  );
  if (poses3d.length === 0) {
    parts.push(
      label(
        SCENE_WIDTH / 2,
        HEADER_HEIGHT + PANEL_SIZE / 2,
        'no people found',
        22,
        '#ffd54a',
        'middle',
      ),
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SCENE_WIDTH}" height="${SCENE_HEIGHT}" viewBox="0 0 ${SCENE_WIDTH} ${SCENE_HEIGHT}">` +
    `<defs><clipPath id="l"><rect x="0" y="${HEADER_HEIGHT}" width="${PANEL_SIZE}" height="${PANEL_SIZE}"/></clipPath>` +
    `<clipPath id="r"><rect x="${PANEL_SIZE}" y="${HEADER_HEIGHT}" width="${PANEL_SIZE}" height="${PANEL_SIZE}"/></clipPath></defs>` +
    clipGroups(parts.join('')) +
    '</svg>'
  );
}

/** Puts the two panel groups (the first two top-level `<g>`) under their clip paths. */
function clipGroups(svg: string): string {
  let n = 0;
  return svg.replace(/<g>/g, () =>
    n++ === 0 ? '<g clip-path="url(#l)">' : '<g clip-path="url(#r)">',
  );
}

function peopleSummary(n: number): string {
  return n === 0 ? 'no people' : n === 1 ? '1 person' : `${n} people`;
}

function distanceM(pose: number[][]): string {
  const c = [0, 1, 2].map((k) => pose.reduce((s, q) => s + q[k]!, 0) / pose.length);
  return (Math.hypot(c[0]!, c[1]!, c[2]!) / 1000).toFixed(1);
}

/** The camera as a triangle at the origin, with its horizontal field of view as two rays. */
function cameraMarker(p: Projection, input: SceneInput): string {
  const k = input.intrinsicMatrix;
  const fx = k[0]?.[0] ?? 1;
  const cx = k[0]?.[2] ?? input.imageWidth / 2;
  const slopes = [(0 - cx) / fx, (input.imageWidth - cx) / fx];
  const reach = (p.visible.maxV - p.visible.minV) * 2;
  const x0 = p.x(0);
  const y0 = p.y(0);
  const rays = slopes
    .map(
      (s) =>
        `<line x1="${fmt(x0)}" y1="${fmt(y0)}" x2="${fmt(p.x(s * reach))}" y2="${fmt(p.y(reach))}" stroke="#8b93a1" stroke-width="1.2" stroke-dasharray="6 4"/>`,
    )
    .join('');
  const tri = `<path d="M ${fmt(x0)} ${fmt(y0 - 9)} L ${fmt(x0 - 8)} ${fmt(y0 + 7)} L ${fmt(x0 + 8)} ${fmt(y0 + 7)} Z" fill="#f5f5f5" stroke="black"/>`;
  return `${rays}${tri}${label(x0, y0 + 24, 'camera', 12, '#f5f5f5', 'middle')}`;
}
