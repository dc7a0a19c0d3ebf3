/** Shared fixtures of the dataset tests: skeleton, labels, images and the Python interpreters. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { type ExampleLabels, type SkeletonInfo, skeletonInfo } from '../../src/dataset/labels.js';
import { encodeMask, maskBox } from '../../src/dataset/rle.js';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
/** The trainer's interpreter (training/setup-env.sh); METRABS_TRAINER_PYTHON overrides it. */
export const VENV_PYTHON =
  process.env.METRABS_TRAINER_PYTHON ?? resolve(REPO_ROOT, 'training/.venv/bin/python');

export const SKELETON: SkeletonInfo = skeletonInfo('smpl+head_30');
export const J = SKELETON.joint_names.length;

/** A small solid-colour image with a lighter rectangle (the "person"). */
export async function makeImage(
  w: number,
  h: number,
  format: 'jpg' | 'png' | 'webp' = 'jpg',
  seed = 0,
): Promise<Uint8Array> {
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    raw[3 * i] = (40 + seed * 30) % 256;
    raw[3 * i + 1] = 80;
    raw[3 * i + 2] = (i % w) * 2;
  }
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  const out =
    format === 'jpg'
      ? await img.jpeg({ quality: 90 }).toBuffer()
      : format === 'png'
        ? await img.png().toBuffer()
        : await img.webp({ quality: 80 }).toBuffer();
  return new Uint8Array(out);
}

/** A rectangular mask [x0, x1] × [y0, y1] (inclusive pixel indices). */
export function rectMask(w: number, h: number, x0: number, x1: number, y0: number, y1: number) {
  const m = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) m.fill(1, y * w + x0, y * w + x1 + 1);
  return m;
}

/** Valid labels of one image with `numPeople` people (deterministic from `seed`). */
export function makeLabels(
  key: string,
  w: number,
  h: number,
  opts: { ext?: string; numPeople?: number; seed?: number } = {},
): ExampleLabels {
  const seed = opts.seed ?? 0;
  const people = Array.from({ length: opts.numPeople ?? 1 }, (_, p) => {
    const x0 = 2 + p * 3 + (seed % 3);
    const mask = rectMask(w, h, x0, x0 + 5, 1 + p, h - 2);
    const joints3d = Array.from(
      { length: J },
      (_, j) =>
        [j * 10.5 - 150 + seed, -800 + j * 55.25, 4000 + p * 100 + j] as [number, number, number],
    );
    return {
      box: maskBox(mask, w, h)!,
      joints3d,
      joints2d: joints3d.map(
        ([x, y, z]) => [(600 * x) / z + w / 2, (600 * y) / z + h / 2] as [number, number],
      ),
      joint_valid: Array.from({ length: J }, () => 1 as const),
      occluded: Array.from({ length: J }, (_, j) => (j % 4 === 0 ? 1 : 0) as 0 | 1),
      truncated: false,
      mask: encodeMask(mask, w, h),
      meta: { motion_clip: 'cmu/05_01', frame: 340 + seed },
    };
  });
  return {
    key,
    image: { file: `${key}.${opts.ext ?? 'jpg'}`, width: w, height: h },
    camera: {
      intrinsic_matrix: [
        [600, 0, (w - 1) / 2],
        [0, 600, (h - 1) / 2],
        [0, 0, 1],
      ],
      distortion_coeffs: [0, 0, 0, 0, 0],
      extrinsic_matrix: null,
      world_up: [0, -1, 0],
    },
    people,
    meta: { background: 'backgrounds/test.jpg', split_assets: {} },
  };
}

export interface PythonStatus {
  python: string | null;
  reason: string;
}

/** The trainer's venv interpreter if it can import the reader's dependencies. */
export function trainerPython(): PythonStatus {
  if (!existsSync(VENV_PYTHON)) {
    return { python: null, reason: `${VENV_PYTHON} is missing (run training/setup-env.sh)` };
  }
  const r = spawnSync(VENV_PYTHON, ['-c', 'import numpy, cv2'], { encoding: 'utf8' });
  if (r.status !== 0) {
    return { python: null, reason: `${VENV_PYTHON} cannot import numpy/cv2: ${r.stderr.trim()}` };
  }
  return { python: VENV_PYTHON, reason: '' };
}

/** Any Python 3 with the standard library (for `tarfile`): the venv's, else `python3`. */
export function anyPython(): string | null {
  for (const py of [VENV_PYTHON, 'python3']) {
    const r = spawnSync(py, ['-c', 'import tarfile'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/** Runs a Python snippet; returns its stdout parsed as JSON (throws with stderr on failure). */
export function runPython(python: string, code: string, args: string[] = [], env = {}): unknown {
  const r = spawnSync(python, ['-c', code, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
