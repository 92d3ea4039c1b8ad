import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobPipeline, readHistory, type JobResult } from '../../src/index.js';
import { processStartTime } from '../../src/journal/liveness.js';
import { crashConfig, crashJob, type CrashJobConfig } from '../fixtures/journal-job.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';

// Crash-safe runs with real processes (docs/journal.md, "When jobhooks itself dies"): the job runs in a
// child process that is killed with SIGKILL mid-task; this process then recovers it.

let script = '';
let server: TestServer;

beforeAll(async () => {
  script = new URL('../fixtures/journal-job.ts', import.meta.url).pathname;
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

function config(hangAt: string): CrashJobConfig {
  return crashConfig({ key: '/etc/jobhooks/nightly.yml', url: `${server.url}/hook`, hangAt });
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function start(mode: 'run' | 'recover', c: CrashJobConfig): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, JSON.stringify(c)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: new URL('../..', import.meta.url).pathname });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const output = new Promise<string>((resolve) => child.once('close', () => resolve(out.trim() === '' ? `stderr: ${err}` : out.trim())));
  return { child, output };
}

/** Starts the job in a child, waits until `begin <hangAt>` is marked, and kills it with SIGKILL. */
async function crash(c: CrashJobConfig, waitFor: () => boolean = () => lines(c.mark).some((line) => line.startsWith(`begin ${c.hangAt}`))): Promise<{ pid: number }> {
  const { child, output } = start('run', c);
  let exited = '';
  void output.then((out) => (exited = out));
  await until(() => waitFor() || exited !== '', `the child to reach ${c.hangAt}`);
  expect(exited).toBe('');
  const pid = child.pid ?? 0;
  process.kill(pid, 'SIGKILL');
  await output;
  return { pid };
}

function interruptedRequests(): { title: string; body: string; level: string; status: string }[] {
  // Every request the server got, as the message it carried; only the Interrupted ones.
  return server.requests
    .map((request) => (JSON.parse(request.body) as { message: { title: string; body: string; level: string; status: string } }).message)
    .filter((message) => message.title === '❌ Backup Job Interrupted');
}

/** After a recovery: a second one and a next run do nothing more for the dead run. */
async function nothingMore(c: CrashJobConfig, logBefore: readonly string[]): Promise<void> {
  const requestsBefore = interruptedRequests().length;
  const again = new JobPipeline(crashJob({ ...c, hangAt: '' }));
  expect(await again.recover()).toEqual([]);
  expect(lines(c.log)).toEqual(logBefore);
  const recovered: JobResult[] = [];
  again.on('jobRecovered', ({ result }) => recovered.push(result));
  const next = await again.run();
  expect(next.status).toBe('completed');
  expect(next.journal).toEqual({ incomplete: false });
  expect(recovered).toEqual([]);
  expect(lines(c.log).slice(logBefore.length).map((line) => line.split('|')[0])).toEqual(['Database Dump', 'Stop Services', 'backup', 'Restart Services', 'Health Check']);
  expect(interruptedRequests()).toHaveLength(requestsBefore);
}

