import { DEFAULTS } from '../defaults.js';
import { constants, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FILE_MODE,
  journalError,
  osReason,
  runFileName,
  syncDirectory,
  TASK_ERROR_MAX_CHARS,
  type JournalJobStatus,
  type JournalRecord,
  type JournalTask,
  type RunRecord,
  type TaskEndRecord,
} from './files.js';
import { pruneFinishedRuns } from './history.js';
import { currentProcess, processStartTime } from './liveness.js';

/** Default of `journal.keep`: finished runs kept per key. */
export const DEFAULT_KEEP = DEFAULTS.journalKeep;

/** What a run tells the journal when it opens it. Names and indexes only: never env, secrets or output. */
export interface JournalRunInfo {
  readonly jobId: string;
  readonly key: string;
  /** ISO time; the file name begins with it. */
  readonly startedAt: string;
  readonly tasks: readonly JournalTask[];
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
 * `kill -9` of this process: the kernel holds it) and starts an fdatasync that overlaps what follows
 * instead of delaying it; syncs run one after another, and `runEnd`/`flush` await the last one
 * (docs/journal.md, "What survives what"). None rejects: after
 * the first failed write (ENOSPC, EIO, …) the journal warns once, writes nothing more, and
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
  /** Resolves when every record written so far is on disk (its fdatasync ended). Never rejects. */
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

class RunFileWriter implements JournalWriter {
  readonly path: string;
  readonly keyDir: string;
  #handle: FileHandle | null;
  #incomplete = false;
  readonly #keep: number;
  readonly #onWarning: ((message: string) => void) | undefined;

  constructor(path: string, keyDir: string, handle: FileHandle, options: OpenJournalOptions) {
    this.path = path;
    this.keyDir = keyDir;
    this.#handle = handle;
    this.#keep = options.keep ?? DEFAULT_KEEP;
    this.#onWarning = options.onWarning;
  }

  get incomplete(): boolean {
    return this.#incomplete;
  }

  /** The fdatasync in flight (or chained), covering every record written before it started. */
  #syncing: Promise<void> = Promise.resolve();
  /** A record was written after the last sync started: another sync is due. */
  #dirty = false;
  #syncQueued = false;

  /**
   * Writes the record at once (synchronously: nothing else of this process runs before it is in the
   * kernel), then makes sure an fdatasync follows. Syncs never overlap each other: records written while
   * one runs are covered by the next, so under a burst of records one sync covers many.
   */
  #append(record: JournalRecord): Promise<void> {
    const handle = this.#handle;
    if (handle === null || this.#incomplete) return Promise.resolve();
    try {
      writeSync(handle.fd, serialize(record));
    } catch (error) {
      this.#fail(error);
      return Promise.resolve();
    }
    this.#dirty = true;
    if (!this.#syncQueued) {
      this.#syncQueued = true;
      this.#syncing = this.#syncing.then(async () => {
        this.#syncQueued = false;
        if (!this.#dirty || this.#handle === null || this.#incomplete) return;
        this.#dirty = false;
        // fdatasync: the data and the size that reaches it; timestamps are not worth a journal commit.
        await handle.datasync().catch((error: unknown) => this.#fail(error));
      });
    }
    return Promise.resolve();
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
    // A sync queued while this one ran is chained onto #syncing: wait until nothing is left.
    for (let pending = this.#syncing; ; pending = this.#syncing) {
      await pending;
      if (pending === this.#syncing) return;
    }
  }

  taskStart(index: number, options: { readonly pgid?: number } = {}): Promise<void> {
    const pgid = options.pgid;
    const leaderStartTime = pgid === undefined ? null : processStartTime(pgid);
    return this.#append({
      type: 'taskStart',
      index,
      at: new Date().toISOString(),
      ...(pgid === undefined ? {} : { pgid }),
      ...(leaderStartTime === null ? {} : { leaderStartTime }),
    });
  }

  taskEnd(index: number, status: TaskEndRecord['status'], options: TaskEndOptions = {}): Promise<void> {
    return this.#append(taskEndRecord(index, status, options));
  }

  async runEnd(status: JournalJobStatus, options: { readonly failedTask?: number } = {}): Promise<void> {
    await this.#append({
      type: 'runEnd',
      at: new Date().toISOString(),
      status,
      ...(options.failedTask === undefined ? {} : { failedTask: options.failedTask }),
    });
    await this.close();
    if (!this.#incomplete) await pruneFinishedRuns(this.keyDir, this.#keep).catch(() => {});
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
  };
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, FILE_MODE);
  } catch (error) {
    throw journalError('create', path, error);
  }
  try {
    await handle.write(serialize(record));
    await handle.sync();
    await syncDirectory(keyDir);
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw journalError('write', path, error);
  }
  return new RunFileWriter(path, keyDir, handle, options);
}
