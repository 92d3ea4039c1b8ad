import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { scanProcessesSync, stopTree } from '../executor/process-tree.js';

/**
 * Who holds something in the journal (a run, the run lock, a recovery claim): a process named so that a
 * reused pid is never taken for it (docs/journal.md).
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** `/proc/<pid>/stat` field 22 (clock ticks after boot); `null` where there is no `/proc`. */
  readonly startTime: number | null;
  /** `/proc/sys/kernel/random/boot_id`: a pid and start time from an earlier boot never match. */
  readonly bootId: string | null;
  readonly host: string;
}

/**
 * The start time of process `pid`: field 22 of `/proc/<pid>/stat`, in clock ticks after boot; `null` when
 * the process does not exist, is a zombie, or cannot be read (no `/proc`). The fields are counted after the
 * last `)`, because the command name before it may itself contain spaces and parentheses.
 *
 * @example
 * ```ts
 * processStartTime(process.pid) // 1234567
 * ```
 */
export function processStartTime(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const fields = statFields(String(pid));
  const state = fields?.[0];
  if (fields === null || state === 'Z' || state === 'X') return null;
  // Field 22 (starttime) is index 19.
  const startTime = Number(fields[19]);
  return Number.isSafeInteger(startTime) ? startTime : null;
}

/**
 * The fields of `/proc/<pid>/stat` from field 3 (the state) on, or `null` when it cannot be read: counted
 * after the last `)`, because the command name before it may itself contain spaces and parentheses.
 */
function statFields(pid: string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** This process's process group and session ids (fields 5 and 6); none without /proc. */
function ownGroups(): number[] {
  const fields = statFields('self');
  return fields === null ? [] : [Number(fields[2]), Number(fields[3])];
}

let bootIdCache: string | null | undefined;

/** This boot's id (`/proc/sys/kernel/random/boot_id`), or `null` where there is none. */
export function bootId(): string | null {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache;
}

let ownStartTime: number | null | undefined;

/** The identity of this process, for the run record, the lock and claims. Its start time is read once. */
export function currentProcess(): ProcessIdentity {
  if (ownStartTime === undefined) ownStartTime = processStartTime(process.pid);
  return { pid: process.pid, startTime: ownStartTime, bootId: bootId(), host: hostname() };
}

/**
 * Whether the process `identity` names is still running: `true` iff a process with that pid exists now,
 * on this boot, with the recorded start time. A pid reused by another process is not the owner.
 *
 * An identity from another host cannot be checked from here: it counts as alive (so a journal on a shared
 * disk is never "recovered" from under a run on another machine). An identity without a start time (no
 * `/proc` when it was written) counts as alive while its pid exists.
 *
 * @example
 * ```ts
 * if (!isProcessAlive(run.owner)) recover(run)
 * ```
 */
export function isProcessAlive(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return true;
  const current = bootId();
  if (identity.bootId !== null && current !== null && identity.bootId !== current) return false;
  if (identity.startTime === null) {
    try {
      process.kill(identity.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return processStartTime(identity.pid) === identity.startTime;
}

/** Why {@link recordedGroupAlive} decided as it did. */
export type RecordedGroupState =
  /** The leader runs, with the recorded start time: the group is the recorded one. */
  | 'leader'
  /** The leader is gone, but processes of its group or session are alive: they are the recorded ones. */
  | 'members'
  /** Nothing of the group is alive. */
  | 'gone'
  /** A process with the leader's pid runs but with another start time (or none was recorded): not ours. */
  | 'reused';

/**
 * Whether the process group recorded as `pgid` (led by a process started at `leaderStartTime`) still has
 * live processes that are provably the recorded ones.
 *
 * - The leader runs with the recorded start time: `leader`.
 * - The leader's pid is not in use: its live group or session members (the executor makes each command
 *   lead its own session) are the recorded ones, because Linux never hands out a pid that is still in use
 *   as a process group or session id; so no new process can have this group id while one of them lives:
 *   `members`.
 * - The leader's pid runs with another start time, or no start time was recorded: `reused`, never killed.
 *
 * @example
 * ```ts
 * recordedGroupAlive(4242, 987654) // 'members'
 * ```
 */
export function recordedGroupAlive(pgid: number, leaderStartTime: number | null): RecordedGroupState {
  // Never a group no command of a run can have had: none, init's, every process's (kill(-1)), or this
  // process's own group or session (a damaged journal must not make a recovery signal itself).
  if (!Number.isSafeInteger(pgid) || pgid <= 1 || ownGroups().includes(pgid)) return 'reused';
  const now = processStartTime(pgid);
  if (now !== null) return leaderStartTime !== null && now === leaderStartTime ? 'leader' : 'reused';
  const { processes } = scanProcessesSync();
  return processes.some((entry) => entry.pgid === pgid || entry.sid === pgid) ? 'members' : 'gone';
}

/**
 * Stops what is left of a recorded process group: SIGTERM, then SIGKILL after `killGraceMs` if anything is
 * still alive, only while {@link recordedGroupAlive} says it is the recorded group. Resolves with the state
 * found first (`gone` and `reused`: nothing was signalled).
 *
 * @example
 * ```ts
 * await killRecordedGroup(task.pgid, task.leaderStartTime, 10_000)
 * ```
 */
export async function killRecordedGroup(
  pgid: number,
  leaderStartTime: number | null,
  killGraceMs: number,
): Promise<RecordedGroupState> {
  const state = recordedGroupAlive(pgid, leaderStartTime);
  if (state === 'gone' || state === 'reused') return state;
  await stopTree(pgid, 'SIGTERM', process.platform);
  const deadline = performance.now() + killGraceMs;
  while (performance.now() < deadline) {
    const now = recordedGroupAlive(pgid, leaderStartTime);
    if (now === 'gone' || now === 'reused') return state;
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - performance.now()))));
  }
  if (recordedGroupAlive(pgid, leaderStartTime) !== 'reused') await stopTree(pgid, 'SIGKILL', process.platform);
  return state;
}
