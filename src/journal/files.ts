import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, JobHooksError } from '../errors.js';
import { makeDirectories } from '../make-directories.js';
import type { JobStatus, RehearsalOutcome, TaskStatus } from '../types.js';
import { isProcessAlive, type ProcessIdentity } from './liveness.js';

/** Where a journal lives and which job it is for: the `journal` option of docs/journal.md. */
export interface JournalLocation {
  /** The state directory; one subdirectory per key is made in it. */
  readonly dir: string;
  /** Names the job across runs (any string: it is hashed for the directory name). */
  readonly key: string;
}

/** A job status as the journal records it: a run's own statuses, plus `interrupted` for a recovered run. */
export type JournalJobStatus = Exclude<JobStatus, 'pending' | 'running'> | 'interrupted';

/** One task of a run, as the `run` record lists it. */
export interface JournalTask {
  readonly index: number;
  readonly name: string;
  readonly phase: 'pre' | 'main' | 'post' | 'notification';
  readonly type: string;
  readonly runOnJobFailure: boolean;
  /** The pre-hook name of a paired cleanup (docs/hooks.md). */
  readonly cleanupFor?: string;
}

/** The first record of a run file. */
export interface RunRecord extends ProcessIdentity {
  readonly type: 'run';
  readonly v: 1;
  readonly jobId: string;
  readonly key: string;
  readonly startedAt: string;
  readonly tasks: readonly JournalTask[];
  /** A rehearsal's (`jobhooks rehearse`, `run({ rehearse })`): the task rehearsed and how it ends. */
  readonly rehearsal?: { readonly task: string; readonly outcome: RehearsalOutcome };
}

export interface TaskStartRecord {
  readonly type: 'taskStart';
  readonly index: number;
  readonly at: string;
  /** The process group of the task's command, when the executor has one. */
  readonly pgid?: number;
  /** That group leader's start time (`/proc/<pgid>/stat` field 22), when it could be read. */
  readonly leaderStartTime?: number;
  /** Written by a recovery of the run (its cleanups), not by the run's own jobhooks. */
  readonly recovery?: true;
}

export interface TaskEndRecord {
  readonly type: 'taskEnd';
  readonly index: number;
  readonly at: string;
  readonly status: Exclude<TaskStatus, 'pending' | 'running'>;
  /** The borg archive the task created, if any. */
  readonly archive?: string;
  /** A failed task's error (already redacted, at most {@link TASK_ERROR_MAX_CHARS} characters), for history. */
  readonly error?: string;
  /** Written by a recovery of the run (its cleanups), not by the run's own jobhooks. */
  readonly recovery?: true;
}

/** How much of a failed task's error a `taskEnd` record keeps: enough for a tooltip, never an output dump. */
export const TASK_ERROR_MAX_CHARS = 300;

export interface RunEndRecord {
  readonly type: 'runEnd';
  readonly at: string;
  readonly status: JournalJobStatus;
  /** The index of the task the job's failure is about (the one that was running, for `interrupted`). */
  readonly failedTask?: number;
  /** The run that recovered this one. */
  readonly recoveredBy?: { readonly jobId: string; readonly pid: number };
}

export type JournalRecord = RunRecord | TaskStartRecord | TaskEndRecord | RunEndRecord;

/** File modes of docs/journal.md: only the owner reads the journal. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
export const LOCK_FILE = 'lock';
export const RUN_SUFFIX = '.jsonl';
/**
 * Beside a run file while its run is unfinished: `<run file>.running`, so that looking for dead runs
 * reads only those, not the `keep` finished ones (docs/journal.md, "Layout").
 */
export const RUNNING_SUFFIX = '.running';

/** The marker of an unfinished run. */
export function runningMarker(runFile: string): string {
  return `${runFile}${RUNNING_SUFFIX}`;
}

/**
 * The directory of one key: `<dir>/<first 32 hex digits of sha256(key)>`.
 *
 * @example
 * ```ts
 * keyDirectory({ dir: '/var/lib/jobhooks', key: '/etc/jobhooks/nightly.yml' })
 * ```
 */
