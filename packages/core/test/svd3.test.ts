import { describe, expect, it } from 'vitest';
import { GeometryError } from '../src/errors.js';
import { det3, identity3, multiply3, transpose3 } from '../src/mat3.js';
import { svd3, symmetricEigen3 } from '../src/svd3.js';
import { expectGeometryError, maxAbs, maxAbsDiff } from './assertions.js';
import { makeRng, type Rng, randomRotation } from './random.js';

function randomMatrix(rng: Rng, scale = 1): Float64Array {
  return Float64Array.from({ length: 9 }, () => rng.uniform(-scale, scale));
}

function diag(v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) out[i * 4] = v[i]!;
  return out;
}

const I = identity3();

/** Checks all SVD invariants with a tolerance relative to the largest entry of `a`. */
function expectValidSvd(a: Float64Array, tol = 1e-14): { s: Float64Array } {
  const { u, s, v } = svd3(a);
  const scale = Math.max(maxAbs(a), Number.MIN_VALUE);
  const recon = multiply3(multiply3(u, diag(s)), transpose3(v));
  expect(maxAbsDiff(recon, a) / scale).toBeLessThan(tol * 10);
  expect(maxAbsDiff(multiply3(transpose3(u), u), I)).toBeLessThan(tol * 10);
  expect(maxAbsDiff(multiply3(transpose3(v), v), I)).toBeLessThan(tol * 10);
  expect(det3(v)).toBeCloseTo(1, 12);
  expect(s[0]!).toBeGreaterThanOrEqual(s[1]!);
  expect(s[1]!).toBeGreaterThanOrEqual(s[2]!);
  expect(s[2]!).toBeGreaterThanOrEqual(0);
  return { s };
}

describe('symmetricEigen3', () => {
  it('diagonalises random symmetric matrices to machine precision', () => {
    const rng = makeRng(1);
    for (let trial = 0; trial < 200; trial++) {
      const m = randomMatrix(rng, 10);
      const sym = multiply3(transpose3(m), m); // also exercises positive semi-definite input
      for (let i = 0; i < 9; i++) sym[i] = sym[i]! - (trial % 3 === 0 ? 30 * I[i]! : 0);
      const { values, vectors } = symmetricEigen3(sym);
      const recon = multiply3(multiply3(vectors, diag(values)), transpose3(vectors));
      expect(maxAbsDiff(recon, sym) / maxAbs(sym)).toBeLessThan(1e-14);
      expect(maxAbsDiff(multiply3(transpose3(vectors), vectors), I)).toBeLessThan(1e-14);
      expect(det3(vectors)).toBeCloseTo(1, 13);
      expect(values[0]!).toBeGreaterThanOrEqual(values[1]!);
      expect(values[1]!).toBeGreaterThanOrEqual(values[2]!);
    }
  });

  it('returns exact eigenvalues of a diagonal matrix, sorted', () => {
    const { values, vectors } = symmetricEigen3(diag([2, -5, 7]));
    expect(Array.from(values)).toEqual([7, 2, -5]);
    // Eigenvectors are (±) unit axes.
    expect(Math.abs(vectors[0 * 3 + 0]!)).toBe(0);
    expect(Math.abs(vectors[2 * 3 + 0]!)).toBe(1);
    expect(det3(vectors)).toBe(1);
  });

  it('handles repeated eigenvalues and uses only the symmetric part', () => {
    const r = randomRotation(makeRng(2));
    const sym = multiply3(multiply3(r, diag([3, 3, 1])), transpose3(r));
    const { values } = symmetricEigen3(sym);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(values[2]).toBeCloseTo(1, 14);
    const asym = Float64Array.from([1, 2, 0, 0, 1, 0, 0, 0, 1]); // symmetric part has 1 ± 1
    expect(
      Array.from(symmetricEigen3(asym).values).map((x) => Math.round(x * 1e12) / 1e12),
    ).toEqual([2, 1, 0]);
  });

  it('writes into the provided out object', () => {
    const out = { values: new Float64Array(3), vectors: new Float64Array(9) };
    const res = symmetricEigen3(diag([1, 2, 3]), out);
    expect(res).toBe(out);
    expect(Array.from(out.values)).toEqual([3, 2, 1]);
  });
});

