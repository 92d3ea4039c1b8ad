import { formatSeconds } from '../duration.js';
import type { Redactor } from '../env.js';
import { startTimer } from '../executor/timers.js';
import type { OutputStream } from '../executor/types.js';
import { countAttempts, NOTIFICATION_LEVELS, NotificationDeliveryError } from '../notify/http.js';
import type { JobResult, JsonValue, NotificationMessage, Notifier, NotifierDelivery, Repository } from '../types.js';
import type { Emit } from './job-run.js';
import { errorText, makeOutcome, type Outcome } from './outcome.js';
import { notifierTimeoutMs } from './plan.js';

/** What delivering to the notifiers needs from the run. */
export interface DeliveryContext {
  readonly notifiers: readonly Notifier[];
  readonly jobId: string;
  readonly jobType: string;
  readonly repository: Repository | undefined;
  readonly emit: Emit;
  readonly redact: Redactor;
}

/** How one call of a notifier went. */
interface CallResult {
  /** The redacted error sentence (`Notifier 'ntfy' failed: connection refused`), or `null` when it succeeded. */
  readonly error: string | null;
  /** The same without the notifier's name (`connection refused`, `timed out after 30s`). */
  readonly reason: string | null;
  readonly attempts: number;
}

/** Each notifier's `jobStarted` call, settled (never rejected) once it is over. */
export type StartCalls = ReadonlyMap<Notifier, Promise<void>>;

/**
 * Calls every notifier's `jobStarted` without delaying the first task; failures become events.
 * Resolves each notifier's call on its own: one notifier's slow start holds back only its own message.
 */
export function announceStart(context: DeliveryContext): StartCalls {
  const calls = new Map<Notifier, Promise<void>>();
  for (const notifier of context.notifiers) {
    if (notifier.jobStarted === undefined) continue;
    const call = callNotifier(notifier, context.redact, (signal) =>
      notifier.jobStarted?.({
        jobId: context.jobId,
        jobType: context.jobType,
        ...(context.repository === undefined ? {} : { repository: context.repository }),
        signal,
      }),
    ).then(({ error, reason }) => {
      if (error !== null) context.emit('notificationFailed', { jobId: context.jobId, notifier: notifier.name, error, reason: reason ?? error, stage: 'start' });
    });
    calls.set(notifier, call);
  }
  return calls;
}

/**
 * Delivers the message to every notifier at once and turns how it went into the notification
 * task's outcome: `data.notifiers` holds one {@link NotifierDelivery} per notifier, in order
 * (docs/notifications.md).
 */
export async function deliverNotification(
  context: DeliveryContext,
  message: NotificationMessage,
  snapshot: JobResult,
  output: (line: string, stream: OutputStream) => void,
  starts: StartCalls,
): Promise<Outcome> {
  const notifierContext = { ...snapshot, notification: message };
  const deliveries = await Promise.all(
    context.notifiers.map(async (notifier): Promise<NotifierDelivery & { readonly sentence?: string }> => {
      // A notifier without `on` is not called for `info` (a skipped job), as the built-in ones (docs/notifications.md#levels).
      if (!(notifier.on ?? NOTIFICATION_LEVELS).includes(message.level)) {
        output(`${notifier.name}: not sent (it is not set for ${message.level} messages)`, 'stdout');
        return { name: notifier.name, status: 'not_sent', attempts: 0, error: null };
      }
      // A notifier is never told of the end before its start call is over; that wait is part of its
      // timeout, so the notifier as a whole stays within it (docs/notifications.md).
      const started = starts.get(notifier);
      const { error, reason, attempts } = await callNotifier(notifier, context.redact, async (signal) => {
        if (started !== undefined) await started;
        if (signal.aborted) return;
        await notifier.notify(message, { result: notifierContext, signal });
      });
      if (error === null) {
        output(`${notifier.name}: sent`, 'stdout');
        context.emit('notificationSent', { jobId: context.jobId, notifier: notifier.name });
        return { name: notifier.name, status: 'sent', attempts, error: null };
      }
      output(error, 'stderr');
      context.emit('notificationFailed', { jobId: context.jobId, notifier: notifier.name, error, reason: reason ?? error, stage: 'end' });
      return { name: notifier.name, status: 'failed', attempts, error: reason, sentence: error };
    }),
  );
  const failed = deliveries.flatMap((delivery) => (delivery.sentence === undefined ? [] : [delivery.sentence]));
  const data: JsonValue = { notifiers: deliveries.map(({ name, status, attempts, error }) => ({ name, status, attempts, error })) };
  if (failed.length === 0) return makeOutcome({ status: 'completed', data });
  return makeOutcome({ error: failed.join('; '), code: 'notifier', data });
}

/** The attempts a {@link NotificationDeliveryError} made; 1 for anything else, even a value whose prototype cannot be read. */
function deliveryAttempts(error: unknown): number {
  try {
    return error instanceof NotificationDeliveryError ? error.attempts : 1;
  } catch {
    return 1;
  }
}

/**
 * Calls a notifier under its own timeout; resolves with the redacted error text (or `null`) and
 * the attempts it made. The timeout is a {@link startTimer} (any length,
 * docs/execution-flow.md#timeouts-of-any-length) that aborts the notifier's signal and stops waiting.
 */
async function callNotifier(notifier: Notifier, redact: Redactor, call: (signal: AbortSignal) => Promise<void> | undefined): Promise<CallResult> {
  const timeoutMs = notifierTimeoutMs(notifier);
  const controller = new AbortController();
  // An HTTP notifier's attempts as they start; 0 for one that does not use HttpNotifier.send.
  const counted = countAttempts(controller.signal);
  const made = (fallback: number): number => (counted.count > 0 ? counted.count : fallback);
  let cancelTimer = (): void => {};
  const timedOut = new Promise<'timeout'>((resolve) => {
    cancelTimer = startTimer(timeoutMs, () => resolve('timeout'));
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(() => call(controller.signal)), timedOut]);
    if (outcome !== 'timeout') return { error: null, reason: null, attempts: made(1) };
    const reason = `timed out after ${formatSeconds(timeoutMs)}`;
    controller.abort(new Error(reason));
    return { error: redact(`Notifier '${notifier.name}' ${reason}`), reason: redact(reason), attempts: made(1) };
  } catch (error) {
    const attempts = made(deliveryAttempts(error));
    const reason = errorText(error);
    return { error: redact(`Notifier '${notifier.name}' failed: ${reason}`), reason: redact(reason), attempts };
  } finally {
    cancelTimer();
  }
}
