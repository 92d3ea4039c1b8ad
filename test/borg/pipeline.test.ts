import { chmod, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgCheck, borgCompact, borgCreate, borgPrune } from '../../src/borg/index.js';
import { JobPipeline } from '../../src/index.js';
import { collectEvents, RecordingNotifier } from '../../src/testing.js';
import type { Task } from '../../src/types.js';
import { borgHasModernExitCodes, largeDataDir, makeSandbox, makeSourceTree, processesMentioning, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';

// Full jobs through JobPipeline with real hooks, the real ShellExecutor and the real borg.
const PASSPHRASE = 'pipeline-$ecret with spaces';

let sandbox: BorgSandbox;
let source: string;
let modern: boolean;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-pipeline');
  source = await makeSourceTree(sandbox.dir);
  modern = await borgHasModernExitCodes();
});

afterAll(async () => {
  await sandbox.cleanup();
});

function pipelineFor(tasks: Task[], extra: { postHooks?: { name: string; command: string; runOnJobFailure?: boolean }[] } = {}) {
  const notifier = new RecordingNotifier();
  const pipeline = new JobPipeline({
    repository: { id: 7, name: 'web' },
    preHooks: [{ name: 'Database Dump', command: `echo "CREATE TABLE t (id int);" > "${source}/db.sql"`, critical: true }],
    tasks,
    postHooks: extra.postHooks ?? [{ name: 'Remove Dump', command: `rm -f "${source}/db.sql"`, runOnJobFailure: true }],
    notifiers: [notifier],
    env: sandbox.env,
  });
  const events = collectEvents(pipeline);
  return { pipeline, notifier, events };
}

function summary(result: { tasks: readonly { type: string; status: string; warning: boolean; skipReason: string | null }[] }) {
  return result.tasks.map(({ type, status, warning, skipReason }) => ({ type, status, warning, skipReason }));
}

