import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, commandTask, formatFlow, JobPipeline, type JobPipelineOptions } from '../../src/index.js';
import { RecordingNotifier } from '../../src/testing.js';

// Real shell hooks (docs/testing.md#rehearse-your-failure-path): each one appends its name and what it saw
// of the rehearsal to a log, and the backup drops a marker file, so "it never ran" is a file that is not there.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jobhooks-rehearsal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function job(): { options: JobPipelineOptions; notifier: RecordingNotifier; log: () => string[]; marker: string } {
  const log = join(dir, 'log');
  const marker = join(dir, 'backup-ran');
  const step = (name: string): string => `echo "${name} rehearsal=\${JOBHOOKS_REHEARSAL-unset}" >> '${log}'`;
  const notifier = new RecordingNotifier();
  return {
    options: {
      jobId: 'job-r',
      repository: { name: 'MyRepository' },
      preHooks: [{ name: 'Stop Service', command: step('stop') }],
      tasks: [
        commandTask({ type: 'backup', name: 'Create archive', command: `touch '${marker}'` }),
        commandTask({ type: 'prune', name: 'Prune', command: step('prune'), critical: false }),
      ],
      postHooks: [
        { name: 'Report', command: step('report') },
        { name: 'Start Service', command: step('start'), runOnJobFailure: true },
      ],
      notifiers: [notifier],
    },
    notifier,
    log: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    marker,
  };
}

