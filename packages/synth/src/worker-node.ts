/**
 * A render worker process for `runSynth` with several workers: receives the job once, then
 * renders the shards it is sent and streams their examples back to the writing process.
 */
import type { ExampleGenerator } from './generate-node.js';
import { createGenerator, renderShard, type ShardJob } from './run-node.js';

type Command =
  | { type: 'init'; job: ShardJob }
  | { type: 'shard'; shard: number }
  | { type: 'exit' };

let generator: ExampleGenerator | null = null;
let job: ShardJob | null = null;
let chain = Promise.resolve();

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())),
  );
}

function fail(e: unknown): Promise<void> {
  const err = e as { message?: string; code?: string };
  return send({ type: 'error', message: err?.message ?? String(e), code: err?.code });
}

process.on('message', (command: Command) => {
  chain = chain.then(async () => {
    try {
      if (command.type === 'init') {
        job = command.job;
        generator = await createGenerator(job);
        await send({ type: 'ready' });
      } else if (command.type === 'shard') {
        for await (const example of renderShard(generator!, job!, command.shard)) {
          await send({ type: 'example', example });
        }
        await send({ type: 'shard-done' });
      } else {
        generator?.dispose();
        process.exit(0);
      }
    } catch (e) {
      await fail(e);
    }
  });
});
process.on('disconnect', () => process.exit(0));
