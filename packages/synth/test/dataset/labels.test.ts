import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type ExampleLabels,
  exampleKey,
  exampleProblems,
  imageHeader,
  parseShardFileName,
  shardExampleRange,
  shardFileName,
  skeletonProblems,
  validateExample,
} from '../../src/dataset/labels.js';
import { SynthError } from '../../src/errors.js';
import { J, makeImage, makeLabels, SKELETON } from './helpers.js';

const W = 24;
const H = 16;
const good = () => makeLabels('000007', W, H, { numPeople: 2 });
const problems = (l: unknown, extra = {}) => exampleProblems(l, { numJoints: J, ...extra });

describe('validateExample', () => {
  it('accepts valid labels, including an image without people', () => {
    expect(problems(good())).toEqual([]);
    expect(problems({ ...good(), people: [] })).toEqual([]);
    expect(() => validateExample(good(), { numJoints: J })).not.toThrow();
  });

  it('rejects NaN and Infinity anywhere, also in meta', () => {
    const l = good();
    l.people[0]!.joints3d![3]![1] = Number.NaN;
    expect(problems(l).join()).toMatch(/joints3d\[3\]\[1\] is NaN/);
    const m = good();
    (m.meta as Record<string, unknown>).scale = Number.POSITIVE_INFINITY;
    expect(problems(m).join()).toMatch(/meta\.scale is Infinity/);
    const b = good();
    b.people[1]!.box[0] = Number.NaN;
    expect(problems(b)).not.toEqual([]);
    const u = good();
    (u.people[0]!.joints2d[0] as unknown[])[1] = undefined;
    expect(problems(u).join()).toMatch(/undefined/);
    const err = (() => {
      try {
        validateExample(l, { numJoints: J });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('bad-output');
    expect((err as SynthError).message).toMatch(/example 000007/);
  });

  it('rejects joint arrays of the wrong J or row length', () => {
    const l = good();
    l.people[0]!.joints2d.pop();
    expect(problems(l).join()).toMatch(/joints2d must have 30 rows, got 29/);
    const r = good();
    (r.people[0]!.joints3d as number[][])[0] = [1, 2];
    expect(problems(r).join()).toMatch(/joints3d\[0\] must be 3 finite numbers/);
    const f = good();
    f.people[0]!.joint_valid = f.people[0]!.joint_valid.slice(1);
    expect(problems(f).join()).toMatch(/joint_valid must have 30/);
    expect(problems(good(), { numJoints: 17 })).not.toEqual([]);
  });

  it('rejects zero-size and malformed boxes', () => {
    const l = good();
    l.people[0]!.box = [10, 10, 0, 20];
    expect(problems(l).join()).toMatch(/w, h > 0/);
    const n = good();
    n.people[0]!.box = [10, 10, 5, -1];
    expect(problems(n).join()).toMatch(/w, h > 0/);
    const s = good();
    (s.people[0] as { box: unknown }).box = [1, 2, 3];
    expect(problems(s).join()).toMatch(/box must be/);
  });

  it('requires a valid joint per person, 0/1 flags, 0s for invalid joints', () => {
    const l = good();
    l.people[0]!.joint_valid = l.people[0]!.joint_valid.map(() => 0);
    expect(problems(l).join()).toMatch(/at least one valid joint/);
    const z = good();
    z.people[0]!.joint_valid[2] = 0;
    expect(problems(z).join()).toMatch(/joint 2 is invalid/);
    z.people[0]!.joints2d[2] = [0, 0];
    z.people[0]!.joints3d![2] = [0, 0, 0];
    expect(problems(z)).toEqual([]);
    const f = good();
    (f.people[0]!.occluded as number[])[0] = 2;
    expect(problems(f).join()).toMatch(/occluded\[0\] must be 0 or 1/);
  });

  it('checks camera, key, file name, mask size and the image header', async () => {
    const c = good();
    c.camera.intrinsic_matrix = [
      [600, 0, 1],
      [0, 0, 1],
      [0, 0, 0],
    ];
    expect(problems(c).join()).toMatch(/invertible/);
    const d = good();
    d.camera.distortion_coeffs = new Array(13).fill(0);
    expect(problems(d).join()).toMatch(/0–12/);
    expect(problems({ ...good(), key: 'a/b' }).join()).toMatch(/key/);
    expect(problems(good(), { imageExt: 'png' }).join()).toMatch(/000007\.png/);
    const m = good();
    m.people[0]!.mask!.size = [W, H];
    expect(problems(m).join()).toMatch(/mask.size/);
    const jpg = await makeImage(W, H, 'jpg');
    expect(problems(good(), { imageExt: 'jpg', image: jpg })).toEqual([]);
    const wrong = await makeImage(W + 1, H, 'jpg');
    expect(problems(good(), { image: wrong }).join()).toMatch(/25×16 but the labels say 24×16/);
    const png = await makeImage(W, H, 'png');
    expect(problems(good(), { imageExt: 'jpg', image: png }).join()).toMatch(/is png/);
    expect(problems(good(), { image: new Uint8Array(100) }).join()).toMatch(/not a JPEG/);
  });
});

describe('imageHeader', () => {
  it('reads the size of JPEG, PNG and lossy/lossless/alpha WebP', async () => {
    for (const fmt of ['jpg', 'png', 'webp'] as const) {
      expect(imageHeader(await makeImage(37, 21, fmt))).toEqual({
        format: fmt,
        width: 37,
        height: 21,
      });
    }
    const raw = { raw: { width: 19, height: 33, channels: 4 as const } };
    const rgba = Buffer.alloc(19 * 33 * 4, 128);
    const lossless = await sharp(rgba, raw).webp({ lossless: true }).toBuffer();
    expect(imageHeader(lossless)).toEqual({ format: 'webp', width: 19, height: 33 });
    const alpha = await sharp(rgba, raw).webp({ quality: 50, alphaQuality: 50 }).toBuffer();
    expect(imageHeader(alpha)).toEqual({ format: 'webp', width: 19, height: 33 });
    const progressive = await sharp(rgba, raw).jpeg({ progressive: true }).toBuffer();
    expect(imageHeader(progressive)).toEqual({ format: 'jpg', width: 19, height: 33 });
    expect(imageHeader(new TextEncoder().encode('GIF89a....'))).toBeNull();
  });
});

describe('keys, shard names and skeletons', () => {
  it('derives keys and shard ranges from global indices', () => {
    expect(exampleKey(123)).toBe('000123');
    expect(exampleKey(1234567)).toBe('1234567');
    expect(shardFileName(7)).toBe('shard-000007.tar');
    expect(parseShardFileName('shard-000007.tar')).toBe(7);
    expect(parseShardFileName('shard-7.tar')).toBeNull();
    expect(shardExampleRange(2, 10, 25)).toEqual([20, 25]);
    expect(() => exampleKey(-1)).toThrow();
  });

  it('checks the skeleton as the reader does', () => {
    expect(skeletonProblems(SKELETON)).toEqual([]);
    expect(skeletonProblems({ ...SKELETON, mirror: SKELETON.mirror.map(() => 0) })).not.toEqual([]);
    expect(skeletonProblems({ ...SKELETON, edges: [[0, 99]] })).not.toEqual([]);
  });
});

// Type-level check: the helper's labels are ExampleLabels.
const _typed: ExampleLabels = good();
void _typed;
