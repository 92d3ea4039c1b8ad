import { describe, expect, it, vi } from 'vitest';
import { borgCreate, borgPrune } from '../src/borg/index.js';
import { ConfigError, JobPipeline, commandTask, durationToMs, type JobPipelineOptions } from '../src/index.js';
import { FakeExecutor } from '../src/testing.js';
import { printable } from './helpers.js';
import { runCli, tempDir } from './cli/helpers.js';

function issuesOf(make: () => unknown): readonly { path: string; message: string }[] {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return printable((error as ConfigError).issues);
  }
  throw new Error('expected a ConfigError');
}

const pipelineIssues = (options: unknown) => issuesOf(() => new JobPipeline(options as JobPipelineOptions));
const hook = { name: 'h', command: 'true' };
const NUL = 'must not contain a NUL byte ("\\0"): no command, argument or environment can carry one';

describe('environment values written as numbers and booleans (issue 9, bug 4)', () => {
  it('gives hooks and command tasks their string form, as a shell user expects', async () => {
    const executor = new FakeExecutor();
    const pipeline = new JobPipeline({
      executor,
      env: { PGPORT: 5432, DEBUG: true },
      preHooks: [{ name: 'Dump', command: 'pg_dump', env: { RETRIES: 3, RATIO: 0.5, DRY: false } }],
      tasks: [commandTask({ name: 'Sync', command: 'rsync', env: { BWLIMIT: 1000, VERBOSE: true } })],
    });
    await pipeline.run();
    const [dump, sync] = executor.calls;
    expect([dump?.env['PGPORT'], dump?.env['DEBUG'], dump?.env['RETRIES'], dump?.env['RATIO'], dump?.env['DRY']]).toEqual(['5432', 'true', '3', '0.5', 'false']);
    expect([sync?.env['PGPORT'], sync?.env['BWLIMIT'], sync?.env['VERBOSE']]).toEqual(['5432', '1000', 'true']);
  });

  it('gives borg its env in string form too', async () => {
    const executor = new FakeExecutor();
    await new JobPipeline({ executor, tasks: [borgPrune({ repository: '/srv/borg', keep: { daily: 7 }, env: { BORG_LOCK_WAIT: 30 } })] }).run();
    expect(executor.calls[0]?.env['BORG_LOCK_WAIT']).toBe('30');
  });

  it('still rejects values that have no string form a shell would read', () => {
    expect(pipelineIssues({ env: { A: null, B: { x: 1 }, C: Number.NaN } })).toEqual([
      { path: 'env.A', message: 'expected a string, number or boolean, received null' },
      { path: 'env.B', message: 'expected a string, number or boolean, received an object' },
      { path: 'env.C', message: 'expected a finite number' },
    ]);
  });
});

describe('keys named like Object.prototype members (issue 10, point 5)', () => {
  it('are unknown options, and a map refuses an own __proto__ key instead of dropping it', () => {
    const parsed = JSON.parse(
      '{"toString": 1, "preHooks": [{"name": "a", "command": "b", "constructor": 1}], "env": {"__proto__": "x"}, "context": {"__proto__": "y"}}',
    ) as unknown;
    expect(pipelineIssues(parsed)).toEqual([
      { path: 'toString', message: 'unknown option "toString"' },
      { path: 'preHooks[0].constructor', message: 'unknown option "constructor"' },
      { path: 'env.__proto__', message: '"__proto__" cannot be used as a name' },
      { path: 'context.__proto__', message: '"__proto__" cannot be used as a name' },
    ]);
  });
});

