import type { ExecRequest, ExecResult, OutputStream } from './executor/types.js';
import type { Duration } from './duration.js';

/** Any value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The status of one task. Moves: `pending → running | skipped`, `running → completed | failed`. */
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/**
 * How a job ended: the statuses a {@link JobResult} can have. A job still running has no status of
 * its own; its tasks' statuses say how far it got. `interrupted`: a run whose jobhooks died, as its
 * recovery reports it (docs/journal.md); a run never ends so by itself. `skipped`: a pre-hook exited with the
job's `skipExitCode` and nothing failed (docs/hooks.md#skip-the-job).
 */
export type JobStatus = 'completed' | 'completed_with_warnings' | 'failed' | 'cancelled' | 'interrupted' | 'skipped';

/** Where a task sits in the job. */
export type TaskPhase = 'pre' | 'main' | 'post' | 'notification';

/** Why a job failed or stopped early. */
export type FailureReason = 'critical_hook_failure' | 'critical_task_failure' | 'critical_task_exception' | 'cancelled' | 'interrupted';

/**
 * Why a task failed, as a code to branch on (docs/execution-flow.md#why-a-task-failed):
 * `exit` a non-zero exit code, `signal` killed by a signal, `timeout` ran past its timeout,
 * `cancelled` the job was cancelled, `spawn` the command could not start, `exception` a task threw
 * (or returned something invalid), `notifier` a notifier failed to deliver the message, `rehearsal`
 * the failure was injected by a rehearsal (docs/testing.md#rehearse-your-failure-path).
 */
export type TaskFailureCode = 'exit' | 'signal' | 'timeout' | 'cancelled' | 'spawn' | 'exception' | 'notifier' | 'rehearsal';

/** Why a task failed: a stable code and the same words as {@link TaskResult.error}. */
export interface TaskFailure {
  readonly code: TaskFailureCode;
  /** Equal to the task's `error` (secrets redacted). */
  readonly message: string;
}

/** How delivery to one notifier went, in the notification task's `data.notifiers`. */
export interface NotifierDelivery {
  readonly name: string;
  /** `not_sent`: the notifier is not set for the message's level (its `on`). */
  readonly status: 'sent' | 'failed' | 'not_sent';
  /** HTTP attempts made, when the notifier reports them (built-in HTTP notifiers); else 1 (0 when not sent). */
  readonly attempts: number;
  /** Why delivery failed, without the notifier's name (`connection refused`, `timed out after 30s`; redacted), or `null`. */
  readonly error: string | null;
}

/** The outcome of one task, as plain JSON. Fields that do not apply are `null`, never missing. */
export interface TaskResult {
  /** 0-based position in the job. */
  readonly index: number;
  /** `hook`, `backup`, `prune`, `compact`, `check`, `command`, `notification`, or a plugin's own type. */
  readonly type: string;
  readonly name: string;
  readonly phase: TaskPhase;
  readonly status: TaskStatus;
  readonly critical: boolean;
  /** Post-hooks only: this hook runs even after a critical failure or a cancellation. */
  readonly runOnJobFailure: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Completed, but with warnings (borg exit code 1). */
  readonly warning: boolean;
  /** Why the task failed, in words (secrets redacted), or `null`. */
  readonly error: string | null;
  /** Why the task failed, as a code to branch on, or `null` when it did not fail. */
  readonly failure: TaskFailure | null;
  /** Why the task was skipped (one of the exact strings of docs/execution-flow.md#skip-reasons), or `null`. */
  readonly skipReason: string | null;
  /** The tail of the task's output, lines joined with `\n`. */
  readonly output: string;
  /** `true` when older output was dropped to keep the tail within its byte bound. */
  readonly outputTruncated: boolean;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  /** What the task returned as data (e.g. borg archive stats), or `null`. */
  readonly data: JsonValue | null;
  /**
   * How many times the task's command (or `run()`) was started: 1 without retries, up to `retries + 1`
   * with them, 0 for a task that never ran (skipped or pending) (docs/hooks.md#retries).
   */
  readonly attempts: number;
}

/** Which task ended the job early, and why. */
export interface JobFailure {
  /** The task that failed the job; `null` when the job was cancelled between tasks. */
  readonly taskIndex: number | null;
  readonly taskName: string | null;
  readonly type: string | null;
  readonly reason: FailureReason;
  readonly error: string | null;
  /**
   * Only for a cancellation between tasks (`taskIndex` `null`): the first task it reached, from which
   * on every task was skipped or ran as cleanup (`0` for a signal that had fired before `run()`).
   */
  readonly cancelledBefore?: number;
}

/** The repository a job works on; shown in notifications and given to hooks. */
export interface Repository {
  readonly id?: string | number | undefined;
  readonly name?: string | undefined;
}

