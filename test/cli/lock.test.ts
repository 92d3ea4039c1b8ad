import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localDateTime } from '../../src/cli/history.js';
import { currentProcess, prepareKeyDirectory } from '../../src/journal/index.js';
import { readPid, runCli, startCli, tempDir, waitFor, type CliRun } from './helpers.js';

// One run at a time, --wait, maxRunTime and an unwritable state directory (docs/cli.md).

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

/** A job whose pre-hook waits for `go` to exist (its pid in `hold.pid`), then counts its runs in `runs`. */
function holdingConfig(): string {
  return dir.write(
    'job.yaml',
    [
      'preHooks:',
      "  - { name: Hold, command: 'echo $$ > hold.pid; while [ ! -e go ]; do sleep 0.05; done; echo run >> runs', timeout: 120 }",
    ].join('\n'),
  );
}

describe('one run at a time', () => {
  it('ten simultaneous runs of one config: one runs, nine exit 75 with the one line', async () => {
    const file = holdingConfig();
    const runs = Array.from({ length: 10 }, () => startCli(['run', file], { cwd: dir.path }));
    await readPid(join(dir.path, 'hold.pid'));
    // The nine that were refused end on their own while the first still holds the key.
    const ends: (CliRun | null)[] = runs.map(() => null);
    runs.forEach((run, index) => void run.done.then((end) => (ends[index] = end)));
    await waitFor(() => ends.filter((end) => end !== null).length === 9, 'nine runs to be refused', 30_000);
    const ended = ends.filter((end) => end !== null);
    const refused = ends;
    const owner = runs.find((run, index) => refused[index] === null);
    const history = JSON.parse((await runCli(['history', file, '--json'], { cwd: dir.path })).stdout) as { pid: number; startedAt: string; status: string }[];
    expect(history.map((entry) => [entry.status, entry.pid])).toEqual([['running', owner?.child.pid]]);
    const line = `jobhooks: ${file} is already running (pid ${owner?.child.pid} since ${localDateTime(new Date(history[0]?.startedAt ?? ''))}); not started\n`;
    for (const end of ended) expect(end).toEqual({ code: 75, signal: null, stdout: '', stderr: line });
    writeFileSync(join(dir.path, 'go'), '');
    expect((await owner?.done)?.code).toBe(0);
  });

  it('a --wait run starts when the first ends', async () => {
    const file = holdingConfig();
    const first = startCli(['run', file], { cwd: dir.path });
    await readPid(join(dir.path, 'hold.pid'));
    const waiting = startCli(['run', file, '--wait', '30s'], { cwd: dir.path });
    // Still waiting after the refused runs would long have ended.
    const refused = await runCli(['run', file], { cwd: dir.path });
    expect(refused.code).toBe(75);
    expect(waiting.child.exitCode).toBe(null);
    writeFileSync(join(dir.path, 'go'), '');
    expect((await first.done).code).toBe(0);
    const second = await waiting.done;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect((await runCli(['history', file, '--json'], { cwd: dir.path })).stdout).toContain('"completed"');
    const history = JSON.parse((await runCli(['history', file, '--json'], { cwd: dir.path })).stdout) as { status: string }[];
    expect(history.map((entry) => entry.status)).toEqual(['completed', 'completed']);
  });
});

describe('a lock that does not say when its run started', () => {
  it('is refused with exit 75 and the pid, without a date it does not have', async () => {
    const file = dir.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
    const state = join(dir.path, 'state');
    // This test process holds it: alive, with no startedAt (an older lock, or a damaged one).
    const keyDir = await prepareKeyDirectory({ dir: state, key: realpathSync(file) });
    writeFileSync(join(keyDir, 'lock'), JSON.stringify({ ...currentProcess(), jobId: 'other' }));
    const run = await runCli(['run', file, '--state-dir', state], { cwd: dir.path });
    expect([run.code, run.stdout, run.stderr]).toEqual([75, '', `jobhooks: ${file} is already running (pid ${process.pid}); not started\n`]);
  });
});

