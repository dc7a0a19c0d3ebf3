/**
 * End-to-end checks of the rendered labels: joints land on the rendered person, left is left,
 * the same seed gives the same labels, bone lengths stay constant along a clip, a dataset
 * resumes after an interruption and round-trips through the trainer's Python reader.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glAvailable } from '../../../test-support/gl-available.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { buildPerson, catalogFor, randomPersonParams } from '../src/body/index.js';
import { decodeMask } from '../src/dataset/rle.js';
import {
  DEFAULT_GENERATOR_OPTIONS,
  ExampleGenerator,
  type GeneratedExample,
} from '../src/generate-node.js';
import { splitAssignment } from '../src/inventory-node.js';
import { CANONICAL, canonicalJoints, compileJointMap } from '../src/joints.js';
import { listMotionClips, loadClip } from '../src/motion/catalog-node.js';
import { createRng } from '../src/random.js';
import { poseRig, prepareRetargeting, segmentDirectionErrors } from '../src/retarget.js';
import { runSynth } from '../src/run-node.js';
import { runPython, trainerPython } from './dataset/helpers.js';

const data = sharedData(
  ['body/makehuman/3dobjs/base.obj', 'mocap/bandai', 'backgrounds'],
  'synth-labels.test',
);
const gl = glAvailable('synth-labels.test');
const ROOT = data.path('');
const names = CANONICAL.jointNames;
const idx = (n: string) => names.indexOf(n);

describe.skipIf(data.skip || gl.skip)('rendered labels', () => {
  let generator: ExampleGenerator;
  const examples: GeneratedExample[] = [];
  beforeAll(async () => {
    generator = await ExampleGenerator.create({
      ...DEFAULT_GENERATOR_OPTIONS,
      width: 256,
      height: 256,
      assetRoot: ROOT,
      split: 'train',
      assignment: splitAssignment(ROOT),
      identitiesPerShard: 4,
    });
    for (let i = 0; i < 10; i++) examples.push(await generator.generate(7, 0, i, `k${i}`));
  }, 120_000);
  afterAll(() => generator?.dispose());

  it('renders people and labels every joint of each', () => {
    const people = examples.flatMap((e) => e.labels.people);
    expect(people.length).toBeGreaterThanOrEqual(8);
    for (const p of people) {
      expect(p.joints3d).toHaveLength(names.length);
      expect(p.joint_valid.every((v) => v === 1)).toBe(true);
      for (const [x, y, z] of p.joints3d!) {
        expect(Number.isFinite(x + y + z)).toBe(true);
        expect(z).toBeGreaterThan(100); // in front of the camera (mm)
      }
    }
  });

  it('puts visible joints on the rendered person (its mask)', () => {
    let checked = 0;
    let onMask = 0;
    for (const ex of examples) {
      for (const p of ex.labels.people) {
        const mask = decodeMask(p.mask!);
        const [h, w] = p.mask!.size;
        p.joints2d.forEach(([u, v], j) => {
          if (p.in_image![j] !== 1 || p.occluded![j] === 1) return;
          checked++;
          // Within 2 px of the person's visible pixels (surface landmarks sit on the outline).
          let hit = false;
          for (let dy = -2; dy <= 2 && !hit; dy++) {
            for (let dx = -2; dx <= 2 && !hit; dx++) {
              const x = Math.round(u) + dx;
              const y = Math.round(v) + dy;
              if (x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x]) hit = true;
            }
          }
          if (hit) onMask++;
        });
      }
    }
    expect(checked).toBeGreaterThan(80);
    expect(onMask / checked).toBeGreaterThan(0.97);
  });

  it("keeps the performer's left on the left (also for mirrored motion)", () => {
    let ok = 0;
    let n = 0;
    for (const ex of examples) {
      for (const p of ex.labels.people) {
        const J = p.joints3d!;
        const sub = (a: number, b: number) => [0, 1, 2].map((k) => J[a]![k]! - J[b]![k]!);
        const side = sub(idx('lhip'), idx('rhip'));
        const up = sub(idx('neck'), idx('pelv')); // camera y points down, so this is "up" in 3D
        // Forward: where the face and the feet point (each normalised), robust to a turned head.
        const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
        const cues = [
          sub(idx('nose'), idx('head')),
          sub(idx('ltoe'), idx('lank')),
          sub(idx('rtoe'), idx('rank')),
        ];
        const fwd = [0, 1, 2].map((k) => cues.reduce((acc, v) => acc + unit(v)[k]!, 0));
        const c = [
          side[1]! * up[2]! - side[2]! * up[1]!,
          side[2]! * up[0]! - side[0]! * up[2]!,
          side[0]! * up[1]! - side[1]! * up[0]!,
        ];
        n++;
        // Right-handed frames: (left × up) · forward > 0 for an un-mirrored human.
        if (c[0]! * fwd[0]! + c[1]! * fwd[1]! + c[2]! * fwd[2]! > 0) ok++;
      }
    }
    // A mirroring bug flips everyone (→ ~0%); odd poses (bows, lying) miss the cue now and then.
    expect(ok / n).toBeGreaterThan(0.8);
  });

  it('gives the same labels for the same seed and index, whatever was rendered before', async () => {
    const again = await generator.generate(7, 0, 3, 'k3');
    expect(JSON.stringify(again.labels)).toBe(JSON.stringify(examples[3]!.labels));
    const other = await generator.generate(8, 0, 3, 'k3');
    expect(JSON.stringify(other.labels)).not.toBe(JSON.stringify(examples[3]!.labels));
  });

  it('marks people cut by the border as truncated and some joints as occluded', () => {
    const people = examples.flatMap((e) => e.labels.people);
    for (const p of people) {
      if (p.in_image!.some((f) => f === 0)) expect(p.truncated).toBe(true);
    }
    const occluded = people.reduce((s, p) => s + p.occluded!.filter((f) => f === 1).length, 0);
    expect(occluded).toBeGreaterThan(0);
  });
});

describe.skipIf(data.skip)('retargeted bone lengths', () => {
  it('stay constant along a clip (rig-defined joints; spi3 links flex < 12 mm)', () => {
    const catalog = catalogFor(ROOT);
    const person = buildPerson(ROOT, randomPersonParams(createRng('bones'), catalog));
    const entry = listMotionClips(ROOT).find((c) => c.id.startsWith('bandai/'))!;
    const clip = loadClip(entry);
    const ret = prepareRetargeting(person.bones, clip);
    const map = compileJointMap(person.bones.map((b) => b.name));
    const rigEdges = CANONICAL.edges.filter(
      ([a, b]) => map.sources[a]!.kind === 'rig' && map.sources[b]!.kind === 'rig',
    );
    const lengths: number[][] = rigEdges.map(() => []);
    for (let f = 0; f < clip.numFrames; f += 7) {
      const posed = poseRig(person.bones, ret, clip, f);
      const j = canonicalJoints(map, posed.heads, () => [0, 0, 0]);
      rigEdges.forEach(([a, b], e) => {
        lengths[e]!.push(
          Math.hypot(
            j[a * 3]! - j[b * 3]!,
            j[a * 3 + 1]! - j[b * 3 + 1]!,
            j[a * 3 + 2]! - j[b * 3 + 2]!,
          ),
        );
      });
    }
    const ranges = Object.fromEntries(
      rigEdges.map(([a, b], e) => [
        `${names[a]}-${names[b]}`,
        Math.max(...lengths[e]!) - Math.min(...lengths[e]!),
      ]),
    );
    // Exact for rigid links; spi3 blends the two upper spine segments, so its links flex a bit
    // as the spine bends (like a real thoracic spine).
    for (const [edge, range] of Object.entries(ranges)) {
      expect(range, edge).toBeLessThan(edge.includes('spi3') ? 0.012 : 1e-9);
    }
  });
});

describe.skipIf(data.skip || gl.skip)('metrabs synth datasets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrabs-synth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resume after an interruption without duplicating, and read back in Python', async () => {
    const options = {
      outDir: dir,
      count: 6,
      split: 'validation' as const,
      seed: 3,
      width: 128,
      height: 128,
      examplesPerShard: 2,
      assetRoot: ROOT,
    };
    // A leftover of a crashed run must be cleaned, not listed.
    await runSynth({ ...options, count: 2 });
    writeFileSync(join(dir, 'validation', 'shard-000001.tar.partial'), 'half a shard');
    const r = await runSynth(options);
    expect(r.skipped).toBe(2);
    expect(r.rendered).toBe(4);
    expect(r.cleaned.some((f) => f.endsWith('.partial'))).toBe(true);
    expect(readdirSync(join(dir, 'validation')).sort()).toEqual([
      'shard-000000.tar',
      'shard-000001.tar',
      'shard-000002.tar',
    ]);
    const again = await runSynth(options);
    expect(again.rendered).toBe(0);

    const py = trainerPython();
    if (!py.python) {
      if (process.env['CI'] === 'true') throw new Error(py.reason);
      console.warn(`[synth-labels.test] skipping the Python round trip: ${py.reason}`);
      return;
    }
    const read = runPython(
      py.python,
      [
        'import json, sys',
        'from metrabs_train.dataset import open_dataset',
        'ds = open_dataset(sys.argv[1], verify_sha256=True)',
        's = ds.split("validation")',
        'print(json.dumps({"people": len(s), "skipped": str(ds.skipped), "joints": ds.skeleton["joint_names"]}))',
      ].join('\n'),
      [dir],
      { PYTHONPATH: join(__dirname, '../../../training') },
    ) as { people: number; skipped: string; joints: string[] };
    expect(read.joints).toEqual([...names]);
    expect(read.skipped).toMatch(/no records skipped/);
    expect(read.people).toBeGreaterThan(0);
  }, 120_000);
});

describe.skipIf(data.skip)('retargeting fidelity', () => {
  it('reproduces the source bone directions (trunk, thigh, upper arm, shin)', () => {
    const catalog = catalogFor(ROOT);
    const person = buildPerson(ROOT, randomPersonParams(createRng('fidelity'), catalog));
    const clips = listMotionClips(ROOT);
    const picks = [0, 7, 40, 90, 150, 220, clips.length - 1].map((i) => clips[i]!);
    let sum = 0;
    let n = 0;
    let worst = 0;
    for (const entry of picks) {
      const clip = loadClip(entry);
      const ret = prepareRetargeting(person.bones, clip);
      for (let f = 0; f < clip.numFrames; f += 25) {
        for (const deg of segmentDirectionErrors(person.bones, ret, clip, f)) {
          sum += deg;
          n++;
          worst = Math.max(worst, deg);
        }
      }
    }
    // Limbs match to numerical precision; the trunk differs by the rigs' spine shapes.
    expect(sum / n).toBeLessThan(2);
    expect(worst).toBeLessThan(20);
  });
});
