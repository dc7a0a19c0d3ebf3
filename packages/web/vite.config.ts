import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { siteAssets } from './site-assets.js';

/**
 * Cross-origin isolation (needed for SharedArrayBuffer, i.e. multi-threaded WebAssembly).
 * Static hosts must send the same two headers; without them the page still works, with one
 * WebAssembly thread (docs/web.md).
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative URLs: the build works from any folder of any static host.
  base: './',
  // No single-page fallback: a missing model or detector is a real 404, as on static hosts.
  appType: 'mpa',
  // The workspace packages are used from their TypeScript sources (no build step needed).
  resolve: { conditions: ['@metrabs/source', ...defaultClientConditions] },
  server: { headers: ISOLATION_HEADERS, port: 5173 },
  preview: { headers: ISOLATION_HEADERS, port: 4173 },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
  plugins: [siteAssets()],
});
