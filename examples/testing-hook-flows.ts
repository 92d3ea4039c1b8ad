// Test your hook flow without running it: FakeExecutor scripts what each command does,
// RecordingNotifier keeps the messages, collectEvents records every event. Plain node:assert, so
// it works under any test runner (or none). Run: `npx tsx examples/testing-hook-flows.ts`.
import assert from 'node:assert/strict';
import { commandTask, formatFlow, JobPipeline, type JobPipelineOptions } from 'jobhooks';
import { collectEvents, FakeExecutor, RecordingNotifier, type FakeScript } from 'jobhooks/testing';

/** The job under test: your real configuration, with the executor and notifier swapped for fakes. */
function myJob(
  script: FakeScript,
  overrides: Partial<JobPipelineOptions> = {},
): { options: JobPipelineOptions; executor: FakeExecutor; notifier: RecordingNotifier } {
  const executor = new FakeExecutor(script);
  const notifier = new RecordingNotifier();
  const options: JobPipelineOptions = {
    jobId: 'job-abc-123',
    repository: { id: 123, name: 'MyRepository' },
    preHooks: [
      { name: 'Database Dump', command: 'pg_dump myapp > /tmp/myapp_backup.sql', critical: true },
      { name: 'Stop Services', command: 'systemctl stop nginx' },
    ],
    tasks: [
      commandTask({ type: 'backup', name: 'backup', command: 'borg create /repo::{now} /srv' }),
      commandTask({ type: 'prune', name: 'prune', command: 'borg prune --keep-daily 7 /repo', critical: false }),
    ],
    postHooks: [
      { name: 'Restart Services', command: 'systemctl start nginx', runOnJobFailure: true },
      { name: 'Health Check', command: 'curl -fsS https://hc.example/ping', runOnJobFailure: true },
    ],
    notifiers: [notifier],
    executor,
    ...overrides,
  };
  return { options, executor, notifier };
}

async function test(name: string, body: () => Promise<void>): Promise<void> {
  await body();
  console.log(`ok - ${name}`);
}

await test('a failed dump skips the backup but still restarts the services', async () => {
  const { options, executor, notifier } = myJob({
    'Database Dump': { exitCode: 1, output: [{ line: 'pg_dump: connection refused', stream: 'stderr' }] },
  });
  const result = await new JobPipeline(options).run();

  assert.equal(result.status, 'failed');
  assert.deepEqual(result.failure, {
    taskIndex: 0,
    taskName: 'Database Dump',
    type: 'hook',
    reason: 'critical_hook_failure',
    error: "Hook 'Database Dump' exited with code 1",
  });
  assert.deepEqual(
    result.tasks.map((t) => [t.name, t.status, t.skipReason]),
    [
      ['Database Dump', 'failed', null],
      ['Stop Services', 'skipped', 'Task skipped due to critical hook failure'],
      ['backup', 'skipped', 'Task skipped due to critical hook failure'],
      ['prune', 'skipped', 'Task skipped due to critical hook failure'],
      ['Restart Services', 'completed', null],
      ['Health Check', 'completed', null],
      ['Notification', 'completed', null],
    ],
  );
  assert.equal(result.tasks[0]?.output, 'pg_dump: connection refused');
  // Only the commands that ran reached the executor, in order.
  assert.deepEqual(executor.calls.map((c) => c.taskName), ['Database Dump', 'Restart Services', 'Health Check']);
  assert.equal(notifier.messages[0]?.title, '❌ Backup Job Failed - Critical Hook Error');
  assert.equal(
    notifier.messages[0]?.body,
    "Backup job for 'MyRepository' failed due to critical hook failure.\n\nFailed Hook: Database Dump\nTasks Completed: 3, Skipped: 3, Total: 7\nJob ID: job-abc-123",
  );
  console.log(formatFlow(result));
});

await test('cleanup hooks see why the job failed', async () => {
  const { options, executor } = myJob({ backup: { exitCode: 2 } });
  await new JobPipeline(options).run();
  const restart = executor.calls.find((c) => c.taskName === 'Restart Services');
  assert.equal(restart?.env['JOBHOOKS_JOB_STATUS'], 'failure');
  assert.equal(restart?.env['JOBHOOKS_FAILED_TASK'], 'backup');
  assert.equal(restart?.env['JOBHOOKS_ERROR'], "Task 'backup' exited with code 2");
  assert.equal(restart?.env['JOBHOOKS_TASK_INDEX'], '4');
  assert.equal(restart?.env['JOBHOOKS_REPOSITORY_NAME'], 'MyRepository');
  assert.equal(restart?.timeoutMs, 300_000);
});

await test('a hook that hangs is timed out and reported', async () => {
  const { options } = myJob({ 'Stop Services': { hang: true } }, { defaults: { timeout: '50ms' } });
  const result = await new JobPipeline(options).run();
  const stop = result.tasks[1];
  assert.equal(stop?.timedOut, true);
  assert.equal(stop?.error, "Hook 'Stop Services' timed out after 0.05s");
  assert.equal(result.status, 'completed_with_warnings');
});

await test('a list of outcomes is used one call at a time (a flaky health check)', async () => {
  const executor = new FakeExecutor({ 'Health Check': [{ exitCode: 7 }, { exitCode: 0 }] });
  const job = new JobPipeline({ postHooks: [{ name: 'Health Check', command: 'curl -fsS https://hc.example/ping' }], executor });
  assert.equal((await job.run()).status, 'completed_with_warnings');
  assert.equal((await job.run()).status, 'completed');
});

await test('Ctrl-C during the backup: the task is cancelled, cleanup and notification still run', async () => {
  const { options, notifier } = myJob({ backup: { hang: true } });
  const pipeline = new JobPipeline(options);
  const events = collectEvents(pipeline);
  const controller = new AbortController();
  pipeline.on('taskStart', ({ task }) => {
    if (task.name === 'backup') setTimeout(() => controller.abort(), 10);
  });
  const result = await pipeline.run({ signal: controller.signal });

  assert.equal(result.status, 'cancelled');
  assert.equal(result.tasks[2]?.error, 'Task cancelled');
  assert.equal(result.tasks[3]?.skipReason, 'Task skipped due to job cancellation');
  assert.equal(notifier.messages[0]?.title, '🛑 Backup Job Cancelled');
  // taskStart only for tasks that run; taskEnd for every task, skipped ones included.
  assert.deepEqual(
    events.filter((e) => e.name !== 'taskOutput').map((e) => (e.name === 'taskStart' || e.name === 'taskEnd' ? `${e.name} ${e.payload.task.index}` : e.name)),
    ['jobStart', 'taskStart 0', 'taskEnd 0', 'taskStart 1', 'taskEnd 1', 'taskStart 2', 'taskEnd 2', 'taskEnd 3',
      'taskStart 4', 'taskEnd 4', 'taskStart 5', 'taskEnd 5', 'taskStart 6', 'notificationSent', 'taskEnd 6', 'jobEnd'],
  );
});

console.log('all assertions passed');
