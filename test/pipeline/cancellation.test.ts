import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { buildNotification, commandTask, formatFlow, JobPipeline, type Task } from '../../src/index.js';
import { collectEvents, FakeExecutor, RecordingNotifier } from '../../src/testing.js';
import { foldArrows } from '../helpers.js';

describe('cancellation (docs/execution-flow.md#cancellation)', () => {
  it('aborting during a main task kills it, skips what follows, and still runs cleanup and the notification', async () => {
    const executor = new FakeExecutor({ backup: { hang: true }, 'Restart Services': { delayMs: 30 } });
    const notifier = new RecordingNotifier();
    const controller = new AbortController();
    const pipeline = new JobPipeline({
      jobId: 'job-c',
      repository: { name: 'MyRepository' },
      preHooks: [{ name: 'Stop Services', command: 'systemctl stop app' }],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'borg create' }), commandTask({ type: 'prune', name: 'prune', command: 'borg prune' })],
      postHooks: [
        { name: 'Report', command: 'report' },
        { name: 'Restart Services', command: 'systemctl start app', runOnJobFailure: true },
      ],
      notifiers: [notifier],
      executor,
    });
    pipeline.on('taskStart', ({ task }) => {
      if (task.name === 'backup') setTimeout(() => controller.abort(), 20);
    });
    const result = await pipeline.run({ signal: controller.signal });

    expect(result.status).toBe('cancelled');
    expect(result.tasks.map((t) => [t.name, t.status, t.skipReason])).toEqual([
      ['Stop Services', 'completed', null],
      ['backup', 'failed', null],
      ['prune', 'skipped', 'Task skipped due to job cancellation'],
      ['Report', 'skipped', 'Task skipped due to job cancellation'],
      ['Restart Services', 'completed', null],
      ['Notification', 'completed', null],
    ]);
    expect(result.tasks[1]).toMatchObject({ cancelled: true, timedOut: false, error: 'Task cancelled' });
    // The cleanup hook ran to completion on a live signal of its own, though the job's had fired.
    expect(executor.calls.map((call) => call.taskName)).toEqual(['Stop Services', 'backup', 'Restart Services']);
    expect(result.failure).toEqual({ taskIndex: 1, taskName: 'backup', type: 'backup', reason: 'cancelled', error: 'Task cancelled' });
    expect(notifier.messages[0]).toEqual({
      title: '🛑 Backup Job Cancelled',
      body: "Backup job for 'MyRepository' was cancelled.\n\nTasks Completed: 3, Skipped: 2, Total: 6\nJob ID: job-c",
      level: 'error',
      jobId: 'job-c',
      status: 'cancelled',
      details: [
        { index: 1, name: 'backup', type: 'backup', phase: 'main', status: 'failed', warning: false, exitCode: null, error: 'Task cancelled', output: '', attempts: 1 },
      ],
    });
    expect(notifier.contexts[0]?.signal.aborted).toBe(false);
    expect(formatFlow(result).split('\n').slice(1, 2)[0]).toMatch(/Backup Task +→ ❌ Failed \(Cancelled\)$/);
    expect(formatFlow(result).split('\n')[4]).toMatch(/Post-Hook 2 \(Restart Services\) +→ ✅ Success \(Run on Failure\)$/);
    expect(formatFlow(result).split('\n').at(-1)).toBe('Result: 🛑 Job Cancelled');
  });

  it('a signal aborted before run() skips everything but cleanup and the notification', async () => {
    const executor = new FakeExecutor();
    const result = await new JobPipeline({
      preHooks: [{ name: 'pre', command: 'x' }],
      tasks: [commandTask({ name: 'main', command: 'x' })],
      postHooks: [{ name: 'cleanup', command: 'x', runOnJobFailure: true }],
      notifiers: [new RecordingNotifier()],
      executor,
    }).run({ signal: AbortSignal.abort() });
    expect(result.status).toBe('cancelled');
    expect(result.tasks.map((t) => t.status)).toEqual(['skipped', 'skipped', 'completed', 'completed']);
    expect(result.failure).toEqual({ taskIndex: null, taskName: null, type: null, reason: 'cancelled', error: 'Job cancelled', cancelledBefore: 0 });
    expect(executor.calls.map((call) => call.taskName)).toEqual(['cleanup']);
    expect(formatFlow(result)).toContain('→ ✅ Success (Run on Failure)');
  });

  it('a task that finished before the cancellation took effect keeps its outcome', async () => {
    const finishesAnyway: Task = {
      type: 'backup',
      name: 'stubborn',
      async run(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        return { status: 'completed' };
      },
    };
    const controller = new AbortController();
    const pipeline = new JobPipeline({ tasks: [finishesAnyway, commandTask({ name: 'next', command: 'x' })], executor: new FakeExecutor() });
    pipeline.on('taskStart', () => setTimeout(() => controller.abort(), 5));
    const result = await pipeline.run({ signal: controller.signal });
    expect(result.tasks.map((t) => [t.status, t.skipReason])).toEqual([
      ['completed', null],
      ['skipped', 'Task skipped due to job cancellation'],
    ]);
    expect(result.status).toBe('cancelled');
  });

  it('a cancellation between tasks: the cleanup it reaches is labelled Run on Failure, what ran before it is not', async () => {
    const controller = new AbortController();
    const pipeline = new JobPipeline({
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'x' })],
      postHooks: [
        { name: 'Unmount', command: 'x', runOnJobFailure: true },
        { name: 'Restart Services', command: 'x', runOnJobFailure: true },
        { name: 'Report', command: 'x' },
      ],
      executor: new FakeExecutor(),
    });
    // Cancelled once Unmount has ended, before Restart Services starts: no task is running.
    pipeline.on('taskEnd', ({ task }) => {
      if (task.name === 'Unmount') controller.abort();
    });
    const result = await pipeline.run({ signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.failure).toEqual({ taskIndex: null, taskName: null, type: null, reason: 'cancelled', error: 'Job cancelled', cancelledBefore: 2 });
    expect(foldArrows(formatFlow(result))).toBe(
      [
        '1. Backup Task → ✅ Success',
        '2. Post-Hook 1 (Unmount) → ✅ Success',
        '3. Post-Hook 2 (Restart Services) → ✅ Success (Run on Failure)',
        '4. Post-Hook 3 (Report) → ⏭️  Skipped',
        '',
        'Result: 🛑 Job Cancelled',
      ].join('\n'),
    );
  });

  it('a cleanup post-hook already running when the job is cancelled is not interrupted: runOnJobFailure, cleanupFor, and at the deadline', async () => {
    // The job is healthy when each cleanup starts; the cancellation comes while it runs (SPEC 6, 8.4, 9.4).
    const run = async (cancelBy: 'signal' | 'deadline'): Promise<Awaited<ReturnType<JobPipeline['run']>>> => {
      const controller = new AbortController();
      const pipeline = new JobPipeline({
        preHooks: [{ name: 'Stop Services', command: 'x' }],
        tasks: [commandTask({ type: 'backup', name: 'backup', command: 'x' })],
        postHooks: [
          { name: 'Restart Services', command: 'x', cleanupFor: 'Stop Services' },
          { name: 'Remove Dump', command: 'x', runOnJobFailure: true },
          { name: 'Report', command: 'x' },
        ],
        ...(cancelBy === 'deadline' ? { maxRunTime: '300ms' } : {}),
        executor: new FakeExecutor({ 'Restart Services': { delayMs: cancelBy === 'deadline' ? 600 : 200 }, 'Remove Dump': { delayMs: 50 } }),
      });
      pipeline.on('taskStart', ({ task }) => {
        if (cancelBy === 'signal' && task.name === 'Restart Services') setTimeout(() => controller.abort(), 50);
      });
      return pipeline.run({ signal: controller.signal });
    };
    for (const cancelBy of ['signal', 'deadline'] as const) {
      const result = await run(cancelBy);
      expect({ cancelBy, status: result.status, tasks: result.tasks.map((t) => [t.name, t.status, t.cancelled, t.skipReason]) }).toEqual({
        cancelBy,
        status: 'cancelled',
        tasks: [
          ['Stop Services', 'completed', false, null],
          ['backup', 'completed', false, null],
          ['Restart Services', 'completed', false, null],
          ['Remove Dump', 'completed', false, null],
          ['Report', 'skipped', false, 'Task skipped due to job cancellation'],
        ],
      });
    }
  });

  it("a task's command with its own, longer killGrace is waited for: the engine does not give up on it at the default's", async () => {
    // As borg on SIGTERM: it rolls back (here 3 s) and exits 143, with the task's killGrace of 10 s.
    const rollsBack = `process.on('SIGTERM', () => setTimeout(() => process.exit(143), 3000)); setInterval(() => {}, 1000)`;
    const task: Task = {
      type: 'backup',
      name: 'rolls back',
      timeout: 0.3,
      async run(ctx) {
        const exec = await ctx.exec([process.execPath, '-e', rollsBack], { killGrace: 10 });
        return { status: 'failed', exitCode: exec.exitCode, timedOut: exec.timedOut };
      },
    };
    const result = await new JobPipeline({ defaults: { killGrace: 0.1 }, tasks: [task], postHooks: [{ name: 'after', command: 'true', runOnJobFailure: true }] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, exitCode: 143, error: "Task 'rolls back' timed out after 0.3s" });
    expect(result.tasks[0]?.durationMs).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(result.tasks[1]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(result.tasks[0]?.finishedAt ?? ''));
  });

  it('reaches custom tasks through ctx.signal and ctx.exec', async () => {
    let sawAbort = false;
    const custom: Task = {
      type: 'check',
      name: 'custom',
      async run(ctx) {
        ctx.signal.addEventListener('abort', () => (sawAbort = true));
        const exec = await ctx.exec(['sleep', '100']);
        return { status: 'failed', cancelled: exec.cancelled, exitCode: exec.exitCode };
      },
    };
    const controller = new AbortController();
    const pipeline = new JobPipeline({ tasks: [custom], executor: new FakeExecutor({ custom: { hang: true } }) });
    pipeline.on('taskStart', () => setTimeout(() => controller.abort(), 5));
    const result = await pipeline.run({ signal: controller.signal });
    expect(sawAbort).toBe(true);
    expect(result.tasks[0]).toMatchObject({ status: 'failed', cancelled: true, error: 'Task cancelled' });
  });

  it('a cancellation after a critical failure ends the job cancelled, and the message says so', async () => {
    const controller = new AbortController();
    const notifier = new RecordingNotifier();
    const pipeline = new JobPipeline({
      jobId: 'j2',
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'x' })],
      postHooks: [
        { name: 'slow cleanup', command: 'x', runOnJobFailure: true },
        { name: 'later cleanup', command: 'x', runOnJobFailure: true },
        { name: 'report', command: 'x' },
      ],
      notifiers: [notifier],
      executor: new FakeExecutor({ backup: { exitCode: 2 }, 'slow cleanup': { delayMs: 30 } }),
    });
    pipeline.on('taskStart', ({ task }) => {
      if (task.name === 'slow cleanup') controller.abort();
    });
    const result = await pipeline.run({ signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.failure?.reason).toBe('critical_task_failure');
    // Cleanup that runs after a failure has its own signal: the cancellation does not cut it short.
    expect(result.tasks.map((t) => [t.name, t.status, t.skipReason])).toEqual([
      ['backup', 'failed', null],
      ['slow cleanup', 'completed', null],
      ['later cleanup', 'completed', null],
      ['report', 'skipped', 'Task skipped due to job cancellation'],
      ['Notification', 'completed', null],
    ]);
    expect(notifier.messages[0]).toMatchObject({ title: '🛑 Backup Job Cancelled', status: 'cancelled', level: 'error' });
    expect(result.notification).toEqual(buildNotification(result));
    expect(formatFlow(result).split('\n').at(-1)).toBe('Result: 🛑 Job Cancelled');
  });

  it('removes its abort listener from the caller’s signal after every run', async () => {
    const controller = new AbortController();
    const pipeline = new JobPipeline({ preHooks: [{ name: 'a', command: 'x' }], executor: new FakeExecutor() });
    for (let i = 0; i < 20; i += 1) await pipeline.run({ signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('events (docs/embedding.md#follow-a-job-events)', () => {
  it('emits in order: taskStart only for tasks that run, taskEnd for every task', async () => {
    const pipeline = new JobPipeline({
      jobId: 'j',
      preHooks: [{ name: 'a', command: 'x', critical: true }],
      tasks: [commandTask({ name: 'b', command: 'y' })],
      notifiers: [new RecordingNotifier({ name: 'n' })],
      executor: new FakeExecutor({ a: { exitCode: 1, output: ['boom'] } }),
    });
    const events = collectEvents(pipeline);
    const result = await pipeline.run();
    const describe = (e: (typeof events)[number]) =>
      e.name === 'taskStart' || e.name === 'taskEnd' ? `${e.payload.task.name}:${e.payload.task.status}` : '';
    expect(events.map((e) => [e.name, describe(e)])).toEqual([
      ['jobStart', ''],
      ['taskStart', 'a:running'],
      ['taskOutput', ''],
      ['taskEnd', 'a:failed'],
      ['taskEnd', 'b:skipped'],
      ['taskStart', 'Notification:running'],
      ['taskOutput', ''],
      ['notificationSent', ''],
      ['taskEnd', 'Notification:completed'],
      ['jobEnd', ''],
    ]);
    expect(events[0]?.payload).toEqual({ jobId: 'j', tasks: expect.arrayContaining([expect.objectContaining({ status: 'pending' })]) });
    expect(events[2]?.payload).toEqual({ jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'boom' });
    expect(events.at(-1)?.payload).toEqual({ result });
  });

  it('emits taskProgress with the task index, and keeps ctx.output lines', async () => {
    const task: Task = {
      type: 'backup',
      name: 'p',
      async run(ctx) {
        ctx.progress({ percent: 50, message: 'half' });
        ctx.output('done', 'stderr');
        return { status: 'completed' };
      },
    };
    const pipeline = new JobPipeline({ jobId: 'j', tasks: [task], executor: new FakeExecutor() });
    const events = collectEvents(pipeline);
    const result = await pipeline.run();
    expect(events.filter((e) => e.name === 'taskProgress').map((e) => e.payload)).toEqual([{ jobId: 'j', taskIndex: 0, percent: 50, message: 'half' }]);
    expect(result.tasks[0]?.output).toBe('done');
  });

  it('keeps only a bounded output tail and says so', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const result = await new JobPipeline({
      preHooks: [{ name: 'chatty', command: 'x' }],
      defaults: { maxOutputBytes: 4096 },
      executor: new FakeExecutor({ chatty: { output: lines } }),
    }).run();
    const output = result.tasks[0]?.output ?? '';
    expect(result.tasks[0]?.outputTruncated).toBe(true);
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(4096);
    expect(output.endsWith(`line 4999 ${'x'.repeat(20)}`)).toBe(true);
    expect(output.split('\n')[0]).toMatch(/^line \d+ x{20}$/);
  });
});
