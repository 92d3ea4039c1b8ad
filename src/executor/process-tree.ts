import { spawn } from 'node:child_process';
import { close, open, read, readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** The two signals a command's tree is stopped with: first a request, then a kill. */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

/**
 * Sends `signal` to the process group of the command whose main process is `pid`; returns `false` when
 * nothing was left to signal.
 *
 * - POSIX: the command leads its own process group (spawned with `detached: true`), so the signal goes to
 *   `-pid`, every process in the group, grandchildren included, even after the main process has exited.
 *   Processes that moved to another group of the command's session are reached by {@link signalSession}.
 * - Windows: there are no process groups and no SIGTERM for console programs, so both signals run
 *   `taskkill /pid <pid> /T /F`, which ends the tree of a process that is still running (children whose
 *   parent already exited cannot be found: Windows keeps no tree for them).
 *
 * Never throws: a process that is already gone is the outcome we wanted.
 *
 * @example
 * ```ts
 * signalTree(child.pid, 'SIGTERM', process.platform)
 * ```
 */
export function signalTree(pid: number, signal: StopSignal, platform: NodeJS.Platform): boolean {
  if (platform === 'win32') {
    try {
      const taskkill = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
      taskkill.on('error', () => {
        // taskkill missing or failing leaves nothing better to try.
      });
    } catch {
      return false;
    }
    return true;
  }
  return signalGroup(pid, signal);
}

function signalGroup(pgid: number, signal: StopSignal | 0): boolean {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    // EPERM: someone in the group is not ours to signal (e.g. a setuid program); it is still there.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (signal === 'SIGTERM') {
    // A stopped process (SIGSTOP, a shell's Ctrl-Z) keeps a SIGTERM pending until it runs again: it is
    // continued, as systemd does, so its handler runs within the grace (docs/executor.md).
    try {
      process.kill(-pgid, 'SIGCONT');
    } catch {
      // Gone since the SIGTERM.
    }
  }
  return true;
}

/** A live process (not a zombie) as `/proc/N/stat` shows it. */
export interface ProcessEntry {
  readonly pid: number;
  /** Its process group. */
  readonly pgid: number;
  /** Its session: the pid of the session's leader. */
  readonly sid: number;
}

/** One look at every process of the system. */
export interface ProcessSnapshot {
  /** The live processes that could be read. */
  readonly processes: readonly ProcessEntry[];
  /**
   * `false` when some entry could not be read for another reason than the process being gone (out of
   * file descriptors, EMFILE/ENFILE): a process missing from `processes` may then still be alive.
   */
  readonly complete: boolean;
}

/** How many `/proc/N/stat` files one scan has open at once. */
const SCAN_CONCURRENCY = 16;

/** The process is gone (or was never readable as a process): not an error of the scan. */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Parses `/proc/N/stat`; `null` for a zombie (`Z`) or dead (`X`) process. */
function parseStat(pid: number, stat: string): ProcessEntry | null {
  // Fields after the command name, which is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return null;
  return { pid, pgid: Number(fields[2]), sid: Number(fields[3]) };
}

/** The fields read from `/proc/N/stat` end well within this (the command name is at most 16 bytes). */
const STAT_READ_BYTES = 512;

/**
 * Reads the start of `/proc/N/stat` with one open, one read and one close: a third of what `readFile`
 * costs (no fstat, no growing buffer, no FileHandle), which is most of a scan's time.
 */
function readStat(pid: number): Promise<string> {
  return new Promise((resolve, reject) => {
    open(`/proc/${pid}/stat`, 'r', (openError, fd) => {
      if (openError !== null) {
        reject(openError);
        return;
      }
      const buffer = Buffer.allocUnsafe(STAT_READ_BYTES);
      read(fd, buffer, 0, STAT_READ_BYTES, 0, (readError, bytesRead) => {
        close(fd, () => {
          if (readError !== null) reject(readError);
          else resolve(buffer.toString('latin1', 0, bytesRead));
        });
      });
    });
  });
}

function pidsIn(entries: readonly string[]): number[] {
  return entries.filter((name) => /^\d+$/.test(name)).map(Number);
}

async function scanNow(): Promise<ProcessSnapshot> {
  let pids: number[];
  try {
    pids = pidsIn(await readdir('/proc'));
  } catch {
    return { processes: [], complete: false };
  }
  const processes: ProcessEntry[] = [];
  let complete = true;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pids.length) {
      const pid = pids[next] ?? 0;
      next += 1;
      try {
        const entry = parseStat(pid, await readStat(pid));
        if (entry !== null) processes.push(entry);
      } catch (error) {
        if (!isGone(error)) complete = false;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, pids.length) }, worker));
  return { processes, complete };
}

/** The scan that callers who asked since the last one started will all share. */
let nextScan: { readonly promise: Promise<ProcessSnapshot>; readonly start: () => void } | null = null;
let scanning = false;

function startNextScan(): void {
  const scan = nextScan;
  if (scanning || scan === null) return;
  nextScan = null;
  scanning = true;
  scan.start();
}

/**
 * Reads every live process from `/proc` (Linux only). One scan serves every caller: all who ask before
 * a scan starts share its result, and a caller never gets a scan that started before it asked (so what it
 * did just before, e.g. a SIGKILL, is reflected). At most 16 files are open at once, and a file that cannot
 * be opened (EMFILE) makes the snapshot `complete: false` instead of failing. Never rejects.
 *
 * @example
 * ```ts
 * const { processes, complete } = await scanProcesses()
 * ```
 */
