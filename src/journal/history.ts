import { unlink } from 'node:fs/promises';
import {
  keyDirectory,
  keyDirectoryNames,
  readRuns,
  removeSlots,
  removeStaleTemporaries,
  runFilesAmong,
  type JournalJobStatus,
  type JournalLocation,
  type JournalRecord,
  type JournalTask,
  type ParsedRun,
  type TaskEndRecord,
} from './files.js';
import type { RehearsalOutcome } from '../types.js';
import { isProcessAlive } from './liveness.js';
import { basename, join } from 'node:path';

/** One past run of a key, as `readHistory` returns it (plain JSON). */
export interface HistoryEntry {
  readonly jobId: string;
  /** The job status; an unfinished run is `running` while its owner lives, `interrupted` once it is dead. */
  readonly status: JournalJobStatus | 'running';
  readonly startedAt: string;
  /**
   * `null` while the run has no end record, and for an `interrupted` run: its end record is the
   * recovery's, written when the next run or `recover` found it, not when jobhooks died.
   */
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  /** The name of the task the failure is about (for `interrupted`: the one running when it died), or `null`. */
  readonly failedTask: string | null;
  /** That task's error as its end record keeps it (redacted, cut), or `null`. */
  readonly error: string | null;
  readonly pid: number;
  /** The borg archive a task of the run created (the last one recorded), or `null`. */
  readonly archive: string | null;
  /** The job id of the run that recovered this one, or `null`. */
  readonly recoveredBy: string | null;
  /** A rehearsal's task and outcome (`jobhooks rehearse`); `null` for a real run. */
  readonly rehearsal: { readonly task: string; readonly outcome: RehearsalOutcome } | null;
}

/** One task of a past run, with its times from the journal's `taskStart` and `taskEnd` records (docs/journal.md). */
export interface HistoryTask {
  readonly index: number;
  readonly name: string;
  readonly phase: JournalTask['phase'];
  /** How it ended; `running` without an end record (its run is still going, or died during it), `pending` when it never started. */
  readonly status: TaskEndRecord['status'] | 'running' | 'pending';
  /** Its first start record; `null` for a task that never started (a skipped one). */
  readonly startedAt: string | null;
  /** Its last end record after that start; `null` without one. */
  readonly finishedAt: string | null;
}

/** A past run with its tasks: what `jobhooks history --html` draws. */
export interface HistoryEntryWithTasks extends HistoryEntry {
  /** Every task of the run's plan, in order. */
  readonly tasks: readonly HistoryTask[];
}

/** Options of {@link readHistory}. */
export interface ReadHistoryOptions {
  /** At most this many entries, newest first. Default: all kept. */
  readonly limit?: number;
}

/**
 * The index of the task a failure is about: the run end's `failedTask`; for a run whose jobhooks died,
 * the task it was running, as its recovery will record it; else the first failed task.
 */
function failedTaskIndex(run: ParsedRun, dead: boolean): number | undefined {
  if (run.end?.failedTask !== undefined) return run.end.failedTask;
  // What the run's own jobhooks did: a recovery that died itself may have left records of its own.
  const own = ownRecords(run);
  const running = run.end === null && dead ? runningTasks(own).at(-1) : undefined;
  if (running !== undefined) return running;
  const failed = own.find((record) => record.type === 'taskEnd' && record.status === 'failed');
  return failed?.type === 'taskEnd' ? failed.index : undefined;
}

/** The records the run's own jobhooks wrote: without a recovery's (docs/journal.md, "Recovery claims"). */
export function ownRecords(run: ParsedRun): JournalRecord[] {
  return run.records.filter((record) => (record.type !== 'taskStart' && record.type !== 'taskEnd') || record.recovery !== true);
}

/** Indexes of the tasks that started and have no end record among `records`, in start order. */
export function runningTasks(records: readonly JournalRecord[]): number[] {
  const ended = new Set(records.flatMap((record) => (record.type === 'taskEnd' ? [record.index] : [])));
  const started = records.flatMap((record) => (record.type === 'taskStart' ? [record.index] : []));
  return [...new Set(started)].filter((index) => !ended.has(index));
}

