import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../notify/helpers/server.js';
import { CLI_FIXTURES, isAlive, processesWithMarker, readPid, startCli, tempDir, untimed, waitFor } from './helpers.js';

// Signals sent to the built binary while a hook runs `sleep 30` (and a background child of its own).

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

/**
 * Starts the CLI, sends SIGTERM once "Database Dump" runs, and SIGINT once the cleanup "Restart
 * Services" has written its pid to restart.pid: a second signal during a cleanup.
 */
async function termThenIntDuringRestart(args: readonly string[]): Promise<{ result: Awaited<ReturnType<typeof startCli>['done']>; restartPid: number; marker: string }> {
  const run = startCli(args, { cwd: dir.path });
  await waitFor(() => run.stdout().includes('[Database Dump] started\n'), 'the hook to start');
  run.child.kill('SIGTERM');
  const restartPid = await readPid(join(dir.path, 'restart.pid'));
  run.child.kill('SIGINT');
  return { result: await run.done, restartPid, marker: run.marker };
}

describe('jobhooks run: signals', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
  ] as const) {
    it(`the first ${signal} cancels: the hook's process tree is gone, the runOnJobFailure post-hook runs, exit ${code}`, async () => {
      const run = startCli(['run', join(CLI_FIXTURES, 'long-hook.json')], { cwd: dir.path });
      const hookPid = await readPid(join(dir.path, 'hook.pid'));
      const sleepPid = await readPid(join(dir.path, 'sleep.pid'));
      expect(isAlive(hookPid)).toBe(true);
      expect(isAlive(sleepPid)).toBe(true);
      await waitFor(() => run.stdout().includes('[Long Hook] started\n'), 'the hook to print');

      run.child.kill(signal);
      const result = await run.done;

      expect(result.code).toBe(code);
      expect(result.signal).toBe(null);
      expect(result.stderr).toBe(
        `jobhooks: received ${signal}: cancelling the job; cleanup post-hooks and the notification still run. Send ${signal} again to kill everything now.\n`,
      );
      expect(isAlive(hookPid)).toBe(false);
      expect(isAlive(sleepPid)).toBe(false);
      expect(processesWithMarker(run.marker)).toEqual([]);
      // The cleanup hook ran and saw the job cancelled; the rest was skipped.
      expect(readFileSync(join(dir.path, 'cleanup-ran'), 'utf8')).toBe('cancelled\n');
      expect(existsSync(join(dir.path, 'backup-ran'))).toBe(false);
      expect(existsSync(join(dir.path, 'restart-ran'))).toBe(false);
      expect(result.stdout).toContain('[Long Hook] failed: Task cancelled\n');
      expect(result.stdout).toContain('[Backup] skipped: Task skipped due to job cancellation\n');
      expect(untimed(result.stdout)).toContain(
        [
          '1. Pre-Hook 1 (Long Hook) → ❌ Failed (Cancelled)',
          '2. Backup Task → ⏭️  Skipped',
          '3. Post-Hook 1 (Restart Services) → ⏭️  Skipped',
          '4. Post-Hook 2 (Cleanup) → ✅ Success (Run on Failure)',
          '',
          'Result: 🛑 Job Cancelled',
        ].join('\n'),
      );
    });
  }

  it('a second signal kills everything at once, even a hook that ignores SIGTERM, and exits', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: 'Stubborn', command: "trap '' TERM; echo $$ > hook.pid; sleep 30 & echo $! > sleep.pid; wait; wait" }],
        postHooks: [{ name: 'Cleanup', command: 'touch cleanup-ran', runOnJobFailure: true }],
        // Graceful cancellation would wait this long for the hook to give up.
        defaults: { killGrace: 60 },
      }),
    );
    const run = startCli(['run', file], { cwd: dir.path });
    const hookPid = await readPid(join(dir.path, 'hook.pid'));
    const sleepPid = await readPid(join(dir.path, 'sleep.pid'));

    run.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Still there: the hook ignores SIGTERM, and the grace period is a minute.
    expect(isAlive(hookPid)).toBe(true);
    const killedAt = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;

    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(result.code).toBe(130);
    expect(result.stderr).toBe(
      'jobhooks: received SIGINT: cancelling the job; cleanup post-hooks and the notification still run. Send SIGINT again to kill everything now.\n' +
        'jobhooks: received SIGINT again: killed every process of the job.\n' +
        'jobhooks: cleanup not run: Cleanup\n',
    );
    await waitFor(() => !isAlive(hookPid) && !isAlive(sleepPid), 'the killed processes to be gone', 5_000);
    expect(processesWithMarker(run.marker)).toEqual([]);
    expect(existsSync(join(dir.path, 'cleanup-ran'))).toBe(false);
  });

  it('SIGTERM then SIGINT: says which cleanup it abandoned, the running one included, and that no notification was sent', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: 'Database Dump', command: 'sleep 30' }],
        postHooks: [
          { name: 'Restart Services', command: 'echo $$ > restart.pid; sleep 30', runOnJobFailure: true },
          { name: 'Remove Dump', command: 'touch remove-ran', runOnJobFailure: true },
          { name: 'Report', command: 'touch report-ran' },
        ],
        notifiers: [{ type: 'console' }],
      }),
    );
    const { result, restartPid, marker } = await termThenIntDuringRestart(['run', file]);

    expect(result.code).toBe(130);
    expect(result.stderr).toBe(
      'jobhooks: received SIGTERM: cancelling the job; cleanup post-hooks and the notification still run. Send SIGTERM again to kill everything now.\n' +
        'jobhooks: received SIGINT again: killed every process of the job.\n' +
        'jobhooks: cleanup not run: Restart Services (killed while running), Remove Dump; notification not sent\n',
    );
    await waitFor(() => !isAlive(restartPid), 'the killed cleanup hook to be gone', 5_000);
    expect(processesWithMarker(marker)).toEqual([]);
    expect(existsSync(join(dir.path, 'remove-ran'))).toBe(false);
  });

  it('a signal while the notification is being sent: says the tasks have ended, not that it cancels the job', async () => {
    const server = await startServer();
    server.reply('hang');
    try {
      const file = dir.write(
        'job.json',
        JSON.stringify({ tasks: [{ name: 'Backup', command: 'true' }], notifiers: [{ type: 'webhook', url: `${server.url}/hook`, timeout: '2s', retries: 0 }] }),
      );
      const run = startCli(['run', file, '--no-journal'], { cwd: dir.path });
      await waitFor(() => server.requests.length === 1, 'the notification to be on its way', 30_000);
      run.child.kill('SIGTERM');
      const result = await run.done;
      expect(result.stderr.split('\n')[0]).toBe("jobhooks: received SIGTERM: the job's tasks have ended; its notification is being sent. Send SIGTERM again to stop now.");
      // The job is not cancelled: its message says how its tasks went (the hung webhook adds a warning).
      expect(untimed(result.stdout)).toContain('✅ Backup Job Completed Successfully');
      expect(untimed(result.stdout)).not.toContain('Cancelled');
    } finally {
      await server.close();
    }
  });

  it('a second signal while a cleanup waits to retry says so, not that it was killed while running', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        tasks: [{ name: 'Backup', command: 'exit 2' }],
        postHooks: [
          { name: 'Start App', command: 'echo $JOBHOOKS_ATTEMPT >> attempts; exit 1', runOnJobFailure: true, retries: 2, retryDelay: '20s' },
          { name: 'Always', command: 'touch always-ran', runOnJobFailure: true },
        ],
      }),
    );
    const run = startCli(['run', file, '--no-journal'], { cwd: dir.path });
    await waitFor(() => existsSync(join(dir.path, 'attempts')), 'the first attempt of the cleanup');
    // Its first attempt has failed: the cleanup now waits 16–24 s for its second.
    await new Promise((resolve) => setTimeout(resolve, 500));
    run.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr.split('\n').slice(1)).toEqual([
      'jobhooks: received SIGINT again: killed every process of the job.',
      'jobhooks: cleanup not run: Start App (waiting to retry), Always',
      '',
    ]);
  });

  it('a second signal lists the paired cleanups it abandoned whose pre-hook started, and not the others', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [
          { name: 'Stop Services', command: 'true' },
          { name: 'Database Dump', command: 'sleep 30' },
          { name: 'Lock', command: 'true' },
        ],
        postHooks: [
          { name: 'Restart Services', command: 'echo $$ > restart.pid; sleep 30', cleanupFor: 'Stop Services' },
          { name: 'Unlock', command: 'touch unlock-ran', cleanupFor: 'Lock' },
          { name: 'Remove Dump', command: 'touch remove-ran', runOnJobFailure: true },
        ],
        notifiers: [{ type: 'console' }],
      }),
    );
    const { result, restartPid } = await termThenIntDuringRestart(['run', file, '--no-journal']);

    expect(result.code).toBe(130);
    // Lock never started, so Unlock would not have run: it is not among what to run by hand.
    expect(result.stderr.split('\n').slice(1)).toEqual([
      'jobhooks: received SIGINT again: killed every process of the job.',
      'jobhooks: cleanup not run: Restart Services (killed while running), Remove Dump; notification not sent',
      '',
    ]);
    await waitFor(() => !isAlive(restartPid), 'the killed cleanup hook to be gone', 5_000);
    expect([existsSync(join(dir.path, 'unlock-ran')), existsSync(join(dir.path, 'remove-ran'))]).toEqual([false, false]);
  });

  it('a job its maxRunTime cancelled says so, in every view, as a signal\'s cancellation does; exit 2', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        maxRunTime: '1s',
        preHooks: [{ name: 'Database Dump', command: 'sleep 30' }],
        postHooks: [{ name: 'Remove Dump', command: 'touch remove-ran', runOnJobFailure: true }],
      }),
    );
    const said = 'jobhooks: the job exceeded its maxRunTime (1s) and was cancelled; its cleanup post-hooks and the notification ran.';
    for (const mode of [[], ['--quiet'], ['--log-format', 'json']]) {
      const result = await startCli(['run', file, '--no-journal', ...mode], { cwd: dir.path }).done;
      const lines = mode[0] === '--log-format' ? result.stdout.split('\n').filter((line) => line.includes('"notice"')).map((line) => (JSON.parse(line) as { message: string }).message) : result.stderr.split('\n');
      expect({ mode, code: result.code, said: lines.includes(said) }).toEqual({ mode, code: 2, said: true });
    }
    expect(existsSync(join(dir.path, 'remove-ran'))).toBe(true);
  });

  it('a second signal removes the private directory of a shebang script it killed', async () => {
    const tmp = join(dir.path, 'tmp');
    mkdirSync(tmp);
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: 'Dump', command: '#!/bin/bash\ntrap "" TERM\necho $$ > dump.pid\nsleep 30\n' }],
      }),
    );
    const run = startCli(['run', file], { cwd: dir.path, env: { TMPDIR: tmp } });
    const dumpPid = await readPid(join(dir.path, 'dump.pid'));
    expect(readdirSync(tmp)).toHaveLength(1);
    run.child.kill('SIGTERM');
    await waitFor(() => run.stdout().includes('Send SIGTERM again') || true, 'the first signal');
    run.child.kill('SIGTERM');
    const result = await run.done;

    expect(result.code).toBe(143);
    await waitFor(() => !isAlive(dumpPid), 'the killed hook to be gone', 5_000);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
