import * as THREE from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glAvailable } from '../../../test-support/gl-available.js';
import { HeadlessRenderer, pinholeCamera } from '../src/render/renderer-node.js';

const gl = glAvailable('renderer.test');

describe.skipIf(gl.skip)('HeadlessRenderer', () => {
  let renderer: HeadlessRenderer;
  beforeAll(async () => {
    renderer = await HeadlessRenderer.create(96, 64, 2);
  });
  afterAll(() => renderer?.dispose());

  // Camera at the origin looking along +z (world y up → image y down), off-centre principal point.
  const K = [80, 0, 40.3, 0, 90, 35.7, 0, 0, 1];
  const R = [-1, 0, 0, 0, -1, 0, 0, 0, 1];

  function sphereScene(center: [number, number, number], radius: number, id: number) {
    const scene = new THREE.Scene();
    const mesh = new THREE.Mesh(
      new THREE.SphereGeometry(radius, 48, 24),
      renderer.labelMaterial(id),
    );
    mesh.position.set(...center);
    scene.add(mesh);
    return scene;
  }

  it('puts a point where the pinhole model projects it, to a fraction of a pixel', () => {
    const cam = pinholeCamera(K, R, [0, 0, 0], 96, 64);
    const center: [number, number, number] = [0.3, -0.2, 4]; // world; camera x = −X, y = −Y
    const labels = renderer.renderLabels(sphereScene(center, 0.12, 7), cam);
    let n = 0;
    let sx = 0;
    let sy = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 96; x++) {
        if (labels.ids[y * 96 + x] === 7) {
          n++;
          sx += x;
          sy += y;
        }
      }
    }
    const u = (80 * -0.3) / 4 + 40.3;
    const v = (90 * 0.2) / 4 + 35.7;
    expect(n).toBeGreaterThan(20);
    expect(sx / n).toBeCloseTo(u, 0);
    expect(Math.abs(sx / n - u)).toBeLessThan(0.35);
    expect(Math.abs(sy / n - v)).toBeLessThan(0.35);
  });

  it('places the photo window upright, mirrored on request, with its colour change', () => {
    // 2×2 photo: top row red, green; bottom row blue, white (texture rows top first).
    const photo = new THREE.DataTexture(
      Uint8Array.of(255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255),
      2,
      2,
    );
    photo.magFilter = THREE.NearestFilter;
    photo.minFilter = THREE.NearestFilter;
    photo.needsUpdate = true;
    const cam = pinholeCamera(K, R, [0, 0, 0], 96, 64);
    const layer = { texture: photo, window: [0, 0, 1, 1] as [number, number, number, number] };
    const at = (rgb: Uint8Array, x: number, y: number) =>
      Array.from(rgb.slice((y * 96 + x) * 3, (y * 96 + x) * 3 + 3));
    const plain = renderer.renderColor(new THREE.Scene(), cam, {
      ...layer,
      flip: false,
      brightness: 1,
      contrast: 1,
      saturation: 1,
    }).rgb;
    expect(at(plain, 5, 5)).toEqual([255, 0, 0]);
    expect(at(plain, 90, 5)).toEqual([0, 255, 0]);
    expect(at(plain, 5, 60)).toEqual([0, 0, 255]);
    const mirrored = renderer.renderColor(new THREE.Scene(), cam, {
      ...layer,
      flip: true,
      brightness: 0.5,
      contrast: 1,
      saturation: 0,
    }).rgb;
    // Mirrored: green top left; saturation 0 → grey 0.587·255, then brightness ½.
    const g = Math.round(0.587 * 255 * 0.5);
    for (const v of at(mirrored, 5, 5)) expect(Math.abs(v - g)).toBeLessThanOrEqual(1);
  });

  it('stores the visible surface depth in millimetres', () => {
    const cam = pinholeCamera(K, R, [0, 0, 0], 96, 64);
    const labels = renderer.renderLabels(sphereScene([0, 0, 3], 0.25, 9), cam);
    // The pixel nearest the principal point sees the sphere's front pole at z = 2.75 m.
    const d = labels.depthMm[36 * 96 + 40]!;
    expect(Math.abs(d - 2750)).toBeLessThan(6);
    expect(labels.depthMm[0]).toBe(0);
    expect(labels.ids[0]).toBe(0);
  });

  it('antialiases the colour pass: edge pixels are partially covered', () => {
    const cam = pinholeCamera(K, R, [0, 0, 0], 96, 64);
    const scene = new THREE.Scene();
    const mesh = new THREE.Mesh(
      new THREE.SphereGeometry(0.5, 48, 24),
      new THREE.MeshBasicMaterial({ color: 0xffffff }),
    );
    mesh.position.set(0, 0, 3);
    scene.add(mesh);
    // A uniform grey "photo" behind the sphere, no colour change.
    const photo = new THREE.DataTexture(new Uint8Array(4 * 4 * 4).fill(100), 4, 4);
    photo.needsUpdate = true;
    const { rgb, alpha } = renderer.renderColor(scene, cam, {
      texture: photo,
      window: [0, 0, 1, 1],
      flip: false,
      brightness: 1,
      contrast: 1,
      saturation: 1,
    });
    let partial = 0;
    let full = 0;
    for (let i = 0; i < alpha.length; i++) {
      if (alpha[i] === 255) {
        full++;
        expect(rgb[i * 3]).toBe(255); // white sphere
      } else if (alpha[i]! > 0) {
        partial++;
        // Edge pixels blend the sphere with the background by their coverage.
        const expected = 255 * (alpha[i]! / 255) + 100 * (1 - alpha[i]! / 255);
        expect(Math.abs(rgb[i * 3]! - expected)).toBeLessThan(2.5);
        expect(alpha[i]).toBeGreaterThan(0);
      } else {
        expect(Math.abs(rgb[i * 3]! - 100)).toBeLessThanOrEqual(1);
      }
    }
    expect(full).toBeGreaterThan(300);
    expect(partial).toBeGreaterThan(20);
  });
});
