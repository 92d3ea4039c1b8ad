import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, tempDir, waitFor } from './helpers.js';

// Issue: with its standard output on a pipe nobody reads, the plain view queued every output line
// (200 MiB of hook output: 341 MB peak RSS). It must drop lines past its bound instead.

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

/** The process's peak resident set size (VmHWM), in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

describe('jobhooks run: a reader too slow for the output', () => {
  it('200 MiB of hook output to a pipe nobody reads: memory stays bounded, lines are dropped and counted, the result comes through', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        jobId: 'flood-job',
        // 200 MiB in lines of 1000 bytes.
        preHooks: [{ name: 'Flood', command: `yes "$(printf '%0999d' 0)" | head -c ${200 * 2 ** 20}; echo; echo flood over` }],
        tasks: [{ name: 'Backup', command: 'echo backed up' }],
        postHooks: [{ name: 'Last', command: 'touch last-done' }],
      }),
    );
    const child = spawn(process.execPath, [CLI, 'run', file], {
      cwd: dir.path,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir.path, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? 0;
    // Not read until the job has run to its last task: the pipe's buffer fills and stays full.
    child.stdout.pause();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));

    await waitFor(() => existsSync(join(dir.path, 'last-done')), 'the last hook to run', 60_000);
    // The notification and the summary follow the last hook; let them be written (and queued).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const peakBytes = peakRss(pid);

    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stdout.resume();
    const code = await closed;

    expect(peakBytes).toBeGreaterThan(0);
    expect(peakBytes).toBeLessThan(200 * 2 ** 20);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const dropped = [...stdout.matchAll(/^\d\d:\d\d:\d\d … (\d+) lines dropped: the reader of this output is too slow$/gm)].map((match) => Number(match[1]));
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    // What was dropped and what was written add up to every line the hook printed.
    const written = [...stdout.matchAll(/^\d\d:\d\d:\d\d \[Flood\] 0{999}$/gm)].length;
    expect(written + dropped.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(Math.floor((200 * 2 ** 20) / 1000));
    expect(stdout.length).toBeLessThan(4 * 2 ** 20);
    expect(stdout).toMatch(/\nResult: ✅ Job Completed Successfully\n\n✅ Backup Job Completed Successfully\n\nBackup job for 'Unknown' completed successfully\.\n\nTasks Completed: 3, Total: 3\nJob ID: flood-job\n$/);
  }, 90_000);
});
