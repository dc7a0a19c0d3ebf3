/**
 * The HTTP layer with stand-in estimators (no model): validation and its errors, limits,
 * auth, CORS, the queue's 503, timeouts, metrics, the OpenAPI document and graceful close.
 * The stand-ins wait for a gate the test opens, so queueing is deterministic.
 */
import { readFileSync } from 'node:fs';
import type { PoseResult, ResultModelInfo } from '@metrabs/runtime';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { MULTILINE_DECODER_JPEG, MULTILINE_HEADER_JPEG } from '../../../test-support/fuzz.js';
import { buildApp } from '../src/app.js';
import { type ServerConfig, serverConfig } from '../src/config.js';
import type { PoseEstimatorLike } from '../src/estimate.js';
import { startServer } from '../src/server.js';

const JPEG = readFileSync(new URL('../../../samples/synthetic-street.jpg', import.meta.url));
const MODEL: ResultModelInfo = {
  backbone: 'fake',
  skeleton: 'fake_2',
  numJoints: 2,
  cropSide: 256,
};

/** An estimator that returns one fixed person, after `gate` opens (open by default). */
class FakeEstimator implements PoseEstimatorLike {
  calls = 0;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => {};

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.openGate();
  }

  availableSkeletons(): string[] {
    return ['fake_2', 'coco_19'];
  }

  async detectPoses(): Promise<PoseResult> {
    this.calls++;
    await this.gate;
    return {
      boxes: [new Float32Array([10, 20, 100, 200, 0.9])] as unknown as PoseResult['boxes'],
      poses3d: [
        [
          [0, 0, 3000],
          [100, -400, 3000],
        ],
      ],
      poses2d: [
        [
          [256, 256],
          [270, 200],
        ],
      ],
      jointNames: ['pelv', 'head'],
      edges: [[0, 1]],
      skeleton: 'fake_2',
      intrinsicMatrix: [
        [500, 0, 256],
        [0, 500, 256],
        [0, 0, 1],
      ],
      peopleFound: 1,
      dropped: [],
    };
  }
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function makeApp(
  overrides: Partial<ServerConfig> = {},
  estimators: FakeEstimator[] = [new FakeEstimator()],
): Promise<FastifyInstance> {
  const app = await buildApp(serverConfig(overrides), { estimators, model: MODEL });
  apps.push(app);
  return app;
}

/** A multipart body (as `curl -F` sends it) for `inject`. */
async function form(
  parts: [string, string | Uint8Array, string?][],
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const data = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') data.append(name, value);
    else
      data.append(
        name,
        new Blob([new Uint8Array(value)], { type: 'image/jpeg' }),
        filename ?? 'image.jpg',
      );
  }
  const request = new Request('http://localhost/', { method: 'POST', body: data });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type')! },
  };
}