describe('a signal while --wait waits', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: nothing ran, exit %i with a line that says so', async (signal, code) => {
    const file = holdingConfig();
    const first = startCli(['run', file], { cwd: dir.path });
    await readPid(join(dir.path, 'hold.pid'));
    const waiting = startCli(['run', file, '--wait', '60s'], { cwd: dir.path });
    // Waiting: the history already shows the first run, and the second is still alive.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(waiting.child.exitCode).toBe(null);
    waiting.child.kill(signal);
    const end = await waiting.done;
    expect(end.code).toBe(code);
    // One line: nothing started, so no "cleanup post-hooks and the notification still run".
    expect(end.stderr).toBe(`jobhooks: ${file} was not started: ${signal} came while it waited for the run before it\n`);
    writeFileSync(join(dir.path, 'go'), '');
    expect((await first.done).code).toBe(0);
    expect((await runCli(['history', file, '--json'], { cwd: dir.path })).stdout.match(/"status"/g)).toHaveLength(1);
  });
});

describe('maxRunTime', () => {
  it('cancels the job when it passes, and the cleanup runs', async () => {
    const file = dir.write(
      'job.yaml',
      [
        'maxRunTime: 1s',
        'preHooks:',
        "  - { name: Stop Services, command: 'echo stop >> log' }",
        'tasks:',
        "  - { name: Long, command: 'echo $$ > long.pid; exec sleep 60' }",
        'postHooks:',
        "  - { name: Restart Services, command: 'echo restart >> log', runOnJobFailure: true }",
        "  - { name: Report, command: 'echo report >> log' }",
      ].join('\n'),
    );
    const run = await runCli(['run', file, '--json'], { cwd: dir.path });
    const result = JSON.parse(run.stdout) as { status: string; failure: { reason: string; error: string }; tasks: { name: string; status: string }[] };
    expect(result.status).toBe('cancelled');
    expect(result.failure).toMatchObject({ reason: 'cancelled', error: 'Job exceeded maxRunTime (1s)' });
    expect(result.tasks.map((task) => [task.name, task.status])).toEqual([
      ['Stop Services', 'completed'],
      ['Long', 'failed'],
      ['Restart Services', 'completed'],
      ['Report', 'skipped'],
    ]);
    // Not a signal: a job that ran out of time failed (docs/cli.md, "Exit codes").
    expect(run.code).toBe(2);
  });
});

describe('an unwritable state directory', () => {
  it('exits 73 with the path and the reason before anything runs', async () => {
    const file = dir.write('job.yaml', ["preHooks:", "  - { name: Marker, command: 'touch marker' }"].join('\n'));
    // A regular file where a directory must be: unwritable even for root.
    dir.write('not-a-dir', '');
    const stateDir = join(dir.path, 'not-a-dir', 'state');
    const run = await runCli(['run', file, '--state-dir', stateDir], { cwd: dir.path });
    expect(run.code).toBe(73);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^jobhooks: cannot write the journal: ${stateDir}/[0-9a-f]{32}: not a directory \\(ENOTDIR\\)\\n$`));
    expect(existsSync(join(dir.path, 'marker'))).toBe(false);
    // Without the journal the same job runs.
    expect((await runCli(['run', file, '--no-journal', '-q'], { cwd: dir.path })).code).toBe(0);
    expect(existsSync(join(dir.path, 'marker'))).toBe(true);
  });

  it('a lock that is a directory: the line names the lock, not the state directory', async () => {
    const file = dir.write('job.yaml', ["preHooks:", "  - { name: Marker, command: 'touch marker' }"].join('\n'));
    const stateDir = join(dir.path, 'state');
    expect((await runCli(['run', file, '--state-dir', stateDir, '-q'], { cwd: dir.path })).code).toBe(0);
    const keyDir = join(stateDir, readdirSync(stateDir)[0] ?? '');
    mkdirSync(join(keyDir, 'lock'));
    const run = await runCli(['run', file, '--state-dir', stateDir], { cwd: dir.path });
    expect([run.code, run.stdout]).toEqual([73, '']);
    expect(run.stderr).toBe(`jobhooks: cannot write the journal: ${keyDir}/lock: illegal operation on a directory (EISDIR)\n`);
  });

  it('a state directory others can write to is refused before anything is made in it', async () => {
    const file = dir.write('job.yaml', ["preHooks:", "  - { name: Marker, command: 'touch marker' }"].join('\n'));
    const open = join(dir.path, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const run = await runCli(['run', file, '--state-dir', open], { cwd: dir.path });
    expect(run.code).toBe(73);
    expect(run.stderr).toContain('other users can write to it (mode 0777)');
    expect(readdirSync(open)).toEqual([]);
  });
});

