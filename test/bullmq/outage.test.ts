import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { enqueue, type QueueConnection } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
import { REDIS_TAG, redisInstalled, startRedis, type RedisServer } from '../support/redis.js';
import { relay } from '../support/relay.js';
import { startCli, tempDir } from '../cli/helpers.js';
import { BACKENDS, lines, startWorker, waitFor, type WorkerProcess } from './helpers.js';

describe.skipIf(!redisInstalled)('a Redis server away for 12 of a 20 s lockDurationMs (docs/distributed.md)', { tags: [REDIS_TAG] }, () => {
  let redis: RedisServer;
  let dir: string;
  let queue: Queue;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobhooks-outage-'));
    redis = await startRedis();
    queue = openBackend({ connection: { redis: redis.url }, queue: 'outage' }).queue();
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await queue?.close().catch(() => {});
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('changes nothing: the running job of a repository keeps its hold and its lease, finishes once, and its result is stored', { timeout: 120_000 }, async () => {
    const link = await relay(redis.port);
    try {
      // Away for 12 s: long enough for BullMQ's own reconnection backoff (1 s, then 3, 8, 20 s) to
      // leave the worker cut off for 18 s or more, past its hold's and its lease's last renewal.
      const lockMs = 20_000;
      const awayMs = 12_000;
      workers.push(await startWorker({ connection: { redis: link.url }, queue: 'outage', lockMs }));
      const marks = join(dir, 'marks');
      const id = await enqueue({ connection: { redis: redis.url }, queue: 'outage' }, {
        repository: { name: 'nas' },
        tasks: [{ name: 'Backup', command: `echo start >> ${marks}; sleep 24; echo done >> ${marks}` }],
        postHooks: [{ name: 'Cleanup', command: `echo cleanup >> ${marks}`, runOnJobFailure: true }],
      });
      await waitFor(() => (readFileSync(marks, { encoding: 'utf8', flag: 'a+' }).includes('start') ? true : undefined), 'the backup to start', 30_000);
      // Just before a renewal would have come at a third of lockDurationMs (the worker renewed every third).
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      link.down();
      await new Promise((resolve) => setTimeout(resolve, awayMs));
      await link.up();
      const result = await waitFor(async () => {
        const job = await queue.getJob(id);
        return job?.finishedOn === undefined ? undefined : (job.returnvalue as JobResult);
      }, 'the job to finish', 60_000);
      expect(result.status).toBe('completed');
      expect(readFileSync(marks, 'utf8').trim().split('\n')).toEqual(['start', 'done', 'cleanup']);
      expect((await queue.getJob(id))?.stalledCounter ?? 0).toBe(0);
    } finally {
      await link.close();
    }
  });
});

describe.each(BACKENDS)('a $name server away for 3 s while a job waits for its repository', (backend) => {
  describe.skipIf(!backend.installed)('lease wait', { tags: [backend.tag] }, () => {
    let server: { connection: QueueConnection; stop(): Promise<void> };
    let dir: string;
    const workers: WorkerProcess[] = [];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jobhooks-outage-lease-'));
      server = await backend.start();
    });
    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the waiting job still runs after the one holding the repository, once; both are stored completed', { timeout: 90_000 }, async () => {
      const url = new URL('redis' in server.connection ? server.connection.redis : server.connection.postgres);
      const link = await relay(Number(url.port));
      url.port = String(link.port);
      const viaRelay: QueueConnection = 'redis' in server.connection ? { redis: url.href } : { postgres: url.href };
      const target = { connection: server.connection, queue: 'lease-outage' };
      const queue = openBackend(target).queue();
      try {
        // Two workers: the second job waits for the first one's lease on the other worker.
        for (let n = 0; n < 2; n += 1) workers.push(await startWorker({ connection: viaRelay, queue: 'lease-outage', lockMs: 20_000 }));
        const marks = join(dir, 'marks');
        const job = (name: string): unknown => ({ repository: { name: 'nas' }, tasks: [{ name: 'Backup', command: `echo "start ${name}" >> ${marks}; sleep 5; echo "end ${name}" >> ${marks}` }] });
        const first = await enqueue(target, job('first'), { jobId: 'first' });
        await waitFor(() => (lines(marks).includes('start first') ? true : undefined), 'the first job to start', 30_000);
        const second = await enqueue(target, job('second'), { jobId: 'second' });
        // The second job's worker is polling for the lease when the server goes away.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        link.down();
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await link.up();
        const results = await waitFor(async () => {
          const jobs = await Promise.all([first, second].map((id) => queue.getJob(id)));
          return jobs.every((found) => found?.finishedOn !== undefined) ? jobs.map((found) => [found?.id, (found?.returnvalue as JobResult).status]) : undefined;
        }, 'both jobs to finish', 60_000);
        expect(results).toEqual([['first', 'completed'], ['second', 'completed']]);
        expect(lines(marks)).toEqual(['start first', 'end first', 'start second', 'end second']);
      } finally {
        await queue.close().catch(() => {});
        await link.close();
      }
    });
  });
});

describe.each(BACKENDS)('a worker stopped while its $name server hangs', (backend) => {
  describe.skipIf(!backend.installed)('hung server', { tags: [backend.tag] }, () => {
    test('exits 0 within the 10 s it gives the server, not twice that', { timeout: 60_000 }, async () => {
      const server = await backend.start();
      const url = new URL('redis' in server.connection ? server.connection.redis : server.connection.postgres);
      const link = await relay(Number(url.port));
      url.port = String(link.port);
      const flags = 'redis' in server.connection ? ['--redis', url.href] : ['--postgres', url.href];
      const dir = tempDir();
      try {
        const worker = startCli(['worker', ...flags, '--queue', 'hung'], { cwd: dir.path });
        await waitFor(() => (worker.stdout().includes('taking jobs') ? true : undefined), 'the worker to take jobs', 30_000);
        link.freeze();
        await new Promise((resolve) => setTimeout(resolve, 500));
        const stopping = Date.now();
        worker.child.kill('SIGTERM');
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 40_000);
        const ended = await worker.done;
        clearTimeout(timer);
        const seconds = (Date.now() - stopping) / 1000;
        expect(ended.code).toBe(0);
        expect(seconds).toBeLessThan(13);
      } finally {
        dir.remove();
        await link.close();
        await server.stop();
      }
    });
  });
});
