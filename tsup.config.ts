import { defineConfig } from 'tsup';

// The same entry points, in the same order, as package.json `exports` and typedoc.json.
const entry = {
  index: 'src/index.ts',
  testing: 'src/testing.ts',
  borg: 'src/borg/index.ts',
  prometheus: 'src/prometheus/index.ts',
  otel: 'src/otel/index.ts',
  bullmq: 'src/bullmq/index.ts',
};

export default defineConfig([
  {
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    entry,
    format: ['cjs'],
    dts: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // The `jobhooks` binary: ESM only, with its shebang kept by tsup.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
  },
]);
