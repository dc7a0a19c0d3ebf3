/**
 * Prometheus metrics at `GET /metrics` (prom-client, a registry of the app's own): requests
 * and their latency by route and status, the estimator queue's depth and busy estimators, the
 * time spent in the pipeline per image, and the process metrics (memory, CPU, event loop).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from '../pool.js';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Seconds one image spent in the pipeline (decoding included), by outcome. */
  observeInference(seconds: number, outcome: 'ok' | 'error'): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
  interface FastifyRequest {
    startedAt?: bigint;
  }
}

export interface MetricsOptions {
  /** The pool's state now, or undefined while the model loads. */
  poolStats: () => PoolStats | undefined;
}

async function metricsPlugin(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'metrabs_' });
  const requests = new Counter({
    name: 'metrabs_http_requests_total',
    help: 'HTTP requests answered, by route, method, status and outcome (ok, or the error code)',
    labelNames: ['route', 'method', 'status', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'metrabs_http_request_duration_seconds',
    help: 'Time from request to answer, by route and outcome (ok, or the error code)',
    labelNames: ['route', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const inference = new Histogram({
    name: 'metrabs_inference_duration_seconds',
    help: 'Time one image spends in the pose pipeline (decode, detect, crops, network), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'metrabs_queue_depth',
    help: 'Images waiting for a free estimator',
    registers: [registry],
    collect() {
      this.set(options.poolStats()?.waiting ?? 0);
    },
  });
  new Gauge({
    name: 'metrabs_estimators_busy',
    help: 'Estimators working on an image',
    registers: [registry],
    collect() {
      this.set(options.poolStats()?.busy ?? 0);
    },
  });
  new Gauge({
    name: 'metrabs_estimators',
    help: 'Estimators in the pool (0 while the model loads)',
    registers: [registry],
    collect() {
      this.set(options.poolStats()?.size ?? 0);
    },
  });

  app.decorate('metrics', {
    registry,
    observeInference: (seconds, outcome) => inference.observe({ outcome }, seconds),
  } satisfies ServiceMetrics);

  app.addHook('onRequest', async (request) => {
    request.startedAt = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    const status = String(reply.statusCode);
    const outcome = request.outcome ?? (reply.statusCode < 400 ? 'ok' : 'error');
    requests.inc({ route, method: request.method, status, outcome });
    if (request.startedAt !== undefined) {
      const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
      latency.observe({ route, outcome }, seconds);
    }
  });

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}

export default fp(metricsPlugin, { name: 'metrabs-metrics', dependencies: ['metrabs-errors'] });
