import type { OutputStream } from './executor/types.js';
import type { JobResult, TaskProgress, TaskResult } from './types.js';

/**
 * The events a {@link JobPipeline} emits, each with one payload object. `taskStart` fires only for
 * tasks that run; `taskEnd` fires once for every task, skipped ones included.
 *
 * @example
 * ```ts
 * pipeline.on('taskEnd', ({ task }) => console.log(task.name, task.status))
 * ```
 */
export interface JobEvents {
  jobStart: [event: { readonly jobId: string; readonly tasks: readonly TaskResult[] }];
  taskStart: [event: { readonly jobId: string; readonly task: TaskResult }];
  taskOutput: [event: { readonly jobId: string; readonly taskIndex: number; readonly stream: OutputStream; readonly line: string }];
  taskProgress: [event: { readonly jobId: string; readonly taskIndex: number } & TaskProgress];
  /**
   * A task's attempt failed and it will be tried again after `delayMs` (docs/hooks.md#retries): `attempt` is
   * the attempt about to start (2 for the first retry), `error` why the one before failed (redacted).
   */
  taskRetry: [event: { readonly jobId: string; readonly taskIndex: number; readonly attempt: number; readonly delayMs: number; readonly error: string }];
  taskEnd: [event: { readonly jobId: string; readonly task: TaskResult }];
  notificationSent: [event: { readonly jobId: string; readonly notifier: string }];
  /**
   * `error` is the whole sentence (`Notifier 'ntfy' failed: connection refused`); `reason` the part after
   * the name; `stage` which call failed: `start` (a `jobStarted`, such as Healthchecks' `/start`) or
   * `end` (the message, in the notification task).
   */
  notificationFailed: [event: { readonly jobId: string; readonly notifier: string; readonly error: string; readonly reason: string; readonly stage: 'start' | 'end' }];
  jobEnd: [event: { readonly result: JobResult }];
  /** With a journal: a dead run of the key was recovered before this run's first task (docs/journal.md); `result.status` is `interrupted`. */
  jobRecovered: [event: { readonly result: JobResult }];
  /** With a journal: a journal write failed in the middle of the run; the run goes on (once per run). */
  journalWarning: [event: { readonly jobId: string; readonly message: string }];
  /** A listener of another event threw; the job went on unchanged. */
  listenerError: [event: { readonly event: Exclude<keyof JobEvents, 'listenerError'>; readonly error: unknown }];
}

/** The name of one of the {@link JobEvents}. */
export type JobEventName = keyof JobEvents;

/**
 * Every event name, in the order a job first emits them: a recovery before the job itself; a journal
 * warning and a listener's error whenever they happen. A type test keeps it complete.
 */
export const JOB_EVENT_NAMES = [
  'jobRecovered',
  'jobStart',
  'taskStart',
  'taskOutput',
  'taskProgress',
  'taskRetry',
  'taskEnd',
  'notificationSent',
  'notificationFailed',
  'journalWarning',
  'jobEnd',
  'listenerError',
] as const satisfies readonly JobEventName[];

/** Anything that emits the {@link JobEvents}: a `JobPipeline`, or a test's stand-in. */
export interface EventSource {
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): unknown;
  off<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): unknown;
}

/** Listeners by event name. */
export type Listeners = { readonly [E in keyof JobEvents]?: (...args: JobEvents[E]) => void };

/** Adds the listeners; returns the function that removes them again. */
export function subscribe(source: EventSource, listeners: Listeners): () => void {
  const entries = Object.entries(listeners) as [keyof JobEvents, (...args: never[]) => void][];
  for (const [event, listener] of entries) source.on(event, listener as never);
  return () => {
    for (const [event, listener] of entries) source.off(event, listener as never);
  };
}
