/**
 * Pose galleries lifted from real photos (training/metrabs_train/lift_lspet.py): the fixture
 * is written by training/tests/test_poselift.py, which also checks that it is current, so the
 * Python writer and this reader are tested against the same numbers.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../../test-support/shared-data.js';
import { SynthError } from '../../src/errors.js';
import { assetInventory } from '../../src/inventory-node.js';
import {
  isPoseGallery,
  listPoseGalleries,
  loadClip,
  MOTION_JOINTS,
  mirrorClip,
  sampleFrames,
  segmentRelationError,
} from '../../src/motion/index.js';

const FIXTURE = new URL('../fixtures/lifted-gallery', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(`${FIXTURE}.json`, 'utf8')) as {
  points: string[];
  frames: number[][][];
};

function posesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'metrabs-poses-'));
  mkdirSync(join(dir, 'lspet'));
  copyFileSync(`${FIXTURE}.bvh`, join(dir, 'lspet', 'lspet_000.bvh'));
  return dir;
}

describe('pose galleries', () => {
  it('are listed with their source, licence and rig', () => {
    const [entry, ...rest] = listPoseGalleries(posesDir());
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({
      id: 'lspet/lspet_000',
      source: 'lspet',
      rig: 'lifted',
      license: 'derived from LSP Extended labels: research use only',
    });
  });

  it('load into clips whose joints are where the lifter put them', () => {
    const clip = loadClip(listPoseGalleries(posesDir())[0]!);
    expect(clip.numFrames).toBe(3);
    expect(isPoseGallery(clip)).toBe(true);
    const J = MOTION_JOINTS.length;
    let worst = 0;
    for (let f = 0; f < 3; f++) {
      MOTION_JOINTS.forEach((name, j) => {
        const want = expected.frames[f]![expected.points.indexOf(name)]!;
        for (let a = 0; a < 3; a++) {
          worst = Math.max(worst, Math.abs(clip.positions[(f * J + j) * 3 + a]! - want[a]!));
        }
      });
    }
    expect(worst).toBeLessThan(1e-5); // metres; the BVH keeps 4 decimals of cm
    // Every segment turns rigidly with its rotation (what retargeting relies on).
    expect(Math.max(...segmentRelationError(clip))).toBeLessThan(1e-5);
    // Independent poses: every frame is kept, and mirroring keeps the gallery rule.
    expect(sampleFrames(clip)).toEqual([0, 1, 2]);
    expect(isPoseGallery(mirrorClip(clip))).toBe(true);
  });

  it('say how to make them when the folder is missing or empty', () => {
    const empty = mkdtempSync(join(tmpdir(), 'metrabs-poses-'));
    expect(() => listPoseGalleries(empty)).toThrow(/lift_lspet/);
    mkdirSync(join(empty, 'lspet'));
    expect(() => listPoseGalleries(empty)).toThrow(SynthError);
    expect(() => listPoseGalleries(empty)).toThrow(/no \.bvh/);
  });
});

const data = sharedData(['mocap/cmu/iclone_bvh', 'mocap/bandai', 'body'], 'motion/gallery');

describe.skipIf(data.skip)('pose galleries in the split plan', () => {
  it('are split like motion clips, by gallery', () => {
    const motion = assetInventory(data.path('.'), posesDir()).filter((a) => a.kind === 'motion');
    expect(motion.filter((a) => a.id.startsWith('lspet/'))).toEqual([
      { kind: 'motion', id: 'lspet/lspet_000' },
    ]);
    expect(motion).toHaveLength(306);
  });
});
