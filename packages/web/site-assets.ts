/**
 * The files the page loads at run time that are not part of the bundle: ONNX Runtime Web
 * (its ES module and WebAssembly binary, served verbatim so its threads can start workers
 * from its own URL), the model packages (the repository's `models/default` when it exists,
 * the toy `fixtures/model-tiny`) and the person detector (YOLOX-Nano, never committed: taken
 * from `METRABS_DETECTOR`, the user's cache or `../shared/data/detector/` when one of them
 * has the right file).
 *
 * The Vite plugin serves them in `vite` (dev) and copies them into the output folder after
 * `vite build`, so `vite preview` and any static host serve them too. Node only.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The config is loaded by Node before Vite resolves anything: this import uses the runtime's
// build (dist/, made by `npm ci` / `npm run build`), the app itself uses its sources.
import { YOLOX_NANO_SHA256 } from '@metrabs/runtime';
import type { Plugin } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '../..');

/** Site path (relative to the site root) → absolute source file. */
export type AssetMap = Map<string, string>;

export interface AssetReport {
  assets: AssetMap;
  /** Where the detector came from, or why there is none. */
  detector: string;
  models: string[];
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Candidate detector files, in the order the Node runtime uses, then the shared dev data. */
export function detectorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const fromEnv = env['METRABS_DETECTOR'];
  if (fromEnv) out.push(resolve(fromEnv));
  const xdg = env['XDG_CACHE_HOME'];
  const cacheBase = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  out.push(join(cacheBase, 'metrabs', 'yolox_nano.onnx'));
  out.push(resolve(REPO_ROOT, '../shared/data/detector/yolox_nano.onnx'));
  return out;
}

function addDir(assets: AssetMap, dir: string, prefix: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile() && /\.(json|onnx|md|txt|data)$/.test(name)) {
      assets.set(`${prefix}/${name}`, path);
    }
  }
}

/**
 * Collects the run-time files. `METRABS_WEB_DETECTOR=none` leaves the detector out (to see
 * the page's "detector missing" message).
 */
export function collectAssets(env: NodeJS.ProcessEnv = process.env): AssetReport {
  const assets: AssetMap = new Map();
  const ortDist = resolve(REPO_ROOT, 'node_modules/onnxruntime-web/dist');
  for (const file of [
    'ort.bundle.min.mjs',
    'ort-wasm-simd-threaded.jsep.wasm',
    'ort.wasm.bundle.min.mjs',
    'ort-wasm-simd-threaded.wasm',
  ]) {
    const path = join(ortDist, file);
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: run npm install (onnxruntime-web)`);
    }
    assets.set(`ort/${file}`, path);
  }
  const models: string[] = [];
  const defaultModel = join(REPO_ROOT, 'models/default');
  if (existsSync(join(defaultModel, 'metrabs.json'))) {
    addDir(assets, defaultModel, 'models/default');
    models.push('models/default');
  }
  addDir(assets, join(REPO_ROOT, 'fixtures/model-tiny'), 'models/model-tiny');
  models.push('models/model-tiny');

  let detector = 'not found';
  if (env['METRABS_WEB_DETECTOR'] === 'none') {
    detector = 'left out (METRABS_WEB_DETECTOR=none)';
  } else {
    const tried: string[] = [];
    for (const path of detectorCandidates(env)) {
      if (!existsSync(path)) {
        tried.push(`${path} (missing)`);
        continue;
      }
      if (sha256(path) !== YOLOX_NANO_SHA256) {
        tried.push(`${path} (wrong sha256)`);
        continue;
      }
      assets.set('models/yolox_nano.onnx', path);
      const license = [
        join(dirname(path), 'yolox_nano.LICENSE'),
        join(dirname(path), 'LICENSE'),
      ].find(existsSync);
      if (license) assets.set('models/yolox_nano.LICENSE', license);
      detector = path;
      break;
    }
    if (!assets.has('models/yolox_nano.onnx')) detector = `not found; tried ${tried.join(', ')}`;
  }
  return { assets, detector, models };
}

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.LICENSE': 'text/plain; charset=utf-8',
};

/** Serves the assets in `vite` dev and copies them into the output folder after a build. */
export function siteAssets(): Plugin {
  let report: AssetReport | undefined;
  let outDir = 'dist';
  let base = '/';
  const get = (): AssetReport => {
    report ??= collectAssets();
    return report;
  };
  const describe = (r: AssetReport) =>
    `[metrabs-web] models: ${r.models.join(', ')}; detector: ${r.detector}`;
  return {
    name: 'metrabs-site-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      base = config.base.startsWith('/') ? config.base : '/';
    },
    configureServer(server) {
      const r = get();
      server.config.logger.info(describe(r));
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0] ?? '';
        const path = decodeURIComponent(url.startsWith(base) ? url.slice(base.length) : url);
        const file = r.assets.get(path);
        if (!file) {
          next();
          return;
        }
        const size = statSync(file).size;
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.setHeader('Content-Length', String(size));
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        createReadStream(file).pipe(res);
      });
    },
    closeBundle() {
      const r = get();
      for (const [sitePath, file] of r.assets) {
        const target = join(outDir, sitePath);
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(file, target);
        chmodSync(target, 0o644);
      }
      if (process.env['METRABS_WEB_QUIET'] !== '1') console.log(describe(r));
    },
  };
}