export function keyDirectory(location: JournalLocation): string {
  return join(location.dir, createHash('sha256').update(location.key).digest('hex').slice(0, 32));
}

/** `2026-11-30T02:15:00.123Z` → `20261130T021500123Z`: sorts as the time does. */
function compactTime(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

/** The file name of a run: `<startedAt compact>-<jobId>.jsonl`, the id cut to safe characters. */
export function runFileName(startedAt: string, jobId: string): string {
  const safeId = jobId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  return `${compactTime(startedAt)}-${safeId}${RUN_SUFFIX}`;
}

/** `ENOTDIR: not a directory, mkdir '/x'`: Node's own message already begins with the code. */
export function osReason(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === undefined) return error instanceof Error ? error.message : String(error);
  return err.message.startsWith(`${err.code}:`) ? err.message : `${err.code}: ${err.message}`;
}

/** The ERR_JOURNAL error: the path and the operating system's reason. */
export function journalError(action: string, path: string, error: unknown): JobHooksError {
  // An error from a read through a file handle names no path (EISDIR on a `lock` that is a directory):
  // it gets the one it was about, which the CLI's one line names.
  const errno = error as NodeJS.ErrnoException | undefined;
  if (error instanceof Error && typeof errno?.code === 'string' && errno.path === undefined) errno.path = path;
  return new JobHooksError(ErrorCode.JOURNAL, `Cannot ${action} the journal at ${path} (${osReason(error)})`, { cause: error });
}

/**
 * Makes the key's directory (mode 0700, parents too); throws a `JobHooksError` `ERR_JOURNAL` with the
 * path and the reason otherwise. That the directory can be written is proven by the run lock, the
 * first file a run writes there, before any task (a probe file of its own cost 1–2 ms per run).
 */
export async function prepareKeyDirectory(location: JournalLocation): Promise<string> {
  const keyDir = keyDirectory(location);
  // A state directory others can write to is refused before anything is made in it (one that is not a
  // directory is left to the making, whose error says why).
  if ((await stat(location.dir).catch(() => null))?.isDirectory() === true) await assertPrivate(location.dir, keyDir);
  try {
    await makeDirectories(keyDir, DIR_MODE);
  } catch (error) {
    throw journalError('create', keyDir, error);
  }
  await assertPrivate(location.dir, keyDir);
  return keyDir;
}

/**
 * Refuses a journal that someone else could write to (docs/security.md#the-state-directory): what it
 * holds decides which process groups a recovery kills and which cleanups it runs, with this process's
 * rights. The state directory (followed, it may be a link an administrator made) and the key directory
 * (not followed: nobody else's link may stand in for it) must belong to this user (or root) and be
 * writable by nobody else. No check where there are no user ids (Windows).
 */
export async function assertPrivate(stateDir: string, keyDir: string): Promise<void> {
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  for (const [path, info] of [
    [stateDir, await stat(stateDir).catch(() => null)],
    [keyDir, await lstat(keyDir).catch(() => null)],
  ] as const) {
    if (info === null) continue;
    const why = !info.isDirectory()
      ? 'it is not a directory (a symbolic link?)'
      : info.uid !== uid && info.uid !== 0
        ? `it belongs to user ${info.uid}`
        : (info.mode & 0o022) !== 0
          ? `other users can write to it (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`
          : null;
    if (why !== null) {
      throw new JobHooksError(ErrorCode.JOURNAL, `Cannot use the journal at ${path} (${why}): it must be a directory of this user's that nobody else can write to, such as one made with mkdir -m 700`);
    }
  }
}

/** fsync of a directory, so a file created or removed in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `path` holding `content`, atomically and exclusively: the content is written (and, when
 * `durable`, fsync'ed) to a private temporary file first, then hard-linked to `path`, which fails with
 * `EEXIST` when `path` exists. A reader therefore never sees `path` half written: the page cache is the
 * same for every process, so the fsync matters only to what a power cut leaves behind. Resolves `true`
 * when created, `false` on `EEXIST`.
 */
