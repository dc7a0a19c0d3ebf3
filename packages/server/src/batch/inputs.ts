/**
 * What `batch submit` was given, as a list of files: directories are walked (sorted, hidden
 * entries skipped) for images and videos, each file is hashed, and each gets an output name that
 * keeps the folder layout below a given directory. Names that would collide get the start of
 * their content hash, so a result never overwrites another input's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif'];
export const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg'];

export interface BatchInput {
  /** Absolute path. */
  path: string;
  /** The path as given (or below the given directory): the label in results. */
  label: string;
  kind: 'image' | 'video';
  /** Output name without extension, unique in the list. */
  stem: string;
  sha256: string;
}

/** Thrown for inputs that do not exist or cannot be read; the message names the path. */
export class BatchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchInputError';
  }
}

export function kindOf(path: string): 'image' | 'video' | undefined {
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTENSIONS.includes(ext)) return 'image';
  if (VIDEO_EXTENSIONS.includes(ext)) return 'video';
  return undefined;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(path));
    else if (entry.isFile() && kindOf(path) !== undefined) files.push(path);
  }
  return files;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', (e) => reject(new BatchInputError(`cannot read ${path}: ${e.message}`)))
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

function withoutExtension(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}

/**
 * Files given directly keep their kind whatever their extension says (an image without one is
 * still an image: `kind` is then `image`); files found in directories must have a known
 * extension. Throws `BatchInputError` for a missing path or an empty directory.
 */
export async function collectInputs(paths: readonly string[]): Promise<BatchInput[]> {
  const found: Omit<BatchInput, 'stem' | 'sha256'>[] = [];
  const wanted: string[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    const abs = resolve(given);
    // The same file named twice is one input.
    if (seen.has(abs)) continue;
    seen.add(abs);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new BatchInputError(
        code === 'ENOENT' ? `input not found: ${given}` : `cannot read ${given} (${code})`,
      );
    }
    if (stat.isDirectory()) {
      const files = walk(abs);
      if (files.length === 0) {
        throw new BatchInputError(
          `${given}: no images or videos in this folder (${[...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS].join(' ')})`,
        );
      }
      for (const file of files) {
        if (seen.has(file) && file !== abs) continue;
        seen.add(file);
        const below = relative(abs, file);
        found.push({ path: file, label: join(given, below), kind: kindOf(file)! });
        wanted.push(withoutExtension(below).split(sep).join('/'));
      }
    } else {
      found.push({ path: abs, label: given, kind: kindOf(abs) ?? 'image' });
      wanted.push(withoutExtension(basename(abs)) || 'image');
    }
  }
  const hashes: string[] = [];
  for (const f of found) hashes.push(await sha256File(f.path));
  const counts = new Map<string, number>();
  for (const w of wanted) counts.set(w, (counts.get(w) ?? 0) + 1);
  return found.map((f, i) => {
    const stem = wanted[i]!;
    return {
      ...f,
      sha256: hashes[i]!,
      stem: counts.get(stem)! > 1 ? `${stem}-${hashes[i]!.slice(0, 8)}` : stem,
    };
  });
}
