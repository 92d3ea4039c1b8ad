import { formatSeconds } from '../duration.js';
import type { ExecResult } from '../executor/types.js';
import type { JsonValue, TaskFailureCode, TaskResult, TaskRunResult } from '../types.js';
import type { BoundedOutcome } from './bounded.js';

/** How a task ended, before it is written into its record: the result's fields of an end, and more. */
export interface Outcome extends Pick<TaskResult, 'exitCode' | 'signal' | 'timedOut' | 'cancelled' | 'warning' | 'error'> {
  readonly status: 'completed' | 'failed';
  /** Why it failed, as a code; `null` when it completed. */
  readonly code: TaskFailureCode | null;
  readonly data: JsonValue | null;
  /** `run()` threw or rejected: an exception, not a reported failure. */
  readonly exception: boolean;
  /** `false`: the task said this failure is not worth another attempt (docs/hooks.md#retries). */
  readonly retryable: boolean;
}

/** The flags of a command's end that decide its failure code and message. */
type ExecFlags = Pick<ExecResult, 'timedOut' | 'cancelled' | 'exitCode' | 'signal' | 'error'>;

/** Whether a command succeeded: it started, exited 0, and was neither timed out nor cancelled. */
export function execSucceeded(result: ExecResult): boolean {
  return result.exitCode === 0 && result.error === null && !result.timedOut && !result.cancelled;
}

/** The message of an error or a thrown value. */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return error.message === '' ? error.name : error.message;
    if (typeof error === 'string') return error;
    return String(error);
  } catch {
    // A value without a string form (Object.create(null)), or one that throws when read (a Proxy):
    // what it is, rather than a second throw.
    try {
      return Object.prototype.toString.call(error);
    } catch {
      return 'a thrown value that cannot be read';
    }
  }
}

/**
 * What an executor resolved with, as the engine relies on it: a hand-written executor that leaves a
 * field out, or gives an `Error` as `error`, is read as the {@link ExecResult} it meant.
 */
export function execResultOf(value: ExecResult): ExecResult {
  const { exitCode, signal, timedOut, cancelled, error, durationMs } = value as Partial<Record<keyof ExecResult, unknown>>;
  return {
    ...value,
    exitCode: typeof exitCode === 'number' ? exitCode : null,
    signal: typeof signal === 'string' ? signal : null,
    timedOut: timedOut === true,
    cancelled: cancelled === true,
    error: error === null || error === undefined ? null : errorText(error),
    durationMs: typeof durationMs === 'number' ? durationMs : 0,
  };
}

/** The code of a failed command, in the order its message is chosen ({@link describeFailure}). */
function execFailureCode(exec: ExecFlags): TaskFailureCode {
  if (exec.cancelled) return 'cancelled';
  if (exec.timedOut) return 'timeout';
  if (exec.error !== null) return 'spawn';
  if (exec.signal !== null) return 'signal';
  return 'exit';
}

/** The error text of a failed command (docs/execution-flow.md, docs/hooks.md). */
function describeFailure(label: 'Hook' | 'Task', name: string, timeoutMs: number, exec: ExecFlags): string {
  if (exec.cancelled) return 'Task cancelled';
  if (exec.timedOut) return `${label} '${name}' timed out after ${formatSeconds(timeoutMs)}`;
  if (exec.error !== null) return exec.error;
  if (exec.signal !== null) return `${label} '${name}' was killed by ${exec.signal}`;
  if (exec.exitCode !== null) return `${label} '${name}' exited with code ${exec.exitCode}`;
  return `${label} '${name}' failed`;
}

/** An outcome, `failed` unless `fields` say otherwise, with every field not given at its neutral value. */
export function makeOutcome(fields: Partial<Outcome>): Outcome {
  return {
    status: 'failed',
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    warning: false,
    error: null,
    code: null,
    data: null,
    exception: false,
    retryable: true,
    ...fields,
  };
}

/** The code of an interrupted call: the engine's timeout or cancellation. */
function interruptCode(timedOut: boolean): TaskFailureCode {
  return timedOut ? 'timeout' : 'cancelled';
}

/** Turns a bounded executor call into an outcome, with the messages of docs/execution-flow.md. */
export function execOutcome(bounded: BoundedOutcome<ExecResult>, label: 'Hook' | 'Task', name: string, timeoutMs: number): Outcome {
  if (bounded.kind === 'value') {
    const exec = execResultOf(bounded.value);
    if (execSucceeded(exec)) return makeOutcome({ status: 'completed', exitCode: exec.exitCode, signal: exec.signal });
    return makeOutcome({
      exitCode: exec.exitCode,
      signal: exec.signal,
      timedOut: exec.timedOut,
      cancelled: exec.cancelled,
      error: describeFailure(label, name, timeoutMs, exec),
      code: execFailureCode(exec),
    });
  }
  const timedOut = bounded.cause === 'timeout';
  const cancelled = bounded.cause === 'cancelled';
  if (bounded.kind === 'error') {
    // The executor itself rejected (a bug in it, not a command failure) — unless the engine had already stopped it.
    const code = timedOut || cancelled ? interruptCode(timedOut) : 'exception';
    return makeOutcome({ timedOut, cancelled, error: `${label} '${name}' could not run: ${errorText(bounded.error)}`, code });
  }
  const base = describeFailure(label, name, timeoutMs, { timedOut, cancelled, exitCode: null, signal: null, error: null });
  return makeOutcome({ timedOut, cancelled, error: `${base} (the executor did not stop in time)`, code: interruptCode(timedOut) });
}

