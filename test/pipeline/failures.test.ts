import { describe, expect, it } from 'vitest';
import { ConsoleNotifier, JobPipeline, ShellExecutor, type Notifier, type Task } from '../../src/index.js';
import { FakeExecutor } from '../../src/testing.js';

const shell = new ShellExecutor();

async function hookFailure(command: string, extra: { timeout?: number; shell?: string } = {}): Promise<unknown> {
  const result = await new JobPipeline({ preHooks: [{ name: 'H', command, ...extra }], executor: shell }).run();
  const task = result.tasks[0];
  return { error: task?.error, failure: task?.failure };
}

describe('TaskResult.failure: why a task failed, as a code (docs/execution-flow.md#why-a-task-failed)', () => {
  it('exit: a real process exits non-zero', async () => {
    expect(await hookFailure('exit 3')).toEqual({ error: "Hook 'H' exited with code 3", failure: { code: 'exit', message: "Hook 'H' exited with code 3" } });
  });

  it('signal: a real process is killed by a signal', async () => {
    expect(await hookFailure('kill -KILL $$')).toEqual({ error: "Hook 'H' was killed by SIGKILL", failure: { code: 'signal', message: "Hook 'H' was killed by SIGKILL" } });
  });

  it('timeout: a real process runs past its timeout', async () => {
    expect(await hookFailure('sleep 10', { timeout: 0.3 })).toEqual({
      error: "Hook 'H' timed out after 0.3s",
      failure: { code: 'timeout', message: "Hook 'H' timed out after 0.3s" },
    });
  });

  it('spawn: the command cannot start', async () => {
    const { error, failure } = (await hookFailure('true', { shell: '/nonexistent/jobhooks-shell' })) as { error: string; failure: unknown };
    expect(error).toContain('/nonexistent/jobhooks-shell');
    expect(failure).toEqual({ code: 'spawn', message: error });
  });

  it('spawn: a commandTask whose command cannot start says spawn too', async () => {
    const { commandTask } = await import('../../src/index.js');
    const result = await new JobPipeline({ tasks: [commandTask({ name: 'C', command: 'true', shell: '/nonexistent/jobhooks-shell' })], executor: shell }).run();
    expect(result.tasks[0]?.failure?.code).toBe('spawn');
    expect(result.tasks[0]?.failure?.message).toBe(result.tasks[0]?.error);
  });

  it('exception: a custom task throws', async () => {
    const task: Task = { type: 'custom', name: 'Throws', run: () => Promise.reject(new Error('boom')) };
    const result = await new JobPipeline({ tasks: [task], executor: new FakeExecutor() }).run();
    expect(result.tasks[0]?.failure).toEqual({ code: 'exception', message: 'boom' });
    expect(result.failure?.reason).toBe('critical_task_exception');
  });

  it('cancelled: the job is cancelled while a command runs', async () => {
    const controller = new AbortController();
    const pipeline = new JobPipeline({ preHooks: [{ name: 'Hangs', command: 'x' }], executor: new FakeExecutor({ Hangs: { hang: true } }) });
    pipeline.on('taskStart', () => controller.abort());
    const result = await pipeline.run({ signal: controller.signal });
    expect(result.tasks[0]?.failure).toEqual({ code: 'cancelled', message: 'Task cancelled' });
  });

  it('null for tasks that completed or were skipped', async () => {
    const result = await new JobPipeline({ preHooks: [{ name: 'A', command: 'x', critical: true }, { name: 'B', command: 'x' }], executor: new FakeExecutor({ A: { exitCode: 1 } }) }).run();
    expect(result.tasks.map((task) => task.failure?.code ?? null)).toEqual(['exit', null]);
    const ok = await new JobPipeline({ preHooks: [{ name: 'A', command: 'x' }], executor: new FakeExecutor() }).run();
    expect(ok.tasks[0]?.failure).toBeNull();
  });

  it('notifier: data.notifiers says how each notifier went; the error keeps its sentence', async () => {
    const sent: Notifier = { name: 'sent', notify: () => Promise.resolve() };
    const failing: Notifier = { name: 'failing', notify: () => Promise.reject(new Error('connection refused')) };
    const errorsOnly: Notifier = { name: 'errors-only', on: ['error'], notify: () => Promise.resolve() };
    const result = await new JobPipeline({ preHooks: [{ name: 'A', command: 'x' }], notifiers: [sent, failing, errorsOnly], executor: new FakeExecutor() }).run();
    const notification = result.tasks[1];
    expect(notification?.error).toBe("Notifier 'failing' failed: connection refused");
    expect(notification?.failure).toEqual({ code: 'notifier', message: "Notifier 'failing' failed: connection refused" });
    expect(notification?.data).toEqual({
      notifiers: [
        { name: 'sent', status: 'sent', attempts: 1, error: null },
        { name: 'failing', status: 'failed', attempts: 1, error: 'connection refused' },
        { name: 'errors-only', status: 'not_sent', attempts: 0, error: null },
      ],
    });
  });
});

describe('JobPipeline#plan(): the tasks run() executes, in order (docs/execution-flow.md#the-plan)', () => {
  it('numbers hooks per phase, takes timeouts and the 30 s notifier default from the one plan', () => {
    const task: Task = { type: 'backup', name: 'Archive', timeout: 60, run: () => Promise.resolve({ status: 'completed' }) };
    const pipeline = new JobPipeline({
      preHooks: [{ name: 'Dump', command: 'x', critical: true }, { name: 'Stop', command: 'x', continueOnFailure: false }],
      tasks: [task],
      postHooks: [{ name: 'Start', command: 'x', runOnJobFailure: true }],
      notifiers: [new ConsoleNotifier()],
    });
    const plan = pipeline.plan();
    expect(plan.map((entry) => [entry.index, entry.label, entry.phase, entry.critical, entry.runOnJobFailure, entry.continueOnFailure, entry.timeoutMs])).toEqual([
      [0, 'Pre-Hook 1 (Dump)', 'pre', true, false, true, 300_000],
      [1, 'Pre-Hook 2 (Stop)', 'pre', false, false, false, 300_000],
      [2, 'Backup Task', 'main', true, false, false, 60_000],
      [3, 'Post-Hook 1 (Start)', 'post', false, true, true, 300_000],
      [4, 'Notification', 'notification', false, false, false, null],
    ]);
    expect(plan[4]?.notifiers).toEqual([{ name: 'console', timeoutMs: 30_000, on: ['success', 'warning', 'error'] }]);
  });

  it('has no notification without notifiers, and matches what run() reports', async () => {
    const pipeline = new JobPipeline({ preHooks: [{ name: 'A', command: 'x' }], executor: new FakeExecutor() });
    const plan = pipeline.plan();
    expect(plan.map((entry) => entry.label)).toEqual(['Pre-Hook 1 (A)']);
    const result = await pipeline.run();
    expect(result.tasks.map((entry) => [entry.index, entry.type, entry.name, entry.phase])).toEqual(plan.map((entry) => [entry.index, entry.type, entry.name, entry.phase]));
  });
});
