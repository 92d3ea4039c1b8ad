import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { oneTimePerTurn } from '../../src/cli/run-views.js';
import { runCli, startCli, tempDir, waitFor } from './helpers.js';

// docs/observability.md, "Structured logs": `--log-format json`, `--log-file`, syslog priorities under systemd.

const JOB = `
jobId: job-logs-1
preHooks:
  - { name: Dump, command: "echo dumping; echo oops >&2", critical: true }
tasks:
  - { name: Prune, type: prune, command: "echo pruning; exit 1", warningExitCodes: [1], critical: false }
  - { name: Backup, type: backup, command: "echo backing; exit 3" }
postHooks:
  - { name: Cleanup, command: "echo clean", runOnJobFailure: true }
`;

type Line = Record<string, unknown>;

/** The JSON lines, with what changes from run to run (`time`, `durationMs`) checked and taken out. */
function parseLines(text: string): Line[] {
  return text
    .trimEnd()
    .split('\n')
    .map((raw) => {
      const line = JSON.parse(raw) as Line;
      expect(line['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.keys(line).slice(0, 3)).toEqual(['time', 'level', 'jobId']);
      const { time: _time, durationMs, ...rest } = line;
      if (durationMs !== undefined && durationMs !== null) expect(typeof durationMs).toBe('number');
      return rest;
    });
}

const EXPECTED: Line[] = [
  { level: 'info', jobId: 'job-logs-1', event: 'jobStart', tasks: 4 },
  { level: 'info', jobId: 'job-logs-1', task: 'Dump', event: 'taskStart', phase: 'pre' },
  { level: 'info', jobId: 'job-logs-1', task: 'Dump', event: 'taskOutput', stream: 'stdout', line: 'dumping' },
  { level: 'info', jobId: 'job-logs-1', task: 'Dump', event: 'taskOutput', stream: 'stderr', line: 'oops' },
  { level: 'info', jobId: 'job-logs-1', task: 'Dump', event: 'taskEnd', phase: 'pre', status: 'completed', warning: false, exitCode: 0, error: null, skipReason: null, attempts: 1 },
  { level: 'info', jobId: 'job-logs-1', task: 'Prune', event: 'taskStart', phase: 'main' },
  { level: 'info', jobId: 'job-logs-1', task: 'Prune', event: 'taskOutput', stream: 'stdout', line: 'pruning' },
  { level: 'warning', jobId: 'job-logs-1', task: 'Prune', event: 'taskEnd', phase: 'main', status: 'completed', warning: true, exitCode: 1, error: null, skipReason: null, attempts: 1 },
  { level: 'info', jobId: 'job-logs-1', task: 'Backup', event: 'taskStart', phase: 'main' },
  { level: 'info', jobId: 'job-logs-1', task: 'Backup', event: 'taskOutput', stream: 'stdout', line: 'backing' },
  { level: 'error', jobId: 'job-logs-1', task: 'Backup', event: 'taskEnd', phase: 'main', status: 'failed', warning: false, exitCode: 3, error: "Task 'Backup' exited with code 3", skipReason: null, attempts: 1 },
  { level: 'info', jobId: 'job-logs-1', task: 'Cleanup', event: 'taskStart', phase: 'post' },
  { level: 'info', jobId: 'job-logs-1', task: 'Cleanup', event: 'taskOutput', stream: 'stdout', line: 'clean' },
  { level: 'info', jobId: 'job-logs-1', task: 'Cleanup', event: 'taskEnd', phase: 'post', status: 'completed', warning: false, exitCode: 0, error: null, skipReason: null, attempts: 1 },
  { level: 'error', jobId: 'job-logs-1', event: 'jobEnd', status: 'failed', failedTask: 'Backup', error: "Task 'Backup' exited with code 3" },
];

describe('jobhooks run --log-format json', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('prints one JSON object per event: time, level, jobId, task, event, and the fields of the event', async () => {
    const config = dir.write('job.yaml', JOB);
    const run = await runCli(['run', config, '--log-format', 'json', '--no-journal'], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(parseLines(run.stdout)).toEqual(EXPECTED);
    expect(run.stderr).toBe('');
  });

  it('notificationFailed is a job-start ping\'s: the final delivery\'s failure is in the notification\'s taskEnd alone', async () => {
    const config = dir.write('job.yaml', "preHooks:\n  - { name: Dump, command: 'true' }\nnotifiers:\n  - { type: healthchecks, url: 'http://127.0.0.1:1/ping/x', retries: 0 }\n");
    const run = await runCli(['run', config, '--log-format', 'json', '--no-journal'], { cwd: dir.path });
    const lines = parseLines(run.stdout);
    // One line: the /start ping's. Before, the final delivery's failure came as a second one.
    expect(lines.filter((line) => line['event'] === 'notificationFailed').map((line) => [line['notifier'], line['error']])).toEqual([
      ['healthchecks', 'network error: bad port (127.0.0.1:1)'],
    ]);
    expect(lines.find((line) => line['event'] === 'taskEnd' && line['task'] === 'Notification')).toMatchObject({ status: 'failed' });
  });

  it('rehearse: the rehearsed failure is an error line with its error', async () => {
    const config = dir.write('job.yaml', JOB);
    const run = await runCli(['rehearse', config, '--fail', 'Dump', '--log-format', 'json', '--no-journal'], { cwd: dir.path });
    expect(run.code).toBe(2);
    // Standard output holds the JSON lines and nothing else; the header goes to standard error.
    expect(run.stderr).toMatch(/^REHEARSAL of .*job\.yaml — not a real run: task "Dump" fails without running/);
    const lines = parseLines(run.stdout);
    expect(lines.find((line) => line['task'] === 'Dump' && line['event'] === 'taskEnd')).toEqual({
      level: 'error', jobId: 'job-logs-1', task: 'Dump', event: 'taskEnd', phase: 'pre', status: 'failed', warning: false, exitCode: null,
      error: 'Rehearsed failure', skipReason: null, attempts: 1,
    });
    expect(lines.find((line) => line['task'] === 'Backup')).toEqual({
      level: 'info', jobId: 'job-logs-1', task: 'Backup', event: 'taskEnd', phase: 'main', status: 'skipped', warning: false, exitCode: null,
      error: null, skipReason: 'Task skipped due to critical hook failure', attempts: 0,
    });
  });

  it('a retry is a warning line with the attempt about to start', async () => {
    const config = dir.write('job.yaml', 'jobId: job-retry\ntasks:\n  - { name: Flaky, command: "exit 5", retries: 1, retryDelay: 0.01 }\n');
    const run = await runCli(['run', config, '--log-format', 'json', '--no-journal'], { cwd: dir.path });
    const retry = parseLines(run.stdout).find((line) => line['event'] === 'taskRetry');
    expect(retry).toEqual({ level: 'warning', jobId: 'job-retry', task: 'Flaky', event: 'taskRetry', attempt: 2, delayMs: expect.any(Number), error: "Task 'Flaky' exited with code 5" });
  });
});

describe('under systemd (JOURNAL_STREAM set)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('plain lines start with their syslog priority: <3> a failure, <4> a warning, <6> the rest', async () => {
    const config = dir.write('job.yaml', JOB);
    const run = await runCli(['run', config, '--no-journal'], { cwd: dir.path, env: { JOURNAL_STREAM: '8:12345' } });
    expect(run.code).toBe(2);
    const lines = run.stdout.split('\n');
    const events = lines.slice(0, lines.indexOf('<3>') + 1);
    expect(events.map((line) => line.replace(/\d\d:\d\d:\d\d /, ''))).toEqual([
      '<6>[Dump] started',
      '<6>[Dump] dumping',
      '<6>[Dump] oops',
      '<6>[Dump] completed',
      '<6>[Prune] started',
      '<6>[Prune] pruning',
      '<4>[Prune] completed with warnings',
      '<6>[Backup] started',
      '<6>[Backup] backing',
      "<3>[Backup] failed: Task 'Backup' exited with code 3",
      '<6>[Cleanup] started',
      '<6>[Cleanup] clean',
      '<6>[Cleanup] completed',
      '<3>',
    ]);
    // The flow and the message after it are the failed job's: each line at its level.
    const summary = lines.slice(events.length, -1);
    expect(summary[0]).toMatch(/^<3>1\. Pre-Hook 1 \(Dump\) +→ ✅ Success \(\d+\.\ds\)$/);
    expect(summary.length).toBeGreaterThan(10);
    expect(summary.filter((line) => !line.startsWith('<3>'))).toEqual([]);
    expect(summary).toContain('<3>❌ Backup Job Failed - Backup Error');
  });

  it('without JOURNAL_STREAM, no prefix', async () => {
    const config = dir.write('job.yaml', JOB);
    const run = await runCli(['run', config, '--no-journal'], { cwd: dir.path });
    expect(run.stdout).not.toContain('<3>');
    expect(run.stdout).not.toContain('<6>');
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d \[Dump\] started\n/);
  });
});

