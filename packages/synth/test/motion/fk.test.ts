import { describe, expect, it } from 'vitest';
import {
  eulerToMatrix,
  forwardKinematics,
  parseBvh,
  restPositions,
} from '../../src/motion/index.js';

const deg = Math.PI / 180;
type M3 = number[];
const rx = (a: number): M3 => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const ry = (a: number): M3 => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
const rz = (a: number): M3 => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
function mul(a: M3, b: M3): M3 {
  const out: M3 = [];
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      out.push(a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!);
  return out;
}
const apply = (m: M3, v: number[]): number[] =>
  [0, 1, 2].map((r) => m[r * 3]! * v[0]! + m[r * 3 + 1]! * v[1]! + m[r * 3 + 2]! * v[2]!);

function expectClose(actual: ArrayLike<number>, expected: number[], eps = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(eps);
}

/** Root with 6 channels, child with rotations in `order`, End Site. */
function chain(
  rootRot: string,
  childRot: string,
  row: string,
  rootPos = 'Xposition Yposition Zposition',
): string {
  return `HIERARCHY
ROOT A
{
  OFFSET 1 2 3
  CHANNELS 6 ${rootPos} ${rootRot}
  JOINT B
  {
    OFFSET 0 10 0
    CHANNELS 3 ${childRot}
    End Site
    {
      OFFSET 5 0 0
    }
  }
}
MOTION
Frames: 1
Frame Time: 0.1
${row}
`;
}

describe('eulerToMatrix', () => {
  it('composes the channels in the listed order, R = R1·R2·R3', () => {
    expectClose(
      eulerToMatrix([2, 0, 1], [30, 40, 50]),
      mul(mul(rz(30 * deg), rx(40 * deg)), ry(50 * deg)),
    );
    expectClose(
      eulerToMatrix([0, 1, 2], [-70, 15, 100]),
      mul(mul(rx(-70 * deg), ry(15 * deg)), rz(100 * deg)),
    );
    expectClose(eulerToMatrix([1], [90]), [0, 0, 1, 0, 1, 0, -1, 0, 0]);
  });
});

describe('forwardKinematics', () => {
  it('matches hand-computed global rotations and positions for any channel order', () => {
    const b = parseBvh(
      chain(
        'Zrotation Yrotation Xrotation',
        'Xrotation Zrotation Yrotation',
        '10 20 30 30 -20 45 60 10 -35',
      ),
      't.bvh',
    );
    const fk = forwardKinematics(b);
    const Ra = mul(mul(rz(30 * deg), ry(-20 * deg)), rx(45 * deg));
    const Rb = mul(Ra, mul(mul(rx(60 * deg), rz(10 * deg)), ry(-35 * deg)));
    const pa = [11, 22, 33]; // OFFSET + position channels ('add')
    const pb = pa.map((v, i) => v + apply(Ra, [0, 10, 0])[i]!);
    const pe = pb.map((v, i) => v + apply(Rb, [5, 0, 0])[i]!);
    expectClose(fk.rotations.subarray(0, 9), Ra);
    expectClose(fk.rotations.subarray(9, 18), Rb);
    expectClose(fk.rotations.subarray(18, 27), Rb); // End Site carries its parent's rotation
    expectClose(fk.positions, [...pa, ...pb, ...pe]);
  });

  it('90° about Z turns a +Y bone into −X', () => {
    const b = parseBvh(
      chain('Xrotation Yrotation Zrotation', 'Xrotation Yrotation Zrotation', '0 0 0 0 0 90 0 0 0'),
      't.bvh',
    );
    const fk = forwardKinematics(b, { scale: 0.01 });
    expectClose(fk.positions.subarray(3, 6), [0.01 - 0.1, 0.02, 0.03]);
    // End Site: B's frame is also rotated 90° about Z: +X → +Y.
    expectClose(fk.positions.subarray(6, 9), [0.01 - 0.1, 0.02 + 0.05, 0.03]);
  });

  it("position channels: 'add', 'replace' and the translated filter", () => {
    const text = chain(
      'Xrotation Yrotation Zrotation',
      'Xrotation Yrotation Zrotation',
      '10 20 30 0 0 0 0 0 0',
    );
    const b = parseBvh(text, 't.bvh');
    expectClose(forwardKinematics(b).positions.subarray(0, 3), [11, 22, 33]);
    expectClose(
      forwardKinematics(b, { positionChannels: 'replace' }).positions.subarray(0, 3),
      [10, 20, 30],
    );
    const fixed = forwardKinematics(b, { translated: () => false });
    expectClose(fixed.positions.subarray(0, 3), [1, 2, 3]);
  });

  it('only= computes the requested joints and their ancestors', () => {
    const b = parseBvh(
      chain('Xrotation Yrotation Zrotation', 'Xrotation Yrotation Zrotation', '0 0 0 0 0 0 0 0 0'),
      't.bvh',
    );
    const fk = forwardKinematics(b, { only: [1] });
    expectClose(fk.positions, [1, 2, 3, 1, 12, 3, 0, 0, 0]);
  });

  it('restPositions sums OFFSETs with all rotations zero', () => {
    const b = parseBvh(
      chain(
        'Xrotation Yrotation Zrotation',
        'Xrotation Yrotation Zrotation',
        '5 5 5 10 20 30 40 50 60',
      ),
      't.bvh',
    );
    expectClose(restPositions(b, { scale: 2 }), [2, 4, 6, 2, 24, 6, 12, 24, 6]);
  });
});