describe.skipIf(!borgInstalled)('borg tasks in a full job', { tags: [BORG_TAG] }, () => {
  it('dump → create → prune → compact → check → cleanup: completed, with stats, progress and the dump in the archive', async () => {
    const repository = await sandbox.init('job', 'repokey', PASSPHRASE);
    await sandbox.borg(['create', '--timestamp=2024-01-01T00:00:00', `${repository}::old`, source], { BORG_PASSPHRASE: PASSPHRASE });
    const common = { repository, passphrase: PASSPHRASE };
    const { pipeline, notifier, events } = pipelineFor([
      borgCreate({ ...common, paths: [source], archive: 'nightly' }),
      borgPrune({ ...common, keep: { last: 1 } }),
      borgCompact(common),
      borgCheck(common),
    ]);

    const result = await pipeline.run();

    expect(result.status).toBe('completed');
    expect(summary(result)).toEqual([
      { type: 'hook', status: 'completed', warning: false, skipReason: null },
      { type: 'backup', status: 'completed', warning: false, skipReason: null },
      { type: 'prune', status: 'completed', warning: false, skipReason: null },
      { type: 'compact', status: 'completed', warning: false, skipReason: null },
      { type: 'check', status: 'completed', warning: false, skipReason: null },
      { type: 'hook', status: 'completed', warning: false, skipReason: null },
      { type: 'notification', status: 'completed', warning: false, skipReason: null },
    ]);
    const backup = result.tasks[1];
    const stats = (backup?.data as { archive: { name: string; stats: Record<string, number> } }).archive;
    expect(stats.name).toBe('nightly');
    expect(stats.stats['original_size']).toBeGreaterThan(0);
    expect(stats.stats['compressed_size']).toBeGreaterThan(0);
    expect(stats.stats['deduplicated_size']).toBeGreaterThan(0);
    expect(stats.stats['nfiles']).toBe(6);
    expect(result.tasks[2]?.data).toMatchObject({ kept: [{ name: 'nightly', rule: 'secondly', ruleNumber: 1 }], pruned: [{ name: 'old' }] });

    expect(await sandbox.archives(repository, PASSPHRASE)).toEqual(['nightly']);
    const { stdout } = await sandbox.borg(['list', '--format={path}{NL}', `${repository}::nightly`], { BORG_PASSPHRASE: PASSPHRASE });
    expect(stdout.split('\n')).toContain(`${source.slice(1)}/db.sql`);
    expect(existsSync(join(source, 'db.sql'))).toBe(false);

    const progress = events.filter((event) => event.name === 'taskProgress').map((event) => event.payload);
    expect(progress.some((payload) => payload.taskIndex === 1 && payload['kind'] === 'archive_progress' && payload['finished'] === true)).toBe(true);
    expect(progress.some((payload) => payload.taskIndex === 2 && payload['operation'] === 'prune')).toBe(true);
    expect(progress.some((payload) => payload.taskIndex === 3 && payload['operation'] === 'repository.compact_segments')).toBe(true);
    expect(progress.some((payload) => payload.taskIndex === 4 && payload['operation'] === 'repository.check')).toBe(true);
    expect(notifier.messages[0]?.title).toBe('✅ Backup Job Completed Successfully');

    expect(JSON.stringify({ result, events, messages: notifier.messages })).not.toContain('pipeline-$ecret');
  });

  it('a missing source path: borg exits 1, the backup completes with a warning and the job ends completed_with_warnings', async () => {
    const repository = await sandbox.init('warning', 'none');
    const missing = join(sandbox.dir, 'gone');
    const { pipeline, notifier } = pipelineFor([
      borgCreate({ repository, paths: [source, missing], archive: 'partial' }),
      borgPrune({ repository, keep: { daily: 7 } }),
    ]);

    const result = await pipeline.run();

    expect(result.status).toBe('completed_with_warnings');
    expect(result.failure).toBeNull();
    expect(result.tasks[1]).toMatchObject({ type: 'backup', status: 'completed', warning: true, exitCode: modern ? 107 : 1, error: null });
    expect((result.tasks[1]?.data as { warnings: string[] }).warnings).toEqual([`${missing}: [Errno 2] No such file or directory: 'gone'`]);
    expect(result.tasks[1]?.output).toContain(`${missing}: [Errno 2] No such file or directory: 'gone'`);
    expect(result.tasks[2]).toMatchObject({ type: 'prune', status: 'completed' });
    expect(await sandbox.archives(repository)).toEqual(['partial']);
    expect(notifier.messages[0]?.title).toBe('⚠️ Backup Job Completed with Warnings');
    expect(notifier.messages[0]?.body).toContain('Tasks with Warnings: backup');
  });

  it('a wrong passphrase fails the backup with borg’s message and skips what follows; cleanup still runs', async () => {
    const repository = await sandbox.init('wrongpass', 'repokey', PASSPHRASE);
    const wrong = 'not-the-passphrase';
    const { pipeline, notifier, events } = pipelineFor([
      borgCreate({ repository, passphrase: wrong, paths: [source] }),
      borgPrune({ repository, passphrase: wrong, keep: { daily: 7 } }),
    ]);

    const result = await pipeline.run();

    const message = 'passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.';
    expect(result.status).toBe('failed');
    expect(result.failure).toEqual({ taskIndex: 1, taskName: 'borg create', type: 'backup', reason: 'critical_task_failure', error: message });
    expect(result.tasks[1]).toMatchObject({ status: 'failed', exitCode: modern ? 52 : 2, error: message });
    expect(summary(result).slice(2)).toEqual([
      { type: 'prune', status: 'skipped', warning: false, skipReason: 'Task skipped due to critical task failure' },
      { type: 'hook', status: 'completed', warning: false, skipReason: null },
      { type: 'notification', status: 'completed', warning: false, skipReason: null },
    ]);
    expect(existsSync(join(source, 'db.sql'))).toBe(false);
    expect(notifier.messages[0]?.title).toBe('❌ Backup Job Failed - Backup Error');
    expect(JSON.stringify({ result, events, messages: notifier.messages })).not.toContain(wrong);
  });

  it('a missing repository fails the backup with borg’s message and skips what follows', async () => {
    const missing = join(sandbox.dir, 'no-repo-here');
    const { pipeline } = pipelineFor([borgCreate({ repository: missing, paths: [source] }), borgCheck({ repository: missing })]);
    const result = await pipeline.run();
    expect(result.status).toBe('failed');
    expect(result.failure?.error).toBe(`Repository ${missing} does not exist.`);
    expect(result.tasks[2]).toMatchObject({ type: 'check', status: 'skipped', skipReason: 'Task skipped due to critical task failure' });
  });

  it('a one-character secret redacts borg’s message but never its errorId or exit code', async () => {
    const missing = join(sandbox.dir, 'no-repo-for-o');
    const result = await new JobPipeline({ tasks: [borgCreate({ repository: missing, paths: [source] })], env: sandbox.env, secrets: ['o'] }).run();
    const redactedPath = missing.replaceAll('o', '***');
    expect(result.tasks[0]).toMatchObject({ status: 'failed', exitCode: 2, error: `Rep***sit***ry ${redactedPath} d***es n***t exist.` });
    expect(result.tasks[0]?.data).toEqual({ warnings: [], errorId: 'Repository.DoesNotExist' });
    expect(result.failure).toMatchObject({ reason: 'critical_task_failure', type: 'backup' });
  });

  it('anything borg prints that contains the passphrase is redacted everywhere, data included', async () => {
    // A stand-in borg that leaks what it was given: the engine and the task must catch it.
    const leaky = join(sandbox.dir, 'leaky-borg');
    await writeFile(
      leaky,
      [
        '#!/bin/bash',
        'echo "plain line with $BORG_PASSPHRASE" >&2',
        'printf \'{"type": "log_message", "message": "warned about %s", "levelname": "WARNING", "name": "borg"}\\n\' "$BORG_PASSPHRASE" >&2',
        'printf \'{"type": "progress_message", "message": "working on %s", "operation": 1, "msgid": null, "finished": false}\\n\' "$BORG_PASSPHRASE" >&2',
        'printf \'{"type": "log_message", "message": "bad key %s", "levelname": "ERROR", "name": "borg", "msgid": "Leak"}\\n\' "$BORG_PASSPHRASE" >&2',
        'exit 2',
      ].join('\n'),
    );
    await chmod(leaky, 0o755);
    const { pipeline, notifier, events } = pipelineFor([borgCreate({ repository: '/repo', passphrase: PASSPHRASE, paths: [source], borgBinary: leaky })]);

    const result = await pipeline.run();

    expect(result.tasks[1]).toMatchObject({ status: 'failed', error: 'bad key ***' });
    expect(result.tasks[1]?.output).toBe(['plain line with ***', 'warned about ***', 'bad key ***'].join('\n'));
    expect(result.tasks[1]?.data).toEqual({ warnings: ['warned about ***'], errorId: 'Leak' });
    const progress = events.find((event) => event.name === 'taskProgress');
    expect(progress?.payload).toMatchObject({ kind: 'progress_message', message: 'working on ***' });
    expect(JSON.stringify({ result, events, messages: notifier.messages })).not.toContain('pipeline-$ecret');
  });
});

