import { unlink } from 'node:fs/promises';
import { keyDirectory, readRuns, removeSlots, type JournalLocation, type JournalJobStatus, type ParsedRun } from './files.js';
import { isProcessAlive } from './liveness.js';
import { basename, dirname } from 'node:path';

/** One past run of a key, as `readHistory` returns it (plain JSON). */
export interface HistoryEntry {
  readonly jobId: string;
  /** The job status; an unfinished run is `running` while its owner lives, `interrupted` once it is dead. */
  readonly status: JournalJobStatus | 'running';
  readonly startedAt: string;
  /** `null` while the run has no end record. */
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  /** The name of the task the failure is about (for `interrupted`: the one running when it died), or `null`. */
  readonly failedTask: string | null;
  readonly pid: number;
  /** The borg archive a task of the run created (the last one recorded), or `null`. */
  readonly archive: string | null;
  /** The job id of the run that recovered this one, or `null`. */
  readonly recoveredBy: string | null;
}

/** Options of {@link readHistory}. */
export interface ReadHistoryOptions {
  /** At most this many entries, newest first. Default: all kept. */
  readonly limit?: number;
}

/** The name of the task a failure is about: the run end's `failedTask`, else the first failed task, else the running one. */
function failedTaskName(run: ParsedRun, dead: boolean): string | null {
  const name = (index: number | undefined): string | null =>
    index === undefined ? null : (run.run.tasks.find((task) => task.index === index)?.name ?? null);
  if (run.end?.failedTask !== undefined) return name(run.end.failedTask);
  const failed = run.records.find((record) => record.type === 'taskEnd' && record.status === 'failed');
  if (failed !== undefined && failed.type === 'taskEnd') return name(failed.index);
  if (run.end === null && dead) return name(runningTasks(run).at(-1));
  return null;
}

/** Indexes of the tasks that started and have no end record, in start order. */
export function runningTasks(run: ParsedRun): number[] {
  const ended = new Set(run.records.flatMap((record) => (record.type === 'taskEnd' ? [record.index] : [])));
  const started = run.records.flatMap((record) => (record.type === 'taskStart' ? [record.index] : []));
  return [...new Set(started)].filter((index) => !ended.has(index));
}

function toEntry(run: ParsedRun): HistoryEntry {
  const dead = run.end === null && !isProcessAlive(run.run);
  const status = run.end?.status ?? (dead ? 'interrupted' : 'running');
  const finishedAt = run.end?.at ?? null;
  const archive = run.records.findLast((record) => record.type === 'taskEnd' && record.archive !== undefined);
  return {
    jobId: run.run.jobId,
    status,
    startedAt: run.run.startedAt,
    finishedAt,
    durationMs: finishedAt === null ? null : Date.parse(finishedAt) - Date.parse(run.run.startedAt),
    failedTask: failedTaskName(run, dead),
    pid: run.run.pid,
    archive: archive?.type === 'taskEnd' ? (archive.archive ?? null) : null,
    recoveredBy: run.end?.recoveredBy?.jobId ?? null,
  };
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

/**
 * Deletes the oldest finished runs of a key directory beyond `keep` (unfinished runs are never deleted:
 * they wait for recovery). Called by the journal when a run ends. Resolves with the files deleted.
 */
export async function pruneFinishedRuns(keyDir: string, keep: number): Promise<string[]> {
  const finished = (await readRuns(keyDir)).filter((run) => run.end !== null);
  const excess = finished.slice(0, Math.max(0, finished.length - Math.max(0, keep)));
  for (const run of excess) {
    await unlink(run.file).catch(() => {});
    await removeSlots(dirname(run.file), `${basename(run.file)}.claim`).catch(() => {});
  }
  return excess.map((run) => run.file);
}
