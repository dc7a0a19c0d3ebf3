/**
 * Writes fixtures/skeletons.json: every skeleton of the registry (names, edges, mirror map,
 * conversion weights from the canonical set), the reference pose and typical bone lengths.
 * The Python trainer reads it, so both sides use one definition. A test fails when the file
 * is stale; regenerate with `npm run fixtures:skeletons`.
 */
import { writeFileSync } from 'node:fs';
import { skeletonsDocument } from './skeletons-document.js';

const path = new URL('../../../fixtures/skeletons.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(skeletonsDocument(), null, 1)}\n`);
console.log(`wrote ${path.pathname}`);
