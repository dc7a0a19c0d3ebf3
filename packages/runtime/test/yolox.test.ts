import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedData } from '../../../test-support/shared-data.js';
import { YOLOX_NANO_SHA256, YOLOX_NANO_URL } from '../src/detector-file.js';
import {
  DetectorNotFoundError,
  defaultDetectorCachePath,
  loadYoloxDetector,
  resolveDetectorPath,
} from '../src/detector-node.js';
import { letterbox } from '../src/letterbox.js';
import { createOrtSession, ModelLoadError } from '../src/ort-session.js';
import type { Box, RgbImage, Tensor, TensorSession } from '../src/types.js';
import {
  boxIou,
  DetectorModelError,
  decodeYolox,
  nonMaxSuppression,
  YoloxPersonDetector,
  yoloxAnchorCount,
} from '../src/yolox.js';

// ---------------------------------------------------------------------------------------
// Shared data (../shared/data beside the repository): real images and the detector.

const DETECTOR_FILE = 'detector/yolox_nano.onnx';
const IMAGES = {
  coco785: 'real/mmpose/coco/000000000785.jpg',
  basketball: 'real/opencv/basketball1.png',
  pw3d: 'real/metrabs/test_image_3dpw.jpg',
};
const shared = sharedData([DETECTOR_FILE, ...Object.values(IMAGES)], 'yolox.test');
const skipRealData = shared.skip;
const dataProblem = shared.problem;
function requireData(): void {
  if (dataProblem !== undefined) throw new Error(`CI=true but ${dataProblem}`);
}
const detectorPath = shared.path(DETECTOR_FILE);

async function readRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(shared.path(file))
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

// ---------------------------------------------------------------------------------------
// Hand-built YOLOX outputs.

const N416 = yoloxAnchorCount(416); // 52² + 26² + 13² = 3549

interface Anchor {
  stride: 8 | 16 | 32;
  gx: number;
  gy: number;
  t: [number, number, number, number];
  obj: number;
  cls: number[]; // leading class scores; the rest are 0
}

function anchorRow(inputSize: number, stride: number, gx: number, gy: number): number {
  let row = 0;
  for (const s of [8, 16, 32]) {
    const grid = inputSize / s;
    if (s === stride) return row + gy * grid + gx;
    row += grid * grid;
  }
  throw new Error('bad stride');
}

function yoloxOutput(anchors: Anchor[], inputSize = 416): Tensor {
  const n = yoloxAnchorCount(inputSize);
  const data = new Float32Array(n * 85);
  for (const a of anchors) {
    const o = anchorRow(inputSize, a.stride, a.gx, a.gy) * 85;
    data.set([...a.t, a.obj, ...a.cls], o);
  }
  return { data, dims: [1, n, 85] };
}

/** A TensorSession that records its inputs and answers from a callback. */
class FakeSession implements TensorSession {
  readonly inputs: Tensor[] = [];
  released = false;
  constructor(
    readonly respond: (call: number) => Tensor,
    readonly inputNames: readonly string[] = ['images'],
    readonly outputNames: readonly string[] = ['output'],
  ) {}
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const input = feeds['images'];
    if (!input) throw new Error('no images feed');
    this.inputs.push(input);
    return { [this.outputNames[0]!]: this.respond(this.inputs.length - 1) };
  }
  async release(): Promise<void> {
    this.released = true;
  }
}

