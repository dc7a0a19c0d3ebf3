/**
 * `metrabs serve`: the HTTP service of `@metrabs/server` on a port, until SIGTERM or Ctrl-C,
 * which finish the requests in flight before exiting (0). A port in use or a bad address is
 * exit 3, a missing model or detector exit 4, like the other commands.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { EXIT, EXIT_CODE_HELP, type ExitCode, InputError } from '../errors.js';
import { intOption, parsePositiveInt, parseThreads } from '../options.js';
import { modelLoadError } from '../pipeline.js';
import type { Io } from './detect.js';

export interface ServeOptions {
  port: number;
  host: string;
  model?: string;
  detector?: string;
  workers?: number;
  threads?: number;
  queue?: number;
  maxBytes?: number;
  maxPixels?: number;
  maxBatch?: number;
  timeoutMs?: number;
  cors?: string[];
  token?: string;
  log?: boolean;
}

const TOKEN_ENV_VAR = 'METRABS_TOKEN';

/** `--cors`: an origin (`https://app.example:8443`) or `*`, repeatable. */
function collectOrigin(value: string, previous: string[] = []): string[] {
  const v = value.trim();
  let ok = v === '*';
  try {
    ok ||= new URL(v).origin === v;
  } catch {}
  if (!ok) {
    throw new InvalidArgumentError('expected an origin such as https://app.example, or *.');
  }
  return [...previous, v];
}

/** Adds `serve` to the program (its runner loads the server only when it runs). */
export function addServeCommand(
  program: Command,
  io: Io,
  setExit: (code: ExitCode) => void,
): Command {
  return program
    .command('serve')
    .description('serve 3D pose estimation over HTTP (POST /v1/poses; docs: docs/server.md)')
    .option('--port <n>', 'TCP port (0: any free port)', intOption(0, 65535), 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--model <dir>', 'model package directory (default: models/default)')
    .option(
      '--detector <path>',
      'YOLOX-Nano ONNX file (default: $METRABS_DETECTOR, else ~/.cache/metrabs/yolox_nano.onnx)',
    )
    .option(
      '--workers <n>',
      'estimators working at once (default: the cores, at most 4)',
      parsePositiveInt,
    )
    .option(
      '--threads <n>',
      'ONNX Runtime threads per estimator (default: the cores / workers)',
      parseThreads,
    )
    .option(
      '--queue <n>',
      'images waiting for an estimator at most; more get 503 (default 32)',
      intOption(0),
    )
    .option('--max-bytes <n>', 'largest request body in bytes (default 20 MiB)', parsePositiveInt)
    .option(
      '--max-pixels <n>',
      'largest image in pixels, checked before decoding (default 40000000)',
      parsePositiveInt,
    )
    .option('--max-batch <n>', 'images per /v1/poses/batch request (default 16)', parsePositiveInt)
    .option(
      '--timeout-ms <n>',
      'time limit per request, waiting included; then 503 (default 30000)',
      parsePositiveInt,
    )
    .option(
      '--cors <origin>',
      'allow this browser origin (repeatable; * for any); default: no CORS headers',
      collectOrigin,
    )
    .option(
      '--token <token>',
      `require "Authorization: Bearer <token>" (default: $${TOKEN_ENV_VAR}; the env keeps it out of ps)`,
    )
    .option('--log', 'log every request as a JSON line on stderr')
    .addHelpText(
      'after',
      `
Answers POST /v1/poses (one image: multipart field "image", or the raw body with Content-Type
image/jpeg, image/png or image/webp; options as in detect, in the query or as form fields) with
the result document, and POST /v1/poses/batch (several files "images") with one per image.
GET /healthz, /readyz, /metrics (Prometheus) and /docs (OpenAPI). SIGTERM or Ctrl-C stop it
after the requests in flight are answered.

Examples:
  metrabs serve --port 8080
  curl -F image=@samples/synthetic-street.jpg -F numAug=1 localhost:8080/v1/poses
  METRABS_TOKEN=secret metrabs serve --host 0.0.0.0 --workers 2 --queue 8

${EXIT_CODE_HELP}`,
    )
    .action(async (options: ServeOptions) => {
      setExit(await runServe(options, io));
    });
}

export async function runServe(options: ServeOptions, io: Io): Promise<ExitCode> {
  const { closeOnSignals, serverConfig, startServer, threadsPerEstimator } = await import(
    '@metrabs/server'
  );
  const config = serverConfig({
    host: options.host,
    port: options.port,
    model: options.model,
    detector: options.detector,
    estimators: options.workers,
    threads: options.threads,
    maxQueue: options.queue,
    maxBodyBytes: options.maxBytes,
    maxPixels: options.maxPixels,
    maxBatchImages: options.maxBatch,
    requestTimeoutMs: options.timeoutMs,
    corsOrigins: options.cors,
    token: options.token ?? (process.env[TOKEN_ENV_VAR] || undefined),
    log: options.log,
  });
  const started = performance.now();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (e) {
    throw await startError(e, config.host, config.port);
  }
  const model = server.app.metrabs.state.model;
  io.stderr(
    `metrabs: model ${model?.dir ?? ''} (${model?.backbone}, ${model?.skeleton}) loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `${config.estimators} estimator(s) × ${threadsPerEstimator(config)} thread(s), queue ${config.maxQueue}` +
      `${config.token ? ', bearer token required' : ''}${config.corsOrigins.length ? `, CORS for ${config.corsOrigins.join(' ')}` : ''}\n`,
  );
  io.stderr(`metrabs: listening on ${server.url} (POST /v1/poses, docs at /docs); Ctrl-C stops\n`);
  const signal = await closeOnSignals(server.app);
  io.stderr(`metrabs: ${signal}: stopped after answering the requests in flight\n`);
  return EXIT.ok;
}

/** A listen error (exit 3) or a model error (exit 4), as one line. */
async function startError(e: unknown, host: string, port: number) {
  const code = (e as NodeJS.ErrnoException)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new InputError(
      `cannot listen on ${where}: the port is in use (choose another with --port)`,
    );
  }
  if (code === 'EACCES') {
    return new InputError(
      `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new InputError(`cannot listen on ${where}: no such local address (--host)`);
  }
  return modelLoadError(e);
}
