#!/usr/bin/env node
// The `metrabs` command: runs @metrabs/cli's entry (which picks its build or, in a workspace
// checkout, its TypeScript sources).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const cliManifest = createRequire(import.meta.url).resolve('@metrabs/cli/package.json');
await import(new URL('bin/metrabs.js', pathToFileURL(cliManifest)).href);
