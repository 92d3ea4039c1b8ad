import { randomUUID } from 'node:crypto';
import type { ResolvedHook, ResolvedPipelineOptions } from '../config.js';
import { durationToMs, formatSeconds } from '../duration.js';
import { buildTaskEnv, CODE_KEYS, createRedactor, parentEnvironment, redactJson, type Redactor } from '../env.js';
import type { JobEvents } from '../events.js';
import { onAbort, startTimer } from '../executor/timers.js';
import type { ExecRequest, ExecResult, Executor, OutputStream } from '../executor/types.js';
import { buildNotification } from '../notify/message.js';
import { OutputTail } from '../output-tail.js';
import { transition, type MutableTaskResult } from '../status.js';
import type {
  JobFailure,
  JobResult,
  JobStatus,
  JsonValue,
  NotificationMessage,
  Notifier,
  Task,
  TaskContext,
  TaskExecOptions,
  TaskPhase,
  TaskProgress,
  TaskResult,
  TaskRunResult,
} from '../types.js';
import { runBounded, type BoundedOutcome } from './bounded.js';
import { execSucceeded } from './command-task.js';
import { decide, jobStatusOf, jobStatusSoFar } from './rules.js';

/** Emits one of the pipeline's events; never throws (listeners are guarded by the pipeline). */
export type Emit = <E extends keyof JobEvents>(event: E, ...args: JobEvents[E]) => void;

/** Whether anyone listens to an event: lets the per-line path skip building payloads nobody reads. */
export type Listening = (event: keyof JobEvents) => boolean;

type TaskSource =
  | { readonly kind: 'hook'; readonly hook: ResolvedHook }
  | { readonly kind: 'task'; readonly task: Task; readonly timeoutMs: number }
  | { readonly kind: 'notification' };

interface TaskRecord {
  readonly result: MutableTaskResult;
  readonly source: TaskSource;
  readonly tail: OutputTail;
}

/** How a task ended, before it is written into its record. */
interface Outcome {
  readonly status: 'completed' | 'failed';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly warning: boolean;
  readonly error: string | null;
  readonly data: JsonValue | null;
  /** `run()` threw or rejected: an exception, not a reported failure. */
  readonly exception: boolean;
}

const NOTIFICATION_NAME = 'Notification';

/**
 * One run of a pipeline: the task records, the rules of SPEC §1.2 applied in order, and the result.
 * A new `JobRun` is made for every `run()`, so nothing is shared between runs.
 */
export class JobRun {
  readonly #options: ResolvedPipelineOptions;
  readonly #emit: Emit;
  readonly #listening: Listening;
  readonly #executor: Executor;
  readonly #jobId: string;
  readonly #redact: Redactor;
  readonly #records: TaskRecord[];
  readonly #externalSignal: AbortSignal | undefined;
  /** Aborted when the run's signal fires; the signal of every task that runs while the job is healthy. */
  readonly #jobAbort = new AbortController();
  #failure: JobFailure | null = null;
  #cancelled = false;
  #notifying = false;
  /** Some task so far failed or completed with a warning (kept as it happens: cheaper than a scan per task). */
  #anyFailedOrWarned = false;
  readonly #haltedPhases = new Set<TaskPhase>();
  #notification: NotificationMessage | null = null;
  #startedAt = new Date();
  #startedMono = 0;
  /** What children inherit, copied from `process.env` once when the run starts. */
  #parentEnv: Readonly<Record<string, string>> = {};

