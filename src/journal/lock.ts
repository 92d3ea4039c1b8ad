import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, JobHooksError } from '../errors.js';
import { sleep } from '../executor/timers.js';
import { createExclusive, journalError, LOCK_FILE, parseIdentity, readIfExists, removeSlots, takeSlot } from './files.js';
import { currentProcess, isProcessAlive, type ProcessIdentity } from './liveness.js';

/** The holder of a key's run lock, as its lock file records it. */
export interface LockOwner extends ProcessIdentity {
  readonly jobId: string;
  readonly startedAt: string;
}

/** Options of {@link acquireRunLock}. */
export interface AcquireRunLockOptions {
  /**
   * How long to wait for a running owner to finish before refusing, in milliseconds.
   * @default 0
   */
  readonly waitMs?: number;
  /**
   * How often to look again while waiting, in milliseconds.
   * @default 200
   */
  readonly pollMs?: number;
  /** Ends a wait early: the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A held run lock. */
export interface RunLock {
  readonly path: string;
  /** What the lock file holds: the owner given, with `startedAt` the moment the key was taken when it was not given. */
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this owner's. Never rejects; calling it twice is harmless. */
  release(): Promise<void>;
}

function sameOwnerText(a: string, b: string): boolean {
  return a === b;
}

/**
 * A run refused because another live process runs the same journal key (docs/journal.md): a
 * `JobHooksError` with code `ERR_ALREADY_RUNNING`; `owner` names that process as data.
 *
 * @example
 * ```ts
 * try { await pipeline.run() } catch (error) {
 *   if (error instanceof AlreadyRunningError) console.error(`busy: pid ${error.owner.pid} since ${error.owner.startedAt}`)
 * }
 * ```
 */
export class AlreadyRunningError extends JobHooksError {
  /** The process holding the key: its pid and the start of its run (ISO time; empty when its lock does not say). */
  readonly owner: { readonly pid: number; readonly startedAt: string };
  /** The lock file's content, as read. */
  readonly holder: ProcessIdentity & Record<string, unknown>;

  /** @internal */
  static override readonly errorClass: string = 'AlreadyRunningError';

  constructor(holder: ProcessIdentity & Record<string, unknown>) {
    const since = typeof holder.startedAt === 'string' ? holder.startedAt : 'an unknown time';
    const started = holder.startTime === null ? '' : `, process start time ${holder.startTime}`;
    super(ErrorCode.ALREADY_RUNNING, `This job is already running (pid ${holder.pid} since ${since}${started}); not started`);
    this.name = 'AlreadyRunningError';
    this.owner = { pid: holder.pid, startedAt: typeof holder.startedAt === 'string' ? holder.startedAt : '' };
    this.holder = holder;
  }
}

/** The error of ERR_ALREADY_RUNNING: pid and start time of the process that holds the key. */
function alreadyRunning(holder: ProcessIdentity & Record<string, unknown>): JobHooksError {
  return new AlreadyRunningError(holder);
}

type Attempt =
  | { readonly kind: 'acquired' }
  | { readonly kind: 'busy'; readonly holder: ProcessIdentity & Record<string, unknown> }
  /** A stale lock is being removed by another process this instant: look again in a moment. */
  | { readonly kind: 'retry' };

/**
 * Removes the lock file whose content is `staleText` (its owner is dead), at most once across processes:
 * only the live holder of the slot `lock.stale-<hash of the content>` may unlink it, and only after seeing,
 * while holding the slot, that the lock file still has exactly that content. Owners' records are unique
 * (pid, start time, job id, start), so a content judged dead never comes back; a lock written since by
 * someone else is never removed. Resolves `false` when another process is doing it right now.
 */
export async function removeStaleLock(keyDir: string, lockPath: string, staleText: string): Promise<boolean> {
  const baseName = `${LOCK_FILE}.stale-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
  const slot = await takeSlot(join(keyDir, baseName), { ...currentProcess() });
  if (!slot.taken) return false;
  try {
    const now = await readIfExists(lockPath);
    // A lock that cannot be removed (an immutable file, an append-only directory) is an error: taken
    // for a passing race, it had every run retry it for ever.
    if (now !== null && sameOwnerText(now, staleText)) await unlink(lockPath).catch(unlessMissing);
  } finally {
    await removeSlots(keyDir, baseName);
  }
  return true;
}

/** Rethrows a file system error other than "it is already gone". */
function unlessMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

async function attempt(keyDir: string, lockPath: string, content: string): Promise<Attempt> {
  // Not durable: after a power cut every owner is dead, so a lock left empty or lost is taken over
  // like any stale one (an unreadable lock is no lock, below).
  if (await createExclusive(lockPath, content, { durable: false })) return { kind: 'acquired' };
  const text = await readIfExists(lockPath);
  if (text === null) return { kind: 'retry' };
  const holder = parseIdentity(text);
  if (holder !== null && isProcessAlive(holder)) return { kind: 'busy', holder };
  // The owner is dead (or the file is not a lock at all): take it over, then race for it again.
  await removeStaleLock(keyDir, lockPath, text);
  return { kind: 'retry' };
}

/**
 * Takes the run lock of a key directory, so that one run of a key runs at a time (docs/journal.md).
 *
 * The lock file `<keyDir>/lock` is created exclusively (written to a private file, then hard-linked into
 * place, so it is never seen half written) and holds `owner`; without an `owner.startedAt`, the moment
 * the key is taken is recorded (after any wait), so that a run and its lock say the same start. A lock
 * whose owner is dead (no process with its pid, or one with another start time) is taken over; of
 * several processes racing for it, exactly one gets it. While the owner lives, the promise rejects with `ERR_ALREADY_RUNNING` naming the owner's pid and
 * start (the error's `holder` field has it as data) — after polling up to `waitMs` first.
 * A file system error rejects with `ERR_JOURNAL`.
 *
 * @example
 * ```ts
 * const lock = await acquireRunLock(keyDir, { ...currentProcess(), jobId }, { waitMs: 60_000 })
 * try { ... } finally { await lock.release() }
 * ```
 */
export async function acquireRunLock(
  keyDir: string,
  given: Omit<LockOwner, 'startedAt'> & { readonly startedAt?: string },
  options: AcquireRunLockOptions = {},
): Promise<RunLock> {
  const lockPath = join(keyDir, LOCK_FILE);
  const deadline = performance.now() + (options.waitMs ?? 0);
  const pollMs = options.pollMs ?? 200;
  for (;;) {
    options.signal?.throwIfAborted();
    const owner: LockOwner = { ...given, startedAt: given.startedAt ?? new Date().toISOString() };
    const content = `${JSON.stringify(owner)}\n`;
    let result: Attempt;
    try {
      result = await attempt(keyDir, lockPath, content);
    } catch (error) {
      throw journalError('lock', lockPath, error);
    }
    if (result.kind === 'acquired') {
      let released = false;
      return {
        path: lockPath,
        owner,
        release: async () => {
          if (released) return;
          released = true;
          // Only this owner's file: nobody takes over a lock whose owner is alive, so it cannot change
          // between the read and the unlink.
          const now = await readIfExists(lockPath).catch(() => null);
          if (now === content) await unlink(lockPath).catch(() => {});
        },
      };
    }
    const remaining = deadline - performance.now();
    if (result.kind === 'busy' && remaining <= 0) throw alreadyRunning(result.holder);
    const delay = result.kind === 'retry' ? 5 : Math.min(pollMs, remaining);
    await sleep(delay, options.signal);
  }
}
