import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** The two signals a command's tree is stopped with: first a request, then a kill. */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

/**
 * Sends `signal` to the whole tree of the command whose main process is `pid`; returns `false` when
 * nothing was left to signal.
 *
 * - POSIX: the command leads its own process group (spawned with `detached: true`), so the signal goes to
 *   `-pid`, every process in the group, grandchildren included, even after the main process has exited.
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
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    // EPERM: someone in the group is not ours to signal (e.g. a setuid program); it is still there.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tells whether any process of the group `pgid` is still alive (POSIX only; `false` on Windows).
 *
 * `kill(-pgid, 0)` alone also counts zombies: an orphan that died but was not yet reaped, which happens
 * forever when PID 1 does not reap (Node as PID 1 in a container). So on Linux a group that still answers
 * is confirmed in `/proc`, where a zombie (`Z`) or dead (`X`) process does not count.
 *
 * @example
 * ```ts
 * if (await groupAlive(pid, process.platform)) signalTree(pid, 'SIGKILL', process.platform)
 * ```
 */
export async function groupAlive(pgid: number, platform: NodeJS.Platform): Promise<boolean> {
  if (platform === 'win32') return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (platform !== 'linux') return true;
  return linuxGroupHasLiveMember(pgid);
}

async function linuxGroupHasLiveMember(pgid: number): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  const checks = entries.filter((name) => /^\d+$/.test(name)).map(async (name) => {
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'latin1');
      // Fields after the command name, which is in parentheses and may itself contain spaces or ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = fields[0];
      return Number(fields[2]) === pgid && state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
  return (await Promise.all(checks)).some(Boolean);
}