describe('jobhooks run --log-file', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('appends the plain lines (without priorities) to the file, after what it held, as well as printing them', async () => {
    const config = dir.write('job.yaml', JOB);
    const log = dir.write('jobhooks.log', 'an earlier line\n');
    const run = await runCli(['run', config, '--no-journal', '--log-file', log], { cwd: dir.path, env: { JOURNAL_STREAM: '8:12345' } });
    expect(run.code).toBe(2);
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('an earlier line\n')).toBe(true);
    // The file has the screen's lines, less the priorities that are for the journal only.
    const untimed = (lines: string): string => lines.replace(/^\d\d:\d\d:\d\d /gm, '');
    expect(untimed(text.slice('an earlier line\n'.length))).toBe(untimed(run.stdout.replace(/^<\d>/gm, '')));
    expect(text).toContain("[Backup] failed: Task 'Backup' exited with code 3\n");
  });

  it('one clock for the screen and the file: every read in one turn gives the same time, the next turn a new one', async () => {
    const clock = oneTimePerTurn();
    const first = clock();
    // However long the turn takes, its reads agree.
    const until = Date.now() + 5;
    while (Date.now() < until);
    expect(clock()).toBe(first);
    await Promise.resolve();
    const next = clock();
    expect(next).not.toBe(first);
    expect(next.getTime()).toBeGreaterThanOrEqual(first.getTime() + 5);
  });

  it('with --log-format json, the file gets the JSON lines; with --json, the plain ones', async () => {
    const config = dir.write('job.yaml', JOB);
    const log = join(dir.path, 'jobhooks.jsonl');
    const run = await runCli(['run', config, '--no-journal', '--log-format', 'json', '--log-file', log], { cwd: dir.path });
    // The same lines as on the screen, times included.
    expect(parseLines(run.stdout)).toEqual(EXPECTED);
    expect(readFileSync(log, 'utf8')).toBe(run.stdout);

    const plainLog = join(dir.path, 'plain.log');
    const json = await runCli(['run', config, '--no-journal', '--json', '--log-file', plainLog], { cwd: dir.path });
    expect((JSON.parse(json.stdout) as { status: string }).status).toBe('failed');
    expect(readFileSync(plainLog, 'utf8')).toMatch(/^\d\d:\d\d:\d\d \[Dump\] started\n/);
  });

  it('is opened again for every write: moved away mid-run (logrotate), the next lines go to a new file at the path', async () => {
    const config = dir.write(
      'job.yaml',
      'jobId: job-rotate\ntasks:\n  - { name: Long, command: "echo before; while [ ! -e rotated ]; do sleep 0.05; done; echo after" }\n',
    );
    const log = join(dir.path, 'jobhooks.log');
    const started = startCli(['run', config, '--no-journal', '--log-format', 'json', '--log-file', log], { cwd: dir.path });
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('"line":"before"'), 'the first output line in the log file');
    renameSync(log, `${log}.1`);
    writeFileSync(join(dir.path, 'rotated'), '');
    const run = await started.done;
    expect(run.code).toBe(0);
    const rotated = parseLines(readFileSync(`${log}.1`, 'utf8')).map((line) => line['event']);
    const fresh = parseLines(readFileSync(log, 'utf8'));
    expect(rotated).toEqual(['jobStart', 'taskStart', 'taskOutput']);
    expect(fresh.map((line) => [line['event'], line['line'] ?? line['status']])).toEqual([
      ['taskOutput', 'after'],
      ['taskEnd', 'completed'],
      ['jobEnd', 'completed'],
    ]);
  });

  it('a log file that cannot be written stops the run before anything runs: exit 73', async () => {
    const config = dir.write('job.yaml', 'tasks:\n  - { name: Touch, command: "touch ran" }\n');
    mkdirSync(join(dir.path, 'locked'));
    chmodSync(join(dir.path, 'locked'), 0o500);
    const log = join(dir.path, 'locked', 'jobhooks.log');
    const run = await runCli(['run', config, '--no-journal', '--log-file', log], { cwd: dir.path });
    // root writes anywhere: then the run goes on and the file is written.
    if (process.getuid?.() === 0) {
      expect(run.code).toBe(0);
      return;
    }
    expect(run.code).toBe(73);
    expect(run.stderr).toBe(`jobhooks: cannot write the log file: ${log}: permission denied (EACCES)\n`);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });
});

