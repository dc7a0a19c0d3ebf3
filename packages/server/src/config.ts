/**
 * The server's configuration: every limit in one record with its default. `metrabs serve`
 * fills it from its options; `startServer` and `buildApp` read it. Pure.
 */
import { availableParallelism } from 'node:os';

export interface ServerConfig {
  /** Address to listen on (default 127.0.0.1: loopback only). */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Model package directory (default: the runtime's default model). */
  model?: string;
  /** YOLOX-Nano ONNX file (default: the runtime's search: METRABS_DETECTOR, the cache). */
  detector?: string;
  /** Estimators working at once (each with its own ONNX Runtime sessions; default: the cores, at most 4). */
  estimators: number;
  /** ONNX Runtime threads per session (default: the cores divided among the estimators). */
  threads?: number;
  /** Images waiting for an estimator at most; more get `503` with `Retry-After`. */
  maxQueue: number;
  /** Largest request body in bytes (a whole multipart request, or a raw image). */
  maxBodyBytes: number;
  /** Largest image in pixels (width × height), checked before decoding. */
  maxPixels: number;
  /** Images in one `POST /v1/poses/batch` at most. */
  maxBatchImages: number;
  /** Time from arrival to answer before a request gets `503` (waiting plus working). */
  requestTimeoutMs: number;
  /** Seconds sent in `Retry-After` with a `503`. */
  retryAfterSeconds: number;
  /** Allowed CORS origins; empty (the default): no CORS headers at all. */
  corsOrigins: string[];
  /** When set, every route but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Longest wait for in-flight work on shutdown before giving up. */
  shutdownTimeoutMs: number;
  /** Log requests (pino, one JSON line each) to stderr. */
  log: boolean;
}

/** The cores of this machine (at least 1). */
export function cores(): number {
  return Math.max(1, availableParallelism());
}

export const SERVER_DEFAULTS: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  // One estimator per core (each with its own sessions), capped: every one holds the model.
  estimators: Math.min(cores(), 4),
  maxQueue: 32,
  maxBodyBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxBatchImages: 16,
  requestTimeoutMs: 30_000,
  retryAfterSeconds: 1,
  corsOrigins: [],
  shutdownTimeoutMs: 30_000,
  log: false,
};

/** The defaults with `overrides` on top (undefined values keep the default). */
export function serverConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...SERVER_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  return config;
}

/** ONNX Runtime threads per session: the cores shared among the estimators. */
export function threadsPerEstimator(config: Pick<ServerConfig, 'estimators' | 'threads'>): number {
  return config.threads ?? Math.max(1, Math.floor(cores() / config.estimators));
}
