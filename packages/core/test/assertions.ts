/** Shared numeric comparisons and error-code checks for the tests. */
import { expect } from 'vitest';
import { GeometryError } from '../src/errors.js';

/** Numbers as a flat (typed) array or nested rows, e.g. J × 3 poses. */
export type Numbers = ArrayLike<number> | ArrayLike<Numbers>;

/** Largest |a − b| over all entries; fails the test if the shapes differ. NaN propagates. */
export function maxAbsDiff(a: Numbers, b: Numbers): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number') {
      m = Math.max(m, Math.abs(x - y));
    } else {
      expect(typeof y).toBe(typeof x);
      m = Math.max(m, maxAbsDiff(x as Numbers, y as Numbers));
    }
  }
  return m;
}

/** Largest |a| over all entries. */
export function maxAbs(a: Numbers): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    m = Math.max(m, typeof x === 'number' ? Math.abs(x) : maxAbs(x));
  }
  return m;
}

/** Every |a − b| is strictly below `tol` (and the shapes match). */
export function expectClose(a: Numbers, b: Numbers, tol: number): void {
  expect(maxAbsDiff(a, b)).toBeLessThan(tol);
}

/**
 * The `GeometryError` code thrown by `fn`, or undefined if it returns normally. Any other
 * exception is rethrown, failing the test.
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GeometryError) return e.code;
    throw e;
  }
  return undefined;
}

/** `fn` throws a `GeometryError` with this code (and a message matching `message`, if given). */
export function expectGeometryError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GeometryError);
  expect((caught as GeometryError).code).toBe(code);
  if (message) expect((caught as GeometryError).message).toMatch(message);
}
