import { describe, expect, it } from 'vitest';
import { commandTask, formatFlow, JobPipeline, SKIP_REASONS, type Task } from '../../src/index.js';
import { FakeExecutor, RecordingNotifier, collectEvents } from '../../src/testing.js';

const hook = (name: string, extra: Record<string, unknown> = {}) => ({ name, command: `run ${name}`, ...extra });

describe('execution rules and skip reasons (docs/execution-flow.md)', () => {
  it('uses the exact skip-reason strings', () => {
    expect(SKIP_REASONS).toEqual({
      critical_hook_failure: 'Task skipped due to critical hook failure',
      critical_task_failure: 'Task skipped due to critical task failure',
      critical_task_exception: 'Task skipped due to critical task exception',
      cancelled: 'Task skipped due to job cancellation',
      hook_failure: 'Task skipped due to hook failure',
      interrupted: 'Task skipped due to job interruption',
    });
  });

  it('continueOnFailure: false skips the rest of its phase only, and runOnJobFailure does not override it', async () => {
    const executor = new FakeExecutor({ p1: { exitCode: 1 }, q1: { exitCode: 1 } });
    const result = await new JobPipeline({
      preHooks: [hook('p1', { continueOnFailure: false }), hook('p2')],
      tasks: [commandTask({ name: 'main', command: 'x' })],
      postHooks: [hook('q1', { continue_on_failure: false }), hook('q2', { runOnJobFailure: true })],
      executor,
    }).run();
    expect(result.tasks.map((t) => [t.name, t.status, t.skipReason])).toEqual([
      ['p1', 'failed', null],
      ['p2', 'skipped', 'Task skipped due to hook failure'],
      ['main', 'completed', null],
      ['q1', 'failed', null],
      ['q2', 'skipped', 'Task skipped due to hook failure'],
    ]);
    expect(result.status).toBe('completed_with_warnings');
    expect(executor.calls.map((c) => c.taskName)).toEqual(['p1', 'main', 'q1']);
  });

  it('critical wins over continueOnFailure: false', async () => {
    const result = await new JobPipeline({
      preHooks: [hook('a', { critical: true, continueOnFailure: false }), hook('b')],
      tasks: [commandTask({ name: 'main', command: 'x' })],
      executor: new FakeExecutor({ a: { exitCode: 1 } }),
    }).run();
    expect(result.tasks.map((t) => t.skipReason)).toEqual([
      null, SKIP_REASONS.critical_hook_failure, SKIP_REASONS.critical_hook_failure,
    ]);
    expect(result.status).toBe('failed');
  });

  it('a critical post-hook fails the job; later post-hooks run only with runOnJobFailure', async () => {
    const notifier = new RecordingNotifier();
    const result = await new JobPipeline({
      tasks: [commandTask({ name: 'main', command: 'x' })],
      postHooks: [hook('q1', { critical: true }), hook('q2'), hook('q3', { runOnJobFailure: true })],
      notifiers: [notifier],
      executor: new FakeExecutor({ q1: { exitCode: 4 } }),
    }).run();
    expect(result.tasks.map((t) => [t.name, t.status, t.skipReason])).toEqual([
      ['main', 'completed', null],
      ['q1', 'failed', null],
      ['q2', 'skipped', SKIP_REASONS.critical_hook_failure],
      ['q3', 'completed', null],
      ['Notification', 'completed', null],
    ]);
    expect(result.status).toBe('failed');
    expect(notifier.messages[0]?.title).toBe('❌ Backup Job Failed - Critical Hook Error');
    expect(notifier.messages[0]?.body).toContain('Failed Hook: q1\nTasks Completed: 3, Skipped: 1, Total: 5');
  });

  it('a critical task that exits non-zero vs one whose run() throws', async () => {
    const exits = await new JobPipeline({
      tasks: [commandTask({ type: 'backup', name: 'b', command: 'x' }), commandTask({ name: 'after', command: 'y' })],
      executor: new FakeExecutor({ b: { exitCode: 2 } }),
    }).run();
    expect(exits.tasks[1]?.skipReason).toBe('Task skipped due to critical task failure');
    expect(exits.failure?.reason).toBe('critical_task_failure');

    const throwing: Task = {
      type: 'backup',
      name: 'exploding',
      async run() {
        throw new Error('backup exploded');
      },
    };
    const throws = await new JobPipeline({
      tasks: [throwing, commandTask({ name: 'after', command: 'y' })],
      executor: new FakeExecutor(),
    }).run();
    expect(throws.tasks[0]).toMatchObject({ status: 'failed', error: 'backup exploded', exitCode: null, critical: true });
    expect(throws.tasks[1]?.skipReason).toBe('Task skipped due to critical task exception');
    expect(throws.failure).toEqual({ taskIndex: 0, taskName: 'exploding', type: 'backup', reason: 'critical_task_exception', error: 'backup exploded' });
    expect(formatFlow(throws).split('\n').at(-1)).toBe('Result: ❌ Job Failed - Backup Error');
  });

  it('a non-critical task failure lets the job go on, with warnings', async () => {
    const notifier = new RecordingNotifier();
    const result = await new JobPipeline({
      repository: { name: 'r' },
      tasks: [
        commandTask({ type: 'backup', name: 'b', command: 'x' }),
        commandTask({ type: 'prune', name: 'p', command: 'y', critical: false }),
        commandTask({ type: 'compact', name: 'c', command: 'z', critical: false }),
      ],
      notifiers: [notifier],
      executor: new FakeExecutor({ p: { exitCode: 2 } }),
    }).run();
    expect(result.tasks.map((t) => t.status)).toEqual(['completed', 'failed', 'completed', 'completed']);
    expect(result.status).toBe('completed_with_warnings');
    expect(notifier.messages[0]?.body).toBe(
      `Backup job for 'r' completed but some tasks failed.\n\nFailed Tasks: prune\nTasks Completed: 3, Skipped: 0, Total: 4\nJob ID: ${result.jobId}`,
    );
  });

  it('a completed-with-warning task makes the job completed_with_warnings and says so', async () => {
    const warned: Task = { type: 'backup', name: 'b', async run() { return { status: 'completed', exitCode: 1, warning: true }; } };
    const notifier = new RecordingNotifier();
    const result = await new JobPipeline({ tasks: [warned], notifiers: [notifier], executor: new FakeExecutor() }).run();
    expect(result.status).toBe('completed_with_warnings');
    expect(result.tasks[0]).toMatchObject({ status: 'completed', warning: true, exitCode: 1 });
    expect(notifier.messages[0]?.body).toContain('Tasks with Warnings: backup\n');
    expect(notifier.messages[0]?.body).not.toContain('Failed Tasks');
    expect(formatFlow(result).split('\n')[0]).toMatch(/→ ✅ Success \(with warnings\)$/);
  });

  it('the notification failing fails only its task and makes the job completed_with_warnings', async () => {
    const good = new RecordingNotifier({ name: 'good' });
    const bad = new RecordingNotifier({ name: 'bad', fail: 'HTTP 500 Internal Server Error' });
    const pipeline = new JobPipeline({ tasks: [commandTask({ name: 'x', command: 'x' })], notifiers: [good, bad], executor: new FakeExecutor() });
    const events = collectEvents(pipeline);
    const result = await pipeline.run();
    expect(result.tasks[0]?.status).toBe('completed');
    expect(result.tasks[1]).toMatchObject({ status: 'failed', critical: false, error: "Notifier 'bad' failed: HTTP 500 Internal Server Error" });
    expect(result.status).toBe('completed_with_warnings');
    expect(result.notification?.title).toBe('✅ Backup Job Completed Successfully');
    expect(events.filter((e) => e.name.startsWith('notification')).map((e) => e.payload)).toEqual([
      { jobId: result.jobId, notifier: 'good' },
      { jobId: result.jobId, notifier: 'bad', error: "Notifier 'bad' failed: HTTP 500 Internal Server Error", reason: 'HTTP 500 Internal Server Error', stage: 'end' },
    ]);
  });

  it('a notifier that never settles is cut off at its timeout', async () => {
    const stuck = new RecordingNotifier({ name: 'stuck', hang: true, timeout: '50ms' });
    const started = performance.now();
    const result = await new JobPipeline({ tasks: [commandTask({ name: 'x', command: 'x' })], notifiers: [stuck], executor: new FakeExecutor() }).run();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.tasks[1]?.error).toBe("Notifier 'stuck' timed out after 0.05s");
    expect(stuck.contexts[0]?.signal.aborted).toBe(true);
  });

  it('notifiers are called only for the levels they are set for', async () => {
    const errorsOnly = new RecordingNotifier({ name: 'pager', on: ['error'] });
    const result = await new JobPipeline({ tasks: [commandTask({ name: 'x', command: 'x' })], notifiers: [errorsOnly], executor: new FakeExecutor() }).run();
    expect(errorsOnly.messages).toEqual([]);
    expect(result.tasks[1]).toMatchObject({ status: 'completed', output: 'pager: not sent (it is not set for success messages)' });
  });

  it('a task whose run() never settles is abandoned after its timeout and grace', async () => {
    const stuck: Task = { type: 'backup', name: 'stuck', timeout: '50ms', run: () => new Promise(() => {}) };
    const result = await new JobPipeline({ tasks: [stuck], defaults: { killGrace: '50ms' }, executor: new FakeExecutor() }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, error: "Task 'stuck' timed out after 0.05s (the task did not stop in time)" });
    expect(result.failure?.reason).toBe('critical_task_failure');
  });

  it('a task given up while its command is still running blames the executor, as a hook does', async () => {
    const executor = new FakeExecutor({ Backup: { neverSettle: true }, Dump: { neverSettle: true } });
    const result = await new JobPipeline({
      preHooks: [hook('Dump', { timeout: '50ms', critical: false })],
      tasks: [commandTask({ type: 'backup', name: 'Backup', command: 'x', timeout: '50ms' })],
      defaults: { killGrace: '50ms' },
      executor,
    }).run();
    expect(result.tasks.map((task) => task.error)).toEqual([
      "Hook 'Dump' timed out after 0.05s (the executor did not stop in time)",
      "Task 'Backup' timed out after 0.05s (the executor did not stop in time)",
    ]);
  });

  it('times out hooks through the executor with the exact message', async () => {
    const result = await new JobPipeline({
      preHooks: [hook('slow', { timeout: '30ms' })],
      executor: new FakeExecutor({ slow: { hang: true } }),
    }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, cancelled: false, error: "Hook 'slow' timed out after 0.03s" });
    expect(formatFlow(result).split('\n')[0]).toMatch(/❌ Failed \(Timed Out\)$/);
  });

  it('reports why a command could not start, and an executor that throws', async () => {
    const result = await new JobPipeline({
      preHooks: [hook('zsh'), hook('buggy')],
      executor: new FakeExecutor({ zsh: { startError: 'shell not found: /bin/zsh' }, buggy: { throw: 'executor bug' } }),
    }).run();
    expect(result.tasks[0]?.error).toBe('shell not found: /bin/zsh');
    expect(result.tasks[1]?.error).toBe("Hook 'buggy' could not run: executor bug");
  });

  it('keeps a custom task’s data as plain JSON and rejects invalid results', async () => {
    const withData: Task = { type: 'backup', name: 'd', async run() { return { status: 'completed', data: { archive: { stats: { nfiles: 3 } } } }; } };
    const invalid = { type: 'check', name: 'bad', critical: false, run: async () => 'ok' } as unknown as Task;
    const result = await new JobPipeline({ tasks: [withData, invalid], executor: new FakeExecutor() }).run();
    expect(result.tasks[0]?.data).toEqual({ archive: { stats: { nfiles: 3 } } });
    expect(result.tasks[1]).toMatchObject({ status: 'failed', error: "Task 'bad' returned an invalid result (expected { status: 'completed' | 'failed', … })" });
    expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result);
  });

  it('rejects a second concurrent run() and allows a run after it settles', async () => {
    const pipeline = new JobPipeline({ preHooks: [hook('h')], executor: new FakeExecutor({ h: { delayMs: 20 } }) });
    const first = pipeline.run();
    await expect(pipeline.run()).rejects.toMatchObject({ code: 'ERR_ALREADY_RUNNING' });
    expect((await first).status).toBe('completed');
    expect((await pipeline.run()).status).toBe('completed');
  });

  it('a listener that throws never changes the outcome, and is reported', async () => {
    const pipeline = new JobPipeline({ preHooks: [hook('h')], executor: new FakeExecutor() });
    const reported: unknown[] = [];
    pipeline.on('taskEnd', () => {
      throw new Error('listener bug');
    });
    pipeline.on('taskStart', async () => {
      throw new Error('async listener bug');
    });
    pipeline.on('listenerError', ({ event, error }) => reported.push([event, (error as Error).message]));
    const result = await pipeline.run();
    await new Promise((resolve) => setImmediate(resolve));
    expect(result.status).toBe('completed');
    expect(reported).toEqual([['taskStart', 'async listener bug'], ['taskEnd', 'listener bug']]);
  });

  it('off() removes a listener added with on()', async () => {
    const pipeline = new JobPipeline({ preHooks: [hook('h')], executor: new FakeExecutor() });
    const seen: string[] = [];
    const listener = ({ task }: { task: { name: string } }) => seen.push(task.name);
    pipeline.on('taskEnd', listener).off('taskEnd', listener);
    await pipeline.run();
    expect(seen).toEqual([]);
  });
});
