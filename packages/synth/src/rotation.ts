/**
 * The smallest rotation taking one direction onto another (row-major 3×3), used to retarget
 * bones and to pan cameras. Pure.
 */
import { cross3 as cross, norm3 } from '@metrabs/core';

type Vec3 = [number, number, number];

function unit(v: ArrayLike<number>): Vec3 {
  const l = norm3(v);
  return [v[0]! / l, v[1]! / l, v[2]! / l];
}

/** The smallest rotation taking direction `from` onto direction `to` (row-major 3×3). */
export function swingRotation(from: ArrayLike<number>, to: ArrayLike<number>): Float64Array {
  const f = unit(from);
  const t = unit(to);
  const c = f[0] * t[0] + f[1] * t[1] + f[2] * t[2];
  let axis = cross(f, t);
  let s = norm3(axis);
  if (s < 1e-12) {
    if (c > 0) return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    // Opposite: turn 180° about any axis perpendicular to f.
    axis = Math.abs(f[0]) < 0.9 ? cross(f, [1, 0, 0]) : cross(f, [0, 1, 0]);
    s = 0;
  }
  const [x, y, z] = unit(axis);
  const k = 1 - c;
  return Float64Array.of(
    c + x * x * k,
    x * y * k - z * s,
    x * z * k + y * s,
    y * x * k + z * s,
    c + y * y * k,
    y * z * k - x * s,
    z * x * k - y * s,
    z * y * k + x * s,
    c + z * z * k,
  );
}