describe('NUL bytes in anything that reaches spawn (issue 10, point 6)', () => {
  it('are rejected in hooks, pipeline options and defaults, with their paths', () => {
    expect(
      pipelineIssues({
        jobId: 'j\0',
        env: { A: 'x\0y', 'B\0': 'v' },
        context: { k: 'v\0' },
        repository: { name: 'r\0' },
        defaults: { shell: '/bin/sh\0', cwd: '/tmp\0' },
        preHooks: [{ name: 'a\0', command: 'echo\0', shell: '/bin/bash\0', cwd: '/\0', env: { X: '\0' } }],
      }),
    ).toEqual([
      { path: 'jobId', message: NUL },
      { path: 'env.A', message: NUL },
      { path: 'env.B\0', message: 'environment variable names must not be empty or contain "=" or NUL' },
      { path: 'context.k', message: NUL },
      { path: 'repository.name', message: NUL },
      { path: 'defaults.shell', message: NUL },
      { path: 'defaults.cwd', message: NUL },
      { path: 'preHooks[0].name', message: NUL },
      { path: 'preHooks[0].command', message: NUL },
      { path: 'preHooks[0].shell', message: NUL },
      { path: 'preHooks[0].cwd', message: NUL },
      { path: 'preHooks[0].env.X', message: NUL },
    ]);
  });

  it('are rejected in command tasks: shell text, each argv element, cwd, shell, env', () => {
    expect(issuesOf(() => commandTask({ name: 'a', command: 'echo \0' }))).toEqual([{ path: 'command', message: NUL }]);
    expect(issuesOf(() => commandTask({ name: 'a', command: ['rsync', '-a\0'], cwd: '/\0', shell: 'sh\0', env: { A: '\0' } }))).toEqual([
      { path: 'command[1]', message: NUL },
      { path: 'cwd', message: NUL },
      { path: 'shell', message: NUL },
      { path: 'env.A', message: NUL },
    ]);
  });

  it('are rejected in every borg string: extraArgs, paths, repository, passcommand, binary', () => {
    expect(
      issuesOf(() =>
        borgCreate({ repository: '/r\0', paths: ['/a\0'], extraArgs: ['--x\0'], passcommand: 'cat\0', borgBinary: 'borg\0', comment: 'c\0', exclude: ['e\0'] }),
      ),
    ).toEqual([
      { path: 'repository', message: NUL },
      { path: 'paths[0]', message: NUL },
      { path: 'extraArgs[0]', message: NUL },
      { path: 'passcommand', message: NUL },
      { path: 'borgBinary', message: NUL },
      { path: 'comment', message: NUL },
      { path: 'exclude[0]', message: NUL },
    ]);
  });
});

