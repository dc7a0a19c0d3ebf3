/**
 * Background photos: listed from `<assets>/backgrounds`, decoded once (into a power-of-two RGBA
 * texture with mipmaps, so the GPU can minify crops without aliasing), then per image a random
 * crop with the output's aspect ratio, an optional mirror flip and a mild colour change — all
 * applied by the renderer's final pass (see `BackgroundLayer`).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import * as THREE from 'three';
import { SynthError } from './errors.js';
import type { Rng } from './random.js';
import type { BackgroundLayer } from './render/renderer-node.js';

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;
/** Largest texture side: the crops are at most 512-ish pixels, mipmaps do the rest. */
const MAX_TEXTURE = 2048;
const THUMB = 32;

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
  if (out.length === 0)
    throw new SynthError('missing-assets', `no background photos under ${root}`);
  return out;
}

interface Photo {
  texture: THREE.DataTexture;
  /** Size of the original photo (its aspect ratio matters, not the texture's). */
  width: number;
  height: number;
  /** THUMB×THUMB RGB thumbnail for the mean colour of a crop. */
  thumb: Uint8Array;
}

const floorPow2 = (n: number) => 2 ** Math.floor(Math.log2(n));

/** Decoded photos (a bounded cache) and random crops of them. */
export class Backgrounds {
  private readonly cache = new Map<string, Promise<Photo>>();
  private readonly maxCached: number;

  constructor(maxCached = 12) {
    this.maxCached = maxCached;
  }

  private decode(entry: BackgroundEntry): Promise<Photo> {
    let d = this.cache.get(entry.id);
    if (!d) {
      d = (async () => {
        const img = sharp(entry.path).rotate();
        const meta = await img.metadata();
        const upright = (meta.orientation ?? 1) >= 5;
        const width = (upright ? meta.height : meta.width) ?? 0;
        const height = (upright ? meta.width : meta.height) ?? 0;
        if (!(width > 0 && height > 0)) throw new Error('no image size');
        const tw = Math.min(MAX_TEXTURE, floorPow2(width));
        const th = Math.min(MAX_TEXTURE, floorPow2(height));
        const [pixels, thumb] = await Promise.all([
          img.clone().resize(tw, th, { fit: 'fill' }).removeAlpha().ensureAlpha().raw().toBuffer(),
          img.clone().resize(THUMB, THUMB, { fit: 'fill' }).removeAlpha().raw().toBuffer(),
        ]);
        // Rows stay top-first: texture v = 0 is the photo's top row.
        const texture = new THREE.DataTexture(new Uint8Array(pixels), tw, th, THREE.RGBAFormat);
        texture.generateMipmaps = true;
        texture.minFilter = THREE.LinearMipmapLinearFilter;
        texture.magFilter = THREE.LinearFilter;
        texture.needsUpdate = true;
        return { texture, width, height, thumb: new Uint8Array(thumb) };
      })().catch((e: Error) => {
        this.cache.delete(entry.id);
        throw new SynthError('bad-asset', `cannot decode background ${entry.path}: ${e.message}`);
      });
      if (this.cache.size >= this.maxCached) {
        const [oldId, old] = this.cache.entries().next().value!;
        this.cache.delete(oldId);
        void old.then((p) => p.texture.dispose()).catch(() => {});
      }
      this.cache.set(entry.id, d);
    }
    return d;
  }

  /**
   * A random `width`×`height` view of the photo: a window covering 35–100% of its limiting side,
   * flipped with probability ½, brightness/contrast/saturation jittered by about ±15%.
   * Also returns the window's mean colour (0…1), to tint the lights.
   */
  async crop(
    entry: BackgroundEntry,
    width: number,
    height: number,
    rng: Rng,
  ): Promise<{ layer: BackgroundLayer; mean: [number, number, number] }> {
    const photo = await this.decode(entry);
    const aspect = width / height;
    const maxW = Math.min(photo.width, photo.height * aspect);
    const cropW = Math.max(8, maxW * rng.uniform(0.35, 1));
    const cropH = Math.min(photo.height, cropW / aspect);
    const left = rng.uniform(0, photo.width - cropW);
    const top = rng.uniform(0, photo.height - cropH);
    const layer: BackgroundLayer = {
      texture: photo.texture,
      window: [left / photo.width, top / photo.height, cropW / photo.width, cropH / photo.height],
      flip: rng.chance(0.5),
      brightness: rng.uniform(0.85, 1.15),
      contrast: rng.uniform(0.85, 1.15),
      saturation: rng.uniform(0.8, 1.2),
    };
    return { layer, mean: windowMean(photo.thumb, layer.window) };
  }
}

/** Mean colour (0…1) of a thumbnail over a window given as fractions [x, y, w, h]. */
function windowMean(thumb: Uint8Array, [x, y, w, h]: number[]): [number, number, number] {
  const x0 = Math.floor(x! * THUMB);
  const y0 = Math.floor(y! * THUMB);
  const x1 = Math.max(x0 + 1, Math.ceil((x! + w!) * THUMB));
  const y1 = Math.max(y0 + 1, Math.ceil((y! + h!) * THUMB));
  const sum = [0, 0, 0];
  let n = 0;
  for (let r = y0; r < Math.min(THUMB, y1); r++) {
    for (let c = x0; c < Math.min(THUMB, x1); c++) {
      for (let k = 0; k < 3; k++) sum[k]! += thumb[(r * THUMB + c) * 3 + k]!;
      n++;
    }
  }
  return [sum[0]! / (255 * n), sum[1]! / (255 * n), sum[2]! / (255 * n)];
}
