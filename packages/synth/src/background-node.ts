/**
 * Background photos: listed from `<assets>/backgrounds`, decoded once per process (downscaled to
 * at most 1600 px), then per image a random crop with the output's aspect ratio, an optional
 * mirror flip and a mild colour change.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { SynthError } from './errors.js';
import type { Rng } from './random.js';

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;
const MAX_SIDE = 1600;

export interface BackgroundEntry {
  /** Stable id: the path below the backgrounds folder, e.g. `mate-backgrounds/…/x.jpg`. */
  id: string;
  path: string;
}

/** Every photo below `<assetRoot>/backgrounds` (sorted, so ids are stable). */
export function listBackgrounds(assetRoot: string): BackgroundEntry[] {
  const root = join(assetRoot, 'backgrounds');
  const out: BackgroundEntry[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (IMAGE_FILE.test(name)) out.push({ id: relative(root, path), path });
    }
  };
  walk(root);
  if (out.length === 0) throw new SynthError('missing-assets', `no background photos under ${root}`);
  return out;
}

interface Decoded {
  data: Buffer;
  width: number;
  height: number;
}

/** RGB background crops, with a small cache of decoded photos. */
export class Backgrounds {
  private readonly cache = new Map<string, Promise<Decoded>>();
  private readonly maxCached: number;

  constructor(maxCached = 12) {
    this.maxCached = maxCached;
  }

  private decode(entry: BackgroundEntry): Promise<Decoded> {
    let d = this.cache.get(entry.id);
    if (!d) {
      d = sharp(entry.path)
        .rotate()
        .resize(MAX_SIDE, MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true })
        .then(({ data, info }) => ({ data, width: info.width, height: info.height }))
        .catch((e: Error) => {
          this.cache.delete(entry.id);
          throw new SynthError('bad-asset', `cannot decode background ${entry.path}: ${e.message}`);
        });
      if (this.cache.size >= this.maxCached) {
        this.cache.delete(this.cache.keys().next().value!);
      }
      this.cache.set(entry.id, d);
    }
    return d;
  }

  /**
   * A `width`×`height` RGB crop: a random window covering 35–100% of the photo's limiting side,
   * flipped with probability ½, with brightness/contrast/saturation jitter of about ±15%.
   */
  async crop(entry: BackgroundEntry, width: number, height: number, rng: Rng): Promise<Uint8Array> {
    const photo = await this.decode(entry);
    const aspect = width / height;
    const maxW = Math.min(photo.width, photo.height * aspect);
    const cropW = Math.max(8, Math.round(maxW * rng.uniform(0.35, 1)));
    const cropH = Math.max(8, Math.min(photo.height, Math.round(cropW / aspect)));
    const left = rng.int(0, photo.width - cropW);
    const top = rng.int(0, photo.height - cropH);
    const flip = rng.chance(0.5);
    const brightness = rng.uniform(0.85, 1.15);
    const contrast = rng.uniform(0.85, 1.15);
    const saturation = rng.uniform(0.8, 1.2);
    let img = sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
      .extract({ left, top, width: cropW, height: cropH })
      .resize(width, height, { fit: 'fill' });
    if (flip) img = img.flop();
    const rgb = new Uint8Array(await img.raw().toBuffer());
    jitterColour(rgb, brightness, contrast, saturation);
    return rgb;
  }
}

/** In-place colour jitter of RGB bytes around mid-grey. */
export function jitterColour(rgb: Uint8Array, brightness: number, contrast: number, saturation: number) {
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    for (let c = 0; c < 3; c++) {
      const v = grey + saturation * (rgb[i + c]! - grey);
      rgb[i + c] = Math.max(0, Math.min(255, Math.round(((v - 128) * contrast + 128) * brightness)));
    }
  }
}

/** Mean colour (0…1) of an RGB image, to tint the lights so people match the background. */
export function meanColour(rgb: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < rgb.length; i += 3) {
    sum[0]! += rgb[i]!;
    sum[1]! += rgb[i + 1]!;
    sum[2]! += rgb[i + 2]!;
  }
  const n = (rgb.length / 3) * 255;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}
