/**
 * Running the service: `startServer` listens, then waits for the model (so a bad port fails
 * in milliseconds and a missing model fails before the server calls itself ready), and
 * `closeOnSignals` turns SIGTERM / SIGINT into a graceful close.
 */
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from './app.js';
import type { ServerConfig } from './config.js';

export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` it listens on (the real port when `port` was 0). */
  url: string;
  /** Refuses new requests, finishes those in flight, releases the port. */
  close(): Promise<void>;
}

/**
 * Builds the app, listens and loads the model. Throws the listen error (`code` EADDRINUSE,
 * EACCES, …) or the model's loading error; the port is released again in both cases.
 */
export async function startServer(
  config: ServerConfig,
  options: AppOptions = {},
): Promise<RunningServer> {
  const app = await buildApp(config, options);
  try {
    await app.listen({ host: config.host, port: config.port });
    await app.metrabs.load();
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}

/**
 * Closes `app` gracefully on the first of `signals`; resolves with that signal once closed.
 * A second signal during the close ends the process at once (`onForce`).
 */
export function closeOnSignals(
  app: FastifyInstance,
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
  onForce: () => void = () => process.exit(1),
): Promise<NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    let closing = false;
    const handler = (signal: NodeJS.Signals) => {
      if (closing) {
        onForce();
        return;
      }
      closing = true;
      app.close().then(() => {
        for (const s of signals) process.off(s, handler);
        resolve(signal);
      }, reject);
    };
    for (const s of signals) process.on(s, handler);
  });
}
