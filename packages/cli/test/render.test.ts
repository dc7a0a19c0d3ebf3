import { getSkeleton } from '@metrabs/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { overlaySvg } from '../src/render/overlay.js';
import { overlayPng, overlayRaw, scenePng } from '../src/render/raster.js';
import { gridStepM, SCENE_HEIGHT, SCENE_WIDTH, sceneSvg } from '../src/render/scene3d.js';
import { edgeSides, jointSides } from '../src/render/style.js';

const coco = getSkeleton('coco_19');
const names = [...coco.jointNames];
const edges = coco.edges.map(([a, b]) => [a, b] as [number, number]);

/** A standing figure: joints spread over a 0.4 × 1.7 m box, 3 m in front of the camera. */
function person(dx: number, dz: number): number[][] {
  return names.map((_, j) => [dx + ((j % 5) - 2) * 100, -900 + j * 90, dz + (j % 3) * 30]);
}

const K = [
  [500, 0, 320],
  [0, 500, 240],
  [0, 0, 1],
];
const project = (pose: number[][]) =>
  pose.map(([x, y, z]) => [(500 * x!) / z! + 320, (500 * y!) / z! + 240]);

describe('sides', () => {
  it('finds left and right joints by mirrored names', () => {
    const sides = jointSides(names);
    expect(sides[names.indexOf('lsho')]).toBe('left');
    expect(sides[names.indexOf('rkne')]).toBe('right');
    expect(sides[names.indexOf('neck')]).toBe('centre');
    expect(sides[names.indexOf('pelv')]).toBe('centre');
    const e = edgeSides(names, edges);
    expect(e.filter((s) => s === 'left').length).toBe(e.filter((s) => s === 'right').length);
    expect(e).toContain('centre');
  });
});

describe('overlay SVG', () => {
  it('draws a box, a label and every edge per person; right limbs dashed', () => {
    const poses3d = [person(-500, 3000), person(600, 4000)];
    const svg = overlaySvg({
      width: 640,
      height: 480,
      boxes: [
        [100, 50, 120, 300, 0.91],
        [400, 60, 100, 280, 0.55],
      ],
      poses2d: poses3d.map(project),
      jointNames: names,
      edges,
      distancesM: [3.0, 4.1],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBe(2);
    // Edges of both people plus the two legend lines.
    expect(svg.match(/<line /g)?.length).toBe(2 * edges.length + 2);
    const rightEdges = edgeSides(names, edges).filter((s) => s === 'right').length;
    expect(svg.match(/stroke-dasharray/g)?.length).toBe(2 * rightEdges + 1);
    expect(svg).toContain('#1 0.91 · 3.0 m');
    expect(svg).toContain('#2 0.55 · 4.1 m');
    expect(svg).not.toContain('no people found');
  });

  it('says so when nobody was found', () => {
    const svg = overlaySvg({
      width: 100,
      height: 80,
      boxes: [],
      poses2d: [],
      jointNames: names,
      edges,
    });
    expect(svg).toContain('no people found');
    expect(svg).not.toContain('<line ');
  });

  it('escapes text', () => {
    const svg = overlaySvg({
      width: 10,
      height: 10,
      boxes: [],
      poses2d: [],
      jointNames: [],
      edges: [],
      caption: 'a<b&c',
    });
    expect(svg).toContain('a&lt;b&amp;c');
  });
});

describe('3D view SVG', () => {
  it('shows both panels, the camera, grid sizes and distances in metres', () => {
    const svg = sceneSvg({
      poses3d: [person(-500, 3000), person(600, 5000)],
      jointNames: names,
      edges,
      intrinsicMatrix: K,
      imageWidth: 640,
      imageHeight: 480,
      title: 'x<y',
    });
    expect(svg).toContain(`width="${SCENE_WIDTH}" height="${SCENE_HEIGHT}"`);
    expect(svg).toContain('front (camera view)');
    expect(svg).toContain('top (from above');
    expect(svg).toContain('camera');
    expect(svg).toMatch(/grid [\d.]+ m/);
    expect(svg).toMatch(/#1 3\.\d m/);
    expect(svg).toMatch(/#2 5\.\d m/);
    expect(svg).toContain('x&lt;y');
  });

  it('skips people with non-finite joints and handles nobody', () => {
    const bad = person(0, 3000);
    bad[0] = [Number.NaN, 0, 0];
    expect(
      sceneSvg({
        poses3d: [bad],
        jointNames: names,
        edges,
        intrinsicMatrix: K,
        imageWidth: 640,
        imageHeight: 480,
      }),
    ).not.toContain('NaN');
    const empty = sceneSvg({
      poses3d: [],
      jointNames: names,
      edges,
      intrinsicMatrix: K,
      imageWidth: 640,
      imageHeight: 480,
    });
    expect(empty).toContain('no people found');
  });

  it('picks a grid step that keeps the lines few', () => {
    expect(gridStepM(2000)).toBe(0.25);
    expect(gridStepM(10_000)).toBe(1);
    expect(gridStepM(100_000)).toBe(10);
  });
});

describe('rasterising with sharp', () => {
  const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) };
  const input = {
    boxes: [[5, 5, 20, 30, 0.9]],
    poses2d: [project(person(0, 3000)).map(([x, y]) => [x! / 10, y! / 10])],
    jointNames: names,
    edges,
  };

  it('composites the overlay onto the photo (PNG and raw RGB)', async () => {
    const png = await overlayPng(image, input);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 48]);
    const raw = await overlayRaw(image, input);
    expect(raw.length).toBe(64 * 48 * 3);
    expect(raw.some((v) => v !== 128)).toBe(true);
  });

  it('renders the 3D view', async () => {
    const png = await scenePng({
      poses3d: [person(0, 3000)],
      jointNames: names,
      edges,
      intrinsicMatrix: K,
      imageWidth: 640,
      imageHeight: 480,
    });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([SCENE_WIDTH, SCENE_HEIGHT]);
  });
});
