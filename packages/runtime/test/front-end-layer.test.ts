/**
 * What every front end shares: resolved default options and their ranges, the settings record
 * and the result document (checked against docs/result.schema.json).
 */
import { describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../../../test-support/result-schema.js';
import {
  checkOption,
  POSE_DEFAULTS,
  PoseOptionsError,
  resolvePoseOptions,
  resultDocument,
  settingsRecord,
} from '../src/index.js';

const result = {
  boxes: [[10.123, 20.456, 100.789, 200.111, 0.91234]],
  poses3d: [
    [
      [100.04, 200.06, 2000],
      [200, 200, 2000.05],
    ],
  ],
  poses2d: [
    [
      [1.23456, 2.34567],
      [3, 4],
    ],
  ],
  jointNames: ['a', 'b'],
  edges: [[0, 1]] as [number, number][],
  skeleton: 'test',
  intrinsicMatrix: [
    [500.123456, 0, 320],
    [0, 500.123456, 240],
    [0, 0, 1],
  ],
};
const model = { dir: '/m', backbone: 'b', skeleton: 's', numJoints: 2, cropSide: 256 };

describe('resolvePoseOptions', () => {
  it('fills in the defaults the pipeline uses', () => {
    const r = resolvePoseOptions({});
    expect(r.numAug).toBe(5);
    expect(r.defaultFovDegrees).toBe(55);
    expect(r.detectorThreshold).toBe(0.3);
    expect(r).toEqual({ ...POSE_DEFAULTS });
    expect(resolvePoseOptions({ numAug: 1, defaultFovDegrees: 70 })).toMatchObject({
      numAug: 1,
      defaultFovDegrees: 70,
      detectorThreshold: 0.3,
    });
  });

  it.each([
    ['numAug', 0],
    ['numAug', 1.5],
    ['numAug', 101],
    ['defaultFovDegrees', 0],
    ['defaultFovDegrees', 180],
    ['detectorThreshold', 1.01],
    ['antialiasFactor', 9],
    ['maxDetections', 0],
  ] as const)('rejects %s = %d with a PoseOptionsError naming the option', (option, value) => {
    expect(() => resolvePoseOptions({ [option]: value })).toThrow(PoseOptionsError);
    expect(() => checkOption(option, value)).toThrow(new RegExp(`^${option}: expected`));
  });

  it('allows maxDetections = -1 (no limit) and rejects wrong types', () => {
    expect(resolvePoseOptions({ maxDetections: -1 }).maxDetections).toBe(-1);
    expect(() =>
      resolvePoseOptions({ suppressImplausiblePoses: 'yes' as unknown as boolean }),
    ).toThrow(/suppressImplausiblePoses: expected a boolean/);
  });
});

describe('settingsRecord', () => {
  it('records the defaults used and how the camera was given', () => {
    expect(settingsRecord(resolvePoseOptions({ numAug: 2 }))).toEqual({
      numAug: 2,
      antialiasFactor: 1,
      detectorThreshold: 0.3,
      maxDetections: -1,
      detectorFlipAug: false,
      suppressImplausiblePoses: true,
      camera: { defaultFovDegrees: 55 },
    });
    expect(settingsRecord(resolvePoseOptions(), { intrinsicsFile: '/c.json' }).camera).toEqual({
      intrinsicsFile: '/c.json',
    });
  });
});

describe('resultDocument', () => {
  it('rounds, adds distances and the format version, and matches the schema', () => {
    const doc = resultDocument(result, {
      image: 'x.png',
      imageSize: { width: 640, height: 480 },
      model,
      settings: settingsRecord(resolvePoseOptions()),
      time: 1.23456,
    });
    expect(doc.format).toBe('metrabs-result');
    expect(doc.version).toBe(2);
    expect(doc.people).toBe(1);
    expect(doc.time).toBe(1.235);
    expect(doc.boxes).toEqual([[10.12, 20.46, 100.79, 200.11, 0.9123]]);
    expect(doc.poses3d[0]).toEqual([
      [100, 200.1, 2000],
      [200, 200, 2000.1],
    ]);
    expect(doc.distancesM).toEqual([2.016]);
    expect(doc.intrinsicMatrix[0]).toEqual([500.1235, 0, 320]);
    expect(doc.frame).toBe('camera');
    expect(resultSchemaErrors(doc)).toEqual([]);
  });

  it('with extrinsics, poses are in the world frame and distances still from the camera', () => {
    // Camera 1 m behind the world origin along z: world z 1000 is camera z 2000.
    const extrinsicMatrix = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 1000],
      [0, 0, 0, 1],
    ];
    const world = { ...result, poses3d: [[[0, 0, 1000]]], poses2d: [[[320, 240]]] };
    const doc = resultDocument(world, {
      image: 'x.png',
      imageSize: { width: 640, height: 480 },
      model,
      extrinsicMatrix,
    });
    expect(doc.frame).toBe('world');
    expect(doc.distancesM).toEqual([2]);
    expect(resultSchemaErrors(doc)).toEqual([]);
  });

  it('carries the track id of each person of a tracked frame, one per person', () => {
    const context = { image: 'clip.mp4', imageSize: { width: 640, height: 480 }, model, time: 2 };
    const doc = resultDocument(result, { ...context, trackIds: [4] });
    expect(doc.trackIds).toEqual([4]);
    expect(resultSchemaErrors(doc)).toEqual([]);
    expect(resultSchemaErrors({ ...doc, trackIds: [-1] }).join()).toMatch(/trackIds/);
    expect(() => resultDocument(result, { ...context, trackIds: [4, 5] })).toThrow(
      /2 track ids for 1 people/,
    );
  });

  it('the schema rejects documents with missing, extra or mistyped fields', () => {
    const doc = resultDocument(result, {
      image: 'x.png',
      imageSize: { width: 640, height: 480 },
      model,
    });
    const { people: _people, ...missing } = doc;
    expect(resultSchemaErrors(missing).join()).toMatch(/people/);
    expect(resultSchemaErrors({ ...doc, extra: 1 }).join()).toMatch(/additional/);
    expect(resultSchemaErrors({ ...doc, poses3d: [[[1, 2]]] }).join()).toMatch(/poses3d/);
    expect(resultSchemaErrors({ ...doc, version: 1 }).join()).toMatch(/version/);
  });
});
