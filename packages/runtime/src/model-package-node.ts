/** Loading model packages from a directory with onnxruntime-node. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CropModel } from './crop-model.js';
import { DEFAULT_MODEL_DIR, defaultModelDir } from './default-model-node.js';
import { ModelPackageError, parseModelDescriptor } from './model-package.js';
import { createOrtSession } from './ort-session.js';

export interface LoadModelOptions {
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice). */
  threads?: number;
}

/** Reads and validates `dir/metrabs.json`, then opens `dir/model.onnx`. */
export async function loadModelPackage(
  dir: string = defaultModelDir(),
  options: LoadModelOptions = {},
): Promise<CropModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const hint =
      resolve(dir) === DEFAULT_MODEL_DIR
        ? ' — the default model comes with @metrabs/node (the @metrabs/model-default package) or, in ' +
          'a checkout, from models/default; install it, or pass --model / { model } a model package directory'
        : '';
    throw new ModelPackageError(`model package not found: ${dir}${hint}`);
  }
  const descriptorPath = join(dir, 'metrabs.json');
  if (!existsSync(descriptorPath)) {
    throw new ModelPackageError(`${dir} is not a model package: metrabs.json is missing`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(descriptorPath, 'utf8'));
  } catch (e) {
    throw new ModelPackageError(`${descriptorPath}: invalid JSON (${(e as Error).message})`);
  }
  const descriptor = parseModelDescriptor(json, descriptorPath);
  const onnxPath = join(dir, descriptor.onnx);
  if (!existsSync(onnxPath))
    throw new ModelPackageError(`${onnxPath}: the model's ONNX file is missing`);
  if (statSync(onnxPath).size === 0)
    throw new ModelPackageError(`${onnxPath}: the ONNX file is empty`);
  const session = await createOrtSession(ort, onnxPath, { threads: options.threads });
  return new CropModel(descriptor, session);
}