/** Index of the first differing element, or −1 (faster than toEqual on 519,168 floats). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function grayImage(width: number, height: number, value = 128): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

function expectBox(actual: Box | undefined, expected: number[], digits = 4): void {
  expect(actual).toBeDefined();
  actual!.forEach((v, i) => {
    expect(v, `element ${i} of [${actual!.join(', ')}]`).toBeCloseTo(expected[i]!, digits);
  });
}

// ---------------------------------------------------------------------------------------

describe('decodeYolox', () => {
  it('decodes a single anchor with known terms into an exact box', () => {
    // Stride 16, cell (3, 5): cx = (0.5 + 3)·16 = 56, cy = (0.25 + 5)·16 = 84,
    // w = e^ln4·16 = 64, h = e^ln8·16 = 128 → canvas box [24, 20, 64, 128]; r = 0.5 doubles it.
    const output = yoloxOutput([
      { stride: 16, gx: 3, gy: 5, t: [0.5, 0.25, Math.log(4), Math.log(8)], obj: 0.9, cls: [0.8] },
    ]);
    const boxes = decodeYolox(output, 416, 0.5, 0.3);
    expect(boxes).toHaveLength(1);
    expectBox(boxes[0], [48, 40, 128, 256, Math.fround(0.9) * Math.fround(0.8)]);
  });

  it('uses obj·cls0 only, in anchor order, keeping scores at the threshold', () => {
    const output = yoloxOutput([
      { stride: 32, gx: 12, gy: 12, t: [0, 0, 0, 0], obj: 0.5, cls: [0.5] }, // 0.25
      { stride: 8, gx: 0, gy: 0, t: [0, 0, 0, 0], obj: 1, cls: [0.25] }, // 0.25
      { stride: 8, gx: 1, gy: 0, t: [0, 0, 0, 0], obj: 0.99, cls: [0.1, 0.99] }, // a car
      { stride: 8, gx: 2, gy: 0, t: [0, 0, 0, 0], obj: 0.2, cls: [1] }, // 0.2
    ]);
    const boxes = decodeYolox(output, 416, 1, 0.25);
    expect(boxes.map((b) => b[4])).toEqual([0.25, 0.25]);
    expectBox(boxes[0], [-4, -4, 8, 8, 0.25]); // stride 8, (0, 0): centre (0, 0), 8×8
    expectBox(boxes[1], [368, 368, 32, 32, 0.25]); // stride 32, (12, 12): centre (384, 384)
  });

  it('supports other input sizes and rejects outputs of the wrong shape', () => {
    expect(yoloxAnchorCount(416)).toBe(3549);
    expect(yoloxAnchorCount(640)).toBe(8400);
    const out640 = yoloxOutput(
      [{ stride: 32, gx: 19, gy: 0, t: [0.5, 0.5, 0, 0], obj: 1, cls: [1] }],
      640,
    );
    expectBox(decodeYolox(out640, 640, 1, 0.5)[0], [608, 0, 32, 32, 1]);
    expect(() => decodeYolox(out640, 416, 1, 0.5)).toThrow(DetectorModelError);
    expect(() => decodeYolox(out640, 416, 1, 0.5)).toThrow(/\[1, 3549, 5 \+ classes\].*8400/);
    const truncated = { data: new Float32Array(10), dims: [1, N416, 85] };
    expect(() => decodeYolox(truncated, 416, 1, 0.5)).toThrow(/has 10 values/);
  });
});

describe('boxIou and nonMaxSuppression', () => {
  it('computes IoU of [x, y, w, h] boxes', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150, 12);
    expect(boxIou([0, 0, 10, 10], [2, 2, 4, 4])).toBeCloseTo(16 / 100, 12);
    expect(boxIou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0); // touching
    expect(boxIou([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
    expect(boxIou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });

  it('keeps the best box of each overlapping group, best first', () => {
    const a: Box = [0, 0, 10, 10, 0.6];
    const b: Box = [1, 0, 10, 10, 0.9]; // IoU(a, b) = 90/110 ≈ 0.82
    const c: Box = [4, 0, 10, 10, 0.7]; // IoU(b, c) = 70/130 ≈ 0.54
    const d: Box = [50, 50, 5, 5, 0.8];
    expect(nonMaxSuppression([a, b, c, d], 0.7)).toEqual([b, d, c]);
    expect(nonMaxSuppression([a, b, c, d], 0.5)).toEqual([b, d]);
    expect(nonMaxSuppression([a, b, c, d], 0.9)).toEqual([b, d, c, a]);
    expect(nonMaxSuppression([a, b, c, d], 0.7, 2)).toEqual([b, d]);
    expect(nonMaxSuppression([], 0.7)).toEqual([]);
    // Ties keep input order.
    const e: Box = [100, 0, 1, 1, 0.5];
    const f: Box = [200, 0, 1, 1, 0.5];
    expect(nonMaxSuppression([e, f], 0.7)).toEqual([e, f]);
  });
});

describe('YoloxPersonDetector (fake session)', () => {
  it('feeds the letterboxed image and returns clipped boxes; drops boxes outside', async () => {
    // 832×416 image → r = 0.5, content in canvas rows 0–207.
    const session = new FakeSession(() =>
      yoloxOutput([
        // canvas [−16, −16, 32, 32] → image [−32, −32, 64, 64] → clipped [0, 0, 32, 32]
        { stride: 8, gx: 0, gy: 0, t: [0, 0, Math.log(4), Math.log(4)], obj: 0.9, cls: [1] },
        // canvas [0, 384, 32, 32] lies in the padding → image y ≥ 768 > 416: dropped
        { stride: 32, gx: 0, gy: 12, t: [0.5, 0.5, 0, 0], obj: 0.9, cls: [1] },
        // canvas [96, 32, 64, 64] → image [192, 64, 128, 128]
        { stride: 32, gx: 4, gy: 2, t: [0, 0, Math.log(2), Math.log(2)], obj: 0.8, cls: [1] },
      ]),
    );
    const detector = new YoloxPersonDetector(session);
    const image = grayImage(832, 416);
    const boxes = await detector.detect(image);
    expect(session.inputs).toHaveLength(1);
    expect(session.inputs[0]!.dims).toEqual([1, 3, 416, 416]);
    expect(firstDifference(session.inputs[0]!.data, letterbox(image).data)).toBe(-1);
    expect(boxes).toHaveLength(2);
    expectBox(boxes[0], [0, 0, 32, 32, 0.9]);
    expectBox(boxes[1], [192, 64, 128, 128, 0.8]);
    expect(await detector.detect(image, { threshold: 0.85 })).toHaveLength(1);
    expect(await detector.detect(image, { maxDetections: 1 })).toHaveLength(1);
    expect(await detector.detect(image, { maxDetections: 0 })).toEqual([]);
    await detector.release();
    expect(session.released).toBe(true);
  });

  it('flip augmentation runs the mirrored image, mirrors its boxes back and merges by NMS', async () => {
    // 416×416 image (r = 1). Both runs return a symmetric box [176, 160, 64, 64] and an
    // off-centre box [64, 160, 64, 64]; the flipped run's symmetric box scores higher.
    const session = new FakeSession((call) =>
      yoloxOutput([
        {
          stride: 32,
          gx: 6,
          gy: 6,
          t: [0.5, 0, Math.log(2), Math.log(2)],
          obj: call === 0 ? 0.5 : 0.8,
          cls: [1],
        },
        { stride: 32, gx: 3, gy: 6, t: [0, 0, Math.log(2), Math.log(2)], obj: 0.5, cls: [1] },
      ]),
    );
    const detector = new YoloxPersonDetector(session);
    const image: RgbImage = { width: 416, height: 416, data: new Uint8Array(416 * 416 * 3) };
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 13) & 255;

    const plain = await detector.detect(image);
    expect(plain).toHaveLength(2);
    expectBox(plain[0], [64, 160, 64, 64, 0.5]); // equal scores keep anchor order
    expectBox(plain[1], [176, 160, 64, 64, 0.5]);

    session.inputs.length = 0;
    const merged = await detector.detect(image, { flipAug: true });
    expect(session.inputs).toHaveLength(2);
    expect(firstDifference(session.inputs[1]!.data, letterbox(image, { flip: true }).data)).toBe(
      -1,
    );
    expect(firstDifference(session.inputs[0]!.data, letterbox(image).data)).toBe(-1);
    expect(merged).toHaveLength(3);
    expectBox(merged[0], [176, 160, 64, 64, 0.8]); // the flipped run's, mirrored onto itself
    expectBox(merged[1], [64, 160, 64, 64, 0.5]);
    expectBox(merged[2], [416 - 64 - 64, 160, 64, 64, 0.5]); // mirrored back
  });

  it('rejects sessions without the YOLOX input and output names', () => {
    const wrong = new FakeSession(() => yoloxOutput([]), ['input'], ['logits']);
    expect(() => new YoloxPersonDetector(wrong)).toThrow(DetectorModelError);
    expect(() => new YoloxPersonDetector(wrong)).toThrow(
      /needs input "images" .*and output "output" .*has inputs \[input\] and outputs \[logits\]/,
    );
    const renamed = new FakeSession(() => yoloxOutput([]), ['images'], ['dets']);
    expect(() => new YoloxPersonDetector(renamed)).toThrow(/output "output"/);
    expect(() => new YoloxPersonDetector(renamed, { outputName: 'dets' })).not.toThrow();
    expect(() => new YoloxPersonDetector(renamed, { inputSize: 400 })).toThrow(RangeError);
  });

  it('reports a missing or malformed output clearly', async () => {
    const noOutput: TensorSession = {
      inputNames: ['images'],
      outputNames: ['output'],
      run: async () => ({}),
    };
    await expect(new YoloxPersonDetector(noOutput).detect(grayImage(8, 8))).rejects.toThrow(
      /returned no "output" output/,
    );
    const badShape = new FakeSession(() => ({ data: new Float32Array(85), dims: [1, 1, 85] }));
    await expect(new YoloxPersonDetector(badShape).detect(grayImage(8, 8))).rejects.toThrow(
      DetectorModelError,
    );
  });

  it('rejects empty images and bad options before running the model', async () => {
    const session = new FakeSession(() => yoloxOutput([]));
    const detector = new YoloxPersonDetector(session);
    const empty = { width: 0, height: 0, data: new Uint8Array(0) };
    await expect(detector.detect(empty)).rejects.toThrow(RangeError);
    await expect(detector.detect(empty)).rejects.toThrow(/positive integer width and height/);
    await expect(detector.detect(grayImage(4, 4), { threshold: Number.NaN })).rejects.toThrow(
      /threshold must be a number in \[0, 1\]/,
    );
    await expect(detector.detect(grayImage(4, 4), { nmsIouThreshold: 2 })).rejects.toThrow(
      RangeError,
    );
    await expect(detector.detect(grayImage(4, 4), { maxDetections: -1 })).rejects.toThrow(
      /maxDetections/,
    );
    expect(session.inputs).toHaveLength(0);
  });
});

describe('createOrtSession', () => {
  it('names the model and the reason when it cannot load', async () => {
    const nowhere = join(tmpdir(), 'metrabs-no-such-model.onnx');
    await expect(createOrtSession(ort, nowhere)).rejects.toThrow(ModelLoadError);
    await expect(createOrtSession(ort, nowhere)).rejects.toThrow(
      `cannot load ONNX model ${nowhere}: `,
    );
    await expect(createOrtSession(ort, new Uint8Array([1, 2, 3]))).rejects.toThrow(
      /^cannot load ONNX model <3 bytes>: .*protobuf/i,
    );
    await expect(createOrtSession(ort, nowhere, { threads: 0 })).rejects.toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------

describe('resolveDetectorPath', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'metrabs-detector-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('explains where to get the detector when the cache file is missing', async () => {
    const cache = join(tmp, 'empty-cache');
    vi.stubEnv('METRABS_DETECTOR', '');
    vi.stubEnv('XDG_CACHE_HOME', cache);
    const expected = join(cache, 'metrabs', 'yolox_nano.onnx');
    expect(defaultDetectorCachePath()).toBe(expected);
    const error = await resolveDetectorPath().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetectorNotFoundError);
    const e = error as DetectorNotFoundError;
    expect(e.reason).toBe('missing');
    expect(e.path).toBe(expected);
    for (const part of [
      `the default cache file ${expected}`,
      'does not exist',
      YOLOX_NANO_URL,
      YOLOX_NANO_SHA256,
      'Kazuhito00/YOLOX-ONNX-TFLite-Sample',
      'YOLOX 0.1.1rc0',
      'Apache-2.0',
      'METRABS_DETECTOR=',
      `put it at ${expected}`,
    ]) {
      expect(e.message).toContain(part);
    }
    await expect(loadYoloxDetector()).rejects.toThrow(DetectorNotFoundError);
  });

  it('falls back to ~/.cache when XDG_CACHE_HOME is unset or relative', () => {
    vi.stubEnv('XDG_CACHE_HOME', 'relative/dir');
    expect(defaultDetectorCachePath()).toMatch(/\.cache[/\\]metrabs[/\\]yolox_nano\.onnx$/);
  });

  it('does not fall back when the option or METRABS_DETECTOR names a missing file', async () => {
    const gone = join(tmp, 'gone.onnx');
    await expect(resolveDetectorPath({ path: gone })).rejects.toThrow(
      `the file ${gone} given as the path option does not exist`,
    );
    vi.stubEnv('METRABS_DETECTOR', gone);
    await expect(resolveDetectorPath()).rejects.toThrow(
      `the file ${gone} named by METRABS_DETECTOR does not exist`,
    );
    await expect(resolveDetectorPath({ path: tmp })).rejects.toThrow(/is not a file/);
  });

  it('rejects a file with the wrong checksum, naming both sums', async () => {
    const fake = join(tmp, 'fake.onnx');
    await writeFile(fake, '<html>Not Found</html>');
    const actual = createHash('sha256').update('<html>Not Found</html>').digest('hex');
    const error = (await resolveDetectorPath({ path: fake }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(DetectorNotFoundError);
    expect((error as DetectorNotFoundError).reason).toBe('checksum-mismatch');
    expect(error.message).toContain(`sha256 is ${actual}`);
    expect(error.message).toContain(`expected ${YOLOX_NANO_SHA256}`);
    expect(error.message).toContain(YOLOX_NANO_URL);
  });

  describe.skipIf(skipRealData)('with the real file', () => {
    beforeAll(requireData);

    it('accepts the option path (absolute or relative) and prefers it over the env var', async () => {
      vi.stubEnv('METRABS_DETECTOR', join(tmp, 'gone.onnx'));
      expect(await resolveDetectorPath({ path: detectorPath })).toBe(detectorPath);
      expect(await resolveDetectorPath({ path: relative(process.cwd(), detectorPath) })).toBe(
        detectorPath,
      );
    });

    it('uses METRABS_DETECTOR, then the cache directory', async () => {
      vi.stubEnv('METRABS_DETECTOR', detectorPath);
      vi.stubEnv('XDG_CACHE_HOME', join(tmp, 'empty-cache'));
      expect(await resolveDetectorPath()).toBe(detectorPath);

      const cache = join(tmp, 'cache');
      await mkdir(join(cache, 'metrabs'), { recursive: true });
      await symlink(detectorPath, join(cache, 'metrabs', 'yolox_nano.onnx'));
      vi.stubEnv('METRABS_DETECTOR', '');
      vi.stubEnv('XDG_CACHE_HOME', cache);
      expect(await resolveDetectorPath()).toBe(join(cache, 'metrabs', 'yolox_nano.onnx'));
    });

    it('re-verifies a file that changed after it was checked', async () => {
      const file = join(tmp, 'changing.onnx');
      await writeFile(file, 'truncated');
      await expect(resolveDetectorPath({ path: file })).rejects.toThrow(/sha256/);
      await copyFile(detectorPath, file);
      expect(await resolveDetectorPath({ path: file })).toBe(file);
    });
  });
});

// ---------------------------------------------------------------------------------------

describe.skipIf(skipRealData)('YOLOX-Nano on real images', () => {
  let detector: YoloxPersonDetector;
  const images: Record<keyof typeof IMAGES, RgbImage> = {} as never;

  beforeAll(async () => {
    requireData();
    detector = await loadYoloxDetector({ path: detectorPath, threads: 1 });
    for (const [key, file] of Object.entries(IMAGES)) {
      images[key as keyof typeof IMAGES] = await readRgb(file);
    }
  });
  afterAll(async () => {
    await detector?.release();
  });

  it('finds the one skier in COCO 000000000785', async () => {
    const boxes = await detector.detect(images.coco785);
    expect(boxes).toHaveLength(1);
    const [x, y, w, h, score] = boxes[0]!;
    for (const [got, want] of [
      [x, 277],
      [y, 54],
      [w, 215],
      [h, 331],
    ] as const) {
      expect(Math.abs(got - want), `box ${boxes[0]}`).toBeLessThan(10);
    }
    expect(score).toBeGreaterThan(0.8);
  });

  it('finds the two players in basketball1', async () => {
    const boxes = await detector.detect(images.basketball);
    expect(boxes.map((b) => b[4] > 0.8)).toEqual([true, true]);
  });

  it('finds the two main people in the 3DPW frame', async () => {
    const boxes = await detector.detect(images.pw3d);
    expect(boxes.filter((b) => b[4] > 0.8).length).toBeGreaterThanOrEqual(2);
    for (const [x, y, w, h] of boxes) {
      expect(x >= 0 && y >= 0 && x + w <= 1080 + 1e-9 && y + h <= 1920 + 1e-9).toBe(true);
    }
  });

  it('finds nobody in a blank gray image', async () => {
    expect(await detector.detect(grayImage(640, 480))).toEqual([]);
  });

  it('keeps the same people with flip augmentation', async () => {
    for (const image of Object.values(images)) {
      const plain = (await detector.detect(image)).filter((b) => b[4] > 0.5);
      const flipped = (await detector.detect(image, { flipAug: true })).filter((b) => b[4] > 0.5);
      expect(flipped).toHaveLength(plain.length);
      for (const box of plain) {
        const best = Math.max(...flipped.map((f) => boxIou(f, box)));
        expect(best, `box ${box}`).toBeGreaterThan(0.8);
      }
    }
  });
});