function postRaw(app: FastifyInstance, url: string, body: Uint8Array, type = 'image/jpeg') {
  return app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: body });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('POST /v1/poses', () => {
  it('answers a raw JPEG and a multipart upload with the result document', async () => {
    const app = await makeApp();
    const raw = await postRaw(app, '/v1/poses?numAug=1&skeleton=coco_19', JPEG);
    expect(raw.statusCode).toBe(200);
    const doc = raw.json();
    expect(doc).toMatchObject({
      format: 'metrabs-result',
      image: 'image',
      imageSize: { width: 512, height: 512 },
      people: 1,
      poses3d: [
        [
          [0, 0, 3000],
          [100, -400, 3000],
        ],
      ],
      distancesM: [3.007], // |mean joint| = |(50, −200, 3000)| mm
      settings: { numAug: 1, camera: { defaultFovDegrees: 55 } },
    });
    const camera = JSON.stringify({
      intrinsic_matrix: [
        [600, 0, 256],
        [0, 600, 256],
        [0, 0, 1],
      ],
    });
    const multi = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      ...(await form([
        ['image', JPEG, 'street.jpg'],
        ['numAug', '2'],
        ['camera', camera],
      ])),
    });
    expect(multi.statusCode).toBe(200);
    expect(multi.json()).toMatchObject({
      image: 'street.jpg',
      settings: {
        numAug: 2,
        camera: {
          intrinsicMatrix: [
            [600, 0, 256],
            [0, 600, 256],
            [0, 0, 1],
          ],
        },
      },
    });
  });

  it.each([
    ['?numAug=0', 'numAug', 'bad-options'],
    ['?numAug=101', 'numAug', 'bad-options'],
    ['?fov=NaN', 'fov', 'bad-options'],
    ['?detectorThreshold=2', 'detectorThreshold', 'bad-options'],
    ['?numaug=1', 'numaug', 'bad-options'],
    ['?skeleton=coco_99', 'coco_99', 'unknown-skeleton'],
    ['?camera={"intrinsic_matrix":[[NaN,0,1],[0,1,1],[0,0,1]]}', 'camera', 'bad-options'],
    ['?camera={"intrinsic_matrix":[[1,0]]}', 'intrinsic_matrix', 'bad-camera'],
    ['?fov=50&camera={}', 'fov', 'bad-options'],
  ])('refuses %s with 400 naming %s (%s)', async (query, field, code) => {
    const app = await makeApp();
    const r = await postRaw(app, `/v1/poses${encodeURI(query)}`, JPEG);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json().error.code).toBe(code);
    expect(r.json().error.message).toContain(field);
  });

  it('answers a corrupt image and a malformed form with a one-line 400 (fuzz finds, issue 18)', async () => {
    const app = await makeApp();
    for (const [bytes, message] of [
      [
        MULTILINE_HEADER_JPEG,
        /^bad.jpg: not a readable image \(Input buffer has corrupt header: VipsJpeg: .+; VipsJpeg: /,
      ],
      [MULTILINE_DECODER_JPEG, /^bad.jpg: cannot decode: VipsJpeg: .+; VipsJpeg: /],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/poses',
        ...(await form([['image', bytes, 'bad.jpg']])),
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.code).toBe('bad-image');
      expect(r.json().error.message).toMatch(message);
      expect(r.json().error.message).not.toContain('\n');
    }
    // A body declared multipart that is not (was a 500): no boundary, or cut short.
    for (const type of ['multipart/form-data', 'multipart/form-data; boundary=xyz']) {
      const r = await postRaw(app, '/v1/poses', Buffer.from('hello there'), type);
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatchObject({
        code: 'bad-request',
        message: expect.stringMatching(/^malformed multipart body: /),
      });
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses a bad form field, naming it', async () => {
    const app = await makeApp();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      ...(await form([
        ['image', JPEG],
        ['numAug', 'NaN'],
      ])),
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({
      code: 'bad-options',
      message: expect.stringContaining('numAug'),
    });
  });

  it.each([
    ['empty', 400, 'empty-image', Buffer.alloc(0)],
    ['not an image', 400, 'bad-image', Buffer.from('hello, this is text, not a JPEG')],
    ['truncated', 400, 'bad-image', JPEG.subarray(0, 2000)],
  ])('refuses a %s body with %i %s, and still serves', async (_what, status, code, body) => {
    const app = await makeApp();
    const r = await postRaw(app, '/v1/poses', body);
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(code);
    expect((await postRaw(app, '/v1/poses', JPEG)).statusCode).toBe(200);
  });

  it('refuses a request without an image, and other media types', async () => {
    const app = await makeApp();
    const noImage = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      ...(await form([['numAug', '1']])),
    });
    expect(noImage.statusCode).toBe(400);
    expect(noImage.json().error.code).toBe('no-image');
    const json = await app.inject({ method: 'POST', url: '/v1/poses', payload: { image: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error).toMatchObject({
      code: 'unsupported-image',
      message: expect.stringContaining('multipart/form-data'),
    });
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .gif()
      .toBuffer();
    const r = await postRaw(app, '/v1/poses', gif, 'image/png');
    expect(r.statusCode).toBe(415);
    expect(r.json().error.message).toContain('gif');
  });

  it('413 for too many bytes (raw and multipart) and too many pixels, from the header alone', async () => {
    const app = await makeApp({ maxBodyBytes: 50_000, maxPixels: 1_000_000 });
    const raw = await postRaw(app, '/v1/poses', JPEG); // 65 kB
    expect(raw.statusCode).toBe(413);
    expect(raw.json().error.code).toBe('body-too-large');
    const multi = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      ...(await form([['image', JPEG]])),
    });
    expect(multi.statusCode).toBe(413);
    expect(multi.json().error.code).toBe('body-too-large');
    // 4000×4000 grey compresses to a few kB: a decompression bomb in miniature.
    const bomb = await sharp({
      create: { width: 4000, height: 4000, channels: 3, background: '#777' },
    })
      .webp({ lossless: true })
      .toBuffer();
    expect(bomb.length).toBeLessThan(50_000);
    const big = await postRaw(app, '/v1/poses', bomb, 'image/webp');
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toMatchObject({
      code: 'image-too-large',
      message: expect.stringContaining('4000×4000'),
    });
  });
});

