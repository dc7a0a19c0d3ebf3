/**
 * `@metrabs/server` — MeTRAbs as an HTTP service (Fastify): `buildApp` for the app itself,
 * `startServer` to listen, `serverConfig` for the limits. Docs: docs/server.md.
 */
export { type AppOptions, buildApp, type MetrabsService } from './app.js';
export * from './batch/index.js';
export {
  cores,
  SERVER_DEFAULTS,
  type ServerConfig,
  serverConfig,
  threadsPerEstimator,
} from './config.js';
export { ApiError, type ApiErrorCode, type ErrorBody } from './errors.js';
export type { PoseEstimatorLike } from './estimate.js';
export { EstimatorPool, type PoolStats } from './pool.js';
export { closeOnSignals, type RunningServer, startServer } from './server.js';
