import { meanJointDistance, PoseTracker } from '@metrabs/runtime';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { parseProbe } from '../src/video/ffmpeg.js';

const pose = (x: number, z = 3000) => [
  [x, 0, z],
  [x + 100, 500, z],
];
const pose2d = (u: number) => [
  [u, 10],
  [u + 5, 40],
];

describe('tracking and smoothing', () => {
  it('keeps ids for people that move a little, new ids for new people', () => {
    const t = new PoseTracker();
    expect(t.update([pose(0), pose(2000)], [pose2d(0), pose2d(100)]).trackIds).toEqual([0, 1]);
    // Order swapped and moved by 100 mm: ids follow the people.
    expect(t.update([pose(2100), pose(100)], [pose2d(105), pose2d(5)]).trackIds).toEqual([1, 0]);
    // Someone far from both tracks is new.
    expect(t.update([pose(100), pose(-5000)], [pose2d(5), pose2d(0)]).trackIds).toEqual([0, 2]);
  });

  it('ends tracks unseen for too long', () => {
    const t = new PoseTracker({ maxMissed: 1 });
    t.update([pose(0)], [pose2d(0)]);
    t.update([], []);
    t.update([], []);
    expect(t.update([pose(0)], [pose2d(0)]).trackIds).toEqual([1]);
  });

  it('smooths exponentially: alpha·new + (1 − alpha)·old, 2D too', () => {
    const t = new PoseTracker({ alpha: 0.25 });
    t.update([pose(0)], [pose2d(0)]);
    const out = t.update([pose(400)], [pose2d(40)]);
    expect(out.poses3d[0]![0]![0]).toBeCloseTo(100);
    expect(out.poses2d[0]![0]![0]).toBeCloseTo(10);
    const out2 = t.update([pose(400)], [pose2d(40)]);
    expect(out2.poses3d[0]![0]![0]).toBeCloseTo(175);
  });

  it('does not smooth with alpha 1 and rejects bad alphas', () => {
    const t = new PoseTracker({ alpha: 1 });
    t.update([pose(0)], [pose2d(0)]);
    expect(t.update([pose(400)], [pose2d(40)]).poses3d[0]![0]![0]).toBe(400);
    expect(() => new PoseTracker({ alpha: 0 })).toThrow(RangeError);
    expect(meanJointDistance([], [])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('ffmpeg probe output', () => {
  const avi = `Input #0, avi, from 'v.avi':
  Duration: 00:01:19.50, start: 0.000000, bitrate: 818 kb/s
    Stream #0:0: Video: msmpeg4v3 (div3 / 0x33766964), yuv420p, 768x576, 816 kb/s, 10 fps, 10 tbr, 10 tbn, 10 tbc
At least one output file must be specified`;

  it('reads size, rate, codec and duration', () => {
    expect(parseProbe(avi, 'v.avi')).toEqual({
      width: 768,
      height: 576,
      fps: 10,
      codec: 'msmpeg4v3',
      durationS: 79.5,
      frameCount: 795,
    });
  });

  it('swaps the size of rotated phone videos', () => {
    const mov = `  Duration: 00:00:02.00, start: 0.000000, bitrate: 1 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080, 17000 kb/s, 29.97 fps, 29.97 tbr, 90k tbn, 59.94 tbc (default)
    Metadata:
      rotate          : 90`;
    expect(parseProbe(mov, 'p.mov')).toMatchObject({
      width: 1080,
      height: 1920,
      fps: 29.97,
      frameCount: 60,
    });
  });

  it('reports files without video as input errors', () => {
    expect(() => parseProbe('x.mp4: Invalid data found when processing input\n', 'x.mp4')).toThrow(
      InputError,
    );
    expect(() => parseProbe('    Stream #0:0: Audio: mp3, 44100 Hz\n', 'a.mp3')).toThrow(
      /no video stream/,
    );
  });
});
