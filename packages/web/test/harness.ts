/**
 * For the browser tests and the benchmark: build the site into a temporary folder, serve
 * it with `vite preview` (which sends the COOP/COEP headers) and drive the system Chromium
 * with playwright-core (WebAssembly backend, no GPU).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';

export const WEB_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO_ROOT = resolve(WEB_DIR, '../..');
const CONFIG_FILE = join(WEB_DIR, 'vite.config.ts');

/** The Chromium to drive: `METRABS_CHROMIUM` when set (only that), else the usual system paths. */
export function findChromium(): string | undefined {
  const explicit = process.env['METRABS_CHROMIUM'];
  const candidates = explicit
    ? [explicit]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => existsSync(p));
}

/**
 * Like `sharedData`: when Chromium is missing the tests are skipped with a visible reason
 * locally, and fail in CI.
 */
export function chromiumOrSkip(who: string): { path: string | undefined; skip: boolean } {
  const path = findChromium();
  if (path) return { path, skip: false };
  const problem = process.env['METRABS_CHROMIUM']
    ? `Chromium not found at METRABS_CHROMIUM=${process.env['METRABS_CHROMIUM']}`
    : 'Chromium not found (looked at /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome; set METRABS_CHROMIUM)';
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${problem} (${who})`);
  console.warn(`[${who}] skipping browser tests: ${problem}`);
  return { path: undefined, skip: true };
}

export interface Site {
  url: string;
  outDir: string;
  close(): Promise<void>;
}

/** `vite build` into a temporary folder, then `vite preview` of it on a free port. */
export async function buildAndServe(): Promise<Site> {
  const outDir = mkdtempSync(join(tmpdir(), 'metrabs-web-'));
  const quiet = process.env['METRABS_WEB_QUIET'];
  process.env['METRABS_WEB_QUIET'] = '1';
  try {
    await build({
      configFile: CONFIG_FILE,
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (quiet === undefined) delete process.env['METRABS_WEB_QUIET'];
    else process.env['METRABS_WEB_QUIET'] = quiet;
  }
  const server: PreviewServer = await preview({
    configFile: CONFIG_FILE,
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  return {
    url,
    outDir,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Chromium with software WebGL (SwiftShader) for the 3D view and a fake camera
 * (a test pattern), usable where the page is granted the camera permission.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--enable-unsafe-swiftshader',
      '--use-angle=swiftshader',
      '--no-sandbox',
      '--use-fake-device-for-media-stream',
    ],
  });
}
