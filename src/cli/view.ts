import type { EventSource } from '../events.js';
import { formatFlow } from '../format.js';
import { formatSeconds } from '../duration.js';
import { buildNotification, formatDetails } from '../notify/message.js';
import type { JobResult, NotifierDelivery } from '../types.js';

/** Anything text can be written to: `process.stdout`, a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

// The event plumbing lives with the events (docs/architecture.md); the views import it from here.
export { subscribe, type EventSource, type Listeners } from '../events.js';

/** How a run ended, besides its result: what the CLI saw of the notification being delivered. */
export interface RunEnd {
  /** A `console` notifier already printed the message. */
  readonly notificationPrinted: boolean;
  /** Each notifier that failed to deliver the final message, with why. */
  readonly notificationFailures: readonly NotificationFailure[];
}

/** A notifier that failed to deliver the final message. */
export interface NotificationFailure {
  readonly notifier: string;
  /** Why, without the notifier's name (`connection refused`, `timed out after 30s`): the notification task's `data.notifiers[].error`. */
  readonly error: string;
}

/** How `jobhooks run` shows a job: live on a terminal, as plain lines, quietly, or as JSON. */
export interface RunView {
  /** Starts following the pipeline's events. */
  attach(pipeline: EventSource): void;
  /** A message from the CLI itself (a signal was received). */
  notice(text: string): void;
  /**
   * The config file's warnings, `warning: <path>: <message>` lines (docs/cli.md): given before the
   * view is attached, said at once by every view but `--quiet`'s, which says them only with a job
   * that did not complete.
   */
  configWarnings(text: string): void;
  /** What a `console` notifier prints. */
  consoleText(text: string): void;
  /** Shows the outcome. */
  finish(result: JobResult, end: RunEnd): void;
  /** Stops following events and gives the terminal back as it was; safe to call more than once. */
  close(): void;
}

/**
 * `[Mount NAS] attempt 1 failed: Hook 'Mount NAS' timed out after 1s; attempt 2 in 2.7s`: a task's
 * failed attempt and the wait before its next, which the run's output would otherwise pass over in
 * silence (docs/cli.md).
 */
export function retryLine(name: string, { attempt, delayMs, error }: { readonly attempt: number; readonly delayMs: number; readonly error: string }): string {
  return `[${name}] attempt ${attempt - 1} failed: ${error}; attempt ${attempt} in ${formatSeconds(Math.round(delayMs / 100) * 100)}`;
}

/** `⚠️ Notification failed: ntfy: connection refused`: one clause per notifier, its name said once. */
export function notificationFailureLine({ notifier, error }: NotificationFailure): string {
  return `⚠️ Notification failed: ${notifier}: ${error}`;
}

/** The notifiers that failed to deliver the final message, from the notification task's `data.notifiers` (docs/notifications.md). */
export function notificationFailuresOf(result: JobResult): NotificationFailure[] {
  const data = result.tasks.find((task) => task.phase === 'notification')?.data;
  const notifiers = data !== null && typeof data === 'object' && !Array.isArray(data) ? data['notifiers'] : undefined;
  if (!Array.isArray(notifiers)) return [];
  return (notifiers as unknown as readonly NotifierDelivery[])
    .filter((delivery) => delivery.status === 'failed')
    .map((delivery) => ({ notifier: delivery.name, error: delivery.error ?? 'failed' }));
}

/**
 * The end of a run as people read it (docs/cli.md): the flow with each task's duration, the
 * notification's title, body and details (unless a `console` notifier printed them), then one
 * line per notifier that failed to deliver it.
 */
export function summaryText(result: JobResult, end: RunEnd): string {
  const lines = [formatFlow(result, { durations: true })];
  if (!end.notificationPrinted) {
    const message = result.notification ?? buildNotification(result);
    lines.push('', message.title, '', message.body);
    const details = formatDetails(message.details);
    if (details.length > 0) lines.push('', ...details);
  }
  if (end.notificationFailures.length > 0) lines.push('', ...end.notificationFailures.map(notificationFailureLine));
  return `${lines.join('\n')}\n`;
}

/**
 * A run recovered before this one (its jobhooks died; docs/when-jobhooks-dies.md), as every view but
 * `--json` prints it before the job's own lines: the "Interrupted" message with its details (unless a
 * `console` notifier printed it, `messagePrinted`), then one line per notifier that failed to deliver
 * it, then a blank line; empty when there is nothing left to say.
 */
export function recoveredText(result: JobResult, messagePrinted = false): string {
  const lines: string[] = [];
  if (!messagePrinted) {
    const message = result.notification ?? buildNotification(result);
    lines.push(message.title, '', message.body);
    const details = formatDetails(message.details);
    if (details.length > 0) lines.push('', ...details);
  }
  const failures = notificationFailuresOf(result);
  if (failures.length > 0) lines.push(...(lines.length > 0 ? [''] : []), ...failures.map(notificationFailureLine));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n\n`;
}

