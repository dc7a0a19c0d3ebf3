/** The estimator pool's bounds and the request options' checks, without a model. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/errors.js';
import { EstimatorPool } from '../src/pool.js';
import { planPoses } from '../src/request-options.js';

const fake = { availableSkeletons: () => ['coco_19', 'smpl_24'] };

describe('EstimatorPool', () => {
  it('runs one job per estimator, queues up to maxQueue and refuses the rest', async () => {
    const pool = new EstimatorPool([fake], 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = pool.run(() => gate.then(() => 1));
    const second = pool.run(async () => 2);
    expect(pool.stats()).toEqual({ size: 1, busy: 1, waiting: 1 });
    await expect(pool.run(async () => 3)).rejects.toMatchObject({ code: 'overloaded' });
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(pool.stats()).toEqual({ size: 1, busy: 0, waiting: 0 });
  });

  it('times out waiters and refuses work after close, which waits for running work', async () => {
    const pool = new EstimatorPool([fake], 4);
    let done = false;
    const running = pool.run(() => new Promise((r) => setTimeout(r, 50)).then(() => (done = true)));
    await expect(pool.run(async () => 0, AbortSignal.timeout(5))).rejects.toMatchObject({
      code: 'timeout',
    });
    await pool.close();
    expect(done).toBe(true);
    await running;
    await expect(pool.run(async () => 0)).rejects.toMatchObject({ code: 'shutting-down' });
  });
});

describe('planPoses', () => {
  it('maps options to PoseOptions and the settings record', () => {
    const plan = planPoses({ numAug: 1, skeleton: 'coco_19', fov: 60 }, fake.availableSkeletons());
    expect(plan.options).toMatchObject({ numAug: 1, skeleton: 'coco_19', defaultFovDegrees: 60 });
    expect(plan.settings).toMatchObject({ numAug: 1, camera: { defaultFovDegrees: 60 } });
  });

  it.each([
    [{ skeleton: 'nope' }, 'unknown-skeleton'],
    [{ numAug: 0 }, 'bad-options'],
    [{ fov: 50, camera: {} }, 'bad-options'],
    [
      {
        camera: {
          intrinsic_matrix: [
            [1, 0, 0],
            [0, 1, 0],
          ],
        },
      },
      'bad-camera',
    ],
    [
      {
        camera: {
          intrinsic_matrix: [
            [Number.NaN, 0, 1],
            [0, 1, 1],
            [0, 0, 1],
          ],
        },
      },
      'bad-camera',
    ],
  ])('refuses %j with %s', (request, code) => {
    let error: unknown;
    try {
      planPoses(request, fake.availableSkeletons());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(code);
    expect((error as ApiError).statusCode).toBe(400);
  });
});