/**
 * Turns what a custom task's `run()` did into an outcome. `stuck`: what had not settled when the task
 * was given up, the task's own code or a command it was running through `ctx.exec`.
 */
export function taskOutcome(bounded: BoundedOutcome<TaskRunResult>, name: string, timeoutMs: number, stuck: 'task' | 'executor' = 'task'): Outcome {
  const timedOut = bounded.cause === 'timeout';
  const cancelled = bounded.cause === 'cancelled';
  const failed = (fields: Partial<Outcome>): Outcome => makeOutcome({ timedOut, cancelled, ...fields });
  const interrupted = (): string | null =>
    timedOut || cancelled ? describeFailure('Task', name, timeoutMs, { timedOut, cancelled, exitCode: null, signal: null, error: null }) : null;

  if (bounded.kind === 'abandoned') {
    return failed({ error: `${interrupted() ?? 'Task stopped'} (the ${stuck} did not stop in time)`, code: interruptCode(timedOut) });
  }
  if (bounded.kind === 'error') {
    return interrupted() === null
      ? failed({ error: errorText(bounded.error), code: 'exception', exception: true })
      : failed({ error: interrupted(), code: interruptCode(timedOut) });
  }
  const value: unknown = bounded.value;
  if (typeof value !== 'object' || value === null || !('status' in value) || (value.status !== 'completed' && value.status !== 'failed')) {
    return failed({ error: `Task '${name}' returned an invalid result (expected { status: 'completed' | 'failed', … })`, code: 'exception', exception: true });
  }
  const run = value as TaskRunResult;
  let data: JsonValue | null = null;
  if (run.data !== undefined) {
    try {
      data = JSON.parse(JSON.stringify(run.data)) as JsonValue;
    } catch (error) {
      return failed({ error: `Task '${name}' returned data that is not JSON: ${errorText(error)}`, code: 'exception', exception: true });
    }
  }
  // A task that finished after its timeout had fired ran past it, whatever it says (as a hook that
  // exits 0 after its SIGTERM; docs/embedding.md). A cancellation, though, lets a finished task keep its outcome.
  if (run.status === 'completed' && !timedOut) {
    return makeOutcome({ status: 'completed', exitCode: run.exitCode ?? null, signal: run.signal ?? null, warning: run.warning ?? false, data });
  }
  // A timeout or cancellation that the engine started explains the failure better than what the task saw.
  const outcomeTimedOut = timedOut || (run.timedOut ?? false);
  const outcomeCancelled = !outcomeTimedOut && (cancelled || (run.cancelled ?? false));
  // `error` as a plain-JS task may give it: an Error caught and handed back as it is.
  const reported = run.error === null || run.error === undefined ? null : errorText(run.error);
  const exec = { timedOut: outcomeTimedOut, cancelled: outcomeCancelled, exitCode: run.exitCode ?? null, signal: run.signal ?? null, error: reported };
  return makeOutcome({
    exitCode: exec.exitCode,
    signal: exec.signal,
    timedOut: outcomeTimedOut,
    cancelled: outcomeCancelled,
    error: outcomeTimedOut || outcomeCancelled || exec.error === null ? describeFailure('Task', name, timeoutMs, { ...exec, error: null }) : exec.error,
    code: reportedFailureCode(run, outcomeTimedOut, outcomeCancelled),
    data,
    retryable: run.retryable ?? true,
  });
}

/**
 * An attempt's outcome with the task's `warningExitCodes` applied (docs/hooks.md#warning-exit-codes): a
 * failure by one of those exit codes becomes `completed` with `warning: true`.
 */
export function withWarningCodes(outcome: Outcome, warningExitCodes: readonly number[]): Outcome {
  if (outcome.status !== 'failed' || outcome.code !== 'exit' || outcome.exitCode === null || !warningExitCodes.includes(outcome.exitCode)) return outcome;
  return { ...outcome, status: 'completed', warning: true, error: null, code: null };
}

/** The code of a failure a task reported: the engine's interruption, the task's own code, else its flags. */
function reportedFailureCode(run: TaskRunResult, timedOut: boolean, cancelled: boolean): TaskFailureCode {
  if (timedOut) return 'timeout';
  if (cancelled) return 'cancelled';
  if (run.failureCode !== undefined) return run.failureCode;
  if (run.signal != null) return 'signal';
  if (run.exitCode != null) return 'exit';
  return 'exception';
}