describe('kill -9 of jobhooks, then recover()', { timeout: 60_000 }, () => {
  it('during a pre-hook after "Stop Services" ran: the runOnJobFailure post-hooks run once, with the env of a failed job; Interrupted is sent', async () => {
    const c = { ...config('Stop Services'), jobId: 'dead-pre' };
    const { pid } = await crash(c);
    // Stop Services had started and not ended; its effect line is written after the wait, so it is not in the log.
    expect(lines(c.log)).toEqual(['Database Dump|dead-pre|success||']);

    const pipeline = new JobPipeline(crashJob({ ...c, hangAt: '', jobId: 'recoverer' }));
    const results = await pipeline.recover();
    const error = `jobhooks (pid ${pid}) died during 'Stop Services'`;
    expect(lines(c.log)).toEqual([
      'Database Dump|dead-pre|success||',
      `Restart Services|dead-pre|failure|Stop Services|${error}`,
      `Health Check|dead-pre|failure|Stop Services|${error}`,
    ]);
    expect(results).toHaveLength(1);
    const [result] = results;
    expect(result?.status).toBe('interrupted');
    expect(result?.jobId).toBe('dead-pre');
    expect(result?.failure).toEqual({ taskIndex: 1, taskName: 'Stop Services', type: 'hook', reason: 'interrupted', error });
    expect(result?.tasks.map((task) => [task.index, task.name, task.status])).toEqual([
      [3, 'Restart Services', 'completed'],
      [4, 'Health Check', 'completed'],
      [5, 'Notification', 'completed'],
    ]);
    const body = `Backup job for 'MyRepository' was interrupted: ${error}.\n\nCleanup run: Restart Services, Health Check\nJob ID: dead-pre`;
    expect(result?.notification).toMatchObject({ title: '❌ Backup Job Interrupted', body, level: 'error', status: 'interrupted' });
    // Delivered once, to a real HTTP server, by the WebhookNotifier of the current definition.
    expect(interruptedRequests().filter((message) => message.body === body).map(({ title, level, status }) => ({ title, level, status }))).toEqual([
      { title: '❌ Backup Job Interrupted', level: 'error', status: 'interrupted' },
    ]);
    const [entry] = await readHistory({ dir: c.dir, key: c.key });
    expect(entry).toMatchObject({ jobId: 'dead-pre', status: 'interrupted', failedTask: 'Stop Services', pid, recoveredBy: 'recoverer' });

    writeFileSync(c.release, '');
    await nothingMore(c, lines(c.log));
  });

  it('during the backup: its orphaned process group is killed, then the cleanups run', async () => {
    const c = { ...config('backup'), jobId: 'dead-main' };
    const { pid } = await crash(c);
    const groupLine = lines(c.mark).find((line) => line.startsWith('begin backup '));
    const group = Number(groupLine?.split(' ')[2]);
    // The orphan lives on after jobhooks died: that is what recovery is for.
    expect(processStartTime(group)).not.toBeNull();

    const results = await new JobPipeline(crashJob({ ...c, hangAt: '' })).recover();
    expect(processStartTime(group)).toBeNull();
    const orphanSleeps = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && existsSync(`/proc/${entry}/stat`) && (() => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === group && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })());
    expect(orphanSleeps).toEqual([]);
    const error = `jobhooks (pid ${pid}) died during 'backup'`;
    expect(lines(c.log)).toEqual([
      'Database Dump|dead-main|success||',
      'Stop Services|dead-main|success||',
      `Restart Services|dead-main|failure|backup|${error}`,
      `Health Check|dead-main|failure|backup|${error}`,
    ]);
    expect(results[0]?.notification?.body).toBe(`Backup job for 'MyRepository' was interrupted: ${error}.\n\nCleanup run: Restart Services, Health Check\nJob ID: dead-main`);
    expect(interruptedRequests().some((message) => message.body === results[0]?.notification?.body)).toBe(true);
    writeFileSync(c.release, '');
    await nothingMore(c, lines(c.log));
  });

  it('a cleanup renamed in the definition since: it fails unrun, so the alert\'s details and the result say it is still undone', async () => {
    const c = { ...config('backup'), jobId: 'dead-renamed' };
    await crash(c);
    const job = crashJob({ ...c, hangAt: '' });
    const renamed = { ...job, postHooks: (job.postHooks as Exclude<typeof job.postHooks, string | undefined>).map((hook) => (hook.name === 'Restart Services' ? { ...hook, name: 'Start Services' } : hook)) };
    const [result] = await new JobPipeline(renamed).recover();
    const error = "Post-hook 'Restart Services' was due, but the config has no post-hook of that name any more: not run";
    expect(result?.tasks.map((task) => [task.index, task.name, task.status, task.error])).toEqual([
      [3, 'Restart Services', 'failed', error],
      [4, 'Health Check', 'completed', null],
      [5, 'Notification', 'completed', null],
    ]);
    // Neither the old hook nor the new one ran: only the cleanup that still exists.
    expect(lines(c.log).map((line) => line.split('|')[0])).toEqual(['Database Dump', 'Stop Services', 'Health Check']);
    expect(result?.notification?.details.map((detail) => [detail.name, detail.error])).toEqual([['Restart Services', error]]);
    writeFileSync(c.release, '');
  });

  it('during a post-hook: only the cleanup that had not ended runs', async () => {
    const c = { ...config('Health Check'), jobId: 'dead-post' };
    const { pid } = await crash(c);
    const results = await new JobPipeline(crashJob({ ...c, hangAt: '' })).recover();
    const error = `jobhooks (pid ${pid}) died during 'Health Check'`;
    expect(lines(c.log)).toEqual([
      'Database Dump|dead-post|success||',
      'Stop Services|dead-post|success||',
      'backup|dead-post',
      'Restart Services|dead-post|success||',
      `Health Check|dead-post|failure|Health Check|${error}`,
    ]);
    expect(results[0]?.notification?.body).toBe(`Backup job for 'MyRepository' was interrupted: ${error}.\n\nCleanup run: Health Check\nJob ID: dead-post`);
    writeFileSync(c.release, '');
    await nothingMore(c, lines(c.log));
  });

  it('during the notification delivery: no cleanup is left, Interrupted is sent', async () => {
    const c = { ...config(''), jobId: 'dead-notify' };
    const before = server.requests.length;
    server.reply('hang');
    const { pid } = await crash(c, () => server.requests.length > before);
    const logBefore = lines(c.log);
    expect(logBefore.map((line) => line.split('|')[0])).toEqual(['Database Dump', 'Stop Services', 'backup', 'Restart Services', 'Health Check']);
    const results = await new JobPipeline(crashJob({ ...c, hangAt: '' })).recover();
    expect(lines(c.log)).toEqual(logBefore);
    const body = `Backup job for 'MyRepository' was interrupted: jobhooks (pid ${pid}) died during 'Notification'.\n\nCleanup run: none\nJob ID: dead-notify`;
    expect(results.map((result) => result.notification?.body)).toEqual([body]);
    expect(interruptedRequests().filter((message) => message.body === body)).toHaveLength(1);
    await nothingMore(c, logBefore);
  });

  it('a recovery that died after its notification was recorded: the next one finishes the run and sends nothing again', async () => {
    const c = { ...config('backup'), jobId: 'dead-notified' };
    await crash(c);
    const before = interruptedRequests().length;
    const first = await new JobPipeline(crashJob({ ...c, hangAt: '' })).recover();
    expect(first.map((result) => result.notification?.body.split('\n\n')[1])).toEqual(['Cleanup run: Restart Services, Health Check\nJob ID: dead-notified']);
    expect(interruptedRequests()).toHaveLength(before + 1);
    // As if that recovery had been killed between its notification's end record and its runEnd: the
    // run file without its last record, and the run's marker back.
    const keyDir = join(c.dir, readdirSync(c.dir).find((name) => !name.startsWith('.')) ?? '');
    const runFile = join(keyDir, readdirSync(keyDir).find((name) => name.endsWith('.jsonl')) ?? '');
    const records = lines(runFile);
    expect(JSON.parse(records.at(-1) ?? '{}')).toMatchObject({ type: 'runEnd' });
    expect(JSON.parse(records.at(-2) ?? '{}')).toMatchObject({ type: 'taskEnd', recovery: true });
    writeFileSync(runFile, records.slice(0, -1).map((line) => `${line}\n`).join(''));
    writeFileSync(`${runFile}.running`, '');

    const logBefore = lines(c.log);
    const second = await new JobPipeline(crashJob({ ...c, hangAt: '' })).recover();
    expect(second).toHaveLength(1);
    expect(lines(c.log)).toEqual(logBefore);
    // No second page, least of all one that says no cleanup ran.
    expect(interruptedRequests()).toHaveLength(before + 1);
    expect(JSON.parse(lines(runFile).at(-1) ?? '{}')).toMatchObject({ type: 'runEnd', status: 'interrupted' });
    writeFileSync(c.release, '');
    await nothingMore(c, lines(c.log));
  });

  it('two recover() racing in two processes: one cleanup', async () => {
    const c = { ...config('backup'), jobId: 'dead-race' };
    await crash(c);
    const recoverers = [start('recover', { ...c, hangAt: '' }), start('recover', { ...c, hangAt: '' })];
    const outputs = (await Promise.all(recoverers.map((recoverer) => recoverer.output))).map((out) => JSON.parse(out) as { recovered: number });
    expect(outputs.map((out) => out.recovered).sort()).toEqual([0, 1]);
    expect(lines(c.log).map((line) => line.split('|')[0])).toEqual(['Database Dump', 'Stop Services', 'Restart Services', 'Health Check']);
    writeFileSync(c.release, '');
  });

  it('a recover() while another process\'s recovery runs its cleanup waits for it, rather than saying there is nothing', async () => {
    const c = { ...config('backup'), jobId: 'dead-wait' };
    await crash(c);
    const first = start('recover', { ...c, hangAt: 'Restart Services' });
    await until(() => lines(c.mark).includes('begin Restart Services'), 'the first recovery to run its cleanup');
    let settled = false;
    const second = new JobPipeline(crashJob({ ...c, hangAt: '' })).recover().finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(settled).toBe(false);
    writeFileSync(c.release, '');
    expect(await second).toEqual([]);
    expect((JSON.parse(await first.output) as { recovered: number }).recovered).toBe(1);
    expect(lines(c.log).map((line) => line.split('|')[0])).toEqual(['Database Dump', 'Stop Services', 'Restart Services', 'Health Check']);
  });
});