  constructor(options: ResolvedPipelineOptions, emit: Emit, listening: Listening, executor: Executor, signal: AbortSignal | undefined) {
    this.#options = options;
    this.#emit = emit;
    this.#listening = listening;
    this.#executor = executor;
    this.#externalSignal = signal;
    this.#jobId = options.jobId ?? randomUUID();
    this.#redact = createRedactor([
      ...options.secrets,
      ...options.tasks.flatMap((task) => task.secrets ?? []),
      ...options.notifiers.flatMap((notifier) => notifier.secrets ?? []),
    ]);
    this.#records = this.#buildRecords();
  }

  /** Runs every task in order and resolves with the result; never rejects because a task failed. */
  async execute(): Promise<JobResult> {
    this.#startedAt = new Date();
    this.#startedMono = performance.now();
    this.#parentEnv = parentEnvironment(this.#options.inheritEnv, this.#options.envPrefix);
    const cancel = (): void => {
      // Once the notification is being delivered the job's outcome is settled; it runs on its own signal.
      if (!this.#notifying) this.#cancelled = true;
      this.#jobAbort.abort(this.#externalSignal?.reason);
    };
    // onAbort, not addEventListener: callers share one signal between many runs, and each run adding
    // its own listener would trip Node's MaxListenersExceededWarning at 11 (docs/execution-flow.md#cancellation).
    let unsubscribe: (() => void) | undefined;
    if (this.#externalSignal?.aborted === true) cancel();
    else if (this.#externalSignal !== undefined) unsubscribe = onAbort(this.#externalSignal, cancel);

    try {
      this.#emit('jobStart', { jobId: this.#jobId, tasks: this.#taskSnapshots() });
      const starts = this.#announceStart();
      for (const record of this.#records) {
        // Job-start calls end before the notification: no notifier sends a run's end before its start,
        // and a failed start is reported before the notification (docs/notifications.md).
        if (record.source.kind === 'notification') await starts;
        await this.#step(record);
      }
      await starts;
      const result = this.#result(jobStatusOf(this.#taskSnapshots(), this.#failure, this.#cancelled), true);
      this.#emit('jobEnd', { result });
      return result;
    } finally {
      unsubscribe?.();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Building

  #buildRecords(): TaskRecord[] {
    const o = this.#options;
    const sources: Array<{ phase: TaskPhase; type: string; name: string; critical: boolean; runOnJobFailure: boolean; source: TaskSource }> = [
      ...o.preHooks.map((hook) => ({ phase: 'pre' as const, type: 'hook', name: hook.name, critical: hook.critical, runOnJobFailure: false, source: { kind: 'hook' as const, hook } })),
      ...o.tasks.map((task) => ({
        phase: 'main' as const,
        type: task.type,
        name: task.name,
        critical: task.critical ?? true,
        runOnJobFailure: false,
        source: { kind: 'task' as const, task, timeoutMs: durationToMs(task.timeout) ?? o.defaults.timeoutMs },
      })),
      ...o.postHooks.map((hook) => ({ phase: 'post' as const, type: 'hook', name: hook.name, critical: hook.critical, runOnJobFailure: hook.runOnJobFailure, source: { kind: 'hook' as const, hook } })),
    ];
    if (o.notifiers.length > 0) {
      sources.push({ phase: 'notification', type: 'notification', name: NOTIFICATION_NAME, critical: false, runOnJobFailure: false, source: { kind: 'notification' } });
    }
    return sources.map((entry, index) => ({
      source: entry.source,
      tail: new OutputTail(o.defaults.maxOutputBytes),
      result: {
        index,
        type: entry.type,
        name: entry.name,
        phase: entry.phase,
        status: 'pending',
        critical: entry.critical,
        runOnJobFailure: entry.runOnJobFailure,
        exitCode: null,
        signal: null,
        timedOut: false,
        cancelled: false,
        warning: false,
        error: null,
        skipReason: null,
        output: '',
        outputTruncated: false,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        data: null,
      },
    }));
  }

  // -------------------------------------------------------------------------------------------
  // The loop

  async #step(record: TaskRecord): Promise<void> {
    if (record.source.kind === 'notification') this.#notifying = true;
    if (this.#cancelled && this.#failure === null) {
      this.#failure = { taskIndex: null, taskName: null, type: null, reason: 'cancelled', error: 'Job cancelled' };
    }
    const decision = decide(record.result, { failure: this.#failure, cancelled: this.#cancelled, haltedPhases: this.#haltedPhases });
    if (!decision.run) {
      this.#move(record, 'skipped', { skipReason: decision.skipReason });
      return;
    }
    // Cleanup hooks that run after a failure or cancellation, and the notification, get a live
    // signal of their own (bounded by their timeouts): cleanup must happen even after Ctrl-C.
    const jobHealthy = this.#failure === null && !this.#cancelled;
    const signal = jobHealthy && record.source.kind !== 'notification' ? this.#jobAbort.signal : new AbortController().signal;

    this.#move(record, 'running');
    let outcome: Outcome;
    switch (record.source.kind) {
      case 'hook':
        outcome = await this.#runHook(record, record.source.hook, signal);
        break;
      case 'task':
        outcome = await this.#runTask(record, record.source.task, record.source.timeoutMs, signal);
        break;
      case 'notification':
        outcome = await this.#runNotification(record);
        break;
    }
    this.#move(record, outcome.status, {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      cancelled: outcome.cancelled,
      warning: outcome.status === 'completed' && outcome.warning,
      error: outcome.error === null ? null : this.#redact(outcome.error),
      data: outcome.data === null ? null : redactJson(outcome.data, this.#redact),
      output: record.tail.text,
      outputTruncated: record.tail.truncated,
    });
    this.#afterTask(record, outcome);
  }

  #afterTask(record: TaskRecord, outcome: Outcome): void {
    if (outcome.status === 'failed' || outcome.warning) this.#anyFailedOrWarned = true;
    if (outcome.status !== 'failed') return;
    const { result, source } = record;
    const failure = (reason: JobFailure['reason']): JobFailure => ({
      taskIndex: result.index,
      taskName: result.name,
      type: result.type,
      reason,
      error: result.error,
    });
    if (outcome.cancelled && this.#cancelled) {
      this.#failure ??= failure('cancelled');
    } else if (result.critical) {
      const reason = source.kind === 'hook' ? 'critical_hook_failure' : outcome.exception ? 'critical_task_exception' : 'critical_task_failure';
      this.#failure ??= failure(reason);
    } else if (source.kind === 'hook' && !source.hook.continueOnFailure) {
      this.#haltedPhases.add(result.phase);
    }
  }

  #move(record: TaskRecord, to: TaskResult['status'], fields: Parameters<typeof transition>[3] = {}): void {
    transition(record.result, to, (event, task) => this.#emit(event, { jobId: this.#jobId, task }), fields);
  }

  // -------------------------------------------------------------------------------------------
  // Hooks, tasks, commands

  #envFor(record: TaskRecord, extra: Readonly<Record<string, string>>, hook?: ResolvedHook): Record<string, string> {
    const o = this.#options;
    const failure = this.#failure;
    return buildTaskEnv({
      prefix: o.envPrefix,
      parentEnv: this.#parentEnv,
      jobEnv: o.env,
      taskEnv: extra,
      context: o.context,
      repository: o.repository,
      taskIndex: record.result.index,
      jobType: o.jobType,
      jobId: this.#jobId,
      hook: hook === undefined ? undefined : { name: hook.name, phase: record.result.phase === 'pre' ? 'pre' : 'post' },
      jobStatus: jobStatusSoFar(failure, this.#cancelled, this.#anyFailedOrWarned),
      failedTask: failure?.taskName == null ? undefined : { name: failure.taskName, error: failure.error },
    });
  }

  #output(record: TaskRecord, line: string, stream: OutputStream): void {
    const redacted = this.#redact(line);
    record.tail.push(redacted);
    if (this.#listening('taskOutput')) {
      this.#emit('taskOutput', { jobId: this.#jobId, taskIndex: record.result.index, stream, line: redacted });
    }
  }

  async #runHook(record: TaskRecord, hook: ResolvedHook, signal: AbortSignal): Promise<Outcome> {
    const o = this.#options;
    const request: Omit<ExecRequest, 'signal'> = {
      command: hook.command,
      shell: hook.shell,
      cwd: hook.cwd,
      env: this.#envFor(record, hook.env, hook),
      timeoutMs: hook.timeoutMs,
      killGraceMs: o.defaults.killGraceMs,
      maxOutputBytes: o.defaults.maxOutputBytes,
      keepBackground: hook.keepBackground,
      onOutput: (line, stream) => this.#output(record, line, stream),
      taskName: hook.name,
      taskIndex: record.result.index,
      jobId: this.#jobId,
    };
    const bounded = await runBounded((taskSignal) => this.#executor.execute({ ...request, signal: taskSignal }), {
      parentSignal: signal,
      timeoutMs: hook.timeoutMs,
      killGraceMs: o.defaults.killGraceMs,
      executorEnforcesTimeout: true,
    });
    return execOutcome(bounded, 'Hook', hook.name, hook.timeoutMs);
  }

  async #runTask(record: TaskRecord, task: Task, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
    const o = this.#options;
    const env = this.#envFor(record, {});
    const deadline = performance.now() + timeoutMs;
    const taskIndex = record.result.index;
    const bounded = await runBounded(
      (taskSignal) => {
        const context: TaskContext = {
          signal: taskSignal,
          env,
          jobId: this.#jobId,
          taskIndex,
          output: (line, stream = 'stdout') => this.#output(record, line, stream),
          progress: (info) => this.#progress(taskIndex, info),
          exec: (command, options = {}) => this.#exec(record, task, command, options, env, taskSignal, deadline),
        };
        return task.run(context);
      },
      { parentSignal: signal, timeoutMs, killGraceMs: o.defaults.killGraceMs, executorEnforcesTimeout: false },
    );
    return taskOutcome(bounded, task.name, timeoutMs);
  }

  #exec(
    record: TaskRecord,
    task: Task,
    command: string | readonly string[],
    options: TaskExecOptions,
    env: Readonly<Record<string, string>>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<ExecResult> {
    const d = this.#options.defaults;
    const remaining = Math.max(1, Math.round(deadline - performance.now()));
    const requested = durationToMs(options.timeout);
    return this.#executor.execute({
      command,
      shell: options.shell ?? d.shell,
      cwd: options.cwd ?? d.cwd,
      // Extra env sits under the context variables (SPEC §3): it cannot fake JOBHOOKS_JOB_STATUS.
      env: options.env === undefined ? env : this.#envFor(record, options.env),
      timeoutMs: requested === undefined ? remaining : Math.min(requested, remaining),
      killGraceMs: durationToMs(options.killGrace) ?? d.killGraceMs,
      maxOutputBytes: options.maxOutputBytes ?? d.maxOutputBytes,
      signal,
      onOutput: options.onOutput ?? ((line, stream) => this.#output(record, line, stream)),
      taskName: task.name,
      taskIndex: record.result.index,
      jobId: this.#jobId,
    });
  }

  #progress(taskIndex: number, info: TaskProgress): void {
    // Text is redacted, codes (`kind`, `operation`, `msgid`) are not: see CODE_KEYS.
    const redacted: Record<string, JsonValue | undefined> = {};
    for (const [key, value] of Object.entries(info)) redacted[key] = typeof value === 'string' && !CODE_KEYS.has(key) ? this.#redact(value) : value;
    this.#emit('taskProgress', { ...redacted, jobId: this.#jobId, taskIndex });
  }

  // -------------------------------------------------------------------------------------------
  // Notification

  /** Calls every notifier's `jobStarted` without delaying the first task; failures become events. */
  async #announceStart(): Promise<void> {
    const o = this.#options;
    await Promise.all(
      o.notifiers.map(async (notifier) => {
        if (notifier.jobStarted === undefined) return;
        const error = await this.#callNotifier(notifier, (signal) =>
          notifier.jobStarted?.({
            jobId: this.#jobId,
            jobType: o.jobType,
            ...(o.repository === undefined ? {} : { repository: o.repository }),
            signal,
          }),
        );
        if (error !== null) this.#emit('notificationFailed', { jobId: this.#jobId, notifier: notifier.name, error });
      }),
    );
  }

  async #runNotification(record: TaskRecord): Promise<Outcome> {
    // The status the job ends with if delivery succeeds: what the message reports.
    const snapshot = this.#result(jobStatusOf(this.#taskSnapshots(), this.#failure, this.#cancelled), false);
    const built = buildNotification(snapshot);
    const message: NotificationMessage = { ...built, title: this.#redact(built.title), body: this.#redact(built.body) };
    this.#notification = message;
    const context = { ...snapshot, notification: message };
    const errors = await Promise.all(
      this.#options.notifiers.map(async (notifier): Promise<string | null> => {
        if (notifier.on !== undefined && !notifier.on.includes(message.level)) {
          this.#output(record, `${notifier.name}: not sent (it is not set for ${message.level} messages)`, 'stdout');
          return null;
        }
        const error = await this.#callNotifier(notifier, (signal) => notifier.notify(message, { result: context, signal }));
        if (error === null) {
          this.#output(record, `${notifier.name}: sent`, 'stdout');
          this.#emit('notificationSent', { jobId: this.#jobId, notifier: notifier.name });
        } else {
          this.#output(record, error, 'stderr');
          this.#emit('notificationFailed', { jobId: this.#jobId, notifier: notifier.name, error });
        }
        return error;
      }),
    );
    const failed = errors.filter((error): error is string => error !== null);
    return {
      status: failed.length === 0 ? 'completed' : 'failed',
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      warning: false,
      error: failed.length === 0 ? null : failed.join('; '),
      data: null,
      exception: false,
    };
  }

  /**
   * Calls a notifier under its own timeout; resolves with the redacted error text, or `null`.
   * The timeout is a {@link startTimer} (any length, docs/execution-flow.md#timeouts-of-any-length) that aborts the notifier's
   * signal and stops waiting: p-timeout's plain `setTimeout` fired at once past 24.8 days.
   */
  async #callNotifier(notifier: Notifier, call: (signal: AbortSignal) => Promise<void> | undefined): Promise<string | null> {
    const timeoutMs = durationToMs(notifier.timeout) ?? 30_000;
    const controller = new AbortController();
    let cancelTimer = (): void => {};
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancelTimer = startTimer(timeoutMs, () => resolve('timeout'));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => call(controller.signal)), timedOut]);
      if (outcome !== 'timeout') return null;
      controller.abort(new Error(`timed out after ${formatSeconds(timeoutMs)}`));
      return this.#redact(`Notifier '${notifier.name}' timed out after ${formatSeconds(timeoutMs)}`);
    } catch (error) {
      return this.#redact(`Notifier '${notifier.name}' failed: ${errorText(error)}`);
    } finally {
      cancelTimer();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Results

  #taskSnapshots(): TaskResult[] {
    return this.#records.map((record) => ({ ...record.result }));
  }

  #result(status: JobStatus, final: boolean): JobResult {
    const finishedAt = final ? new Date() : null;
    return {
      jobId: this.#jobId,
      jobType: this.#options.jobType,
      ...(this.#options.repository === undefined ? {} : { repository: { ...this.#options.repository } }),
      jobLabel: this.#options.jobLabel,
      status,
      startedAt: this.#startedAt.toISOString(),
      finishedAt: finishedAt?.toISOString() ?? null,
      durationMs: final ? Math.round(performance.now() - this.#startedMono) : null,
      tasks: this.#taskSnapshots(),
      failure: this.#failure === null ? null : { ...this.#failure },
      notification: this.#notification,
    };
  }
}

