/** The probes: `/healthz` (the process answers) and `/readyz` (the model is loaded and work is accepted). */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { ServiceState } from '../state.js';

const STATUS_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string' },
    estimators: { type: 'integer' },
    busy: { type: 'integer' },
    waiting: { type: 'integer' },
  },
} as const;

export default async function healthRoutes(
  app: FastifyInstance,
  options: { state: ServiceState },
): Promise<void> {
  const { state } = options;
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: { 200: STATUS_SCHEMA },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        summary: 'Readiness: the model is loaded and new work is accepted',
        tags: ['operations'],
        response: { 200: STATUS_SCHEMA, 503: { $ref: 'Error#' } },
      },
    },
    async () => {
      const pool = state.pool;
      if (state.closing || pool?.closed) {
        throw new ApiError('shutting-down', 'the server is shutting down');
      }
      if (state.loadError !== undefined) {
        throw new ApiError('not-ready', `the model could not be loaded: ${state.loadError}`);
      }
      if (pool === undefined) throw new ApiError('not-ready', 'the model is still loading');
      const { size, busy, waiting } = pool.stats();
      return { status: 'ready', estimators: size, busy, waiting };
    },
  );
}
