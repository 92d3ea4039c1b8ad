import { randomUUID } from 'node:crypto';
import type { Job, Queue, QueueEvents } from 'bullmq';
import { buildJob } from '../cli/job.js';
import { ConfigError, ErrorCode, JobHooksError } from '../errors.js';
import type { JobEvents, JobEventName } from '../events.js';
import type { JobResult } from '../types.js';
import { closeInBackground, isPassing, QueueUnansweredError, reachQueue, untilAborted, type QueueTarget } from './connection.js';

/** The BullMQ job name of every jobhooks job. */
export const JOB_NAME = 'jobhooks';
/** The custom QueueEvents event carrying one JobEvent (docs/bullmq-api.md#live-events). */
export const EVENT_NAME = 'jobhooks:event';
/** The custom QueueEvents event asking the worker that runs a job to cancel it. */
export const CANCEL_NAME = 'jobhooks:cancel';
/** How many events the queue's event stream keeps (older ones are trimmed). */
export const MAX_EVENTS = 10_000;
/**
 * The custom event a watch of a finished job appends to the stream: every event of the job is before
 * it, so reaching it without a `jobEnd` means they were trimmed (docs/bullmq-api.md#live-events).
 */
export const REPLAY_MARK_NAME = 'jobhooks:replay-mark';

/** What a queued job carries: the definition as written (secrets stay `{ "env": "NAME" }` references). */
export interface QueuedJobData {
  readonly definition: unknown;
}

/** The JobEvents a watcher receives: every event of the pipeline except `listenerError`. */
export type WatchedEventName = Exclude<JobEventName, 'listenerError'>;

/** One event of a watched job: its name and its payload, exactly as the pipeline emitted it (as JSON). */
export type WatchedEvent = { [E in WatchedEventName]: { readonly name: E; readonly event: JobEvents[E][0] } }[WatchedEventName];

