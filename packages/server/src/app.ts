/**
 * The HTTP service as a Fastify instance: plugins for errors, auth, CORS, metrics and uploads,
 * the pose routes, the probes and the OpenAPI document at `/docs` (made by @fastify/swagger
 * from the route schemas). The model loads on `app.metrabs.load()` (after listening, see
 * startServer) while `/healthz` answers and `/readyz` says when poses can be had; closing
 * refuses new work and waits for what runs.
 */
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { ResultModelInfo } from '@metrabs/runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ServerConfig, threadsPerEstimator } from './config.js';
import { ERROR_BODY_SCHEMA } from './errors.js';
import { openEstimators, type PoseEstimatorLike } from './estimate.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import uploadsPlugin from './plugins/uploads.js';
import { EstimatorPool } from './pool.js';
import healthRoutes from './routes/health.js';
import poseRoutes from './routes/poses.js';
import { formatSchemaErrors } from './schema-errors.js';
import type { ServiceState } from './state.js';

export interface AppOptions {
  /** Ready estimators (e.g. stand-ins in tests) instead of loading `config.model`. */
  estimators?: PoseEstimatorLike[];
  /** The model as result documents record it; needed with `estimators`. */
  model?: ResultModelInfo;
}

export interface MetrabsService {
  readonly state: ServiceState;
  /**
   * Loads the model (once; at once when `estimators` were given) and settles when it is
   * loaded, or rejects with the loading error. Until then the pose routes and `/readyz`
   * answer 503.
   */
  load(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrabs: MetrabsService;
  }
}

const VERSION = '0.1.0';

export async function buildApp(
  config: ServerConfig,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const state: ServiceState = {};
  const app = Fastify({
    logger: config.log ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: config.maxBodyBytes,
    // Requests arriving while closing get 503; idle keep-alive connections are dropped.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      // Unknown options are errors, not silently dropped.
      customOptions: { removeAdditional: false },
    },
    schemaErrorFormatter: formatSchemaErrors,
  });

  await app.register(errorsPlugin, { retryAfterSeconds: config.retryAfterSeconds });
  app.addSchema(ERROR_BODY_SCHEMA);
  await app.register(swagger, {
    // Shared schemas keep their $id as their name in components.schemas.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json['$id'] ?? `def-${i}`),
    },
    openapi: {
      info: {
        title: 'metrabs',
        version: VERSION,
        description:
          'Absolute 3D human poses (MeTRAbs): every person in an image, joints in millimetres in the camera frame.',
      },
      ...(config.token
        ? {
            components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
  });
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After'],
    });
  }
  await app.register(authPlugin, { token: config.token });
  await app.register(metricsPlugin, { poolStats: () => state.pool?.stats() });
  await app.register(uploadsPlugin, { maxBodyBytes: config.maxBodyBytes });
  await app.register(healthRoutes, { state });
  await app.register(poseRoutes, { state, config });
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());

  let loading: Promise<void> | undefined;
  if (options.estimators) {
    if (!options.model) throw new Error('buildApp: `model` is needed with `estimators`');
    state.pool = new EstimatorPool(options.estimators, config.maxQueue);
    state.model = options.model;
    loading = Promise.resolve();
  }
  const load = (): Promise<void> => {
    loading ??= openEstimators({
      model: config.model,
      detector: config.detector,
      count: config.estimators,
      threads: threadsPerEstimator(config),
    }).then(
      ({ estimators, model }) => {
        state.model = model;
        state.pool = new EstimatorPool<PoseEstimatorLike>(estimators, config.maxQueue);
      },
      (error: unknown) => {
        state.loadError = (error as Error).message;
        throw error;
      },
    );
    return loading;
  };
  app.decorate('metrabs', { state, load } satisfies MetrabsService);

  // Shutdown: refuse new work first, then wait (bounded) for the images accepted so far.
  let drained: Promise<void> = Promise.resolve();
  app.addHook('preClose', async () => {
    state.closing = true;
    drained = state.pool?.close() ?? Promise.resolve();
  });
  // Answers sent while closing end their connection, so keep-alive clients do not hold it open.
  app.addHook('onSend', async (_request, reply) => {
    if (state.closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, config.shutdownTimeoutMs);
    });
    await Promise.race([drained, giveUp]);
    clearTimeout(timer);
  });
  return app;
}
