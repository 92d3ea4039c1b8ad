import { describe, expect, it } from 'vitest';
import { ConfigError, JobPipeline, parseHooks, type JobPipelineOptions } from '../src/index.js';
import { FakeExecutor } from '../src/testing.js';
import { printable } from './helpers.js';

function issuesOf(options: unknown): unknown {
  try {
    new JobPipeline(options as JobPipelineOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('ERR_CONFIG');
    return printable((error as ConfigError).issues);
  }
  throw new Error('expected a ConfigError');
}

const ok = { name: 'h', command: 'true' };

describe('configuration validation (docs/hooks.md#every-option)', () => {
  const cases: Array<[string, unknown, Array<{ path: string; message: string }>]> = [
    ['unknown hook key, with a suggestion', { preHooks: [{ ...ok, critcal: true }] },
      [{ path: 'preHooks[0].critcal', message: 'unknown option "critcal" (did you mean "critical"?)' }]],
    ['unknown top-level key', { prehooks: [] },
      [{ path: 'prehooks', message: 'unknown option "prehooks" (did you mean "preHooks"?)' }]],
    ['missing name', { preHooks: [{ command: 'x' }] },
      [{ path: 'preHooks[0].name', message: 'is required (expected string)' }]],
    ['empty name', { preHooks: [{ name: '  ', command: 'x' }] },
      [{ path: 'preHooks[0].name', message: 'must not be empty' }]],
    ['empty command', { postHooks: [ok, { name: 'b', command: '' }] },
      [{ path: 'postHooks[1].command', message: 'must not be empty' }]],
    ['command of the wrong type', { preHooks: [{ name: 'a', command: 5 }] },
      [{ path: 'preHooks[0].command', message: 'expected string, received number 5' }]],
    ['critical as a string', { preHooks: [{ ...ok, critical: 'yes' }] },
      [{ path: 'preHooks[0].critical', message: 'expected boolean, received string "yes"' }]],
    ['run_on_job_failure as a number', { postHooks: [{ ...ok, run_on_job_failure: 1 }] },
      [{ path: 'postHooks[0].run_on_job_failure', message: 'expected boolean, received number 1' }]],
    ['zero timeout', { preHooks: [ok, { ...ok, timeout: 0 }] },
      [{ path: 'preHooks[1].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number 0' }]],
    ['negative timeout', { preHooks: [{ ...ok, timeout: -5 }] },
      [{ path: 'preHooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number -5' }]],
    ['unparseable timeout', { preHooks: [{ ...ok, timeout: 'soon' }] },
      [{ path: 'preHooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"' }]],
    ['unknown unit', { preHooks: [{ ...ok, timeout: '5d' }] },
      [{ path: 'preHooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "5d"' }]],
    ['boolean timeout (Borgitory took true as 1 s)', { preHooks: [{ ...ok, timeout: true }] },
      [{ path: 'preHooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received boolean true' }]],
    ['env value that is neither a string, a number nor a boolean', { preHooks: [{ ...ok, env: { A: [1], B: null } }] },
      [
        { path: 'preHooks[0].env.A', message: 'expected a string, number or boolean, received an array' },
        { path: 'preHooks[0].env.B', message: 'expected a string, number or boolean, received null' },
      ]],
    ['environment_vars not an object', { preHooks: [{ ...ok, environment_vars: 'A=1' }] },
      [{ path: 'preHooks[0].environment_vars', message: 'expected record, received string "A=1"' }]],
    ['alias and name both given', { preHooks: [{ ...ok, cwd: '/a', working_directory: '/b' }] },
      [{ path: 'preHooks[0].working_directory', message: 'give either "cwd" or "working_directory", not both' }]],
    ['runOnJobFailure on a pre-hook', { preHooks: [{ ...ok, runOnJobFailure: true }] },
      [{ path: 'preHooks[0].runOnJobFailure', message: 'applies to post-hooks only: a pre-hook cannot run after the job failed' }]],
    ['run_on_job_failure on a pre-hook given as JSON, with another problem', { pre_job_hooks: '[{"name":"a","command":"x","run_on_job_failure":true,"timeout":0}]' },
      [
        { path: 'pre_job_hooks[0].run_on_job_failure', message: 'applies to post-hooks only: a pre-hook cannot run after the job failed' },
        { path: 'pre_job_hooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number 0' },
      ]],
    ['problems in the order they appear, unknown keys included', { zz: 1, preHooks: [{ critcal: true, name: '', command: 'x' }], jobType: 5 },
      [
        { path: 'zz', message: 'unknown option "zz"' },
        { path: 'preHooks[0].critcal', message: 'unknown option "critcal" (did you mean "critical"?)' },
        { path: 'preHooks[0].name', message: 'must not be empty' },
        { path: 'jobType', message: 'expected string, received number 5' },
      ]],
    ['an alias clash next to a wrong type', { postHooks: [{ name: 'a', command: 5, env: {}, environment_vars: {} }] },
      [
        { path: 'postHooks[0].command', message: 'expected string, received number 5' },
        { path: 'postHooks[0].environment_vars', message: 'give either "env" or "environment_vars", not both' },
      ]],
    ['hook list not an array', { preHooks: { name: 'a', command: 'b' } },
      [{ path: 'preHooks', message: 'expected array, received an object' }]],
    ['hook list as broken JSON', { pre_job_hooks: '[{"name": "a",' },
      [{ path: 'pre_job_hooks', message: expect.stringMatching(/^invalid JSON in hook list: /) as unknown as string }]],
    ['hook list JSON that is not an array', { post_job_hooks: '{"name":"hook"}' },
      [{ path: 'post_job_hooks', message: 'expected array, received an object' }]],
    ['hook that is not an object', { preHooks: ['echo hi'] },
      [{ path: 'preHooks[0]', message: 'expected object, received string "echo hi"' }]],
    ['task without run()', { tasks: [{ type: 'backup', name: 'b' }] },
      [{ path: 'tasks[0].run', message: 'expected a function run(ctx), received nothing' }]],
    ['task with an empty name and a bad timeout', { tasks: [{ type: 'backup', name: '', timeout: 'x', run: async () => ({ status: 'completed' }) }] },
      [
        { path: 'tasks[0].name', message: 'must not be empty' },
        { path: 'tasks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "x"' },
      ]],
    ['notifier without notify()', { notifiers: [{ name: 'n' }] },
      [{ path: 'notifiers[0].notify', message: 'expected a function notify(message, ctx), received nothing' }]],
    ['executor that is not one', { executor: {} },
      [{ path: 'executor', message: 'expected an Executor (an object with an execute(request) method), received an object' }]],
    ['bad envPrefix', { envPrefix: '1-BAD' },
      [{ path: 'envPrefix', message: 'must be letters, digits and underscores, not starting with a digit' }]],
    ['bad defaults', { defaults: { timeout: '0s', killGrace: 'never', maxOutputBytes: 10 } },
      [
        { path: 'defaults.timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "0s"' },
        { path: 'defaults.killGrace', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "never"' },
        { path: 'defaults.maxOutputBytes', message: 'must be at least 1024 bytes, received number 10' },
      ]],
  ];

  for (const [title, options, expected] of cases) {
    it(`rejects ${title}`, () => {
      expect(issuesOf(options)).toEqual(expected);
    });
  }

  it('reports every problem at once, in order, in a readable message', () => {
    let caught: unknown;
    try {
      new JobPipeline({ preHooks: [{ name: '', command: 'x', critcal: true } as never, { name: 'b', command: 'y', timeout: -1 }] });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toMatchInlineSnapshot(`
      "Invalid JobPipeline options (3 problems):
        - preHooks[0].name: must not be empty
        - preHooks[0].critcal: unknown option "critcal" (did you mean "critical"?)
        - preHooks[1].timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number -1"
    `);
  });

  it('runs nothing on invalid config', () => {
    const executor = new FakeExecutor();
    expect(() => new JobPipeline({ preHooks: [ok, { name: 'x' } as never], executor })).toThrow(ConfigError);
    expect(executor.calls).toEqual([]);
  });

  it('accepts durations as seconds or strings, and snake_case aliases', async () => {
    const executor = new FakeExecutor();
    // The public types are camelCase only; the pipeline still takes the aliases at run time.
    const options: unknown = {
      pre_job_hooks: '[{"name":"DB Dump","command":"pg_dump mydb","critical":true,"timeout":90,"working_directory":"/tmp","environment_vars":{"A":"1"},"log_output":false}]',
      postHooks: [{ name: 'a', command: 'x', timeout: '500ms', run_on_job_failure: true, continue_on_failure: false }],
      defaults: { killGrace: '2s' },
      executor,
    };
    await new JobPipeline(options as JobPipelineOptions).run();
    expect(executor.calls.map((call) => [call.taskName, call.timeoutMs, call.cwd, call.env['A'], call.killGraceMs])).toEqual([
      ['DB Dump', 90_000, '/tmp', '1', 2_000],
      ['a', 500, process.cwd(), undefined, 2_000],
    ]);
  });
});

describe('parseHooks', () => {
  it('parses the documented API string into canonical hooks', () => {
    expect(parseHooks('[{"name":"DB Dump","command":"pg_dump mydb","critical":true}]')).toEqual([
      { name: 'DB Dump', command: 'pg_dump mydb', critical: true, runOnJobFailure: false, continueOnFailure: true, env: {} },
    ]);
    expect(parseHooks('[{"name":"Cleanup","command":"rm /tmp/*","run_on_job_failure":true,"timeout":"5m","shell":"/bin/sh"}]')).toEqual([
      { name: 'Cleanup', command: 'rm /tmp/*', critical: false, runOnJobFailure: true, continueOnFailure: true, env: {}, timeout: '5m', shell: '/bin/sh' },
    ]);
  });

  it('gives [] for empty input', () => {
    expect(parseHooks('')).toEqual([]);
    expect(parseHooks('   ')).toEqual([]);
    expect(parseHooks('[]')).toEqual([]);
  });

  it('reports broken JSON, non-arrays and bad hooks with their paths', () => {
    expect(() => parseHooks('{"invalid": json}')).toThrow(/^Invalid hook list \(1 problem\):\n {2}- \(root\): invalid JSON in hook list: /);
    // A key given twice: JSON.parse would keep the last ("critical": false) without a word.
    expect(() => parseHooks('[{"name": "Dump", "command": "x", "critical": true, "critical": false}]')).toThrow(
      'Invalid hook list (1 problem):\n  - (root): invalid JSON in hook list: the key "critical" is given twice in one object',
    );
    const issues = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return printable((error as ConfigError).issues);
      }
      return [];
    };
    expect(issues(() => parseHooks('null'))).toEqual([{ path: '', message: 'expected array, received null' }]);
    expect(issues(() => parseHooks('[{"name":"t","command":"e"},{"name":"t2"}]'))).toEqual([
      { path: '[1].command', message: 'is required (expected string)' },
    ]);
  });

  it('round-trips: its output is valid pipeline input', async () => {
    const hooks = parseHooks('[{"name":"a","command":"x","timeout":1.5,"continue_on_failure":false}]');
    const executor = new FakeExecutor();
    await new JobPipeline({ preHooks: hooks, executor }).run();
    expect(executor.calls[0]?.timeoutMs).toBe(1500);
  });
});