/** Options of {@link enqueue}. */
export interface EnqueueOptions {
  /** The job's id: enqueueing the same id again while the job exists adds nothing and returns it (idempotent). @default a new id from BullMQ */
  readonly jobId?: string | undefined;
  /** Milliseconds to wait before the job may run. @default 0 */
  readonly delay?: number | undefined;
  /** BullMQ priority: 1 is the highest; a job without one goes before prioritized ones. */
  readonly priority?: number | undefined;
  /**
   * Where `{ "env": "NAME" }` secrets are read from to validate the definition here; the worker reads
   * them again from its own environment, and only the reference travels through the queue.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Gives up when it fires before the server answered: the promise rejects with `QueueUnansweredError`
   * (`sent: false`: nothing was enqueued). Without one, a server that is away is waited for.
   * `AbortSignal.timeout(30_000)` bounds the wait, as `jobhooks enqueue --server-timeout` does.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Validates a job definition exactly as `jobhooks validate` does, and throws a `ConfigError`
 * listing every problem (the definition never reaches a queue).
 */
export function validateDefinition(definition: unknown, env: Readonly<Record<string, string | undefined>> = process.env): void {
  const built = buildJob(definition, { env });
  if (!built.ok) throw new ConfigError(built.issues, { subject: 'job definition' });
}

/**
 * Puts a job on the queue and resolves with its id. The definition is the CLI config file's shape
 * (docs/cli.md), validated first: a bad one throws `ConfigError` and is never enqueued.
 *
 * @example
 * ```ts
 * const id = await enqueue({ connection: { redis: 'redis://127.0.0.1:6379' }, queue: 'backups' },
 *   { repository: { name: 'nas' }, tasks: [{ name: 'Backup', command: 'borg create ::{now} /srv' }] },
 *   { jobId: 'nas-2026-11-30' })
 * ```
 */
export async function enqueue(target: QueueTarget, definition: unknown, options: EnqueueOptions = {}): Promise<string> {
  validateDefinition(definition, options.env);
  const data: QueuedJobData = { definition };
  const job = await onReachedQueue(target, options.signal, (queue) =>
    queue.add(JOB_NAME, data, {
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      ...(options.delay === undefined ? {} : { delay: options.delay }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    }),
  );
  if (job.id === undefined) throw new JobHooksError(ErrorCode.QUEUE, 'BullMQ gave the job no id');
  return job.id;
}

/**
 * `request` on a queue of the target once its server answered, then the queue closed. When `signal`
 * fires first, rejects with `QueueUnansweredError`: `sent: false` before the server answered, `true`
 * once the request went out (so too when the connection drops under it); the queue is then closed
 * without waiting (docs/bullmq-api.md#connection).
 */
async function onReachedQueue<T>(target: QueueTarget, signal: AbortSignal | undefined, request: (queue: Queue) => Promise<T>): Promise<T> {
  const { queue } = await reachQueue(target, signal);
  const answered = await untilAborted(request(queue), signal);
  if (answered.kind === 'aborted') {
    closeInBackground(queue);
    throw new QueueUnansweredError(true, undefined);
  }
  if (answered.kind === 'rejected') {
    closeInBackground(queue);
    // PostgreSQL's pool fails a request at once when the connection drops (Redis's client holds it).
    if (answered.error instanceof Error && isPassing(answered.error)) throw new QueueUnansweredError(true, answered.error);
    throw answered.error;
  }
  await queue.close();
  return answered.value;
}

/**
 * Cancels a job: a waiting or delayed job is removed (resolves `'removed'`); a running one gets its
 * pipeline's signal fired on its worker, so its cleanup runs and its result says `cancelled`
 * (resolves `'signalled'`); a finished or unknown job is left alone (`'finished'`, `'unknown'`).
 */
export async function cancel(target: QueueTarget, jobId: string): Promise<'removed' | 'signalled' | 'finished' | 'unknown'> {
  const { backend, queue } = await reachQueue(target);
  const producer = backend.producer();
  try {
    const job = await queue.getJob(jobId);
    if (job === undefined || job === null) return 'unknown';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    if (state !== 'active') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // It became active meanwhile (a running job is locked): signal it instead.
      }
    }
    await producer.publishEvent({ eventName: CANCEL_NAME, jobId }, MAX_EVENTS);
    return 'signalled';
  } finally {
    await Promise.all([producer.close(), queue.close()]);
  }
}

/** How often a watch with nothing to yield looks whether its job is still in the queue. */
const GONE_CHECK_MS = 5_000;

/** How long a watch waits for a server that does not answer, unless told otherwise. */
const DEFAULT_SERVER_TIMEOUT_MS = 30_000;

/** Options of {@link watch}. */
export interface WatchOptions {
  /**
   * How long the server may go without answering while the watch waits for the job's next event, in
   * milliseconds (default 30 s; `Infinity` waits for it however long it is away). Then the watch
   * throws {@link QueueUnansweredError}: the job itself is not touched and may still be running on
   * its worker (docs/bullmq-api.md#live-events).
   */
  readonly serverTimeout?: number;
}

/**
 * The live events of one job, from any process: each {@link JobEvents} event the worker's pipeline
 * emits, in order, ending with `jobEnd` (then the iterator is done). Events published before the call
 * are replayed from the queue's event stream (it keeps the last 10,000 events of the queue), so a
 * finished job yields its events again — or, once they were trimmed, its stored `jobEnd` alone. Throws `JobHooksError` `ERR_QUEUE` when the job does
 * not exist or is removed before it ends, or when it failed in BullMQ without a result (its reason in the message).
 *
 * @example
 * ```ts
 * for await (const { name, event } of watch(target, id)) {
 *   if (name === 'taskOutput') console.log(event.line)
 *   if (name === 'jobEnd') console.log(event.result.status)
 * }
 * ```
 */
