/**
 * `metrabs worker`: runs batch jobs from a Redis queue until stopped (Ctrl-C or SIGTERM: the
 * running jobs finish first; a second signal abandons them to other workers) or, with
 * `--until-empty`, until nothing is left. One line a job on stderr.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { CliError, EXIT, EXIT_CODE_HELP, type ExitCode, InputError, oneLine } from '../errors.js';
import { parsePositiveInt, parseThreads } from '../options.js';
import { type Estimator, type ModelOptions, openEstimator } from '../pipeline.js';
import type { Io } from './detect.js';

export interface WorkerOptions extends Pick<ModelOptions, 'model' | 'detector' | 'threads'> {
  redis: string;
  queue?: string;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  untilEmpty?: boolean;
}

/** Short-lived commands and workers alike: a Redis that cannot be reached is an I/O error. */
export async function redisErrors<T>(work: () => Promise<T>): Promise<T> {
  const { RedisUnavailableError } = await import('@metrabs/server');
  try {
    return await work();
  } catch (e) {
    if (e instanceof RedisUnavailableError) throw new InputError(e.message);
    throw e;
  }
}

export async function runWorkerCommand(options: WorkerOptions, io: Io): Promise<ExitCode> {
  const server = await import('@metrabs/server');
  const redis = await redisErrors(async () => server.checkRedisUrl(options.redis));
  const concurrency = options.concurrency ?? 1;
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
  const estimators: Estimator[] = [];
  let model: Awaited<ReturnType<typeof openEstimator>>['info'] | undefined;
  for (let i = 0; i < concurrency; i++) {
    const opened = await openEstimator({ ...options, threads });
    estimators.push(opened.estimator);
    model ??= opened.info;
  }
  const log = (line: string) => io.stderr(`${line}\n`);
  const worker = await redisErrors(() =>
    server.runWorker({
      redis,
      queue: options.queue,
      concurrency,
      opened: { estimators, model: model! },
      lockDurationMs: options.lockDuration,
      stalledIntervalMs: options.stalledInterval,
      untilEmpty: options.untilEmpty,
      log,
    }),
  );
  io.stderr(
    `metrabs: worker ${process.pid} on ${redis} (queue ${options.queue ?? server.DEFAULT_QUEUE}), ` +
      `${concurrency} at a time, model ${model!.dir} (${model!.backbone})\n`,
  );
  let signals = 0;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signal === 'SIGINT') interrupted = true;
    if (signals === 1) {
      log('metrabs: stopping after the running jobs (again to abandon them to other workers)');
      void worker.close();
    } else {
      void worker.close(true);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await worker.stopped;
  } catch (e) {
    throw new CliError(`the worker stopped: ${oneLine(e)}`, EXIT.unexpected);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const s = worker.stats();
  io.stderr(
    `metrabs: worker ${process.pid} stopped: ${s.completed} jobs done` +
      `${s.reused > 0 ? ` (${s.reused} already written by earlier attempts)` : ''}, ${s.failed} failed\n`,
  );
  return interrupted ? EXIT.interrupted : EXIT.ok;
}

/** Adds `worker`; returns it for the program's output setup. */
export function registerWorker(
  program: Command,
  io: Io,
  setExit: (code: ExitCode) => void,
): Command[] {
  const worker = program
    .command('worker')
    .description(
      'run batch jobs from a Redis queue (any number of workers, on any number of machines)',
    )
    .option('--redis <url>', 'Redis URL (default: $METRABS_REDIS, else redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name (default metrabs-batch)')
    .option(
      '--concurrency <n>',
      'jobs at once, each with its own model copy (default 1)',
      parsePositiveInt,
    )
    .option('--model <dir>', 'model package directory (default: models/default)')
    .option(
      '--detector <path>',
      'YOLOX-Nano ONNX file (default: $METRABS_DETECTOR, else the cache)',
    )
    .option(
      '--threads <n>',
      'ONNX Runtime threads per model (default: the cores shared among the jobs)',
      parseThreads,
    )
    .option('--until-empty', 'stop when no job is waiting or running (default: run until Ctrl-C)')
    .option(
      '--lock-duration <ms>',
      "how long a job's lock lasts without renewal: a dead worker's job is retried after it (default 30000)",
      parsePositiveInt,
    )
    .option(
      '--stalled-interval <ms>',
      'how often to look for jobs of dead workers (default 30000)',
      parsePositiveInt,
    )
    .addHelpText(
      'after',
      `
Ctrl-C or SIGTERM: finish the running jobs, then stop (again: stop now; the jobs go back to
the queue for other workers). Every worker must see the inputs and output folders at the
paths they were submitted with.

Examples:
  metrabs worker --redis redis://queue-host:6379 --concurrency 2
  metrabs worker --until-empty

${EXIT_CODE_HELP}`,
    )
    .action(async (options: WorkerOptions) => {
      setExit(
        await runWorkerCommand(
          {
            ...options,
            redis: options.redis || process.env['METRABS_REDIS'] || 'redis://127.0.0.1:6379',
          },
          io,
        ),
      );
    });
  return [worker];
}
