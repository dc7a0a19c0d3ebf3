// Renderer-choice probe, route 2: three.js in Node on headless-gl (npm package `gl`, WebGL 1).
// `gl` is NOT a dependency of the repo: install it in a scratch directory, e.g.
//   apt-get install -y libxi-dev libxext-dev pkg-config xvfb   (plus python3 make g++)
//   mkdir /tmp/glprobe && cd /tmp/glprobe && npm init -y && npm install gl@8.1.6 three@0.162.0
// then, from the repo root:
//   GL_FROM=/tmp/glprobe THREE_FROM=/tmp/glprobe \
//     xvfb-run -a -s '-screen 0 1280x1024x24' node packages/synth/probe/headless-gl-probe.mjs 100
// GL_FROM / THREE_FROM are directories whose node_modules hold `gl` / `three`.
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { encodePngBottomUp } from './png.mjs';
import { buildScene } from './scene.mjs';

const SIZE = Number(process.env.PROBE_SIZE ?? 512); // 1024 = 2×2 supersampling stand-in for MSAA
const frames = Number(process.argv[2] ?? 100);
const fromDir = (dir) => createRequire(join(dir ?? process.cwd(), 'noop.js'));

const t0 = performance.now();
const createGL = fromDir(process.env.GL_FROM)('gl');
const THREE = fromDir(process.env.THREE_FROM)('three');
const gl = createGL(SIZE, SIZE, { antialias: true, preserveDrawingBuffer: true });
if (!gl) throw new Error('headless-gl returned no context (no X display? run under xvfb-run)');

// three.js only needs a few canvas members when it is handed a ready context.
const canvas = {
  width: SIZE,
  height: SIZE,
  style: {},
  addEventListener() {},
  removeEventListener() {},
  getContext: () => gl,
};
const renderer = new THREE.WebGLRenderer({ canvas, context: gl, antialias: true });
renderer.setPixelRatio(1);
renderer.setSize(SIZE, SIZE, false);
const s = buildScene(THREE);
const pixels = new Uint8Array(SIZE * SIZE * 4);
const one = new Uint8Array(4);
renderer.render(s.scene, s.camera);
gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);
console.log(
  JSON.stringify({
    startupToFirstFrameMs: Math.round(performance.now() - t0),
    threeRevision: THREE.REVISION,
    version: gl.getParameter(gl.VERSION),
    renderer: gl.getParameter(gl.RENDERER),
    antialias: gl.getContextAttributes().antialias,
    samples: gl.getParameter(gl.SAMPLES),
    vertices: s.vertexCount,
    bones: s.boneCount,
    firstPixel: Array.from(one),
  }),
);

for (const mode of ['render-only', 'readback']) {
  const run = (n) => {
    for (let f = 0; f < n; f++) {
      s.animate(f);
      renderer.render(s.scene, s.camera);
      if (mode === 'readback') gl.readPixels(0, 0, SIZE, SIZE, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
      else gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);
    }
  };
  run(5); // warm-up
  const t = performance.now();
  run(frames);
  const ms = performance.now() - t;
  console.log(
    JSON.stringify({
      mode,
      frames,
      fps: +((frames * 1000) / ms).toFixed(2),
      msPerFrame: +(ms / frames).toFixed(2),
    }),
  );
}
// A non-black centre pixel shows the scene really rendered.
const c = ((SIZE / 2) * SIZE + SIZE / 2) * 4;
console.log(JSON.stringify({ centrePixel: Array.from(pixels.subarray(c, c + 4)) }));
// PROBE_SAVE=/some/dir keeps the last frame as a PNG so the picture can be checked by eye.
if (process.env.PROBE_SAVE) {
  const file = join(process.env.PROBE_SAVE, `headless-gl-r${THREE.REVISION}.png`);
  await writeFile(file, encodePngBottomUp(pixels, SIZE, SIZE));
}
