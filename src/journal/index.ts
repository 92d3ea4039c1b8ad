/**
 * The crash-safe run journal: files, liveness, the run lock, recovery claims and history
 * (docs/journal.md, "The journal on disk").
 *
 * How a run uses it (each call is one step of the run loop; every error named is a `JobHooksError`):
 *
 * ```ts
 * // 1. Before anything runs. ERR_JOURNAL: the directory cannot be made (CLI exit 73).
 * const keyDir = await prepareKeyDirectory({ dir, key })
 * // 2. One run at a time. ERR_ALREADY_RUNNING (CLI exit 75) after waiting up to lockWait; ERR_JOURNAL
 * //    (exit 73) when the directory cannot be written: the lock is the first file a run writes there.
 * //    Without a startedAt the lock records when it took the key: the run's start.
 * const lock = await acquireRunLock(keyDir, { ...currentProcess(), jobId }, { waitMs, signal })
 * try {
 *   // 3. This run's file, still before any task. ERR_JOURNAL as in 1.
 *   const { startedAt } = lock.owner
 *   const journal = await openJournal(keyDir, { jobId, key, startedAt, tasks }, { keep, onWarning })
 *   // 4. Recovery of dead runs of the key (docs/journal.md): exactly once per dead run.
 *   for (const dead of await findDeadRuns(keyDir)) {
 *     const claim = await claimDeadRun(dead, { jobId })
 *     if (claim === null) continue                      // another recovery has it, or finished it
 *     for (const task of claim.run.running)             // the orphaned groups
 *       if (task.pgid !== null) await killRecordedGroup(task.pgid, task.leaderStartTime, killGraceMs)
 *     // cleanups not in claim.run.ended: claim.taskStart(i, { pgid }) … claim.taskEnd(i, status)
 *     // notification "Interrupted", then:
 *     await claim.finish('interrupted')
 *   }
 *   // 5. For each task: journal.taskStart(index, { pgid }) as soon as the executor knows the group
 *   //    (before the command for tasks without one), journal.taskEnd(index, status, { archive }) after
 *   //    it ended, for skipped tasks too.
 *   // 6. After the notification: journal.runEnd(result.status, { failedTask: result.failure?.taskIndex })
 *   //    (prunes to `keep` finished runs). journal.incomplete → the result says the journal is incomplete.
 * } finally {
 *   await lock.release()
 * }
 * ```
 *
 * `readHistory({ dir, key }, { limit })` needs no lock.
 *
 * @packageDocumentation
 */
export {
  keyDirectory,
  prepareKeyDirectory,
  runFileName,
  type JournalJobStatus,
  type JournalLocation,
  type JournalRecord,
  type JournalTask,
  type RunEndRecord,
  type RunRecord,
  type TaskEndRecord,
  type TaskStartRecord,
} from './files.js';
export {
  pruneFinishedRuns,
  readHistory,
  readHistoryWithTasks,
  type HistoryEntry,
  type HistoryEntryWithTasks,
  type HistoryTask,
  type ReadHistoryOptions,
} from './history.js';
export {
  bootId,
  currentProcess,
  isProcessAlive,
  killRecordedGroup,
  processStartTime,
  recordedGroupAlive,
  type ProcessIdentity,
  type RecordedGroupState,
} from './liveness.js';
export { acquireRunLock, AlreadyRunningError, type AcquireRunLockOptions, type LockOwner, type RunLock } from './lock.js';
export {
  claimDeadRun,
  findDeadRuns,
  type Claimant,
  type DeadRun,
  type DeadRunClaim,
  type DeadRunTask,
  type FindDeadRunsOptions,
} from './recovery.js';
export { DEFAULT_KEEP, openJournal, SYNC_INTERVAL_MS, type JournalRunInfo, type JournalWriter, type OpenJournalOptions } from './writer.js';