describe('--log-format and --log-file on the command line', () => {
  it('are read for run and rehearse', () => {
    expect(parseCommandLine(['run', 'a.yaml', '--log-format', 'json', '--log-file', '/var/log/a.log'])).toMatchObject({ kind: 'run', logFormat: 'json', logFile: '/var/log/a.log' });
    expect(parseCommandLine(['rehearse', 'a.yaml', '--fail', '1', '--log-format', 'plain'])).toMatchObject({ kind: 'rehearse', logFormat: 'plain', logFile: undefined });
  });

  it('refuse what they cannot do', () => {
    expect(parseCommandLine(['run', 'a.yaml', '--log-format', 'jsn'])).toEqual({ kind: 'usage-error', message: '--log-format expects "plain" or "json", received "jsn" (did you mean "json"?)' });
    expect(parseCommandLine(['run', 'a.yaml', '--log-format', 'json', '--json'])).toEqual({ kind: 'usage-error', message: '--log-format cannot be used with --json or --quiet' });
    expect(parseCommandLine(['run', 'a.yaml', '--log-format', 'plain', '--quiet'])).toEqual({ kind: 'usage-error', message: '--log-format cannot be used with --json or --quiet' });
    expect(parseCommandLine(['run', 'a.yaml', '--log-file', ''])).toEqual({ kind: 'usage-error', message: '--log-file needs a file to append the lines to' });
    expect(parseCommandLine(['history', 'a.yaml', '--log-file', 'x'])).toEqual({ kind: 'usage-error', message: '--log-file applies to "run" and "rehearse"' });
  });
});
