#!/usr/bin/env node
// Entry of the metrabs command (installed as a bin by @metrabs/node). Installed from npm it
// runs the build in dist/; in a workspace checkout it runs the TypeScript sources through tsx,
// with the workspace packages resolved to their sources too (no build step while developing).
import { existsSync, realpathSync } from 'node:fs';
import { register } from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const installed = realpathSync(root).split(sep).includes('node_modules');
const sources = new URL('../src/main.ts', import.meta.url);
if (!installed && existsSync(sources)) {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(sources.href);
} else {
  await import('../dist/main.js');
}