describe('svd3', () => {
  it('decomposes random matrices (U·S·Vᵀ = A, orthonormal, sorted)', () => {
    const rng = makeRng(3);
    for (let trial = 0; trial < 300; trial++) {
      const scale = 10 ** Math.floor(rng.uniform(-6, 6));
      expectValidSvd(randomMatrix(rng, scale));
    }
  });

  it('recovers known singular values of U·diag(s)·Vᵀ, including a negative determinant', () => {
    const rng = makeRng(4);
    for (let trial = 0; trial < 50; trial++) {
      const u = randomRotation(rng);
      const v = randomRotation(rng);
      const sv = [rng.uniform(5, 6), rng.uniform(2, 3), rng.uniform(0.1, 1.1)];
      let a = multiply3(multiply3(u, diag(sv)), transpose3(v));
      if (trial % 2 === 1) a = multiply3(a, diag([1, 1, -1])); // det3(A) < 0, same singular values
      const { s } = expectValidSvd(a);
      for (let k = 0; k < 3; k++) expect(s[k]).toBeCloseTo(sv[k]!, 13);
      const res = svd3(a);
      // det3(U)·det3(V) must carry the sign of det3(A).
      expect(Math.sign(det3(res.u) * det3(res.v))).toBe(Math.sign(det3(a)));
    }
  });

  it('handles rank-2 input (coplanar points) with an orthonormal U', () => {
    const rng = makeRng(5);
    for (let trial = 0; trial < 50; trial++) {
      const u = randomRotation(rng);
      const v = randomRotation(rng);
      const a = multiply3(multiply3(u, diag([3, rng.uniform(1, 2), 0])), transpose3(v));
      const { s } = expectValidSvd(a);
      expect(s[2]!).toBeLessThan(1e-14 * s[0]!);
    }
  });

  it('handles rank-1 input (collinear points) with an orthonormal U', () => {
    const rng = makeRng(6);
    for (let trial = 0; trial < 50; trial++) {
      const x = [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)];
      const y = [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)];
      const a = new Float64Array(9);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) a[r * 3 + c] = x[r]! * y[c]!;
      const { s } = expectValidSvd(a);
      expect(s[1]!).toBeLessThan(1e-14 * s[0]!);
      expect(s[0]).toBeCloseTo(
        Math.hypot(x[0]!, x[1]!, x[2]!) * Math.hypot(y[0]!, y[1]!, y[2]!),
        14,
      );
    }
    // Exactly axis-aligned rank-1 matrices.
    expectValidSvd(Float64Array.from([0, 0, 0, 0, 4, 0, 0, 0, 0]));
    expectValidSvd(Float64Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0]));
  });

  it('resolves tiny singular values far below sqrt(eps)·σ1 (where AᵀA alone fails)', () => {
    const rng = makeRng(8);
    const spectra = [
      [1, 1e-10, 0],
      [1, 1e-9, 1e-12],
      [1, 1 - 1e-9, 1e-13],
      [1, 1e-8, 1e-8],
      [1, 1e-15, 1e-16],
    ];
    for (let trial = 0; trial < 100; trial++) {
      const sv = spectra[trial % spectra.length]!;
      const a = multiply3(
        multiply3(randomRotation(rng), diag(sv)),
        transpose3(randomRotation(rng)),
      );
      const { s } = expectValidSvd(a);
      for (let k = 0; k < 3; k++) expect(Math.abs(s[k]! - sv[k]!)).toBeLessThan(1e-14);
    }
  });

  it('handles diagonal, permutation and zero matrices', () => {
    const { s } = expectValidSvd(diag([-2, 5, 0.5]));
    expect(Array.from(s)).toEqual([5, 2, 0.5]);
    expectValidSvd(Float64Array.from([0, 1, 0, 0, 0, 1, 1, 0, 0]));
    expectValidSvd(Float64Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1])); // det −1
    const zero = svd3(new Float64Array(9));
    expect(Array.from(zero.s)).toEqual([0, 0, 0]);
    expect(Array.from(zero.u)).toEqual(Array.from(I));
    expectValidSvd(diag([1, 1, 1]));
    expectValidSvd(diag([2, 2, -2]));
  });

  it('handles extreme magnitudes without overflow', () => {
    const rng = makeRng(7);
    expectValidSvd(randomMatrix(rng, 1e200));
    expectValidSvd(randomMatrix(rng, 1e-200));
  });

  it('reuses the out object', () => {
    const out = { u: new Float64Array(9), s: new Float64Array(3), v: new Float64Array(9) };
    expect(svd3(diag([1, 2, 3]), out)).toBe(out);
    expect(Array.from(out.s)).toEqual([3, 2, 1]);
  });

  it('rejects bad input', () => {
    expect(() => svd3([1, 2, 3])).toThrow(GeometryError);
    expect(() => svd3([1, 2, 3, 4, 5, 6, 7, 8, Number.NaN])).toThrowError(/finite/);
    expectGeometryError(() => symmetricEigen3(new Float64Array(4)), 'shape');
  });
});
