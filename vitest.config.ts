import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages resolve each other to their TypeScript sources: each entry's
 * "@metrabs/source" target becomes an alias. (Not a resolve condition: vitest would pass it on
 * to Node, which then cannot load the .ts files that a built package's dist/ would reach.)
 */
function sourceAliases(): { find: RegExp; replacement: string }[] {
  const packagesDir = fileURLToPath(new URL('packages', import.meta.url));
  return readdirSync(packagesDir).flatMap((dir) => {
    let manifest: { name: string; exports?: Record<string, unknown> };
    try {
      manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
    } catch {
      return [];
    }
    return Object.entries(manifest.exports ?? {}).flatMap(([sub, target]) => {
      const source = (target as Record<string, string>)['@metrabs/source'];
      if (!source) return [];
      const specifier = sub === '.' ? manifest.name : `${manifest.name}/${sub.slice(2)}`;
      return [{ find: new RegExp(`^${specifier}$`), replacement: join(packagesDir, dir, source) }];
    });
  });
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
