import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock, currentProcess, prepareKeyDirectory, type LockOwner } from '../../src/journal/index.js';
import { removeStaleLock } from '../../src/journal/lock.js';
import { deadPid } from '../support/dead-run.js';
import { buildContender, finish, race, stateDir } from './helpers.js';

let contender = '';
beforeAll(async () => {
  contender = await buildContender();
});

function owner(jobId: string): LockOwner {
  return { ...currentProcess(), jobId, startedAt: '2026-11-30T02:15:00.000Z' };
}

/** The pid of a process that has exited (and been reaped): nothing runs under it now. */
async function keyDir(): Promise<string> {
  return prepareKeyDirectory({ dir: stateDir(), key: 'nightly' });
}

describe('acquireRunLock', () => {
  it('writes the owner to <keyDir>/lock (0600), refuses a second owner naming pid and start, and releases', async () => {
    const dir = await keyDir();
    const lock = await acquireRunLock(dir, owner('first'));
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toEqual(owner('first'));
    expect(statSync(join(dir, 'lock')).mode & 0o777).toBe(0o600);
    const me = currentProcess();
    await expect(acquireRunLock(dir, owner('second'))).rejects.toMatchObject({
      code: 'ERR_ALREADY_RUNNING',
      message: `This job is already running (pid ${process.pid} since 2026-11-30T02:15:00.000Z, process start time ${String(me.startTime)}); not started`,
    });
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
    const again = await acquireRunLock(dir, owner('second'));
    await again.release();
  });

  it('waitMs: waits for the owner to release, then takes the lock', async () => {
    const dir = await keyDir();
    const lock = await acquireRunLock(dir, owner('first'));
    setTimeout(() => void lock.release(), 300);
    const second = await acquireRunLock(dir, owner('second'), { waitMs: 5_000, pollMs: 20 });
    expect(JSON.parse(readFileSync(second.path, 'utf8')).jobId).toBe('second');
    await second.release();
  });

  it('without a startedAt, records the moment the key was taken, after the wait, as its owner says', async () => {
    const dir = await keyDir();
    const lock = await acquireRunLock(dir, owner('first'));
    const releasedAt = Date.now() + 300;
    setTimeout(() => void lock.release(), 300);
    const { startedAt: _given, ...withoutStart } = owner('second');
    const second = await acquireRunLock(dir, withoutStart, { waitMs: 5_000, pollMs: 20 });
    const written = JSON.parse(readFileSync(second.path, 'utf8')) as LockOwner;
    expect(written).toEqual(second.owner);
    expect(Date.parse(written.startedAt)).toBeGreaterThanOrEqual(releasedAt - 5);
    await second.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('waitMs: refuses once the wait is over while the owner lives', async () => {
    const dir = await keyDir();
    const lock = await acquireRunLock(dir, owner('first'));
    await expect(acquireRunLock(dir, owner('second'), { waitMs: 100, pollMs: 20 })).rejects.toMatchObject({ code: 'ERR_ALREADY_RUNNING' });
    await lock.release();
  });

  it('a dead owner\'s lock that cannot be removed (an immutable file) is a journal error at once, not a retry for ever', async () => {
    const dir = await keyDir();
    const lockPath = join(dir, 'lock');
    writeFileSync(lockPath, JSON.stringify({ ...owner('dead'), pid: deadPid() }));
    // chattr is e2fsprogs', on the ext4 these machines run on: the file stays, unlink says EPERM.
    const immutable = spawnSync('chattr', ['+i', lockPath], { encoding: 'utf8' });
    expect(immutable.status, `chattr +i ${lockPath}: ${immutable.stderr}`).toBe(0);
    try {
      const started = performance.now();
      await expect(acquireRunLock(dir, owner('next'))).rejects.toMatchObject({
        code: 'ERR_JOURNAL',
        message: `Cannot lock the journal at ${lockPath} (EPERM: operation not permitted, unlink '${lockPath}')`,
      });
      expect(performance.now() - started).toBeLessThan(2_000);
      // Its slot is gone: the next try, once the file is mutable again, takes the lock.
      expect(readdirSync(dir)).toEqual(['lock']);
    } finally {
      spawnSync('chattr', ['-i', lockPath]);
    }
    const lock = await acquireRunLock(dir, owner('next'));
    await lock.release();
  });

  it('takes over a lock whose owner is dead, and one whose pid now belongs to another process', async () => {
    const dir = await keyDir();
    const dead = { ...owner('dead'), pid: deadPid() };
    writeFileSync(join(dir, 'lock'), JSON.stringify(dead));
    const first = await acquireRunLock(dir, owner('after-dead'));
    expect(JSON.parse(readFileSync(first.path, 'utf8')).jobId).toBe('after-dead');
    await first.release();
    // This very process, but with another start time: a reused pid is not the owner.
    const reused = { ...owner('reused'), startTime: (currentProcess().startTime ?? 0) + 1 };
    writeFileSync(join(dir, 'lock'), JSON.stringify(reused));
    const second = await acquireRunLock(dir, owner('after-reused'));
    expect(JSON.parse(readFileSync(second.path, 'utf8')).jobId).toBe('after-reused');
    await second.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a slow taker that judged an old content dead never removes the lock written since (no double owner)', async () => {
    const dir = await keyDir();
    const staleText = `${JSON.stringify({ ...owner('dead'), pid: deadPid() })}\n`;
    // Another process already replaced the stale lock with its own, live one…
    const live = await acquireRunLock(dir, owner('live'));
    // …when this taker, which read the stale content before, gets to remove it.
    expect(await removeStaleLock(dir, live.path, staleText)).toBe(true);
    expect(JSON.parse(readFileSync(live.path, 'utf8')).jobId).toBe('live');
    expect(readdirSync(dir)).toEqual(['lock']);
    await live.release();
  });

  it('20 processes starting at once: exactly one gets the lock, 19 are refused', async () => {
    const dir = await keyDir();
    const contenders = await race(contender, 20, ['lock', dir]);
    const results = contenders.map((entry) => entry.lines.find((line) => line.startsWith('won') || line.startsWith('lost')));
    expect(results.filter((line) => line === 'won')).toHaveLength(1);
    expect(results.filter((line) => line === 'lost ERR_ALREADY_RUNNING')).toHaveLength(19);
    await finish(contenders);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it('20 processes racing over a dead owner\'s lock: exactly one takes it over', async () => {
    const dir = await keyDir();
    writeFileSync(join(dir, 'lock'), JSON.stringify({ ...owner('dead'), pid: deadPid() }));
    const contenders = await race(contender, 20, ['lock', dir]);
    const results = contenders.map((entry) => entry.lines.find((line) => line.startsWith('won') || line.startsWith('lost')));
    expect(results.filter((line) => line === 'won')).toHaveLength(1);
    expect(results.filter((line) => line === 'lost ERR_ALREADY_RUNNING')).toHaveLength(19);
    await finish(contenders);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
