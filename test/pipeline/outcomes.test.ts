import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNotification, commandTask, formatFlow, JobPipeline, type ConfigError, type HookConfig, type JobEvents, type JobPipelineOptions } from '../../src/index.js';
import { retryDelayMs } from '../../src/pipeline/rules.js';
import { collectEvents, RecordingNotifier } from '../../src/testing.js';
import { foldArrows, printable } from '../helpers.js';

// Retries, skip-the-job, warning exit codes and paired cleanup with real shell hooks (docs/hooks.md).

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'jobhooks-outcomes-'));
}

/** A hook that appends its name (and attempt) to `log`, then exits with `code`. */
function hook(name: string, log: string, code = 0, extra: Partial<HookConfig> = {}): HookConfig {
  return { name, command: `echo "${name} $JOBHOOKS_ATTEMPT $JOBHOOKS_JOB_STATUS" >> '${log}'; exit ${code}`, ...extra };
}

function logged(log: string): string[] {
  try {
    return readFileSync(log, 'utf8').split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
}

describe('retries (docs/hooks.md#retries)', () => {
  it('a hook that fails twice then succeeds: 3 attempts, JOBHOOKS_ATTEMPT 1..3, markers in one tail, taskRetry events, (attempt 3) in the flow', async () => {
    const d = dir();
    const counter = join(d, 'count');
    const command = `n=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '${counter}'; echo "try $JOBHOOKS_ATTEMPT"; [ $n -ge 3 ]`;
    const pipeline = new JobPipeline({ preHooks: [{ name: 'Wake NAS', command, retries: 3, retryDelay: '10ms' }], tasks: [], notifiers: [new RecordingNotifier()] });
    const retries: JobEvents['taskRetry'][0][] = [];
    pipeline.on('taskRetry', (event) => retries.push(event));
    const collected = collectEvents(pipeline);
    const result = await pipeline.run();
    const [task] = result.tasks;
    // The test helper records them too, in their place (docs/testing.md).
    expect(collected.map(({ name }) => name).filter((name) => name !== 'taskOutput')).toEqual(['jobStart', 'taskStart', 'taskRetry', 'taskRetry', 'taskEnd', 'taskStart', 'notificationSent', 'taskEnd', 'jobEnd']);
    expect(task).toMatchObject({ status: 'completed', attempts: 3, exitCode: 0, error: null });
    expect(task?.output).toBe('try 1\n--- attempt 2 of 4 ---\ntry 2\n--- attempt 3 of 4 ---\ntry 3');
    expect(retries.map(({ delayMs, ...rest }) => rest)).toEqual([
      { jobId: result.jobId, taskIndex: 0, attempt: 2, error: "Hook 'Wake NAS' exited with code 1" },
      { jobId: result.jobId, taskIndex: 0, attempt: 3, error: "Hook 'Wake NAS' exited with code 1" },
    ]);
    // 10 ms ± 20 %, then doubled: 20 ms ± 20 %.
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(8);
    expect(retries[0]?.delayMs).toBeLessThanOrEqual(12);
    expect(retries[1]?.delayMs).toBeGreaterThanOrEqual(16);
    expect(retries[1]?.delayMs).toBeLessThanOrEqual(24);
    expect(result.status).toBe('completed');
    expect(foldArrows(formatFlow(result)).split('\n')[0]).toBe('1. Pre-Hook 1 (Wake NAS) → ✅ Success (attempt 3)');
  });

  it('retries used up: failed after retries + 1 attempts; the details say how many', async () => {
    const d = dir();
    const log = join(d, 'log');
    const pipeline = new JobPipeline({ tasks: [commandTask({ type: 'backup', name: 'rsync', command: `echo "$JOBHOOKS_ATTEMPT" >> '${log}'; exit 4`, retries: 2, retryDelay: 0 })], notifiers: [new RecordingNotifier()] });
    const result = await pipeline.run();
    expect(logged(log)).toEqual(['1', '2', '3']);
    expect(result.tasks[0]).toMatchObject({ status: 'failed', attempts: 3, exitCode: 4, error: "Task 'rsync' exited with code 4" });
    expect(result.notification?.details.map((detail) => [detail.name, detail.attempts])).toEqual([['rsync', 3]]);
    expect(foldArrows(formatFlow(result)).split('\n')[0]).toBe('1. Backup Task → ❌ Failed (Critical, attempt 3)');
  });

  it('a timeout counts per attempt and is retried', async () => {
    const d = dir();
    const counter = join(d, 'count');
    const command = `n=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '${counter}'; [ $n -ge 2 ] || sleep 30`;
    const result = await new JobPipeline({ preHooks: [{ name: 'Slow', command, timeout: '300ms', retries: 1, retryDelay: 0 }], defaults: { killGrace: '1s' } }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, timedOut: false });
  });

  it('without retries a task reports 1 attempt, a skipped one 0, and the documented flow is unchanged', async () => {
    const d = dir();
    const log = join(d, 'log');
    const result = await new JobPipeline({ preHooks: [hook('A', log, 1, { critical: true })], postHooks: [hook('B', log)] }).run();
    expect(result.tasks.map((task) => [task.status, task.attempts])).toEqual([['failed', 1], ['skipped', 0]]);
    expect(foldArrows(formatFlow(result)).split('\n')[0]).toBe('1. Pre-Hook 1 (A) → ❌ Failed (Critical)');
  });

  it('cancelling the job during the wait ends it at once: not retried, the task ends cancelled', async () => {
    const d = dir();
    const log = join(d, 'log');
    const controller = new AbortController();
    const pipeline = new JobPipeline({ preHooks: [hook('Flaky', log, 1, { retries: 5, retryDelay: '1h' })], postHooks: [hook('Cleanup', log, 0, { runOnJobFailure: true })] });
    pipeline.on('taskRetry', () => setTimeout(() => controller.abort(), 50));
    const started = performance.now();
    const result = await pipeline.run({ signal: controller.signal });
    // The wait was an hour: a generous bound proves it was not waited out.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(logged(log)).toEqual(['Flaky 1 success', 'Cleanup 1 cancelled']);
    expect(result.tasks[0]).toMatchObject({ status: 'failed', attempts: 1, cancelled: true, error: 'Task cancelled', failure: { code: 'cancelled', message: 'Task cancelled' } });
    expect(result.status).toBe('cancelled');
  });

  it('a custom task is retried by calling run() again; retryable: false stops the retries', async () => {
    let calls = 0;
    const result = await new JobPipeline({
      tasks: [
        { type: 'sync', name: 'flaky', critical: false, retries: 2, retryDelay: 0, async run() { calls += 1; return calls < 2 ? { status: 'failed', error: 'busy' } : { status: 'completed' }; } },
        { type: 'sync', name: 'hopeless', critical: false, retries: 5, retryDelay: 0, async run() { return { status: 'failed', error: 'bad password', retryable: false }; } },
      ],
    }).run();
    expect(result.tasks.map((task) => [task.name, task.status, task.attempts])).toEqual([['flaky', 'completed', 2], ['hopeless', 'failed', 1]]);
  });
});

