/**
 * Test helpers for your own hook flows: script what each task's command does, record what the
 * notifiers were sent, and collect every event in order.
 *
 * @packageDocumentation
 */
import { JOB_EVENT_NAMES, type JobEvents } from './events.js';
import { onAbort, startTimer } from './executor/timers.js';
import type { ExecRequest, ExecResult, Executor, OutputStream } from './executor/types.js';
import type { NotificationMessage, Notifier, NotifierContext, NotificationLevel } from './types.js';
import type { Duration } from './duration.js';

/** What a {@link FakeExecutor} does for one command. */
export interface FakeOutcome {
  /**
   * The exit code.
   * @default 0
   */
  readonly exitCode?: number | null;
  /** End as if killed by this signal (`exitCode` becomes `null`). */
  readonly signal?: string;
  /** Lines to print, in order, before finishing; a string goes to stdout. */
  readonly output?: readonly (string | { readonly line: string; readonly stream: OutputStream })[];
  /** How long the command runs (ms). Honours cancellation and the request's timeout. */
  readonly delayMs?: number;
  /** Run until cancelled or timed out. */
  readonly hang?: boolean;
  /** Like `hang`, but ignore the signal and the timeout too: an executor that never settles. */
  readonly neverSettle?: boolean;
  /** Reject `execute()` with this error (an executor bug, not a command failure). */
  readonly throw?: string | Error;
  /** Report that the command could not start, with this text (`shell not found: /bin/zsh`). */
  readonly startError?: string;
}

/** One call a {@link FakeExecutor} received, with copies of its environment and working directory. */
export interface FakeCall {
  readonly taskName: string;
  readonly taskIndex: number;
  readonly jobId: string;
  readonly command: string | readonly string[];
  readonly shell: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly maxOutputBytes: number;
  readonly keepBackground: boolean;
}

/** Outcomes by task name: one outcome for every call, or a list used one call at a time. */
export type FakeScript = Readonly<Record<string, FakeOutcome | readonly FakeOutcome[]>>;

/**
 * An {@link Executor} that runs nothing: each command's outcome is scripted by task name, and every
 * request is recorded in {@link FakeExecutor.calls}. Unscripted tasks succeed with no output.
 *
 * @example
 * ```ts
 * const executor = new FakeExecutor({ 'Database Dump': { exitCode: 1, output: ['pg_dump: connection refused'] } })
 * const result = await new JobPipeline({ preHooks, tasks, executor }).run()
 * expect(executor.calls.map((call) => call.taskName)).toEqual(['Database Dump', 'Stop Services'])
 * ```
 */
export class FakeExecutor implements Executor {
  /** Every request received, in order. */
  readonly calls: FakeCall[] = [];
  readonly #script: FakeScript;
  readonly #fallback: FakeOutcome;
  readonly #used = new Map<string, number>();

  /**
   * @param script outcomes by task name
   * @param fallback the outcome of tasks the script does not name
   */
  constructor(script: FakeScript = {}, fallback: FakeOutcome = {}) {
    this.#script = script;
    this.#fallback = fallback;
  }

  async execute(request: ExecRequest): Promise<ExecResult> {
    this.calls.push({
      taskName: request.taskName ?? '',
      taskIndex: request.taskIndex ?? -1,
      jobId: request.jobId ?? '',
      command: request.command,
      shell: request.shell,
      cwd: request.cwd,
      env: { ...request.env },
      timeoutMs: request.timeoutMs,
      killGraceMs: request.killGraceMs,
      maxOutputBytes: request.maxOutputBytes,
      keepBackground: request.keepBackground ?? false,
    });
    const outcome = this.#next(request.taskName ?? '');
    const started = performance.now();
    const result = (fields: Partial<ExecResult>): ExecResult => ({
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      error: null,
      durationMs: Math.round(performance.now() - started),
      ...fields,
    });

    if (outcome.throw !== undefined) throw typeof outcome.throw === 'string' ? new Error(outcome.throw) : outcome.throw;
    if (outcome.startError !== undefined) return result({ error: outcome.startError });
    if (request.signal?.aborted === true) return result({ cancelled: true, signal: 'SIGTERM' });
    for (const entry of outcome.output ?? []) {
      if (typeof entry === 'string') request.onOutput?.(entry, 'stdout');
      else request.onOutput?.(entry.line, entry.stream);
    }
    if (outcome.neverSettle === true) return new Promise<ExecResult>(() => {});
    if (outcome.hang === true || (outcome.delayMs ?? 0) > 0) {
      const waited = await wait(outcome.hang === true ? Infinity : (outcome.delayMs ?? 0), request.timeoutMs, request.signal);
      if (waited === 'timeout') return result({ timedOut: true, signal: 'SIGTERM' });
      if (waited === 'cancelled') return result({ cancelled: true, signal: 'SIGTERM' });
    }
    if (outcome.signal !== undefined) return result({ signal: outcome.signal });
    return result({ exitCode: outcome.exitCode === undefined ? 0 : outcome.exitCode });
  }