describe('POST /v1/poses/batch', () => {
  it('answers each image, reporting failures per item', async () => {
    const app = await makeApp();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/poses/batch?numAug=1',
      ...(await form([
        ['images', JPEG, 'a.jpg'],
        ['images', Buffer.from('garbage'), 'b.jpg'],
        ['images', JPEG, 'c.jpg'],
      ])),
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.images).toBe(3);
    expect(body.failed).toBe(1);
    expect(body.results.map((x: { image: string }) => x.image)).toEqual([
      'a.jpg',
      'b.jpg',
      'c.jpg',
    ]);
    expect(body.results[0]).toMatchObject({ format: 'metrabs-result', people: 1 });
    expect(body.results[1]).toEqual({
      image: 'b.jpg',
      error: { code: 'bad-image', message: expect.any(String) },
    });
  });

  it('refuses too many images and a bad option for the whole request', async () => {
    const app = await makeApp({ maxBatchImages: 2 });
    const many = await app.inject({
      method: 'POST',
      url: '/v1/poses/batch',
      ...(await form([
        ['images', JPEG],
        ['images', JPEG],
        ['images', JPEG],
      ])),
    });
    expect(many.statusCode).toBe(413);
    expect(many.json().error.code).toBe('too-many-images');
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/poses/batch?skeleton=nope',
      ...(await form([['images', JPEG]])),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('unknown-skeleton');
  });
});

