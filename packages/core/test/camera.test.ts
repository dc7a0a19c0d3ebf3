import { describe, expect, it } from 'vitest';
import { Camera, intrinsicsFromFov, lookAtRotation } from '../src/camera.js';
import { GeometryError } from '../src/errors.js';
import { apply3, det3, multiply3, transpose3 } from '../src/mat3.js';
import { expectClose, expectGeometryError } from './assertions.js';
import { makeRng, randomRotation } from './random.js';

const rng = makeRng(7);

describe('Camera construction', () => {
  it('builds K from a field of view along the larger side, principal point at the centre', () => {
    const K = intrinsicsFromFov(55, 640, 480);
    const f = 640 / (2 * Math.tan((27.5 * Math.PI) / 180));
    expectClose(K, [f, 0, 320, 0, f, 240, 0, 0, 1], 1e-9);
    // Portrait: the larger side is the height.
    expect(intrinsicsFromFov(90, 480, 640)[0]).toBeCloseTo(320, 9);
  });

  it('a point on the border of a 90° field of view projects to the image edge', () => {
    const cam = Camera.fromFov(90, 1000, 600);
    const [px] = cam.cameraToImage([[1000, 0, 1000]]);
    expect(px![0]).toBeCloseTo(1000, 9);
    expect(px![1]).toBeCloseTo(300, 9);
  });

  it('reads extrinsics as [R | -R c] and round-trips them', () => {
    const R = randomRotation(rng);
    const c = [1200, -300, 4500];
    const t = Array.from(apply3(R, c[0]!, c[1]!, c[2]!), (v) => -v);
    const E = [
      ...R.slice(0, 3),
      t[0]!,
      ...R.slice(3, 6),
      t[1]!,
      ...R.slice(6, 9),
      t[2]!,
      0,
      0,
      0,
      1,
    ];
    const cam = new Camera({
      intrinsicMatrix: intrinsicsFromFov(60, 800, 600),
      extrinsicMatrix: E,
    });
    expectClose(cam.opticalCenter, c, 1e-9);
    expectClose(cam.extrinsicMatrix(), E, 1e-9);
    // The optical centre maps to the camera origin.
    expectClose(cam.worldToCamera([c])[0]!, [0, 0, 0], 1e-9);
  });

  it('rejects bad matrices with clear errors', () => {
    expectGeometryError(
      () => new Camera({ intrinsicMatrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0] }),
      'shape',
    );
    expectGeometryError(
      () => new Camera({ intrinsicMatrix: [500, 0, NaN, 0, 500, 0, 0, 0, 1] }),
      'non-finite',
    );
    expectGeometryError(
      () => new Camera({ intrinsicMatrix: [0, 0, 320, 0, 0, 240, 0, 0, 1] }),
      'singular',
    );
    expectGeometryError(
      () => new Camera({ intrinsicMatrix: [500, 0, 0, 0, 500, 0, 0, 1, 1] }),
      'invalid-option',
    );
    expectGeometryError(
      () =>
        new Camera({
          intrinsicMatrix: intrinsicsFromFov(60, 9, 9),
          distortionCoeffs: new Array(13).fill(0),
        }),
      'shape',
    );
    expectGeometryError(
      () => new Camera({ intrinsicMatrix: intrinsicsFromFov(60, 9, 9), worldUp: [0, 0, 0] }),
      'degenerate',
    );
    expectGeometryError(
      () =>
        new Camera({
          intrinsicMatrix: intrinsicsFromFov(60, 9, 9),
          extrinsicMatrix: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1],
        }),
      'invalid-option',
    );
    expectGeometryError(() => intrinsicsFromFov(0, 640, 480), 'invalid-option');
    expectGeometryError(() => intrinsicsFromFov(55, 0, 480), 'degenerate');
    expectGeometryError(() => Camera.fromFov(55, 640, 480).zoom(0), 'invalid-option');
  });
});

