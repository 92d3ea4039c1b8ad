import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  claimDeadRun,
  currentProcess,
  findDeadRuns,
  isProcessAlive,
  killRecordedGroup,
  openJournal,
  prepareKeyDirectory,
  processStartTime,
  readHistory,
  recordedGroupAlive,
  type JournalTask,
} from '../../src/journal/index.js';
import { deadPid, makeOwnerDead } from '../support/dead-run.js';
import { isAlive } from '../support/processes.js';
import { buildContender, finish, race, startContender, stateDir } from './helpers.js';

let contender = '';
beforeAll(async () => {
  contender = await buildContender();
});

const TASKS: JournalTask[] = [
  { index: 0, name: 'Stop Services', phase: 'pre', type: 'hook', runOnJobFailure: false },
  { index: 1, name: 'backup', phase: 'main', type: 'backup', runOnJobFailure: false },
  { index: 2, name: 'Restart Services', phase: 'post', type: 'hook', runOnJobFailure: true },
];

/** A run file as a process that died during 'backup' (a group id above pid_max, so nothing leads it) left it. */
async function deadRun(dir: string, jobId = 'dead-job'): Promise<string> {
  const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
  const journal = await openJournal(keyDir, { jobId, key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
  await journal.taskStart(0);
  await journal.taskEnd(0, 'completed');
  await journal.taskStart(1, { pgid: 4_194_305 });
  await journal.close();
  makeOwnerDead(journal.path);
  return keyDir;
}

import type { ChildProcess } from 'node:child_process';

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('liveness', () => {
  it('processStartTime reads field 22 after the last ")", whatever the command name', async () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'jobhooks-name-')), 'a) b (c d');
    copyFileSync('/bin/sleep', bin);
    spawnSync('chmod', ['+x', bin]);
    const before = spawn('sleep', ['30']);
    const odd = spawn(bin, ['30']);
    const after = spawn('sleep', ['30']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const times = [before, odd, after].map((child) => processStartTime(child.pid ?? 0));
    for (const child of [before, odd, after]) child.kill('SIGKILL');
    expect(readFileSync(`/proc/${String(odd.pid)}/stat`, 'latin1').includes('(a) b (c d)')).toBe(true);
    expect(times.every((time) => typeof time === 'number')).toBe(true);
    const [t0, t1, t2] = times as number[];
    expect(t1).toBeGreaterThanOrEqual(t0 ?? 0);
    expect(t1).toBeLessThanOrEqual(t2 ?? 0);
  });

  it('an owner is alive iff its pid runs with the recorded start time, on this boot', () => {
    const me = currentProcess();
    expect(isProcessAlive(me)).toBe(true);
    expect(isProcessAlive({ ...me, startTime: (me.startTime ?? 0) + 1 })).toBe(false);
    expect(isProcessAlive({ ...me, pid: deadPid() })).toBe(false);
    expect(isProcessAlive({ ...me, bootId: 'another-boot' })).toBe(false);
    expect(processStartTime(deadPid())).toBe(null);
  });

  it('a recorded group is killed when its leader matches, or when the leader is gone and members remain; never when the pid was reused', async () => {
    const leader = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = leader.pid ?? 0;
    const start = processStartTime(pid);
    expect(recordedGroupAlive(pid, (start ?? 0) + 1)).toBe('reused');
    expect(await killRecordedGroup(pid, (start ?? 0) + 1, 1_000)).toBe('reused');
    expect(isAlive(pid)).toBe(true);
    expect(await killRecordedGroup(pid, start, 1_000)).toBe('leader');
    await exited(leader);
    // The group's leader (sh) exits at once; its background sleep stays in the group.
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const orphan = Number(await new Promise<string>((resolve) => shell.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    await exited(shell);
    const pgid = shell.pid ?? 0;
    expect(recordedGroupAlive(pgid, 123)).toBe('members');
    expect(await killRecordedGroup(pgid, 123, 1_000)).toBe('members');
    for (let i = 0; i < 50 && isAlive(orphan); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isAlive(orphan)).toBe(false);
    expect(recordedGroupAlive(pgid, 123)).toBe('gone');
  });

  it('a damaged journal cannot make it signal init\'s group, every process (0, -1), or its own group and session', async () => {
    const own = readFileSync('/proc/self/stat', 'latin1');
    const [pgrp, session] = own.slice(own.lastIndexOf(')') + 2).split(' ').slice(2, 4).map(Number);
    for (const pgid of [0, 1, -1, Number.NaN, 2 ** 60, pgrp ?? 0, session ?? 0]) {
      expect({ pgid, state: recordedGroupAlive(pgid, processStartTime(pgid)) }).toEqual({ pgid, state: 'reused' });
      expect(await killRecordedGroup(pgid, processStartTime(pgid), 100)).toBe('reused');
    }
    // Still alive to say so: nothing was signalled.
    expect(isAlive(process.pid)).toBe(true);
  });
});

describe('a damaged key directory', () => {
  it('a FIFO, a link to /dev/zero and a run record without its task list are passed over: no hang, no crash', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'damaged' });
    const fifo = join(keyDir, '20261201T000000000Z-fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const zero = join(keyDir, '20261201T000000001Z-zero.jsonl');
    symlinkSync('/dev/zero', zero);
    const bad = join(keyDir, '20261201T000000002Z-bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ type: 'run', jobId: 'bad', key: 'damaged', pid: deadPid(), startTime: null, bootId: null, host: 'h', startedAt: '2026-12-01T00:00:00.000Z', tasks: 'oops' })}\n`);
    for (const file of [fifo, zero, bad]) writeFileSync(`${file}.running`, '');
    const started = performance.now();
    expect(await findDeadRuns(keyDir)).toEqual([]);
    expect(await readHistory({ dir, key: 'damaged' })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('the journal is refused where someone else could write to it (docs/security.md#the-state-directory)', () => {
  it('a state directory others can write to, a key directory that is a symbolic link, or one of another user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobhooks-private-'));
    try {
      const state = join(dir, 'state');
      mkdirSync(state, { mode: 0o700 });
      chmodSync(state, 0o777);
      await expect(prepareKeyDirectory({ dir: state, key: 'nightly' })).rejects.toMatchObject({
        code: 'ERR_JOURNAL',
        message: `Cannot use the journal at ${state} (other users can write to it (mode 0777)): it must be a directory of this user's that nobody else can write to, such as one made with mkdir -m 700`,
      });
      chmodSync(state, 0o755);
      const keyDir = await prepareKeyDirectory({ dir: state, key: 'nightly' });
      rmSync(keyDir, { recursive: true });
      const elsewhere = join(dir, 'elsewhere');
      mkdirSync(elsewhere, { mode: 0o700 });
      symlinkSync(elsewhere, keyDir);
      await expect(prepareKeyDirectory({ dir: state, key: 'nightly' })).rejects.toMatchObject({ code: 'ERR_JOURNAL', message: expect.stringContaining('(it is not a directory (a symbolic link?))') });
      unlinkSync(keyDir);
      mkdirSync(keyDir, { mode: 0o700 });
      chownSync(keyDir, 65534, 65534);
      await expect(prepareKeyDirectory({ dir: state, key: 'nightly' })).rejects.toMatchObject({ code: 'ERR_JOURNAL', message: expect.stringContaining('(it belongs to user 65534)') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findDeadRuns / claimDeadRun', () => {
  it('finds an unfinished run whose owner is gone, with what was running; not a live one', async () => {
    const dir = stateDir();
    const keyDir = await deadRun(dir);
    const live = await openJournal(keyDir, { jobId: 'live', key: 'k', startedAt: '2026-11-30T03:00:00.000Z', tasks: TASKS });
    const dead = await findDeadRuns(keyDir);
    expect(dead.map((run) => ({ ...run, file: undefined, owner: undefined }))).toEqual([
      {
        file: undefined, owner: undefined, jobId: 'dead-job', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS,
        started: [0, 1], ended: [{ index: 0, status: 'completed', recovery: false }],
        running: [{ ...TASKS[1], pgid: 4_194_305, leaderStartTime: null }],
        diedDuring: TASKS[1],
      },
    ]);
    await live.close();
  });

  it('a recovery that died itself: the next one still names the task the owner died in, and kills the cleanup it left', async () => {
    const keyDir = await deadRun(stateDir());
    const [dead] = await findDeadRuns(keyDir);
    const first = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'first recovery' });
    // It started 'Restart Services' and died: its claim's owner is made dead as well.
    await first?.taskStart(2, { pgid: 4_194_307 });
    makeOwnerDead(first?.path ?? '');
    const [again] = await findDeadRuns(keyDir);
    expect(again?.diedDuring).toEqual(TASKS[1]);
    expect(again?.running.map((task) => [task.index, task.pgid])).toEqual([
      [1, 4_194_305],
      [2, 4_194_307],
    ]);
    const second = await claimDeadRun(again ?? expect.fail('no dead run'), { jobId: 'second recovery' });
    await second?.taskStart(2);
    await second?.taskEnd(2, 'completed');
    await second?.finish('interrupted');
    const end = JSON.parse(readFileSync(dead?.file ?? '', 'utf8').trim().split('\n').at(-1) ?? '') as { type: string; failedTask?: number };
    expect(end).toMatchObject({ type: 'runEnd', failedTask: 1 });
  });

  it('the history names the task a dead run\'s jobhooks was running, before its recovery as after, even after a failed one', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    // The backup failed; jobhooks died during the cleanup that runs on a job's failure.
    const journal = await openJournal(keyDir, { jobId: 'dead-job', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    await journal.taskStart(1);
    await journal.taskEnd(1, 'failed', { error: 'borg exited with code 2' });
    await journal.taskStart(2);
    await journal.close();
    makeOwnerDead(journal.path);
    const before = (await readHistory({ dir, key: 'k' }))[0];
    expect([before?.status, before?.failedTask]).toEqual(['interrupted', 'Restart Services']);
    const [dead] = await findDeadRuns(keyDir);
    expect(dead?.diedDuring).toEqual(TASKS[2]);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'recoverer' });
    await claim?.finish('interrupted');
    const after = (await readHistory({ dir, key: 'k' }))[0];
    expect([after?.status, after?.failedTask]).toEqual(['interrupted', 'Restart Services']);
  });

  it('a run that died before its first task: the history names the task its recovery\'s message names, the first', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    const journal = await openJournal(keyDir, { jobId: 'dead-job', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    await journal.close();
    makeOwnerDead(journal.path);
    const [dead] = await findDeadRuns(keyDir);
    expect(dead?.diedDuring).toEqual(TASKS[0]);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'recoverer' });
    await claim?.finish('interrupted');
    const [entry] = await readHistory({ dir, key: 'k' });
    expect([entry?.status, entry?.failedTask]).toEqual(['interrupted', 'Stop Services']);
  });

  it('a run that died between tasks after one failed: the history still names the failed one', async () => {
    const dir = stateDir();
    const keyDir = await prepareKeyDirectory({ dir, key: 'k' });
    const journal = await openJournal(keyDir, { jobId: 'dead-job', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    await journal.taskStart(1);
    await journal.taskEnd(1, 'failed', { error: 'borg exited with code 2' });
    await journal.close();
    makeOwnerDead(journal.path);
    const [dead] = await findDeadRuns(keyDir);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'recoverer' });
    await claim?.finish('interrupted');
    const [entry] = await readHistory({ dir, key: 'k' });
    expect([entry?.failedTask, entry?.error]).toEqual(['backup', 'borg exited with code 2']);
  });

  it('claims once, records the recovery in the dead run, finishes it interrupted and removes the claim', async () => {
    const dir = stateDir();
    const keyDir = await deadRun(dir);
    const [dead] = await findDeadRuns(keyDir);
    if (dead === undefined) throw new Error('no dead run');
    appendFileSync(dead.file, '{"type":"taskEnd","ind'); // torn by the crash
    const claim = await claimDeadRun(dead, { jobId: 'recoverer' });
    expect(claim).not.toBe(null);
    expect(await claimDeadRun(dead, { jobId: 'second' })).toBe(null);
    await claim?.taskStart(2);
    await claim?.taskEnd(2, 'completed');
    await claim?.finish('interrupted');
    expect(await claimDeadRun(dead, { jobId: 'late' })).toBe(null);
    expect(await findDeadRuns(keyDir)).toEqual([]);
    expect(readdirSync(keyDir).filter((name) => name.includes('.claim'))).toEqual([]);
    const [entry] = await readHistory({ dir, key: 'k' });
    // The run started a day before it was recovered: when it died is not known, and not said to be the recovery's time.
    expect(entry).toEqual({
      jobId: 'dead-job', status: 'interrupted', startedAt: '2026-11-30T02:15:00.000Z', finishedAt: null, durationMs: null,
      failedTask: 'backup', error: null, pid: dead.owner.pid, archive: null, recoveredBy: 'recoverer', rehearsal: null,
    });
    const types = readFileSync(dead.file, 'utf8').trimEnd().split('\n').map((line) => { try { return (JSON.parse(line) as { type: string }).type; } catch { return 'torn'; } });
    expect(types).toEqual(['run', 'taskStart', 'taskEnd', 'taskStart', 'torn', 'taskStart', 'taskEnd', 'runEnd']);
  });

  it('10 recoveries in separate processes racing for one dead run: exactly one claims it, one runEnd', async () => {
    const keyDir = await deadRun(stateDir());
    const contenders = await race(contender, 10, ['claim', keyDir]);
    expect(contenders.map((entry) => entry.lines.at(-1)).filter((line) => line === 'won')).toHaveLength(1);
    await finish(contenders);
    const [file] = readdirSync(keyDir).filter((name) => name.endsWith('.jsonl'));
    const ends = readFileSync(join(keyDir, file ?? ''), 'utf8').split('\n').filter((line) => line.includes('"runEnd"'));
    expect(ends).toHaveLength(1);
  }, 120_000);

  it('a claim whose claimant died is claimable again', async () => {
    const keyDir = await deadRun(stateDir());
    const holder = startContender(contender, ['claim', keyDir, 'hold']);
    await holder.waitFor((line) => line === 'ready');
    holder.child.stdin.write('go\n');
    expect(await holder.waitFor((line) => line === 'won' || line === 'lost')).toBe('won');
    const [dead] = await findDeadRuns(keyDir);
    if (dead === undefined) throw new Error('no dead run');
    expect(await claimDeadRun(dead, { jobId: 'while-alive' })).toBe(null);
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.once('close', resolve));
    const claim = await claimDeadRun(dead, { jobId: 'after-death' });
    expect(claim?.path.endsWith('.claim.1')).toBe(true);
    await claim?.finish();
  }, 60_000);
});

describe('finding dead runs reads only unfinished runs (docs/journal.md, "Layout")', () => {
  it('a run file has a .running marker from its start until its end is on disk', async () => {
    const keyDir = await prepareKeyDirectory({ dir: stateDir(), key: 'k' });
    const journal = await openJournal(keyDir, { jobId: 'j', key: 'k', startedAt: '2026-11-30T02:15:00.000Z', tasks: TASKS });
    expect(readdirSync(keyDir).sort()).toEqual([basename(journal.path), `${basename(journal.path)}.running`]);
    await journal.taskStart(0);
    await journal.runEnd('completed');
    expect(readdirSync(keyDir)).toEqual([basename(journal.path)]);
  });

  it('the marker, not the content, says unfinished: a dead run without one is not looked at; with one it is found', async () => {
    const keyDir = await deadRun(stateDir());
    const [file] = readdirSync(keyDir).filter((name) => name.endsWith('.jsonl'));
    expect((await findDeadRuns(keyDir)).map((dead) => basename(dead.file))).toEqual([file]);
    // Without its marker the same file counts as finished: nothing reads it, and pruning may delete it.
    unlinkSync(join(keyDir, `${file ?? ''}.running`));
    expect(await findDeadRuns(keyDir)).toEqual([]);
  });

  it('the file named as `except` (a run looking from inside, its own) is left unread', async () => {
    const dir = stateDir();
    const keyDir = await deadRun(dir, 'first');
    await deadRun(dir, 'second');
    const [own = '', other = ''] = readdirSync(keyDir).filter((name) => name.endsWith('.jsonl')).sort();
    expect(other).not.toBe('');
    expect((await findDeadRuns(keyDir, { except: join(keyDir, own) })).map((dead) => basename(dead.file))).toEqual([other]);
    // Unread, not merely left out: a Unix socket in its place makes every opening of it fail (ENXIO).
    rmSync(join(keyDir, own));
    const socket = createServer();
    await new Promise<void>((resolve) => socket.listen(join(keyDir, own), resolve));
    try {
      await expect(findDeadRuns(keyDir)).rejects.toThrow(/ENXIO/);
      expect((await findDeadRuns(keyDir, { except: join(keyDir, own) })).map((dead) => basename(dead.file))).toEqual([other]);
    } finally {
      await new Promise((resolve) => socket.close(resolve));
    }
  });

  it('an end written whose marker was left (a crash between the two) is finished: the look removes the marker', async () => {
    const keyDir = await deadRun(stateDir());
    const [file = ''] = readdirSync(keyDir).filter((name) => name.endsWith('.jsonl'));
    appendFileSync(join(keyDir, file), `${JSON.stringify({ type: 'runEnd', at: '2026-11-30T02:20:00.000Z', status: 'completed' })}\n`);
    expect(await findDeadRuns(keyDir)).toEqual([]);
    expect(readdirSync(keyDir)).toEqual([file]);
  });

  it('a recovered run loses its marker with its end', async () => {
    const keyDir = await deadRun(stateDir());
    const [dead] = await findDeadRuns(keyDir);
    const claim = await claimDeadRun(dead ?? expect.fail('no dead run'), { jobId: 'recovery' });
    await claim?.finish('interrupted');
    expect(readdirSync(keyDir).filter((name) => !name.startsWith('lock'))).toEqual([basename(dead?.file ?? '')]);
    expect(await findDeadRuns(keyDir)).toEqual([]);
  });
});
