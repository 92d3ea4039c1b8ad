import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';
import { isAlive, processesWithMarker, readPid, runCli, startCli, tempDir, waitFor } from './helpers.js';

// kill -9 of `jobhooks run` (docs/when-jobhooks-dies.md): the next `recover` or `run` finishes what it left.

let dir: ReturnType<typeof tempDir>;
let server: TestServer;
beforeEach(async () => {
  dir = tempDir();
  server = await startServer();
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

/** A hook that appends its tag to `log`, and hangs (its pid in `<tag>.pid`) while `hang-<tag>` exists. */
function hook(name: string, tag: string, extra = ''): string {
  return `  - { name: ${name}, command: 'echo ${tag} >> log; if [ -e hang-${tag} ]; then echo $$ > ${tag}.pid; exec sleep 60; fi'${extra} }`;
}

function writeConfig(notifiers: readonly string[] = []): string {
  return dir.write(
    'job.yaml',
    [
      'repository: { name: crashy }',
      'preHooks:',
      hook('Stop Services', 'stop'),
      hook('Dump', 'dump'),
      'tasks:',
      hook('Main', 'main'),
      'postHooks:',
      hook('Restart Services', 'restart', ', runOnJobFailure: true'),
      hook('Remove Dump', 'remove', ', runOnJobFailure: true'),
      hook('Report', 'report'),
      'notifiers:',
      `  - { type: webhook, url: '${server.url}/hook' }`,
      ...notifiers,
    ].join('\n'),
  );
}

/** Every run file of the test's state directory, concatenated. */
function journalText(): string {
  const state = join(dir.path, '.jobhooks-state');
  if (!existsSync(state)) return '';
  return readdirSync(state, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => readFileSync(join(state, name), 'utf8'))
    .join('');
}

const log = (): string[] => readFileSync(join(dir.path, 'log'), 'utf8').trim().split('\n');
const titles = (): string[] => server.requests.map((request) => (JSON.parse(request.body) as { message: { title: string } }).message.title);
const bodies = (): string[] => server.requests.map((request) => (JSON.parse(request.body) as { message: { body: string } }).message.body);

interface HistoryJson {
  jobId: string;
  status: string;
  failedTask: string | null;
  pid: number;
}
async function history(file: string): Promise<HistoryJson[]> {
  const run = await runCli(['history', file, '--json'], { cwd: dir.path });
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as HistoryJson[];
}

/** Starts `jobhooks run`, waits until `ready()`, kills it with SIGKILL; resolves with its pid and marker. */
async function killDuring(file: string, ready: () => Promise<unknown>): Promise<{ pid: number; marker: string }> {
  const started = startCli(['run', file], { cwd: dir.path });
  await ready();
  const pid = started.child.pid ?? 0;
  started.child.kill('SIGKILL');
  const end = await started.done;
  expect(end.signal).toBe('SIGKILL');
  return { pid, marker: started.marker };
}

const ALL = ['stop', 'dump', 'main', 'restart', 'remove', 'report'];

interface Scenario {
  readonly where: string;
  readonly hang: string | undefined;
  readonly diedDuring: string;
  /** The log when jobhooks was killed. */
  readonly before: string[];
  /** What the recovery runs: exactly the cleanup not yet done. */
  readonly cleanup: string[];
  readonly cleanupNames: string;
}

const SCENARIOS: Scenario[] = [
  { where: 'a pre-hook, after Stop Services ran', hang: 'dump', diedDuring: 'Dump', before: ['stop', 'dump'], cleanup: ['restart', 'remove'], cleanupNames: 'Restart Services, Remove Dump' },
  { where: 'a post-hook', hang: 'remove', diedDuring: 'Remove Dump', before: ['stop', 'dump', 'main', 'restart', 'remove'], cleanup: ['remove'], cleanupNames: 'Remove Dump' },
  { where: 'notification delivery', hang: undefined, diedDuring: 'Notification', before: ALL, cleanup: [], cleanupNames: 'none' },
];

describe.each(SCENARIOS)('kill -9 of jobhooks run during $where', (scenario) => {
  async function crash(file: string): Promise<{ pid: number; orphan: number | undefined; marker: string }> {
    if (scenario.hang !== undefined) writeFileSync(join(dir.path, `hang-${scenario.hang}`), '');
    else server.reply('hang');
    let orphan: number | undefined;
    const { pid, marker } = await killDuring(file, async () => {
      if (scenario.hang === undefined) {
        await waitFor(() => server.requests.length === 1, 'the notification to be on its way', 30_000);
        return;
      }
      const pid = await readPid(join(dir.path, `${scenario.hang}.pid`));
      orphan = pid;
      // The group is known to a recovery once its taskStart record is on disk (docs/journal.md): a kill
      // in the instant between the spawn and that record would leave the group unrecorded.
      await waitFor(() => journalText().includes(`"pgid":${pid}`), 'the journal to record the group');
    });
    if (scenario.hang !== undefined) rmSync(join(dir.path, `hang-${scenario.hang}`));
    expect(log()).toEqual(scenario.before);
    if (orphan !== undefined) expect(isAlive(orphan)).toBe(true);
    return { pid, orphan, marker };
  }

  function expectRecovered(pid: number, orphan: number | undefined, marker: string, jobId: string): void {
    if (orphan !== undefined) expect(isAlive(orphan)).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
    const index = titles().indexOf('❌ Backup Job Interrupted');
    expect(index).toBe(scenario.hang === undefined ? 1 : 0);
    expect(bodies()[index]).toBe(
      `Backup job for 'crashy' was interrupted: jobhooks (pid ${pid}) died during '${scenario.diedDuring}'.\n\nCleanup run: ${scenario.cleanupNames}\nJob ID: ${jobId}`,
    );
  }

  it('jobhooks recover runs exactly the cleanup not yet done, once; kills the orphan; notifies; the next run works', async () => {
    const file = writeConfig();
    const { pid, orphan, marker } = await crash(file);
    const [dead] = await history(file);
    expect(dead).toMatchObject({ status: 'interrupted', pid, failedTask: scenario.diedDuring });

    const recover = await runCli(['recover', file], { cwd: dir.path });
    expect(recover.stderr).toBe('');
    expect(recover.code).toBe(0);
    expect(recover.stdout).toContain('❌ Backup Job Interrupted\n\n');
    expect(log()).toEqual([...scenario.before, ...scenario.cleanup]);
    expectRecovered(pid, orphan, marker, dead?.jobId ?? '');

    // A second recover finds nothing left: exactly once.
    const again = await runCli(['recover', file], { cwd: dir.path });
    expect(again).toMatchObject({ code: 0, stderr: '', stdout: `Nothing to recover: no run of ${file} was left unfinished by a jobhooks that died.\n` });

    const next = await runCli(['run', file], { cwd: dir.path });
    expect(next.code).toBe(0);
    expect(next.stdout).not.toContain('Interrupted');
    expect(log()).toEqual([...scenario.before, ...scenario.cleanup, ...ALL]);
    expect(titles().at(-1)).toBe('✅ Backup Job Completed Successfully');
    expect((await history(file)).map((entry) => [entry.status, entry.jobId === dead?.jobId])).toEqual([
      ['completed', false],
      ['interrupted', true],
    ]);
  });

  it('a plain next jobhooks run recovers first, prints it before its own lines, then runs', async () => {
    const file = writeConfig();
    const { pid, orphan, marker } = await crash(file);
    const [dead] = await history(file);
    const next = await runCli(['run', file], { cwd: dir.path });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(log()).toEqual([...scenario.before, ...scenario.cleanup, ...ALL]);
    expectRecovered(pid, orphan, marker, dead?.jobId ?? '');
    expect(next.stdout.startsWith('❌ Backup Job Interrupted\n\n')).toBe(true);
    expect(next.stdout.indexOf('Interrupted')).toBeLessThan(next.stdout.indexOf('[Stop Services] started'));
    expect(titles().at(-1)).toBe('✅ Backup Job Completed Successfully');
  });
});

describe('kill -9 with a console notifier', () => {
  it('the Interrupted message is printed once, by the console notifier, in run and in recover', async () => {
    const file = writeConfig(['  - { type: console }']);
    const crash = async (): Promise<void> => {
      rmSync(join(dir.path, 'dump.pid'), { force: true });
      writeFileSync(join(dir.path, 'hang-dump'), '');
      await killDuring(file, () => readPid(join(dir.path, 'dump.pid')));
      rmSync(join(dir.path, 'hang-dump'));
    };
    await crash();
    const recover = await runCli(['recover', file], { cwd: dir.path });
    expect(recover.code).toBe(0);
    expect(recover.stdout.match(/Backup Job Interrupted/g)).toHaveLength(1);
    await crash();
    const next = await runCli(['run', file], { cwd: dir.path });
    expect(next.code).toBe(0);
    expect(next.stdout.match(/Backup Job Interrupted/g)).toHaveLength(1);
    expect(next.stdout.indexOf('Interrupted')).toBeLessThan(next.stdout.indexOf('[Stop Services] started'));
  });
});

describe('kill -9 then --json and --quiet', () => {
  it('--json carries the recovered runs in "recovered"; --quiet prints a recovery even when the job completes', async () => {
    const file = writeConfig();
    writeFileSync(join(dir.path, 'hang-dump'), '');
    await killDuring(file, () => readPid(join(dir.path, 'dump.pid')));
    rmSync(join(dir.path, 'hang-dump'));
    const json = await runCli(['run', file, '--json'], { cwd: dir.path });
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as JobResult & { recovered: JobResult[] };
    expect(result.status).toBe('completed');
    expect(result.recovered.map((recovered) => [recovered.status, recovered.failure?.reason])).toEqual([['interrupted', 'interrupted']]);

    writeFileSync(join(dir.path, 'hang-main'), '');
    await killDuring(file, () => readPid(join(dir.path, 'main.pid')));
    rmSync(join(dir.path, 'hang-main'));
    const quiet = await runCli(['run', file, '--quiet'], { cwd: dir.path });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout.startsWith('❌ Backup Job Interrupted\n\n')).toBe(true);
    expect(quiet.stdout).toContain("died during 'Main'.\n\nCleanup run: Restart Services, Remove Dump\n");
    // Nothing of the job itself: it completed.
    expect(quiet.stdout).not.toContain('Completed');
  });
});

describe('kill -9, then a damaged journal', () => {
  /** The state directory's unfinished run files (those with a `.running` marker). */
  function unfinishedRuns(): string[] {
    const state = join(dir.path, '.jobhooks-state');
    return readdirSync(state, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.jsonl.running'))
      .map((name) => join(state, name.slice(0, -'.running'.length)));
  }

  it('a run file cut short: recover and run say so, naming it, and recover exits 2 instead of "Nothing to recover"', async () => {
    const file = writeConfig();
    writeFileSync(join(dir.path, 'hang-dump'), '');
    const { marker } = await killDuring(file, () => readPid(join(dir.path, 'dump.pid')));
    rmSync(join(dir.path, 'hang-dump'));
    const [runFile] = unfinishedRuns();
    if (runFile === undefined) throw new Error('no unfinished run');
    // Cut inside its first record, as a damaged disk or a careless hand would, a minute ago.
    truncateSync(runFile, 100);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(runFile, aMinuteAgo, aMinuteAgo);
    const warning = `jobhooks: an unfinished run's journal cannot be read (${runFile} does not begin with a run record): if its jobhooks died, its cleanup could not be run; check what it stopped, then remove ${runFile}.running\n`;
    try {
      const recover = await runCli(['recover', file], { cwd: dir.path });
      expect([recover.code, recover.stdout, recover.stderr]).toEqual([2, '', warning]);
      const next = await runCli(['run', file], { cwd: dir.path });
      expect(next.code).toBe(0);
      expect(next.stderr).toContain(warning.trimEnd());
      // Said until someone has looked: the marker is theirs to remove.
      expect(unfinishedRuns()).toEqual([runFile]);
    } finally {
      for (const pid of processesWithMarker(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('an empty run file (killed between making it and writing its record): nothing ran, its marker goes without a word', async () => {
    const file = writeConfig();
    const first = await runCli(['run', file], { cwd: dir.path });
    expect(first.code).toBe(0);
    const keyDir = dirname(readdirSync(join(dir.path, '.jobhooks-state'), { recursive: true, encoding: 'utf8' }).find((name) => name.endsWith('.jsonl')) ?? '');
    const empty = join(dir.path, '.jobhooks-state', keyDir, '2026-01-01T00-00-00.000Z-dead.jsonl');
    writeFileSync(empty, '');
    writeFileSync(`${empty}.running`, '');
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(empty, aMinuteAgo, aMinuteAgo);
    const recover = await runCli(['recover', file], { cwd: dir.path });
    expect([recover.code, recover.stderr]).toEqual([0, '']);
    expect(recover.stdout).toMatch(/^Nothing to recover/);
    expect(existsSync(`${empty}.running`)).toBe(false);
  });
});