describe('limits and access', () => {
  it('503 with Retry-After when the queue is full; the queue drains afterwards', async () => {
    const slow = new FakeEstimator();
    slow.hold();
    const app = await makeApp({ maxQueue: 1, retryAfterSeconds: 3 }, [slow]);
    const first = postRaw(app, '/v1/poses', JPEG);
    const second = postRaw(app, '/v1/poses', JPEG);
    const pool = app.metrabs.state.pool!;
    await until(() => pool.stats().busy === 1 && pool.stats().waiting === 1);
    const third = await postRaw(app, '/v1/poses', JPEG);
    expect(third.statusCode).toBe(503);
    expect(third.headers['retry-after']).toBe('3');
    expect(third.json().error.code).toBe('overloaded');
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/poses/batch',
      ...(await form([['images', JPEG]])),
    });
    expect(batch.statusCode).toBe(503);
    const during = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(during).toContain('metrabs_queue_depth 1');
    expect(during).toContain('metrabs_estimators_busy 1');
    slow.release();
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
    expect(slow.calls).toBe(2);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'metrabs_http_requests_total{route="/v1/poses",method="POST",status="200",outcome="ok"} 2',
    );
    expect(metrics).toContain(
      'metrabs_http_requests_total{route="/v1/poses",method="POST",status="503",outcome="overloaded"} 1',
    );
    expect(metrics).toContain(
      'metrabs_http_requests_total{route="/v1/poses/batch",method="POST",status="503",outcome="overloaded"} 1',
    );
    expect(metrics).toMatch(/metrabs_inference_duration_seconds_count\{outcome="ok"\} 2/);
    expect(metrics).toContain('metrabs_queue_depth 0');
  });

  it('503 timeout when an image waits or works past the time limit', async () => {
    const slow = new FakeEstimator();
    slow.hold();
    const app = await makeApp({ requestTimeoutMs: 150 }, [slow]);
    const started = Date.now();
    const [working, waiting] = await Promise.all([
      postRaw(app, '/v1/poses', JPEG),
      postRaw(app, '/v1/poses', JPEG),
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const r of [working, waiting]) {
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('timeout');
      expect(r.headers['retry-after']).toBe('1');
    }
    slow.release();
    await until(() => app.metrabs.state.pool!.stats().busy === 0);
    expect((await postRaw(app, '/v1/poses', JPEG)).statusCode).toBe(200);
  });

  it('401 without the bearer token when one is set; the probes stay open', async () => {
    const app = await makeApp({ token: 's3cret' });
    const none = await postRaw(app, '/v1/poses', JPEG);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json().error.code).toBe('unauthorized');
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      headers: { 'content-type': 'image/jpeg', authorization: 'Bearer nope' },
      payload: JPEG,
    });
    expect(wrong.statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const right = await app.inject({
      method: 'POST',
      url: '/v1/poses',
      headers: { 'content-type': 'image/jpeg', authorization: 'Bearer s3cret' },
      payload: JPEG,
    });
    expect(right.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({
      status: 'ready',
      estimators: 1,
    });
  });

  it('sends no CORS headers unless an origin is configured', async () => {
    const headers = { origin: 'https://app.example', 'access-control-request-method': 'POST' };
    const closed = await makeApp();
    const r1 = await closed.inject({ method: 'OPTIONS', url: '/v1/poses', headers });
    expect(r1.headers['access-control-allow-origin']).toBeUndefined();
    const open = await makeApp({ corsOrigins: ['https://app.example'], token: 't' });
    const r2 = await open.inject({ method: 'OPTIONS', url: '/v1/poses', headers });
    expect(r2.statusCode).toBeLessThan(300);
    expect(r2.headers['access-control-allow-origin']).toBe('https://app.example');
    const r3 = await open.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://evil.example' },
    });
    expect(r3.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('/readyz is 503 until the model is loaded, and says why loading failed', async () => {
    const app = await buildApp(serverConfig({ model: '/nonexistent/model' }));
    apps.push(app);
    const loading = await app.inject({ method: 'GET', url: '/readyz' });
    expect(loading.statusCode).toBe(503);
    expect(loading.json().error).toMatchObject({
      code: 'not-ready',
      message: 'the model is still loading',
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await postRaw(app, '/v1/poses', JPEG)).statusCode).toBe(503);
    await expect(app.metrabs.load()).rejects.toThrow(/nonexistent/);
    const failed = await app.inject({ method: 'GET', url: '/readyz' });
    expect(failed.statusCode).toBe(503);
    expect(failed.json().error.message).toMatch(/could not be loaded: .*nonexistent/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const app = await makeApp();
    const r = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('not-found');
  });
});

describe('GET /docs', () => {
  it('lists both POST routes with their option and body schemas', async () => {
    const app = await makeApp({ maxBatchImages: 7 });
    const doc = (await app.inject({ method: 'GET', url: '/docs' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    const single = doc.paths['/v1/poses'].post;
    const batch = doc.paths['/v1/poses/batch'].post;
    const numAug = single.parameters.find((p: { name: string }) => p.name === 'numAug');
    expect(numAug).toMatchObject({
      in: 'query',
      schema: { type: 'integer', minimum: 1, maximum: 100 },
    });
    expect(Object.keys(single.requestBody.content)).toEqual([
      'multipart/form-data',
      'image/jpeg',
      'image/png',
      'image/webp',
    ]);
    expect(single.requestBody.content['multipart/form-data'].schema.properties.image.format).toBe(
      'binary',
    );
    expect(batch.requestBody.content['multipart/form-data'].schema.required).toEqual(['images']);
    expect(batch.description).toContain('up to 7 images');
    expect(single.responses['503'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/Error',
    );
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain(
      'overloaded',
    );
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/poses',
      '/v1/poses/batch',
    ]);
  });
});

describe('graceful close (a real socket)', () => {
  it('finishes the request in flight, refuses new connections, then closes', async () => {
    const slow = new FakeEstimator();
    slow.hold();
    const server = await startServer(serverConfig({ port: 0 }), {
      estimators: [slow],
      model: MODEL,
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const inFlight = fetch(`${server.url}/v1/poses`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: JPEG,
    });
    await until(() => slow.calls === 1);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    slow.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { people: number }).people).toBe(1);
    await closing;
    expect(closed).toBe(true);
  });
});
