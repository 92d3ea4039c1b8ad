import { describe, expect, it } from 'vitest';
import { commandTask, JobPipeline, type Task } from '../src/index.js';
import { CODE_KEYS, createRedactor, redactJson } from '../src/env.js';
import { collectEvents, FakeExecutor, RecordingNotifier } from '../src/testing.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function contextVars(env: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith(prefix)));
}

describe('environment injection (docs/environment.md)', () => {
  it('gives each hook exactly its context variables, with the outcome so far', async () => {
    const executor = new FakeExecutor({ backup: { exitCode: 3 } });
    const config = deepFreeze({
      jobId: 'job-1',
      jobType: 'scheduled',
      repository: { id: 123, name: 'MyRepository' },
      env: { SHARED: 'job', OVERRIDE: 'job' },
      // `attempt` collides with the engine's own JOBHOOKS_ATTEMPT, which wins (docs/environment.md).
      context: { host: 'db01', attempt: 2 },
      preHooks: [{ name: 'Database Dump', command: 'dump', env: { OVERRIDE: 'hook' } }],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'b' })],
      postHooks: [{ name: 'Cleanup', command: 'rm', runOnJobFailure: true }],
    });
    const snapshot = JSON.stringify(config);
    await new JobPipeline({ ...config, executor }).run();
    expect(JSON.stringify(config)).toBe(snapshot);

    expect(contextVars(executor.calls[0]?.env ?? {}, 'JOBHOOKS_')).toEqual({
      JOBHOOKS_HOST: 'db01',
      JOBHOOKS_ATTEMPT: '1',
      JOBHOOKS_REPOSITORY_ID: '123',
      JOBHOOKS_REPOSITORY_NAME: 'MyRepository',
      JOBHOOKS_TASK_INDEX: '0',
      JOBHOOKS_JOB_TYPE: 'scheduled',
      JOBHOOKS_JOB_ID: 'job-1',
      JOBHOOKS_HOOK_NAME: 'Database Dump',
      JOBHOOKS_HOOK_PHASE: 'pre',
      JOBHOOKS_JOB_STATUS: 'success',
    });
    expect(executor.calls[0]?.env).toMatchObject({ SHARED: 'job', OVERRIDE: 'hook' });
    expect(executor.calls[1]?.env).toMatchObject({ SHARED: 'job', OVERRIDE: 'job', JOBHOOKS_TASK_INDEX: '1' });
    expect(executor.calls[1]?.env).not.toHaveProperty('JOBHOOKS_HOOK_NAME');
    expect(contextVars(executor.calls[2]?.env ?? {}, 'JOBHOOKS_')).toEqual({
      JOBHOOKS_HOST: 'db01',
      JOBHOOKS_ATTEMPT: '1',
      JOBHOOKS_REPOSITORY_ID: '123',
      JOBHOOKS_REPOSITORY_NAME: 'MyRepository',
      JOBHOOKS_TASK_INDEX: '2',
      JOBHOOKS_JOB_TYPE: 'scheduled',
      JOBHOOKS_JOB_ID: 'job-1',
      JOBHOOKS_HOOK_NAME: 'Cleanup',
      JOBHOOKS_HOOK_PHASE: 'post',
      JOBHOOKS_JOB_STATUS: 'failure',
      JOBHOOKS_FAILED_TASK: 'backup',
      JOBHOOKS_ERROR: "Task 'backup' exited with code 3",
    });
  });

  it('uses envPrefix BORGITORY_ so the documented scripts work unchanged', async () => {
    const executor = new FakeExecutor();
    await new JobPipeline({
      envPrefix: 'BORGITORY_',
      repository: { id: '123' },
      preHooks: [{ name: 'a', command: 'a' }, { name: 'b', command: 'b' }],
      executor,
    }).run();
    expect(executor.calls.map((call) => contextVars(call.env, 'BORGITORY_'))).toEqual([
      expect.objectContaining({ BORGITORY_REPOSITORY_ID: '123', BORGITORY_TASK_INDEX: '0', BORGITORY_JOB_TYPE: 'manual' }),
      expect.objectContaining({ BORGITORY_REPOSITORY_ID: '123', BORGITORY_TASK_INDEX: '1', BORGITORY_JOB_TYPE: 'manual' }),
    ]);
    expect(executor.calls[0]?.env).not.toHaveProperty('JOBHOOKS_JOB_ID');
  });

  it('reports warning, then cancelled, as the outcome so far', async () => {
    const executor = new FakeExecutor({ flaky: { exitCode: 1 }, long: { hang: true } });
    const controller = new AbortController();
    const pipeline = new JobPipeline({
      preHooks: [{ name: 'flaky', command: 'x' }, { name: 'seen', command: 'x' }, { name: 'long', command: 'x' }],
      postHooks: [{ name: 'cleanup', command: 'x', runOnJobFailure: true }],
      executor,
    });
    pipeline.on('taskStart', ({ task }) => {
      if (task.name === 'long') setTimeout(() => controller.abort(), 10);
    });
    await pipeline.run({ signal: controller.signal });
    expect(executor.calls.map((call) => [call.taskName, call.env['JOBHOOKS_JOB_STATUS']])).toEqual([
      ['flaky', 'success'],
      ['seen', 'warning'],
      ['long', 'warning'],
      ['cleanup', 'cancelled'],
    ]);
    expect(executor.calls[3]?.env['JOBHOOKS_FAILED_TASK']).toBe('long');
    expect(executor.calls[3]?.env['JOBHOOKS_ERROR']).toBe('Task cancelled');
  });

  it('drops inherited prefixed variables, never mutates process.env, and inheritEnv: false keeps only PATH, HOME, LANG, TZ', async () => {
    process.env['JOBHOOKS_FAILED_TASK'] = 'from a parent job';
    process.env['UNRELATED_PARENT_VAR'] = 'parent';
    const before = { ...process.env };
    try {
      const executor = new FakeExecutor();
      await new JobPipeline({ preHooks: [{ name: 'a', command: 'a' }], executor }).run();
      await new JobPipeline({ preHooks: [{ name: 'b', command: 'b' }], inheritEnv: false, env: { EXTRA: '1' }, executor }).run();
      expect(executor.calls[0]?.env).toMatchObject({ UNRELATED_PARENT_VAR: 'parent' });
      expect(executor.calls[0]?.env).not.toHaveProperty('JOBHOOKS_FAILED_TASK');
      const minimal = Object.keys(executor.calls[1]?.env ?? {}).filter((key) => !key.startsWith('JOBHOOKS_')).sort();
      expect(minimal).toEqual(['EXTRA', ...['HOME', 'LANG', 'PATH', 'TZ'].filter((key) => process.env[key] !== undefined)].sort());
      expect(process.env).toEqual(before);
      expect(executor.calls[0]?.env).not.toBe(process.env);
    } finally {
      delete process.env['JOBHOOKS_FAILED_TASK'];
      delete process.env['UNRELATED_PARENT_VAR'];
    }
  });

  it('redacts secrets in output, errors, events, results and notifications', async () => {
    const notifier = new RecordingNotifier({ fail: 'token hunter2 rejected' });
    const pipeline = new JobPipeline({
      repository: { name: 'repo' },
      secrets: ['hunter2'],
      preHooks: [{ name: 'leaky', command: 'echo' }, { name: 'chatty', command: 'echo' }],
      notifiers: [notifier],
      executor: new FakeExecutor({
        leaky: { startError: 'cannot start with password hunter2' },
        chatty: { output: ['login with hunter2', { line: 'hunter2hunter2', stream: 'stderr' }] },
      }),
    });
    const seen: string[] = [];
    pipeline.on('taskOutput', ({ line }) => seen.push(line));
    pipeline.on('taskEnd', ({ task }) => seen.push(JSON.stringify(task)));
    pipeline.on('notificationFailed', ({ error }) => seen.push(error));
    const result = await pipeline.run();
    const everything = JSON.stringify(result) + seen.join('\n') + JSON.stringify(notifier.messages);
    expect(everything).not.toContain('hunter2');
    expect(result.tasks[0]?.error).toBe('cannot start with password ***');
    expect(result.tasks[2]?.error).toBe("Notifier 'recording' failed: token *** rejected");
    expect(result.tasks[1]?.output).toBe('login with ***\n******');
    expect(seen.slice(0, 3)).toEqual([expect.stringContaining('"name":"leaky"'), 'login with ***', '******']);
  });

  it('puts a command task’s env under the context variables', async () => {
    const executor = new FakeExecutor();
    await new JobPipeline({
      tasks: [commandTask({ name: 'c', command: 'x', env: { JOBHOOKS_JOB_STATUS: 'faked', OWN: 'yes' } })],
      executor,
    }).run();
    expect(executor.calls[0]?.env).toMatchObject({ JOBHOOKS_JOB_STATUS: 'success', OWN: 'yes', JOBHOOKS_TASK_INDEX: '0' });
  });

  it('redacts secrets in the data a task returns', async () => {
    const task: Task = {
      type: 'backup',
      name: 'leaky data',
      secrets: ['s3cr3t'],
      async run() {
        return { status: 'completed', data: { command: ['tool', '--password=s3cr3t'], nested: { 's3cr3t-key': 1, ok: true } } };
      },
    };
    const result = await new JobPipeline({ tasks: [task], executor: new FakeExecutor() }).run();
    expect(result.tasks[0]?.data).toEqual({ command: ['tool', '--password=***'], nested: { '***-key': 1, ok: true } });
  });

  it('never redacts codes and identifiers in data or progress, even for a one-character secret', async () => {
    const task: Task = {
      type: 'backup',
      name: 'codes',
      secrets: ['o'],
      async run(ctx) {
        ctx.progress({ kind: 'progress_message', operation: 'folder', msgid: 'Borg.Progress', message: 'looking' });
        return {
          status: 'failed',
          error: 'Repository /srv/borg does not exist.',
          data: { errorId: 'Repository.DoesNotExist', archive: { id: 'f00d', time: '2024-01-01T10:00:00', name: 'two' }, note: 'no repo' },
        };
      },
    };
    const pipeline = new JobPipeline({ tasks: [task], executor: new FakeExecutor() });
    const events = collectEvents(pipeline);
    const result = await pipeline.run();
    expect(result.tasks[0]?.data).toEqual({
      errorId: 'Repository.DoesNotExist',
      archive: { id: 'f00d', time: '2024-01-01T10:00:00', name: 'tw***' },
      note: 'n*** rep***',
    });
    // Text is still redacted: the error, the message.
    expect(result.tasks[0]?.error).toBe('Rep***sit***ry /srv/b***rg d***es n***t exist.');
    expect(events.find((event) => event.name === 'taskProgress')?.payload).toMatchObject({
      kind: 'progress_message',
      operation: 'folder',
      msgid: 'Borg.Progress',
      message: 'l******king',
    });
  });

  it('redacts progress as it redacts data: strings at any depth, and keys that are not field names', async () => {
    const task: Task = {
      type: 'backup',
      name: 'leaky progress',
      secrets: ['hunter2'],
      async run(ctx) {
        ctx.progress({ message: 'at hunter2', detail: { path: '/x/hunter2' }, list: ['hunter2'], 'http://hunter2': 1, percent: 5 });
        return { status: 'completed' };
      },
    };
    const pipeline = new JobPipeline({ tasks: [task], executor: new FakeExecutor() });
    const events = collectEvents(pipeline);
    await pipeline.run();
    const payload = events.find((event) => event.name === 'taskProgress')?.payload;
    expect(payload).toMatchObject({ message: 'at ***', detail: { path: '/x/***' }, list: ['***'], 'http://***': 1, percent: 5 });
    expect(JSON.stringify(payload)).not.toContain('hunter2');
  });

  it('redactJson keeps field names and the values of CODE_KEYS, and redacts every other string and key', () => {
    const redact = createRedactor(['e', 'hooks.example']);
    const data = { status: 'completed', type: 'prune', kept: [{ rule: 'weekly', name: 'week' }], errorId: null, exitCode: 1, 'https://hooks.example/t': 'sent' };
    expect(redactJson(data, redact)).toEqual({
      status: 'completed',
      type: 'prune',
      kept: [{ rule: 'weekly', name: 'w******k' }],
      errorId: null,
      exitCode: 1,
      'https://***/t': 's***nt',
    });
    expect([...CODE_KEYS]).toEqual(['errorId', 'msgid', 'code', 'exitCode', 'signal', 'status', 'type', 'phase', 'reason', 'kind', 'level', 'operation', 'id', 'rule', 'time', 'start', 'end']);
  });

  it('replaces longer secrets first', () => {
    expect(createRedactor(['abc', 'abcdef', ''])('x abcdef abc')).toBe('x *** ***');
    expect(createRedactor([])('untouched')).toBe('untouched');
  });
});
