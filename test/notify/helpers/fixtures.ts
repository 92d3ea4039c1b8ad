import { notificationDetails } from '../../../src/notify/message.js';
import type { JobResult, NotificationMessage, NotifierContext, TaskResult } from '../../../src/types.js';

/*
 * Hand-built results of the documented flows (docs/execution-flow.md), as a notifier sees them while the
 * notification task is running: every other task is final, the job is not finished yet.
 */

export const JOB_ID = '3f2b8c1e-6d4a-4f0b-9a57-2c8e1d0b7a64';
const STARTED = '2025-03-01T02:00:00.000Z';

const at = (offsetMs: number): string => new Date(Date.parse(STARTED) + offsetMs).toISOString();

export function task(fields: Partial<TaskResult> & Pick<TaskResult, 'index' | 'type' | 'name' | 'phase' | 'status'>): TaskResult {
  const ran = fields.status === 'completed' || fields.status === 'failed' || fields.status === 'running';
  const base: TaskResult = {
    critical: false,
    runOnJobFailure: false,
    exitCode: ran && fields.status !== 'running' ? 0 : null,
    signal: null,
    timedOut: false,
    cancelled: false,
    warning: false,
    error: null,
    failure: null,
    skipReason: null,
    output: '',
    outputTruncated: false,
    startedAt: ran ? at(fields.index * 10_000) : null,
    finishedAt: ran && fields.status !== 'running' ? at(fields.index * 10_000 + 1500) : null,
    durationMs: ran && fields.status !== 'running' ? 1500 : null,
    data: null,
    attempts: ran ? 1 : 0,
    ...fields,
  };
  return base;
}

type Outcome = 'success' | 'warning' | 'backupFailure' | 'hookFailure';

/** The seven tasks of docs/execution-flow.md's documented flows, shaped by the outcome. */
function tasks(outcome: Outcome, hookName: string): TaskResult[] {
  const failedBackup = outcome === 'backupFailure';
  const failedHook = outcome === 'hookFailure';
  const skip = failedHook ? 'Task skipped due to critical hook failure' : 'Task skipped due to critical task failure';
  return [
    failedHook
      ? task({
          index: 0, type: 'hook', name: hookName, phase: 'pre', status: 'failed', critical: true, exitCode: 1,
          error: `Hook '${hookName}' exited with code 1`, output: 'pg_dump: error: connection to server failed',
        })
      : task({ index: 0, type: 'hook', name: 'Database Dump', phase: 'pre', status: 'completed', critical: true, output: 'dumped 42 tables' }),
    outcome === 'warning'
      ? task({
          index: 1, type: 'hook', name: 'Log Rotation', phase: 'pre', status: 'failed', exitCode: 1,
          error: "Hook 'Log Rotation' exited with code 1", output: 'logrotate: error: skipping "/var/log/app.log"',
        })
      : failedHook
        ? task({ index: 1, type: 'hook', name: 'Stop Services', phase: 'pre', status: 'skipped', skipReason: skip })
        : task({ index: 1, type: 'hook', name: 'Stop Services', phase: 'pre', status: 'completed' }),
    failedBackup
      ? task({
          index: 2, type: 'backup', name: 'Create archive', phase: 'main', status: 'failed', critical: true, exitCode: 2,
          error: "Task 'Create archive' exited with code 2",
          output: 'Creating archive at "/srv/borg::nas-2025-03-01"\nFailed to create/acquire the lock /srv/borg/lock.exclusive (timeout).',
        })
      : failedHook
        ? task({ index: 2, type: 'backup', name: 'Create archive', phase: 'main', status: 'skipped', critical: true, skipReason: skip })
        : task({ index: 2, type: 'backup', name: 'Create archive', phase: 'main', status: 'completed', critical: true, durationMs: 61_250 }),
    failedBackup || failedHook
      ? task({ index: 3, type: 'prune', name: 'Prune archives', phase: 'main', status: 'skipped', skipReason: skip })
      : task({ index: 3, type: 'prune', name: 'Prune archives', phase: 'main', status: 'completed' }),
    failedHook
      ? task({ index: 4, type: 'hook', name: 'Restart Services', phase: 'post', status: 'skipped', skipReason: skip })
      : task({ index: 4, type: 'hook', name: 'Restart Services', phase: 'post', status: 'completed', runOnJobFailure: failedBackup }),
    task({ index: 5, type: 'hook', name: 'Health Check', phase: 'post', status: 'completed', runOnJobFailure: true }),
    task({ index: 6, type: 'notification', name: 'Notification', phase: 'notification', status: 'running' }),
  ];
}

