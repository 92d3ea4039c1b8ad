import { constants } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  parseRun,
  readIfExists,
  readRuns,
  removeSlots,
  runningMarker,
  takeSlot,
  type JournalRecord,
  type JournalTask,
  type ParsedRun,
  type TaskEndRecord,
} from './files.js';
import { ownRecords, runningTasks } from './history.js';
import { currentProcess, isProcessAlive, processStartTime, type ProcessIdentity } from './liveness.js';
import { serialize, taskEndRecord, type TaskEndOptions } from './writer.js';
import { sleep } from '../executor/timers.js';

/** A task of a dead run that had started and not ended when its owner died. */
export interface DeadRunTask extends JournalTask {
  /** Its command's process group, when the executor had one. */
  readonly pgid: number | null;
  /** That group leader's start time, when it was recorded. */
  readonly leaderStartTime: number | null;
}

/** An unfinished run (no `runEnd`) whose owner is gone: what {@link findDeadRuns} returns. */
export interface DeadRun {
  /** Its journal file. */
  readonly file: string;
  readonly jobId: string;
  readonly key: string;
  readonly owner: ProcessIdentity;
  readonly startedAt: string;
  readonly tasks: readonly JournalTask[];
  /** Indexes of the tasks that had started, in order. */
  readonly started: readonly number[];
  /** The tasks that had ended, with their status, in order; `recovery`: ended by a recovery that died itself. */
  readonly ended: readonly { readonly index: number; readonly status: TaskEndRecord['status']; readonly recovery: boolean }[];
  /**
   * The tasks that had started and not ended, by the owner or by a recovery that died itself: each
   * may have left a process group.
   */
  readonly running: readonly DeadRunTask[];
  /**
   * The task its owner was running when it died, from the owner's own records (not a recovery's);
   * when it died between tasks, the next one; `null` when it had ended every task.
   */
  readonly diedDuring: JournalTask | null;
}

function toDeadRun(run: ParsedRun): DeadRun {
  const { jobId, key, pid, startTime, bootId, host, startedAt, tasks } = run.run;
  const starts = run.records.filter((record): record is Extract<JournalRecord, { type: 'taskStart' }> => record.type === 'taskStart');
  const running = runningTasks(run.records).flatMap((index): DeadRunTask[] => {
    const task = tasks.find((candidate) => candidate.index === index);
    const start = starts.findLast((record) => record.index === index);
    if (task === undefined) return [];
    return [{ ...task, pgid: start?.pgid ?? null, leaderStartTime: start?.leaderStartTime ?? null }];
  });
  return {
    file: run.file,
    jobId,
    key,
    owner: { pid, startTime, bootId, host },
    startedAt,
    tasks,
    started: [...new Set(starts.map((record) => record.index))],
    ended: run.records.flatMap((record) => (record.type === 'taskEnd' ? [{ index: record.index, status: record.status, recovery: record.recovery === true }] : [])),
    running,
    diedDuring: diedDuring(run, tasks),
  };
}

function diedDuring(run: ParsedRun, tasks: readonly JournalTask[]): JournalTask | null {
  const own = ownRecords(run);
  const index = runningTasks(own).at(-1);
  if (index !== undefined) return tasks.find((task) => task.index === index) ?? null;
  const ended = new Set(own.flatMap((record) => (record.type === 'taskEnd' ? [record.index] : [])));
  return tasks.find((task) => !ended.has(task.index)) ?? null;
}

/** Options of {@link findDeadRuns}. */
export interface FindDeadRunsOptions {
  /**
   * The run file of the run that is looking (`JournalWriter.path`): alive by definition, so it is not
   * read. A run's own file is the newest and often the only unfinished one; reading it back costs
   * every run about a millisecond (docs/performance.md).
   */
  readonly except?: string;
  /**
   * Told of an unfinished run whose file does not begin with a readable run record (a damaged file:
   * cut short, overwritten): it cannot be recovered, so its cleanups cannot run. Its marker is left,
   * so that every later look says it again until someone has looked (docs/journal.md).
   */
  readonly onDamaged?: (file: string) => void;
}

/**
 * How long a run file without its run record may be one whose first write is under way: a run writes
 * and flushes that record as soon as it has made the file, before its first task.
 */
const FIRST_WRITE_MS = 10_000;

/**
 * The unfinished runs of a key directory whose owner is gone (no process with the recorded pid, or one
 * with another start time, or another boot), oldest first, each with what was running and which tasks had
 * started and ended — including those a recovery that died itself had already run. A run owned by a live
 * process (this one included) is not returned; nor is one from another host.
 *
 * @example
 * ```ts
 * for (const dead of await findDeadRuns(keyDir)) { const claim = await claimDeadRun(dead, { jobId }); ... }
 * ```
 */
export async function findDeadRuns(keyDir: string, options: FindDeadRunsOptions = {}): Promise<DeadRun[]> {
  const dead: DeadRun[] = [];
  // Only the runs with a `.running` marker: the finished ones are never read here.
  const unreadable = async (file: string, text: string): Promise<void> => {
    const changed = await stat(file).then((stats) => stats.mtimeMs, () => null);
    if (changed === null || Date.now() - changed < FIRST_WRITE_MS) return;
    // A run killed between making its file and writing its record ran nothing: nothing to recover.
    if (text.trim() === '') await unlink(runningMarker(file)).catch(() => {});
    else options.onDamaged?.(file);
  };
  for (const run of await readRuns(keyDir, 'unfinished', options.except, unreadable)) {
    // Its end was written, but its owner died before removing the marker: finished after all.
    if (run.end !== null) await unlink(runningMarker(run.file)).catch(() => {});
    else if (!isProcessAlive(run.run)) dead.push(toDeadRun(run));
  }
  return dead;
}