/** The outcome of a whole job, as plain JSON: `JSON.parse(JSON.stringify(result))` deep-equals it. */
export interface JobResult {
  readonly jobId: string;
  readonly jobType: string;
  /** Present only when the pipeline was given a repository. */
  readonly repository?: Repository;
  /** The word used for the job in notifications (`Backup`). */
  readonly jobLabel: string;
  readonly status: JobStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly tasks: readonly TaskResult[];
  /** The first critical failure or the cancellation, or `null`. */
  readonly failure: JobFailure | null;
  /** The message sent to the notifiers, or `null` when there are none. */
  readonly notification: NotificationMessage | null;
  /**
   * With a journal: `incomplete` is `true` when a journal write failed during the run (the run went on
   * without it, docs/journal.md). `null` without a journal; always present in what `run()` and `recover()` resolve with.
   */
  readonly journal?: { readonly incomplete: boolean } | null;
  /**
   * The failure this run rehearsed (`run({ rehearse })`, docs/testing.md#rehearse-your-failure-path), or
   * `null` for a real run. Always present in what `run()` resolves with.
   */
  readonly rehearsal?: RehearsalResult | null;
}

/** How a rehearsed task ends instead of running: failed, timed out, or cancelled as it would start. */
export type RehearsalOutcome = 'fail' | 'timeout' | 'cancel';

/** What a rehearsal injected, in {@link JobResult.rehearsal}. */
export interface RehearsalResult {
  /** The rehearsed task's name. */
  readonly task: string;
  /** Its 0-based index in the job. */
  readonly index: number;
  readonly outcome: RehearsalOutcome;
}

/** How serious a notification is: `error` covers both failed and cancelled jobs; `info` a skipped job. */
export type NotificationLevel = 'info' | 'success' | 'warning' | 'error';

/** The one message a job sends to all its notifiers. */
export interface NotificationMessage {
  readonly title: string;
  readonly body: string;
  readonly level: NotificationLevel;
  readonly jobId: string;
  /** The job's final status as the message reports it. */
  readonly status: JobStatus;
  /**
   * Why, task by task: one entry per task that failed or completed with a warning, in job order
   * (empty when the job succeeded). Built-in notifiers show them after the body (docs/notifications.md).
   */
  readonly details: readonly NotificationDetail[];
}

/** One task that failed or completed with a warning, as a notification shows it. */
export interface NotificationDetail {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly phase: TaskPhase;
  readonly status: TaskStatus;
  readonly warning: boolean;
  readonly exitCode: number | null;
  /** Why the task failed, in words (secrets redacted), or `null`. */
  readonly error: string | null;
  /** The last lines of the task's output (at most 10), joined with `\n`; redacted. */
  readonly output: string;
  /** How many attempts were made (1 without retries; docs/hooks.md#retries). */
  readonly attempts: number;
}

/** What a notifier gets besides the message. */
export interface NotifierContext {
  /** The job as it stands while the notification is delivered (every other task is final). */
  readonly result: JobResult;
  /** Fires when this notifier's timeout is reached: stop sending then. */
  readonly signal: AbortSignal;
}

/**
 * Delivers a job's {@link NotificationMessage} somewhere. A notifier that throws, rejects or times
 * out fails the notification task only; it never changes other tasks.
 *
 * @example
 * ```ts
 * const slack: Notifier = {
 *   name: 'slack',
 *   async notify(message, { signal }) {
 *     await fetch(url, { method: 'POST', body: JSON.stringify({ text: message.title }), signal })
 *   },
 * }
 * ```
 */
export interface Notifier {
  /** Shown in errors and events (`notificationFailed { notifier }`). */
  readonly name: string;
  /** Sends the message; reject to report failure. */
  notify(message: NotificationMessage, context: NotifierContext): Promise<void>;
  /**
   * How long `notify` may take: seconds or a duration string.
   * @default 30
   */
  readonly timeout?: Duration | undefined;
  /** Values to redact from everything this notifier's errors produce (tokens). */
  readonly secrets?: readonly string[] | undefined;
  /**
   * The levels this notifier is called for; others are passed over without an event.
   * @default ['success', 'warning', 'error']
   */
  readonly on?: readonly NotificationLevel[] | undefined;
  /**
   * Called once when the job starts (Healthchecks' `/start` ping). Best effort: bounded by
   * `timeout`, never delays the first task, and a failure only emits `notificationFailed`.
   */
  jobStarted?(context: NotifierStartContext): Promise<void>;
}

/** What a notifier's `jobStarted` gets. */
export interface NotifierStartContext {
  readonly jobId: string;
  readonly jobType: string;
  readonly repository?: Repository;
  /** Fires when this notifier's timeout is reached. */
  readonly signal: AbortSignal;
}