export async function createExclusive(path: string, content: string, options: { readonly durable?: boolean } = {}): Promise<boolean> {
  const temporary = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    try {
      // The whole content or an error: a lock linked into place half written would read as no lock,
      // and be taken over while its owner runs.
      await handle.writeFile(content);
      if (options.durable ?? true) await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    // Whatever happened (a full disk refuses the write): no private file is left behind.
    await unlink(temporary).catch(() => {});
  }
}

/** The name {@link createExclusive} gives its temporary file: the path, the pid, 12 hex digits, `.tmp`. */
const TEMPORARY_NAME = /\.\d+-[0-9a-f]{12}\.tmp$/;

/**
 * How old a temporary file of {@link createExclusive} must be to be taken for one a killed process left
 * (it lives for the milliseconds of a write and an fsync; a process on another host may share the directory).
 */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * Removes the temporary files of {@link createExclusive} among a key directory's `names` that are over
 * {@link STALE_TEMPORARY_MS} old: a process killed between making one and removing it left it
 * (docs/journal.md, "Layout"). Resolves with the files removed.
 */
export async function removeStaleTemporaries(keyDir: string, names: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const staleBefore = Date.now() - STALE_TEMPORARY_MS;
  for (const name of names) {
    if (!TEMPORARY_NAME.test(name)) continue;
    const path = join(keyDir, name);
    try {
      const info = await lstat(path);
      if (!info.isFile() || info.mtimeMs >= staleBefore) continue;
      await unlink(path);
      removed.push(path);
    } catch {
      // Removed meanwhile, or not ours to remove: it stays.
    }
  }
  return removed;
}

/** The content of a file, or `null` when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Parses an identity written by {@link createExclusive}; `null` when it is not one. */
export function parseIdentity(text: string): (ProcessIdentity & Record<string, unknown>) | null {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return {
      ...value,
      pid: value.pid,
      host: value.host,
      startTime: typeof value.startTime === 'number' ? value.startTime : null,
      bootId: typeof value.bootId === 'string' ? value.bootId : null,
    };
  } catch {
    return null;
  }
}

/** What {@link takeSlot} found. */
export type SlotResult =
  | { readonly taken: true; readonly path: string }
  | { readonly taken: false; readonly holder: ProcessIdentity & Record<string, unknown> };

/**
 * Takes a slot that at most one live process holds: tries `<base>.0`, `<base>.1`, … with
 * {@link createExclusive}, going past a slot only when its holder is dead. Because each slot file is
 * created once, exclusively, and a later slot is tried only after the holder of every earlier one was
 * seen dead (and the dead stay dead), two live holders never exist at once. Slot files of dead holders
 * stay until the thing they guard is finished (their owner removes them all).
 */
export async function takeSlot(base: string, identity: ProcessIdentity & Record<string, unknown>): Promise<SlotResult> {
  const content = `${JSON.stringify(identity)}\n`;
  for (let slot = 0; ; slot += 1) {
    const path = `${base}.${slot}`;
    if (await createExclusive(path, content)) return { taken: true, path };
    const text = await readIfExists(path);
    // Removed meanwhile by whoever finished the thing it guarded: try it again.
    if (text === null) {
      slot -= 1;
      continue;
    }
    const holder = parseIdentity(text);
    if (holder !== null && isProcessAlive(holder)) return { taken: false, holder };
  }
}

/** Removes every slot file of `base` (`<base>.0`, `<base>.1`, …) in `dir`. */
export async function removeSlots(dir: string, baseName: string): Promise<void> {
  const pattern = new RegExp(`^${baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+$`);
  for (const name of await readdir(dir)) {
    if (pattern.test(name)) await unlink(join(dir, name)).catch(() => {});
  }
}

/** A run file, read: its records in order. A line that does not parse (a torn last line) is left out. */
export interface ParsedRun {
  readonly file: string;
  readonly run: RunRecord;
  readonly records: readonly JournalRecord[];
  readonly end: RunEndRecord | null;
  /** Whether the file ends with a newline (it does not after a crash in the middle of a write). */
  readonly endsWithNewline: boolean;
}

