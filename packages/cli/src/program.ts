/**
 * The `metrabs` command line (commander). Exit codes: see `EXIT` in errors.ts (also printed by --help).
 * Every error ends as one line `metrabs: error: …` on stderr; `--debug` (or METRABS_DEBUG=1)
 * adds the stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerBatch } from './commands/batch.js';
import { type Io, runDetect } from './commands/detect.js';
import { addServeCommand } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { CliError, EXIT, EXIT_CODE_HELP, type ExitCode, oneLine } from './errors.js';
import {
  addPoseOptions,
  intOption,
  parseBeta,
  parseCutoff,
  parseImageSize,
  parseMotionSources,
  parseNumAug,
  parsePositiveInt,
  parseSeed,
  parseSmoothing,
  parseThreads,
  parseThreshold,
  parseTrainAppearance,
} from './options.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const DETECTOR_HELP =
  'YOLOX-Nano ONNX file (default: $METRABS_DETECTOR, else ~/.cache/metrabs/yolox_nano.onnx)';

/** Options shared by `detect` and `video`. */
function addModelOptions(command: Command): Command {
  command
    .option('--model <dir>', 'model package directory (default: models/default)')
    .option('--detector <path>', DETECTOR_HELP);
  return addPoseOptions(
    command,
    'camera file: {"intrinsic_matrix": 3×3, optional "distortion_coeffs", "extrinsic_matrix" (4×4, mm), "world_up"}',
  ).option('--threads <n>', 'ONNX Runtime threads per model (default: one per core)', parseThreads);
}

/** Options shared by `synth [run]` and `synth preview`: what is rendered, from which assets. */
function addSceneOptions(command: Command): Command {
  return command
    .option('--split <name>', 'train, validation or test', 'train')
    .option('--seed <n>', 'random seed: same seed, same images and labels', parseSeed, 1)
    .option('--assets <dir>', 'asset folder (default: $METRABS_ASSETS, else ../shared/data)')
    .option('--size <px>', 'square image size (default 512)', parseImageSize)
    .option(
      '--poses <dir>',
      'also pose people from galleries lifted from real photos (python -m metrabs_train.lift_lspet … --out <dir>)',
    )
    .option(
      '--pose-share <x>',
      'with --poses: fraction of people posed from the galleries, 0–1 (default 0.5)',
      parseThreshold,
    );
}