describe('one run at a time, through run()', () => {
  it('20 simultaneous runs of one key in separate processes: exactly one runs, 19 are refused naming it', async () => {
    const c = { ...config('Database Dump') };
    const runs = Array.from({ length: 20 }, () => start('run', c));
    await until(() => lines(c.mark).length > 0, 'a run to start');
    // Every loser reports before the winner is let go.
    const losers = runs.map(async (run) => {
      const out = await Promise.race([run.output, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 90_000))]);
      return out;
    });
    const settled: string[] = [];
    for (const loser of losers) void loser.then((out) => settled.push(out));
    await until(() => settled.length === 19, '19 runs to settle');
    writeFileSync(c.release, '');
    const outputs = await Promise.all(runs.map((run) => run.output));
    const ran = outputs.filter((out) => out.startsWith('{"ran"'));
    const refused = outputs.map((out) => JSON.parse(out) as { refused?: string; message?: string }).filter((out) => out.refused !== undefined);
    expect(ran).toEqual(['{"ran":"completed"}']);
    expect(refused).toHaveLength(19);
    expect(new Set(refused.map((out) => out.refused))).toEqual(new Set(['ERR_ALREADY_RUNNING']));
    expect(refused[0]?.message).toMatch(/^This job is already running \(pid \d+ since \d{4}-\d\d-\d\dT[\d:.]+Z, process start time \d+\); not started$/);
    expect(lines(c.mark).filter((line) => line === 'begin Database Dump')).toHaveLength(1);
  }, 180_000);
});
