import { appendFileSync, closeSync, readFileSync, readdirSync, readlinkSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  currentProcess,
  keyDirectory,
  openJournal,
  prepareKeyDirectory,
  readHistory,
  type JournalTask,
} from '../../src/journal/index.js';
import { stateDir } from './helpers.js';

const TASKS: JournalTask[] = [
  { index: 0, name: 'Stop Services', phase: 'pre', type: 'hook', runOnJobFailure: false },
  { index: 1, name: 'backup', phase: 'main', type: 'backup', runOnJobFailure: false },
  { index: 2, name: 'Restart Services', phase: 'post', type: 'hook', runOnJobFailure: true, cleanupFor: 'Stop Services' },
];

function lines(path: string): unknown[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('openJournal', () => {
  it('lays out <dir>/<sha256(key)[0,32]>/<startedAt compact>-<jobId>.jsonl, 0700/0600, one fsync\'ed record a line', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: '/etc/jobhooks/nightly.yml' });
    // sha256('/etc/jobhooks/nightly.yml'), first 32 hex digits.
    expect(keyDir).toBe(join(dir, keyDirectory({ dir: '', key: '/etc/jobhooks/nightly.yml' })));
    expect(keyDir.slice(dir.length + 1)).toMatch(/^[0-9a-f]{32}$/);
    const journal = await openJournal(keyDir, { jobId: 'job/1', key: '/etc/jobhooks/nightly.yml', startedAt: '2026-11-30T02:15:00.123Z', tasks: TASKS });
    expect(journal.path).toBe(join(keyDir, '20261130T021500123Z-job_1.jsonl'));
    expect(statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(statSync(journal.path).mode & 0o777).toBe(0o600);
    await journal.taskStart(0, { pgid: process.pid });
    await journal.taskEnd(0, 'completed');
    await journal.taskStart(1);
    await journal.taskEnd(1, 'completed', { archive: 'host-2026-11-30' });
    await journal.taskEnd(2, 'skipped');
    await journal.runEnd('completed');
    const me = currentProcess();
    const records = lines(journal.path) as Record<string, unknown>[];
    expect(records.map((record) => ({ ...record, at: undefined }))).toEqual([
      {
        type: 'run', v: 1, jobId: 'job/1', key: '/etc/jobhooks/nightly.yml', pid: process.pid, startTime: me.startTime,
        bootId: me.bootId, host: hostname(), startedAt: '2026-11-30T02:15:00.123Z', tasks: TASKS, at: undefined,
      },
      { type: 'taskStart', index: 0, pgid: process.pid, leaderStartTime: me.startTime, at: undefined },
      { type: 'taskEnd', index: 0, status: 'completed', at: undefined },
      { type: 'taskStart', index: 1, at: undefined },
      { type: 'taskEnd', index: 1, status: 'completed', archive: 'host-2026-11-30', at: undefined },
      { type: 'taskEnd', index: 2, status: 'skipped', at: undefined },
      { type: 'runEnd', status: 'completed', at: undefined },
    ]);
    expect(journal.incomplete).toBe(false);
  });

  it('an uncreatable directory is ERR_JOURNAL with the path and the OS reason, before anything is written', async () => {
    const file = join(stateDir(), 'not-a-dir');
    writeFileSync(file, '');
    const error = await prepareKeyDirectory({ dir: file, key: 'k' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'JobHooksError', code: 'ERR_JOURNAL' });
    expect((error as Error).message).toBe(
      `Cannot create the journal at ${keyDirectory({ dir: file, key: 'k' })} (ENOTDIR: not a directory, mkdir '${keyDirectory({ dir: file, key: 'k' })}')`,
    );
  });

  it('writes each record before the call returns (a kill -9 right after keeps it); the fdatasync runs behind, flush() awaits it', async () => {
    const keyDir = await prepareKeyDirectory({ dir: stateDir(), key: 'k' });
    const journal = await openJournal(keyDir, { jobId: 'j', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    // Not awaited: the record is already in the file (the kernel has it) when the call returns.
    void journal.taskStart(0, { pgid: process.pid });
    expect((lines(journal.path) as { type: string; pgid?: number }[]).map((record) => [record.type, record.pgid ?? null])).toEqual([['run', null], ['taskStart', process.pid]]);
    for (let index = 0; index < 50; index += 1) void journal.taskEnd(0, 'completed');
    expect(lines(journal.path)).toHaveLength(52);
    await journal.flush();
    await journal.runEnd('completed');
    expect((lines(journal.path) as { type: string }[]).at(-1)?.type).toBe('runEnd');
  });

  it('a write error mid-run never throws: it warns once, writes nothing more, and says incomplete', async () => {
    const keyDir = await prepareKeyDirectory({ dir: stateDir(), key: 'k' });
    const warnings: string[] = [];
    const journal = await openJournal(keyDir, { jobId: 'j', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS }, {
      onWarning: (message) => warnings.push(message),
    });
    await journal.taskStart(0);
    // The descriptor is pulled from under the writer: every later write fails (EBADF), as ENOSPC or EIO would.
    closeSync(descriptorOf(journal.path));
    await expect(journal.taskEnd(0, 'completed')).resolves.toBeUndefined();
    await expect(journal.taskStart(1)).resolves.toBeUndefined();
    await expect(journal.runEnd('completed')).resolves.toBeUndefined();
    expect(journal.incomplete).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^jobhooks: cannot write the journal ${journal.path} \\(EBADF: .*\\); the run goes on without it$`));
    expect((lines(journal.path) as { type: string }[]).map((record) => record.type)).toEqual(['run', 'taskStart']);
  });

  it('keeps `keep` finished runs (oldest deleted as a run ends); readHistory lists them newest first', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    for (const [minute, status] of [[1, 'completed'], [2, 'failed'], [3, 'completed'], [4, 'completed_with_warnings']] as const) {
      const journal = await openJournal(keyDir, { jobId: `run-${minute}`, key: 'k', startedAt: `2026-11-30T02:0${minute}:00.000Z`, tasks: TASKS }, { keep: 3 });
      await journal.taskStart(1);
      await journal.taskEnd(1, status === 'failed' ? 'failed' : 'completed', status === 'failed' ? {} : { archive: `a-${minute}` });
      await journal.runEnd(status, status === 'failed' ? { failedTask: 1 } : {});
    }
    expect(readdirSync(keyDir).sort()).toEqual([
      '20261130T020200000Z-run-2.jsonl', '20261130T020300000Z-run-3.jsonl', '20261130T020400000Z-run-4.jsonl',
    ]);
    const history = await readHistory({ dir, key: 'k' }, { limit: 2 });
    expect(history.map(({ finishedAt, durationMs, ...rest }) => ({ ...rest, finished: typeof finishedAt, duration: typeof durationMs }))).toEqual([
      { jobId: 'run-4', status: 'completed_with_warnings', startedAt: '2026-11-30T02:04:00.000Z', failedTask: null, error: null, pid: process.pid, archive: 'a-4', recoveredBy: null, rehearsal: null, finished: 'string', duration: 'number' },
      { jobId: 'run-3', status: 'completed', startedAt: '2026-11-30T02:03:00.000Z', failedTask: null, error: null, pid: process.pid, archive: 'a-3', recoveredBy: null, rehearsal: null, finished: 'string', duration: 'number' },
    ]);
    expect((await readHistory({ dir, key: 'k' }))[2]).toMatchObject({ jobId: 'run-2', status: 'failed', failedTask: 'backup', archive: null });
  });

  it('a run\'s end removes the temporary files a process killed while making the lock or a claim left, once an hour old', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    // What createExclusive leaves when its process is killed between making its temporary file and removing it.
    const old = ['lock.4242-0123456789ab.tmp', '20261130T020100000Z-run-1.jsonl.claim.0.4243-abcdefabcdef.tmp'];
    const recent = 'lock.4244-fedcba987654.tmp';
    const other = 'notes.tmp';
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of [...old, recent, other]) writeFileSync(join(keyDir, name), '{"pid":4242}');
    for (const name of [...old, other]) utimesSync(join(keyDir, name), twoHoursAgo, twoHoursAgo);
    const journal = await openJournal(keyDir, { jobId: 'run-9', key: 'k', startedAt: '2026-11-30T02:09:00.000Z', tasks: TASKS });
    await journal.runEnd('completed');
    expect(readdirSync(keyDir).sort()).toEqual(['20261130T020900000Z-run-9.jsonl', recent, other].sort());
  });

  it('a torn last line (a crash in the middle of a write) is ignored when reading', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    const journal = await openJournal(keyDir, { jobId: 'j', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    await journal.taskStart(0);
    await journal.close();
    appendFileSync(journal.path, '{"type":"taskEnd","index":0,"sta');
    const [entry] = await readHistory({ dir, key: 'k' });
    expect(entry).toMatchObject({ jobId: 'j', status: 'running', finishedAt: null, pid: process.pid });
  });
});

/** The descriptor this process has open on `path`. */
function descriptorOf(path: string): number {
  const found = readdirSync('/proc/self/fd').find((entry) => {
    try {
      return readlinkSync(`/proc/self/fd/${entry}`) === path;
    } catch {
      return false;
    }
  });
  if (found === undefined) throw new Error(`no descriptor open on ${path}`);
  return Number(found);
}
