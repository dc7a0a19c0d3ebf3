import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { parseProbe } from '../src/video/ffmpeg.js';

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
