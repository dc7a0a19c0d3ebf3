import { defineConfig } from 'vitest/config';

// Workspace packages resolve each other to their TypeScript sources (see tsconfig.base.json).
const conditions = ['@metrabs/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
