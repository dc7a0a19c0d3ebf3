/**
 * The three.js parts of a scene besides the people: lights tinted by the background photo,
 * random occluding objects, and hair tones. Randomness comes from the caller's generator.
 */
import * as THREE from 'three';
import type { Rng } from './random.js';
import type { SampledCamera } from './scene.js';

const HAIR_TONES: [number, number, number][] = [
  [0.12, 0.09, 0.07], // black
  [0.3, 0.2, 0.13], // dark brown
  [0.55, 0.38, 0.24], // brown
  [0.95, 0.8, 0.55], // blonde
  [0.7, 0.35, 0.2], // auburn
  [0.85, 0.85, 0.85], // grey
];

export function hairTone(rng: Rng): THREE.Color {
  const [r, g, b] = HAIR_TONES[rng.weighted([3, 4, 3, 2, 1, 1])]!;
  const k = rng.uniform(0.85, 1.15);
  return new THREE.Color().setRGB(
    Math.min(1, r * k * 1.6),
    Math.min(1, g * k * 1.6),
    Math.min(1, b * k * 1.6),
  );
}

export function addLights(scene: THREE.Scene, rng: Rng, tint: [number, number, number]): void {
  const sky = new THREE.Color().setRGB(
    0.55 + 0.45 * tint[0],
    0.55 + 0.45 * tint[1],
    0.55 + 0.45 * tint[2],
  );
  // Some light bounces up from the ground too (a dark underside reads as a silhouette).
  const ground = new THREE.Color().setRGB(
    0.2 + 0.35 * tint[0],
    0.2 + 0.35 * tint[1],
    0.2 + 0.35 * tint[2],
  );
  scene.add(new THREE.HemisphereLight(sky, ground, rng.uniform(0.8, 2.2)));
  const lights = rng.int(1, 2);
  for (let i = 0; i < lights; i++) {
    const warm = rng.uniform(-0.15, 0.15);
    const light = new THREE.DirectionalLight(
      new THREE.Color().setRGB(1 + warm, 1, 1 - warm),
      rng.uniform(0.8, 3),
    );
    const el = rng.uniform(0.2, 1.3);
    const az = rng.uniform(-Math.PI, Math.PI);
    light.position.set(Math.cos(el) * Math.sin(az), Math.sin(el), Math.cos(el) * Math.cos(az));
    scene.add(light);
  }
}

/** Random boxes, cylinders and spheres between the camera and the people (≈30% of images). */
export function addOccluders(
  scene: THREE.Scene,
  rng: Rng,
  camera: SampledCamera,
  people: Float64Array[],
): THREE.Mesh[] {
  if (people.length === 0 || !rng.chance(0.3)) return [];
  const out: THREE.Mesh[] = [];
  const n = rng.int(1, 2);
  for (let i = 0; i < n; i++) {
    const joints = rng.pick(people);
    const j = rng.int(0, joints.length / 3 - 1);
    const target = [joints[j * 3]!, joints[j * 3 + 1]!, joints[j * 3 + 2]!];
    const t = rng.uniform(0.35, 0.8); // fraction of the way from the camera to the joint
    const c = camera.center;
    const pos = [0, 1, 2].map((k) => c[k]! + t * (target[k]! - c[k]!));
    // Sized to hide a part of the person, not all of it: seen from the camera the object spans
    // 15–45% of a 1.7 m person's height at the person's distance.
    const size = rng.uniform(0.15, 0.45) * 1.7 * t;
    const kind = rng.int(0, 2);
    const geometry =
      kind === 0
        ? new THREE.BoxGeometry(size * rng.uniform(0.5, 2), size * rng.uniform(0.5, 2), size)
        : kind === 1
          ? new THREE.CylinderGeometry(size / 2, size / 2, size * rng.uniform(1, 2.5), 24)
          : new THREE.SphereGeometry(size / 2, 24, 16);
    const material = new THREE.MeshStandardMaterial({
      color: new THREE.Color().setHSL(rng(), rng.uniform(0.1, 0.8), rng.uniform(0.2, 0.7)),
      roughness: rng.uniform(0.3, 1),
      metalness: rng.uniform(0, 0.3),
    });
    const mesh = new THREE.Mesh(geometry, material);
    mesh.position.set(pos[0]!, pos[1]!, pos[2]!);
    mesh.rotation.set(
      rng.uniform(-0.4, 0.4),
      rng.uniform(-Math.PI, Math.PI),
      rng.uniform(-0.4, 0.4),
    );
    mesh.updateMatrixWorld(true);
    scene.add(mesh);
    out.push(mesh);
  }
  return out;
}