describe('Camera transforms', () => {
  const cam = new Camera({
    intrinsicMatrix: [
      [900, 2, 650],
      [0, 880, 350],
      [0, 0, 1],
    ],
    distortionCoeffs: [-0.2, 0.05, 0.001, -0.002, 0.01],
    rotation: randomRotation(rng),
    opticalCenter: [100, -1500, 300],
  });

  it('world → image → world round trip at the true depth (with distortion)', () => {
    const world = Array.from({ length: 20 }, () => {
      const p = [rng.uniform(-800, 800), rng.uniform(-600, 600), rng.uniform(1500, 6000)];
      return cam.cameraToWorld([p])[0]!;
    });
    const depths = cam.worldToCamera(world).map((p) => p[2]!);
    const back = cam.imageToWorld(cam.worldToImage(world), depths);
    for (let i = 0; i < world.length; i++) expectClose(back[i]!, world[i]!, 1e-6);
  });

  it('flat typed arrays give the same results as nested arrays', () => {
    const nested = [
      [10, 20, 3000],
      [-400, 300, 2500],
    ];
    const flat = cam.cameraToImage(Float64Array.from(nested.flat()));
    expect(flat).toBeInstanceOf(Float64Array);
    expectClose(flat, cam.cameraToImage(nested).flat(), 1e-12);
  });

  it('turnTowards puts the target on the optical axis and keeps the image upright', () => {
    const target = [1500, 200];
    const turned = cam.turnTowards({ imagePoint: target });
    const p = cam.imageToWorld([target], 3000)[0]!;
    const inTurned = turned.worldToCamera([p])[0]!;
    expect(Math.abs(inTurned[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(inTurned[1]!)).toBeLessThan(1e-6);
    expect(inTurned[2]).toBeGreaterThan(0);
    // Upright: the world-up direction has no component along the new x axis, and points to -y.
    const up = turned.cameraSpaceUp();
    expect(Math.abs(up[0]!)).toBeLessThan(1e-12);
    expect(up[1]).toBeLessThan(0);
    expect(det3(turned.rotation)).toBeCloseTo(1, 12);
  });

  it('lookAtRotation handles forward parallel to up without NaN', () => {
    const R = lookAtRotation([0, -1, 0], [0, -1, 0]);
    for (const v of R) expect(Number.isFinite(v)).toBe(true);
    expectClose(multiply3(R, transpose3(R)), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12);
  });

  it('rotateInPlane turns image content counter-clockwise for a positive angle', () => {
    const base = Camera.fromFov(60, 400, 400);
    const rolled = base.rotateInPlane(Math.PI / 2);
    // A point to the right of centre appears above the centre after the roll.
    const [px] = rolled.worldToImage([[100, 0, 1000]]);
    expect(px![0]).toBeCloseTo(200, 9);
    expect(px![1]).toBeLessThan(200);
  });

  it('horizontalFlip mirrors the image left to right', () => {
    const base = Camera.fromFov(60, 400, 400);
    const p = [[150, -40, 1000]];
    const a = base.cameraToImage(p)[0]!;
    const b = base.horizontalFlip().worldToImage(p)[0]!;
    expect(a[0]! - 200).toBeCloseTo(-(b[0]! - 200), 9);
    expect(a[1]).toBeCloseTo(b[1]!, 9);
  });

  it('zoom, scaleOutput and centerPrincipalPoint edit K as documented', () => {
    const base = new Camera({ intrinsicMatrix: [500, 1, 300, 0, 510, 200, 0, 0, 1] });
    expectClose(base.zoom(2).intrinsicMatrix, [1000, 2, 300, 0, 1020, 200, 0, 0, 1], 1e-12);
    expectClose(
      base.scaleOutput(0.5).intrinsicMatrix,
      [250, 0.5, 150, 0, 255, 100, 0, 0, 1],
      1e-12,
    );
    expectClose(
      base.centerPrincipalPoint(256, 128).intrinsicMatrix,
      [500, 1, 128, 0, 510, 64, 0, 0, 1],
      1e-12,
    );
  });

  it('homographyTo maps pixels between two cameras sharing a centre', () => {
    const a = new Camera({
      intrinsicMatrix: intrinsicsFromFov(60, 640, 480),
      rotation: randomRotation(rng, 0.3),
    });
    const b = a
      .turnTowards({ imagePoint: [500, 100] })
      .rotateInPlane(0.2)
      .zoom(1.7);
    const H = a.homographyTo(b);
    const world = a.imageToWorld([[123, 456]], 2000);
    const expected = b.worldToImage(world)[0]!;
    const x = H[0]! * 123 + H[1]! * 456 + H[2]!;
    const y = H[3]! * 123 + H[4]! * 456 + H[5]!;
    const w = H[6]! * 123 + H[7]! * 456 + H[8]!;
    expectClose([x / w, y / w], expected, 1e-8);
    expect(() => cam.homographyTo(b)).toThrow(GeometryError);
  });
});
