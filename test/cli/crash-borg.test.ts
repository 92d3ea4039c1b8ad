import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BORG_TAG, borgInstalled } from '../support/borg.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';
import { isAlive, processesWithMarker, runCli, startCli, tempDir, waitFor } from './helpers.js';

// kill -9 of `jobhooks run` during `borg create` on a real repository (docs/when-jobhooks-dies.md).

const PASSPHRASE = 'crash-test-passphrase-4711';

let dir: ReturnType<typeof tempDir>;
let server: TestServer;
beforeEach(async () => {
  dir = tempDir();
  server = await startServer();
  mkdirSync(join(dir.path, 'data'));
  writeFileSync(join(dir.path, 'data', 'notes.txt'), 'hello\n');
  // borg reads a FIFO with --read-special until a writer closes it: a create that stays running.
  execFileSync('mkfifo', [join(dir.path, 'data', 'pipe')]);
  execFileSync('borg', ['init', '--encryption=repokey', join(dir.path, 'repo')], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir.path, BORG_PASSPHRASE: PASSPHRASE },
    stdio: 'ignore',
  });
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

function config(): string {
  return dir.write(
    'job.yaml',
    [
      'repository: { name: vault }',
      'preHooks:',
      "  - { name: Stop Services, command: 'echo stop >> log' }",
      'tasks:',
      "  - { borg: create, repository: ./repo, paths: [data], archive: 'nightly-{now}', extraArgs: ['--read-special'], passphrase: { env: BORG_PW } }",
      'postHooks:',
      "  - { name: Restart Services, command: 'echo restart >> log', runOnJobFailure: true }",
      'notifiers:',
      `  - { type: webhook, url: '${server.url}/hook' }`,
    ].join('\n'),
  );
}

/** The live `borg create` started by a run (found by the run's marker in /proc). */
function borgCreate(marker: string): number | undefined {
  return processesWithMarker(marker).find((pid) => {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((arg) => arg.endsWith('borg') || arg.includes('/borg')) && argv.includes('create');
  });
}

/** Whether borg's lock roster names an exclusive owner: the repository is locked. */
function rosterHasExclusive(): boolean {
  const roster = join(dir.path, 'repo', 'lock.roster');
  return existsSync(roster) && readFileSync(roster, 'utf8').includes('"exclusive": [[');
}

const env = { BORG_PW: PASSPHRASE };
const titles = (): string[] => server.requests.map((request) => (JSON.parse(request.body) as { message: { title: string } }).message.title);
const log = (): string[] => readFileSync(join(dir.path, 'log'), 'utf8').trim().split('\n');

/** Starts `jobhooks run file` and resolves once its borg create holds the repository's lock. */
async function runUntilBorgLocks(file: string): Promise<{ run: ReturnType<typeof startCli>; borg: number | undefined }> {
  const run = startCli(['run', file], { cwd: dir.path, env });
  let borg: number | undefined;
  await waitFor(() => (borg = borgCreate(run.marker)) !== undefined, 'borg create to run', 20_000);
  // borg holds the repository's lock once it reads the files (the roster written: a kill while borg is
  // still taking its lock is another case, not this one).
  await waitFor(() => rosterHasExclusive(), 'borg to lock the repository', 20_000);
  return { run, borg };
}

describe.skipIf(!borgInstalled)('kill -9 during borg create', { tags: [BORG_TAG] }, () => {
  it('a plain next run kills the orphaned borg, runs the cleanup once, notifies, and its own borg create works', async () => {
    const file = config();
    const { run, borg } = await runUntilBorgLocks(file);
    run.child.kill('SIGKILL');
    await run.done;
    expect(borg !== undefined && isAlive(borg)).toBe(true);
    // The FIFO stays: the next run's borg would block on it too.
    rmSync(join(dir.path, 'data', 'pipe'));

    const next = await runCli(['run', file], { cwd: dir.path, env });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(borg !== undefined && isAlive(borg)).toBe(false);
    expect(processesWithMarker(run.marker)).toEqual([]);
    expect(log()).toEqual(['stop', 'restart', 'stop', 'restart']);
    expect(titles()).toEqual(['❌ Backup Job Interrupted', '✅ Backup Job Completed Successfully']);
    expect(next.stdout).toContain("died during 'borg create'.\n\nCleanup run: Restart Services\n");
  });

  it('when borg is killed too, borg itself removes its stale lock: recover, then the next borg command works', async () => {
    const file = config();
    const { run, borg } = await runUntilBorgLocks(file);
    // As the OOM killer or a reboot would: jobhooks and borg both die at once, borg leaving its lock.
    run.child.kill('SIGKILL');
    for (const pid of processesWithMarker(run.marker)) process.kill(pid, 'SIGKILL');
    await run.done;
    await waitFor(() => borg !== undefined && !isAlive(borg), 'borg to die');
    expect(readdirSync(join(dir.path, 'repo')).filter((name) => name.startsWith('lock'))).toEqual(['lock.exclusive', 'lock.roster']);

    const recover = await runCli(['recover', file], { cwd: dir.path, env });
    expect(recover.code).toBe(0);
    expect(log()).toEqual(['stop', 'restart']);
    expect(titles()).toEqual(['❌ Backup Job Interrupted']);

    rmSync(join(dir.path, 'data', 'pipe'));
    // The next borg command: borg 1.2 finds the lock's owner dead on this host and removes the lock itself.
    // With borg's default --lock-wait of 1s, borg 1.2.4 here sometimes times out right after removing it
    // ("Failed to create/acquire the lock … (timeout)"): a lock wait of some seconds makes it reliable.
    const list = spawnSync('borg', ['list', '--lock-wait', '10', '--short', join(dir.path, 'repo')], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir.path, BORG_PASSPHRASE: PASSPHRASE },
      encoding: 'utf8',
    });
    expect({ status: list.status, stderr: list.stderr }).toMatchObject({ status: 0 });
    expect(list.stderr).toContain(`Killed stale lock`);
    expect(existsSync(join(dir.path, 'repo', 'lock.exclusive'))).toBe(false);
    const next = await runCli(['run', file, '--json'], { cwd: dir.path, env });
    expect(next.code).toBe(0);
    expect((JSON.parse(next.stdout) as { recovered: unknown[] }).recovered).toEqual([]);
    expect(log()).toEqual(['stop', 'restart', 'stop', 'restart']);
  });
});
