import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { runCli, tempDir, untimed } from './helpers.js';

// Skip, retries and paired cleanup as the built CLI shows them (docs/cli.md).

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

/** A pre-hook that asks to skip (exit 75), a paired Stop/Start, a retried backup. */
function config(skipHook: string): string {
  return dir.write(
    'job.json',
    JSON.stringify({
      jobId: 'job-s',
      repository: { name: 'NAS' },
      preHooks: [
        { name: 'On AC power', command: skipHook },
        { name: 'Stop Service', command: 'echo stopped', retries: 2, warning_exit_codes: [1, 24] },
      ],
      tasks: [{ type: 'backup', name: 'Create archive', command: 'echo archived', retries: 1, retryDelay: '2s' }],
      postHooks: [{ name: 'Start Service', command: 'echo started', cleanup_for: 'Stop Service' }],
      notifiers: [{ type: 'console' }],
    }),
  );
}

describe('a job skipped by a pre-hook (exit 75)', () => {
  it('run exits 0; the plain view shows the skip and the ⏭️ message', async () => {
    config('exit 75');
    const run = await runCli(['run', 'job.json'], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = untimed(run.stdout);
    expect(out).toContain('⏭️ Backup Job Skipped');
    expect(out).toContain("Backup job for 'NAS' was skipped by hook 'On AC power'.");
    expect(out).not.toContain('echo started');
  });

  it('--quiet prints nothing at all and exits 0: a skip is not worth a cron mail', async () => {
    config('exit 75');
    const run = await runCli(['run', 'job.json', '--quiet'], { cwd: dir.path });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, '', '']);
  });

  it('--json: status skipped, exit 0', async () => {
    config('exit 75');
    const run = await runCli(['run', 'job.json', '--json'], { cwd: dir.path });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as JobResult;
    expect([result.status, result.notification?.level]).toEqual(['skipped', 'info']);
  });
});

describe('a retried task', () => {
  it('the plain view says why an attempt failed and when the next starts, between the attempts\' output', async () => {
    dir.write(
      'flaky.json',
      JSON.stringify({
        preHooks: [{ name: 'Mount NAS', command: 'echo "try $JOBHOOKS_ATTEMPT"; [ "$JOBHOOKS_ATTEMPT" = 2 ] || exit 32', retries: 1, retryDelay: '0.5s' }],
      }),
    );
    const run = await runCli(['run', 'flaky.json', '--no-journal'], { cwd: dir.path });
    expect(run.code).toBe(0);
    const lines = untimed(run.stdout).split('\n');
    const from = lines.indexOf('[Mount NAS] started');
    expect(lines.slice(from, from + 5).map((line) => line.replace(/in 0\.[456]s$/, 'in 0.5s'))).toEqual([
      '[Mount NAS] started',
      '[Mount NAS] try 1',
      "[Mount NAS] attempt 1 failed: Hook 'Mount NAS' exited with code 32; attempt 2 in 0.5s",
      '[Mount NAS] --- attempt 2 of 2 ---',
      '[Mount NAS] try 2',
    ]);
  });
});

describe('jobhooks plan', () => {
  it('shows the skip code, retries, warning exit codes and cleanupFor pairs (snake_case aliases read)', async () => {
    config('true');
    const run = await runCli(['plan', 'job.json'], { cwd: dir.path });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[3]).toBe('skip: a pre-hook exiting 75 skips the job (status skipped, exit 0)');
    expect(lines).toContain('   retries: 2 (wait 10s, doubling, at most 300s) · warning exit codes: 1, 24');
    expect(lines).toContain('   retries: 1 (wait 2s, doubling, at most 300s)');
    expect(lines).toContain('   cleanup for: Stop Service (runs if and only if it started)');
    // A task without them says nothing of them.
    const first = lines.slice(lines.indexOf('1. Pre-Hook 1 (On AC power)'), lines.indexOf('2. Pre-Hook 2 (Stop Service)'));
    expect(first.some((line) => line.includes('retries') || line.includes('cleanup'))).toBe(false);
  });

  it('shows a main command task\'s command as it shows a hook\'s: redacted, an argv quoted where it must be', async () => {
    dir.write(
      'main.json',
      JSON.stringify({
        secrets: ['s3cret'],
        tasks: [
          { type: 'backup', name: 'Sync', command: 'rsync -a /srv/ nas:/backup/ --password s3cret\necho done' },
          { name: 'Argv', command: ['rsync', '-a', 'my dir/', 'nas:/b'] },
        ],
      }),
    );
    const run = await runCli(['plan', join(dir.path, 'main.json')], { cwd: dir.path });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('   command: rsync -a /srv/ nas:/backup/ --password *** (+1 more line)');
    expect(lines).toContain('   command: rsync -a "my dir/" nas:/b');
  });

  it('skipExitCode: null turns skipping off, and plan says so', async () => {
    dir.write('off.json', JSON.stringify({ skipExitCode: null, preHooks: [{ name: 'A', command: 'true' }] }));
    const run = await runCli(['plan', join(dir.path, 'off.json')], { cwd: dir.path });
    expect(run.stdout.split('\n')[3]).toBe('skip: off (no exit code of a pre-hook skips the job)');
  });
});