/** The statuses an end record may carry; an end with another is read as no end (a damaged file). */
const RUN_END_STATUSES: ReadonlySet<unknown> = new Set<JournalJobStatus>(['completed', 'completed_with_warnings', 'failed', 'cancelled', 'interrupted', 'skipped']);
const TASK_END_STATUSES: ReadonlySet<unknown> = new Set<TaskEndRecord['status']>(['completed', 'failed', 'skipped']);

/**
 * Parses a run file's text; `null` when it does not begin with a `run` record. A line that is not a
 * record, or an end record whose status is none jobhooks writes, is left out: what reads a journal
 * (history, its page, a recovery) gets only statuses it knows.
 */
export function parseRun(file: string, text: string): ParsedRun | null {
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as JournalRecord;
      if (record === null || typeof record !== 'object' || typeof record.type !== 'string') continue;
      if (record.type === 'runEnd' && !RUN_END_STATUSES.has(record.status)) continue;
      if (record.type === 'taskEnd' && !TASK_END_STATUSES.has(record.status)) continue;
      records.push(record);
    } catch {
      // A torn line: a crash in the middle of its write.
    }
  }
  const first = records[0];
  // A run record without its task list is no run this version can read (nor recover).
  if (first === undefined || first.type !== 'run' || !isTaskList(first.tasks)) return null;
  const end = records.findLast((record): record is RunEndRecord => record.type === 'runEnd') ?? null;
  return { file, run: first, records, end, endsWithNewline: text.endsWith('\n') };
}

/**
 * A run file's text, or `null` when it is gone or is not a regular file: a link is not followed and a
 * FIFO is not waited on (a damaged state directory must neither hang a run nor feed it /dev/zero).
 */
async function readRunFile(file: string): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return null;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function isTaskList(tasks: unknown): boolean {
  return Array.isArray(tasks) && tasks.every((task: unknown) => typeof task === 'object' && task !== null && Number.isSafeInteger((task as JournalTask).index) && typeof (task as JournalTask).name === 'string');
}

/** The names in a key directory; none when it does not exist. */
/** The names in a key directory; none when it does not exist. */
export async function keyDirectoryNames(keyDir: string): Promise<string[]> {
  try {
    return await readdir(keyDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The run files of a key directory, oldest first (the names sort by start time): all of them, or only
 * those of unfinished runs (`unfinished`: with a `.running` marker) or finished ones (without).
 */
export async function runFileNames(keyDir: string, which: 'all' | 'unfinished' | 'finished' = 'all'): Promise<string[]> {
  return runFilesAmong(await keyDirectoryNames(keyDir), which);
}

/** {@link runFileNames} among names already read from a key directory. */
export function runFilesAmong(names: readonly string[], which: 'all' | 'unfinished' | 'finished' = 'all'): string[] {
  const running = new Set(names.filter((name) => name.endsWith(RUNNING_SUFFIX)).map((name) => name.slice(0, -RUNNING_SUFFIX.length)));
  return names
    .filter((name) => name.endsWith(RUN_SUFFIX) && (which === 'all' || running.has(name) === (which === 'unfinished')))
    .sort();
}

/**
 * Run files of a key directory, parsed, oldest first: all, or only those of unfinished runs. The file
 * `except` (a path), if given, is left unread.
 */
export async function readRuns(keyDir: string, which: 'all' | 'unfinished' = 'all', except?: string, onUnreadable?: (file: string, text: string) => Promise<void>): Promise<ParsedRun[]> {
  const runs: ParsedRun[] = [];
  for (const name of await runFileNames(keyDir, which)) {
    const file = join(keyDir, name);
    if (file === except) continue;
    const text = await readRunFile(file);
    if (text === null) continue;
    const parsed = parseRun(file, text);
    if (parsed !== null) runs.push(parsed);
    else await onUnreadable?.(file, text);
  }
  return runs;
}