export function buildProgram(io: Io, setExit: (code: ExitCode) => void): Command {
  const program = new Command('metrabs');
  program
    .description(
      'MeTRAbs absolute 3D human pose estimation: 3D skeletons (mm, camera frame) of everyone in images and videos.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--debug', 'print stack traces of errors')
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n\nDocs: docs/cli.md`)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // commander's messages start with "error: "; keep them on one line.
      outputError: (s, write) => write(`metrabs: ${s.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });

  const detect = program
    .command('detect')
    .description('detect people in images and estimate their absolute 3D poses')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, TIFF, …)');
  addModelOptions(detect)
    .option('--out <dir>', 'output directory', './metrabs-out')
    .option(
      '--json',
      'print the results to stdout as JSON (one line per image) instead of writing files',
    )
    .option('--no-viz', 'write only the JSON files, no pictures')
    .option('--sheet <file.png>', 'also one contact sheet with every image (overlay + 3D view)')
    .addHelpText(
      'after',
      `
Writes for each image <name>.json (boxes, poses3d in mm, poses2d in px, joint names, edges,
intrinsics, image size, model), <name>.overlay.png (boxes and 2D skeletons on the image) and
<name>.3d.png (the skeletons from the front and from above, with a metric grid).

Examples:
  metrabs detect photo.jpg --skeleton coco_19
  metrabs detect *.jpg --intrinsics camera.json --out results/
  metrabs detect photo.jpg --json --num-aug 1 > poses.jsonl

${EXIT_CODE_HELP}`,
    )
    .action(async (images: string[], options) => {
      setExit(await runDetect(images, options, io));
    });

  const video = program
    .command('video')
    .description('estimate 3D poses in every frame of a video (JSON Lines, optional overlay video)')
    .argument('<file>', 'video file (anything ffmpeg decodes)');
  addModelOptions(video)
    .option(
      '--out <dir>',
      'output directory for <name>.jsonl and <name>.meta.json',
      './metrabs-out',
    )
    .option(
      '--overlay-video <file.mp4>',
      'also write the video with boxes and 2D skeletons drawn on it',
    )
    .option(
      '--no-filter',
      "return each track's poses as estimated (default: One Euro filter, bone lengths held)",
    )
    .option('--filter-cutoff <hz>', 'One Euro cutoff of the joints at rest, Hz', parseCutoff)
    .option('--filter-beta <b>', 'One Euro speed coefficient of the joints, Hz per mm/s', parseBeta)
    .option(
      '--filter-distance-cutoff <hz>',
      'One Euro cutoff of the distance from the camera, Hz',
      parseCutoff,
    )
    .option('--no-hold-bones', 'let bone lengths vary from frame to frame')
    .option(
      '--smooth <alpha>',
      'exponential smoothing instead of the One Euro filter, 0 < alpha ≤ 1 (1 = none)',
      parseSmoothing,
    )
    .option(
      '--bvh <path>',
      'write each track as a BVH animation (metres): a folder, or a .bvh name (.track<ID> is added unless --track)',
    )
    .option(
      '--gltf <path>',
      'write each track as a glTF 2.0 skinned animation (.glb), named as --bvh',
    )
    .option('--track <id>', 'export only this track', intOption(0))
    .addOption(
      new Option(
        '--world <mode>',
        'auto: find the floor from the feet over the clip and give poses and exports in a world frame (y up, floor y = 0)',
      ).choices(['auto']),
    )
    .option(
      '--track-max-age <n>',
      'frames a person may stay unseen (occluded) and keep their track (default 15)',
      intOption(0, 10_000),
    )
    .option('--max-frames <n>', 'stop after this many frames', parsePositiveInt)
    .option('--every <n>', 'process every n-th frame (default 1)', parsePositiveInt)
    .option(
      '--ffmpeg <path>',
      'ffmpeg executable (default: $METRABS_FFMPEG, ffmpeg on PATH, else the bundled one)',
    )
    .option(
      '--ignore-decode-errors',
      'keep going past damaged frames instead of stopping with exit code 3',
    )
    .option(
      '--progress-every <n>',
      'without a terminal: print progress every n frames (default 25)',
      parsePositiveInt,
    )
    .addHelpText(
      'after',
      `
Writes <name>.jsonl (one line per processed frame: frame, time, boxes, poses3d, poses2d,
trackIds) and <name>.meta.json (video size and rate, joint names, edges, intrinsics, model,
status). A corrupt or truncated video stops with exit code 3 and keeps the frames done so far.

Examples:
  metrabs video walk.mp4 --skeleton coco_19
  metrabs video walk.mp4 --no-filter            (raw per-frame poses)
  metrabs video walk.mp4 --bvh out/ --gltf out/ (one animation per track)
  metrabs video walk.mp4 --world auto           (floor found: world frame, camera height)
  metrabs video walk.mp4 --max-frames 100 --overlay-video walk.overlay.mp4

${EXIT_CODE_HELP}`,
    )
    .action(async (file: string, options) => {
      const { runVideo } = await import('./commands/video.js');
      setExit(await runVideo(file, options, io));
    });

  const synth = program
    .command('synth')
    .description('render synthetic training images with exact 3D labels (docs/synth.md)');
  // `metrabs synth [options]` renders (the default subcommand); `metrabs synth preview` previews.
  const synthRun = synth
    .command('run', { isDefault: true })
    .description('render a dataset split (the default when no subcommand is given)')
    .option('--out <dir>', 'dataset folder (created, or resumed if it exists)', './synth-data')
    .option('--count <n>', 'images in this split', parsePositiveInt, 1000);
  addSceneOptions(synthRun)
    .option('--workers <n>', 'render processes (default 1; at most one per core)', parsePositiveInt)
    .option(
      '--motion <sources>',
      "motion capture: 'all' (default) or 'cmu' (leaves out Bandai Namco's CC BY-NC clips: commercially usable data)",
      parseMotionSources,
    )
    .option(
      '--train-appearance <which>',
      "'split' (default): train has its own skins, clothes and hair; 'all': train uses every one (validation/test stay disjoint in motion, poses and photos)",
      parseTrainAppearance,
    )
    .option('--shard-size <n>', 'images per shard file (default 100)', parsePositiveInt)
    .option(
      '--progress-every <n>',
      'without a terminal: print progress every n images (default 50)',
      parsePositiveInt,
    )
    .addHelpText(
      'after',
      `
Writes <out>/manifest.json, <out>/splits.json and <out>/<split>/shard-NNNNNN.tar (JPEG + JSON
labels per image; docs/dataset-format.md). Interrupted runs resume: run the same command again;
finished shards are kept, unfinished ones are redone. Needs the optional 'gl' package and an X
display (a private Xvfb is started when DISPLAY is unset).

Examples:
  metrabs synth --out data/synth --count 20000 --split train --seed 1 --workers 2
  metrabs synth preview --out sheet.png --count 16

${EXIT_CODE_HELP}`,
    )
    .action(async (options) => {
      const { runSynthCommand } = await import('./commands/synth.js');
      setExit(await runSynthCommand(options, io));
    });
  const preview = synth
    .command('preview')
    .description('render a few images and write a contact sheet PNG with the labels drawn')
    .option('--out <file.png>', 'output PNG', './synth-preview.png')
    .option('--count <n>', 'images', parsePositiveInt, 16);
  addSceneOptions(preview)
    .option('--columns <n>', 'images per row (default 4)', parsePositiveInt)
    .action(async (options) => {
      const { runSynthPreview } = await import('./commands/synth.js');
      setExit(await runSynthPreview(options, io));
    });

  const evaluate = program
    .command('eval')
    .description(
      "a model package's accuracy with the shipped pipeline: 3D metrics on a dataset split, or 2D PCK on real images",
    )
    .option('--model <dir>', 'model package directory (default: models/default)')
    .option('--dataset <dir>', 'dataset folder in the metrabs format (docs/dataset-format.md)')
    .option('--split <name>', 'split of --dataset to evaluate', 'test')
    .option(
      '--real [dir]',
      'evaluate on the annotated real images instead (default: $METRABS_ASSETS/real, else ../shared/data/real)',
    )
    .option(
      '--num-aug <n>',
      'test-time augmentations per person, 1–100 (default 1, as the trainer evaluates)',
      parseNumAug,
    )
    .option('--limit <n>', 'evaluate only the first n images', parsePositiveInt)
    .option('--out <report.json>', 'also write the JSON report (metrics and settings) to this file')
    .option('--json', 'print the JSON report to stdout instead of the table')
    .option(
      '--sheet <file.png>',
      'a contact sheet: with --real the predictions (2D + 3D), with --dataset predicted vs. labelled 2D skeletons (first 40 images)',
    )
    .option(
      '--baseline <file.jsonl>',
      "with --dataset: another model's predictions on the split, scored next to ours (hip-centred, shared joints)",
    )
    .option('--threads <n>', 'ONNX Runtime threads (default: one per core)', parseThreads)
    .option(
      '--progress-every <n>',
      'without a terminal: print progress every n images',
      parsePositiveInt,
    )
    .addHelpText(
      'after',
      `
Runs the model on every example with the ground-truth boxes (no detector) and the example's
camera, and reports MPJPE, PA-MPJPE, PCK@150, AUC (root-relative), MRPE with its depth part
and the bone-length ratio, overall and for truncated / occluded people; people with 2D labels
only (e.g. LSPET) get PCK@0.2·torso (definitions: docs/evaluation.md). With --real: 2D PCK on
the COCO, MPII, CrowdPose and OCHuman test images.

Examples:
  metrabs eval --model models/default --dataset data/synth --split test --out report.json
  metrabs eval --model models/default --real --sheet real.png
  metrabs eval --dataset data/synth --split test --baseline blazepose-test.jsonl
  metrabs eval --dataset data/lspet --split validation --sheet lspet.png

${EXIT_CODE_HELP}`,
    )
    .action(async (options) => {
      const { runEval } = await import('./commands/eval.js');
      setExit(await runEval(options, io));
    });

  const fetchDetector = program
    .command('fetch-detector')
    .description(
      'download, verify and install the YOLOX-Nano person detector (3.5 MiB, Apache-2.0) where detect finds it',
    )
    .option(
      '--from <file|url>',
      "install from this file or http(s) URL (default: this repository's development copy in ../shared/data/detector if present, else GitHub)",
    )
    .option(
      '--dest <file>',
      'where to install it (default: $XDG_CACHE_HOME/metrabs/yolox_nano.onnx, else ~/.cache/metrabs/yolox_nano.onnx)',
    )
    .option('--force', 'install again even if the destination already holds the verified file')
    .addHelpText(
      'after',
      `
Checks the size and sha256 before anything is written at the destination: a wrong file, an
interrupted download or a network failure leaves it as it was (exit code 3). The licence is
saved beside the model as yolox_nano.LICENSE. Running it again is cheap: an installed,
verified file is kept.

Examples:
  metrabs fetch-detector
  metrabs fetch-detector --from ~/Downloads/yolox_nano.onnx
  metrabs fetch-detector --from https://example.com/mirror/yolox_nano.onnx --dest models/yolox_nano.onnx

${EXIT_CODE_HELP}`,
    )
    .action(async (options) => {
      const { runFetchDetector } = await import('./commands/fetch-detector.js');
      setExit(await runFetchDetector(options, io));
    });

  const importRelease = program
    .command('import')
    .description(
      'import an official MeTRAbs release (metrabs_pytorch: ckpt.pt, config.yaml, …) as a model package',
    )
    .argument('<release-dir>', 'the unpacked release directory')
    .option('--out <dir>', 'model package directory to write, e.g. models/metrabs-eff2l')
    .option(
      '--python <path>',
      "Python with PyTorch to run the importer (default: $METRABS_TRAINER_PYTHON, else the trainer's training/.venv)",
    )
    .option('--force', 'overwrite an existing package directory')
    .addHelpText(
      'after',
      `
Rebuilds the network (EfficientNetV2-S or -L) in the trainer's code, loads the release's
weights with strict name and shape checks, exports ONNX, checks ONNX Runtime against PyTorch
and writes the descriptor with every skeleton of the release (use them with --skeleton).
The official weights are for non-commercial use only; see docs/official-models.md.

Examples:
  metrabs import ~/Downloads/metrabs_eff2l_384px_800k_28ds_pytorch --out models/metrabs-eff2l
  metrabs detect photo.jpg --model models/metrabs-eff2l --skeleton smpl_24

${EXIT_CODE_HELP}`,
    )
    .action(async (release: string, options) => {
      const { runImport } = await import('./commands/import.js');
      setExit(await runImport(release, options, io));
    });

  addServeCommand(program, io, setExit);

  const batchCommands = registerBatch(program, io, setExit);
  const workerCommands = registerWorker(program, io, setExit);
  for (const command of [
    detect,
    video,
    synth,
    synthRun,
    preview,
    evaluate,
    fetchDetector,
    importRelease,
    ...batchCommands,
    ...workerCommands,
  ]) {
    command
      .exitOverride()
      .showSuggestionAfterError(true)
      .configureOutput({
        writeOut: (s) => io.stdout(s),
        writeErr: (s) => io.stderr(s),
        outputError: (s, write) => write(`metrabs: ${s.trim().replace(/\s*\n\s*/g, ' ')}\n`),
      });
  }
  return program;
}

/** Prints an error the way the CLI does and returns its exit code. */
export function reportError(error: unknown, io: Io, debug: boolean): ExitCode {
  if (error instanceof CommanderError) {
    // Help and version "errors" are normal exits; commander has printed the message already.
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
    ) {
      return EXIT.ok;
    }
    // Everything else (unknown option, bad value, missing argument) is a usage error; commander
    // has printed it as one line through `outputError`.
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr(`metrabs: error: ${oneLine(error)}\n`);
    if (error.details) io.stderr(`${error.details.replace(/^/gm, '  ')}\n`);
    if (debug && error.stack) io.stderr(`${error.stack}\n`);
    return error.exitCode;
  }
  io.stderr(
    `metrabs: error: unexpected: ${oneLine(error)}${debug ? '' : ' (run with --debug for details)'}\n`,
  );
  if (debug) io.stderr(`${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.unexpected;
}

export async function main(argv: string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  const debug = argv.includes('--debug') || process.env['METRABS_DEBUG'] === '1';
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    return reportError(error, io, debug);
  }
}
