import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every file in examples/ runs as a real process, the way the docs tell users to run it, so that no
// example (and no docs snippet copied from one) can rot.
const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(root, 'examples');
const files = readdirSync(examplesDir).filter((file) => file.endsWith('.ts')).sort();

const hasBorg = ((): boolean => {
  try {
    execFileSync('borg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Lines each example must print, compared whole (after trimming the end, and with the padding before
 * each `→` folded: alignment is cosmetic). A RegExp must match some line.
 */
const EXPECTED: Record<string, readonly (string | RegExp)[]> = {
  'borgitory-hooks.ts': [
    'parsed 3 pre-hooks; first: critical=true timeout=300',
    '1. Pre-Hook 1 (DB Dump) → ✅ Success',
    '2. Pre-Hook 2 (Python Hook) → ✅ Success',
    '4. Post-Hook 1 (Cleanup) → ✅ Success',
    'Result: ✅ Job Completed Successfully',
    'Creating dump for repository 123',
    /^Database dump created: dump_123_\d{8}_\d{6}\.sql$/,
    'Processing repository 123',
    'BORGITORY_JOB_ID=job-abc-123',
    'BORGITORY_JOB_STATUS=success',
    'BORGITORY_JOB_TYPE=scheduled',
    'BORGITORY_REPOSITORY_ID=123',
    'BORGITORY_REPOSITORY_NAME=MyRepository',
    'BORGITORY_TASK_INDEX=2',
    'BORGITORY_HOOK_PHASE=pre',
    'staging cleaned',
    'config error at [0].critcal: unknown option "critcal" (did you mean "critical"?)',
    'config error at [0].timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number 0',
  ],
  'cancel-with-cleanup.ts': [
    '1. Pre-Hook 1 (Slow Dump) → ❌ Failed (Cancelled)',
    '2. Backup Task → ⏭️  Skipped',
    '3. Post-Hook 1 (Remove Partial Dump) → ✅ Success (Run on Failure)',
    '4. Post-Hook 2 (Report Success) → ⏭️  Skipped',
    '5. Notification → ✅ Success',
    'Result: 🛑 Job Cancelled',
    'Slow Dump: error=Task cancelled cancelled=true signal=SIGTERM',
    'skip reason: Task skipped due to job cancellation',
    'cleanup said: removed (job so far: cancelled, failed task: Slow Dump)',
    'partial dump left behind: no',
    'children of the hook still running: 0 of 2',
    'notification: 🛑 Backup Job Cancelled',
  ],
  'custom-executor.ts': [
    'Database Dump: would run in .: /bin/bash -c "echo dumping; sleep 0.2"',
    'Archive: would run in .: ["echo","archiving"]',
    'Cleanup: would run in .: /bin/bash -c "echo cleaning"',
    '1. Pre-Hook 1 (Database Dump) → ✅ Success',
    'Result: ✅ Job Completed Successfully',
    'commands run: Database Dump (exit 0), Archive (exit 0), Cleanup (exit 0)',
    'the dump took at least its 200 ms of sleep: yes',
  ],
  'custom-notifier.ts': [
    'job-0: sent by spool',
    'job-0: completed; notification task completed; output "pager: not sent (it is not set for success messages)\\nspool: sent"',
    "job-1: pager failed: Notifier 'pager' failed: 401 Unauthorized for token ***",
    'job-1: sent by spool',
    /^job-1: failed; notification task failed; output "(Notifier 'pager' failed: 401 Unauthorized for token \*\*\*\\nspool: sent|spool: sent\\nNotifier 'pager' failed: 401 Unauthorized for token \*\*\*)"$/,
    'started job-0',
    '[success] ✅ Backup Job Completed Successfully',
    'Tasks Completed: 3, Total: 3',
    '[error] ❌ Backup Job Failed - Critical Hook Error',
    'Failed Hook: Database Dump',
    'Tasks Completed: 1, Skipped: 1, Total: 3',
    'failed: Database Dump',
  ],
  'custom-task.ts': [
    'progress task 0: 50% listed',
    'progress task 0: 100% archived',
    '1. Backup Task → ✅ Success',
    '2. Check Task → ✅ Success (with warnings)',
    'Result: ⚠️  Job Completed with Warnings',
    'archive output: "found 3 files\\narchive for job custom-task-demo written"',
    'archive data: {"files":3,"logs":1}',
    'check output: "4\\n1 file changed while it was read (pretend)"',
    'job status: completed_with_warnings',
  ],
  'demo.ts': [
    '━━ Normal execution (all successful) ━━',
    '━━ Critical pre-hook failure ━━',
    '1. Pre-Hook 1 (Database Dump) → ❌ Failed (Critical)',
    '6. Post-Hook 2 (Health Check) → ✅ Success (Run on Failure)',
    'Result: ❌ Job Failed - Critical Hook Error',
    'Result: ❌ Job Failed - Backup Error',
    '2. Pre-Hook 2 (Log Rotation) → ❌ Failed (Non-Critical)',
    'Result: ⚠️  Job Completed with Warnings',
    ...(hasBorg
      ? ['━━ A real borg backup (borg create + prune) ━━', '   The passphrase appears in the result: no']
      : ['(borg is not installed: skipping the borg part. `apt-get install borgbackup` to see it.)']),
    'Every flow came out as documented.',
  ],
  'errors-as-data.ts': [
    'code: ERR_CONFIG',
    '  preHooks[0].critcal: unknown option "critcal" (did you mean "critical"?)',
    '  preHooks[1].name: must not be empty',
    '  postHooks[0].timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "5 minutes"',
    'second run: ERR_ALREADY_RUNNING',
    'status: completed_with_warnings',
    'Fail: status=failed exitCode=4 timedOut=false cancelled=false',
    "Fail: error=Hook 'Fail' exited with code 4",
    'JSON round trip equal: true',
  ],
  'events.ts': [
    'jobStart events-demo: 0:Prepare, 1:Optional Step, 2:Skipped Step, 3:Archive, 4:Cleanup, 5:Notification',
    'listenerError in jobStart: bug in a listener',
    'taskOutput 0 stdout: preparing',
    'taskOutput 0 stderr: a warning on stderr',
    "taskEnd 1 Optional Step: failed (Hook 'Optional Step' exited with code 3)",
    'taskEnd 2 Skipped Step: skipped (Task skipped due to hook failure)',
    'notificationSent log',
    'jobEnd completed_with_warnings',
    'result: completed_with_warnings, 6 tasks; notified: ⚠️ Backup Job Completed with Warnings',
  ],
  'from-cron.ts': [
    'cron line exit code 2; dump left behind: yes',
    '1. Pre-Hook 1 (Pre-backup) → ✅ Success',
    '2. Backup Task → ❌ Failed (Critical)',
    '3. Post-Hook 1 (Post-backup) → ✅ Success (Run on Failure)',
    'Result: ❌ Job Failed - Backup Error',
    `backup error: Task 'Backup' exited with code 2; its output: "archiving\\ndisk full"`,
    'dump left behind: no',
    'exit code for cron: 2',
  ],
  'quick-start.ts': [
    '  | pretend: pg_dump app > /tmp/app.sql',
    '  | job so far: success',
    '✅ Backup Job Completed Successfully',
    'Tasks Completed: 6, Total: 6',
    '1. Pre-Hook 1 (Database Dump) → ✅ Success',
    'Result: ✅ Job Completed Successfully',
  ],
  'rehearse-failure-path.ts': [
    '1. Pre-Hook 1 (Stop Service) → ✅ Success',
    '2. Backup Task → ❌ Failed (Critical)',
    /^3\. Post-Hook 1 \(Start Service\) → ✅ Success/,
    'Result: ❌ Job Failed - Backup Error',
    'rehearsal: {"task":"Create archive","index":1,"outcome":"fail"}',
    'backup error: Rehearsed failure',
    'backup command ran: no',
    'cleanup said: pretend: systemctl start app (job so far: failure, rehearsal: 1)',
    'service running again: yes',
    'notification: [Rehearsal] ❌ Backup Job Failed - Backup Error',
  ],
  'stop-service-around-backup.ts': [
    '1. Pre-Hook 1 (Stop Web Service) → ✅ Success',
    'Result: ✅ Job Completed Successfully',
    '2. Backup Task → ❌ Failed (Critical)',
    '3. Post-Hook 1 (Restart Web Service) → ✅ Success (Run on Failure)',
    'Result: ❌ Job Failed - Backup Error',
    "backup error: Task 'Archive' exited with code 2",
    'restart hook said: pretend: systemctl start nginx (job so far: failure)',
  ],
  'testing-hook-flows.ts': [
    '5. Post-Hook 1 (Restart Services) → ✅ Success (Run on Failure)',
    'ok - a failed dump skips the backup but still restarts the services',
    'ok - cleanup hooks see why the job failed',
    'ok - a hook that hangs is timed out and reported',
    'ok - a list of outcomes is used one call at a time (a flaky health check)',
    'ok - Ctrl-C during the backup: the task is cancelled, cleanup and notification still run',
    'all assertions passed',
  ],
};

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx examples/<file>` from the repository root, as the docs say to. */
function runExample(file: string): Promise<Run> {
  // The examples' own hooks read JOBHOOKS_* / BORGITORY_* variables: none may leak in from outside.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('JOBHOOKS_') && !key.startsWith('BORGITORY_')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('examples', file)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const fold = (line: string): string => line.trimEnd().replace(/ +→/g, ' →');

describe('examples/', () => {
  it('has expectations for every example, and none for files that are gone', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  describe.concurrent.each(files)('%s', (file) => {
    it('exits 0 and prints its key lines', { timeout: 60_000 }, async () => {
      const run = await runExample(file);
      expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      const lines = run.stdout.split('\n').map(fold);
      for (const expected of EXPECTED[file] ?? []) {
        if (typeof expected === 'string') expect(lines, run.stdout).toContain(fold(expected));
        else expect(lines.some((line) => expected.test(line)), `${String(expected)} in:\n${run.stdout}`).toBe(true);
      }
    });
  });
});
