/**
 * The 3D view (three.js): every person in camera space at metric scale, the camera and its
 * frustum at the origin, a 1 m ground grid under the lowest joint, orbit controls and a
 * distance label per person. Camera space (x right, y down, z forward, mm) is shown as
 * three.js space (x right, y up, −z forward, m).
 */

import type { PoseResult } from '@metrabs/runtime';
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { personColor } from './draw2d.js';
import { distanceM, posesOf } from './result.js';

function toScene(p: readonly number[]): THREE.Vector3 {
  return new THREE.Vector3(p[0]! / 1000, -p[1]! / 1000, -p[2]! / 1000);
}

function labelSprite(text: string, color: string): THREE.Sprite {
  const canvas = document.createElement('canvas');
  canvas.width = 256;
  canvas.height = 64;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = 'rgba(20, 20, 24, 0.75)';
  ctx.fillRect(0, 0, 256, 64);
  ctx.fillStyle = color;
  ctx.font = 'bold 34px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 128, 34);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: texture, depthTest: false }));
  sprite.scale.set(0.4, 0.1, 1);
  return sprite;
}

function disposeTree(object: THREE.Object3D): void {
  object.traverse((child) => {
    const mesh = child as THREE.Mesh;
    mesh.geometry?.dispose();
    const materials = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
    for (const m of materials) {
      if (!m) continue;
      (m as THREE.SpriteMaterial).map?.dispose();
      m.dispose();
    }
  });
}

export class PoseView3D {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(50, 1, 0.01, 100);
  private readonly controls: OrbitControls;
  private readonly people = new THREE.Group();
  private readonly frustum = new THREE.Group();
  private grid: THREE.GridHelper;
  private readonly resizeObserver: ResizeObserver;
  private framePending = false;
  private lastCenter = new THREE.Vector3(0, 0, -3);

  /** Throws when WebGL is unavailable (the caller shows a message). */
  constructor(private readonly container: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.setClearColor(0x16181d);
    container.appendChild(this.renderer.domElement);
    this.scene.add(new THREE.AmbientLight(0xffffff, 1.0));
    this.grid = this.makeGrid(new THREE.Vector3(0, -1.5, -3));
    this.scene.add(this.grid, this.people, this.frustum);
    const axes = new THREE.AxesHelper(0.25);
    this.scene.add(axes);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.requestRender());
    this.setFrustum(640, 480, [
      [554, 0, 320],
      [0, 554, 240],
      [0, 0, 1],
    ]);
    this.resetView();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  private makeGrid(center: THREE.Vector3): THREE.GridHelper {
    const grid = new THREE.GridHelper(12, 12, 0x8a8f98, 0x3a3f47);
    grid.position.set(Math.round(center.x), center.y, Math.round(center.z));
    return grid;
  }

  /** Camera frustum: apex at the origin, the image rectangle drawn 0.5 m ahead. */
  setFrustum(width: number, height: number, k: number[][]): void {
    disposeTree(this.frustum);
    this.frustum.clear();
    const fx = k[0]![0]!;
    const fy = k[1]![1]!;
    const cx = k[0]![2]!;
    const cy = k[1]![2]!;
    const depth = 500;
    const corners = [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ].map(([u, v]) => toScene([((u! - cx) / fx) * depth, ((v! - cy) / fy) * depth, depth]));
    const origin = new THREE.Vector3();
    const points: THREE.Vector3[] = [];
    for (const [i, c] of corners.entries()) {
      points.push(origin, c, c, corners[(i + 1) % 4]!);
    }
    const geometry = new THREE.BufferGeometry().setFromPoints(points);
    this.frustum.add(
      new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: 0xd9d9d9 })),
    );
    const label = labelSprite('camera', '#d9d9d9');
    label.position.set(0, 0.1, 0.05);
    label.scale.set(0.2, 0.05, 1);
    this.frustum.add(label);
    this.requestRender();
  }

  /** Shows a result (undefined clears the people). */
  update(
    result: PoseResult | undefined,
    width: number,
    height: number,
    colorIds?: readonly number[],
  ): void {
    disposeTree(this.people);
    this.people.clear();
    if (result) this.setFrustum(width, height, result.intrinsicMatrix);
    const poses3d = result ? posesOf(result).poses3d : [];
    let lowest = Number.NEGATIVE_INFINITY;
    const centroid = new THREE.Vector3();
    let count = 0;
    for (const [i, pose] of poses3d.entries()) {
      const color = new THREE.Color(personColor(colorIds?.[i] ?? i));
      const joints = pose.map(toScene);
      const bonePoints: THREE.Vector3[] = [];
      for (const [a, b] of result!.edges) {
        const p = joints[a];
        const q = joints[b];
        if (p && q) bonePoints.push(p, q);
      }
      const bones = new THREE.LineSegments(
        new THREE.BufferGeometry().setFromPoints(bonePoints),
        new THREE.LineBasicMaterial({ color }),
      );
      const points = new THREE.Points(
        new THREE.BufferGeometry().setFromPoints(joints),
        new THREE.PointsMaterial({ color, size: 0.035 }),
      );
      this.people.add(bones, points);
      let top = Number.POSITIVE_INFINITY;
      const mean = new THREE.Vector3();
      for (const [j, joint] of joints.entries()) {
        top = Math.min(top, -joint.y);
        lowest = Math.max(lowest, pose[j]![1]! / 1000);
        mean.add(joint);
      }
      mean.divideScalar(Math.max(1, joints.length));
      centroid.add(mean);
      count += 1;
      const label = labelSprite(`#${i + 1} ${distanceM(pose).toFixed(2)} m`, personColor(i));
      label.position.set(mean.x, -top + 0.2, mean.z);
      this.people.add(label);
    }
    const center = count > 0 ? centroid.divideScalar(count) : new THREE.Vector3(0, 0, -3);
    const groundY = Number.isFinite(lowest) ? -lowest : -1.5;
    this.scene.remove(this.grid);
    this.grid.dispose();
    this.grid = this.makeGrid(new THREE.Vector3(center.x, groundY, center.z));
    this.scene.add(this.grid);
    this.lastCenter = center;
    this.requestRender();
  }

  /** Looks at the camera and the people from behind and above the camera. */
  resetView(): void {
    const people = this.lastCenter;
    const target = people.clone().multiplyScalar(0.6);
    const d = Math.max(2.5, 1.2 * people.length());
    this.controls.target.copy(target);
    this.camera.position.set(target.x + 0.12 * d, target.y + 0.5 * d, target.z + d);
    this.camera.lookAt(target);
    this.controls.update();
    this.requestRender();
  }

  private resize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, true);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.renderer.render(this.scene, this.camera);
    });
  }

  /** Renders now (for screenshots and tests). */
  renderNow(): void {
    this.renderer.render(this.scene, this.camera);
  }
}
