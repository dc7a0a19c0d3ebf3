import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../../test-support/shared-data.js';
import { SynthError } from '../../src/errors.js';
import { listMotionClips, loadClip } from '../../src/motion/index.js';

const data = sharedData(['mocap/cmu/iclone_bvh', 'mocap/bandai'], 'motion/catalog');

describe.skipIf(data.skip)('listMotionClips on the shared assets', () => {
  it('lists every clip with a stable id, source and licence', () => {
    const entries = listMotionClips(data.path('.'));
    expect(entries).toHaveLength(305);
    expect(new Set(entries.map((e) => e.id)).size).toBe(305);
    const cmu = entries.filter((e) => e.source === 'cmu');
    const bandai = entries.filter((e) => e.source === 'bandai');
    expect(cmu).toHaveLength(61);
    expect(bandai).toHaveLength(244);
    for (const e of cmu) {
      expect(e.id).toMatch(/^cmu\/\d\d_\d\d$/);
      expect(e.license).toBe('CMU mocap terms');
      expect(e.rig).toBe('cc_base');
    }
    for (const e of bandai) {
      expect(e.id).toMatch(/^bandai\/dataset-[12]_[a-z-]+_[a-z-]+_\d{3}$/);
      expect(e.license).toBe('CC BY-NC 4.0');
      expect(e.rig).toBe('bandai');
    }
    const walk = entries.find((e) => e.id === 'cmu/01_01')!;
    expect(walk.path.endsWith('/mocap/cmu/iclone_bvh/001/001_01.bvh')).toBe(true);
    expect(walk.description).toBe('playground - forward jumps, turn around');
    const b = entries.find((e) => e.id === 'bandai/dataset-1_walk_active_001')!;
    expect(b.description).toBe('walk (active)');
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort());
  });

  it('loadClip reads a clip with the catalogue id and licence', () => {
    const e = listMotionClips(data.path('.')).find(
      (x) => x.id === 'bandai/dataset-1_walk_active_001',
    )!;
    const clip = loadClip(e);
    expect(clip.id).toBe(e.id);
    expect(clip.source).toBe('bandai');
    expect(clip.license).toBe('CC BY-NC 4.0');
    expect(clip.numFrames).toBe(146);
    expect(clip.fps).toBeCloseTo(30, 3);
  });
});

describe('listMotionClips and loadClip errors', () => {
  it('a missing mocap folder is missing-assets; a broken file is bad-asset naming it', () => {
    const root = mkdtempSync(join(tmpdir(), 'motion-cat-'));
    expect(() => listMotionClips(root)).toThrow(SynthError);
    mkdirSync(join(root, 'mocap/cmu/iclone_bvh/001'), { recursive: true });
    mkdirSync(join(root, 'mocap/bandai/dataset-1/data'), { recursive: true });
    writeFileSync(join(root, 'mocap/cmu/iclone_bvh/001/001_02.bvh'), 'HIERARCHY\nROOT A\n{\n');
    writeFileSync(join(root, 'mocap/bandai/dataset-1/data/dataset-1_walk_sad_001.bvh'), '');
    const entries = listMotionClips(root);
    expect(entries.map((e) => e.id)).toEqual(['bandai/dataset-1_walk_sad_001', 'cmu/01_02']);
    for (const e of entries) {
      let err: unknown;
      try {
        loadClip(e, { displayName: `x/${e.id}.bvh` });
      } catch (x) {
        err = x;
      }
      expect((err as SynthError).code).toBe('bad-asset');
      expect((err as SynthError).message).toMatch(new RegExp(`^x/${e.id}\\.bvh:\\d+: `));
    }
  });
});