/** Progress reported by a running task (`taskProgress` event). Plugins add their own fields. */
export interface TaskProgress {
  /** 0–100, when known. */
  readonly percent?: number;
  /** A short human-readable status. */
  readonly message?: string;
  readonly [key: string]: JsonValue | undefined;
}

/** Options of {@link TaskContext.exec}: anything left out comes from the task and the pipeline. */
export interface TaskExecOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly shell?: string;
  /** Seconds or a duration string; at most what is left of the task's own timeout. */
  readonly timeout?: Duration;
  /** Seconds or a duration string. */
  readonly killGrace?: Duration;
  readonly maxOutputBytes?: number;
  /**
   * Receives each output line instead of the task's output; call `ctx.output()` to keep a line.
   * Plugins use this to parse a tool's machine-readable output.
   */
  readonly onOutput?: (line: string, stream: OutputStream) => void;
}

/** What a task's `run()` receives. */
export interface TaskContext {
  /** Fires when the job is cancelled or the task times out. */
  readonly signal: AbortSignal;
  /** The task's environment: parent env, job env, context variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly jobId: string;
  readonly taskIndex: number;
  /** Adds a line to the task's output (redacted, kept in the bounded tail, emitted as `taskOutput`). */
  output(line: string, stream?: OutputStream): void;
  /** Emits a `taskProgress` event. */
  progress(info: TaskProgress): void;
  /**
   * Runs a command through the pipeline's executor, with the job's env, signal, output wiring,
   * timeout and kill grace already applied.
   */
  exec(command: string | readonly string[], options?: TaskExecOptions): Promise<ExecResult>;
}

/** What a task's `run()` resolves to. */
export interface TaskRunResult {
  readonly status: 'completed' | 'failed';
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
  readonly cancelled?: boolean;
  readonly error?: string | null;
  /** Completed with warnings: the job ends `completed_with_warnings`. */
  readonly warning?: boolean;
  /**
   * Why it failed, when the task knows better than its flags say (`commandTask` reports `spawn`).
   * Without it: `timeout`, `cancelled`, `signal`, `exit` from the flags, else `exception`.
   */
  readonly failureCode?: TaskFailureCode;
  /** Any JSON value, kept in `TaskResult.data`. */
  readonly data?: JsonValue;
  /**
   * `false`: this failure is not worth another attempt even when the task has `retries` (borg fails
   * this way unless its lock timed out or its connection dropped: docs/borg.md).
   * @default true
   */
  readonly retryable?: boolean;
}

/**
 * A main task: a backup, a prune, any work of your own. `run()` may throw: that is a task
 * *exception* (`Task skipped due to critical task exception` for what follows, when critical).
 *
 * @example
 * ```ts
 * const vacuum: Task = {
 *   type: 'vacuum', name: 'Vacuum database', critical: false,
 *   async run(ctx) {
 *     const r = await ctx.exec(['psql', '-c', 'VACUUM'])
 *     return { status: r.exitCode === 0 ? 'completed' : 'failed', exitCode: r.exitCode }
 *   },
 * }
 * ```
 */
export interface Task {
  readonly type: string;
  readonly name: string;
  /**
   * Its failure fails the job and skips what follows (post-hooks with `runOnJobFailure` still run).
   * @default true
   */
  readonly critical?: boolean | undefined;
  /** Seconds or a duration string; defaults to the pipeline's `defaults.timeout`. */
  readonly timeout?: Duration | undefined;
  /** Values to redact from output, events, errors and results (a passphrase). */
  readonly secrets?: readonly string[] | undefined;
  /**
   * Extra attempts after a failed one (not after a cancellation); `run()` is called again (docs/hooks.md#retries).
   * @default 0
   */
  readonly retries?: number | undefined;
  /**
   * The wait before the second attempt (seconds, a duration string, or 0); it doubles each time, ±20 %.
   * @default '10s'
   */
  readonly retryDelay?: Duration | undefined;
  /**
   * The longest wait between attempts.
   * @default '5m'
   */
  readonly retryDelayMax?: Duration | undefined;
  /** Exit codes that end the task `completed` with `warning: true` instead of failed (docs/hooks.md#warning-exit-codes). */
  readonly warningExitCodes?: readonly number[] | undefined;
  /**
   * What `run()` runs, for `jobhooks plan` and `pipeline.plan()` to show (redacted there): a command
   * task's command. Never run, never parsed.
   */
  readonly command?: string | undefined;
  run(context: TaskContext): Promise<TaskRunResult>;
}

export type { ExecRequest, ExecResult, OutputStream };
