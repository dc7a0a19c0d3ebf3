/**
 * `metrabs synth` (render a dataset split, resumable) and `metrabs synth preview` (a contact
 * sheet of fresh renders with their labels drawn).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, EXIT, type ExitCode, InputError, ModelError, UsageError } from '../errors.js';
import { createProgress } from '../progress.js';
import type { Io } from './detect.js';

type Synth = typeof import('@metrabs/synth');

export interface SynthOptions {
  out: string;
  count: number;
  split: string;
  seed: number;
  workers?: number;
  assets?: string;
  size?: number;
  shardSize?: number;
  progressEvery?: number;
  motion?: ('cmu' | 'bandai')[];
  poses?: string;
  poseShare?: number;
  trainAppearance?: 'split' | 'all';
}

const SPLITS = ['train', 'validation', 'test'] as const;

function checkSplit(split: string): (typeof SPLITS)[number] {
  if (!(SPLITS as readonly string[]).includes(split)) {
    throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  }
  return split as (typeof SPLITS)[number];
}

/** Maps the synth package's error codes onto the CLI's exit codes. */
function toCliError(e: unknown): unknown {
  const code = (e as { code?: string; name?: string })?.code;
  if ((e as { name?: string })?.name !== 'SynthError') return e;
  const message = (e as Error).message;
  if (code === 'bad-option') return new UsageError(message);
  if (code === 'renderer') return new ModelError(`renderer: ${message}`);
  return new InputError(message);
}

async function loadSynth(): Promise<Synth> {
  return import('@metrabs/synth');
}

export async function runSynthCommand(options: SynthOptions, io: Io): Promise<ExitCode> {
  const split = checkSplit(options.split);
  const synth = await loadSynth();
  // Created on the first report, once it is known how many images earlier runs left.
  let progress: ReturnType<typeof createProgress> | undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await synth.runSynth({
      outDir: resolve(options.out),
      count: options.count,
      split,
      seed: options.seed,
      workers: options.workers,
      assetRoot: options.assets,
      width: options.size,
      height: options.size,
      examplesPerShard: options.shardSize,
      motionSources: options.motion,
      poseGalleries: options.poses === undefined ? undefined : resolve(options.poses),
      galleryShare: options.poseShare,
      trainAppearance: options.trainAppearance,
      signal: controller.signal,
      onProgress: (p) => {
        if (!progress) {
          if (p.skipped > 0)
            io.stderr(`resuming: ${p.skipped} of ${options.count} images already there\n`);
          progress = createProgress(`synth ${split}`, p.total, {
            tty: process.stderr.isTTY === true,
            every: options.progressEvery ?? 50,
            write: io.stderr,
            unit: 'images',
          });
        }
        progress.update(p.done, p.people);
      },
    });
    progress?.stop();
    if (result.cleaned.length > 0) {
      io.stderr(`removed ${result.cleaned.length} unfinished file(s) of an interrupted run\n`);
    }
    io.stderr(
      `${result.rendered} images rendered in ${result.seconds.toFixed(1)} s` +
        `${result.skipped > 0 ? ` (${result.skipped} already there)` : ''} → ${result.outDir}\n`,
    );
    return EXIT.ok;
  } catch (e) {
    progress?.stop();
    if (controller.signal.aborted) {
      io.stderr(
        'metrabs: interrupted: completed shards are kept; run the same command to resume\n',
      );
      return EXIT.interrupted;
    }
    throw toCliError(e);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export interface PreviewOptions {
  out: string;
  count: number;
  split: string;
  seed: number;
  assets?: string;
  size?: number;
  columns?: number;
  poses?: string;
  poseShare?: number;
}

export async function runSynthPreview(options: PreviewOptions, io: Io): Promise<ExitCode> {
  const split = checkSplit(options.split);
  const synth = await loadSynth();
  const out = resolve(options.out);
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the folder of ${out}: ${(e as Error).message}`);
  }
  try {
    const assetRoot = synth.resolveAssetRoot(options.assets);
    const poses = options.poses === undefined ? undefined : resolve(options.poses);
    const generator = await synth.ExampleGenerator.create({
      ...synth.DEFAULT_GENERATOR_OPTIONS,
      assetRoot,
      split,
      assignment: synth.splitAssignment(assetRoot, poses),
      width: options.size ?? 512,
      height: options.size ?? 512,
      poseGalleries: poses,
      galleryShare: options.poseShare,
    });
    const examples = [];
    // On a terminal one line is rewritten in place; in a log each count is a line of its own.
    const tty = process.stderr.isTTY === true;
    try {
      for (let i = 0; i < options.count; i++) {
        // One shard per image: each gets its own bodies, clips and photos, for a varied sheet.
        examples.push(await generator.generate(options.seed, i, i, String(i).padStart(6, '0')));
        io.stderr(
          tty ? `\rpreview: ${i + 1}/${options.count}` : `preview: ${i + 1}/${options.count}\n`,
        );
      }
    } finally {
      generator.dispose();
      if (tty) io.stderr('\n');
    }
    const png = await synth.contactSheet(examples, { columns: options.columns ?? 4 });
    try {
      writeFileSync(out, png);
    } catch (e) {
      throw new InputError(`cannot write ${out}: ${(e as Error).message}`);
    }
    const people = examples.reduce((n, e) => n + e.labels.people.length, 0);
    io.stderr(`contact sheet of ${examples.length} images (${people} people) → ${out}\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw toCliError(e);
  }
}
