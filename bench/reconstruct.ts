/**
 * Benchmark: absolute reconstructions per second (full perspective, 30 joints) for batches
 * of 1 and 1000 poses, plus the friendly nested-array API for comparison.
 *
 *   npm run bench:reconstruct
 *
 * Prints the median of several timed rounds; compare numbers from one run only (the
 * machine is shared and noisy).
 */
import { intrinsicsFromFov, reconstructAbsolute, reconstructAbsoluteBatch } from '@metrabs/core';
import { callsPerSecond } from './timing.js';

const J = 30;
const K = intrinsicsFromFov(55, 256, 256);

function makeBatch(n: number) {
  const coords2d = new Float32Array(n * J * 2);
  const coords3d = new Float32Array(n * J * 3);
  let seed = 1;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  for (let i = 0; i < n * J; i++) {
    coords3d[i * 3] = (rand() - 0.5) * 800;
    coords3d[i * 3 + 1] = (rand() - 0.5) * 1700;
    coords3d[i * 3 + 2] = (rand() - 0.5) * 400 + 1100;
    coords2d[i * 2] = 16 + rand() * 224;
    coords2d[i * 2 + 1] = 16 + rand() * 224;
  }
  return { coords2d, coords3d };
}

function measure(label: string, posesPerCall: number, fn: () => void) {
  const m = callsPerSecond(fn, { minMs: 400, rounds: 7, warmup: 50 }) * posesPerCall;
  console.log(
    `${label.padEnd(44)} ${Math.round(m).toLocaleString('en-US').padStart(12)} poses/s  (${(1e6 / m).toFixed(2)} µs/pose)`,
  );
  return m;
}

const one = makeBatch(1);
const many = makeBatch(1000);
const out1 = new Float64Array(J * 3);
const out1000 = new Float64Array(1000 * J * 3);
const nested2d = Array.from({ length: J }, (_, j) => [
  one.coords2d[j * 2]!,
  one.coords2d[j * 2 + 1]!,
]);
const nested3d = Array.from({ length: J }, (_, j) => [
  one.coords3d[j * 3]!,
  one.coords3d[j * 3 + 1]!,
  one.coords3d[j * 3 + 2]!,
]);

console.log(`node ${process.version}, ${J} joints, full perspective, mix 0.5`);
measure('batch of 1 (typed arrays)', 1, () =>
  reconstructAbsoluteBatch(one.coords2d, one.coords3d, K, 1, J, {}, out1),
);
measure('batch of 1000 (typed arrays)', 1000, () =>
  reconstructAbsoluteBatch(many.coords2d, many.coords3d, K, 1000, J, {}, out1000),
);
measure('single pose, nested arrays (reconstructAbsolute)', 1, () =>
  reconstructAbsolute(nested2d, nested3d, K),
);
measure('batch of 1000, weak perspective', 1000, () =>
  reconstructAbsoluteBatch(
    many.coords2d,
    many.coords3d,
    K,
    1000,
    J,
    { weakPerspective: true },
    out1000,
  ),
);
