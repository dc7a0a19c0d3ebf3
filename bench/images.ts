/** Synthetic input images shared by the benchmarks. */

/**
 * A deterministic textured RGB image: pseudo-random bytes in two channels and a slow ramp in
 * the first, so crops see structure rather than pure noise.
 */
export function texturedImage(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = i % 3 === 0 ? (i >> 5) & 255 : seed >>> 24;
  }
  return { width, height, data };
}
