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
    // Type tests (*.test-d.ts) are checked by tsc as part of every run: a wrong type fails the run
    // (an expectTypeOf inside a normal test passes at runtime whatever the types say).
    typecheck: { enabled: true, checker: 'tsc', include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real processes and process-group kills: keep files in separate forks.
    pool: 'forks',
    // Suites that drive the real borg binary carry this tag and are skipped without borg; the borg
    // reporter then prints one line saying how many, and JOBHOOKS_REQUIRE_BORG=1 (CI) makes a missing
    // borg fail the run instead (docs/testing.md).
    tags: [
      { name: 'borg', description: 'needs the borg binary on PATH (apt-get install borgbackup)' },
      { name: 'redis', description: 'starts a private redis-server (apt-get install redis-server); JOBHOOKS_REQUIRE_QUEUES=1 makes it required' },
      { name: 'postgres', description: 'starts a private PostgreSQL cluster (apt-get install postgresql); JOBHOOKS_REQUIRE_QUEUES=1 makes it required' },
      { name: 'chromium', description: 'renders the history page in a headless Chromium (apt-get install chromium); JOBHOOKS_REQUIRE_CHROMIUM=1 makes it required' },
    ],
    globalSetup: ['test/support/borg-setup.ts'],
    reporters: ['default', './test/support/borg-reporter.ts'],
  },
});
