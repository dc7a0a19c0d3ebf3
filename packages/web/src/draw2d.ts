/** The 2D overlay: boxes, skeletons and distances drawn over the image or video. */
import type { PoseResult } from '@metrabs/runtime';
import { distanceM, posesOf } from './result.js';

/** Per-person colours (shared by the 2D overlay, the 3D view and the people list). */
export const PERSON_COLORS = [
  '#ff4d4f',
  '#36cfc9',
  '#ffc53d',
  '#9254de',
  '#73d13d',
  '#40a9ff',
  '#f759ab',
  '#ff9c6e',
];

export function personColor(i: number): string {
  return PERSON_COLORS[i % PERSON_COLORS.length]!;
}

/**
 * Sizes `canvas` to the image and draws the result. `background` (an image or a video frame)
 * is drawn first when given; otherwise the canvas is transparent, for use over a <video>.
 */
export function drawOverlay(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
  result: PoseResult | undefined,
  background?: CanvasImageSource,
  /** Colour index per person (video track ids); default the person's index. */
  colorIds?: readonly number[],
): void {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  if (background) ctx.drawImage(background, 0, 0, width, height);
  if (!result) return;
  const { poses2d, poses3d } = posesOf(result);
  const scale = Math.max(width, height) / 640;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const [i, pose] of poses2d.entries()) {
    const color = personColor(colorIds?.[i] ?? i);
    const box = result.boxes[i];
    if (box) {
      ctx.setLineDash([6 * scale, 4 * scale]);
      ctx.lineWidth = 1.5 * scale;
      ctx.strokeStyle = color;
      ctx.strokeRect(box[0], box[1], box[2], box[3]);
      ctx.setLineDash([]);
    }
    ctx.lineWidth = 3 * scale;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)';
    drawBones(ctx, pose, result.edges, 5 * scale);
    ctx.lineWidth = 3 * scale;
    ctx.strokeStyle = color;
    drawBones(ctx, pose, result.edges, 0);
    ctx.fillStyle = color;
    for (const [x, y] of pose) {
      if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) {
        continue;
      }
      ctx.beginPath();
      ctx.arc(x, y, 2.5 * scale, 0, 2 * Math.PI);
      ctx.fill();
    }
    const pose3d = poses3d[i];
    if (box && pose3d) {
      const label = `#${i + 1}  ${distanceM(pose3d).toFixed(2)} m`;
      ctx.font = `${Math.round(13 * scale)}px system-ui, sans-serif`;
      const w = ctx.measureText(label).width + 8 * scale;
      const h = 18 * scale;
      const y = Math.max(0, box[1] - h);
      ctx.fillStyle = color;
      ctx.fillRect(box[0], y, w, h);
      ctx.fillStyle = '#111';
      ctx.fillText(label, box[0] + 4 * scale, y + 13.5 * scale);
    }
  }
}

function drawBones(
  ctx: CanvasRenderingContext2D,
  pose: number[][],
  edges: [number, number][],
  extraWidth: number,
): void {
  const width = ctx.lineWidth;
  ctx.lineWidth = width + extraWidth;
  ctx.beginPath();
  for (const [a, b] of edges) {
    const p = pose[a];
    const q = pose[b];
    if (!p || !q || ![p[0], p[1], q[0], q[1]].every((v) => Number.isFinite(v))) continue;
    ctx.moveTo(p[0]!, p[1]!);
    ctx.lineTo(q[0]!, q[1]!);
  }
  ctx.stroke();
  ctx.lineWidth = width;
}