const MESSAGES: Record<Outcome, (hookName: string) => NotificationMessage> = {
  success: () => ({
    title: '✅ Backup Job Completed Successfully',
    body: `Backup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
    level: 'success',
    jobId: JOB_ID,
    status: 'completed',
    details: [],
  }),
  warning: () => ({
    title: '⚠️ Backup Job Completed with Warnings',
    body: `Backup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}`,
    level: 'warning',
    jobId: JOB_ID,
    status: 'completed_with_warnings',
    details: [],
  }),
  backupFailure: () => ({
    title: '❌ Backup Job Failed - Backup Error',
    body: `Backup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}`,
    level: 'error',
    jobId: JOB_ID,
    status: 'failed',
    details: [],
  }),
  hookFailure: (hookName) => ({
    title: '❌ Backup Job Failed - Critical Hook Error',
    body: `Backup job for 'nas' failed due to critical hook failure.\n\nFailed Hook: ${hookName}\nTasks Completed: 2, Skipped: 4, Total: 7\nJob ID: ${JOB_ID}`,
    level: 'error',
    jobId: JOB_ID,
    status: 'failed',
    details: [],
  }),
};

/** A job of the documented flows, its message, and a context for `notify()`. */
export interface Scenario {
  readonly message: NotificationMessage;
  readonly result: JobResult;
  context(signal?: AbortSignal): NotifierContext;
}

export function scenario(outcome: Outcome, options: { hookName?: string } = {}): Scenario {
  const hookName = options.hookName ?? 'Database Dump';
  const list = tasks(outcome, hookName);
  const failure =
    outcome === 'backupFailure'
      ? { taskIndex: 2, taskName: 'Create archive', type: 'backup', reason: 'critical_task_failure' as const, error: "Task 'Create archive' exited with code 2" }
      : outcome === 'hookFailure'
        ? { taskIndex: 0, taskName: hookName, type: 'hook', reason: 'critical_hook_failure' as const, error: `Hook '${hookName}' exited with code 1` }
        : null;
  // The details the engine builds: the task that failed or warned, with its output.
  const message = { ...MESSAGES[outcome](hookName), details: notificationDetails(list.filter((entry) => entry.phase !== 'notification')) };
  const result: JobResult = {
    jobId: JOB_ID,
    jobType: 'scheduled',
    repository: { id: 7, name: 'nas' },
    jobLabel: 'Backup',
    // As notifiers see it during delivery: the status the job ends with (docs/notifications.md).
    status: message.status,
    startedAt: STARTED,
    finishedAt: null,
    durationMs: null,
    tasks: list,
    failure,
    notification: null,
  };
  return {
    message,
    result,
    context: (signal = AbortSignal.timeout(10_000)) => ({ result, signal }),
  };
}

/** Ten lines of 500 characters (`L01 aaa…`, …, `L10 jjj…`): more than any provider's limit holds. */
export const LONG_OUTPUT = Array.from({ length: 10 }, (_, line) =>
  `L${String(line + 1).padStart(2, '0')} ${String.fromCharCode(97 + line).repeat(496)}`,
).join('\n');

/** The failed backup of `scenario('backupFailure')` with other failed tasks or outputs, its details rebuilt as the engine would. */
export function failedBackup(options: { output?: string; error?: string; extraFailures?: number } = {}): Scenario {
  const base = scenario('backupFailure');
  const output = options.output ?? LONG_OUTPUT;
  const extra = Array.from({ length: options.extraFailures ?? 0 }, (_, offset) =>
    task({
      index: 7 + offset, type: 'hook', name: `Extra ${offset + 1}`, phase: 'post', status: 'failed', exitCode: 1,
      error: `Hook 'Extra ${offset + 1}' exited with code 1`, output,
    }),
  );
  const failed = (entry: TaskResult): TaskResult => ({ ...entry, output, ...(options.error === undefined ? {} : { error: options.error }) });
  const tasks = [...base.result.tasks.map((entry) => (entry.index === 2 ? failed(entry) : entry)), ...extra];
  const result = { ...base.result, tasks };
  const message = { ...base.message, details: notificationDetails(tasks.filter((entry) => entry.phase !== 'notification')) };
  return { message, result, context: (signal = AbortSignal.timeout(10_000)) => ({ result, signal }) };
}
