#!/usr/bin/env node
// Runs the TypeScript entry of the metrabs CLI through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
