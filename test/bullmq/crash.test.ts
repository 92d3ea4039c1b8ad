import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { enqueue, type QueueConnection } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
import { relay } from '../support/relay.js';
import { BACKENDS, lines, startWorker, waitFor, type WorkerProcess } from './helpers.js';

describe.each(BACKENDS)('a worker killed with kill -9 on $name', (backend) => {
  describe.skipIf(!backend.installed)('crash', { tags: [backend.tag] }, () => {
    let server: { connection: QueueConnection; stop(): Promise<void> };
    let dir: string;
    let queue: Queue;
    const started: WorkerProcess[] = [];
    const target = (): { connection: QueueConnection; queue: string } => ({ connection: server.connection, queue: 'crash' });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jobhooks-bullmq-crash-'));
      server = await backend.start();
      queue = openBackend(target()).queue();
    });
    afterAll(async () => {
      await Promise.all(started.map((worker) => worker.stop()));
      await queue?.close().catch(() => {});
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('with retryOnStall: true, its job runs again from the start on another worker and completes', async () => {
      const marks = join(dir, 'retry-marks.txt');
      const retry = { connection: server.connection, queue: 'retry' };
      const victim = await startWorker({ ...retry, lockMs: 1500, retryOnStall: true });
      started.push(victim);
      const id = await enqueue(retry, {
        preHooks: [{ name: 'Prepare', command: `echo "prepare $PPID" >> ${marks}; [ -e ${marks}.again ] || { touch ${marks}.again; sleep 30; }` }],
        tasks: [{ name: 'Backup', command: `echo backup >> ${marks}` }],
      }, { jobId: 'retried' });
      await waitFor(() => (lines(marks).length === 1 ? true : undefined), 'the long hook to start');
      victim.child.kill('SIGKILL');
      const other = await startWorker({ ...retry, lockMs: 1500, retryOnStall: true });
      started.push(other);
      const retryQueue = openBackend(retry).queue();
      try {
        const result = await waitFor(async () => {
          const job = await retryQueue.getJob(id);
          return job?.finishedOn === undefined ? undefined : (job.returnvalue as JobResult);
        }, 'the stalled job to run again', 60_000);
        expect([result.jobId, result.status, result.tasks.map((task) => task.status)]).toEqual(['retried', 'completed', ['completed', 'completed']]);
      } finally {
        await retryQueue.close();
      }
      // Run twice: once on the killed worker (its hook started), once to the end on the other one.
      expect(lines(marks).map((line) => line.split(' ')[0])).toEqual(['prepare', 'prepare', 'backup']);
      expect(new Set(lines(marks).slice(0, 2)).size).toBe(2);
    });

    test('its job ends interrupted (not re-run), the cleanup runs once when it restarts with its stateDir, every other job completes', async () => {
      const stateDir = join(dir, 'state');
      const marks = join(dir, 'marks.txt');
      const victim = await startWorker({ ...target(), stateDir, lockMs: 1500 });
      started.push(victim);
      const id = await enqueue(target(), {
        repository: { name: 'nas' },
        preHooks: [{ name: 'Stop Services', command: `echo "stop $JOBHOOKS_JOB_ID" >> ${marks}; sleep 30` }],
        tasks: [{ name: 'Backup', command: `echo "backup $JOBHOOKS_JOB_ID" >> ${marks}` }],
        postHooks: [{ name: 'Restart Services', command: `echo "cleanup $JOBHOOKS_JOB_ID $JOBHOOKS_JOB_STATUS" >> ${marks}`, runOnJobFailure: true }],
      }, { jobId: 'victim' });
      await waitFor(() => (lines(marks).includes('stop victim') ? true : undefined), 'the long hook to start');
      victim.child.kill('SIGKILL');
      // Another worker (its own state directory) sees the job stalled, and the jobs after it.
      const other = await startWorker({ ...target(), stateDir: join(dir, 'other-state'), lockMs: 1500 });
      started.push(other);
      const others = await Promise.all([0, 1, 2].map((n) => enqueue(target(), { repository: { name: 'nas' }, tasks: [{ name: 'Work', command: `echo "other $JOBHOOKS_JOB_ID" >> ${marks}` }] }, { jobId: `other-${n}` })));
      const finished = await waitFor(async () => {
        const jobs = await Promise.all([id, ...others].map((jobId) => queue.getJob(jobId)));
        return jobs.every((job) => job?.finishedOn !== undefined) ? jobs.map((job) => job?.returnvalue as JobResult) : undefined;
      }, 'every job to finish', 60_000);
      expect(finished.map((result) => [result.jobId, result.status, result.failure?.reason ?? null])).toEqual([
        ['victim', 'interrupted', 'interrupted'],
        ['other-0', 'completed', null],
        ['other-1', 'completed', null],
        ['other-2', 'completed', null],
      ]);
      // Not re-run: its hook started once, its task never.
      expect(lines(marks).filter((line) => line.endsWith('victim') || line.includes(' victim'))).toEqual(['stop victim']);

      const back = await startWorker({ ...target(), stateDir, lockMs: 1500 });
      started.push(back);
      expect(back.recovered.map((result) => [result.jobId, result.status, result.failure?.taskName])).toEqual([['victim', 'interrupted', 'Stop Services']]);
      expect(lines(marks).filter((line) => line.startsWith('cleanup'))).toEqual(['cleanup victim failure']);
      await back.stop();
      // Started again: nothing is left to recover, the cleanup does not run twice.
      const again = await startWorker({ ...target(), stateDir, lockMs: 1500 });
      started.push(again);
      expect(again.recovered).toEqual([]);
      expect(lines(marks).filter((line) => line.startsWith('cleanup'))).toEqual(['cleanup victim failure']);
    });

    test('started again while its server is away, it runs the cleanup its predecessor left at once, not once the server is back', async () => {
      const stateDir = join(dir, 'away-state');
      const marks = join(dir, 'away-marks.txt');
      const url = new URL('redis' in server.connection ? server.connection.redis : server.connection.postgres);
      const link = await relay(Number(url.port));
      url.port = String(link.port);
      const connection: QueueConnection = 'redis' in server.connection ? { redis: url.href } : { postgres: url.href };
      const away = { connection, queue: 'away' };
      try {
        const victim = await startWorker({ ...away, stateDir, lockMs: 1500 });
        started.push(victim);
        await enqueue(away, {
          preHooks: [{ name: 'Stop Services', command: `echo "stop $JOBHOOKS_JOB_ID" >> ${marks}; sleep 30` }],
          postHooks: [{ name: 'Restart Services', command: `echo "cleanup $JOBHOOKS_JOB_ID" >> ${marks}`, runOnJobFailure: true }],
        }, { jobId: 'left' });
        await waitFor(() => (lines(marks).includes('stop left') ? true : undefined), 'the long hook to start');
        victim.child.kill('SIGKILL');
        link.down();
        const back = startWorker({ ...away, stateDir, lockMs: 1500 });
        await waitFor(() => (lines(marks).includes('cleanup left') ? true : undefined), 'the cleanup to run while the server is away');
        await link.up();
        const worker = await back;
        started.push(worker);
        expect(worker.recovered.map((result) => [result.jobId, result.status])).toEqual([['left', 'interrupted']]);
      } finally {
        await link.close();
      }
    });
  });
});
