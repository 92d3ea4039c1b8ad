import type { ResolvedHook, ResolvedPipelineOptions } from '../config.js';
import { durationToMs } from '../duration.js';
import { buildTaskEnv, createRedaction, parentEnvironment, redactJson, type Redaction, type Redactor } from '../env.js';
import type { JobEvents } from '../events.js';
import { onAbort, startTimer } from '../executor/timers.js';
import type { JournalJobStatus } from '../journal/files.js';
import type { TaskEndOptions } from '../journal/writer.js';
import { isJsonObject } from '../json.js';
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
  Task,
  TaskContext,
  TaskExecOptions,
  TaskPhase,
  RehearsalResult,
  TaskProgress,
  TaskResult,
} from '../types.js';
import { runBounded } from './bounded.js';
import { announceStart, deliverNotification, type DeliveryContext, type StartCalls } from './notification.js';
import { execOutcome, execResultOf, makeOutcome, taskOutcome, withWarningCodes, type Outcome } from './outcome.js';
import { planEntries, type PlannedTask, type RetryPolicy, type TaskSource } from './plan.js';
import { REHEARSED_CANCELLATION, rehearsedOutcome } from './rehearsal.js';
import { decide, jobStatusOf, jobStatusSoFar, retryDelayMs } from './rules.js';

/** Emits one of the pipeline's events; never throws (listeners are guarded by the pipeline). */
export type Emit = <E extends keyof JobEvents>(event: E, ...args: JobEvents[E]) => void;

/** Whether anyone listens to an event: lets the per-line path skip building payloads nobody reads. */
export type Listening = (event: keyof JobEvents) => boolean;

/**
 * Where a run writes its journal (docs/journal.md): a run's own file, or — for a recovery — the dead run's
 * file through its claim. Methods never reject (a failed write only makes `incomplete` true).
 */
export interface RunJournal {
  readonly incomplete: boolean;
  taskStart(index: number, options?: { readonly pgid?: number }): Promise<void>;
  taskEnd(index: number, status: 'completed' | 'failed' | 'skipped', options?: TaskEndOptions): Promise<void>;
  /** After the notification. Absent for a recovery: its claim ends the dead run. */
  runEnd?(status: JournalJobStatus, options?: { readonly failedTask?: number }): Promise<void>;
}

/** What a run is besides its options: its id, its journal, and whether it is a recovery. */
export interface RunSetup {
  readonly jobId: string;
  readonly journal: RunJournal | null;
  /**
   * A recovery of a dead run (docs/journal.md): the job starts failed with `failure` (reason
   * `interrupted`), and its tasks carry the dead run's indexes, in order.
   */
  readonly recovery: {
    readonly failure: JobFailure;
    readonly indexes: readonly number[];
    /** The indexes of cleanups that were due but whose post-hook the definition no longer has: they fail unrun. */
    readonly missing?: ReadonlySet<number>;
  } | null;
  /** The failure this run rehearses (docs/testing.md#rehearse-your-failure-path), resolved against the plan. */
  readonly rehearsal?: RehearsalResult | null | undefined;
}

interface TaskRecord {
  readonly result: MutableTaskResult;
  readonly planned: PlannedTask;
  readonly source: TaskSource;
  /** The task's output while it runs; `null` before it starts and once its output is in the result. */
  tail: OutputTail | null;
}

/**
 * One run of a pipeline: the task records, the rules of docs/execution-flow.md ("The rules, in
 * precedence order") applied in order, and the result. A new `JobRun` is made for every `run()`, so
 * nothing is shared between runs.
 */
