/**
 * The service with the default model and the real detector: the sample photo over a real
 * socket (multipart, as `curl -F` sends it) gives a schema-valid result document with people
 * at finite millimetre positions, and exactly the numbers of the runtime's estimator called
 * directly on the same image and options; bad input gets a 4xx and the server keeps serving.
 */
import { readFileSync } from 'node:fs';
import {
  createEstimator,
  defaultModelDir,
  loadImage,
  type PoseOptions,
  type PoseResultLike,
  resultDocument,
} from '@metrabs/runtime/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultSchemaErrors } from '../../../test-support/result-schema.js';
import { sharedData } from '../../../test-support/shared-data.js';
import { serverConfig } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';

const DETECTOR = 'detector/yolox_nano.onnx';
const data = sharedData([DETECTOR], 'server poses-real.test');
const SAMPLE = new URL('../../../samples/synthetic-street.jpg', import.meta.url);
const CAMERA = new URL('../../../samples/synthetic-street.camera.json', import.meta.url);
const JPEG = readFileSync(SAMPLE);
const THREADS = 2;
/** A parsed JSON answer (the tests walk into it freely). */
type Json = ReturnType<typeof JSON.parse>;

describe.skipIf(data.skip)('the default model behind HTTP', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(
      serverConfig({ port: 0, estimators: 1, threads: THREADS, detector: data.path(DETECTOR) }),
    );
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  async function post(path: string, form: FormData) {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body: form });
    return { status: response.status, body: (await response.json()) as Json };
  }

  function sampleForm(fields: Record<string, string> = {}): FormData {
    const form = new FormData();
    form.append(
      'image',
      new Blob([new Uint8Array(JPEG)], { type: 'image/jpeg' }),
      'synthetic-street.jpg',
    );
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return form;
  }

  it('answers the sample with the same numbers as the estimator called directly', async () => {
    const camera = readFileSync(CAMERA, 'utf8');
    const { status, body } = await post(
      '/v1/poses',
      sampleForm({ numAug: '1', skeleton: 'coco_19', camera }),
    );
    expect(status).toBe(200);
    expect(resultSchemaErrors(body)).toEqual([]);
    expect(body.people).toBeGreaterThanOrEqual(2);
    expect(body.jointNames).toHaveLength(19);
    for (const pose of body.poses3d as number[][][]) {
      for (const joint of pose) {
        for (const v of joint) expect(Number.isFinite(v)).toBe(true);
        expect(joint[2]).toBeGreaterThan(1000); // millimetres: the people stand 3–4.4 m away
        expect(joint[2]).toBeLessThan(8000);
      }
    }

    const estimator = await createEstimator({ detector: data.path(DETECTOR), threads: THREADS });
    const image = await loadImage(SAMPLE.pathname);
    const cam = JSON.parse(camera);
    const options: PoseOptions = {
      numAug: 1,
      skeleton: 'coco_19',
      intrinsicMatrix: cam.intrinsic_matrix,
      distortionCoeffs: cam.distortion_coeffs,
      worldUpVector: cam.world_up,
    };
    const direct = resultDocument((await estimator.detectPoses(image, options)) as PoseResultLike, {
      image: 'synthetic-street.jpg',
      imageSize: { width: image.width, height: image.height },
      model: body.model,
    });
    const { settings, ...served } = body;
    expect(settings).toMatchObject({
      numAug: 1,
      camera: { intrinsicMatrix: cam.intrinsic_matrix },
    });
    expect(served).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(body.model.dir).toBe(defaultModelDir());
  }, 120_000);

  it('refuses a corrupt image and an unknown skeleton with a JSON 4xx, and goes on serving', async () => {
    const corrupt = new FormData();
    corrupt.append('image', new Blob([new Uint8Array(JPEG.subarray(0, 5000))]), 'cut.jpg');
    const cut = await post('/v1/poses', corrupt);
    expect(cut.status).toBe(400);
    expect(cut.body.error).toMatchObject({
      code: 'bad-image',
      message: expect.stringContaining('cut.jpg'),
    });

    const skeleton = await post('/v1/poses', sampleForm({ skeleton: 'coco_99' }));
    expect(skeleton.status).toBe(400);
    expect(skeleton.body.error.code).toBe('unknown-skeleton');
    expect(skeleton.body.error.message).toContain('coco_19');

    const batch = new FormData();
    batch.append('images', new Blob([new Uint8Array(JPEG)]), 'a.jpg');
    batch.append('images', new Blob([new Uint8Array(JPEG.subarray(0, 5000))]), 'b.jpg');
    const both = await post('/v1/poses/batch?numAug=1', batch);
    expect(both.status).toBe(200);
    expect(both.body.failed).toBe(1);
    expect(resultSchemaErrors(both.body.results[0])).toEqual([]);
    expect(both.body.results[0].people).toBeGreaterThanOrEqual(2);
    expect(both.body.results[1].error.code).toBe('bad-image');

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/metrabs_inference_duration_seconds_count\{outcome="ok"\} [1-9]/);
    expect(metrics).toContain('outcome="bad-image"');
  }, 120_000);
});