describe.skipIf(!borgInstalled)('stopping a borg job', { tags: [BORG_TAG] }, () => {
  let data: string;

  beforeAll(async () => {
    data = await largeDataDir(300);
  }, 120_000);

  it('cancel during a large create: job cancelled, cleanup runs, no borg left, repository unlocked', async () => {
    const repository = await sandbox.init('cancel', 'none');
    const { pipeline, notifier } = pipelineFor([borgCreate({ repository, paths: [data], archive: 'big' }), borgPrune({ repository, keep: { daily: 1 } })]);
    const controller = new AbortController();
    pipeline.on('taskProgress', (event) => {
      if (typeof event['originalSize'] === 'number' && event['originalSize'] > 0) controller.abort();
    });

    const result = await pipeline.run({ signal: controller.signal });

    expect(result.status).toBe('cancelled');
    expect(result.tasks[1]).toMatchObject({ type: 'backup', status: 'failed', cancelled: true, timedOut: false, error: 'Task cancelled', exitCode: 143 });
    expect(summary(result).slice(2)).toEqual([
      { type: 'prune', status: 'skipped', warning: false, skipReason: 'Task skipped due to job cancellation' },
      { type: 'hook', status: 'completed', warning: false, skipReason: null },
      { type: 'notification', status: 'completed', warning: false, skipReason: null },
    ]);
    expect(notifier.messages[0]?.title).toBe('🛑 Backup Job Cancelled');
    expect(await processesMentioning(repository)).toEqual([]);
    await sandbox.borg(['with-lock', repository, 'true']);
    expect(await sandbox.archives(repository)).not.toContain('big');
  });

  it('a task timeout stops borg the same way, with the engine’s timeout message', async () => {
    // zstd at level 22 keeps borg busy for minutes; 3 s lets borg start and take its lock first.
    const repository = await sandbox.init('timeout', 'none');
    const { pipeline } = pipelineFor([borgCreate({ repository, paths: [data], archive: 'big', compression: 'zstd,22', timeout: '3s' })]);
    const result = await pipeline.run();
    expect(result.status).toBe('failed');
    expect(result.tasks[1]).toMatchObject({ status: 'failed', timedOut: true, cancelled: false, error: "Task 'borg create' timed out after 3s", exitCode: 143 });
    expect(await processesMentioning(repository)).toEqual([]);
    await sandbox.borg(['with-lock', repository, 'true']);
  });
});
