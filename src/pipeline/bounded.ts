import { startTimer } from '../executor/timers.js';

/** Why a bounded call was interrupted. */
export type InterruptCause = 'timeout' | 'cancelled';

/**
 * How a bounded call ended: with a value, with an error, or abandoned because it did not settle
 * within its kill grace after being told to stop. `cause` says whether a timeout or a cancellation
 * was started before it settled.
 */
export type BoundedOutcome<T> =
  | { readonly kind: 'value'; readonly value: T; readonly cause: InterruptCause | undefined }
  | { readonly kind: 'error'; readonly error: unknown; readonly cause: InterruptCause | undefined }
  | { readonly kind: 'abandoned'; readonly cause: InterruptCause };

export interface BoundedOptions {
  /** Cancels the call: the run's own signal, or a live one for cleanup tasks; never a caller's. */
  readonly parentSignal: AbortSignal;
  readonly timeoutMs: number;
  /**
   * How long the callee may take to stop once told to. A function is asked when the callee is told
   * to stop: a custom task's grace is the longest of its commands' (docs/execution-flow.md#cancellation).
   */
  readonly killGraceMs: number | (() => number);
  /**
   * `true` when the callee enforces `timeoutMs` itself (an executor): the engine then only steps in
   * if it has not settled by timeout + grace + margin. `false` (custom tasks): the engine aborts the
   * callee's signal at `timeoutMs`.
   */
  readonly executorEnforcesTimeout: boolean;
}

/** Extra time past the kill grace before the engine stops waiting for a callee that ignores its signal. */
export const BACKSTOP_MARGIN_MS = 2_000;

/**
 * Runs `start` with a signal of its own and guarantees an answer: no task can hang the job, even
 * one whose code ignores its signal. Every timer and listener is removed on every path.
 */
export function runBounded<T>(start: (signal: AbortSignal) => Promise<T>, options: BoundedOptions): Promise<BoundedOutcome<T>> {
  const { parentSignal, timeoutMs, executorEnforcesTimeout } = options;
  const killGraceMs = (): number => (typeof options.killGraceMs === 'function' ? options.killGraceMs() : options.killGraceMs);
  const controller = new AbortController();
  let cause: InterruptCause | undefined;
  // startTimer, not setTimeout: a timeout or kill grace may exceed Node's 24.8-day timer limit
  // (docs/execution-flow.md#timeouts-of-any-length).
  let cancelTimeout: (() => void) | undefined;
  let cancelAbandon: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;

  return new Promise<BoundedOutcome<T>>((resolve) => {
    let settled = false;
    const finish = (outcome: BoundedOutcome<T>): void => {
      if (settled) return;
      settled = true;
      cancelTimeout?.();
      cancelAbandon?.();
      unsubscribe?.();
      resolve(outcome);
    };
    const interrupt = (why: InterruptCause, abandonAfterMs: number): void => {
      cause ??= why;
      controller.abort(why);
      cancelAbandon ??= startTimer(abandonAfterMs, () => finish({ kind: 'abandoned', cause: cause ?? why }));
    };

    if (executorEnforcesTimeout) {
      cancelTimeout = startTimer(timeoutMs + killGraceMs() + BACKSTOP_MARGIN_MS, () => interrupt('timeout', 0));
    } else {
      cancelTimeout = startTimer(timeoutMs, () => interrupt('timeout', killGraceMs() + BACKSTOP_MARGIN_MS));
    }
    // A listener of its own, not onAbort's shared one: the parent is the run's own signal (a caller's
    // signal reaches a run through onAbort, docs/execution-flow.md#cancellation), and a run's tasks
    // run one at a time, so it never holds more than one of these.
    const onParentAbort = (): void => interrupt('cancelled', killGraceMs() + BACKSTOP_MARGIN_MS);
    if (parentSignal.aborted) onParentAbort();
    else {
      parentSignal.addEventListener('abort', onParentAbort, { once: true });
      unsubscribe = () => parentSignal.removeEventListener('abort', onParentAbort);
    }

    let promise: Promise<T>;
    try {
      promise = Promise.resolve(start(controller.signal));
    } catch (error) {
      finish({ kind: 'error', error, cause });
      return;
    }
    promise.then(
      (value) => finish({ kind: 'value', value, cause }),
      (error: unknown) => finish({ kind: 'error', error, cause }),
    );
  });
}
