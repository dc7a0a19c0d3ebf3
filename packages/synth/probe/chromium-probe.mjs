// Renderer-choice probe, route 1: three.js in Debian's Chromium driven by playwright-core.
// Run from the repo root:  node packages/synth/probe/chromium-probe.mjs [frames] [flagSet]
// Needs: apt-get install -y chromium; npm install (playwright-core, three are devDependencies).
// Never runs `npx playwright install`: it uses /usr/bin/chromium.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const threeBuild = resolve(here, '../../../node_modules/three/build');
const frames = Number(process.argv[2] ?? 100);
const flagSetName = process.argv[3] ?? 'swiftshader';
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const common = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Candidate GPU flag sets; the probe reports which one gives a (WebGL2) context. */
const flagSets = {
  none: [],
  'disable-gpu': ['--disable-gpu'],
  swiftshader: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  'swiftshader-gl-angle': [
    '--use-gl=angle',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
  ],
  'disable-gpu-swiftshader': [
    '--disable-gpu',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
  ],
};
if (!flagSets[flagSetName]) throw new Error(`unknown flag set ${flagSetName}`);

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8">
<script type="importmap">{"imports":{"three":"/three/three.module.js"}}</script>
</head><body style="margin:0">
<script type="module">
import * as THREE from 'three';
import { buildScene } from '/probe/scene.mjs';
const SIZE = 512;
window.setupProbe = () => {
  const t0 = performance.now();
  const canvas = document.createElement('canvas');
  canvas.width = SIZE; canvas.height = SIZE;
  document.body.appendChild(canvas);
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
  renderer.setPixelRatio(1);
  renderer.setSize(SIZE, SIZE, false);
  const gl = renderer.getContext();
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  const s = buildScene(THREE);
  const rt = new THREE.WebGLRenderTarget(SIZE, SIZE, { samples: 4 });
  rt.texture.colorSpace = THREE.SRGBColorSpace;
  const pixels = new Uint8Array(SIZE * SIZE * 4);
  const one = new Uint8Array(4);
  window.probe = { renderer, gl, s, rt, pixels, one };
  renderer.render(s.scene, s.camera); // compile shaders, upload textures
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);
  return {
    setupMs: performance.now() - t0,
    webgl2: typeof WebGL2RenderingContext !== 'undefined' && gl instanceof WebGL2RenderingContext,
    renderer: dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    version: gl.getParameter(gl.VERSION),
    maxSamples: gl.getParameter(gl.MAX_SAMPLES),
    canvasAntialias: gl.getContextAttributes().antialias,
    canvasSamples: gl.getParameter(gl.SAMPLES),
    vertices: s.vertexCount, bones: s.boneCount, threeRevision: THREE.REVISION,
  };
};
const post = (body) => fetch('/frame', { method: 'POST', body }).then((r) => r.text());
const toBlob = (canvas, type) => new Promise((ok) => canvas.toBlob(ok, type, 0.92));
window.runProbe = async (mode, frames) => {
  const { renderer, gl, s, rt, pixels, one } = window.probe;
  const t0 = performance.now();
  for (let f = 0; f < frames; f++) {
    s.animate(f);
    if (mode === 'rt-raw' || mode === 'rt-only') {
      renderer.setRenderTarget(rt);
      renderer.render(s.scene, s.camera);
      renderer.setRenderTarget(null);
      if (mode === 'rt-raw') {
        renderer.readRenderTargetPixels(rt, 0, 0, 512, 512, pixels);
        await post(pixels);
      } else {
        renderer.readRenderTargetPixels(rt, 0, 0, 1, 1, one);
      }
    } else {
      renderer.render(s.scene, s.camera);
      if (mode === 'canvas-only') gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);
      else await post(await toBlob(renderer.domElement, mode === 'canvas-png' ? 'image/png' : 'image/jpeg'));
    }
  }
  return performance.now() - t0;
};
window.probeReady = true;
</script></body></html>`;

let bytesReceived = 0;
let framesReceived = 0;
let lastFrame = null;
const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/frame') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      lastFrame = Buffer.concat(chunks);
      bytesReceived += lastFrame.length;
      framesReceived++;
      res.end('ok');
    } else if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
    } else if (req.url.startsWith('/three/')) {
      res.setHeader('content-type', 'text/javascript');
      res.end(await readFile(join(threeBuild, req.url.slice(7).replace(/\.\./g, ''))));
    } else if (req.url === '/probe/scene.mjs') {
      res.setHeader('content-type', 'text/javascript');
      res.end(await readFile(join(here, 'scene.mjs')));
    } else {
      res.statusCode = 404;
      res.end();
    }
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const args = [...common, ...flagSets[flagSetName]];
const userDataDir = await mkdtemp(join(tmpdir(), 'synth-chromium-'));
const tLaunch = performance.now();
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args,
});
const launchMs = performance.now() - tLaunch;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`[page] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.probeReady === true);
  const info = await page.evaluate(() => window.setupProbe());
  const readyMs = performance.now() - tLaunch;
  console.log(
    JSON.stringify({
      flagSet: flagSetName,
      args,
      browser: context.browser()?.version(),
      launchMs: Math.round(launchMs),
      launchToFirstFrameMs: Math.round(readyMs),
      ...info,
    }),
  );
  const modes = ['canvas-only', 'rt-only', 'rt-raw', 'canvas-png', 'canvas-jpeg'];
  for (const mode of modes) {
    await page.evaluate(([m]) => window.runProbe(m, 5), [mode]); // warm-up
    bytesReceived = 0;
    framesReceived = 0;
    const t0 = performance.now();
    const pageMs = await page.evaluate(([m, n]) => window.runProbe(m, n), [mode, frames]);
    const nodeMs = performance.now() - t0;
    console.log(
      JSON.stringify({
        mode,
        frames,
        fps: +((frames * 1000) / nodeMs).toFixed(2),
        msPerFrame: +(nodeMs / frames).toFixed(2),
        pageMs: Math.round(pageMs),
        framesReceived,
        kBPerFrame: framesReceived ? Math.round(bytesReceived / framesReceived / 1024) : 0,
      }),
    );
    // PROBE_SAVE=/some/dir keeps the last PNG so the picture can be checked by eye.
    if (mode === 'canvas-png' && process.env.PROBE_SAVE && lastFrame) {
      await writeFile(join(process.env.PROBE_SAVE, `chromium-${flagSetName}.png`), lastFrame);
    }
  }
} finally {
  await context.close();
  server.close();
  await rm(userDataDir, { recursive: true, force: true });
}
