/**
 * `metrabs synth`: renders N examples of one split into a dataset folder, in whole shards.
 *
 * Resumable by construction: example i's content depends only on (seed, split, i), a shard is
 * listed in the manifest only once complete, and a re-run cleans leftovers of a crashed run and
 * renders only the shards that are not listed. With `workers > 1` child processes render and
 * this process writes (one writer keeps the manifest consistent).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolveAssetRoot } from './assets.js';
import type { ImageExt, SplitName } from './dataset/labels.js';
import { exampleKey, shardExampleRange, skeletonInfo } from './dataset/labels.js';
import { DatasetWriter, type ShardExample, writeSplitsFile } from './dataset/writer-node.js';
import { SynthError } from './errors.js';
import {
  DEFAULT_GALLERY_SHARE,
  DEFAULT_GENERATOR_OPTIONS,
  ExampleGenerator,
  type GeneratedExample,
} from './generate-node.js';
import { splitPlan } from './inventory-node.js';
import { CANONICAL } from './joints.js';
import { listPoseGalleries } from './motion/catalog-node.js';
import { DEFAULT_SCENE_OPTIONS, type SceneOptions } from './scene.js';
import type { SplitAssignment } from './splits.js';

export const SYNTH_VERSION = 1;

export interface SynthRunOptions {
  outDir: string;
  count: number;
  split: SplitName;
  seed: number;
  workers?: number;
  assetRoot?: string;
  width?: number;
  height?: number;
  examplesPerShard?: number;
  /** Scene settings that differ from `DEFAULT_SCENE_OPTIONS` (e.g. people per image). */
  scene?: Partial<SceneOptions>;
  /** Only these motion capture sources (default all; `['cmu']` for commercially usable data). */
  motionSources?: ('cmu' | 'bandai')[];
  /** A folder of pose galleries lifted from real photos (see `GeneratorOptions.poseGalleries`). */
  poseGalleries?: string;
  /** Fraction of people posed from the galleries (default `DEFAULT_GALLERY_SHARE`). */
  galleryShare?: number;
  /** See `GeneratorOptions.trainAppearance`. */
  trainAppearance?: 'split' | 'all';
  /**
   * Called once before rendering and after every example: `done` of `total` images rendered by
   * this run, `skipped` already present from earlier runs, `people` labelled in the last image.
   */
  onProgress?: (p: { done: number; total: number; skipped: number; people: number }) => void;
  /** Stop early (e.g. on Ctrl-C): shards in progress are discarded, completed ones kept. */
  signal?: AbortSignal;
}

export interface SynthRunResult {
  outDir: string;
  /** Examples rendered by this run. */
  rendered: number;
  /** Examples already present from earlier runs. */
  skipped: number;
  shards: number;
  seconds: number;
  cleaned: string[];
}

/** Settings that must match when a run resumes (they change what is rendered). */
function generatorRecord(o: {
  seed: number;
  width: number;
  height: number;
  scene: SceneOptions;
  motionSources?: string[];
  galleries?: { files: number; share: number };
  trainAppearance?: 'split' | 'all';
}) {
  return {
    tool: 'metrabs synth',
    version: SYNTH_VERSION,
    seed: o.seed,
    width: o.width,
    height: o.height,
    scene: o.scene,
    // Recorded only when restricted, so datasets made before the option existed still resume.
    ...(o.motionSources ? { motion_sources: o.motionSources } : {}),
    ...(o.galleries ? { pose_galleries: o.galleries } : {}),
    ...(o.trainAppearance === 'all' ? { train_appearance: 'all' } : {}),
  };
}

/** The licence line of the manifest: what the rendered data inherits from its assets. */
export function datasetLicense(motionSources: readonly string[], galleries = false): string {
  const motion = [
    motionSources.includes('cmu') ? 'CMU motion capture (CMU terms)' : null,
    motionSources.includes('bandai')
      ? 'Bandai Namco motion (CC BY-NC 4.0: the data is non-commercial)'
      : null,
    galleries ? 'poses lifted from LSP Extended labels (research use only)' : null,
  ].filter((x) => x !== null);
  return (
    `Mixed: ${motion.join(', ')}, MakeHuman CC0 assets with AGPL-derived 512-px textures, ` +
    'background photos under their own licences — see docs/synth.md'
  );
}