// ---------------------------------------------------------------------------------------------

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}

/** The error text of a failed command (SPEC §4 and §6). */
function describeFailure(
  label: 'Hook' | 'Task',
  name: string,
  timeoutMs: number,
  exec: Pick<ExecResult, 'timedOut' | 'cancelled' | 'exitCode' | 'signal' | 'error'>,
): string {
  if (exec.cancelled) return 'Task cancelled';
  if (exec.timedOut) return `${label} '${name}' timed out after ${formatSeconds(timeoutMs)}`;
  if (exec.error !== null) return exec.error;
  if (exec.signal !== null) return `${label} '${name}' was killed by ${exec.signal}`;
  if (exec.exitCode !== null) return `${label} '${name}' exited with code ${exec.exitCode}`;
  return `${label} '${name}' failed`;
}

/** An outcome, `failed` unless `fields` say otherwise, with every field not given at its neutral value. */
function makeOutcome(fields: Partial<Outcome>): Outcome {
  return {
    status: 'failed',
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    warning: false,
    error: null,
    data: null,
    exception: false,
    ...fields,
  };
}

/** Turns a bounded executor call into an outcome, with the messages of SPEC §4 and §6. */
function execOutcome(bounded: BoundedOutcome<ExecResult>, label: 'Hook' | 'Task', name: string, timeoutMs: number): Outcome {
  if (bounded.kind === 'value') {
    const exec = bounded.value;
    if (execSucceeded(exec)) return makeOutcome({ status: 'completed', exitCode: exec.exitCode, signal: exec.signal });
    return makeOutcome({
      exitCode: exec.exitCode,
      signal: exec.signal,
      timedOut: exec.timedOut,
      cancelled: exec.cancelled,
      error: describeFailure(label, name, timeoutMs, exec),
    });
  }
  const timedOut = bounded.cause === 'timeout';
  const cancelled = bounded.cause === 'cancelled';
  const base = describeFailure(label, name, timeoutMs, { timedOut, cancelled, exitCode: null, signal: null, error: null });
  return makeOutcome({
    timedOut,
    cancelled,
    error: bounded.kind === 'error' ? `${label} '${name}' could not run: ${errorText(bounded.error)}` : `${base} (the executor did not stop in time)`,
  });
}

