import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../../test-support/shared-data.js';
import { SynthError } from '../../src/errors.js';
import { listMotionClips, parseBvh } from '../../src/motion/index.js';

/** A two-joint BVH; `rows` are the motion lines, `frames` the declared count. */
function bvhText(rows: string[], frames = rows.length, extra = ''): string {
  return [
    'HIERARCHY',
    'ROOT Hips',
    '{',
    '  OFFSET 0 100 0',
    '  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation',
    '  JOINT Chest',
    '  {',
    '    OFFSET 0 20 0',
    '    CHANNELS 3 Xrotation Zrotation Yrotation',
    '    End Site',
    '    {',
    '      OFFSET 0 10 0',
    '    }',
    '  }',
    `}${extra}`,
    'MOTION',
    `Frames: ${frames}`,
    'Frame Time: 0.033333',
    ...rows,
    '',
  ].join('\n');
}

const ROW = '1 2 3 10 20 30 40 50 60';

/** Asserts that parsing throws bad-asset naming `file` and `line`. */
function expectBad(text: string, line: number, pattern: RegExp, file = 'clip.bvh'): void {
  let error: unknown;
  try {
    parseBvh(text, file);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SynthError);
  expect((error as SynthError).code).toBe('bad-asset');
  expect((error as SynthError).message).toContain(`${file}:${line}:`);
  expect((error as SynthError).message).toMatch(pattern);
}

describe('parseBvh on well-formed text', () => {
  it('reads joints, offsets, channel order, End Sites and motion', () => {
    const b = parseBvh(bvhText([ROW, '4 5 6 -1 -2 -3 -4 -5 -6']), 'a.bvh');
    expect(b.joints.map((j) => j.name)).toEqual(['Hips', 'Chest', 'Chest/End Site']);
    expect(b.joints.map((j) => j.parent)).toEqual([-1, 0, 1]);
    expect(b.joints[0]!.channels).toEqual([
      'Xposition',
      'Yposition',
      'Zposition',
      'Yrotation',
      'Xrotation',
      'Zrotation',
    ]);
    expect(b.joints[1]!.channels).toEqual(['Xrotation', 'Zrotation', 'Yrotation']);
    expect(b.joints[1]!.channelStart).toBe(6);
    expect(b.joints[2]!.endSite).toBe(true);
    expect(b.joints[2]!.offset).toEqual([0, 10, 0]);
    expect(b.numChannels).toBe(9);
    expect(b.numFrames).toBe(2);
    expect(b.frameTime).toBeCloseTo(0.033333, 9);
    expect([...b.motion]).toEqual([
      1, 2, 3, 10, 20, 30, 40, 50, 60, 4, 5, 6, -1, -2, -3, -4, -5, -6,
    ]);
    expect(b.warnings).toEqual([]);
  });

  it('accepts CRLF line ends, tabs, blank lines and exponents', () => {
    const text = bvhText(['1\t2 3 1e1 2E+1 30 4.0e1 50 6e1', '', ROW]).replace(/\n/g, '\r\n');
    const b = parseBvh(text, 'crlf.bvh');
    expect(b.numFrames).toBe(2);
    expect([...b.motion.subarray(0, 9)]).toEqual([1, 2, 3, 10, 20, 30, 40, 50, 60]);
  });

  it('keeps the complete rows of a truncated file and says so in warnings', () => {
    // Declares 4 frames; the third row is cut off mid-line (end of file).
    const b = parseBvh(bvhText([ROW, ROW, '1 2 3 10'], 4), 'cut.bvh');
    expect(b.numFrames).toBe(2);
    expect(b.declaredFrames).toBe(4);
    expect(b.motion.length).toBe(18);
    expect(b.warnings.join('\n')).toMatch(/cut\.bvh:21: last row is incomplete/);
    expect(b.warnings.join('\n')).toMatch(/truncated: 'Frames: 4' but only 2 complete rows/);
    const whole = parseBvh(bvhText([ROW], 3), 'short.bvh');
    expect(whole.numFrames).toBe(1);
    expect(whole.warnings).toHaveLength(1);
  });

  it('maxFrames reads only the first rows', () => {
    const b = parseBvh(bvhText([ROW, ROW, ROW]), 'a.bvh', { maxFrames: 1 });
    expect(b.numFrames).toBe(1);
    expect(b.declaredFrames).toBe(3);
    expect(b.warnings).toEqual([]);
  });
});