export async function runSynth(options: SynthRunOptions): Promise<SynthRunResult> {
  const t0 = performance.now();
  const width = options.width ?? DEFAULT_GENERATOR_OPTIONS.width;
  const height = options.height ?? DEFAULT_GENERATOR_OPTIONS.height;
  const perShard = options.examplesPerShard ?? 100;
  if (!(Number.isSafeInteger(options.count) && options.count >= 1)) {
    throw new SynthError('bad-option', `--count must be a positive integer, got ${options.count}`);
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new SynthError('bad-option', `--seed must be an integer, got ${options.seed}`);
  }
  const workers = Math.max(1, Math.min(options.workers ?? 1, availableParallelism()));
  const assetRoot = resolveAssetRoot(options.assetRoot);
  const { assignment, notes } = splitPlan(assetRoot, options.poseGalleries);
  const galleryShare = options.galleryShare ?? DEFAULT_GALLERY_SHARE;
  if (!(galleryShare >= 0 && galleryShare <= 1)) {
    throw new SynthError('bad-option', `--pose-share must be in [0, 1], got ${galleryShare}`);
  }
  const galleries = options.poseGalleries
    ? { files: listPoseGalleries(options.poseGalleries).length, share: galleryShare }
    : undefined;
  const scene: SceneOptions = { ...DEFAULT_SCENE_OPTIONS, ...options.scene };

  const writer = await DatasetWriter.open({
    outDir: options.outDir,
    name: 'metrabs-synth',
    skeleton: skeletonInfo(CANONICAL.name),
    license: datasetLicense(options.motionSources ?? ['cmu', 'bandai'], galleries !== undefined),
    sources: [
      'MakeHuman hm08 body, default rig, skins, clothes, hair (../shared/data/body/makehuman)',
      'CMU mocap (iClone BVH) and Bandai Namco Research Motion Dataset (../shared/data/mocap)',
      'Background photos from Debian packages (../shared/data/backgrounds)',
      ...(galleries
        ? ['Poses lifted from LSP Extended 2D labels (training/metrabs_train/lift_lspet.py)']
        : []),
    ],
    generator: generatorRecord({
      seed: options.seed,
      width,
      height,
      scene,
      motionSources: options.motionSources,
      galleries,
      trainAppearance: options.trainAppearance,
    }),
    examplesPerShard: perShard,
  });
  const cleaned = await writer.cleanPartials();
  await writeSplitsFile(options.outDir, assignment, {
    notes: [`asset root: ${assetRoot}`, ...notes],
  });

  const shardCount = Math.ceil(options.count / perShard);
  const done = writer.completedShards(options.split);
  const pending: number[] = [];
  let skipped = 0;
  for (let s = 0; s < shardCount; s++) {
    const [a, b] = shardExampleRange(s, perShard, options.count);
    if (done.has(s)) skipped += b - a;
    else pending.push(s);
  }
  const total = options.count - skipped;
  let rendered = 0;
  const progress = (people = 0) => options.onProgress?.({ done: rendered, total, skipped, people });
  progress();

  const job = {
    assetRoot,
    assignment,
    split: options.split,
    seed: options.seed,
    width,
    height,
    perShard,
    count: options.count,
    scene,
    motionSources: options.motionSources,
    poseGalleries: options.poseGalleries,
    galleryShare,
    trainAppearance: options.trainAppearance,
  };
  const produce =
    workers === 1 ? await inProcessProducer(job) : await processPoolProducer(job, workers);
  try {
    const queue = [...pending];
    const lanes = Array.from({ length: Math.min(workers, queue.length) }, async (_, lane) => {
      while (queue.length > 0) {
        if (options.signal?.aborted) return;
        const shard = queue.shift()!;
        const examples = produce(lane, shard, options.signal);
        await writer.writeShard(
          options.split,
          shard,
          (async function* () {
            for await (const ex of examples) {
              yield toShardExample(ex);
              rendered++;
              progress(ex.labels.people.length);
            }
          })(),
        );
      }
    });
    await Promise.all(lanes);
  } finally {
    await produce.close();
  }
  if (options.signal?.aborted) {
    throw new SynthError('bad-option', 'interrupted: completed shards are kept, re-run to resume');
  }
  return {
    outDir: options.outDir,
    rendered,
    skipped,
    shards: shardCount,
    seconds: (performance.now() - t0) / 1000,
    cleaned,
  };
}

function toShardExample(ex: GeneratedExample): ShardExample {
  return { key: ex.key, image: ex.jpeg, imageExt: 'jpg' as ImageExt, labels: ex.labels };
}

/** Everything a producer needs to render a shard (plain data: it crosses process boundaries). */
export interface ShardJob {
  assetRoot: string;
  assignment: SplitAssignment;
  split: SplitName;
  seed: number;
  width: number;
  height: number;
  perShard: number;
  count: number;
  scene: SceneOptions;
  motionSources?: ('cmu' | 'bandai')[];
  poseGalleries?: string;
  galleryShare?: number;
  trainAppearance?: 'split' | 'all';
}

