import { describe, expect, it } from 'vitest';
import { buildNotification, formatFlow, JobPipeline } from '../../src/index.js';
import { documentedJob, foldArrows, JOB_ID } from '../helpers.js';

// The four flows of docs/execution-flow.md, copied as they are printed there.
const NORMAL = `
1. Pre-Hook 1 (Database Dump)        → ✅ Success
2. Pre-Hook 2 (Stop Services)        → ✅ Success
3. Backup Task                        → ✅ Success
4. Prune Task                         → ✅ Success
5. Post-Hook 1 (Restart Services)    → ✅ Success
6. Post-Hook 2 (Health Check)        → ✅ Success
7. Notification                       → ✅ Success

Result: ✅ Job Completed Successfully`.trim();

const CRITICAL_PRE_HOOK = `
1. Pre-Hook 1 (Database Dump)        → ❌ Failed (Critical)
2. Pre-Hook 2 (Stop Services)        → ⏭️  Skipped
3. Backup Task                        → ⏭️  Skipped
4. Prune Task                         → ⏭️  Skipped
5. Post-Hook 1 (Restart Services)    → ⏭️  Skipped
6. Post-Hook 2 (Health Check)        → ✅ Success (Run on Failure)
7. Notification                       → ✅ Success

Result: ❌ Job Failed - Critical Hook Error`.trim();

const BACKUP_FAILURE = `
1. Pre-Hook 1 (Database Dump)        → ✅ Success
2. Pre-Hook 2 (Stop Services)        → ✅ Success
3. Backup Task                        → ❌ Failed (Critical)
4. Prune Task                         → ⏭️  Skipped
5. Post-Hook 1 (Restart Services)    → ✅ Success (Run on Failure)
6. Post-Hook 2 (Health Check)        → ✅ Success (Run on Failure)
7. Notification                       → ✅ Success

Result: ❌ Job Failed - Backup Error`.trim();

const NON_CRITICAL_HOOK = `
1. Pre-Hook 1 (Database Dump)        → ✅ Success
2. Pre-Hook 2 (Log Rotation)         → ❌ Failed (Non-Critical)
3. Backup Task                        → ✅ Success
4. Prune Task                         → ✅ Success
5. Post-Hook 1 (Restart Services)    → ✅ Success
6. Post-Hook 2 (Health Check)        → ✅ Success
7. Notification                       → ✅ Success

Result: ⚠️  Job Completed with Warnings`.trim();

function arrowColumns(flow: string): Set<number> {
  return new Set(flow.split('\n').filter((line) => line.includes('→')).map((line) => line.indexOf('→')));
}