/** Who recovers a dead run: the job id of the run (or `recover`) doing it; the process is this one. */
export interface Claimant {
  readonly jobId: string;
}

/**
 * The right to recover one dead run, held by this process alone. Its methods append to the dead run's own
 * file (fsync'ed), so a recovery that dies itself leaves a record of what it already did.
 */
export interface DeadRunClaim {
  readonly run: DeadRun;
  /** The claim file. */
  readonly path: string;
  /** Records that a cleanup of the dead run starts now. */
  taskStart(index: number, options?: { readonly pgid?: number }): Promise<void>;
  /** Records that a cleanup of the dead run ended. */
  taskEnd(index: number, status: TaskEndRecord['status'], options?: TaskEndOptions): Promise<void>;
  /**
   * Marks the run finished with `status` (default `interrupted`), naming the task that was running as the
   * failed one and this claimant as `recoveredBy`, then removes the claim files.
   */
  finish(status?: 'interrupted'): Promise<void>;
  /** Gives the claim up without finishing (another recovery may then claim the run). */
  release(): Promise<void>;
}

/**
 * {@link claimDeadRun}, waiting while another live process holds the claim (its recovery is under
 * way): resolves `null` once that one has finished the run, or the claim once its holder died without
 * finishing it. What a run does before its first task, so that it never starts beside another
 * process's cleanups of the same key (docs/journal.md); `signal` ends the wait (rejecting with its reason).
 */
export async function claimDeadRunWhenFree(run: DeadRun, claimant: Claimant, options: { readonly signal?: AbortSignal; readonly pollMs?: number } = {}): Promise<DeadRunClaim | null> {
  for (;;) {
    const claim = await claimDeadRun(run, claimant);
    if (claim !== null) return claim;
    const text = await readIfExists(run.file);
    if (text === null || parseRun(run.file, text)?.end != null) return null;
    await sleep(options.pollMs ?? 100, options.signal);
  }
}

async function appendDurably(file: string, line: string): Promise<void> {
  // Not through a link: a recovery appends only to the run file itself.
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  try {
    // The whole line or an error (a full disk may take part of it).
    await handle.writeFile(line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Claims a dead run for recovery, exactly once across processes: the claim is the exclusive creation of
 * `<run file>.claim.<n>` (see docs/journal.md), re-checked against the run file afterwards. Resolves
 * `null` when a live process holds the claim, or the run was finished meanwhile (another recovery did it).
 * A claim whose holder died is claimable again (same liveness rule as owners); the new claimant sees in
 * `run.ended` the cleanups the dead one finished.
 *
 * Rejects (with the file system's error) only when the journal cannot be written.
 *
 * @example
 * ```ts
 * const claim = await claimDeadRun(dead, { jobId })
 * if (claim !== null) { ...kill groups, run cleanups...; await claim.finish('interrupted') }
 * ```
 */
export async function claimDeadRun(run: DeadRun, claimant: Claimant): Promise<DeadRunClaim | null> {
  const dir = dirname(run.file);
  const baseName = `${basename(run.file)}.claim`;
  const slot = await takeSlot(`${run.file}.claim`, { ...currentProcess(), jobId: claimant.jobId });
  if (!slot.taken) return null;
  // What the run file says now, under the claim: a recovery that finished before we claimed, or cleanups
  // that a recovery which died had already done.
  const text = await readIfExists(run.file);
  const parsed = text === null ? null : parseRun(run.file, text);
  if (parsed === null || parsed.end !== null) {
    if (parsed !== null) await unlink(runningMarker(run.file)).catch(() => {});
    await removeSlots(dir, baseName).catch(() => {});
    return null;
  }
  // A torn last line would swallow the next record: end it first.
  if (!parsed.endsWithNewline) await appendDurably(run.file, '\n');
  const current = toDeadRun(parsed);
  let held = true;
  const append = async (record: JournalRecord): Promise<void> => appendDurably(run.file, serialize(record));
  return {
    run: current,
    path: slot.path,
    taskStart: async (index, options = {}) => {
      const pgid = options.pgid;
      const leaderStartTime = pgid === undefined ? null : processStartTime(pgid);
      await append({
        type: 'taskStart',
        index,
        at: new Date().toISOString(),
        ...(pgid === undefined ? {} : { pgid }),
        ...(leaderStartTime === null ? {} : { leaderStartTime }),
        recovery: true,
      });
    },
    taskEnd: async (index, status, options) => append({ ...taskEndRecord(index, status, options), recovery: true }),
    finish: async (status = 'interrupted') => {
      if (!held) return;
      // The task the owner was running (not a cleanup of a recovery that died itself); between tasks,
      // unless a task of its own had failed (history names that one), the next it would have run, as
      // the recovery's message does.
      const own = ownRecords(parsed);
      const ownFailure = own.some((record) => record.type === 'taskEnd' && record.status === 'failed');
      const failed = runningTasks(own).at(-1) ?? (ownFailure ? undefined : current.diedDuring?.index);
      await append({
        type: 'runEnd',
        at: new Date().toISOString(),
        status,
        ...(failed === undefined ? {} : { failedTask: failed }),
        recoveredBy: { jobId: claimant.jobId, pid: process.pid },
      });
      held = false;
      await unlink(runningMarker(run.file)).catch(() => {});
      await removeSlots(dir, baseName);
    },
    release: async () => {
      if (!held) return;
      held = false;
      await removeSlots(dir, baseName).catch(() => {});
    },
  };
}
