import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { CLI_FIXTURES, PACKAGE_VERSION, runCli, startCli, tempDir, untimed, waitFor } from './helpers.js';

// The built binary, spawned as a real process in a fresh directory: what cron and users run.

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

const fixture = (name: string): string => join(CLI_FIXTURES, name);

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A job of one critical pre-hook, one backup command and one post-hook; commands given per test. */
function job(commands: { pre?: string; preCritical?: boolean; backup?: string; post?: string }): string {
  return JSON.stringify({
    jobId: 'job-1',
    repository: { name: 'NAS' },
    preHooks: [{ name: 'Database Dump', command: commands.pre ?? 'echo dump written', critical: commands.preCritical ?? true }],
    tasks: [{ type: 'backup', name: 'Backup', command: commands.backup ?? 'echo backed up' }],
    postHooks: [{ name: 'Health Check', command: commands.post ?? 'echo healthy', runOnJobFailure: true }],
  });
}

describe('jobhooks run: exit codes and output', () => {
  it('exits 0 for a completed job, with one plain line per status change and output line, then the flow and the message', async () => {
    const run = await runCli(['run', fixture('documented.json')], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Every plain line carries the local time; every task of the final flow its duration.
    const [lines = '', summary = ''] = run.stdout.split('\n\n1. ');
    for (const line of lines.split('\n')) expect(line).toMatch(/^\d\d:\d\d:\d\d \[/);
    expect(summary.split('\n').slice(0, 6).every((line) => / → ✅ Success \(\d+\.\ds\)$/.test(line))).toBe(true);
    expect(untimed(run.stdout)).toBe(
      [
        '[Database Dump] started',
        '[Database Dump] dump written',
        '[Database Dump] completed',
        '[Stop Services] started',
        '[Stop Services] services stopped',
        '[Stop Services] completed',
        '[Backup] started',
        '[Backup] backup of MyRepository',
        '[Backup] completed',
        '[Prune] started',
        '[Prune] pruned',
        '[Prune] completed',
        '[Restart Services] started',
        '[Restart Services] services started',
        '[Restart Services] completed',
        '[Health Check] started',
        '[Health Check] healthy',
        '[Health Check] completed',
        '[Notification] started',
        '[Notification] webhook: not sent (it is not set for success messages)',
        '[Notification] completed',
        '',
        '1. Pre-Hook 1 (Database Dump) → ✅ Success',
        '2. Pre-Hook 2 (Stop Services) → ✅ Success',
        '3. Backup Task → ✅ Success',
        '4. Prune Task → ✅ Success',
        '5. Post-Hook 1 (Restart Services) → ✅ Success',
        '6. Post-Hook 2 (Health Check) → ✅ Success',
        '7. Notification → ✅ Success',
        '',
        'Result: ✅ Job Completed Successfully',
        '',
        '✅ Backup Job Completed Successfully',
        '',
        "Backup job for 'MyRepository' completed successfully.",
        '',
        'Tasks Completed: 7, Total: 7',
        'Job ID: job-abc-123',
        '',
      ].join('\n'),
    );
    // The hooks ran for real, in the directory the CLI was started in.
    expect(readFileSync(join(dir.path, 'dump.sql'), 'utf8')).toBe('dump written\n');
  });

  it('exits 1 when a non-critical hook fails (completed with warnings)', async () => {
    const file = dir.write('job.json', job({ pre: 'echo rotating; exit 3', preCritical: false }));
    const run = await runCli(['run', file], { cwd: dir.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[Database Dump] failed: Hook 'Database Dump' exited with code 3\n");
    expect(run.stdout).toContain('\nResult: ⚠️  Job Completed with Warnings\n');
  });

  it('exits 2 when a critical hook fails; the run-on-failure post-hook still runs', async () => {
    const file = dir.write('job.json', job({ pre: 'echo connection refused >&2; exit 1', post: 'touch post-ran' }));
    const run = await runCli(['run', file], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('[Database Dump] connection refused\n');
    expect(run.stdout).toContain("[Database Dump] failed: Hook 'Database Dump' exited with code 1\n");
    expect(run.stdout).toContain('[Backup] skipped: Task skipped due to critical hook failure\n');
    expect(run.stdout).toContain('\nResult: ❌ Job Failed - Critical Hook Error\n');
    expect(run.stdout).toContain('\n❌ Backup Job Failed - Critical Hook Error\n');
    expect(existsSync(join(dir.path, 'post-ran'))).toBe(true);
  });

  it('--json prints only the JobResult, which parses and carries the status', async () => {
    const file = dir.write('job.json', job({ backup: 'echo disk full; exit 4' }));
    const run = await runCli(['run', file, '--json'], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as JobResult;
    expect(result.status).toBe('failed');
    expect(result.jobId).toBe('job-1');
    expect(result.failure).toEqual({ taskIndex: 1, taskName: 'Backup', type: 'backup', reason: 'critical_task_failure', error: "Task 'Backup' exited with code 4" });
    expect(result.tasks.map((task) => [task.name, task.status])).toEqual([
      ['Database Dump', 'completed'],
      ['Backup', 'failed'],
      ['Health Check', 'completed'],
    ]);
    expect(result.tasks[1]?.output).toBe('disk full');
  });

  it('--json on a completed job: status completed, exit 0', async () => {
    const run = await runCli(['run', dir.write('job.json', job({})), '--json'], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as JobResult).status).toBe('completed');
  });

  it('--quiet prints nothing at all when the job completed, a console notifier included: cron mails nothing', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({ jobId: 'job-q', preHooks: [{ name: 'Database Dump', command: 'echo dump written' }], tasks: [{ name: 'Backup', command: 'true' }], notifiers: [{ type: 'console' }] }),
    );
    expect(await runCli(['run', file, '--quiet'], { cwd: dir.path })).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
  });

  it('--quiet after a failure prints the flow, the message with its details, and the failed task\'s fuller output', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        jobId: 'job-q',
        repository: { name: 'NAS' },
        preHooks: [{ name: 'Database Dump', command: 'for i in $(seq 1 14); do echo "dump line $i"; done; echo "pg_dump: connection refused" >&2; exit 1', critical: true }],
        tasks: [{ type: 'backup', name: 'Backup', command: 'touch backup-ran' }],
        postHooks: [{ name: 'Health Check', command: 'echo healthy', runOnJobFailure: true }],
        notifiers: [{ type: 'console' }],
      }),
    );
    const run = await runCli(['run', file, '--quiet'], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^1\. Pre-Hook 1 \(Database Dump\) +→ ❌ Failed \(Critical, \d+\.\ds\)\n/);
    const dumpLines = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `    dump line ${from + i}`);
    expect(untimed(run.stdout)).toBe(
      [
        '1. Pre-Hook 1 (Database Dump) → ❌ Failed (Critical)',
        '2. Backup Task → ⏭️  Skipped',
        '3. Post-Hook 1 (Health Check) → ✅ Success (Run on Failure)',
        '4. Notification → ✅ Success',
        '',
        'Result: ❌ Job Failed - Critical Hook Error',
        '',
        '❌ Backup Job Failed - Critical Hook Error',
        '',
        "Backup job for 'NAS' failed due to critical hook failure.",
        '',
        'Failed Hook: Database Dump',
        'Tasks Completed: 2, Skipped: 1, Total: 4',
        'Job ID: job-q',
        '',
        "❌ Database Dump (pre-hook): Hook 'Database Dump' exited with code 1",
        ...dumpLines(6, 14),
        '    pg_dump: connection refused',
        '',
        'Output of Database Dump (last 15 lines):',
        ...dumpLines(1, 14),
        '    pg_dump: connection refused',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(dir.path, 'backup-ran'))).toBe(false);
  });

  it('--quiet with warnings: exit 1, the message with the task that failed', async () => {
    const file = dir.write('job.json', job({ pre: 'echo rotating; exit 3', preCritical: false }));
    const run = await runCli(['run', file, '--quiet'], { cwd: dir.path });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(untimed(run.stdout)).toBe(
      [
        '1. Pre-Hook 1 (Database Dump) → ❌ Failed (Non-Critical)',
        '2. Backup Task → ✅ Success',
        '3. Post-Hook 1 (Health Check) → ✅ Success',
        '',
        'Result: ⚠️  Job Completed with Warnings',
        '',
        '⚠️ Backup Job Completed with Warnings',
        '',
        "Backup job for 'NAS' completed but some tasks failed.",
        '',
        'Failed Tasks: hook',
        'Tasks Completed: 2, Skipped: 0, Total: 3',
        'Job ID: job-1',
        '',
        "❌ Database Dump (pre-hook): Hook 'Database Dump' exited with code 3",
        '    rotating',
        '',
      ].join('\n'),
    );
  });

  it('a notifier that failed is said after the message, in one clause, in plain and --quiet output', async () => {
    const port = await closedPort();
    const file = dir.write(
      'job.json',
      JSON.stringify({
        jobId: 'job-n',
        tasks: [{ name: 'Backup', command: 'true' }],
        notifiers: [{ type: 'ntfy', url: `http://127.0.0.1:${port}`, topic: 'backups', retries: 0 }],
      }),
    );
    const expected = [
      '1. Command Task → ✅ Success',
      '2. Notification → ❌ Failed (Non-Critical)',
      '',
      'Result: ⚠️  Job Completed with Warnings',
      '',
      '✅ Backup Job Completed Successfully',
      '',
      "Backup job for 'Unknown' completed successfully.",
      '',
      'Tasks Completed: 2, Total: 2',
      'Job ID: job-n',
      '',
      `⚠️ Notification failed: ntfy: connection refused (127.0.0.1:${port})`,
      '',
    ].join('\n');
    const plain = await runCli(['run', file], { cwd: dir.path });
    expect(plain.code).toBe(1);
    expect(untimed(plain.stdout).endsWith(`\n\n${expected}`)).toBe(true);
    const quiet = await runCli(['run', file, '--quiet'], { cwd: dir.path });
    expect(quiet.code).toBe(1);
    expect(untimed(quiet.stdout)).toBe(expected);
  });

  it('a console notifier prints the message once; with --json it prints on standard error', async () => {
    const file = dir.write('job.json', JSON.stringify({ jobId: 'job-2', tasks: [{ name: 'Backup', command: 'true' }], notifiers: [{ type: 'console' }] }));
    const message = "✅ Backup Job Completed Successfully\n\nBackup job for 'Unknown' completed successfully.\n\nTasks Completed: 2, Total: 2\nJob ID: job-2\n";
    const plain = await runCli(['run', file], { cwd: dir.path });
    expect(plain.code).toBe(0);
    expect(plain.stdout.split(message)).toHaveLength(2);
    expect(plain.stdout.endsWith('\nResult: ✅ Job Completed Successfully\n')).toBe(true);
    const json = await runCli(['run', file, '--json'], { cwd: dir.path });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as JobResult).notification?.title).toBe('✅ Backup Job Completed Successfully');
    expect(json.stderr).toBe(message);
  });

  it('redacts a secret given as { "env": "NAME" } everywhere, --json included', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: 'Login', command: 'echo "token is $API_TOKEN"; echo "$API_TOKEN" >&2; exit 1', env: { API_TOKEN: { env: 'MY_API_TOKEN' } }, critical: true }],
        tasks: [{ name: 'Backup', command: 'true' }],
      }),
    );
    const run = await runCli(['run', file, '--json'], { cwd: dir.path, env: { MY_API_TOKEN: 's3cr3t-v4lue' } });
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain('s3cr3t-v4lue');
    const result = JSON.parse(run.stdout) as JobResult;
    expect(result.tasks[0]?.output).toBe('token is ***\n***');
  });

  it('runs the job to its end when the reader of its output goes away (jobhooks run … | head -1)', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: 'Chatty', command: 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.05; done; touch hook-done' }],
        tasks: [{ name: 'Backup', command: 'echo backing up; touch backup-done' }],
      }),
    );
    const run = startCli(['run', file], { cwd: dir.path });
    await waitFor(() => run.stdout().includes('[Chatty] started'), 'the first line');
    run.child.stdout?.destroy();
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(existsSync(join(dir.path, 'hook-done'))).toBe(true);
    expect(existsSync(join(dir.path, 'backup-done'))).toBe(true);
  });

  it('reads YAML, with the documented snake_case keys and a hook list given as a JSON string', async () => {
    const run = await runCli(['run', fixture('job.yaml')], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[Database Dump] dumping for NAS\n');
    expect(run.stdout).toContain('[Backup] backing up\n');
    expect(run.stdout).toContain('[Cleanup] cleanup after success\n');
    expect(run.stdout).toContain("Backup job for 'NAS' completed successfully.\n\nTasks Completed: 3, Total: 3\nJob ID: yaml-job\n");
  });
});