describe('limits on the size of a configuration (issue 10, point 7)', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i}`, command: 'true' }));

  it('allows 1000 hooks per phase, 1000 tasks, 1000 notifiers and 1000 secrets, and says which limit a list passed', () => {
    expect(() => new JobPipeline({ preHooks: many(1000), postHooks: many(1000), secrets: Array.from({ length: 1000 }, (_, i) => `secret-${i}`) })).not.toThrow();
    // Each secret is looked for in every line of output: 200,000 of them took half a gigabyte to accept.
    expect(pipelineIssues({ secrets: Array.from({ length: 1001 }, (_, i) => `secret-${i}`) })).toEqual([
      { path: 'secrets', message: 'at most 1000 secrets are allowed (the limit keeps a runaway file from exhausting memory)' },
    ]);
    const task = commandTask({ name: 't', command: 'true' });
    const notifiers = (count: number): { name: string; notify(): Promise<void> }[] => Array.from({ length: count }, (_, i) => ({ name: `n${i}`, notify: async () => {} }));
    expect(() => new JobPipeline({ notifiers: notifiers(1000) })).not.toThrow();
    expect(
      pipelineIssues({ preHooks: many(1001), post_job_hooks: JSON.stringify(many(1001)), tasks: Array(1001).fill(task), notifiers: notifiers(1001) }),
    ).toEqual([
      { path: 'preHooks', message: 'at most 1000 hooks per phase are allowed (the limit keeps a runaway file from exhausting memory)' },
      { path: 'post_job_hooks', message: 'at most 1000 hooks per phase are allowed (the limit keeps a runaway file from exhausting memory)' },
      { path: 'tasks', message: 'at most 1000 tasks are allowed (the limit keeps a runaway file from exhausting memory)' },
      { path: 'notifiers', message: 'at most 1000 notifiers are allowed (the limit keeps a runaway file from exhausting memory)' },
    ]);
  });

  it('refuses two notifiers of one name, at the second: results, events and errors tell them apart by it', async () => {
    const notify = async (): Promise<void> => {};
    expect(pipelineIssues({ notifiers: [{ name: 'webhook', notify }, { name: 'ntfy', notify }, { name: 'webhook', notify }] })).toEqual([
      { path: 'notifiers[2].name', message: '"webhook" is the name of notifiers[0] too: give each notifier a name of its own (results, events and errors tell them apart by it)' },
    ]);
    // In a config file, two of a kind left with their default name (the type).
    const dir = tempDir();
    try {
      const run = await runCli(['validate', dir.write('job.yaml', 'tasks:\n  - { name: B, command: "true" }\nnotifiers:\n  - { type: prometheus, textfile: /tmp/a.prom }\n  - { type: prometheus, pushgateway: "http://127.0.0.1:9091" }\n')], { cwd: dir.path });
      expect([run.code, run.stderr]).toEqual([64, expect.stringContaining('  - notifiers[1].name: "prometheus" is the name of notifiers[0] too')]);
    } finally {
      dir.remove();
    }
  });

  it('caps maxOutputBytes at 64 MiB (issue 10, point 10)', () => {
    expect(() => new JobPipeline({ defaults: { maxOutputBytes: 64 * 1024 * 1024 } })).not.toThrow();
    expect(pipelineIssues({ defaults: { maxOutputBytes: 1e15 } })).toEqual([
      { path: 'defaults.maxOutputBytes', message: "must be at most 67108864 bytes (64 MiB): every task's tail is held in memory, received number 1000000000000000" },
    ]);
  });
});

describe('values that were accepted but wrong (issue 10, point 13)', () => {
  it('durations: at least 1 ms, at most 366 days, everywhere a duration is taken', () => {
    expect(durationToMs('1ms')).toBe(1);
    expect(durationToMs('8784h')).toBe(366 * 24 * 3_600_000);
    expect(durationToMs(1e-300)).toBeUndefined();
    expect(durationToMs('8785h')).toBeUndefined();
    const notifier = { name: 'n', notify: async () => {}, timeout: 1e-300 };
    expect(
      pipelineIssues({
        preHooks: [{ ...hook, timeout: 1e-300 }],
        tasks: [{ ...commandTask({ name: 't', command: 'x' }), timeout: '9000h' }],
        notifiers: [notifier],
        defaults: { timeout: 0.0001, killGrace: 1e12 },
      }),
    ).toEqual([
      { path: 'preHooks[0].timeout', message: 'must be at least 1ms, received number 1e-300' },
      { path: 'tasks[0].timeout', message: 'must be at most 366 days ("8784h"), received string "9000h"' },
      { path: 'notifiers[0].timeout', message: 'must be at least 1ms, received number 1e-300' },
      { path: 'defaults.timeout', message: 'must be at least 1ms, received number 0.0001' },
      { path: 'defaults.killGrace', message: 'must be at most 366 days ("8784h"), received number 1000000000000' },
    ]);
    expect(issuesOf(() => commandTask({ name: 't', command: 'x', timeout: 1e-300 }))).toEqual([{ path: 'timeout', message: 'must be at least 1ms, received number 1e-300' }]);
    expect(issuesOf(() => borgPrune({ repository: '/r', keep: { daily: 1 }, timeout: '9000h' }))).toEqual([
      { path: 'timeout', message: 'must be at most 366 days ("8784h"), received string "9000h"' },
    ]);
  });

  it('borg gets at least 5 s between SIGTERM and SIGKILL, 10 s by default, whatever the pipeline default', async () => {
    expect(issuesOf(() => borgPrune({ repository: '/r', keep: { daily: 1 }, killGrace: 0.001 }))).toEqual([
      { path: 'killGrace', message: 'must be at least 5s: borg needs the time to release the repository lock, or the next run finds a stale lock' },
    ]);
    const executor = new FakeExecutor();
    await new JobPipeline({
      executor,
      defaults: { killGrace: 0.001 },
      tasks: [borgPrune({ repository: '/r', keep: { daily: 1 } }), borgPrune({ repository: '/r', keep: { daily: 1 }, killGrace: '30s' })],
    }).run();
    expect(executor.calls.map((call) => call.killGraceMs)).toEqual([10_000, 30_000]);
  });

  it('context keys: only characters an environment variable name can hold', () => {
    expect(pipelineIssues({ context: { 'a=b': 1, 'x y': 2, 'é': 3, ok_1: 4 } })).toEqual(
      ['context.a=b', 'context.x y', 'context.é'].map((path) => ({
        path,
        message: 'a context key becomes the environment variable <envPrefix><KEY>: use only letters A-Z, digits and "_"',
      })),
    );
  });

  it('puts thousands of problems in input order without reading the input again for each one', () => {
    // A map dumped one level too high: 2,000 unknown keys at the top, 2,000 in a hook given as a JSON string.
    const many = (prefix: string): Record<string, number> => Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`${prefix}${i}`, i]));
    const hooks = JSON.stringify([{ name: 'Dump', command: 'x', ...many('option') }]);
    const input = { pre_job_hooks: hooks, ...many('unknown') };
    const parse = vi.spyOn(JSON, 'parse');
    const keys = vi.spyOn(Object, 'keys');
    try {
      expect(pipelineIssues(input)).toHaveLength(4000);
      // Once per text and per object would do; once per problem is what made 80,000 of them take hours.
      expect(parse.mock.calls.filter(([text]) => text === hooks).length).toBeLessThanOrEqual(5);
      expect(keys.mock.calls.filter(([object]) => typeof object === 'object' && object !== null && Object.getOwnPropertyNames(object).length >= 2000).length).toBeLessThanOrEqual(10);
    } finally {
      parse.mockRestore();
      keys.mockRestore();
    }
  });

  it('names with a newline or another control character, which could forge log lines', () => {
    const CONTROL = 'must not contain control characters (newline, tab, escape, text-direction overrides, …): a name is printed in log lines';
    expect(
      pipelineIssues({
        preHooks: [{ name: 'Dump\n02:00:03 [Fake] completed', command: 'x' }],
        tasks: [{ ...commandTask({ name: 't', command: 'x' }), name: 'a\u001b[2K' }],
        postHooks: [
          { name: 'tab\there', command: 'x' },
          // Reads "Dump status: failed" where it is shown, and an override left open turns what follows.
          { name: 'Dump \u202edeliaf :sutats\u202c', command: 'x' },
          { name: 'Dump \u2067isolated', command: 'x' },
        ],
      }),
    ).toEqual([
      { path: 'preHooks[0].name', message: CONTROL },
      { path: 'tasks[0].name', message: CONTROL },
      { path: 'postHooks[0].name', message: CONTROL },
      { path: 'postHooks[1].name', message: CONTROL },
      { path: 'postHooks[2].name', message: CONTROL },
    ]);
    // Names in right-to-left scripts need no override: they stay valid.
    expect(new JobPipeline({ preHooks: [{ name: 'גיבוי יומי', command: 'x' }, { name: 'نسخ احتياطي', command: 'x' }] }).plan().map((task) => task.name)).toEqual(['גיבוי יומי', 'نسخ احتياطي']);
    expect(issuesOf(() => commandTask({ name: 'a\rb', command: 'x' }))).toEqual([{ path: 'name', message: CONTROL }]);
    expect(issuesOf(() => borgPrune({ repository: '/r', keep: { daily: 1 }, name: 'a\nb' }))).toEqual([{ path: 'name', message: CONTROL }]);
  });
});
