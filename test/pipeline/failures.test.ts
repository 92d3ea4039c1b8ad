import { describe, expect, it } from 'vitest';
import { ConsoleNotifier, JobPipeline, ShellExecutor, type Executor, type Notifier, type Task } from '../../src/index.js';
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

describe('what plain-JS code hands back never makes run() reject (docs/embedding.md)', () => {
  const cleanup = { name: 'Restart Services', command: 'x', runOnJobFailure: true };

  it("a task's error given as an Error object, with secrets set: the task fails with its message, the cleanup runs", async () => {
    const task = {
      type: 'backup',
      name: 'Dump',
      async run() {
        return { status: 'failed', error: new Error('connection to db:s3cr3t refused') };
      },
    } as unknown as Task;
    const result = await new JobPipeline({ secrets: ['s3cr3t'], tasks: [task], postHooks: [cleanup], executor: new FakeExecutor() }).run();
    expect(result.tasks.map((entry) => [entry.status, entry.error])).toEqual([
      ['failed', 'connection to db:*** refused'],
      ['completed', null],
    ]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('an executor that leaves error out of its result: read as null', async () => {
    const executor = { execute: async () => ({ exitCode: 1, signal: null, timedOut: false, cancelled: false, durationMs: 1 }) } as never;
    const result = await new JobPipeline({ secrets: ['s3cr3t'], preHooks: [{ name: 'H', command: 'x' }], executor }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', exitCode: 1, error: "Hook 'H' exited with code 1" });
  });

  it('a thrown value without a string form, from a task and from a notifier: reported, not a second throw', async () => {
    const odd = Object.create(null) as unknown;
    const task: Task = {
      type: 'backup',
      name: 'Odd',
      run: () => Promise.reject(odd),
    };
    const notifier: Notifier = {
      name: 'odd',
      jobStarted: () => Promise.reject(odd),
      notify: () => Promise.reject(odd),
    };
    const pipeline = new JobPipeline({ tasks: [task], postHooks: [cleanup], notifiers: [notifier], executor: new FakeExecutor() });
    const failed: string[] = [];
    pipeline.on('notificationFailed', ({ reason }) => failed.push(reason));
    const result = await pipeline.run();
    expect(result.tasks.map((entry) => [entry.status, entry.error])).toEqual([
      ['failed', '[object Object]'],
      ['completed', null],
      ['failed', "Notifier 'odd' failed: [object Object]"],
    ]);
    expect(failed).toEqual(['[object Object]', '[object Object]']);
  });

  it('a task and a notifier that throw a value that cannot even be read (a Proxy): they fail, run() still resolves', async () => {
    const trap = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        getPrototypeOf: () => {
          throw new Error('trap');
        },
      },
    );
    const notifier: Notifier = { name: 'trapped', notify: () => Promise.reject(trap) };
    const task: Task = { type: 'backup', name: 'Trapped', run: () => Promise.reject(trap) };
    const result = await new JobPipeline({ tasks: [task], postHooks: [cleanup], notifiers: [notifier], executor: new FakeExecutor() }).run();
    expect(result.tasks.map((entry) => [entry.status, entry.error])).toEqual([
      ['failed', 'a thrown value that cannot be read'],
      ['completed', null],
      ['failed', "Notifier 'trapped' failed: a thrown value that cannot be read"],
    ]);
    expect(result.status).toBe('failed');
  });

  it('a task that finishes after its timeout fired ran past it: failed, timed out, as a hook would be', async () => {
    const task: Task = {
      type: 'backup',
      name: 'Slow',
      timeout: '50ms',
      async run() {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { status: 'completed' };
      },
    };
    const result = await new JobPipeline({ tasks: [task], executor: new FakeExecutor() }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, error: "Task 'Slow' timed out after 0.05s", failure: { code: 'timeout' } });
  });

  it("what a task still reports after it ended or was given up is dropped: its events end with its taskEnd", async () => {
    let ctxOf: Parameters<Task['run']>[0] | undefined;
    const task: Task = {
      type: 'backup',
      name: 'Chatty',
      timeout: '50ms',
      run: (ctx) => {
        ctxOf = ctx;
        return new Promise(() => {});
      },
    };
    const pipeline = new JobPipeline({ tasks: [task], defaults: { killGrace: '10ms' }, executor: new FakeExecutor() });
    const names: string[] = [];
    for (const name of ['taskOutput', 'taskProgress', 'taskEnd', 'jobEnd'] as const) pipeline.on(name, () => names.push(name));
    await pipeline.run();
    ctxOf?.output('late line');
    ctxOf?.progress({ percent: 99 });
    expect(names).toEqual(['taskEnd', 'jobEnd']);
  });

  it('what an executor given up on still delivers is dropped as well: no taskOutput after the hook\'s taskEnd', async () => {
    let late: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
    const executor: Executor = {
      execute: (request) => {
        late = request.onOutput;
        request.onOutput?.('on time', 'stdout');
        // Ignores its signal: the engine gives up on it after the timeout and the kill grace.
        return new Promise(() => {});
      },
    };
    const pipeline = new JobPipeline({ preHooks: [{ name: 'Stuck', command: 'x', timeout: '50ms' }], defaults: { killGrace: '10ms' }, executor });
    const events: string[] = [];
    pipeline.on('taskOutput', ({ line }) => events.push(`taskOutput ${line}`));
    pipeline.on('taskEnd', () => events.push('taskEnd'));
    const result = await pipeline.run();
    late?.('late line', 'stdout');
    late?.('late line', 'stderr');
    expect(events).toEqual(['taskOutput on time', 'taskEnd']);
    expect(result.tasks[0]?.output).toBe('on time');
  });

  it("a retried hook's output is its current attempt's: the given-up attempt's late lines are dropped", async () => {
    let firstAttempt: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
    const executor: Executor = {
      execute: (request) => {
        if (firstAttempt === undefined) {
          firstAttempt = request.onOutput;
          return new Promise(() => {});
        }
        firstAttempt('late line from attempt 1', 'stdout');
        request.onOutput?.('attempt 2', 'stdout');
        return Promise.resolve({ exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 1 });
      },
    };
    const pipeline = new JobPipeline({
      preHooks: [{ name: 'Flaky', command: 'x', timeout: '50ms', retries: 1, retryDelay: 0 }],
      defaults: { killGrace: '10ms' },
      executor,
    });
    const lines: string[] = [];
    pipeline.on('taskOutput', ({ line }) => lines.push(line));
    const result = await pipeline.run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, output: '--- attempt 2 of 2 ---\nattempt 2' });
    expect(lines).toEqual(['--- attempt 2 of 2 ---', 'attempt 2']);
  });
});
