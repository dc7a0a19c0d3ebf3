// Renderer-choice probe: the shared test scene (see docs/renderer-choice.md).
// Takes the THREE namespace as an argument so the same file runs in Chromium (import map)
// and in Node (headless-gl). Everything is procedural: no asset files are needed.

/** Procedural RGBA texture of size×size: a coloured checkerboard with a gradient. */
function makeTexture(THREE, size, seed) {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const check = ((x >> 5) + (y >> 5) + seed) & 1;
      data[i] = check ? 200 : (x * 255) / size;
      data[i + 1] = check ? (y * 255) / size : 90;
      data[i + 2] = ((x ^ y) + seed * 60) & 255;
      data[i + 3] = 255;
    }
  }
  const tex = new THREE.DataTexture(data, size, size, THREE.RGBAFormat);
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.magFilter = THREE.LinearFilter;
  tex.minFilter = THREE.LinearMipmapLinearFilter;
  tex.generateMipmaps = true;
  tex.needsUpdate = true;
  return tex;
}

/**
 * A skinned "body": a cylinder of radialSegments×heightSegments quads (~20k vertices)
 * driven by a chain of `boneCount` bones along its axis, each vertex weighted to its two
 * nearest bones.
 */
function makeSkinnedBody(THREE, { boneCount, radialSegments, heightSegments, texture }) {
  const height = 3;
  const geometry = new THREE.CylinderGeometry(
    0.35,
    0.35,
    height,
    radialSegments,
    heightSegments,
    true,
  );
  const pos = geometry.attributes.position;
  const skinIndex = new Uint16Array(pos.count * 4);
  const skinWeight = new Float32Array(pos.count * 4);
  const segment = height / (boneCount - 1);
  for (let v = 0; v < pos.count; v++) {
    const t = (pos.getY(v) + height / 2) / segment;
    const b0 = Math.min(boneCount - 2, Math.floor(t));
    const w1 = Math.min(1, Math.max(0, t - b0));
    skinIndex[v * 4] = b0;
    skinIndex[v * 4 + 1] = b0 + 1;
    skinWeight[v * 4] = 1 - w1;
    skinWeight[v * 4 + 1] = w1;
  }
  geometry.setAttribute('skinIndex', new THREE.Uint16BufferAttribute(skinIndex, 4));
  geometry.setAttribute('skinWeight', new THREE.Float32BufferAttribute(skinWeight, 4));

  const bones = [];
  for (let b = 0; b < boneCount; b++) {
    const bone = new THREE.Bone();
    bone.position.y = b === 0 ? -height / 2 : segment;
    if (b > 0) bones[b - 1].add(bone);
    bones.push(bone);
  }
  const material = new THREE.MeshStandardMaterial({ map: texture, roughness: 0.6 });
  const mesh = new THREE.SkinnedMesh(geometry, material);
  mesh.add(bones[0]);
  mesh.bind(new THREE.Skeleton(bones));
  return { mesh, bones };
}

/**
 * Builds the probe scene. Returns { scene, camera, animate(frame), vertexCount, boneCount }.
 * opts: { boneCount = 50, radialSegments = 64, heightSegments = 312, textureSize = 512,
 *         backgroundSize = 1024 }
 */
export function buildScene(THREE, opts = {}) {
  const boneCount = opts.boneCount ?? 50;
  const radialSegments = opts.radialSegments ?? 64;
  const heightSegments = opts.heightSegments ?? 312;
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(45, 1, 0.1, 100);
  camera.position.set(0, 0, 7);
  camera.lookAt(0, 0, 0);

  const bgTexture = makeTexture(THREE, opts.backgroundSize ?? 1024, 1);
  const background = new THREE.Mesh(
    new THREE.PlaneGeometry(12, 12),
    new THREE.MeshBasicMaterial({ map: bgTexture }),
  );
  background.position.z = -4;
  scene.add(background);

  const { mesh, bones } = makeSkinnedBody(THREE, {
    boneCount,
    radialSegments,
    heightSegments,
    texture: makeTexture(THREE, opts.textureSize ?? 512, 0),
  });
  scene.add(mesh);

  scene.add(new THREE.AmbientLight(0xffffff, 0.3));
  const sun = new THREE.DirectionalLight(0xffffff, 2.0);
  sun.position.set(3, 4, 5);
  scene.add(sun);
  const lamp = new THREE.PointLight(0xffccaa, 20, 0, 2);
  lamp.position.set(-3, 1, 3);
  scene.add(lamp);

  function animate(frame) {
    const phase = frame * 0.1;
    for (let b = 1; b < bones.length; b++) {
      bones[b].rotation.z = 0.06 * Math.sin(phase + b * 0.3);
      bones[b].rotation.x = 0.04 * Math.cos(phase * 0.7 + b * 0.2);
    }
    mesh.rotation.y = phase * 0.5;
  }

  return {
    scene,
    camera,
    animate,
    vertexCount: mesh.geometry.attributes.position.count,
    boneCount: bones.length,
  };
}
