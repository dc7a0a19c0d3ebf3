import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { skeletonsDocument } from '../scripts/skeletons-document.js';

it('fixtures/skeletons.json (read by the Python trainer) matches the registry', () => {
  const onDisk = JSON.parse(
    readFileSync(new URL('../../../fixtures/skeletons.json', import.meta.url), 'utf8'),
  );
  // If this fails: npm run fixtures:skeletons
  expect(onDisk).toEqual(JSON.parse(JSON.stringify(skeletonsDocument())));
});
