import { closeSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlreadyRunningError, commandTask, JobPipeline, readHistory, type Task } from '../../src/index.js';
import { keyDirectory } from '../../src/journal/files.js';
import { claimDeadRun, findDeadRuns } from '../../src/journal/recovery.js';
import { leaveDeadRun } from '../support/dead-run.js';
import { RecordingNotifier } from '../../src/testing.js';

// The journal wired into run(), with real shell hooks (docs/journal.md).

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'jobhooks-journal-run-'));
}

function journalText(dir: string): string {
  const walk = (path: string): string[] =>
    readdirSync(path, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(path, entry.name)) : [readFileSync(join(path, entry.name), 'utf8')]));
  return walk(dir).join('\n');
}

describe('run() with a journal', () => {
  it('records every task, skipped ones too, and the run end; the result says the journal is complete', async () => {
    const dir = join(scratch(), 'state');
    const result = await new JobPipeline({
      jobId: 'j1',
      journal: { dir, key: 'nightly' },
      preHooks: [{ name: 'Dump', command: 'exit 3', critical: true }],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'true' })],
      postHooks: [{ name: 'Cleanup', command: 'true', runOnJobFailure: true }],
      notifiers: [new RecordingNotifier()],
    }).run();
    expect(result.journal).toEqual({ incomplete: false });
    const [file] = readdirSync(keyDirectory({ dir, key: 'nightly' })).filter((name) => name.endsWith('.jsonl'));
    const records = readFileSync(join(keyDirectory({ dir, key: 'nightly' }), file ?? ''), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; index?: number; status?: string; pgid?: number; failedTask?: number });
    expect(records.map((record) => [record.type, record.index ?? null, record.status ?? null, record.pgid === undefined ? null : 'pgid'])).toEqual([
      ['run', null, null, null],
      ['taskStart', 0, null, null],
      ['taskStart', 0, null, 'pgid'],
      ['taskEnd', 0, 'failed', null],
      ['taskEnd', 1, 'skipped', null],
      ['taskStart', 2, null, null],
      ['taskStart', 2, null, 'pgid'],
      ['taskEnd', 2, 'completed', null],
      ['taskStart', 3, null, null],
      ['taskEnd', 3, 'completed', null],
      ['runEnd', null, 'failed', null],
    ]);
    expect(records.at(-1)?.failedTask).toBe(0);
    expect(await readHistory({ dir, key: 'nightly' })).toMatchObject([{ jobId: 'j1', status: 'failed', failedTask: 'Dump', pid: process.pid }]);
    expect(result.tasks.map((task) => task.index)).toEqual([0, 1, 2, 3]);
  });

  it('a journal write failing mid-run never fails the job: one journalWarning, and the result says incomplete', async () => {
    const dir = join(scratch(), 'state');
    const keyDir = keyDirectory({ dir, key: 'k' });
    // As a full disk would: the journal's descriptor is pulled from under it while a task runs.
    const breakJournal: Task = {
      type: 'breaker',
      name: 'break the journal',
      async run() {
        const fd = readdirSync('/proc/self/fd').find((entry) => {
          try {
            return readlinkSync(`/proc/self/fd/${entry}`).startsWith(`${keyDir}/`) && readlinkSync(`/proc/self/fd/${entry}`).endsWith('.jsonl');
          } catch {
            return false;
          }
        });
        closeSync(Number(fd));
        return { status: 'completed' };
      },
    };
    const pipeline = new JobPipeline({ journal: { dir, key: 'k' }, tasks: [breakJournal], postHooks: [{ name: 'after', command: 'true' }] });
    const warnings: string[] = [];
    pipeline.on('journalWarning', ({ message }) => warnings.push(message));
    const result = await pipeline.run();
    expect(result.status).toBe('completed');
    expect(result.tasks.map((task) => task.status)).toEqual(['completed', 'completed']);
    expect(result.journal).toEqual({ incomplete: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^jobhooks: cannot write the journal .*\.jsonl \(EBADF: .*\); the run goes on without it$/);
  });

  it('the run record names each paired cleanup\'s pre-hook, so that the writer flushes their records at once', async () => {
    const dir = join(scratch(), 'state');
    await new JobPipeline({
      journal: { dir, key: 'paired' },
      preHooks: [{ name: 'Stop App', command: 'true' }],
      postHooks: [{ name: 'Start App', command: 'true', cleanupFor: 'Stop App' }],
    }).run();
    const keyDir = keyDirectory({ dir, key: 'paired' });
    const [file = ''] = readdirSync(keyDir).filter((name) => name.endsWith('.jsonl'));
    const run = JSON.parse(readFileSync(join(keyDir, file), 'utf8').split('\n')[0] ?? '') as { type: string; tasks: unknown[] };
    expect(run.type).toBe('run');
    expect(run.tasks).toEqual([
      { index: 0, name: 'Stop App', phase: 'pre', type: 'hook', runOnJobFailure: false },
      { index: 1, name: 'Start App', phase: 'post', type: 'hook', runOnJobFailure: false, cleanupFor: 'Stop App' },
    ]);
  });

  it("a run waits for another process's recovery under way, so as never to start beside its cleanups", async () => {
    const dir = join(scratch(), 'state');
    const marks = join(dir, '..', 'marks');
    const tasks = [
      { index: 0, name: 'Backup', phase: 'main' as const, type: 'backup', runOnJobFailure: false },
      { index: 1, name: 'Restart Services', phase: 'post' as const, type: 'hook', runOnJobFailure: true },
    ];
    await leaveDeadRun(dir, 'k', 'dead', tasks, 0);
    const keyDir = keyDirectory({ dir, key: 'k' });
    // Another recovery has claimed it (a live claimant: this process) and is running its cleanup.
    const [dead] = await findDeadRuns(keyDir);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'other recovery' });
    expect(claim).not.toBeNull();
    const pipeline = new JobPipeline({ journal: { dir, key: 'k' }, preHooks: [{ name: 'Stop Services', command: `echo run >> '${marks}'` }] });
    const recovered: unknown[] = [];
    pipeline.on('jobRecovered', ({ result }) => recovered.push(result));
    const running = pipeline.run();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(existsSync(marks)).toBe(false);
    await claim?.taskStart(1);
    await claim?.taskEnd(1, 'completed');
    await claim?.finish('interrupted');
    expect((await running).status).toBe('completed');
    expect(readFileSync(marks, 'utf8')).toBe('run\n');
    // The other process recovered it: this run has nothing of its own to report.
    expect(recovered).toEqual([]);
  });

  it('a recovery runs the cleanups the current definition marks runOnJobFailure, each once, whatever the record says', async () => {
    const dir = join(scratch(), 'state');
    const marks = join(dir, '..', 'marks');
    // Recorded: both post-hooks run on failure, and one of them twice (a damaged or edited record).
    const tasks = [
      { index: 0, name: 'Backup', phase: 'main' as const, type: 'backup', runOnJobFailure: false },
      { index: 1, name: 'Restart Services', phase: 'post' as const, type: 'hook', runOnJobFailure: true },
      { index: 2, name: 'Upload Report', phase: 'post' as const, type: 'hook', runOnJobFailure: true },
      { index: 3, name: 'Restart Services', phase: 'post' as const, type: 'hook', runOnJobFailure: true },
    ];
    await leaveDeadRun(dir, 'k', 'dead', tasks, 0);
    // Since then, Upload Report runs after a success only.
    const recovered = await new JobPipeline({
      journal: { dir, key: 'k' },
      postHooks: [
        { name: 'Restart Services', command: `echo restart >> '${marks}'`, runOnJobFailure: true },
        { name: 'Upload Report', command: `echo upload >> '${marks}'` },
      ],
    }).recover();
    expect(recovered.map((result) => result.tasks.map((task) => task.name))).toEqual([['Restart Services']]);
    expect(readFileSync(marks, 'utf8')).toBe('restart\n');
  });

  it('a signal while it waits for that recovery: run() rejects with its reason, and leaves no run behind', async () => {
    const dir = join(scratch(), 'state');
    await leaveDeadRun(dir, 'k', 'dead', [{ index: 0, name: 'Backup', phase: 'main', type: 'backup', runOnJobFailure: false }], 0);
    const keyDir = keyDirectory({ dir, key: 'k' });
    const [dead] = await findDeadRuns(keyDir);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'other recovery' });
    const error = await new JobPipeline({ journal: { dir, key: 'k' }, preHooks: [{ name: 'a', command: 'true' }] })
      .run({ signal: AbortSignal.timeout(300) })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('TimeoutError');
    // Only the dead run's file and its claim remain: this run left neither a file nor a marker.
    expect(readdirSync(keyDir).filter((name) => !name.startsWith('lock')).map((name) => name.replace(/^.*?(\.jsonl)/, '$1')).sort()).toEqual(
      ['.jsonl', '.jsonl.claim.0', '.jsonl.running'].sort(),
    );
    await claim?.release();
  });

  it('without a journal the result says so: journal null', async () => {
    const result = await new JobPipeline({ preHooks: [{ name: 'a', command: 'true' }] }).run();
    expect(result.journal).toBeNull();
  });

  it('a state directory that can never be made (under /proc) rejects with ERR_JOURNAL at once; it does not spin', async () => {
    const dir = '/proc/jobhooks-test/state';
    const keyDir = keyDirectory({ dir, key: 'k' });
    const error = (await new JobPipeline({ journal: { dir, key: 'k' }, preHooks: [{ name: 'a', command: 'true' }] })
      .run()
      .catch((caught: unknown) => caught)) as { code?: string; message?: string };
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'ERR_JOURNAL',
      message: `Cannot create the journal at ${keyDir} (ENOENT: no such file or directory, mkdir '/proc/jobhooks-test')`,
    });
  });

  it('an unwritable state directory rejects with ERR_JOURNAL, the path and the reason, before any hook runs', async () => {
    const base = scratch();
    writeFileSync(join(base, 'file'), '');
    const marker = join(base, 'marker');
    const dir = join(base, 'file', 'state');
    const run = new JobPipeline({ journal: { dir, key: 'k' }, preHooks: [{ name: 'touch', command: `touch '${marker}'` }] }).run();
    const error = (await run.catch((caught: unknown) => caught)) as { code?: string; message?: string };
    const keyDir = keyDirectory({ dir, key: 'k' });
    expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_JOURNAL', message: `Cannot create the journal at ${keyDir} (ENOTDIR: not a directory, mkdir '${keyDir}')` });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a second run of the key while the first runs, naming its pid and start; with lockWait it starts when the first ends', async () => {
    const base = scratch();
    const release = join(base, 'release');
    const started = join(base, 'started');
    const options = { journal: { dir: join(base, 'state'), key: 'k' }, preHooks: [{ name: 'hold', command: `touch '${started}'; while [ ! -e '${release}' ]; do sleep 0.02; done` }] };
    const first = new JobPipeline({ ...options, jobId: 'first' }).run();
    while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await new JobPipeline({ preHooks: [{ name: 'x', command: 'true' }], journal: options.journal }).run().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AlreadyRunningError);
    const owner = (refused as AlreadyRunningError).owner;
    expect(owner.pid).toBe(process.pid);
    expect((refused as AlreadyRunningError).code).toBe('ERR_ALREADY_RUNNING');
    expect((refused as AlreadyRunningError).message).toContain(`(pid ${process.pid} since ${owner.startedAt}`);
    const lockSeen = join(base, 'lock-seen');
    const copyLock = `cp '${join(keyDirectory(options.journal), 'lock')}' '${lockSeen}'`;
    const waiting = new JobPipeline({ preHooks: [{ name: 'x', command: copyLock }], journal: options.journal, lockWait: '30s', jobId: 'waited' }).run();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const releasedAt = Date.now();
    writeFileSync(release, '');
    expect((await first).status).toBe('completed');
    const waited = await waiting;
    expect(waited.status).toBe('completed');
    // The wait is not part of the run: the history's start is the result's, after the first run ended.
    const entry = (await readHistory(options.journal)).find((run) => run.jobId === 'waited');
    expect(Date.parse(entry?.startedAt ?? '')).toBeGreaterThanOrEqual(releasedAt);
    expect(Math.abs(Date.parse(entry?.startedAt ?? '') - Date.parse(waited.startedAt))).toBeLessThan(200);
    // Its lock says the same start, so "already running (pid … since …)" and the history agree.
    expect((JSON.parse(readFileSync(lockSeen, 'utf8')) as { startedAt: string }).startedAt).toBe(entry?.startedAt);
  });

  it('holds no secret value, env value or output line', async () => {
    const dir = join(scratch(), 'state');
    const values = ['JOBENV-S3CRET', 'HOOKENV-S3CRET', 'CONTEXT-S3CRET', 'SECRETS-S3CRET', 'OUTPUT-LINE-S3CRET', 'TASKENV-S3CRET'];
    await new JobPipeline({
      journal: { dir, key: 'k' },
      env: { JOB_TOKEN: values[0] ?? '' },
      context: { token: values[2] ?? '' },
      secrets: [values[3] ?? ''],
      preHooks: [{ name: 'hook', command: `echo ${values[4]}; echo ${values[3]}`, env: { HOOK_TOKEN: values[1] ?? '' } }],
      tasks: [
        commandTask({ name: 'task', command: 'echo "$TASK_TOKEN"', env: { TASK_TOKEN: values[5] ?? '' } }),
        // A failed task's error is kept for history: redacted like everywhere else.
        { type: 'upload', name: 'upload', critical: false, run: async () => ({ status: 'failed', error: `login refused for ${values[3] ?? ''}` }) },
      ],
      notifiers: [new RecordingNotifier()],
    }).run();
    const text = journalText(dir);
    expect(text).toContain('"type":"runEnd"');
    expect(text).toContain('"error":"login refused for ***"');
    for (const value of values) expect(text).not.toContain(value);
  });

  it('keeps, for history, the archive a backup made and the error of the task that failed', async () => {
    const dir = join(scratch(), 'state');
    const archive: Task = { type: 'backup', name: 'borg create', critical: true, run: async () => ({ status: 'completed', data: { archive: { name: 'nas-2026-11-30' } } }) };
    await new JobPipeline({
      jobId: 'j-archive',
      journal: { dir, key: 'k' },
      tasks: [archive],
      postHooks: [{ name: 'Report', command: `exit 4` }],
    }).run();
    expect(await readHistory({ dir, key: 'k' })).toMatchObject([
      { jobId: 'j-archive', status: 'completed_with_warnings', archive: 'nas-2026-11-30', failedTask: 'Report', error: "Hook 'Report' exited with code 4" },
    ]);
  });

  it('maxRunTime cancels a long hook and still runs the cleanup, with the exact error', async () => {
    const base = scratch();
    const log = join(base, 'log');
    const result = await new JobPipeline({
      maxRunTime: '300ms',
      preHooks: [{ name: 'Long', command: 'sleep 30' }],
      tasks: [commandTask({ type: 'backup', name: 'backup', command: 'true' })],
      postHooks: [{ name: 'Cleanup', command: `echo "cleanup $JOBHOOKS_JOB_STATUS" >> '${log}'`, runOnJobFailure: true }],
      defaults: { killGrace: '1s' },
    }).run();
    expect(result.status).toBe('cancelled');
    expect(result.failure).toEqual({ taskIndex: 0, taskName: 'Long', type: 'hook', reason: 'cancelled', error: 'Job exceeded maxRunTime (300ms)' });
    expect(result.tasks.map((task) => [task.name, task.status, task.cancelled])).toEqual([
      ['Long', 'failed', true],
      ['backup', 'skipped', false],
      ['Cleanup', 'completed', false],
    ]);
    expect(readFileSync(log, 'utf8')).toBe('cleanup cancelled\n');
  });

  it('maxRunTime as seconds is named in seconds; a job that ends in time is not touched', async () => {
    const result = await new JobPipeline({ maxRunTime: 30, preHooks: [{ name: 'quick', command: 'true' }] }).run();
    expect(result.status).toBe('completed');
    const late = await new JobPipeline({ maxRunTime: 0.2, preHooks: [{ name: 'Long', command: 'sleep 30' }], defaults: { killGrace: '1s' } }).run();
    expect(late.failure?.error).toBe('Job exceeded maxRunTime (0.2s)');
  });

  it('recover() without a journal option rejects with ERR_JOURNAL', async () => {
    await expect(new JobPipeline({}).recover()).rejects.toMatchObject({ code: 'ERR_JOURNAL' });
  });
});