describe('rehearsal (docs/testing.md#rehearse-your-failure-path)', () => {
  it('fail: the task never runs, is recorded failed, and the cleanup really runs with JOBHOOKS_REHEARSAL=1', async () => {
    const { options, notifier, log, marker } = job();
    const result = await new JobPipeline(options).run({ rehearse: { task: 'Create archive', outcome: 'fail' } });

    expect(existsSync(marker)).toBe(false);
    expect(log()).toEqual(['stop rehearsal=1', 'start rehearsal=1']);
    expect(result.status).toBe('failed');
    expect(result.rehearsal).toEqual({ task: 'Create archive', index: 1, outcome: 'fail' });
    expect(result.tasks[1]).toMatchObject({
      status: 'failed',
      error: 'Rehearsed failure',
      failure: { code: 'rehearsal', message: 'Rehearsed failure' },
      exitCode: null,
      timedOut: false,
      cancelled: false,
      output: '',
    });
    expect(result.failure).toEqual({ taskIndex: 1, taskName: 'Create archive', type: 'backup', reason: 'critical_task_failure', error: 'Rehearsed failure' });
    expect(formatFlow(result).replace(/ +→/g, ' →')).toBe(
      [
        '1. Pre-Hook 1 (Stop Service) → ✅ Success',
        '2. Backup Task → ❌ Failed (Critical)',
        '3. Prune Task → ⏭️  Skipped',
        '4. Post-Hook 1 (Report) → ⏭️  Skipped',
        '5. Post-Hook 2 (Start Service) → ✅ Success (Run on Failure)',
        '6. Notification → ✅ Success',
        '',
        'Result: ❌ Job Failed - Backup Error',
      ].join('\n'),
    );
    expect(notifier.messages.map((message) => [message.title, message.level])).toEqual([['[Rehearsal] ❌ Backup Job Failed - Backup Error', 'error']]);
    expect(result.notification?.title).toBe('[Rehearsal] ❌ Backup Job Failed - Backup Error');
    expect(result.notification?.body).toBe("Backup job for 'MyRepository' failed during backup process.\n\nTasks Completed: 3, Skipped: 2, Total: 6\nJob ID: job-r");
  });

  it('timeout: the task is recorded as a real timeout reads, by index, and the next tasks run under the normal rules', async () => {
    const { options, log, marker } = job();
    const stopMarker = join(dir, 'stop-ran');
    const pipeline = new JobPipeline({ ...options, preHooks: [{ name: 'Stop Service', command: `touch '${stopMarker}'`, timeout: '90s' }] });
    const result = await pipeline.run({ rehearse: { task: 0, outcome: 'timeout' } });

    expect(existsSync(stopMarker)).toBe(false);
    expect(existsSync(marker)).toBe(true);
    expect(result.tasks[0]).toMatchObject({
      status: 'failed',
      timedOut: true,
      cancelled: false,
      signal: 'SIGTERM',
      exitCode: null,
      error: "Hook 'Stop Service' timed out after 90s",
      failure: { code: 'timeout', message: "Hook 'Stop Service' timed out after 90s" },
    });
    // A non-critical pre-hook's failure leaves the job going: the backup runs for real (it touches the marker).
    expect(result.status).toBe('completed_with_warnings');
    expect(log()).toEqual(['prune rehearsal=1', 'report rehearsal=1', 'start rehearsal=1']);
    expect(result.rehearsal).toEqual({ task: 'Stop Service', index: 0, outcome: 'timeout' });
    expect(result.notification?.title).toBe('[Rehearsal] ⚠️ Backup Job Completed with Warnings');
  });

  it('a rehearsed task timeout reads as a task timeout for a main task', async () => {
    const { options, marker } = job();
    const result = await new JobPipeline({
      ...options,
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: `touch '${marker}'`, timeout: '2h' })],
    }).run({ rehearse: { task: 'Create archive', outcome: 'timeout' } });
    expect(existsSync(marker)).toBe(false);
    expect(result.tasks[1]).toMatchObject({ status: 'failed', timedOut: true, signal: 'SIGTERM', error: "Task 'Create archive' timed out after 7200s" });
  });

  it('cancel: the job is cancelled as the task would start; cleanup and the notification still run', async () => {
    const { options, notifier, log, marker } = job();
    const result = await new JobPipeline(options).run({ rehearse: { task: 'Create archive', outcome: 'cancel' } });

    expect(existsSync(marker)).toBe(false);
    expect(result.status).toBe('cancelled');
    expect(result.tasks.map((task) => [task.name, task.status, task.skipReason])).toEqual([
      ['Stop Service', 'completed', null],
      ['Create archive', 'failed', null],
      ['Prune', 'skipped', 'Task skipped due to job cancellation'],
      ['Report', 'skipped', 'Task skipped due to job cancellation'],
      ['Start Service', 'completed', null],
      ['Notification', 'completed', null],
    ]);
    expect(result.tasks[1]).toMatchObject({ cancelled: true, timedOut: false, error: 'Task cancelled', failure: { code: 'cancelled', message: 'Task cancelled' } });
    expect(result.failure).toEqual({ taskIndex: 1, taskName: 'Create archive', type: 'backup', reason: 'cancelled', error: 'Job cancelled (rehearsal)' });
    expect(log()).toEqual(['stop rehearsal=1', 'start rehearsal=1']);
    expect(notifier.messages.map((message) => message.title)).toEqual(['[Rehearsal] 🛑 Backup Job Cancelled']);
  });

  it('cancel at a cleanup post-hook: the job is cancelled as it starts, and the cleanup runs, as after a real Ctrl-C', async () => {
    const { options, notifier, log } = job();
    const result = await new JobPipeline(options).run({ rehearse: { task: 'Start Service', outcome: 'cancel' } });
    expect(result.status).toBe('cancelled');
    expect(result.tasks.map((task) => [task.name, task.status, task.cancelled])).toEqual([
      ['Stop Service', 'completed', false],
      ['Create archive', 'completed', false],
      ['Prune', 'completed', false],
      ['Report', 'completed', false],
      ['Start Service', 'completed', false],
      ['Notification', 'completed', false],
    ]);
    expect(result.failure).toEqual({ taskIndex: null, taskName: null, type: null, reason: 'cancelled', error: 'Job cancelled (rehearsal)', cancelledBefore: 4 });
    expect(log()).toEqual(['stop rehearsal=1', 'prune rehearsal=1', 'report rehearsal=1', 'start rehearsal=1']);
    expect(notifier.messages.map((message) => message.title)).toEqual(['[Rehearsal] 🛑 Backup Job Cancelled']);

    // A real Ctrl-C at the same point, as 'Report' ends: the same failure and the same flow.
    const controller = new AbortController();
    const real = new JobPipeline({ ...options, notifiers: [new RecordingNotifier()] });
    real.on('taskEnd', ({ task }) => {
      if (task.name === 'Report') controller.abort();
    });
    const cancelled = await real.run({ signal: controller.signal });
    expect(cancelled.failure).toMatchObject({ taskIndex: null, reason: 'cancelled', cancelledBefore: 4 });
    expect(formatFlow(result)).toBe(formatFlow(cancelled));
    expect(formatFlow(result)).toContain('5. Post-Hook 2 (Start Service)        → ✅ Success (Run on Failure)');
  });

  it('an unknown task, an ambiguous name, the notification or an unknown outcome is a ConfigError before anything runs', async () => {
    const { options, log } = job();
    const pipeline = new JobPipeline(options);
    const issues = async (rehearse: Parameters<JobPipeline['run']>[0]): Promise<unknown> => {
      const error: unknown = await pipeline.run(rehearse).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(await issues({ rehearse: { task: 'Create archve', outcome: 'fail' } })).toEqual([
      'rehearse.task: no task is named "Create archve"; the tasks are "Stop Service", "Create archive", "Prune", "Report", "Start Service"',
    ]);
    expect(await issues({ rehearse: { task: 6, outcome: 'fail' } })).toEqual(['rehearse.task: no task has index 6: this job has 6 (0 to 5; see "jobhooks plan")']);
    expect(await issues({ rehearse: { task: 5, outcome: 'fail' } })).toEqual(['rehearse.task: the notification cannot be rehearsed: it always runs']);
    expect(await issues({ rehearse: { task: 0, outcome: 'explode' as 'fail' } })).toEqual(['rehearse.outcome: expected one of "fail", "timeout", "cancel", received string "explode"']);
    const twice = new JobPipeline({ ...options, postHooks: [{ name: 'Stop Service', command: 'true' }] });
    const error = await twice.run({ rehearse: { task: 'Stop Service', outcome: 'fail' } }).catch((thrown: unknown) => thrown);
    expect((error as ConfigError).issues[0]?.message).toBe('2 tasks are named "Stop Service" (indexes 0, 3): give the index');
    expect(log()).toEqual([]);
    expect(notifierCalls(options)).toBe(0);
  });

  it('a real run has rehearsal null, hooks see no JOBHOOKS_REHEARSAL, and titles carry no prefix', async () => {
    const { options, notifier, log, marker } = job();
    const result = await new JobPipeline(options).run();
    expect(result.rehearsal).toBeNull();
    expect(existsSync(marker)).toBe(true);
    expect(log()).toEqual(['stop rehearsal=unset', 'prune rehearsal=unset', 'report rehearsal=unset', 'start rehearsal=unset']);
    expect(notifier.messages[0]?.title).toBe('✅ Backup Job Completed Successfully');
  });

  it('the variable carries the job envPrefix', async () => {
    const { options, log } = job();
    const result = await new JobPipeline({
      ...options,
      envPrefix: 'BORGITORY_',
      preHooks: [{ name: 'Stop Service', command: `echo "stop $BORGITORY_REHEARSAL \${JOBHOOKS_REHEARSAL-unset}" >> '${join(dir, 'log')}'` }],
    }).run({ rehearse: { task: 'Prune', outcome: 'fail' } });
    expect(log()[0]).toBe('stop 1 unset');
    expect(result.tasks[2]).toMatchObject({ status: 'failed', error: 'Rehearsed failure' });
    expect(result.status).toBe('completed_with_warnings');
  });
});

function notifierCalls(options: JobPipelineOptions): number {
  return (options.notifiers?.[0] as RecordingNotifier).messages.length;
}