export async function* watch(target: QueueTarget, jobId: string, options: WatchOptions = {}): AsyncGenerator<WatchedEvent, void, undefined> {
  const serverTimeout = options.serverTimeout ?? DEFAULT_SERVER_TIMEOUT_MS;
  if (!(serverTimeout > 0)) throw new TypeError(`watch: serverTimeout must be a positive number of milliseconds (or Infinity), received ${String(serverTimeout)}`);
  const unanswered = (cause: unknown): QueueUnansweredError =>
    new QueueUnansweredError(true, cause instanceof Error ? cause : undefined, {
      what: `The queue server has not answered for ${serverTimeout / 1000} s while job ${jobId} was watched`,
      outcome: 'the job may still be running on its worker',
    });
  // A request of the watch's own start, answered within serverTimeout or given up.
  const answer = async <T>(request: Promise<T>): Promise<T> => {
    if (!Number.isFinite(serverTimeout)) return request;
    const outcome = await untilAborted(request, AbortSignal.timeout(serverTimeout));
    if (outcome.kind === 'settled') return outcome.value;
    if (outcome.kind === 'rejected') throw outcome.error;
    throw unanswered(undefined);
  };
  const { backend, queue } = await reachQueue(target, Number.isFinite(serverTimeout) ? AbortSignal.timeout(serverTimeout) : undefined);
  // From the start of the stream: events published before this call are replayed (docs/bullmq-api.md).
  const events = backend.events('0');
  const producer = backend.producer();
  const pending: Array<WatchedEvent | Error> = [];
  let wake: (() => void) | undefined;
  const push = (item: WatchedEvent | Error): void => {
    pending.push(item);
    wake?.();
  };
  let sawEnd = false;
  let replayMark: { readonly mark: string; readonly result: JobResult } | undefined;
  events.on(EVENT_NAME as 'progress', (args: unknown) => {
    const fields = args as Record<string, string>;
    if (fields['jobId'] !== jobId || sawEnd) return;
    const item = { name: fields['name'], event: JSON.parse(fields['payload'] ?? 'null') } as WatchedEvent;
    if (item.name === 'jobEnd') sawEnd = true;
    push(item);
  });
  events.on('completed', ({ jobId: id, returnvalue }) => {
    if (id !== jobId || sawEnd) return;
    sawEnd = true;
    push({ name: 'jobEnd', event: { result: parseResult(returnvalue) } });
  });
  events.on(REPLAY_MARK_NAME as 'progress', (args: unknown) => {
    const fields = args as Record<string, string>;
    if (replayMark === undefined || fields['mark'] !== replayMark.mark || sawEnd) return;
    // The stream no longer holds this job's events: its stored result alone.
    sawEnd = true;
    push({ name: 'jobEnd', event: { result: replayMark.result } });
  });
  events.on('failed', ({ jobId: id, failedReason }) => {
    if (id !== jobId || sawEnd) return;
    // The PostgreSQL backend's event carries no reason: the job has it.
    const reason = failedReason === undefined ? queue.getJob(jobId).then((job) => job?.failedReason, () => undefined) : Promise.resolve(failedReason);
    void reason.then((text) => push(new JobHooksError(ErrorCode.QUEUE, `Job ${jobId} failed in the queue: ${text ?? 'no reason given'}`)));
  });
  let gaveUp = false;
  try {
    await answer(events.waitUntilReady());
    const job: Job | undefined | null = await answer(queue.getJob(jobId));
    if (job === undefined || job === null) throw new JobHooksError(ErrorCode.QUEUE, `No job ${jobId} in queue ${target.queue}`);
    const state = await answer(job.getState());
    if (state === 'failed') {
      // Read again: the job fetched above may predate its failure.
      const reason = (await answer(queue.getJob(jobId)))?.failedReason ?? job.failedReason;
      throw new JobHooksError(ErrorCode.QUEUE, `Job ${jobId} failed in the queue: ${reason ?? 'no reason given'}`);
    }
    if (state === 'completed') {
      // Its events are replayed from the stream while it holds them; else its jobEnd alone. Every
      // event of the job went into the stream before it completed, so before this mark: the reader
      // knows they were trimmed when it reaches the mark, however slowly it reads.
      replayMark = { mark: randomUUID(), result: job.returnvalue as JobResult };
      await answer(producer.publishEvent({ eventName: REPLAY_MARK_NAME, jobId, mark: replayMark.mark }, MAX_EVENTS));
    }
    // A job removed from the queue (cancel() of a waiting one, by hand, a server restarted empty) would
    // leave this wait with nothing to end it: it is looked for while nothing comes, and gone twice in a
    // row (its end may still be on its way the first time) ends the watch.
    // The same look tells a server that has gone away (the look fails or is not answered): after
    // serverTimeout without an answer or an event, the watch gives up.
    let missing = 0;
    let answeredAt = Date.now();
    const checkMs = Math.min(GONE_CHECK_MS, serverTimeout);
    for (;;) {
      const item = pending.shift();
      if (item === undefined) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, checkMs);
        });
        clearTimeout(timer);
        wake = undefined;
        if (pending.length === 0) {
          const look = await untilAborted(queue.getJob(jobId), AbortSignal.timeout(checkMs));
          if (look.kind === 'settled') {
            answeredAt = Date.now();
            missing = look.value === undefined || look.value === null ? missing + 1 : 0;
            if (missing >= 2) throw new JobHooksError(ErrorCode.QUEUE, `Job ${jobId} is no longer in queue ${target.queue}: it was removed before it ended`);
          } else if (Date.now() - answeredAt >= serverTimeout) {
            throw unanswered(look.kind === 'rejected' ? look.error : undefined);
          }
        }
        continue;
      }
      answeredAt = Date.now();
      if (item instanceof Error) throw item;
      yield item;
      if (item.name === 'jobEnd') return;
    }
  } catch (error) {
    if (error instanceof QueueUnansweredError) gaveUp = true;
    throw error;
  } finally {
    // Closing waits for a server that answers; one that does not is left behind.
    if (gaveUp) {
      void closeEvents(events).catch(() => {});
      closeInBackground(queue);
      producer.on('error', () => {});
      void producer.close().catch(() => {});
    } else await Promise.all([closeEvents(events), queue.close(), producer.close()]);
  }
}