/** Turns what a custom task's `run()` did into an outcome. */
function taskOutcome(bounded: BoundedOutcome<TaskRunResult>, name: string, timeoutMs: number): Outcome {
  const timedOut = bounded.cause === 'timeout';
  const cancelled = bounded.cause === 'cancelled';
  const failed = (fields: Partial<Outcome>): Outcome => makeOutcome({ timedOut, cancelled, ...fields });
  const interrupted = (): string | null =>
    timedOut || cancelled ? describeFailure('Task', name, timeoutMs, { timedOut, cancelled, exitCode: null, signal: null, error: null }) : null;

  if (bounded.kind === 'abandoned') {
    return failed({ error: `${interrupted() ?? 'Task stopped'} (the task did not stop in time)` });
  }
  if (bounded.kind === 'error') {
    return interrupted() === null ? failed({ error: errorText(bounded.error), exception: true }) : failed({ error: interrupted() });
  }
  const value: unknown = bounded.value;
  if (typeof value !== 'object' || value === null || !('status' in value) || (value.status !== 'completed' && value.status !== 'failed')) {
    return failed({ error: `Task '${name}' returned an invalid result (expected { status: 'completed' | 'failed', … })`, exception: true });
  }
  const run = value as TaskRunResult;
  let data: JsonValue | null = null;
  if (run.data !== undefined) {
    try {
      data = JSON.parse(JSON.stringify(run.data)) as JsonValue;
    } catch (error) {
      return failed({ error: `Task '${name}' returned data that is not JSON: ${errorText(error)}`, exception: true });
    }
  }
  if (run.status === 'completed') {
    return {
      status: 'completed',
      exitCode: run.exitCode ?? null,
      signal: run.signal ?? null,
      timedOut: false,
      cancelled: false,
      warning: run.warning ?? false,
      error: null,
      data,
      exception: false,
    };
  }
  // A timeout or cancellation that the engine started explains the failure better than what the task saw.
  const outcomeTimedOut = timedOut || (run.timedOut ?? false);
  const outcomeCancelled = !outcomeTimedOut && (cancelled || (run.cancelled ?? false));
  const exec = { timedOut: outcomeTimedOut, cancelled: outcomeCancelled, exitCode: run.exitCode ?? null, signal: run.signal ?? null, error: run.error ?? null };
  return {
    status: 'failed',
    exitCode: exec.exitCode,
    signal: exec.signal,
    timedOut: outcomeTimedOut,
    cancelled: outcomeCancelled,
    warning: false,
    error: outcomeTimedOut || outcomeCancelled || exec.error === null ? describeFailure('Task', name, timeoutMs, { ...exec, error: null }) : exec.error,
    data,
    exception: false,
  };
}
