import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobResult, WebhookPayload } from '../../src/index.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';
import { runCli, startCli, tempDir, untimed, waitFor } from './helpers.js';

// The built binary, a real webhook server, real shell hooks: `jobhooks rehearse` as users run it
// (docs/cli.md, "Rehearse your failure path").

let dir: ReturnType<typeof tempDir>;
let server: TestServer;
beforeEach(async () => {
  dir = tempDir();
  server = await startServer();
});
afterEach(async () => {
  dir.remove();
  await server.close();
});

/** Stop Service → Create archive (drops a marker) → Start Service (cleanup); a console and a webhook notifier. */
function config(): string {
  const marker = join(dir.path, 'backup-ran');
  const log = join(dir.path, 'log');
  return dir.write(
    'job.json',
    JSON.stringify({
      jobId: 'job-r',
      repository: { name: 'NAS' },
      preHooks: [{ name: 'Stop Service', command: `echo "stop rehearsal=$JOBHOOKS_REHEARSAL" >> '${log}'` }],
      tasks: [{ type: 'backup', name: 'Create archive', command: `touch '${marker}'` }],
      postHooks: [{ name: 'Start Service', command: `echo "start rehearsal=$JOBHOOKS_REHEARSAL" >> '${log}'`, runOnJobFailure: true }],
      notifiers: [{ type: 'console' }, { type: 'webhook', url: `${server.url}/hook` }],
    }),
  );
}

const backupRan = (): boolean => existsSync(join(dir.path, 'backup-ran'));
const hookLog = (): string[] => readFileSync(join(dir.path, 'log'), 'utf8').trim().split('\n');

const HEADER_FAIL =
  'REHEARSAL of job.json — not a real run: task "Create archive" fails without running; every other task runs for real; ' +
  'notifications go to console notifiers only (1 other not sent; --notify sends them)';

