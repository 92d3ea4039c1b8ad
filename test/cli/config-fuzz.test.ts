import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildJob } from '../../src/cli/job.js';
import { parseConfigText } from '../../src/cli/load.js';
import { configWarnings } from '../../src/cli/warnings.js';
import { FakeExecutor } from '../../src/testing.js';
import { runCli, tempDir } from './helpers.js';

/*
 * Whatever value sits at whatever key of a valid config file, loading it has two outcomes only: a
 * job, or a list of issues (exit 64). Never an exception (exit 70), never a hang, never a command run.
 */

const dir = tempDir();
afterAll(() => {
  dir.remove();
});

const marker = () => join(dir.path, 'hook-ran');

function validConfig(): Record<string, unknown> {
  const touch = `touch ${marker()}`;
  return {
    jobId: 'fuzz',
    jobType: 'scheduled',
    repository: { id: 1, name: 'repo' },
    env: { A: '1', PORT: 5432 },
    inheritEnv: true,
    envPrefix: 'JOBHOOKS_',
    context: { host: 'db1' },
    secrets: ['a-long-secret', { env: 'FUZZ_SECRET' }],
    defaults: { timeout: 5, shell: '/bin/sh', cwd: '/tmp', killGrace: '2s', maxOutputBytes: 4096 },
    preHooks: [{ name: 'Pre', command: touch, critical: true, timeout: '10s', env: { X: 'y' }, cwd: '/tmp' }],
    postHooks: [{ name: 'Post', command: touch, runOnJobFailure: true, continueOnFailure: false }],
    tasks: [
      { name: 'Cmd', type: 'backup', command: ['sh', '-c', touch], env: { B: true }, timeout: 30 },
      { borg: 'create', repository: '/srv/borg', paths: ['/etc'], compression: 'lz4', extraArgs: ['--stats'], killGrace: 10 },
      { borg: 'prune', repository: '/srv/borg', keep: { daily: 7, within: '2d' } },
    ],
    notifiers: [{ type: 'console' }, { type: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { 'X-A': 'b' }, retries: 0 }],
  };
}

/** Every path of the valid config: each object key, each array element, at every depth. */
function pathsOf(value: unknown, path: readonly PropertyKey[] = []): PropertyKey[][] {
  const paths: PropertyKey[][] = [];
  if (typeof value !== 'object' || value === null) return paths;
  for (const [key, child] of Object.entries(value)) {
    const next = [...path, Array.isArray(value) ? Number(key) : key];
    paths.push(next, ...pathsOf(child, next));
  }
  return paths;
}

const PATHS = pathsOf(validConfig());
const ENV = { FUZZ_SECRET: 'from-the-environment', PATH: process.env['PATH'] };

const oddKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'env', 'borg', 'type', 'a=b', '', 'x\u0000y', 'x\ny'),
  fc.string(),
);
const oddString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', 'a\nb', '1e-300', '9000h', 'zstd,99', '!foo', '[1,2', '{"env":"NOPE"}'));
const value = fc.oneof(
  fc.jsonValue(),
  oddString,
  fc.constantFrom(0, -1, 1e-300, 1e15, 1e308, -0, 0.5, true, false, null, [], {}, { env: 'FUZZ_SECRET' }, { env: 'UNSET_VAR' }, { env: 1 }),
  fc.dictionary(oddKey, fc.jsonValue(), { maxKeys: 4 }),
  fc.array(fc.jsonValue(), { maxLength: 4 }),
);

type Mutation = { readonly path: PropertyKey[]; readonly kind: 'set' | 'add' | 'delete'; readonly key: string; readonly value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({ path: fc.constantFrom(...PATHS), kind: fc.constantFrom('set', 'add', 'delete'), key: oddKey, value });

/** Applies a mutation to a fresh valid config; keys are defined as own properties, `__proto__` included. */
function mutate(mutations: readonly Mutation[]): Record<string, unknown> {
  const config = validConfig();
  for (const { path, kind, key, value: newValue } of mutations) {
    let parent: unknown = config;
    for (const segment of path.slice(0, -1)) parent = typeof parent === 'object' && parent !== null ? (parent as Record<PropertyKey, unknown>)[segment] : undefined;
    const last = path.at(-1);
    if (typeof parent !== 'object' || parent === null || last === undefined) continue;
    const target = parent as Record<PropertyKey, unknown>;
    if (kind === 'delete') delete target[last];
    else if (kind === 'set') define(target, last, newValue);
    else {
      const child = target[last];
      define(typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Record<PropertyKey, unknown>) : target, key, newValue);
    }
  }
  return config;
}

/** Sets an own property, as JSON.parse makes them; a key no such object can have (an array's `length`) is left out. */
function define(target: Record<PropertyKey, unknown>, key: PropertyKey, value: unknown): void {
  if (Array.isArray(target) && key === 'length') return;
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What the CLI does with a file, in process: parse, build, warn. The outcome, or the exception. */
async function load(text: string, name: string): Promise<{ ok: boolean; executor: FakeExecutor }> {
  const executor = new FakeExecutor();
  const loaded = await parseConfigText(text, name);
  if (!loaded.ok) {
    expect(loaded.message).toMatch(/\S/);
    return { ok: false, executor };
  }
  const built = buildJob(loaded.value, { env: ENV, executor, consoleStream: { write: () => true } as unknown as NodeJS.WritableStream });
  if (!built.ok) {
    expect(built.issues.length).toBeGreaterThan(0);
    for (const issue of built.issues) {
      expect(Array.isArray(issue.path)).toBe(true);
      expect(['unknown_option', 'required', 'invalid_type', 'invalid_value']).toContain(issue.code);
      expect(issue.message).toMatch(/\S/);
    }
    return { ok: false, executor };
  }
  configWarnings(loaded.value as Record<string, unknown>, ENV);
  return { ok: true, executor };
}

const text = (config: unknown, format: 'json' | 'yaml'): string => (format === 'json' ? JSON.stringify(config) : stringify(config));

describe('fuzzing the config loader', () => {
  it('the valid config is valid', async () => {
    expect((await load(JSON.stringify(validConfig()), 'job.json')).ok).toBe(true);
  });

  it('any value at any key gives a job or issues, never an exception, and runs nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.constantFrom('json' as const, 'yaml' as const), async (mutations, format) => {
        const { executor } = await load(text(mutate(mutations), format), `job.${format}`);
        expect(executor.calls).toEqual([]);
      }),
      { numRuns: 300 },
    );
    expect(existsSync(marker())).toBe(false);
  });

  it('the built CLI exits 64 on such files and runs no hook', async () => {
    // Samples the in-process loader refuses, run through `jobhooks run`: the whole path, exit code included.
    const candidates = fc
      .sample(fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.constantFrom('json' as const, 'yaml' as const)), { numRuns: 200, seed: 9 })
      .map(([mutations, format]) => ({ name: `job.${format}`, text: text(mutate(mutations), format) }));
    const samples = [];
    for (const sample of candidates) if (samples.length < 6 && !(await load(sample.text, sample.name)).ok) samples.push(sample);
    expect(samples).toHaveLength(6);
    for (const sample of samples) {
      const run = await runCli(['run', dir.write(sample.name, sample.text)], { cwd: dir.path, env: { FUZZ_SECRET: ENV.FUZZ_SECRET } });
      expect({ code: run.code, internal: run.stderr.includes('internal error') }).toEqual({ code: 64, internal: false });
      expect(existsSync(marker())).toBe(false);
    }
  });
});
