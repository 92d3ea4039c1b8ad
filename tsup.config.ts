import { defineConfig } from 'tsup';

// The same entry points, in the same order, as package.json `exports` and typedoc.json.
const entry = {
  index: 'src/index.ts',
  testing: 'src/testing.ts',
  borg: 'src/borg/index.ts',
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
    // p-timeout is ESM-only: `require()` of it fails on Node 20 before 20.19, so the CommonJS
    // build carries its own copy. The ESM build imports it from node_modules as usual.
    noExternal: ['p-timeout'],
  },
  {
    // The `jobhooks` binary: ESM only, with its shebang kept by tsup.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
  },
]);