describe('jobhooks rehearse', () => {
  it('--fail: the header comes first, the task never runs, the cleanup runs, only console notifiers hear of it, exit 2', async () => {
    config();
    const run = await runCli(['rehearse', 'job.json', '--fail', 'Create archive'], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')[0]).toBe(HEADER_FAIL);
    expect(backupRan()).toBe(false);
    expect(hookLog()).toEqual(['stop rehearsal=1', 'start rehearsal=1']);
    expect(server.requests).toEqual([]);
    expect(untimed(run.stdout)).toContain(
      [
        '[Create archive] started',
        '[Create archive] failed: Rehearsed failure',
        '[Start Service] started',
        '[Start Service] completed',
        '[Notification] started',
        '[Rehearsal] ❌ Backup Job Failed - Backup Error',
        '',
        "Backup job for 'NAS' failed during backup process.",
        '',
        'Tasks Completed: 3, Skipped: 0, Total: 4',
        'Job ID: job-r',
        '',
        '❌ Create archive (backup): Rehearsed failure',
        '[Notification] console: sent',
        '[Notification] completed',
        '',
        '1. Pre-Hook 1 (Stop Service) → ✅ Success',
        '2. Backup Task → ❌ Failed (Critical)',
        '3. Post-Hook 1 (Start Service) → ✅ Success (Run on Failure)',
        '4. Notification → ✅ Success',
        '',
        'Result: ❌ Job Failed - Backup Error',
      ].join('\n'),
    );
  });

  it('a real run that died is recovered for real before the rehearsal: its "Interrupted" alert reaches every notifier', async () => {
    const file = config();
    // A real run whose jobhooks is killed during its backup (which waits for a file that never comes).
    const hang = join(dir.path, 'hang');
    const text = readFileSync(file, 'utf8').replace(`touch '${join(dir.path, 'backup-ran')}'`, `touch '${hang}'; sleep 30`);
    dir.write('job.json', text);
    const real = startCli(['run', 'job.json'], { cwd: dir.path });
    await waitFor(() => existsSync(hang), 'the real backup to start');
    real.child.kill('SIGKILL');
    await real.done;

    const run = await runCli(['rehearse', 'job.json', '--fail', 'Create archive'], { cwd: dir.path });
    expect(run.code).toBe(2);
    // The webhook heard of the real run's death, and of nothing of the rehearsal (no --notify).
    const titles = server.requests.map((request) => (JSON.parse(request.body) as WebhookPayload).message.title);
    expect(titles).toEqual(['❌ Backup Job Interrupted']);
    // The dead run's cleanup ran for real (not as a rehearsal), then the rehearsal's own.
    expect(hookLog()).toEqual(['stop rehearsal=', 'start rehearsal=', 'stop rehearsal=1', 'start rehearsal=1']);
    // Nothing is left for a later recovery to send again.
    expect((await runCli(['recover', 'job.json'], { cwd: dir.path })).stdout).toMatch(/^Nothing to recover/);
    expect(server.requests).toHaveLength(1);
  });

  it('a rehearsed task the rules skip before it starts: nothing is injected, and the last line says so', async () => {
    // A pre-hook asks to skip the job (exit 75), so "Create archive" never starts.
    dir.write('job.json', JSON.stringify({ preHooks: [{ name: 'On battery?', command: 'exit 75' }], tasks: [{ type: 'backup', name: 'Create archive', command: 'true' }] }));
    const run = await runCli(['rehearse', 'job.json', '--cancel-at', 'Create archive'], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(`jobhooks: "Create archive" did not start (Task skipped: 'On battery?' asked to skip the job): nothing was rehearsed.`);
  });

  it('the history tells a rehearsal from a real run: text, --json and the page', async () => {
    config();
    expect((await runCli(['run', 'job.json'], { cwd: dir.path })).code).toBe(0);
    expect((await runCli(['rehearse', 'job.json', '--fail', 'Create archive'], { cwd: dir.path })).code).toBe(2);
    const json = await runCli(['history', 'job.json', '--json'], { cwd: dir.path });
    expect((JSON.parse(json.stdout) as { status: string; rehearsal: unknown }[]).map((run) => [run.status, run.rehearsal])).toEqual([
      ['failed', { task: 'Create archive', outcome: 'fail' }],
      ['completed', null],
    ]);
    const text = await runCli(['history', 'job.json'], { cwd: dir.path });
    expect(text.stdout.split('\n')[0]).toMatch(/ failed +rehearsal \("Create archive" fails\)  failed task: Create archive$/);
    expect(text.stdout.split('\n')[1]).not.toContain('rehearsal');
    const page = join(dir.path, 'page.html');
    expect((await runCli(['history', 'job.json', '--html', page], { cwd: dir.path })).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain(' · failed · rehearsal (&#34;Create archive&#34; fails) · failed task: Create archive');
  });

  it('--notify: the webhook receives the message, its title starting [Rehearsal]', async () => {
    config();
    const run = await runCli(['rehearse', 'job.json', '--fail', 'Create archive', '--notify'], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')[0]).toBe(
      'REHEARSAL of job.json — not a real run: task "Create archive" fails without running; every other task runs for real; ' +
        'notifications go to every notifier (--notify), titled [Rehearsal]',
    );
    expect(server.requests).toHaveLength(1);
    const payload = JSON.parse(server.requests[0]?.body ?? '{}') as WebhookPayload;
    expect([payload.message.title, payload.message.status, payload.message.level, payload.job.rehearsal]).toEqual(['[Rehearsal] ❌ Backup Job Failed - Backup Error', 'failed', 'error', { task: 'Create archive', index: 1, outcome: 'fail' }]);
    expect(backupRan()).toBe(false);
  });

  it('--cancel-at by its number in "jobhooks plan": the job is cancelled as the task would start, cleanup runs, exit 130', async () => {
    config();
    const run = await runCli(['rehearse', 'job.json', '--cancel-at', '2'], { cwd: dir.path });
    expect(run.code).toBe(130);
    expect(run.stdout.split('\n')[0]).toBe(
      'REHEARSAL of job.json — not a real run: task "Create archive" is cancelled as it would start (as Ctrl-C); every other task runs for real; ' +
        'notifications go to console notifiers only (1 other not sent; --notify sends them)',
    );
    expect(backupRan()).toBe(false);
    expect(hookLog()).toEqual(['stop rehearsal=1', 'start rehearsal=1']);
    expect(untimed(run.stdout)).toContain('[Create archive] failed: Task cancelled');
    expect(untimed(run.stdout)).toContain('[Rehearsal] 🛑 Backup Job Cancelled');
    expect(untimed(run.stdout)).toContain('Result: 🛑 Job Cancelled');
  });

  it('--timeout with --json: stdout is the JobResult with its rehearsal; the header goes to stderr', async () => {
    config();
    const run = await runCli(['rehearse', 'job.json', '--timeout', 'Stop Service', '--json'], { cwd: dir.path });
    // A non-critical pre-hook's timeout: the job completes with warnings, and the backup runs for real.
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'REHEARSAL of job.json — not a real run: task "Stop Service" times out without running; every other task runs for real; ' +
        'notifications go to console notifiers only (1 other not sent; --notify sends them)',
    );
    const result = JSON.parse(run.stdout) as JobResult;
    expect(result.rehearsal).toEqual({ task: 'Stop Service', index: 0, outcome: 'timeout' });
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, error: "Hook 'Stop Service' timed out after 300s" });
    expect(result.notification?.title).toBe('[Rehearsal] ⚠️ Backup Job Completed with Warnings');
    expect(backupRan()).toBe(true);
    expect(hookLog()).toEqual(['start rehearsal=1']);
    expect(server.requests).toEqual([]);
  });

  it('an unknown task exits 64 before anything runs and says which tasks there are', async () => {
    config();
    const named = await runCli(['rehearse', 'job.json', '--fail', 'Create archve'], { cwd: dir.path });
    expect([named.code, named.stdout, named.stderr]).toEqual([
      64,
      '',
      'jobhooks: cannot rehearse job.json: no task is named "Create archve"; the tasks are "Stop Service", "Create archive", "Start Service"\n',
    ]);
    const numbered = await runCli(['rehearse', 'job.json', '--fail', '9'], { cwd: dir.path });
    expect([numbered.code, numbered.stderr]).toEqual([64, 'jobhooks: cannot rehearse job.json: no task has number 9 in "jobhooks plan" (1 to 4)\n']);
    expect(existsSync(join(dir.path, 'log'))).toBe(false);
    expect(backupRan()).toBe(false);
  });

  it('a name two tasks share: the numbers it gives are "jobhooks plan"\'s, and the one taken rehearses that task', async () => {
    const log = join(dir.path, 'log');
    dir.write(
      'twice.json',
      JSON.stringify({
        preHooks: [{ name: 'Check', command: `echo pre >> '${log}'` }],
        tasks: [{ type: 'backup', name: 'Backup', command: `echo backup >> '${log}'` }],
        postHooks: [{ name: 'Check', command: `echo post >> '${log}'` }],
      }),
    );
    const named = await runCli(['rehearse', 'twice.json', '--fail', 'Check', '--no-journal'], { cwd: dir.path });
    expect([named.code, named.stdout, named.stderr]).toEqual([64, '', 'jobhooks: cannot rehearse twice.json: 2 tasks are named "Check" (numbers 1, 3 in "jobhooks plan"): give the number\n']);
    const numbered = await runCli(['rehearse', 'twice.json', '--fail', '3', '--no-journal'], { cwd: dir.path });
    expect(numbered.stdout.split('\n')[0]).toMatch(/^REHEARSAL of twice\.json — not a real run: task "Check" fails without running;/);
    expect(hookLog()).toEqual(['pre', 'backup']);
  });

  it('usage: exactly one outcome, and rehearse-only options only on rehearse', async () => {
    config();
    const none = await runCli(['rehearse', 'job.json'], { cwd: dir.path });
    expect([none.code, none.stderr]).toEqual([
      64,
      'jobhooks: "rehearse" needs exactly one of --fail <task>, --timeout <task> or --cancel-at <task>\nRun "jobhooks --help" for usage.\n',
    ]);
    const two = await runCli(['rehearse', 'job.json', '--fail', 'Stop Service', '--timeout', 'Stop Service'], { cwd: dir.path });
    expect(two.code).toBe(64);
    const onRun = await runCli(['run', 'job.json', '--notify'], { cwd: dir.path });
    expect([onRun.code, onRun.stderr]).toEqual([64, 'jobhooks: --notify applies to "rehearse" only\nRun "jobhooks --help" for usage.\n']);
    expect(existsSync(join(dir.path, 'log'))).toBe(false);
  });
});
