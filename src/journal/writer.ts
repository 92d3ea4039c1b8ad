import { DEFAULTS } from '../defaults.js';
import { constants, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FILE_MODE,
  journalError,
  osReason,
  runFileName,
  runningMarker,
  syncDirectory,
  TASK_ERROR_MAX_CHARS,
  type JournalJobStatus,
  type JournalRecord,
  type JournalTask,
  type RunEndRecord,
  type RunRecord,
  type TaskEndRecord,
  type TaskStartRecord,
} from './files.js';
import { pruneFinishedRuns } from './history.js';
import { currentProcess, processStartTime } from './liveness.js';

/**
 * The longest a record other than those a recovery acts on waits for its flush to disk, after the previous
 * flush started (docs/journal.md, "What survives what"). Bounds what the journal costs a run of short
 * tasks: one fdatasync per interval at most, instead of one per record.
 */
export const SYNC_INTERVAL_MS = 20;

/** Default of `journal.keep`: finished runs kept per key. */
export const DEFAULT_KEEP = DEFAULTS.journalKeep;

/** What a run tells the journal when it opens it. Names and indexes only: never env, secrets or output. */
export interface JournalRunInfo {
  readonly jobId: string;
  readonly key: string;
  /** ISO time; the file name begins with it. */
  readonly startedAt: string;
  readonly tasks: readonly JournalTask[];
  /** A rehearsal's task and outcome, so that the history can tell a drill from a real run. */
  readonly rehearsal?: RunRecord['rehearsal'];
}

/** Options of {@link openJournal}. */
export interface OpenJournalOptions {
  /**
   * Finished runs kept per key; older ones are deleted when a run ends.
   * @default 100
   */
  readonly keep?: number;
  /** Called once, with a sentence to show the user, when a write fails in the middle of the run. */
  readonly onWarning?: (message: string) => void;
}

/**
 * An open run file. Each method writes its record with one write(2) before it returns (so it survives a
 * `kill -9` of this process: the kernel holds it). A record a recovery acts on (a paired pre-hook's
 * start, a cleanup's end, the run's end) is flushed to disk before the returned promise resolves; any
 * other record within {@link SYNC_INTERVAL_MS} (docs/journal.md, "What survives what"). None rejects:
 * after the first failed write (ENOSPC, EIO, …) the journal warns once, writes nothing more, and
 * `incomplete` is `true` (the run goes on).
 */
export interface JournalWriter {
  readonly path: string;
  readonly keyDir: string;
  /** `true` once a write failed: the file on disk lacks records from then on. */
  readonly incomplete: boolean;
  /** Before a task's command starts… or right after, as soon as its process group is known. */
  taskStart(index: number, options?: { readonly pgid?: number }): Promise<void>;
  /** After a task ended (skipped tasks too). `archive`: the borg archive it created. */
  taskEnd(index: number, status: TaskEndRecord['status'], options?: TaskEndOptions): Promise<void>;
  /** After the run ended (the notification included): the last record; then old runs are pruned and the file closed. */
  runEnd(status: JournalJobStatus, options?: { readonly failedTask?: number }): Promise<void>;
  /** Flushes every record written so far now; resolves when they are on disk. Never rejects. */
  flush(): Promise<void>;
  /** Closes the file without a `runEnd` (a run that could not start after all). Never rejects. */
  close(): Promise<void>;
}

/** What a `taskEnd` record may carry besides the status. */
export interface TaskEndOptions {
  /** The borg archive the task created. */
  readonly archive?: string | undefined;
  /** A failed task's error, already redacted; cut to {@link TASK_ERROR_MAX_CHARS} characters. */
  readonly error?: string | null | undefined;
}

/** The `taskEnd` record of a task, the same for a run and for a recovery's claim. */
export function taskEndRecord(index: number, status: TaskEndRecord['status'], options: TaskEndOptions = {}): TaskEndRecord {
  const { archive, error } = options;
  return {
    type: 'taskEnd',
    index,
    at: new Date().toISOString(),
    status,
    ...(archive === undefined ? {} : { archive }),
    ...(error === undefined || error === null || error === '' ? {} : { error: error.slice(0, TASK_ERROR_MAX_CHARS) }),
  };
}

/** One record as one line: a single write() per record, so a crash tears at most the last line. */
export function serialize(record: JournalRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Writes all of `text` at the file's end, or throws: a full disk may take part of a record (a short
 * write) before it refuses the rest, and a record taken for written would leave a torn line unseen.
 */
function writeWhole(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; ) {
    const written = writeSync(fd, bytes, offset);
    if (written <= 0) throw new Error(`wrote ${offset} of ${bytes.length} bytes of a record`);
    offset += written;
  }
}

