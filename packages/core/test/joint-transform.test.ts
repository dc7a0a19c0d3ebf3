import { describe, expect, it } from 'vitest';
import {
  applyJointTransform,
  compileJointTransform,
  jointTransformProblems,
} from '../src/joint-transform.js';

describe('sparse joint transforms', () => {
  const t = compileJointTransform(
    [
      [
        [0, 0.5],
        [2, 0.5],
      ],
      [[1, 2]],
    ],
    3,
  );

  it('maps each pose of a batch', () => {
    const poses = Float64Array.from([0, 0, 0, 1, 1, 1, 2, 4, 6, 10, 0, 0, 0, 10, 0, 0, 0, 10]);
    expect([...applyJointTransform(t, poses, 2, 3)]).toEqual([1, 2, 3, 2, 2, 2, 5, 0, 5, 0, 20, 0]);
    expect([...applyJointTransform(t, [0, 0, 1, 1, 4, 2], 1, 2)]).toEqual([2, 1, 2, 2]);
  });

  it('refuses bad weights and shapes', () => {
    expect(jointTransformProblems([[[3, 1]]], 3)[0]).toMatch(/joint index < 3/);
    expect(jointTransformProblems([[]], 3)[0]).toMatch(/non-empty/);
    expect(jointTransformProblems([[[0, Number.NaN]]], 3)[0]).toMatch(/finite weight/);
    expect(() => compileJointTransform([], 3)).toThrow(/non-empty list/);
    expect(() => applyJointTransform(t, [1, 2, 3], 1, 3)).toThrow(/expected 9 values/);
  });
});