export function scanProcesses(): Promise<ProcessSnapshot> {
  if (nextScan !== null) return nextScan.promise;
  let start: () => void = () => {};
  const promise = new Promise<ProcessSnapshot>((resolve) => {
    start = () => {
      void scanNow().then((snapshot) => {
        scanning = false;
        resolve(snapshot);
        startNextScan();
      });
    };
  });
  nextScan = { promise, start };
  // Callers of this loop iteration (every group's poll timer that fired together) share the scan.
  setImmediate(startNextScan);
  return promise;
}

/** The synchronous {@link scanProcesses}, for an exit path that cannot wait (`killAll()`). */
export function scanProcessesSync(): ProcessSnapshot {
  let pids: number[];
  try {
    pids = pidsIn(readdirSync('/proc'));
  } catch {
    return { processes: [], complete: false };
  }
  const processes: ProcessEntry[] = [];
  let complete = true;
  for (const pid of pids) {
    try {
      const entry = parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'latin1'));
      if (entry !== null) processes.push(entry);
    } catch (error) {
      if (!isGone(error)) complete = false;
    }
  }
  return { processes, complete };
}

/**
 * Whether the session `sid` has a live process in `snapshot`; an incomplete snapshot that shows none
 * answers `true` ("look again"), so a shortage of file descriptors never ends a wait early.
 */
export function sessionAlive(sid: number, snapshot: ProcessSnapshot): boolean {
  return !snapshot.complete || snapshot.processes.some((entry) => entry.sid === sid);
}

/**
 * Sends `signal` to each process group of the session `sid` in `snapshot` (which also reaches what
 * those groups forked after the snapshot), once, except the group `except` (one signalled already).
 * Returns how many live processes the session has. The command's main process leads its session
 * (`detached: true` runs `setsid`), and a process leaves a session only by calling `setsid` itself:
 * this reaches what `timeout`, `set -m` or any other new process group took out of the command's
 * group. Once per process: a second SIGTERM moments after the first kills a program that restores
 * the default action while it shuts down (borg, rolling back, would leave its lock behind).
 *
 * @example
 * ```ts
 * signalSession(child.pid, 'SIGKILL', await scanProcesses())
 * ```
 */
export function signalSession(sid: number, signal: StopSignal, snapshot: ProcessSnapshot, except?: number): number {
  const members = snapshot.processes.filter((entry) => entry.sid === sid);
  for (const pgid of new Set(members.map((entry) => entry.pgid))) if (pgid !== except) signalGroup(pgid, signal);
  return members.length;
}

/**
 * Tells whether any process of the command led by `pid` is still alive (`false` on Windows, where what
 * is left cannot be found).
 *
 * - Linux: any live process of its session (its group is part of it), or with `scope: 'group'` of its
 *   group alone. Zombies (`Z`) and dead (`X`)
 *   processes do not count: an orphan that died but was not yet reaped stays a zombie forever when PID 1
 *   does not reap (Node as PID 1 in a container). A scan short of file descriptors answers `true`.
 * - Other POSIX systems: `kill(-pid, 0)` on its group (no `/proc`: sessions are not looked at).
 *
 * @example
 * ```ts
 * if (await treeAlive(pid, process.platform)) await stopTree(pid, 'SIGKILL', process.platform)
 * ```
 */
export async function treeAlive(pid: number, platform: NodeJS.Platform, scope: TreeScope = 'session'): Promise<boolean> {
  if (platform === 'win32') return false;
  if (platform !== 'linux') return signalGroup(pid, 0);
  const snapshot = await scanProcesses();
  return scope === 'session' ? sessionAlive(pid, snapshot) : !snapshot.complete || snapshot.processes.some((entry) => entry.pgid === pid);
}

/**
 * What a stop reaches: the command's whole `session` (a timeout, a cancellation), or only its own
 * process `group` (what a hook that ended by itself left behind; docs/executor.md).
 */
export type TreeScope = 'session' | 'group';

/**
 * Sends `signal` to the whole tree of the command led by `pid`: its group at once ({@link signalTree}),
 * then on Linux every process of its session ({@link signalSession}) once the next scan is in; with
 * `scope: 'group'`, the group alone. Resolves with whether anything was (or may still be) alive to signal.
 *
 * @example
 * ```ts
 * await stopTree(child.pid, 'SIGTERM', process.platform)
 * ```
 */
export async function stopTree(pid: number, signal: StopSignal, platform: NodeJS.Platform, scope: TreeScope = 'session'): Promise<boolean> {
  const groupSignalled = signalTree(pid, signal, platform);
  if (platform !== 'linux' || scope === 'group') return groupSignalled;
  const snapshot = await scanProcesses();
  return signalSession(pid, signal, snapshot, pid) > 0 || !snapshot.complete;
}

/** The synchronous {@link stopTree}, for an exit path that cannot wait (`killAll()`). */
export function stopTreeSync(pid: number, signal: StopSignal, platform: NodeJS.Platform): void {
  signalTree(pid, signal, platform);
  if (platform === 'linux') signalSession(pid, signal, scanProcessesSync(), pid);
}