describe('warning exit codes (docs/hooks.md#warning-exit-codes)', () => {
  it('an exit code in warningExitCodes ends the hook completed with a warning; others still fail', async () => {
    const d = dir();
    const log = join(d, 'log');
    const result = await new JobPipeline({
      preHooks: [hook('Vacuum', log, 3, { warningExitCodes: [3, 4] }), hook('Other', log, 5, { warningExitCodes: [3] })],
      tasks: [commandTask({ name: 'rsync', command: 'exit 24', warningExitCodes: [24] })],
    }).run();
    expect(result.tasks.map((task) => [task.name, task.status, task.warning, task.exitCode, task.error])).toEqual([
      ['Vacuum', 'completed', true, 3, null],
      ['Other', 'failed', false, 5, "Hook 'Other' exited with code 5"],
      ['rsync', 'completed', true, 24, null],
    ]);
    expect(result.status).toBe('completed_with_warnings');
    expect(foldArrows(formatFlow(result)).split('\n')[0]).toBe('1. Pre-Hook 1 (Vacuum) → ✅ Success (with warnings)');
  });
});

describe('skip the job (docs/hooks.md#skip-the-job)', () => {
  it('a pre-hook exiting 75: the rest is skipped, cleanups run, status skipped, level info', async () => {
    const d = dir();
    const log = join(d, 'log');
    // Set for `info` too: a notifier's default `on` leaves skipped jobs out (docs/notifications.md).
    const notifier = new RecordingNotifier({ on: ['success', 'warning', 'error', 'info'] });
    const result = await new JobPipeline({
      jobId: 'J',
      repository: { name: 'nas' },
      preHooks: [hook('Stop App', log), hook('On Battery?', log, 75), hook('Dump', log)],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: `echo backup >> '${log}'` })],
      postHooks: [hook('Start App', log, 0, { cleanupFor: 'Stop App' }), hook('Always', log, 0, { runOnJobFailure: true }), hook('Report', log)],
      notifiers: [notifier],
    }).run();
    expect(logged(log)).toEqual(['Stop App 1 success', 'On Battery? 1 success', 'Start App 1 skipped', 'Always 1 skipped']);
    const reason = "Task skipped: 'On Battery?' asked to skip the job";
    expect(result.tasks.map((task) => [task.name, task.status, task.skipReason])).toEqual([
      ['Stop App', 'completed', null],
      ['On Battery?', 'completed', null],
      ['Dump', 'skipped', reason],
      ['backup', 'skipped', reason],
      ['Start App', 'completed', null],
      ['Always', 'completed', null],
      ['Report', 'skipped', reason],
      ['Notification', 'completed', null],
    ]);
    expect(result.tasks[1]?.exitCode).toBe(75);
    expect(result.status).toBe('skipped');
    expect(result.failure).toBeNull();
    const message = { title: '⏭️ Backup Job Skipped', body: "Backup job for 'nas' was skipped by hook 'On Battery?'.\n\nTasks Completed: 5, Skipped: 3, Total: 8\nJob ID: J", level: 'info', status: 'skipped' };
    expect(notifier.messages.map(({ title, body, level, status }) => ({ title, body, level, status }))).toEqual([message]);
    expect(buildNotification(result)).toMatchObject(message);
    expect(formatFlow(result).split('\n').at(-1)).toBe('Result: ⏭️  Job Skipped');
  });

  it('skipExitCode: null turns it off (75 is a failure); another code can be chosen; a main task exiting 75 fails', async () => {
    const d = dir();
    const log = join(d, 'log');
    const off = await new JobPipeline({ skipExitCode: null, preHooks: [hook('Check', log, 75)] }).run();
    expect(off.tasks[0]).toMatchObject({ status: 'failed', exitCode: 75 });
    expect(off.status).toBe('completed_with_warnings');
    const custom = await new JobPipeline({ skipExitCode: 99, preHooks: [hook('Check', log, 99)], tasks: [commandTask({ name: 'x', command: 'true' })] }).run();
    expect(custom.status).toBe('skipped');
    const main = await new JobPipeline({ tasks: [commandTask({ name: 'x', command: 'exit 75' })] }).run();
    expect(main.status).toBe('failed');
  });
});

