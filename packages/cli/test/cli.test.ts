/**
 * The `metrabs` command end to end, as a subprocess (`node bin/metrabs.js …`), with the toy
 * model `fixtures/model-tiny` (it only knows stick figures, so its poses of real people are
 * meaningless and some fail the plausibility checks: `--no-suppress-implausible` keeps them) and
 * YOLOX-Nano from ../shared/data. Without ../shared/data these tests are skipped, except in
 * CI (CI=true), where they fail.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../../../test-support/result-schema.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { SCENE_HEIGHT, SCENE_WIDTH } from '../src/render/scene3d.js';
import { expectOneLineError, type Run, runMetrabs } from './run-cli.js';

const MODEL = fileURLToPath(new URL('../../../fixtures/model-tiny', import.meta.url));
const FILES = [
  'detector/yolox_nano.onnx',
  'real/opencv/basketball1.png',
  'real/opencv/vtest.avi',
  'real/mmpose/ochuman/000817.jpg',
];
const data = sharedData(FILES, 'cli.test');
const [DETECTOR, BASKETBALL, VIDEO, WALKERS] = FILES.map((f) => data.path(f)) as [
  string,
  string,
  string,
  string,
];
const haveData = !data.skip;
const dataNote = haveData ? '' : ` — SKIPPED: ${data.problem}`;

const tmp = mkdtempSync(join(tmpdir(), 'metrabs-cli-'));
/** An empty cache dir so that no detector is found unless passed explicitly. */
const ENV = {
  ...process.env,
  XDG_CACHE_HOME: join(tmp, 'cache'),
  METRABS_DETECTOR: '',
  METRABS_DEBUG: '',
};

