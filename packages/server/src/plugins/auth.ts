/**
 * Optional bearer-token auth: with a token configured, every route needs
 * `Authorization: Bearer <token>` except those marked `config: { public: true }` (the probes).
 * The comparison takes the same time whatever the token sent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the bearer token. */
    public?: boolean;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

async function authPlugin(app: FastifyInstance, options: { token?: string }): Promise<void> {
  const { token } = options;
  if (token === undefined || token === '') return;
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    // CORS preflights carry no credentials by design; they are answered by @fastify/cors.
    if (request.routeOptions.config?.public || request.method === 'OPTIONS') return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1]!), expected)) return;
    reply.header('www-authenticate', 'Bearer');
    throw new ApiError('unauthorized', 'missing or wrong bearer token (Authorization: Bearer …)');
  });
}

export default fp(authPlugin, { name: 'metrabs-auth', dependencies: ['metrabs-errors'] });