  #next(taskName: string): FakeOutcome {
    const scripted = this.#script[taskName];
    if (scripted === undefined) return this.#fallback;
    if (!isOutcomeList(scripted)) return scripted;
    const used = this.#used.get(taskName) ?? 0;
    this.#used.set(taskName, used + 1);
    return scripted[Math.min(used, scripted.length - 1)] ?? this.#fallback;
  }
}

function isOutcomeList(value: FakeOutcome | readonly FakeOutcome[]): value is readonly FakeOutcome[] {
  return Array.isArray(value);
}

/**
 * Waits `delayMs`, unless the timeout comes first or the signal fires; cleans up on every path.
 * Timers are {@link startTimer}s, as in the real executor: a timeout past Node's 24.8-day limit holds.
 */
function wait(delayMs: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<'done' | 'timeout' | 'cancelled'> {
  return new Promise((resolve) => {
    const cleanups: Array<() => void> = [];
    const finish = (how: 'done' | 'timeout' | 'cancelled'): void => {
      for (const cleanup of cleanups) cleanup();
      resolve(how);
    };
    if (Number.isFinite(delayMs) && delayMs <= timeoutMs) cleanups.push(startTimer(delayMs, () => finish('done')));
    else cleanups.push(startTimer(timeoutMs, () => finish('timeout')));
    if (signal !== undefined) cleanups.push(onAbort(signal, () => finish('cancelled')));
  });
}

/** Options of a {@link RecordingNotifier}. */
export interface RecordingNotifierOptions {
  /** @default 'recording' */
  readonly name?: string;
  /** Reject every delivery with this error. */
  readonly fail?: string | Error;
  /** Never settle (until the notifier's timeout). */
  readonly hang?: boolean;
  /** Take this long to deliver (ms). */
  readonly delayMs?: number;
  readonly timeout?: Duration;
  readonly on?: readonly NotificationLevel[];
}

/**
 * A {@link Notifier} that keeps every message it is sent in {@link RecordingNotifier.messages}; it
 * can also be told to fail, hang or be slow.
 *
 * @example
 * ```ts
 * const notifier = new RecordingNotifier()
 * await new JobPipeline({ tasks, notifiers: [notifier] }).run()
 * expect(notifier.messages[0]?.title).toBe('✅ Backup Job Completed Successfully')
 * ```
 */
export class RecordingNotifier implements Notifier {
  readonly name: string;
  readonly timeout: Duration | undefined;
  readonly on: readonly NotificationLevel[] | undefined;
  /** Every message received, in order (also those it then failed to "deliver"). */
  readonly messages: NotificationMessage[] = [];
  /** The context of each call, in order. */
  readonly contexts: NotifierContext[] = [];
  readonly #options: RecordingNotifierOptions;

  constructor(options: RecordingNotifierOptions = {}) {
    this.#options = options;
    this.name = options.name ?? 'recording';
    this.timeout = options.timeout;
    this.on = options.on;
  }

  async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    this.messages.push(message);
    this.contexts.push(context);
    const { fail, hang, delayMs } = this.#options;
    if (hang === true) await new Promise<void>(() => {});
    if (delayMs !== undefined) await new Promise<void>((resolve) => startTimer(delayMs, resolve));
    if (fail !== undefined) throw typeof fail === 'string' ? new Error(fail) : fail;
  }
}

export { JOB_EVENT_NAMES };

/** One recorded event. */
export type CollectedEvent = {
  [E in keyof JobEvents]: { readonly name: E; readonly payload: JobEvents[E][0] };
}[keyof JobEvents];

/** Anything with the pipeline's `on()`. */
export interface EventSource {
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): unknown;
}

/**
 * Records every event a pipeline emits, in order, into the returned array (which keeps filling as
 * the job runs).
 *
 * @example
 * ```ts
 * const events = collectEvents(pipeline)
 * await pipeline.run()
 * expect(events.map((e) => e.name)).toEqual(['jobStart', 'taskStart', 'taskEnd', 'jobEnd'])
 * ```
 */
export function collectEvents(pipeline: EventSource): CollectedEvent[] {
  const events: CollectedEvent[] = [];
  for (const name of JOB_EVENT_NAMES) {
    pipeline.on(name, (payload: JobEvents[typeof name][0]) => {
      events.push({ name, payload } as CollectedEvent);
    });
  }
  return events;
}