function metrabs(args: string[], env: NodeJS.ProcessEnv = ENV, timeoutMs?: number): Promise<Run> {
  return runMetrabs(args, { env, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** The common arguments for a run with the toy model. */
const toy = ['--model', MODEL, '--detector', DETECTOR, '--no-suppress-implausible'];

describe.concurrent('metrabs without a model (fast paths)', { timeout: 60_000 }, () => {
  it('an absurd camera file is rejected in plain words before the model loads', async () => {
    const street = fileURLToPath(new URL('../../../samples/synthetic-street.jpg', import.meta.url));
    const cam = join(tmp, 'absurd-camera.json');
    writeFileSync(
      cam,
      JSON.stringify({
        intrinsic_matrix: [
          [500, 0, 1e9],
          [0, 500, -1e9],
          [0, 0, 1],
        ],
      }),
    );
    const r = await metrabs([
      'detect',
      street,
      '--model',
      '/nonexistent/model',
      '--intrinsics',
      cam,
    ]);
    expect(r.code, r.stderr).toBe(3);
    expectOneLineError(
      r,
      /the principal point \(cx = 1000000000, cy = -1000000000\) lies far outside any image/,
    );
    expect(r.stderr).not.toMatch(/model|determinant/);
  });

  it('--out on a kernel file system (/proc/x) fails at once, before the model loads', async () => {
    const street = fileURLToPath(new URL('../../../samples/synthetic-street.jpg', import.meta.url));
    const started = Date.now();
    const r = await metrabs([
      'detect',
      street,
      '--model',
      '/nonexistent/model',
      '--out',
      '/proc/x',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expectOneLineError(
      r,
      /cannot create the output folder \/proc\/x: \/proc is a kernel file system/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    const file = join(tmp, 'out-is-a-file');
    writeFileSync(file, 'x');
    const f = await metrabs([
      'detect',
      street,
      '--model',
      '/nonexistent/model',
      '--out',
      join(file, 'sub'),
    ]);
    expect(f.code, f.stderr).toBe(3);
    expectOneLineError(f, /is a file, not a folder/);
  });

  it('--help lists the commands and the exit codes', async () => {
    const r = await metrabs(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('detect [options] <images...>');
    expect(r.stdout).toContain('video [options] <file>');
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*2\s+usage error[\s\S]*3\s+input[\s\S]*4\s+model/);
    const d = await metrabs(['detect', '--help']);
    expect(d.code).toBe(0);
    for (const option of [
      '--model',
      '--detector',
      '--skeleton',
      '--fov',
      '--intrinsics',
      '--num-aug',
      '--out',
      '--json',
      '--no-viz',
    ]) {
      expect(d.stdout).toContain(option);
    }
  });

  it('--version prints the package version', async () => {
    const r = await metrabs(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['detect', 'x.png', '--num-aug', 'zero'], /--num-aug <n>.*'zero' is invalid/],
    [['detect', 'x.png', '--fov', '200'], /--fov <degrees>.*'200' is invalid/],
    [['detect', 'x.png', '--detector-threshold', '2'], /--detector-threshold/],
    [['detect', 'x.png', '--fov', '50', '--intrinsics', 'c.json'], /cannot be used with/],
    [['detect', 'x.png', '--bogus'], /unknown option '--bogus'/],
    [['detect'], /missing required argument 'images'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['video', 'v.avi', '--smooth', '1.5'], /--smooth <alpha>/],
    [['video', 'v.avi', '--filter-cutoff', '0'], /--filter-cutoff <hz>/],
    [['video', 'v.avi', '--smooth', '0.5', '--filter-beta', '0.01'], /--smooth .*alone/],
    [['video', 'v.avi', '--no-filter', '--no-hold-bones'], /--no-filter cannot/],
    [['video', 'v.avi', '--track', '2'], /--track chooses/],
    [['video', 'v.avi', '--world', 'up'], /--world <mode>.*'up' is invalid.*auto/],
  ])('usage error %j → exit 2', async (args, pattern) => {
    const r = await metrabs(args);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r, pattern);
  });

  it('--world auto with a camera file that has extrinsics → exit 2 before the model loads', async () => {
    const video = join(tmp, 'any.avi');
    writeFileSync(video, 'not looked at');
    const cam = join(tmp, 'posed-camera.json');
    writeFileSync(
      cam,
      JSON.stringify({
        intrinsic_matrix: [
          [700, 0, 384],
          [0, 700, 288],
          [0, 0, 1],
        ],
        extrinsic_matrix: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      }),
    );
    const r = await metrabs(['video', video, '--world', 'auto', '--intrinsics', cam]);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r, /--world auto finds the camera's pose itself.*extrinsic_matrix/);
  });

  it('a missing image → exit 3 before loading anything; --debug adds the stack trace', async () => {
    const r = await metrabs(['detect', join(tmp, 'nope.jpg')]);
    expect(r.code).toBe(3);
    expectOneLineError(r, /image not found: .*nope\.jpg/);
    const debug = await metrabs(['detect', join(tmp, 'nope.jpg'), '--debug']);
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^metrabs: error: image not found/);
    expect(debug.stderr).toMatch(/^\s+at .*detect\.ts/m);
  });

  it('a bad intrinsics file → exit 3 (invalid JSON, NaN, wrong shape)', async () => {
    const image = join(tmp, 'any.png');
    writeFileSync(image, 'not really a PNG');
    const cases: [string, RegExp][] = [
      ['{"intrinsic_matrix": [[1, 0', /invalid JSON/],
      ['{"intrinsic_matrix": [[NaN, 0, 1], [0, 1, 1], [0, 0, 1]]}', /invalid JSON/],
      [
        '{"intrinsic_matrix": [[1, 0, 1], [0, 1, 1]]}',
        /"intrinsic_matrix" must be 3 rows of 3 numbers/,
      ],
      ['{"intrinsic_matrix": [[1, 0, "x"], [0, 1, 1], [0, 0, 1]]}', /must be a finite number/],
    ];
    for (const [i, [text, pattern]] of cases.entries()) {
      const file = join(tmp, `bad-camera-${i}.json`);
      writeFileSync(file, text);
      const r = await metrabs(['detect', image, '--intrinsics', file]);
      expect(r.code, r.stderr).toBe(3);
      expectOneLineError(r, pattern);
    }
  });

  it('a missing model directory → exit 4', async () => {
    const image = join(tmp, 'any2.png');
    writeFileSync(image, 'x');
    const other = await metrabs(['detect', image, '--model', join(tmp, 'no-model')]);
    expect(other.code).toBe(4);
    expectOneLineError(other, /model package not found: .*no-model/);
  });
});

describe.concurrent(`metrabs with the toy model${dataNote}`, { timeout: 60_000 }, () => {
  const out = join(tmp, 'out');
  let blank: string;

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    blank = join(tmp, 'blank.png');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080' } })
      .png()
      .toFile(blank);
  });

  it.skipIf(!haveData)(
    'a missing detector → exit 4 with instructions, no stack trace',
    async () => {
      const r = await metrabs([
        'detect',
        BASKETBALL,
        '--model',
        MODEL,
        '--detector',
        join(tmp, 'none.onnx'),
      ]);
      expect(r.code, r.stderr).toBe(4);
      expectOneLineError(r, /person detector not found: .*none\.onnx/);
      expect(r.stderr).toContain('--detector /path/to/yolox_nano.onnx');
      const cache = await metrabs(['detect', BASKETBALL, '--model', MODEL]);
      expect(cache.code).toBe(4);
      expectOneLineError(cache, /default cache file .*cache\/metrabs\/yolox_nano\.onnx/);
    },
  );

  it.skipIf(!haveData)('an unknown skeleton → exit 2 with the list of skeletons', async () => {
    const r = await metrabs(['detect', BASKETBALL, ...toy, '--skeleton', 'coco_99']);
    expect(r.code).toBe(2);
    expectOneLineError(
      r,
      /unknown skeleton "coco_99" for this model; available: .*h36m_17.*coco_19/,
    );
  });

  it.skipIf(!haveData)(
    'an image that does not decode → exit 3, the other images still done',
    async () => {
      const broken = join(tmp, 'broken.png');
      writeFileSync(broken, 'this is not an image');
      const dir = join(tmp, 'out-broken');
      const r = await metrabs(['detect', broken, blank, ...toy, '--num-aug', '1', '--out', dir]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/metrabs: error: cannot decode image .*broken\.png/);
      expect(r.stderr).toContain('blank.png: no people found');
      expect(existsSync(join(dir, 'blank.json'))).toBe(true);
      expect(existsSync(join(dir, 'broken.json'))).toBe(false);
    },
  );

  it.skipIf(!haveData)('an empty file → an error line that names it once', async () => {
    const empty = join(tmp, 'empty.jpg');
    writeFileSync(empty, '');
    const r = await metrabs(['detect', empty, ...toy, '--num-aug', '1', '--out', join(tmp, 'o-e')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /^metrabs: error: cannot decode image \S*empty\.jpg: the file is empty$/m,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.match(/cannot decode image/g)).toHaveLength(1);
  });

  it.skipIf(!haveData)('without --model, the shipped models/default is used', async () => {
    const r = await metrabs(['detect', blank, '--detector', DETECTOR, '--num-aug', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.model.dir).toMatch(/models[/\\]default$/);
    expect(resultSchemaErrors(json)).toEqual([]);
    expect(json.model.backbone).toBe('efficientnet_lite0');
    expect(json.people).toBe(0);
  });

  it.skipIf(!haveData)(
    '--sheet: one contact sheet of every image (overlay + 3D view), also with --no-viz',
    async () => {
      const dir = join(tmp, 'out-sheet');
      const sheet = join(tmp, 'sheets', 'sheet.png');
      const args = ['detect', BASKETBALL, blank, ...toy, '--num-aug', '1', '--out', dir];
      const r = await metrabs([...args, '--no-viz', '--sheet', sheet]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`contact sheet of 2 images written to ${sheet}`);
      const meta = await sharp(sheet).metadata();
      expect(meta.format).toBe('png');
      expect(meta.height).toBe(320 + 2 * 8); // one row of two [overlay | 3D view] pairs
      expect(meta.width).toBeGreaterThan(4 * 320);
      expect(existsSync(join(dir, 'blank.json'))).toBe(true);
      expect(existsSync(join(dir, 'blank.overlay.png'))).toBe(false);
    },
  );

  it.skipIf(!haveData)(
    'detect basketball1.png --skeleton coco_19 writes JSON, overlay and 3D view',
    async () => {
      const r = await metrabs([
        'detect',
        BASKETBALL,
        ...toy,
        '--skeleton',
        'coco_19',
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/basketball1\.png: \d+ people, [\d.]+ s/);
      const json = JSON.parse(readFileSync(join(out, 'basketball1.json'), 'utf8'));
      expect(json.imageSize).toEqual({ width: 640, height: 480 });
      expect(json.boxes.length).toBeGreaterThanOrEqual(2);
      expect(json.people).toBe(json.boxes.length);
      expect(json.skeleton).toBe('coco_19');
      expect(json.jointNames).toHaveLength(19);
      expect(json.model).toMatchObject({
        backbone: 'mobilenet_v3_small',
        skeleton: 'smpl+head_30',
        numJoints: 30,
      });
      expect(json.poses3d).toHaveLength(json.boxes.length);
      expect(json.poses2d).toHaveLength(json.boxes.length);
      for (const [p, pose] of (json.poses3d as number[][][]).entries()) {
        expect(pose).toHaveLength(19);
        expect(json.poses2d[p]).toHaveLength(19);
        for (const point of pose) {
          expect(point).toHaveLength(3);
          for (const v of point) {
            expect(Number.isFinite(v)).toBe(true);
            expect(Math.round(v * 10) / 10).toBe(v); // rounded to 0.1 mm
          }
        }
        expect(pose.every((point) => point[2]! > 0)).toBe(true); // in front of the camera
      }
      for (const point of json.poses2d.flat())
        for (const v of point) expect(Math.round(v * 100) / 100).toBe(v);
      expect(json.distancesM.every((d: number) => d > 0)).toBe(true);
      expect(json.intrinsicMatrix[2]).toEqual([0, 0, 1]);

      const overlay = await sharp(join(out, 'basketball1.overlay.png')).metadata();
      expect([overlay.format, overlay.width, overlay.height]).toEqual(['png', 640, 480]);
      const view = await sharp(join(out, 'basketball1.3d.png')).metadata();
      expect([view.format, view.width, view.height]).toEqual(['png', SCENE_WIDTH, SCENE_HEIGHT]);
    },
  );

  it.skipIf(!haveData)(
    '--json prints one parseable JSON document per image and writes nothing',
    async () => {
      const dir = join(tmp, 'out-json');
      const r = await metrabs([
        'detect',
        BASKETBALL,
        blank,
        ...toy,
        '--num-aug',
        '1',
        '--json',
        '--out',
        dir,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const [first, second] = lines.map((l) => JSON.parse(l));
      expect(first.image).toBe(BASKETBALL);
      expect(first.boxes.length).toBeGreaterThanOrEqual(2);
      expect(first.jointNames).toHaveLength(30);
      expect(second.people).toBe(0);
      expect(existsSync(dir)).toBe(false);
      expect(r.stderr).toContain('basketball1.png: ');
    },
  );

  it.skipIf(!haveData)(
    'people found but dropped: the count and reason on stderr and in the JSON (version 2)',
    async () => {
      // The toy model's five augmentations of the man on the right of this photo disagree.
      const common = ['detect', WALKERS, '--model', MODEL, '--detector', DETECTOR, '--json'];
      const r = await metrabs(common);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /000817\.jpg: 3 people found, 1 dropped as implausible \[inconsistent-augmentations\] \(--no-suppress-implausible keeps it\), [\d.]+ s/,
      );
      const json = JSON.parse(r.stdout);
      expect(json).toMatchObject({ version: 2, people: 2, peopleFound: 3 });
      expect(json.dropped).toHaveLength(1);
      expect(json.dropped[0].reason).toBe('inconsistent-augmentations');
      expect(json.dropped[0].box).toHaveLength(5);
      const all = await metrabs([...common, '--no-suppress-implausible']);
      expect(all.stderr).toMatch(/000817\.jpg: 3 people, /);
      expect(JSON.parse(all.stdout)).toMatchObject({ people: 3, peopleFound: 3, dropped: [] });
    },
  );

  it.skipIf(!haveData)('a blank image: 0 people, JSON and overlay still written', async () => {
    const dir = join(tmp, 'out-blank');
    const r = await metrabs(['detect', blank, ...toy, '--num-aug', '1', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('blank.png: no people found');
    const json = JSON.parse(readFileSync(join(dir, 'blank.json'), 'utf8'));
    expect(json).toMatchObject({
      people: 0,
      peopleFound: 0,
      dropped: [],
      boxes: [],
      poses3d: [],
      poses2d: [],
      imageSize: { width: 320, height: 240 },
    });
    expect((await sharp(join(dir, 'blank.overlay.png')).metadata()).width).toBe(320);
    expect(readdirSync(dir).sort()).toEqual(['blank.3d.png', 'blank.json', 'blank.overlay.png']);
  });

  it.skipIf(!haveData)(
    '--intrinsics with extrinsics: the given camera is used, poses in world frame; --no-viz',
    async () => {
      const camera = join(tmp, 'camera.json');
      const k = [
        [700, 0, 320],
        [0, 700, 240],
        [0, 0, 1],
      ];
      const e = [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 1000],
        [0, 0, 0, 1],
      ];
      writeFileSync(camera, JSON.stringify({ intrinsic_matrix: k, extrinsic_matrix: e }));
      const dir = join(tmp, 'out-cam');
      const r = await metrabs([
        'detect',
        BASKETBALL,
        ...toy,
        '--num-aug',
        '1',
        '--intrinsics',
        camera,
        '--no-viz',
        '--out',
        dir,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(readFileSync(join(dir, 'basketball1.json'), 'utf8'));
      expect(json.intrinsicMatrix).toEqual(k);
      expect(json.frame).toBe('world');
      expect(json.extrinsicMatrix).toEqual(e);
      expect(readdirSync(dir)).toEqual(['basketball1.json']);
    },
  );

  it.skipIf(!haveData)('video: 5 frames of vtest.avi → JSONL, meta and overlay video', async () => {
    const dir = join(tmp, 'out-video');
    const mp4 = join(dir, 'overlay.mp4');
    const r = await metrabs([
      'video',
      VIDEO,
      ...toy,
      '--num-aug',
      '1',
      '--max-frames',
      '5',
      '--smooth',
      '0.5',
      '--out',
      dir,
      '--overlay-video',
      mp4,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'vtest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.frame)).toEqual([0, 1, 2, 3, 4]);
    expect(lines[1].time).toBeCloseTo(0.1);
    for (const l of lines) {
      expect(l.trackIds).toHaveLength(l.people);
      expect(l.poses3d).toHaveLength(l.people);
      // --no-suppress-implausible: everyone found is returned.
      expect(l).toMatchObject({ peopleFound: l.people, dropped: [] });
    }
    expect(lines.some((l) => l.people > 0)).toBe(true);
    const meta = JSON.parse(readFileSync(join(dir, 'vtest.meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      status: 'complete',
      framesProcessed: 5,
      videoSize: { width: 768, height: 576 },
      fps: 10,
      dropped: { frames: 0, people: 0, reasons: {} },
    });
    expect(meta.jointNames).toHaveLength(30);
    expect(meta.smoothing).toEqual({ kind: 'exponential', alpha: 0.5 });
    expect(meta.tracking).toMatchObject({ matching: 'hungarian', maxAge: 15 });
    expect(existsSync(mp4)).toBe(true);
    expect(r.stderr).toMatch(/5 frames in [\d.]+ s/);
  });

  it.skipIf(!haveData)(
    'video --world auto on 20 frames of vtest.avi (default model): world-frame poses and exports, the camera 3–12 m high',
    { timeout: 240_000 },
    async () => {
      const dir = join(tmp, 'out-world');
      const r = await metrabs(
        [
          'video',
          VIDEO,
          '--detector',
          DETECTOR,
          '--num-aug',
          '1',
          '--max-frames',
          '20',
          '--world',
          'auto',
          '--out',
          dir,
          '--bvh',
          dir,
        ],
        ENV,
        240_000,
      );
      expect(r.code, r.stderr).toBe(0);
      const summary =
        /vtest\.avi: floor from (\d+) of (\d+) foot positions \(rms \d+ mm\): camera ([\d.]+) m above it, tilted ([\d.]+)° down, rolled (-?[\d.]+)°; poses in the world frame \(y up, floor y = 0\)/.exec(
          r.stderr,
        );
      expect(summary, r.stderr).not.toBeNull();
      const [, inliers, feet, height, tilt] = summary!.map(Number) as number[];
      // A surveillance camera above a street, looking down at it (docs/motion.md: 6.4 m, 28°).
      expect(height).toBeGreaterThan(3);
      expect(height).toBeLessThan(12);
      expect(tilt).toBeGreaterThan(10);
      expect(tilt).toBeLessThan(45);
      expect(inliers! / feet!).toBeGreaterThan(0.4);
      const meta = JSON.parse(readFileSync(join(dir, 'vtest.meta.json'), 'utf8'));
      expect(meta).toMatchObject({ status: 'complete', frame: 'world' });
      expect(meta.world).toMatchObject({ mode: 'auto', worldUp: [0, 1, 0] });
      expect(Math.abs(meta.world.cameraHeightM - height!)).toBeLessThan(0.006);
      expect(meta.extrinsicMatrix).toHaveLength(4);
      // World frame, y up: the lower ankle near the floor for most people, the head above it.
      const ankle = meta.jointNames.indexOf('lank');
      const head = meta.jointNames.indexOf('htop');
      const lines = readFileSync(join(dir, 'vtest.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const feetY: number[] = [];
      const statures: number[] = [];
      for (const l of lines) {
        for (const pose of l.poses3d as number[][][]) {
          const lower = Math.min(pose[ankle]![1]!, pose[ankle + 1]![1]!);
          feetY.push(lower);
          statures.push(pose[head]![1]! - lower);
        }
      }
      const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1]!;
      expect(Math.abs(median(feetY))).toBeLessThan(250);
      expect(median(statures)).toBeGreaterThan(1000);
      // The exports are in the same frame: a pelvis about a metre above the floor.
      expect(meta.exports.length).toBeGreaterThan(0);
      const rootY = meta.exports.map((e: { bvh: string }) => {
        const bvh = readFileSync(e.bvh, 'utf8');
        return Number(bvh.split('MOTION')[1]!.split('\n')[3]!.split(' ')[1]);
      });
      expect(median(rootY)).toBeGreaterThan(0.3);
      expect(median(rootY)).toBeLessThan(1.6);
    },
  );

  it.skipIf(!haveData)(
    'video --world auto without enough feet → exit 3, the frames kept in the camera frame',
    async () => {
      const dir = join(tmp, 'out-no-floor');
      const r = await metrabs([
        'video',
        VIDEO,
        ...toy,
        '--num-aug',
        '1',
        '--max-frames',
        '2',
        '--max-detections',
        '1',
        '--world',
        'auto',
        '--out',
        dir,
      ]);
      expect(r.code, r.stderr).toBe(3);
      expectOneLineError(
        r,
        /--world auto: no floor found: 2 foot positions, need at least 30 .*the 2 frames are saved in the camera frame/,
      );
      const meta = JSON.parse(readFileSync(join(dir, 'vtest.meta.json'), 'utf8'));
      expect(meta).toMatchObject({ status: 'error', frame: 'camera' });
      expect(meta.world.error).toMatch(/no floor found/);
      expect(readFileSync(join(dir, 'vtest.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    },
  );

  it.skipIf(!haveData)(
    'video: a truncated file → exit 3, the frames before the damage kept',
    async () => {
      const dir = join(tmp, 'out-trunc');
      const truncated = join(tmp, 'truncated.avi');
      // The first 300 kB of vtest.avi: 15 frames decode, then a corrupt packet.
      writeFileSync(truncated, readFileSync(VIDEO).subarray(0, 300_000));
      const r = await metrabs([
        'video',
        truncated,
        ...toy,
        '--num-aug',
        '1',
        '--detector-threshold',
        '0.9',
        '--out',
        dir,
      ]);
      expect(r.code, r.stderr).toBe(3);
      expectOneLineError(r, /video decoding failed after (\d+) frames.*saved/);
      const lines = readFileSync(join(dir, 'truncated.jsonl'), 'utf8').trim().split('\n');
      const meta = JSON.parse(readFileSync(join(dir, 'truncated.meta.json'), 'utf8'));
      expect(meta.status).toBe('error');
      expect(lines.length).toBe(meta.framesProcessed);
      expect(lines.length).toBeGreaterThan(5);
      const missing = await metrabs(['video', join(tmp, 'none.avi')]);
      expect(missing.code).toBe(3);
      const garbage = join(tmp, 'garbage.mp4');
      writeFileSync(garbage, Buffer.alloc(5000, 7));
      const corrupt = await metrabs(['video', garbage, ...toy]);
      expect(corrupt.code, corrupt.stderr).toBe(3);
      expectOneLineError(corrupt, /cannot read video|no video stream/);
    },
  );
});
