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

/**
 * Node's own modules that only some commands use, required by the commands bundle when one of their
 * functions is first called instead of when the bundle loads: `validate` and `plan` never load
 * `node:crypto` (2–3 ms), `node:child_process` or `node:fs/promises` (≈ 1 ms each); `run` loads each
 * when it first needs it (docs/performance.md, "CLI start-up"). Each function the module exports
 * (a lower-case name) becomes one that requires the module and calls through; importing anything else
 * from it (a class, a constant) fails the build rather than the run.
 */
const LAZY_BUILTINS = /^(?:node:)?(crypto|child_process|fs\/promises)$/;
const lazyBuiltins: EsbuildPlugin = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.namespace === 'lazy-builtin' ? { path: `node:${args.path.replace(/^node:/, '')}`, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const real = (await import(`node:${args.path}`)) as Record<string, unknown>;
      const functions = Object.keys(real).filter((name) => /^[a-z]/.test(name) && typeof real[name] === 'function');
      const contents = [
        `let loaded;`,
        `const load = () => (loaded ??= require('node:${args.path}'));`,
        ...functions.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
      ].join('\n');
      return { contents, loader: 'js' };
    });
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
    esbuildPlugins: [zodEnglishOnly, lazyBuiltins],
    // tsup's own resolver of `node:` imports would otherwise take them before lazyBuiltins sees them.
    removeNodeProtocol: false,
    // Less source for V8 to parse when there is no cache yet; names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
  },
]);
