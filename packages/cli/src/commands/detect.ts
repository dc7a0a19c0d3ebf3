/** `metrabs detect <images...>`: 3D poses of everyone in each image, as JSON and pictures. */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT, type ExitCode, InputError, oneLine } from '../errors.js';
import {
  formatImageResult,
  outputStems,
  type PoseResultLike,
  peopleText,
  stringifyJson,
  worldToCamera,
} from '../format.js';
import {
  cameraFromOptions,
  checkSkeleton,
  detectPoses,
  loadRuntime,
  type ModelOptions,
  openEstimator,
  outputFolder,
  poseOptions,
  type RgbImage,
  settingsRecord,
} from '../pipeline.js';
import { contactSheet } from '../render/contact-sheet.js';
import { overlayPng, scenePng } from '../render/raster.js';

export interface DetectOptions extends ModelOptions {
  out: string;
  json?: boolean;
  viz: boolean;
  /** One PNG with every image's overlay and 3D view. */
  sheet?: string;
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Fails fast (exit 3) when an input does not exist or cannot be read, before loading the model. */
export function checkInputFiles(paths: string[], what = 'image'): void {
  for (const path of paths) {
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
      accessSync(path, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(
        code === 'ENOENT'
          ? `${what} not found: ${path}`
          : `cannot read ${what} ${path} (${code ?? oneLine(e)})`,
      );
    }
    if (!isFile) throw new InputError(`${what} is not a file: ${path}`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function runDetect(
  images: string[],
  options: DetectOptions,
  io: Io,
): Promise<ExitCode> {
  checkInputFiles(images);
  const camera = await cameraFromOptions(options);
  const writeFiles = !options.json;
  // The output folder is made (or refused) before the model loads: a bad --out fails at once.
  const outDir = writeFiles ? await outputFolder(options.out) : resolve(options.out);
  const started = performance.now();
  const { estimator, info } = await openEstimator(options);
  const skeleton = checkSkeleton(estimator, options.skeleton);
  const o = poseOptions(options, skeleton, camera);
  const rt = await loadRuntime();
  const settings = settingsRecord(options, o, rt);
  io.stderr(
    `metrabs: model ${info.dir} (${info.backbone}, ${info.skeleton}) loaded in ${seconds(performance.now() - started)}\n`,
  );

  const stems = outputStems(images);
  let failures = 0;
  const sheetPairs: Buffer[][] = [];
  for (const [i, path] of images.entries()) {
    const t0 = performance.now();
    let image: RgbImage;
    try {
      image = await rt.loadImage(path);
    } catch (e) {
      // The runtime's ImageError already reads "cannot decode image <path>: <reason>".
      const message = oneLine(e);
      const line = message.startsWith('cannot decode image')
        ? message
        : `cannot decode image ${path}: ${message}`;
      io.stderr(`metrabs: error: ${line}\n`);
      failures++;
      continue;
    }
    const result = (await detectPoses(estimator, image, o, path)) as unknown as PoseResultLike;
    const json = {
      ...formatImageResult(path, image, result, info, camera?.extrinsicMatrix),
      settings,
    };
    const files: string[] = [];
    const pictures = options.viz || options.sheet !== undefined;
    const overlay = !pictures
      ? null
      : await overlayPng(image, {
          boxes: json.boxes,
          poses2d: json.poses2d,
          jointNames: json.jointNames,
          edges: json.edges,
          distancesM: json.distancesM,
          ...(options.sheet !== undefined ? { caption: stems[i]! } : {}),
        });
    const view = !pictures
      ? null
      : await scenePng({
          poses3d: result.poses3d.map((p) => worldToCamera(p, camera?.extrinsicMatrix)),
          jointNames: json.jointNames,
          edges: json.edges,
          intrinsicMatrix: result.intrinsicMatrix,
          imageWidth: image.width,
          imageHeight: image.height,
          title: stems[i]!,
        });
    if (overlay !== null && view !== null && options.sheet !== undefined) {
      sheetPairs.push([overlay, view]);
    }
    if (writeFiles) {
      const stem = join(outDir, stems[i]!);
      writeFileSync(`${stem}.json`, `${stringifyJson(json)}\n`);
      files.push(`${stem}.json`);
      if (options.viz && overlay !== null && view !== null) {
        writeFileSync(`${stem}.overlay.png`, overlay);
        writeFileSync(`${stem}.3d.png`, view);
        files.push(`${stem}.overlay.png`, `${stem}.3d.png`);
      }
    } else {
      io.stdout(`${JSON.stringify(json)}\n`);
    }
    // Say when people were found but dropped, and how to keep them.
    const found =
      rt.droppedSummary(json.peopleFound, json.dropped, '--no-suppress-implausible') ??
      peopleText(json.people);
    io.stderr(`${path}: ${found}, ${seconds(performance.now() - t0)}\n`);
  }
  if (writeFiles && failures < images.length) io.stderr(`metrabs: results in ${outDir}\n`);
  if (options.sheet !== undefined && sheetPairs.length > 0) {
    const sheet = resolve(options.sheet);
    try {
      mkdirSync(dirname(sheet), { recursive: true });
      writeFileSync(sheet, await contactSheet(sheetPairs));
    } catch (e) {
      throw new CliError(`cannot write the contact sheet ${sheet}: ${oneLine(e)}`, EXIT.input);
    }
    io.stderr(`metrabs: contact sheet of ${sheetPairs.length} images written to ${sheet}\n`);
  }
  if (failures > 0) {
    io.stderr(`metrabs: error: ${failures} of ${images.length} images could not be read\n`);
    return EXIT.input;
  }
  return EXIT.ok;
}