describe('the four documented flows (docs/execution-flow.md)', () => {
  it('normal execution: everything succeeds', async () => {
    const { options, notifier, executor } = documentedJob({});
    const result = await new JobPipeline(options).run();

    expect(foldArrows(formatFlow(result))).toBe(foldArrows(NORMAL));
    expect(arrowColumns(formatFlow(result)).size).toBe(1);
    expect(result.status).toBe('completed');
    expect(result.failure).toBeNull();
    expect(executor.calls.map((call) => call.taskName)).toEqual([
      'Database Dump', 'Stop Services', 'backup', 'prune', 'Restart Services', 'Health Check',
    ]);
    expect(notifier.messages).toEqual([
      {
        title: '✅ Backup Job Completed Successfully',
        body: `Backup job for 'MyRepository' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
        level: 'success',
        jobId: JOB_ID,
        status: 'completed',
        details: [],
      },
    ]);
    expect(result.notification).toEqual(notifier.messages[0]);
    expect(buildNotification(result)).toEqual(result.notification);
  });

  it('critical pre-hook failure: the rest is skipped, the run-on-failure post-hook runs', async () => {
    const { options, notifier, executor } = documentedJob(
      { 'Database Dump': { exitCode: 1, output: ['pg_dump: could not connect'] } },
      {
        preHooks: [
          { name: 'Database Dump', command: 'pg_dump myapp', critical: true },
          { name: 'Stop Services', command: 'systemctl stop nginx' },
        ],
        postHooks: [
          { name: 'Restart Services', command: 'systemctl start nginx' },
          { name: 'Health Check', command: 'curl https://hc.example/ping', runOnJobFailure: true },
        ],
      },
    );
    const result = await new JobPipeline(options).run();

    expect(foldArrows(formatFlow(result))).toBe(foldArrows(CRITICAL_PRE_HOOK));
    expect(result.status).toBe('failed');
    expect(executor.calls.map((call) => call.taskName)).toEqual(['Database Dump', 'Health Check']);
    expect(result.tasks.map((task) => task.skipReason)).toEqual([
      null,
      'Task skipped due to critical hook failure',
      'Task skipped due to critical hook failure',
      'Task skipped due to critical hook failure',
      'Task skipped due to critical hook failure',
      null,
      null,
    ]);
    expect(result.tasks[0]).toMatchObject({
      status: 'failed', exitCode: 1, critical: true, error: "Hook 'Database Dump' exited with code 1", output: 'pg_dump: could not connect',
    });
    expect(result.failure).toEqual({
      taskIndex: 0, taskName: 'Database Dump', type: 'hook', reason: 'critical_hook_failure', error: "Hook 'Database Dump' exited with code 1",
    });
    expect(notifier.messages[0]).toEqual({
      title: '❌ Backup Job Failed - Critical Hook Error',
      body: `Backup job for 'MyRepository' failed due to critical hook failure.\n\nFailed Hook: Database Dump\nTasks Completed: 2, Skipped: 4, Total: 7\nJob ID: ${JOB_ID}`,
      level: 'error',
      jobId: JOB_ID,
      status: 'failed',
      details: [
        { index: 0, name: 'Database Dump', type: 'hook', phase: 'pre', status: 'failed', warning: false, exitCode: 1, error: "Hook 'Database Dump' exited with code 1", output: 'pg_dump: could not connect', attempts: 1 },
      ],
    });
    expect(buildNotification(result)).toEqual(result.notification);
  });

  it('backup failure: prune is skipped, both run-on-failure post-hooks run', async () => {
    const { options, notifier } = documentedJob(
      { backup: { exitCode: 2 } },
      {
        postHooks: [
          { name: 'Restart Services', command: 'systemctl start nginx', runOnJobFailure: true },
          { name: 'Health Check', command: 'curl https://hc.example/ping', runOnJobFailure: true },
        ],
      },
    );
    const result = await new JobPipeline(options).run();

    expect(foldArrows(formatFlow(result))).toBe(foldArrows(BACKUP_FAILURE));
    expect(result.status).toBe('failed');
    expect(result.tasks[3]?.skipReason).toBe('Task skipped due to critical task failure');
    expect(result.failure).toMatchObject({ taskIndex: 2, type: 'backup', reason: 'critical_task_failure', error: "Task 'backup' exited with code 2" });
    expect(notifier.messages[0]).toEqual({
      title: '❌ Backup Job Failed - Backup Error',
      body: `Backup job for 'MyRepository' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}`,
      level: 'error',
      jobId: JOB_ID,
      status: 'failed',
      details: [
        { index: 2, name: 'backup', type: 'backup', phase: 'main', status: 'failed', warning: false, exitCode: 2, error: "Task 'backup' exited with code 2", output: '', attempts: 1 },
      ],
    });
  });

  it('non-critical hook failure: everything runs, the job completes with warnings', async () => {
    const { options, notifier } = documentedJob(
      { 'Log Rotation': { exitCode: 1 } },
      {
        preHooks: [
          { name: 'Database Dump', command: 'pg_dump myapp' },
          { name: 'Log Rotation', command: 'logrotate -f /etc/logrotate.conf' },
        ],
      },
    );
    const result = await new JobPipeline(options).run();

    expect(foldArrows(formatFlow(result))).toBe(foldArrows(NON_CRITICAL_HOOK));
    expect(result.status).toBe('completed_with_warnings');
    expect(result.failure).toBeNull();
    expect(notifier.messages[0]).toEqual({
      title: '⚠️ Backup Job Completed with Warnings',
      body: `Backup job for 'MyRepository' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}`,
      level: 'warning',
      jobId: JOB_ID,
      status: 'completed_with_warnings',
      details: [
        { index: 1, name: 'Log Rotation', type: 'hook', phase: 'pre', status: 'failed', warning: false, exitCode: 1, error: "Hook 'Log Rotation' exited with code 1", output: '', attempts: 1 },
      ],
    });
  });

  it('lines the arrows up exactly as the documented main-task lines do', async () => {
    const { options } = documentedJob({});
    const flow = formatFlow(await new JobPipeline(options).run());
    // The spec's own main-task lines, byte for byte.
    expect(flow.split('\n')[2]).toBe('3. Backup Task                        → ✅ Success');
    expect(flow.split('\n')[6]).toBe('7. Notification                       → ✅ Success');
  });
});