describe('paired cleanup (docs/hooks.md#paired-cleanup)', () => {
  const job = (log: string, stopCode: number, dumpCode: number, extra: { critical?: boolean } = {}) =>
    new JobPipeline({
      preHooks: [hook('Dump', log, dumpCode, { critical: true }), hook('Stop App', log, stopCode, extra)],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: `echo backup >> '${log}'; sleep \${SLEEP:-0}` })],
      postHooks: [hook('Start App', log, 0, { cleanupFor: 'Stop App' })],
    });

  it('success: the paired cleanup runs', async () => {
    const log = join(dir(), 'log');
    const result = await job(log, 0, 0).run();
    expect(logged(log)).toEqual(['Dump 1 success', 'Stop App 1 success', 'backup', 'Start App 1 success']);
    expect(result.status).toBe('completed');
  });

  it('its pre-hook never ran (an earlier critical failure): skipped, "Task skipped: \'Stop App\' did not run"', async () => {
    const log = join(dir(), 'log');
    const result = await job(log, 0, 1).run();
    expect(logged(log)).toEqual(['Dump 1 success']);
    expect(result.tasks.at(-1)).toMatchObject({ name: 'Start App', status: 'skipped', skipReason: "Task skipped: 'Stop App' did not run" });
  });

  it('its pre-hook failed critically itself: it started, so the cleanup runs', async () => {
    const log = join(dir(), 'log');
    const result = await job(log, 1, 0, { critical: true }).run();
    expect(logged(log)).toEqual(['Dump 1 success', 'Stop App 1 success', 'Start App 1 failure']);
    expect(result.status).toBe('failed');
    // A paired cleanup that ran after the failure is marked like a runOnJobFailure one.
    expect(formatFlow(result).split('\n')[3]).toMatch(/Post-Hook 1 \(Start App\) +→ ✅ Success \(Run on Failure\)$/);
  });

  it('cancelled during the backup: the cleanup runs', async () => {
    const log = join(dir(), 'log');
    const controller = new AbortController();
    const pipeline = new JobPipeline({
      preHooks: [hook('Stop App', log)],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'sleep 30' })],
      postHooks: [hook('Start App', log, 0, { cleanupFor: 'Stop App' }), hook('Other', log)],
      defaults: { killGrace: '1s' },
    });
    pipeline.on('taskStart', ({ task }) => {
      if (task.name === 'backup') setTimeout(() => controller.abort(), 100);
    });
    const result = await pipeline.run({ signal: controller.signal });
    expect(logged(log)).toEqual(['Stop App 1 success', 'Start App 1 cancelled']);
    expect(result.tasks.map((task) => task.status)).toEqual(['completed', 'failed', 'completed', 'skipped']);
    expect(result.status).toBe('cancelled');
  });

  it('a post phase halted by a continueOnFailure: false hook still runs the paired cleanup', async () => {
    const log = join(dir(), 'log');
    const result = await new JobPipeline({
      preHooks: [hook('Stop App', log)],
      postHooks: [hook('Flush', log, 1, { continueOnFailure: false }), hook('Other', log), hook('Start App', log, 0, { cleanupFor: 'Stop App' })],
    }).run();
    expect(result.tasks.map((task) => [task.name, task.status, task.skipReason])).toEqual([
      ['Stop App', 'completed', null],
      ['Flush', 'failed', null],
      ['Other', 'skipped', 'Task skipped due to hook failure'],
      ['Start App', 'completed', null],
    ]);
  });
});