function toEntry(run: ParsedRun): HistoryEntry {
  const dead = run.end === null && !isProcessAlive(run.run);
  const status = run.end?.status ?? (dead ? 'interrupted' : 'running');
  // An interrupted run's end record is its recovery's, maybe a day later: when it died is not known.
  const finishedAt = status === 'interrupted' ? null : (run.end?.at ?? null);
  const archive = run.records.findLast((record) => record.type === 'taskEnd' && record.archive !== undefined);
  const failed = failedTaskIndex(run, dead);
  const failedEnd = failed === undefined ? undefined : run.records.findLast((record) => record.type === 'taskEnd' && record.index === failed);
  return {
    jobId: run.run.jobId,
    status,
    startedAt: run.run.startedAt,
    finishedAt,
    durationMs: finishedAt === null ? null : Date.parse(finishedAt) - Date.parse(run.run.startedAt),
    failedTask: failed === undefined ? null : (run.run.tasks.find((task) => task.index === failed)?.name ?? null),
    error: failedEnd?.type === 'taskEnd' ? (failedEnd.error ?? null) : null,
    pid: run.run.pid,
    archive: archive?.type === 'taskEnd' ? (archive.archive ?? null) : null,
    recoveredBy: run.end?.recoveredBy?.jobId ?? null,
    rehearsal: rehearsalOf(run),
  };
}

/** The run record's rehearsal, when it is one this version writes (a damaged file's is none). */
function rehearsalOf(run: ParsedRun): HistoryEntry['rehearsal'] {
  const rehearsal: unknown = run.run.rehearsal;
  if (typeof rehearsal !== 'object' || rehearsal === null) return null;
  const { task, outcome } = rehearsal as { task?: unknown; outcome?: unknown };
  return typeof task === 'string' && (outcome === 'fail' || outcome === 'timeout' || outcome === 'cancel') ? { task, outcome } : null;
}

/**
 * The past runs of a journal key, newest first: what `jobhooks history` prints (docs/journal.md). A key
 * that never ran has an empty history; unreadable lines of a file (a crash in the middle of a write) are
 * left out.
 *
 * @example
 * ```ts
 * const [last] = await readHistory({ dir: '/var/lib/jobhooks', key: '/etc/jobhooks/nightly.yml' }, { limit: 1 })
 * last?.status // 'interrupted'
 * ```
 */
export async function readHistory(location: JournalLocation, options: ReadHistoryOptions = {}): Promise<HistoryEntry[]> {
  const runs = (await readRuns(keyDirectory(location))).reverse();
  const limited = options.limit === undefined ? runs : runs.slice(0, Math.max(0, options.limit));
  return limited.map(toEntry);
}

/** Each task of the plan with its start and end as the records say them. */
function historyTasks(run: ParsedRun): HistoryTask[] {
  return run.run.tasks.map((task) => {
    let startedAt: string | null = null;
    let end: TaskEndRecord | null = null;
    for (const record of run.records) {
      if (record.type === 'taskStart' && record.index === task.index) startedAt ??= record.at;
      if (record.type === 'taskEnd' && record.index === task.index) end = record;
    }
    const status = end?.status ?? (startedAt === null ? 'pending' : 'running');
    return { index: task.index, name: task.name, phase: task.phase, status, startedAt, finishedAt: end?.at ?? null };
  });
}

/**
 * {@link readHistory} with each run's tasks and their times, for a picture of the runs
 * (`jobhooks history --html`, docs/observability.md).
 *
 * @example
 * ```ts
 * const [last] = await readHistoryWithTasks({ dir: '/var/lib/jobhooks', key: 'nightly' }, { limit: 1 })
 * last?.tasks.map((task) => task.status) // ['completed', 'failed', 'skipped', 'completed']
 * ```
 */
export async function readHistoryWithTasks(location: JournalLocation, options: ReadHistoryOptions = {}): Promise<HistoryEntryWithTasks[]> {
  const runs = (await readRuns(keyDirectory(location))).reverse();
  const limited = options.limit === undefined ? runs : runs.slice(0, Math.max(0, options.limit));
  return limited.map((run) => ({ ...toEntry(run), tasks: historyTasks(run) }));
}

/**
 * Deletes the oldest finished runs of a key directory beyond `keep` (unfinished runs are never deleted:
 * they wait for recovery), and the temporary files a killed process left. Called by the journal when a
 * run ends. Resolves with the files deleted.
 */
export async function pruneFinishedRuns(keyDir: string, keep: number): Promise<string[]> {
  const names = await keyDirectoryNames(keyDir);
  // Finished runs are told apart by name (no `.running` marker): nothing is read.
  const finished = runFilesAmong(names, 'finished');
  const excess = finished.slice(0, Math.max(0, finished.length - Math.max(0, keep))).map((name) => join(keyDir, name));
  for (const file of excess) {
    await unlink(file).catch(() => {});
    await removeSlots(keyDir, `${basename(file)}.claim`).catch(() => {});
  }
  return [...excess, ...(await removeStaleTemporaries(keyDir, names))];
}