describe('invalid config: exit 64, the file and every bad path named, nothing run', () => {
  it('an unknown key', async () => {
    const run = await runCli(['run', fixture('unknown-key.json')], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `jobhooks: invalid config ${fixture('unknown-key.json')} (1 problem); nothing was run:\n` +
        '  - preHooks[0].critcal: unknown option "critcal" (did you mean "critical"?)\n',
    );
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
  });

  it('an empty name', async () => {
    const run = await runCli(['run', fixture('empty-name.yaml')], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(
      `jobhooks: invalid config ${fixture('empty-name.yaml')} (1 problem); nothing was run:\n  - postHooks[0].name: must not be empty\n`,
    );
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
  });

  it('problems from the file, the tasks, the notifiers and the pipeline at once, each under its path in the file', async () => {
    const file = dir.write(
      'job.yaml',
      [
        'preHooks:',
        '  - { name: Marker, command: touch marker, timeout: soon }',
        'tasks:',
        '  - { borg: prune, repository: /srv/borg, keep: { daily: 0 } }',
        '  - { borg: create, repository: /srv/borg, paths: [/etc], passphrase: { env: BORG_PASS_UNSET } }',
        'notifiers:',
        '  - { type: webhook, url: "ftp://example.com/hook" }',
        '  - { type: slack }',
        'inheritEnv: "no"',
      ].join('\n'),
    );
    const run = await runCli(['validate', file], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(
      [
        `jobhooks: invalid config ${file} (6 problems); nothing was run:`,
        '  - preHooks[0].timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"',
        '  - tasks[0].keep.daily: expected a number greater than 0, received number 0',
        '  - tasks[1].passphrase: environment variable BORG_PASS_UNSET is not set',
        '  - notifiers[0].url: expected an absolute http:// or https:// URL',
        '  - notifiers[1].type: expected one of "console", "webhook", "healthchecks", "ntfy", "discord", "pushover", "telegram", "prometheus", received string "slack"',
        '  - inheritEnv: expected boolean, received string "no"',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
  });

  it('a missing file', async () => {
    const run = await runCli(['run', 'nope.json'], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('jobhooks: cannot read nope.json: no such file\n');
  });

  it('broken JSON, with the line and column', async () => {
    const run = await runCli(['run', fixture('broken.json')], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`jobhooks: cannot parse ${fixture('broken.json')} as JSON: line 4, column 3: Unexpected token ']'\n`);
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
  });

  it('broken YAML, with the line and column', async () => {
    const run = await runCli(['run', fixture('broken.yaml')], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`jobhooks: cannot parse ${fixture('broken.yaml')} as YAML: line 4, column 1: Sequence item without - indicator\n`);
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
  });
});

describe('validate, plan, schema, help, version', () => {
  it('validate: a good config exits 0 and runs nothing', async () => {
    const run = await runCli(['validate', fixture('documented.json')], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${fixture('documented.json')} is valid: 2 pre-hooks, 2 tasks, 2 post-hooks, 1 notifier\n`);
    expect(existsSync(join(dir.path, 'dump.sql'))).toBe(false);
  });

  it('plan: prints every task in order with what decides its fate, and runs nothing', async () => {
    const run = await runCli(['plan', fixture('long-hook.json')], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => /^\d+\. /.test(line))).toEqual([
      '1. Pre-Hook 1 (Long Hook)',
      '2. Backup Task (Backup)',
      '3. Post-Hook 1 (Restart Services)',
      '4. Post-Hook 2 (Cleanup)',
    ]);
    expect(run.stdout).toContain(
      '4. Post-Hook 2 (Cleanup)\n   phase: post · type: hook · critical: no · timeout: 300s · runOnJobFailure: yes · continueOnFailure: yes\n',
    );
    expect(run.stdout).toContain('2. Backup Task (Backup)\n   phase: main · type: backup · critical: yes · timeout: 300s\n');
    expect(run.stdout).toContain('env prefix: JOBHOOKS_');
    expect(run.stdout).toContain('   variables: JOBHOOKS_TASK_INDEX, JOBHOOKS_JOB_TYPE, JOBHOOKS_JOB_ID, JOBHOOKS_HOOK_NAME, JOBHOOKS_HOOK_PHASE, JOBHOOKS_JOB_STATUS, JOBHOOKS_ATTEMPT\n');
    expect(run.stdout).toContain('   after a failure also: JOBHOOKS_FAILED_TASK, JOBHOOKS_ERROR\n');
    for (const file of ['hook.pid', 'backup-ran', 'restart-ran', 'cleanup-ran']) expect(existsSync(join(dir.path, file))).toBe(false);
  });

  it('schema: prints the JSON Schema of the config file', async () => {
    const run = await runCli(['schema'], { cwd: dir.path });
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as { $schema: string; type: string; properties: Record<string, unknown>; additionalProperties: boolean };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['$schema', 'preHooks', 'pre_job_hooks', 'tasks', 'postHooks', 'notifiers', 'secrets', 'defaults']));
  });

  it('--version prints the package version; --help the usage', async () => {
    expect(await runCli(['--version'], { cwd: dir.path })).toEqual({ code: 0, signal: null, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    const help = await runCli(['--help'], { cwd: dir.path });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('jobhooks run <config> [--json | --quiet | --log-format plain|json]');
  });

  it('a usage error exits 64 and says what is wrong', async () => {
    expect(await runCli(['backup', 'job.json'], { cwd: dir.path })).toEqual({
      code: 64,
      signal: null,
      stdout: '',
      stderr: 'jobhooks: unknown command "backup"\nRun "jobhooks --help" for usage.\n',
    });
    const unknownOption = await runCli(['run', 'job.json', '--jsn'], { cwd: dir.path });
    expect(unknownOption.code).toBe(64);
    expect(unknownOption.stderr).toBe('jobhooks: unknown option "--jsn" (did you mean "--json"?)\nRun "jobhooks --help" for usage.\n');
    expect(await runCli(['rnu', 'job.json'], { cwd: dir.path })).toEqual({
      code: 64,
      signal: null,
      stdout: '',
      stderr: 'jobhooks: unknown command "rnu" (did you mean "run"?)\nRun "jobhooks --help" for usage.\n',
    });
    expect((await runCli([], { cwd: dir.path })).code).toBe(64);
  });
});
