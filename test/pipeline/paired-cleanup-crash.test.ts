import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobPipeline } from '../../src/index.js';
import { crashConfig, crashJob, type CrashJobConfig } from '../fixtures/journal-job.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';

// A paired cleanup (docs/hooks.md#paired-cleanup) after kill -9 of jobhooks: recovery runs it iff its
// pre-hook has a taskStart record, even without runOnJobFailure (docs/journal.md).

let script = '';
let server: TestServer;

beforeAll(async () => {
  script = new URL('../fixtures/journal-job.ts', import.meta.url).pathname;
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

function config(hangAt: string, jobId: string): CrashJobConfig {
  return crashConfig({ key: '/etc/jobhooks/paired.yml', url: `${server.url}/hook`, hangAt, jobId, paired: true });
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

/** Runs the job in a child until `begin <hangAt>` is marked, then kills it with SIGKILL. */
async function crash(c: CrashJobConfig): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'run', JSON.stringify(c)], { stdio: 'ignore', cwd: new URL('../..', import.meta.url).pathname });
  const closed = new Promise((resolve) => child.once('close', resolve));
  const deadline = Date.now() + 60_000;
  while (!lines(c.mark).some((line) => line.startsWith(`begin ${c.hangAt}`))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${c.hangAt}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pid = child.pid ?? 0;
  process.kill(pid, 'SIGKILL');
  await closed;
  return pid;
}

describe('kill -9, then recover(): paired cleanups', { timeout: 60_000 }, () => {
  it('during the backup: "Restart Services" (cleanupFor "Stop Services", no runOnJobFailure) runs, as does the runOnJobFailure one', async () => {
    const c = config('backup', 'dead-paired');
    const pid = await crash(c);
    const results = await new JobPipeline(crashJob({ ...c, hangAt: '', jobId: 'recoverer' })).recover();
    const error = `jobhooks (pid ${pid}) died during 'backup'`;
    expect(lines(c.log)).toEqual([
      'Database Dump|dead-paired|success||',
      'Stop Services|dead-paired|success||',
      `Restart Services|dead-paired|failure|backup|${error}`,
      `Health Check|dead-paired|failure|backup|${error}`,
    ]);
    expect(results.map((result) => result.tasks.map((task) => [task.index, task.name, task.status]))).toEqual([
      [
        [3, 'Restart Services', 'completed'],
        [4, 'Health Check', 'completed'],
        [5, 'Notification', 'completed'],
      ],
    ]);
    expect(results[0]?.notification?.body).toBe(`Backup job for 'MyRepository' was interrupted: ${error}.\n\nCleanup run: Restart Services, Health Check\nJob ID: dead-paired`);
  });

  it('during "Database Dump": "Stop Services" never started, so its paired cleanup does not run', async () => {
    const c = config('Database Dump', 'dead-early');
    await crash(c);
    const results = await new JobPipeline(crashJob({ ...c, hangAt: '', jobId: 'recoverer' })).recover();
    expect(lines(c.log).map((line) => line.split('|')[0])).toEqual(['Health Check']);
    expect(results.map((result) => result.tasks.map((task) => task.name))).toEqual([['Health Check', 'Notification']]);
  });
});