export class JobRun {
  readonly #options: ResolvedPipelineOptions;
  readonly #emit: Emit;
  readonly #listening: Listening;
  readonly #executor: Executor;
  readonly #jobId: string;
  /** The run's secrets and redactors, made once: the tails of its tasks share them. */
  readonly #redaction: Redaction;
  readonly #redact: Redactor;
  /** For lines of output: a line the executor cut also loses the end of a secret it begins with. */
  readonly #redactLine: Redactor;
  readonly #records: TaskRecord[];
  readonly #externalSignal: AbortSignal | undefined;
  /** Aborted when the run's signal fires; the signal of every task that runs while the job is healthy. */
  readonly #jobAbort = new AbortController();
  readonly #journal: RunJournal | null;
  readonly #rehearsal: RehearsalResult | null;
  readonly #missing: ReadonlySet<number>;
  /** Journal calls in order: a record of a spawn lands before the task's end record. */
  #journalQueue: Promise<unknown> = Promise.resolve();
  /** The failure text of a cancellation that was not the caller's signal (`maxRunTime`). */
  #cancelError: string | null = null;
  #failure: JobFailure | null = null;
  #cancelled = false;
  #notifying = false;
  /** Some task so far failed or completed with a warning (kept as it happens: cheaper than a scan per task). */
  #anyFailedOrWarned = false;
  readonly #haltedPhases = new Set<TaskPhase>();
  /** The pre-hook that asked to skip the job (docs/hooks.md#skip-the-job), or `null`. */
  #skippedBy: string | null = null;
  /** Pre-hooks that started: their paired cleanups run (docs/hooks.md#paired-cleanup). */
  readonly #startedPreHooks = new Set<string>();
  #notification: NotificationMessage | null = null;
  #startedAt = new Date();
  /** Each notifier's `jobStarted` call, made as the run starts. */
  #starts: StartCalls = new Map();
  #startedMono = 0;
  /** What children inherit, copied from `process.env` once when the run starts. */
  #parentEnv: Readonly<Record<string, string>> = {};

