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
    // The `jobhooks` binary: ESM only, with its shebang kept by tsup. Its dependencies are bundled
    // into it, so a start-up resolves and reads a few files instead of hundreds
    // (docs/performance.md, "CLI start-up"); the commands stay a chunk of their own, loaded only
    // by a command that needs them.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    sourcemap: true,
    // …all but the optional peer dependencies, which only `jobhooks worker|enqueue|schedule` loads,
    // from the user's node_modules (docs/distributed.md).
    noExternal: [/^(?!(?:bullmq|ioredis|pg|@opentelemetry\/api)(?:\/|$))/],
    external: ['bullmq', 'ioredis', 'pg', '@opentelemetry/api'],
    // cross-spawn and yaml are CommonJS: their `require('child_process')` needs a real `require`.
    banner: { js: "import { createRequire as __jobhooksCreateRequire } from 'node:module';\nconst require = __jobhooksCreateRequire(import.meta.url);" },
    esbuildPlugins: [zodEnglishOnly],
    // Less source for V8 to parse at every start; names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
  },
]);