/** Closes a `QueueEvents` without its listeners; an error while closing is expected and not said. @internal */
export async function closeEvents(events: QueueEvents): Promise<void> {
  events.removeAllListeners();
  // Closing may end its connection with an error (PostgreSQL: "Connection terminated"): expected, not said.
  events.on('error', () => {});
  await events.close();
}

function parseResult(value: unknown): JobResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as JobResult;
}

/**
 * Runs a definition on a cron schedule through BullMQ's job schedulers: each time `cron` fires, a
 * job is enqueued (validated here, once). Calling it again with the same `id` replaces the schedule.
 *
 * @example
 * ```ts
 * await schedule(target, 'nas-nightly', '15 2 * * *', definition)
 * ```
 */
export async function schedule(
  target: QueueTarget,
  id: string,
  cron: string,
  definition: unknown,
  options: { readonly env?: Readonly<Record<string, string | undefined>> | undefined; readonly signal?: AbortSignal | undefined } = {},
): Promise<void> {
  validateDefinition(definition, options.env);
  // BullMQ's parser takes four fields too, and fires such a schedule every minute.
  const fields = cron.trim().split(/\s+/).filter((field) => field !== '').length;
  if (fields !== 5 && fields !== 6) throw new Error(`a cron expression has 5 fields (6 with seconds first), ${JSON.stringify(cron)} has ${fields}`);
  const data: QueuedJobData = { definition };
  await onReachedQueue(target, options.signal, (queue) => queue.upsertJobScheduler(id, { pattern: cron }, { name: JOB_NAME, data }));
}

/**
 * Removes a schedule made by {@link schedule}; resolves `false` when there was none. Jobs it already
 * enqueued stay. `signal`: as {@link EnqueueOptions.signal}.
 */
export async function unschedule(target: QueueTarget, id: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<boolean> {
  return onReachedQueue(target, options.signal, (queue) => queue.removeJobScheduler(id));
}