describe('the new options are validated (docs/hooks.md)', () => {
  it('cleanupFor must name a pre-hook, and is for post-hooks only; retries and warningExitCodes are checked', () => {
    let issues: { path: string; message: string }[] = [];
    try {
      new JobPipeline({
        preHooks: [{ name: 'Stop App', command: 'true', cleanupFor: 'x' }],
        postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop Ap' }, { name: 'Other', command: 'true', retries: -1, warningExitCodes: [0] }],
        skipExitCode: 300,
      });
    } catch (error) {
      issues = printable((error as ConfigError).issues);
    }
    expect(issues).toEqual([
      { path: 'preHooks[0].cleanupFor', message: 'applies to post-hooks only: a post-hook names the pre-hook it undoes' },
      { path: 'postHooks[0].cleanupFor', message: 'names no pre-hook: "Stop Ap" (the pre-hooks are "Stop App")' },
      { path: 'postHooks[1].retries', message: 'expected a number ≥ 0, received number -1' },
      { path: 'postHooks[1].warningExitCodes[0]', message: 'expected an exit code 1–255, received number 0' },
      { path: 'skipExitCode', message: 'expected an exit code 1–255, received number 300' },
    ]);
    expect(() => new JobPipeline({ preHooks: [{ name: 'Stop App', command: 'true' }], postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop Ap' }] })).toThrow(
      'postHooks[0].cleanupFor: names no pre-hook: "Stop Ap" (the pre-hooks are "Stop App")',
    );
    // No pre-hooks given at all is a job without pre-hooks: such a cleanup would be skipped at every run.
    expect(() => new JobPipeline({ postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop App' }] })).toThrow(
      'postHooks[0].cleanupFor: names no pre-hook: "Stop App" (this job has no pre-hooks)',
    );
    // Said at the key the file has: a Borgitory-style hook's alias, not the name it became.
    expect(() => new JobPipeline({ post_job_hooks: [{ name: 'Start App', command: 'true', cleanup_for: 'Stop App' }] } as JobPipelineOptions)).toThrow(
      'post_job_hooks[0].cleanup_for: names no pre-hook: "Stop App" (this job has no pre-hooks)',
    );
    expect(() =>
      new JobPipeline({
        pre_job_hooks: [{ name: 'Stop App', command: 'true' }, { name: 'Stop App', command: 'true' }],
        post_job_hooks: [{ name: 'Start App', command: 'true', cleanup_for: 'Stop App' }],
      } as JobPipelineOptions),
    ).toThrow('post_job_hooks[0].cleanup_for: names 2 pre-hooks');
    expect(() => new JobPipeline({ preHooks: [{ name: 'a', command: 'true', warning_exit_codes: [75] } as HookConfig] })).toThrow(
      "preHooks[0].warning_exit_codes: 75 is the job's skipExitCode",
    );
    // The skip code cannot also be a pre-hook's warning code (the skip would win without a word).
    expect(() => new JobPipeline({ preHooks: [{ name: 'On AC power?', command: 'true', warningExitCodes: [1, 75] }] })).toThrow(
      "preHooks[0].warningExitCodes: 75 is the job's skipExitCode: a pre-hook exiting 75 skips the job, so it cannot also be a warning code",
    );
    expect(() => new JobPipeline({ skipExitCode: 99, preHooks: [{ name: 'a', command: 'true', warningExitCodes: [99] }] })).toThrow(/99 is the job's skipExitCode/);
    // With skipping off, or on a post-hook (which cannot skip), 75 is a warning code like any other.
    expect(() => new JobPipeline({ skipExitCode: null, preHooks: [{ name: 'a', command: 'true', warningExitCodes: [75] }] })).not.toThrow();
    expect(() => new JobPipeline({ postHooks: [{ name: 'b', command: 'true', warningExitCodes: [75] }] })).not.toThrow();
    // Pairs are made by name (in a recovery too): a name two pre-hooks share names neither.
    expect(() =>
      new JobPipeline({
        preHooks: [{ name: 'Stop App', command: 'true' }, { name: 'Dump', command: 'true' }, { name: 'Stop App', command: 'true' }],
        postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop App' }],
      }),
    ).toThrow('postHooks[0].cleanupFor: names 2 pre-hooks: "Stop App" is the name of pre-hooks 1 and 3; give the one this undoes a name of its own');
    // An invalid pre-hook entry is not listed as "undefined" among the names.
    expect(() => new JobPipeline({ preHooks: [5 as never, { name: 'Stop App', command: 'true' }], postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop' }] })).toThrow(
      /postHooks\[0\]\.cleanupFor: names no pre-hook: "Stop" \(the pre-hooks are "Stop App"\)/,
    );
  });

  it('the wait doubles per attempt, within ±20 %, and never passes retryDelayMax', () => {
    const policy = { retryDelayMs: 10_000, retryDelayMaxMs: 300_000 };
    expect([1, 2, 3].map((n) => retryDelayMs(n, policy, 0.5))).toEqual([10_000, 20_000, 40_000]);
    expect(retryDelayMs(1, policy, 0)).toBe(8_000);
    expect(retryDelayMs(1, policy, 0.999_999)).toBe(12_000);
    expect(retryDelayMs(10, policy, 0.5)).toBe(300_000);
  });
});