type Producer = ((
  lane: number,
  shard: number,
  signal?: AbortSignal,
) => AsyncIterable<GeneratedExample>) & {
  close(): Promise<void>;
};

/** Renders the examples of one shard in order. */
export async function* renderShard(
  generator: ExampleGenerator,
  job: ShardJob,
  shard: number,
  signal?: AbortSignal,
): AsyncGenerator<GeneratedExample> {
  const [start, end] = shardExampleRange(shard, job.perShard, job.count);
  for (let i = start; i < end; i++) {
    if (signal?.aborted) throw new SynthError('bad-option', 'interrupted');
    yield await generator.generate(job.seed, shard, i, exampleKey(i));
  }
}

export async function createGenerator(job: ShardJob): Promise<ExampleGenerator> {
  return ExampleGenerator.create({
    ...DEFAULT_GENERATOR_OPTIONS,
    assetRoot: job.assetRoot,
    split: job.split,
    assignment: job.assignment,
    width: job.width,
    height: job.height,
    scene: job.scene,
    motionSources: job.motionSources,
    poseGalleries: job.poseGalleries,
    galleryShare: job.galleryShare,
    trainAppearance: job.trainAppearance,
  });
}

async function inProcessProducer(job: ShardJob): Promise<Producer> {
  const generator = await createGenerator(job);
  return Object.assign(
    (_lane: number, shard: number, signal?: AbortSignal) =>
      renderShard(generator, job, shard, signal),
    { close: async () => generator.dispose() },
  );
}

/** Messages from a worker process. */
type WorkerMessage =
  | { type: 'ready' }
  | { type: 'example'; example: GeneratedExample }
  | { type: 'shard-done' }
  | { type: 'error'; message: string; code?: string };

async function processPoolProducer(job: ShardJob, n: number): Promise<Producer> {
  // Built (dist/*.js) the worker is JavaScript; from the sources it is TypeScript, loaded through
  // tsx (resolved from here, not from the cwd) with workspace packages resolved to sources.
  const fromSources = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(
    new URL(`./worker-node.${fromSources ? 'ts' : 'js'}`, import.meta.url),
  );
  const execArgv = fromSources
    ? ['--conditions=@metrabs/source', '--import', import.meta.resolve('tsx')]
    : [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const child = fork(script, [], {
      serialization: 'advanced',
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
  }
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('message', (m: WorkerMessage) =>
            m.type === 'ready' ? resolve() : reject(workerError(m)),
          );
          child.once('exit', (code) =>
            reject(new SynthError('renderer', `render worker exited (${code})`)),
          );
          child.send({ type: 'init', job });
        }),
    ),
  );
  const produce = (lane: number, shard: number, signal?: AbortSignal) => {
    const child = children[lane]!;
    return (async function* () {
      const inbox: WorkerMessage[] = [];
      let wake: (() => void) | null = null;
      const onMessage = (m: WorkerMessage) => {
        inbox.push(m);
        wake?.();
      };
      const onExit = (code: number | null) => {
        inbox.push({ type: 'error', message: `render worker exited (${code})` });
        wake?.();
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ type: 'shard', shard });
      try {
        for (;;) {
          if (signal?.aborted) throw new SynthError('bad-option', 'interrupted');
          if (inbox.length === 0) await new Promise<void>((r) => (wake = r));
          wake = null;
          const m = inbox.shift()!;
          if (m.type === 'example') yield reviveExample(m.example);
          else if (m.type === 'shard-done') return;
          else if (m.type === 'error') throw workerError(m);
        }
      } finally {
        child.off('message', onMessage);
        child.off('exit', onExit);
      }
    })();
  };
  const close = async () => {
    for (const child of children) {
      if (child.connected) child.send({ type: 'exit' });
    }
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
    );
  };
  return Object.assign(produce, { close });
}

function reviveExample(e: GeneratedExample): GeneratedExample {
  // Buffers arrive as Uint8Arrays through structured clone.
  return { ...e, jpeg: Buffer.from(e.jpeg.buffer, e.jpeg.byteOffset, e.jpeg.byteLength) };
}

function workerError(m: WorkerMessage): SynthError {
  if (m.type !== 'error') return new SynthError('renderer', `unexpected worker message ${m.type}`);
  const code = (m.code ?? 'renderer') as ConstructorParameters<typeof SynthError>[0];
  return new SynthError(code, m.message);
}
