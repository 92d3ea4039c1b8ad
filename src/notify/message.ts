import { allDetails, detailKind, detailReason, detailsLines } from './details.js';
import type { JobResult, JobStatus, NotificationDetail, NotificationLevel, NotificationMessage, TaskResult } from '../types.js';

/** How many of a task's last output lines a notification's details carry. */
export const DETAIL_OUTPUT_LINES = 10;

/** What every title of a rehearsal's message starts with (docs/testing.md#rehearse-your-failure-path). */
export const REHEARSAL_TITLE_PREFIX = '[Rehearsal] ';

/** `backup` → `Backup`. */
export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * Builds the one notification message of a job, exactly as docs/notifications.md ("The message")
 * says. The case is the job's `status` (`cancelled`, `failed` with `result.failure` naming the cause),
 * else the non-notification tasks (failed or warned ones make it a warning), so calling it on a final
 * result gives back `result.notification`. The notification task, when there is one, counts as completed (the message
 * is written while it is being delivered).
 *
 * @example
 * ```ts
 * const { title, body } = buildNotification(result)
 * // '✅ Backup Job Completed Successfully'
 * // "Backup job for 'MyRepository' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: job-abc-123"
 * ```
 */
export function buildNotification(result: JobResult): NotificationMessage {
  const label = result.jobLabel;
  const repo = result.repository?.name ?? 'Unknown';
  const work = result.tasks.filter((task) => task.phase !== 'notification');
  const hasNotificationTask = work.length !== result.tasks.length;
  const completed = work.filter((task) => task.status === 'completed').length + (hasNotificationTask ? 1 : 0);
  const skipped = work.filter((task) => task.status === 'skipped').length;
  const total = result.tasks.length;
  const counts = `Tasks Completed: ${completed}, Skipped: ${skipped}, Total: ${total}`;
  const jobIdLine = `Job ID: ${result.jobId}`;
  const failure = result.failure;

  const details = notificationDetails(work);
  // A rehearsal's message must never be taken for a real outage (docs/testing.md#rehearse-your-failure-path).
  const titlePrefix = result.rehearsal == null ? '' : REHEARSAL_TITLE_PREFIX;
  const message = (title: string, lines: string[], level: NotificationLevel, status: JobStatus): NotificationMessage => ({
    title: titlePrefix + title,
    body: lines.join('\n'),
    level,
    jobId: result.jobId,
    status,
    details,
  });

  // The case is the status the engine decided (jobStatusOf); a cancellation after a critical failure still ends the job `cancelled`.
  if (result.status === 'interrupted') {
    // A recovery's result (docs/journal.md): its post-hooks are the cleanups it ran for the dead run.
    const cleanups = work.filter((task) => task.phase === 'post' && (task.status === 'completed' || task.status === 'failed')).map((task) => task.name);
    return message(
      `❌ ${label} Job Interrupted`,
      [`${label} job for '${repo}' was interrupted: ${failure?.error ?? 'jobhooks died'}.`, '', `Cleanup run: ${cleanups.length === 0 ? 'none' : cleanups.join(', ')}`, jobIdLine],
      'error',
      'interrupted',
    );
  }
  if (result.status === 'cancelled') {
    return message(
      `🛑 ${label} Job Cancelled`,
      [`${label} job for '${repo}' was cancelled.`, '', counts, jobIdLine],
      'error',
      'cancelled',
    );
  }
  if (result.status === 'failed' && failure?.reason === 'critical_hook_failure') {
    return message(
      `❌ ${label} Job Failed - Critical Hook Error`,
      [`${label} job for '${repo}' failed due to critical hook failure.`, '', `Failed Hook: ${failure.taskName ?? 'unknown'}`, counts, jobIdLine],
      'error',
      'failed',
    );
  }
  if (result.status === 'failed') {
    const type = failure?.type ?? 'task';
    return message(
      `❌ ${label} Job Failed - ${capitalize(type)} Error`,
      [`${label} job for '${repo}' failed during ${type} process.`, '', counts, jobIdLine],
      'error',
      'failed',
    );
  }
  if (result.status === 'skipped') {
    // Every pre-hook after the one that asked to skip was skipped: it is the last pre-hook that ran (docs/hooks.md#skip-the-job).
    const by = work.findLast((task) => task.phase === 'pre' && task.status === 'completed')?.name ?? 'unknown';
    return message(`⏭️ ${label} Job Skipped`, [`${label} job for '${repo}' was skipped by hook '${by}'.`, '', counts, jobIdLine], 'info', 'skipped');
  }
  const failed = work.filter((task) => task.status === 'failed');
  const warned = work.filter((task) => task.status === 'completed' && task.warning);
  if (failed.length > 0 || warned.length > 0) {
    const lines = [`${label} job for '${repo}' completed but some tasks failed.`, ''];
    // One line, exactly as docs/notifications.md gives it: the warned tasks are named only when no
    // task failed (the details name every one of them either way).
    lines.push(failed.length > 0 ? `Failed Tasks: ${typesOf(failed)}` : `Tasks with Warnings: ${typesOf(warned)}`);
    lines.push(counts, jobIdLine);
    return message(`⚠️ ${label} Job Completed with Warnings`, lines, 'warning', 'completed_with_warnings');
  }
  return message(
    `✅ ${label} Job Completed Successfully`,
    [`${label} job for '${repo}' completed successfully.`, '', `Tasks Completed: ${completed}, Total: ${total}`, jobIdLine],
    'success',
    'completed',
  );
}

/**
 * The details of a message (docs/notifications.md): one entry per task that failed or completed with a
 * warning, in job order, with its last {@link DETAIL_OUTPUT_LINES} output lines.
 */
export function notificationDetails(tasks: readonly TaskResult[]): NotificationDetail[] {
  return tasks
    .filter((task) => task.status === 'failed' || (task.status === 'completed' && task.warning))
    .map((task) => ({
      index: task.index,
      name: task.name,
      type: task.type,
      phase: task.phase,
      status: task.status,
      warning: task.warning,
      exitCode: task.exitCode,
      error: task.error,
      output: lastLines(task.output, DETAIL_OUTPUT_LINES),
      attempts: task.attempts,
    }));
}

/** The last `count` lines of `text` (lines joined with `\n`; a trailing newline is not a line). */
export function lastLines(text: string, count: number): string {
  if (text === '') return '';
  const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
  return trimmed.split('\n').slice(-count).join('\n');
}

/**
 * The details as plain-text lines, the way the console, ntfy, Pushover and the CLI show them
 * (docs/notifications.md):
 *
 * ```text
 * ❌ Database Dump (pre-hook): exited with code 1
 *     pg_dump: connection refused
 * ⚠️ Create archive (backup): completed with warnings
 * ```
 */
export function formatDetails(details: readonly NotificationDetail[]): string[] {
  return detailsLines(allDetails(details));
}

export { detailKind, detailReason };

function typesOf(tasks: readonly TaskResult[]): string {
  return tasks.map((task) => task.type).join(', ');
}
