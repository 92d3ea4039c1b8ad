import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

// The same entry points, in the same order, as package.json `exports` and typedoc.json.
const entry = {
  index: 'src/index.ts',
  testing: 'src/testing.ts',
  borg: 'src/borg/index.ts',
  prometheus: 'src/prometheus/index.ts',
  otel: 'src/otel/index.ts',
  bullmq: 'src/bullmq/index.ts',
};

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * zod's `z` namespace re-exports every locale (about 360 KB of the bundle, a quarter of it); the
 * CLI only uses zod's default English messages, so its bundle gets the English locale alone.
 */
const zodEnglishOnly: EsbuildPlugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-english-only' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
    }));
  },
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
    // The `jobhooks` binary: a small CommonJS file (its shebang kept by tsup) that answers --version
    // and --help by itself and loads the commands below only for a command (docs/performance.md,
    // "CLI start-up"). CommonJS, not ESM: Node starts an ES module entry through its ESM loader, 4–7 ms
    // more at every start. `shims` gives it `import.meta.url`.
    entry: { cli: 'src/cli/main.ts' },
    format: ['cjs'],
    shims: true,
    target: 'node20',
    sourcemap: true,
    noExternal: [/^(?!\.\/cli-commands\.cjs$)/],
    minifyWhitespace: true,
    minifySyntax: true,
  },
  {
    // The commands: one CommonJS file with its dependencies bundled in, so a start-up reads one file
    // instead of hundreds, and Node 20 can keep its compiled code between runs through vm.Script's
    // cachedData (src/cli/code-cache.ts) — it has no compile cache for ES modules. All but the
    // optional peer dependencies, which only `jobhooks worker|enqueue|schedule` loads, from the
    // user's node_modules (docs/distributed.md).
    entry: { 'cli-commands': 'src/cli/commands-bundle.ts' },
    format: ['cjs'],
    target: 'node20',
    sourcemap: true,
    noExternal: [/^(?!(?:bullmq|ioredis|pg|@opentelemetry\/api)(?:\/|$))/],
    external: ['bullmq', 'ioredis', 'pg', '@opentelemetry/api'],
    esbuildPlugins: [zodEnglishOnly],
    // Less source for V8 to parse when there is no cache yet; names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
  },
]);
