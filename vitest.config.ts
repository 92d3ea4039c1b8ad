import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and docs import the package by its name, as users do; here that name is the source.
    alias: [
      { find: /^jobhooks\/testing$/, replacement: src('testing.ts') },
      { find: /^jobhooks\/borg$/, replacement: src('borg/index.ts') },
      { find: /^jobhooks$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real processes and process-group kills: keep files in separate forks.
    pool: 'forks',
  },
});
