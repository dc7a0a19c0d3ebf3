/** Seeded random numbers for tests (mulberry32), so failures reproduce. */
export function makeRng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * next();
  const normal = (): number => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  return { next, uniform, normal };
}

export type Rng = ReturnType<typeof makeRng>;

/** A random rotation matrix (row-major): a random axis, turned by an angle up to `maxAngle`. */
export function randomRotation(rng: Rng, maxAngle = Math.PI): Float64Array {
  const axis = [rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(axis[0]!, axis[1]!, axis[2]!);
  const angle = rng.uniform(-maxAngle, maxAngle);
  const [x, y, z] = axis.map((v) => v / n) as [number, number, number];
  const c = Math.cos(angle),
    s = Math.sin(angle),
    t = 1 - c;
  return Float64Array.of(
    t * x * x + c,
    t * x * y - s * z,
    t * x * z + s * y,
    t * x * y + s * z,
    t * y * y + c,
    t * y * z - s * x,
    t * x * z - s * y,
    t * y * z + s * x,
    t * z * z + c,
  );
}

/** A human-sized random point cloud (J × 3, mm) around (0, 0, depth). */
export function randomPose(rng: Rng, j = 30, depth = 0): number[][] {
  return Array.from({ length: j }, () => [
    rng.normal() * 250,
    rng.normal() * 450,
    rng.normal() * 150 + depth,
  ]);
}