  constructor(options: ResolvedPipelineOptions, emit: Emit, listening: Listening, executor: Executor, signal: AbortSignal | undefined, setup: RunSetup) {
    this.#options = options;
    this.#emit = emit;
    this.#listening = listening;
    this.#executor = executor;
    this.#externalSignal = signal;
    this.#jobId = setup.jobId;
    this.#journal = setup.journal;
    this.#rehearsal = setup.rehearsal ?? null;
    this.#failure = setup.recovery === null ? null : { ...setup.recovery.failure };
    this.#missing = setup.recovery?.missing ?? new Set();
    this.#redaction = createRedaction([
      ...options.secrets,
      ...options.tasks.flatMap((task) => task.secrets ?? []),
      ...options.notifiers.flatMap((notifier) => notifier.secrets ?? []),
    ]);
    this.#redact = this.#redaction.redact;
    this.#redactLine = this.#redaction.redactLine;
    this.#records = this.#buildRecords(setup.recovery?.indexes);
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
    // The job's deadline cancels it as its signal would: cleanups and the notification still run.
    const maxRunTime = this.#options.maxRunTime;
    const cancelDeadline =
      maxRunTime === null
        ? () => {}
        : startTimer(maxRunTime.ms, () => {
            if (this.#notifying || this.#cancelled) return;
            this.#cancelError = `Job exceeded maxRunTime (${maxRunTime.text})`;
            cancel();
          });

    try {
      if (this.#listening('jobStart')) this.#emit('jobStart', { jobId: this.#jobId, tasks: this.#taskSnapshots() });
      // Each notifier's message waits for its own start call, within its timeout (docs/notifications.md).
      this.#starts = announceStart(this.#delivery());
      for (const record of this.#records) await this.#step(record);
      await Promise.all(this.#starts.values());
      cancelDeadline();
      const status = this.#statusNow();
      await this.#journalQueue;
      const failedTask = this.#failure?.taskIndex;
      await this.#journal?.runEnd?.(status, failedTask == null ? {} : { failedTask });
      const result = this.#result(status, true);
      this.#emit('jobEnd', { result });
      return result;
    } finally {
      cancelDeadline();
      unsubscribe?.();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Building

  #buildRecords(indexes: readonly number[] | undefined): TaskRecord[] {
    const o = this.#options;
    return planEntries(o).map(({ planned, source }, position) => ({
      source,
      planned,
      tail: null,
      result: {
        index: indexes?.[position] ?? planned.index,
        type: planned.type,
        name: planned.name,
        phase: planned.phase,
        status: 'pending',
        critical: planned.critical,
        runOnJobFailure: planned.runOnJobFailure,
        exitCode: null,
        signal: null,
        timedOut: false,
        cancelled: false,
        warning: false,
        error: null,
        failure: null,
        skipReason: null,
        output: '',
        outputTruncated: false,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        data: null,
        attempts: 0,
      },
    }));
  }

  // -------------------------------------------------------------------------------------------
  // The loop

  /**
   * A recovery's cleanup whose post-hook is gone from the definition (renamed or removed since the
   * dead run): it cannot run, and says so as a failure, so that the alert's details and the exit code
   * tell that a cleanup is still undone (docs/journal.md).
   */
  #missingCleanup(record: TaskRecord): Outcome | null {
    if (!this.#missing.has(record.result.index)) return null;
    record.result.attempts = 1;
    return makeOutcome({ error: `Post-hook '${record.result.name}' was due, but the config has no post-hook of that name any more: not run`, code: 'spawn' });
  }

  /** A cancellation between tasks is the job's failure from the first task it reaches, `record`. */
  #cancelledBefore(record: TaskRecord): void {
    if (this.#failure !== null) return;
    this.#failure = {
      taskIndex: null,
      taskName: null,
      type: null,
      reason: 'cancelled',
      error: this.#cancelError ?? 'Job cancelled',
      cancelledBefore: record.result.index,
    };
  }

  async #step(record: TaskRecord): Promise<void> {
    if (record.source.kind === 'notification') this.#notifying = true;
    if (this.#cancelled) this.#cancelledBefore(record);
    const decision = decide(
      { phase: record.result.phase, runOnJobFailure: record.result.runOnJobFailure, cleanupFor: record.planned.cleanupFor },
      { failure: this.#failure, cancelled: this.#cancelled, haltedPhases: this.#haltedPhases, skippedBy: this.#skippedBy, startedPreHooks: this.#startedPreHooks },
    );
    // Without a journal nothing is awaited: a resolved promise would still cost each task a turn.
    const journal = this.#journal;
    if (!decision.run) {
      this.#move(record, 'skipped', { skipReason: decision.skipReason });
      if (journal !== null) await this.#journalEnd(journal, record, 'skipped');
      return;
    }
    // Written before the task starts (docs/journal.md); its process group follows from onSpawn.
    if (journal !== null) await this.#journalWrite(() => journal.taskStart(record.result.index));
    // Cleanup post-hooks (runOnJobFailure, cleanupFor), whatever runs after a failure or a cancellation,
    // and the notification get a live signal of their own, bounded by their timeouts: cleanup must happen
    // even after Ctrl-C, and one already running when the job is cancelled is not interrupted.
    const jobHealthy = this.#failure === null && !this.#cancelled;
    const signal = jobHealthy && !isCleanup(record) && record.source.kind !== 'notification' ? this.#jobAbort.signal : new AbortController().signal;

    this.#move(record, 'running');
    const tail = new OutputTail(this.#options.defaults.maxOutputBytes, this.#redaction);
    record.tail = tail;
    if (record.result.phase === 'pre') this.#startedPreHooks.add(record.result.name);
    let outcome: Outcome;
    const rehearsed = this.#rehearsed(record) ?? this.#missingCleanup(record);
    if (rehearsed !== null) outcome = rehearsed;
    else switch (record.source.kind) {
      case 'hook': {
        const hook = record.source.hook;
        outcome = await this.#attempts(record, signal, (attempt) => this.#runHook(record, hook, signal, attempt));
        break;
      }
      case 'task': {
        const { task, timeoutMs } = record.source;
        outcome = await this.#attempts(record, signal, (attempt) => this.#runTask(record, task, timeoutMs, signal, attempt));
        break;
      }
      case 'notification':
        record.result.attempts = 1;
        outcome = await this.#runNotification(record);
        break;
    }
    const error = outcome.error === null ? null : this.#redact(outcome.error);
    this.#move(record, outcome.status, {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      cancelled: outcome.cancelled,
      warning: outcome.status === 'completed' && outcome.warning,
      error,
      failure: outcome.status === 'failed' && outcome.code !== null ? { code: outcome.code, message: error ?? '' } : null,
      data: outcome.data === null ? null : redactJson(outcome.data, this.#redact),
      output: tail.text,
      outputTruncated: tail.truncated,
    });
    // The result has the text: the tail's buffer (up to twice maxOutputBytes) goes with the task, not the run.
    record.tail = null;
    if (journal !== null) await this.#journalEnd(journal, record, outcome.status);
    this.#afterTask(record, outcome);
  }

  /**
   * Runs a task's attempts (docs/hooks.md#retries): a failed attempt is tried again, after a growing wait,
   * until one succeeds or `retries` are used up; a cancellation is never retried, and cancelling the job
   * ends the wait at once. Each attempt's outcome has the warning exit codes applied; a pre-hook exiting
   * with the job's `skipExitCode` asks to skip the job and ends `completed`.
   */
  async #attempts(record: TaskRecord, signal: AbortSignal, attempt: (attempt: number) => Promise<Outcome>): Promise<Outcome> {
    const policy: RetryPolicy = record.planned.retry;
    const total = policy.retries + 1;
    for (let n = 1; ; n++) {
      if (n > 1) this.#output(record, `--- attempt ${n} of ${total} ---`, 'stdout');
      record.result.attempts = n;
      const raw = await attempt(n);
      if (this.#asksToSkip(record, raw)) {
        this.#skippedBy ??= record.result.name;
        return { ...raw, status: 'completed', warning: false, error: null, code: null };
      }
      const outcome = withWarningCodes(raw, policy.warningExitCodes);
      if (outcome.status === 'completed' || outcome.cancelled || !outcome.retryable || n >= total || signal.aborted) return outcome;
      const delayMs = retryDelayMs(n, policy);
      this.#emit('taskRetry', { jobId: this.#jobId, taskIndex: record.result.index, attempt: n + 1, delayMs, error: this.#redact(outcome.error ?? '') });
      if (!(await waitUnlessAborted(delayMs, signal))) {
        // Cancelled while the task waited to try again: it ends as a running task does when cancelled (docs/execution-flow.md#cancellation).
        return makeOutcome({ exitCode: outcome.exitCode, signal: outcome.signal, cancelled: true, error: 'Task cancelled', code: 'cancelled' });
      }
    }
  }

  /** A pre-hook that exits with the job's `skipExitCode` asks to skip the job (docs/hooks.md#skip-the-job). */
  #asksToSkip(record: TaskRecord, outcome: Outcome): boolean {
    const code = this.#options.skipExitCode;
    return code !== null && record.result.phase === 'pre' && outcome.status === 'failed' && outcome.code === 'exit' && outcome.exitCode === code;
  }

  /** Queues a journal call after those before it; resolves when it is written (the writer: at once). */
  #journalWrite(call: () => Promise<void>): Promise<unknown> {
    this.#journalQueue = this.#journalQueue.then(call);
    return this.#journalQueue;
  }

  #journalEnd(journal: RunJournal, record: TaskRecord, status: 'completed' | 'failed' | 'skipped'): Promise<unknown> {
    // For history (docs/journal.md): the archive a borg create made, and a failure's (redacted) error.
    const { data, error } = record.result;
    const archive = isJsonObject(data) && isJsonObject(data['archive']) ? data['archive']['name'] : undefined;
    return this.#journalWrite(() =>
      journal.taskEnd(record.result.index, status, { ...(typeof archive === 'string' ? { archive } : {}), ...(status === 'failed' ? { error } : {}) }),
    );
  }

  /**
   * The executor's `onSpawn`: records the command's process group at once — the run file's writer writes
   * synchronously here, so no orphan can be left unrecorded by a `kill -9` after this returns.
   */
  #onSpawn(record: TaskRecord): ((pid: number) => void) | undefined {
    const journal = this.#journal;
    if (journal === null) return undefined;
    return (pid) => {
      const written = journal.taskStart(record.result.index, { pgid: pid });
      this.#journalQueue = Promise.all([this.#journalQueue, written]);
    };
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
      this.#failure ??= this.#cancelError === null ? failure('cancelled') : { ...failure('cancelled'), error: this.#cancelError };
    } else if (result.critical) {
      const reason = source.kind === 'hook' ? 'critical_hook_failure' : outcome.exception ? 'critical_task_exception' : 'critical_task_failure';
      this.#failure ??= failure(reason);
    } else if (source.kind === 'hook' && !source.hook.continueOnFailure) {
      this.#haltedPhases.add(result.phase);
    }
  }

  #move(record: TaskRecord, to: TaskResult['status'], fields: Parameters<typeof transition>[3] = {}): void {
    transition(
      record.result,
      to,
      (event, snapshot) => {
        if (this.#listening(event)) this.#emit(event, { jobId: this.#jobId, task: snapshot() });
      },
      fields,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Hooks, tasks, commands

  #envFor(record: TaskRecord, extra: Readonly<Record<string, string>>, hook?: ResolvedHook, attempt?: number): Record<string, string> {
    const o = this.#options;
    const failure = this.#failure;
    const env = buildTaskEnv({
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
      jobStatus: jobStatusSoFar(failure, this.#cancelled, this.#anyFailedOrWarned, this.#skippedBy !== null),
      attempt,
      failedTask: failure?.taskName == null ? undefined : { name: failure.taskName, error: failure.error },
    });
    // A hook can tell a rehearsal from a real run and avoid destructive steps (docs/testing.md#rehearse-your-failure-path).
    if (this.#rehearsal !== null) env[`${o.envPrefix}REHEARSAL`] = '1';
    return env;
  }

  /**
   * A line of a task's output: into the tail (which redacts when read) unless its bytes are already
   * there, and redacted into an event only when someone listens.
   */
  #output(record: TaskRecord, line: string, stream: OutputStream, inTail = false): void {
    if (!inTail) record.tail?.push(line);
    if (this.#listening('taskOutput')) {
      this.#emit('taskOutput', { jobId: this.#jobId, taskIndex: record.result.index, stream, line: this.#redactLine(line) });
    }
  }

  /**
   * An executor's output callbacks: the tail takes the raw bytes when the executor gives them. What an
   * executor the engine gave up on still delivers once its attempt is over (the task ended, or a retry
   * began) is dropped: a task's events end with its taskEnd (docs/embedding.md).
   */
  #outputCallbacks(record: TaskRecord): Pick<ExecRequest, 'onOutput' | 'onOutputBytes'> {
    const tail = record.tail;
    const attempt = record.result.attempts;
    const current = (): boolean => record.tail === tail && tail !== null && record.result.attempts === attempt;
    let bytesGiven = false;
    return {
      onOutputBytes: (bytes) => {
        if (!current()) return;
        bytesGiven = true;
        tail?.write(bytes);
      },
      onOutput: (line, stream) => {
        if (current()) this.#output(record, line, stream, bytesGiven);
      },
    };
  }

  async #runHook(record: TaskRecord, hook: ResolvedHook, signal: AbortSignal, attempt: number): Promise<Outcome> {
    const o = this.#options;
    const env = this.#envFor(record, hook.env, hook, attempt);
    const start = (signal: AbortSignal): Promise<ExecResult> =>
      this.#executor.execute({
        command: hook.command,
        shell: hook.shell,
        cwd: hook.cwd,
        env,
        timeoutMs: hook.timeoutMs,
        killGraceMs: o.defaults.killGraceMs,
        maxOutputBytes: o.defaults.maxOutputBytes,
        keepBackground: hook.keepBackground,
        signal,
        ...this.#outputCallbacks(record),
        ...optionalOnSpawn(this.#onSpawn(record)),
        taskName: hook.name,
        taskIndex: record.result.index,
        jobId: this.#jobId,
      });
    const bounded = await runBounded(start, {
      parentSignal: signal,
      timeoutMs: hook.timeoutMs,
      killGraceMs: o.defaults.killGraceMs,
      executorEnforcesTimeout: true,
    });
    return execOutcome(bounded, 'Hook', hook.name, hook.timeoutMs);
  }

  async #runTask(record: TaskRecord, task: Task, timeoutMs: number, signal: AbortSignal, attempt: number): Promise<Outcome> {
    const o = this.#options;
    const env = this.#envFor(record, {}, undefined, attempt);
    const deadline = performance.now() + timeoutMs;
    const taskIndex = record.result.index;
    // The engine waits for a stopped task as long as the longest kill grace of the commands it ran
    // (a borg task's own killGrace: borg rolls back and frees its lock), never less than the default's.
    let graceMs = o.defaults.killGraceMs;
    const longerGrace = (ms: number): void => {
      graceMs = Math.max(graceMs, ms);
    };
    // Commands still running when the task is given up: then the executor is what did not stop.
    let execsRunning = 0;
    // Once the task has ended (or was given up), what its code still reports is dropped: its events
    // end with its taskEnd (docs/embedding.md).
    let open = true;
    const exec = async (command: string | readonly string[], options: TaskExecOptions, taskSignal: AbortSignal): Promise<ExecResult> => {
      execsRunning += 1;
      try {
        return await this.#exec(record, task, command, options, env, taskSignal, deadline, attempt, longerGrace);
      } finally {
        execsRunning -= 1;
      }
    };
    const bounded = await runBounded(
      (taskSignal) => {
        const context: TaskContext = {
          signal: taskSignal,
          env,
          jobId: this.#jobId,
          taskIndex,
          output: (line, stream = 'stdout') => {
            if (open) this.#output(record, line, stream);
          },
          progress: (info) => {
            if (open) this.#progress(taskIndex, info);
          },
          exec: (command, options = {}) => exec(command, options, taskSignal),
        };
        return task.run(context);
      },
      { parentSignal: signal, timeoutMs, killGraceMs: () => graceMs, executorEnforcesTimeout: false },
    );
    open = false;
    return taskOutcome(bounded, task.name, timeoutMs, execsRunning > 0 ? 'executor' : 'task');
  }

  #exec(
    record: TaskRecord,
    task: Task,
    command: string | readonly string[],
    options: TaskExecOptions,
    env: Readonly<Record<string, string>>,
    signal: AbortSignal,
    deadline: number,
    attempt: number,
    onGrace: (killGraceMs: number) => void,
  ): Promise<ExecResult> {
    const d = this.#options.defaults;
    const remaining = Math.max(1, Math.round(deadline - performance.now()));
    const requested = durationToMs(options.timeout);
    const killGraceMs = durationToMs(options.killGrace) ?? d.killGraceMs;
    onGrace(killGraceMs);
    const started = this.#executor.execute({
      command,
      shell: options.shell ?? d.shell,
      cwd: options.cwd ?? d.cwd,
      // Extra env sits under the context variables (docs/environment.md, "How a task's environment is
      // built"): it cannot fake JOBHOOKS_JOB_STATUS.
      env: options.env === undefined ? env : this.#envFor(record, options.env, undefined, attempt),
      timeoutMs: requested === undefined ? remaining : Math.min(requested, remaining),
      killGraceMs,
      maxOutputBytes: options.maxOutputBytes ?? d.maxOutputBytes,
      signal,
      ...(options.onOutput === undefined ? this.#outputCallbacks(record) : { onOutput: options.onOutput }),
      ...optionalOnSpawn(this.#onSpawn(record)),
      taskName: task.name,
      taskIndex: record.result.index,
      jobId: this.#jobId,
    });
    return started.then(execResultOf);
  }

  #progress(taskIndex: number, info: TaskProgress): void {
    // As a task's data: text at any depth (keys too) is redacted, codes (`kind`, `operation`, `msgid`)
    // are not (docs/embedding.md).
    const redacted = redactJson(info as JsonValue, this.#redact) as TaskProgress;
    this.#emit('taskProgress', { ...redacted, jobId: this.#jobId, taskIndex });
  }

  // -------------------------------------------------------------------------------------------
  // Notification

  #delivery(): DeliveryContext {
    const o = this.#options;
    return { notifiers: o.notifiers, jobId: this.#jobId, jobType: o.jobType, repository: o.repository, emit: this.#emit, redact: this.#redact };
  }

  async #runNotification(record: TaskRecord): Promise<Outcome> {
    // The status the job ends with if delivery succeeds: what the message reports.
    const snapshot = this.#result(this.#statusNow(), false);
    const built = buildNotification(snapshot);
    const message: NotificationMessage = { ...built, title: this.#redact(built.title), body: this.#redact(built.body) };
    this.#notification = message;
    return deliverNotification(this.#delivery(), message, snapshot, (line, stream) => this.#output(record, line, stream), this.#starts);
  }

  // -------------------------------------------------------------------------------------------
  // Rehearsal (docs/testing.md#rehearse-your-failure-path)

  /**
   * The outcome of the rehearsed task, which does not run, or `null` for any other task. A rehearsed
   * cancellation cancels the job first, as the run's signal would, so every rule of a real one follows.
   */
  #rehearsed(record: TaskRecord): Outcome | null {
    const rehearsal = this.#rehearsal;
    const source = record.source;
    if (rehearsal === null || rehearsal.index !== record.result.index || source.kind === 'notification') return null;
    if (rehearsal.outcome === 'cancel' && !this.#cancelled) {
      this.#cancelled = true;
      this.#cancelError ??= REHEARSED_CANCELLATION;
      this.#jobAbort.abort(new Error(REHEARSED_CANCELLATION));
    }
    // A Ctrl-C as a cleanup post-hook starts does not stop it (docs/execution-flow.md#cancellation): the
    // job is cancelled, from this task on, and the cleanup runs.
    if (rehearsal.outcome === 'cancel' && isCleanup(record)) {
      this.#cancelledBefore(record);
      return null;
    }
    // Not retried: a rehearsed failure is the task's final one (docs/testing.md#rehearse-your-failure-path).
    record.result.attempts = 1;
    return source.kind === 'hook'
      ? rehearsedOutcome(rehearsal.outcome, 'Hook', source.hook.name, source.hook.timeoutMs)
      : rehearsedOutcome(rehearsal.outcome, 'Task', source.task.name, source.timeoutMs);
  }

  // -------------------------------------------------------------------------------------------
  // Results

  /** The status the job ends with if nothing else happens. */
  #statusNow(): JobStatus {
    return jobStatusOf(
      this.#records.map((record) => record.result),
      this.#failure,
      this.#cancelled,
      this.#skippedBy !== null,
    );
  }

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
      journal: this.#journal === null ? null : { incomplete: this.#journal.incomplete },
      rehearsal: this.#rehearsal === null ? null : { ...this.#rehearsal },
    };
  }
}

/** Waits `ms`; resolves `false` at once when `signal` aborts first (docs/hooks.md#retries). */
function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let cancelTimer = (): void => {};
    let unsubscribe = (): void => {};
    const done = (waited: boolean): void => {
      cancelTimer();
      unsubscribe();
      resolve(waited);
    };
    unsubscribe = onAbort(signal, () => done(false));
    cancelTimer = startTimer(ms, () => done(true));
  });
}

/** `{ onSpawn }` when there is one (exactOptionalPropertyTypes: no `onSpawn: undefined`). */
function optionalOnSpawn(onSpawn: ((pid: number) => void) | undefined): { onSpawn?: (pid: number) => void } {
  return onSpawn === undefined ? {} : { onSpawn };
}

/**
 * A cleanup post-hook (`runOnJobFailure`, or a paired cleanup): it runs on a signal of its own, so a
 * cancellation of the job never stops it (docs/execution-flow.md#cancellation).
 */
function isCleanup(record: TaskRecord): boolean {
  return record.result.phase === 'post' && (record.result.runOnJobFailure || record.planned.cleanupFor !== null);
}