class RunFileWriter implements JournalWriter {
  readonly path: string;
  readonly keyDir: string;
  #handle: FileHandle | null;
  #incomplete = false;
  readonly #keep: number;
  readonly #onWarning: ((message: string) => void) | undefined;

  /** The fdatasync in flight (or chained), covering every record written before it started. */
  #syncing: Promise<void> = Promise.resolve();
  /** A record was written after the last sync started: another sync is due. */
  #dirty = false;
  #syncQueued = false;
  /** When the last sync started (`performance.now()`), and the timer of the next batched one. */
  #lastSyncAt = Number.NEGATIVE_INFINITY;
  #syncTimer: NodeJS.Timeout | null = null;
  /** The indexes whose `taskStart` / `taskEnd` a recovery acts on: written and flushed before the call returns. */
  readonly #startsRecoveryNeeds: ReadonlySet<number>;
  readonly #endsRecoveryNeeds: ReadonlySet<number>;

  constructor(path: string, keyDir: string, handle: FileHandle, tasks: readonly JournalTask[], options: OpenJournalOptions) {
    this.path = path;
    this.keyDir = keyDir;
    this.#handle = handle;
    this.#keep = options.keep ?? DEFAULT_KEEP;
    this.#onWarning = options.onWarning;
    const paired = new Set(tasks.flatMap((task) => (task.phase === 'post' && task.cleanupFor !== undefined ? [task.cleanupFor] : [])));
    this.#startsRecoveryNeeds = new Set(tasks.filter((task) => task.phase === 'pre' && paired.has(task.name)).map((task) => task.index));
    this.#endsRecoveryNeeds = new Set(
      tasks.filter((task) => task.phase === 'post' && (task.runOnJobFailure || task.cleanupFor !== undefined)).map((task) => task.index),
    );
  }

  get incomplete(): boolean {
    return this.#incomplete;
  }

  /**
   * Writes the record at once (synchronously: nothing else of this process runs before it is in the
   * kernel, so it survives a `kill -9`). Then, for a record a recovery acts on (`mustSync`), resolves once
   * an fdatasync that began after the write has ended; any other record is flushed with the next sync,
   * which starts at most {@link SYNC_INTERVAL_MS} after the previous one (docs/journal.md, "What survives
   * what"): a run of short tasks shares one sync instead of paying one per record.
   */
  #append(record: JournalRecord, mustSync: boolean): Promise<void> {
    const handle = this.#handle;
    if (handle === null || this.#incomplete) return Promise.resolve();
    try {
      writeWhole(handle.fd, serialize(record));
    } catch (error) {
      this.#fail(error);
      return Promise.resolve();
    }
    this.#dirty = true;
    if (mustSync) return this.#syncNow();
    this.#syncSoon();
    return Promise.resolve();
  }

  /** Starts a sync of everything written so far (after the one in flight); resolves when it ended. */
  #syncNow(): Promise<void> {
    if (this.#syncTimer !== null) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = null;
    }
    const handle = this.#handle;
    if (!this.#syncQueued && handle !== null) {
      this.#syncQueued = true;
      this.#syncing = this.#syncing.then(async () => {
        this.#syncQueued = false;
        if (!this.#dirty || this.#incomplete) return;
        this.#dirty = false;
        this.#lastSyncAt = performance.now();
        // fdatasync: the data and the size that reaches it; timestamps are not worth a journal commit.
        await handle.datasync().catch((error: unknown) => this.#fail(error));
      });
    }
    return this.#syncing;
  }

  /** Makes sure a sync starts within {@link SYNC_INTERVAL_MS} of the last one. */
  #syncSoon(): void {
    if (this.#syncTimer !== null || this.#syncQueued) return;
    const wait = this.#lastSyncAt + SYNC_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      void this.#syncNow();
      return;
    }
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null;
      void this.#syncNow();
    }, wait);
    // The records are in the kernel already: a pending flush never keeps the process alive.
    this.#syncTimer.unref();
  }

  #fail(error: unknown): void {
    if (this.#incomplete) return;
    this.#incomplete = true;
    const reason = osReason(error);
    try {
      this.#onWarning?.(`jobhooks: cannot write the journal ${this.path} (${reason}); the run goes on without it`);
    } catch {
      // A warning listener never changes the run.
    }
  }

  async flush(): Promise<void> {
    if (this.#dirty) await this.#syncNow();
    // A sync queued while this one ran is chained onto #syncing: wait until nothing is left.
    for (let pending = this.#syncing; ; pending = this.#syncing) {
      await pending;
      if (pending === this.#syncing) return;
    }
  }

  taskStart(index: number, options: { readonly pgid?: number } = {}): Promise<void> {
    const pgid = options.pgid;
    const leaderStartTime = pgid === undefined ? null : processStartTime(pgid);
    const record: TaskStartRecord = {
      type: 'taskStart',
      index,
      at: new Date().toISOString(),
      ...(pgid === undefined ? {} : { pgid }),
      ...(leaderStartTime === null ? {} : { leaderStartTime }),
    };
    // A process group only matters while this boot lasts, and a kill -9 keeps what write() wrote.
    return this.#append(record, pgid === undefined && this.#startsRecoveryNeeds.has(index));
  }

  taskEnd(index: number, status: TaskEndRecord['status'], options: TaskEndOptions = {}): Promise<void> {
    return this.#append(taskEndRecord(index, status, options), this.#endsRecoveryNeeds.has(index));
  }

  async runEnd(status: JournalJobStatus, options: { readonly failedTask?: number } = {}): Promise<void> {
    const record: RunEndRecord = {
      type: 'runEnd',
      at: new Date().toISOString(),
      status,
      ...(options.failedTask === undefined ? {} : { failedTask: options.failedTask }),
    };
    let recorded: boolean;
    if (this.#incomplete) {
      recorded = await this.#endAfterFailure(record);
    } else {
      await this.#append(record, true);
      recorded = !this.#incomplete;
    }
    await this.close();
    // The run is over, recorded or not (docs/journal.md#a-journal-that-cannot-be-written): no recovery
    // may take it for a dead one, re-run its cleanups and send a false "Interrupted". Should this
    // unlink be lost to a crash after a recorded end, the next look for dead runs removes the marker.
    await unlink(runningMarker(this.path)).catch(() => {});
    if (recorded) await pruneFinishedRuns(this.keyDir, this.#keep).catch(() => {});
  }

  /**
   * A write failed earlier (a full disk, most often): the run's middle is lost, but its end may fit now
   * (a cleanup freed space). One try, on a line of its own after whatever half line the failure left.
   */
  async #endAfterFailure(record: RunEndRecord): Promise<boolean> {
    const handle = this.#handle;
    if (handle === null) return false;
    try {
      writeWhole(handle.fd, `\n${serialize(record)}`);
      await handle.datasync();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close().catch(() => {});
  }
}

/**
 * Creates this run's journal file in `keyDir` (made by `prepareKeyDirectory`) and durably writes its
 * `run` record: job id, key, this process's pid, start time, boot id and host, the start, and the task list.
 * Rejects with `ERR_JOURNAL` (the path and the reason) when that cannot be done: call it before the first
 * task, so an unwritable journal stops the run before anything ran. From then on nothing throws
 * (see {@link JournalWriter}).
 *
 * The file is `<keyDir>/<startedAt compact>-<jobId>.jsonl`, mode 0600, one JSON record a line
 * (docs/journal.md).
 *
 * @example
 * ```ts
 * const journal = await openJournal(keyDir, { jobId, key, startedAt, tasks }, { keep: 100, onWarning: warn })
 * await journal.taskStart(0, { pgid })
 * await journal.taskEnd(0, 'completed')
 * await journal.runEnd('completed')
 * ```
 */
export async function openJournal(keyDir: string, run: JournalRunInfo, options: OpenJournalOptions = {}): Promise<JournalWriter> {
  const path = join(keyDir, runFileName(run.startedAt, run.jobId));
  const record: RunRecord = {
    type: 'run',
    v: 1,
    jobId: run.jobId,
    key: run.key,
    ...currentProcess(),
    startedAt: run.startedAt,
    tasks: run.tasks.map((task) => ({
      index: task.index,
      name: task.name,
      phase: task.phase,
      type: task.type,
      runOnJobFailure: task.runOnJobFailure,
      ...(task.cleanupFor === undefined ? {} : { cleanupFor: task.cleanupFor }),
    })),
    ...(run.rehearsal === undefined ? {} : { rehearsal: run.rehearsal }),
  };
  let handle: FileHandle;
  try {
    // The marker first: a run file never exists without it, so a jobhooks killed at any point after
    // the file's creation leaves a run a recovery looks at (a marker without its file is passed over).
    await (await open(runningMarker(path), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE)).close();
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, FILE_MODE);
  } catch (error) {
    await unlink(runningMarker(path)).catch(() => {});
    throw journalError('create', path, error);
  }
  try {
    // The whole record or an error: a run record cut short by a full disk would be no run at all.
    await handle.writeFile(serialize(record));
    // Both flushes at once, each ended before the first task: the record's data, and the directory
    // with both names in it. The run is unfinished until its end removes the marker.
    const [synced, dirSynced] = await Promise.allSettled([handle.sync(), syncDirectory(keyDir)]);
    for (const settled of [synced, dirSynced]) if (settled.status === 'rejected') throw settled.reason;
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(runningMarker(path)).catch(() => {});
    await unlink(path).catch(() => {});
    throw journalError('write', path, error);
  }
  return new RunFileWriter(path, keyDir, handle, record.tasks, options);
}
