/** Node caps a timer at 2^31-1 ms and fires a longer one after 1 ms, with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `callback` once after `ms` milliseconds, for any `ms` (longer than Node's 24.8-day timer limit,
 * or `Infinity` for never); returns a function that cancels it. The timer does not keep the process alive
 * on its own account beyond what Node's timers do (it is a normal, ref'ed timer).
 *
 * @example
 * ```ts
 * const cancel = startTimer(300_000, () => stop('timeout'))
 * try { ... } finally { cancel() }
 * ```
 */
export function startTimer(ms: number, callback: () => void): () => void {
  if (!(ms < Number.POSITIVE_INFINITY)) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const deadline = performance.now() + Math.max(0, ms);
  const arm = (remaining: number): void => {
    const clipped = remaining > MAX_TIMER_MS;
    timer = setTimeout(() => {
      timer = undefined;
      if (clipped) arm(deadline - performance.now());
      else callback();
    }, clipped ? MAX_TIMER_MS : Math.max(0, remaining));
  };
  arm(Math.max(0, ms));
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

type AbortCallback = () => void;

/** One real listener per signal, however many commands share it (no MaxListeners warning at 50). */
const subscribers = new WeakMap<AbortSignal, Set<AbortCallback>>();

/**
 * Calls `callback` when `signal` aborts; returns a function that unsubscribes. Commands that share one
 * signal share one `abort` listener on it, so running many commands under one signal never triggers
 * Node's "possible EventTarget memory leak" warning, and the listener goes away with the last command.
 *
 * @example
 * ```ts
 * const unsubscribe = onAbort(request.signal, () => stop('cancel'))
 * try { ... } finally { unsubscribe() }
 * ```
 */
export function onAbort(signal: AbortSignal, callback: AbortCallback): () => void {
  let set = subscribers.get(signal);
  if (set === undefined) {
    const created = new Set<AbortCallback>();
    const dispatch = (): void => {
      subscribers.delete(signal);
      for (const subscriber of [...created]) subscriber();
      created.clear();
    };
    subscribers.set(signal, created);
    signal.addEventListener('abort', dispatch, { once: true });
    // Kept so the last unsubscribe can remove the real listener.
    listeners.set(created, dispatch);
    set = created;
  }
  const current = set;
  current.add(callback);
  return () => {
    current.delete(callback);
    if (current.size === 0 && subscribers.get(signal) === current) {
      subscribers.delete(signal);
      const dispatch = listeners.get(current);
      if (dispatch !== undefined) signal.removeEventListener('abort', dispatch);
      listeners.delete(current);
    }
  };
}

const listeners = new WeakMap<Set<AbortCallback>, () => void>();

/**
 * Resolves after `ms`; rejects with `signal`'s reason as soon as it fires (at once when it already
 * has). For waits that poll: the lock's, a recovery's.
 *
 * @example
 * ```ts
 * await sleep(200, options.signal)
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => {};
    const stop = startTimer(ms, () => {
      unsubscribe();
      resolve();
    });
    if (signal !== undefined) {
      unsubscribe = onAbort(signal, () => {
        stop();
        reject(signal.reason);
      });
    }
  });
}
