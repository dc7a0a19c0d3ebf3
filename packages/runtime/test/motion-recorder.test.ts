import { describe, expect, it } from 'vitest';
import { MIN_EXPORT_FRAMES, TrackRecorder } from '../src/motion-recorder.js';

const pose = (x: number): number[][] => [
  [x, 0, 3000],
  [x, 500, 3000],
];
const info = {
  frameTimeS: 0.04,
  jointNames: ['pelv', 'neck'],
  edges: [[0, 1]] as [number, number][],
  world: false,
};

describe('TrackRecorder', () => {
  it('fills frames a track was unseen in by linear interpolation', () => {
    const r = new TrackRecorder();
    r.add(0, [7], [pose(0)]);
    r.add(3, [7], [pose(300)]);
    r.add(4, [7], [pose(310)]);
    expect(r.frames(7).map((p) => p[0]![0])).toEqual([0, 100, 200, 300, 310]);
    expect(r.frames(7)[1]![1]).toEqual([100, 500, 3000]);
    expect(r.frames(8)).toEqual([]);
  });

  it('exports only tracks seen in enough frames, ascending', () => {
    const r = new TrackRecorder();
    for (let f = 0; f < MIN_EXPORT_FRAMES; f++) r.add(f, [5, 2], [pose(f), pose(-f)]);
    r.add(20, [9], [pose(1)]);
    expect(r.exportable()).toEqual([2, 5]);
    expect(r.exportable(1)).toEqual([2, 5, 9]);
    r.clear();
    expect(r.exportable(1)).toEqual([]);
  });

  it('gives the writers an evenly spaced motion, y up for camera coordinates', () => {
    const r = new TrackRecorder();
    r.add(0, [1], [pose(0)]);
    r.add(2, [1], [pose(20)]);
    const motion = r.motion(1, { ...info, skeleton: 'smpl_24' })!;
    expect(motion.frames).toHaveLength(3);
    expect(motion.axes).toBe('y-up');
    expect(motion.skeleton).toBe('smpl_24');
    expect(r.motion(1, { ...info, world: true })!.axes).toBe('as-is');
    r.add(0, [3], [pose(0)]);
    expect(r.motion(3, info)).toBeUndefined(); // one frame is no motion
  });

  it('maps every recorded pose (camera → world) and refuses ids that do not fit the poses', () => {
    const r = new TrackRecorder();
    r.add(0, [1], [pose(10)]);
    r.map((p) => p.map(([x, y, z]) => [x!, -y!, z!]));
    expect(r.frames(1)[0]![1]).toEqual([10, -500, 3000]);
    expect(() => r.add(1, [1, 2], [pose(0)])).toThrow(/2 track ids for 1 poses/);
  });
});
