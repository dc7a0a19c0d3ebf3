/**
 * Benchmark: perspective crops per second from a 1920×1080 image (packages/runtime/src/warp.ts)
 * for crop sides 256 and 128, anti-aliasing factors 1 and 2, with and without lens
 * distortion, plus the time to build the linear-light pyramid.
 *
 *   npx tsx bench/crops.ts
 *
 * Prints the median of several timed rounds; compare numbers from one run only (the machine
 * is shared and noisy).
 */
import { buildCropCamera, Camera, type CropGeometry } from '@metrabs/core';
import { LinearImagePyramid, renderCrops } from '@metrabs/runtime';
import { texturedImage } from './images.js';
import { callsPerSecond, median } from './timing.js';

const W = 1920;
const H = 1080;

const image = texturedImage(W, H);

const pinhole = Camera.fromFov(55, W, H);
const distorted = new Camera({
  intrinsicMatrix: pinhole.intrinsicMatrix,
  distortionCoeffs: [-0.12, 0.03, 0.0005, -0.0003, 0],
});

// Person boxes of a 1080p frame: heights 200–900 px (crop zooms from about 1.3 to 0.28 at
// S = 256, i.e. pyramid levels 0 and 1), spread over the image.
const boxes = [
  [100, 500, 100, 200],
  [400, 300, 150, 350],
  [700, 200, 200, 500],
  [1000, 150, 260, 650],
  [1300, 100, 320, 800],
  [1500, 120, 360, 900],
  [300, 600, 120, 260],
  [1650, 400, 180, 420],
];

console.log(`node ${process.version}, image ${W}×${H}, ${boxes.length} boxes per call`);

const level0Ms: number[] = [];
const levels12Ms: number[] = [];
for (let r = 0; r < 8; r++) {
  const t0 = performance.now();
  const p = new LinearImagePyramid(image);
  const t1 = performance.now();
  p.level(2); // builds level 1, then level 2
  const t2 = performance.now();
  if (r > 0) {
    level0Ms.push(t1 - t0);
    levels12Ms.push(t2 - t1);
  }
}
console.log(
  `pyramid: level 0 (uint8 → linear float32) ${median(level0Ms).toFixed(1)} ms, levels 1 + 2 ${median(levels12Ms).toFixed(1)} ms`,
);

const pyramid = new LinearImagePyramid(image);
pyramid.level(2);

for (const side of [256, 128]) {
  for (const camera of [pinhole, distorted]) {
    const crops: CropGeometry[] = boxes.map((box) => buildCropCamera(camera, box, { side }));
    for (const antialiasFactor of [1, 2]) {
      const out = new Float32Array(crops.length * side * side * 3);
      const rate =
        crops.length *
        callsPerSecond(() => renderCrops(pyramid, crops, camera, { antialiasFactor }, out));
      const label = `S=${side}, antialias ${antialiasFactor}, ${camera.hasDistortion ? 'distortion' : 'no distortion'}`;
      const line = `| ${label.padEnd(40)} | ${rate.toFixed(0).padStart(7)} | ${(1000 / rate).toFixed(2).padStart(6)} |`;
      console.log(line);
    }
  }
}