describe('parseBvh rejects malformed text with file and line', () => {
  it('empty file', () => {
    expectBad('', 1, /empty file/);
    expectBad('  \n\n', 1, /empty file/);
  });
  it('missing HIERARCHY', () => {
    expectBad('MOTION\nFrames: 1\nFrame Time: 0.1\n1\n', 1, /missing HIERARCHY/);
    expectBad(bvhText([ROW]).replace('HIERARCHY', 'HIERARCHIE'), 1, /expected HIERARCHY/);
  });
  it('missing MOTION', () => {
    const text = bvhText([ROW]).replace('MOTION\nFrames: 1\nFrame Time: 0.033333\n', '');
    expectBad(text, 16, /missing MOTION/);
    const cut = bvhText([ROW]).split('MOTION')[0]!;
    expectBad(cut, 15, /missing MOTION/);
  });
  it('unbalanced braces', () => {
    expectBad(bvhText([ROW], 1, '\n}'), 16, /unbalanced braces/);
    const unclosed = bvhText([ROW]).replace('  }\n}\nMOTION', '  }\nMOTION');
    expectBad(unclosed, 15, /unexpected MOTION .*unbalanced braces/);
  });
  it('a row whose value count does not match CHANNELS', () => {
    expectBad(bvhText([ROW, '1 2 3', ROW]), 20, /frame 1 has 3 values but .* declare 9/);
    expectBad(bvhText([`${ROW} 7`]), 19, /more than the 9 values/);
  });
  it('non-numeric values', () => {
    expectBad(bvhText([ROW, '1 2 3 10 nan 30 40 50 60']), 20, /frame 1: 'nan' is not a number/);
    expectBad(bvhText([ROW]).replace('OFFSET 0 20 0', 'OFFSET 0 2x0 0'), 8, /OFFSET: '2x0'/);
    expectBad(bvhText([ROW]).replace('Frame Time: 0.033333', 'Frame Time: fast'), 18, /Frame Time/);
  });
  it('zero frames', () => {
    expectBad(bvhText([], 0), 17, /zero frames/);
    expectBad(bvhText([], 5), 18, /zero frames/);
  });
  it('more rows than Frames: declares', () => {
    expectBad(bvhText([ROW, ROW, ROW], 2), 21, /more motion rows than 'Frames: 2'/);
  });
  it('unknown channels and bad channel counts', () => {
    expectBad(
      bvhText([ROW]).replace('CHANNELS 3 Xrotation', 'CHANNELS 3 Wrotation'),
      9,
      /'Wrotation'/,
    );
    expectBad(bvhText([ROW]).replace('CHANNELS 3', 'CHANNELS 7'), 9, /CHANNELS count 7/);
  });
});

const headerData = sharedData(
  ['mocap/cmu/iclone_bvh/005/005_01.bvh', 'mocap/bandai/dataset-1/data'],
  'motion/bvh',
);

describe.skipIf(headerData.skip)('parseBvh on the shared mocap files', () => {
  it('parses every header of both rigs', () => {
    const entries = listMotionClips(headerData.path('.'));
    expect(entries.length).toBe(305);
    const shapes = new Map<string, number>();
    for (const e of entries) {
      const b = parseBvh(readFileSync(e.path, 'utf8'), e.id, { maxFrames: 1 });
      const bodyJoints = b.joints.filter((j) => !j.endSite).length;
      const key = `${e.source}:${bodyJoints}:${b.numChannels}:${Math.round(1 / b.frameTime)}`;
      shapes.set(key, (shapes.get(key) ?? 0) + 1);
      expect(b.warnings).toEqual([]);
    }
    // SOURCES.md: 57 CC files rooted at CC_Base_Hip (100 joints, 303 channels), 4 with an
    // extra RL_BoneRoot (101, 306); all Bandai files have 22 joints × 6 channels.
    expect(Object.fromEntries(shapes)).toEqual({
      'cmu:100:303:60': 57,
      'cmu:101:306:60': 4,
      'bandai:22:132:30': 244,
    });
  });

  it('parses full motion of a few clips', () => {
    for (const file of [
      'mocap/cmu/iclone_bvh/005/005_01.bvh',
      'mocap/bandai/dataset-1/data/dataset-1_walk_active_001.bvh',
    ]) {
      const b = parseBvh(readFileSync(headerData.path(file), 'utf8'), file);
      expect(b.numFrames).toBe(b.declaredFrames);
      expect(b.motion.length).toBe(b.numFrames * b.numChannels);
      expect(b.warnings).toEqual([]);
    }
    const cmu = parseBvh(
      readFileSync(headerData.path('mocap/cmu/iclone_bvh/005/005_01.bvh'), 'utf8'),
      '005_01',
    );
    expect(cmu.numFrames).toBe(299);
    // First values of the first row as written in the file.
    expect(cmu.motion[0]).toBeCloseTo(0.044871, 9);
    expect(cmu.motion[1]).toBeCloseTo(-1.936058, 9);
  });
});
