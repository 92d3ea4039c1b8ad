import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, JobHooksError, type JobResult } from '../../src/index.js';
import { cancel, enqueue, schedule, unschedule, watch, type QueueConnection, type WatchedEvent } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
import { leaseStore } from '../../src/bullmq/lease.js';
import { buildJob } from '../../src/cli/job.js';
import { BACKENDS, lines, startWorker, waitFor, type WorkerProcess } from './helpers.js';

describe.each(BACKENDS)('jobhooks/bullmq on $name', (backend) => {
  describe.skipIf(!backend.installed)('contract', { tags: [backend.tag] }, () => {
    let server: { connection: QueueConnection; stop(): Promise<void> };
    let dir: string;
    let queue: Queue;
    const workers: WorkerProcess[] = [];
    const target = (): { connection: QueueConnection; queue: string } => ({ connection: server.connection, queue: 'main' });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jobhooks-bullmq-'));
      server = await backend.start();
      queue = openBackend(target()).queue();
      // Three worker processes share the queue: the jobs below go to whichever is free.
      workers.push(...(await Promise.all([0, 1, 2].map(() => startWorker({ ...target() })))));
    });
    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
      await queue?.close().catch(() => {});
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const results = async (ids: readonly string[]): Promise<JobResult[]> =>
      waitFor(async () => {
        const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
        const done = jobs.map((job) => (job?.finishedOn === undefined ? undefined : (job.returnvalue as JobResult)));
        return done.every((result) => result !== undefined) ? (done as JobResult[]) : undefined;
      }, `${ids.length} jobs to finish`, 60_000);

    test('a bad definition is refused at enqueue with the ConfigError validate gives, and never queued', async () => {
      const bad = { tasks: [{ name: 'Backup', command: 'true', timeout: 'soon' }], preHooks: [{ command: 'x' }] };
      const built = buildJob(bad, { env: process.env });
      expect(built.ok).toBe(false);
      const error = await enqueue(target(), bad, { jobId: 'bad-1' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('ERR_CONFIG');
      expect((error as ConfigError).issues).toEqual(built.ok ? [] : built.issues);
      expect(await queue.getJob('bad-1')).toBeUndefined();
    });

    test('100 jobs on 3 worker processes: each runs exactly once, each result is the JobResult', async () => {
      const ran = join(dir, 'ran.txt');
      const ids = await Promise.all(
        Array.from({ length: 100 }, (_, n) =>
          enqueue(target(), { jobType: 'scheduled', tasks: [{ name: 'Count', command: `echo "$JOBHOOKS_JOB_ID $PPID" >> ${ran}` }] }, { jobId: `count-${n}` }),
        ),
      );
      expect(ids).toEqual(Array.from({ length: 100 }, (_, n) => `count-${n}`));
      // Idempotent: the same jobId again adds nothing.
      expect(await enqueue(target(), { tasks: [{ name: 'Count', command: `echo again >> ${ran}` }] }, { jobId: 'count-0' })).toBe('count-0');
      const done = await results(ids);
      expect(done.map((result) => [result.jobId, result.status, result.jobType])).toEqual(ids.map((id) => [id, 'completed', 'scheduled']));
      const written = lines(ran);
      expect(written.map((line) => line.split(' ')[0]).sort()).toEqual([...ids].sort());
      // Spread over more than one worker process.
      expect(new Set(written.map((line) => line.split(' ')[1])).size).toBeGreaterThan(1);
    });

    test('watch: the live JobEvents of a job from another process, ending with jobEnd; a failed pipeline is a completed job', async () => {
      const id = await enqueue(target(), {
        tasks: [{ name: 'Say', command: 'echo hello; echo world' }, { name: 'Fail', command: 'exit 3' }],
      });
      const seen: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) seen.push(event);
      expect(seen.map(({ name }) => name)).toEqual(['jobStart', 'taskStart', 'taskOutput', 'taskOutput', 'taskEnd', 'taskStart', 'taskEnd', 'jobEnd']);
      expect(seen.filter((e) => e.name === 'taskOutput').map((e) => (e.name === 'taskOutput' ? e.event.line : ''))).toEqual(['hello', 'world']);
      const end = seen.at(-1);
      expect(end?.name === 'jobEnd' ? [end.event.result.jobId, end.event.result.status, end.event.result.failure?.taskName] : []).toEqual([id, 'failed', 'Fail']);
      // jobEnd comes from the pipeline, just before the worker hands BullMQ the result: wait until
      // BullMQ has stored it (reading the job at once can catch it still active, returnvalue null).
      const [stored] = await results([id]);
      expect(stored?.status).toBe('failed');
      expect(await (await queue.getJob(id))?.getState()).toBe('completed');
      // A finished job's events are replayed from the queue's event stream.
      const again: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) again.push(event);
      expect(again).toEqual(seen);
    });

    test('cancel during a long hook: the signal fires on the worker, the cleanup runs, the result says cancelled; a waiting job is removed', async () => {
      const cleanup = join(dir, 'cancel-cleanup.txt');
      const id = await enqueue(target(), {
        preHooks: [{ name: 'Long', command: 'echo started; sleep 30' }],
        tasks: [{ name: 'Never', command: 'true' }],
        postHooks: [{ name: 'Cleanup', command: `echo "$JOBHOOKS_JOB_STATUS" >> ${cleanup}`, runOnJobFailure: true }],
      });
      const seen: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) {
        seen.push(event);
        if (event.name === 'taskOutput' && event.event.line === 'started') expect(await cancel(target(), id)).toBe('signalled');
      }
      const end = seen.at(-1);
      expect(end?.name === 'jobEnd' ? [end.event.result.status, end.event.result.failure?.reason, end.event.result.tasks.map((t) => t.status)] : []).toEqual([
        'cancelled',
        'cancelled',
        // The pipeline's own verdict on a hook killed by the cancellation (docs/execution-flow.md).
        ['failed', 'skipped', 'completed'],
      ]);
      expect(lines(cleanup)).toEqual(['cancelled']);

      const waiting = await enqueue(target(), { tasks: [{ name: 'Later', command: `echo ran >> ${cleanup}` }] }, { delay: 60_000 });
      expect(await cancel(target(), waiting)).toBe('removed');
      expect(await queue.getJob(waiting)).toBeUndefined();
      expect(await cancel(target(), id)).toBe('finished');
    });

    test('two jobs on one repository never overlap across workers; other repositories run alongside', async () => {
      const times = join(dir, 'times.txt');
      const hook = (label: string): string => `echo "${label} start $(date +%s%N)" >> ${times}; sleep 0.4; echo "${label} end $(date +%s%N)" >> ${times}`;
      const ids = await Promise.all(
        ['a', 'b', 'c'].map((label) => enqueue(target(), { repository: { name: 'nas' }, tasks: [{ name: 'Backup', command: hook(label) }] })),
      );
      const done = await results(ids);
      expect(done.map((result) => result.status)).toEqual(['completed', 'completed', 'completed']);
      const spans = ['a', 'b', 'c'].map((label) => {
        const mark = (what: string): number => Number(lines(times).find((line) => line.startsWith(`${label} ${what} `))?.split(' ')[2]);
        return [mark('start'), mark('end')] as const;
      });
      spans.sort((x, y) => x[0] - y[0]);
      for (let n = 1; n < spans.length; n += 1) expect(spans[n]?.[0] ?? 0).toBeGreaterThan(spans[n - 1]?.[1] ?? Infinity);
    });

    test('watch yields every event of the pipeline, a retry included', async () => {
      const flag = join(dir, 'retried-once');
      const id = await enqueue(target(), { tasks: [{ name: 'Flaky', command: `test -f ${flag} || { touch ${flag}; exit 1; }`, retries: 1, retryDelay: '10ms' }] });
      const seen: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) seen.push(event);
      const retry = seen.find((event) => event.name === 'taskRetry');
      expect(retry?.name === 'taskRetry' ? [retry.event.taskIndex, retry.event.attempt, retry.event.error] : []).toEqual([0, 2, "Task 'Flaky' exited with code 1"]);
      expect(seen.at(-1)?.name === 'jobEnd' ? seen.at(-1) : undefined).toMatchObject({ event: { result: { status: 'completed', tasks: [{ attempts: 2 }] } } });
    });

    test('watch of a finished job whose events were trimmed from the stream: its stored jobEnd alone', async () => {
      const id = await enqueue(target(), { tasks: [{ name: 'Quiet', command: 'true' }] });
      const first: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) first.push(event);
      // More than the stream keeps (10,000 events) after it: its own events are trimmed away.
      const chatty = await enqueue(target(), { tasks: [{ name: 'Chatty', command: 'seq 1 10500' }] });
      for await (const event of watch(target(), chatty)) if (event.name === 'jobEnd') expect(event.event.result.status).toBe('completed');
      const again: WatchedEvent[] = [];
      for await (const event of watch(target(), id)) again.push(event);
      expect(again.map(({ name }) => name)).toEqual(['jobEnd']);
      expect(again[0]?.name === 'jobEnd' ? again[0].event.result : undefined).toEqual((await queue.getJob(id))?.returnvalue);
      expect(first.at(-1)).toEqual(again[0]);
      // 10,500 events one by one: about 25 s on PostgreSQL on a loaded machine.
    }, 120_000);

    test('priority orders waiting jobs: 1 runs first, a job without one before prioritized ones', async () => {
      const order = join(dir, 'priority.txt');
      const prio = { connection: server.connection, queue: 'priority' };
      const job = (label: string): unknown => ({ tasks: [{ name: 'Mark', command: `echo ${label} >> ${order}` }] });
      // Queued before any worker of this queue runs: the order is the queue's alone.
      await enqueue(prio, job('p3'), { priority: 3 });
      await enqueue(prio, job('p1'), { priority: 1 });
      await enqueue(prio, job('none'));
      await enqueue(prio, job('p2'), { priority: 2 });
      const worker = await startWorker({ ...prio });
      workers.push(worker);
      await waitFor(() => (lines(order).length === 4 ? true : undefined), 'the 4 prioritized jobs to run', 60_000);
      expect(lines(order)).toEqual(['none', 'p1', 'p2', 'p3']);
    });

    test('the lease wait is bounded: a second job on a held repository fails after leaseWaitMs with a clear reason, and never runs', async () => {
      const marks = join(dir, 'lease.txt');
      const leased = { connection: server.connection, queue: 'lease' };
      const worker = await startWorker({ ...leased, concurrency: 2, leaseWaitMs: 1500 });
      workers.push(worker);
      const holder = await enqueue(leased, { repository: { name: 'vault' }, tasks: [{ name: 'Hold', command: `echo holder >> ${marks}; sleep 6; echo holder done >> ${marks}` }] });
      await waitFor(() => (lines(marks).includes('holder') ? true : undefined), 'the holder to start');
      const second = await enqueue(leased, { repository: { name: 'vault' }, tasks: [{ name: 'Second', command: `echo second >> ${marks}` }] });
      const error = await (async () => {
        for await (const _event of watch(leased, second)) {
          // Never reached: the job has no event, it fails in BullMQ.
        }
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(JobHooksError);
      expect([(error as JobHooksError).code, (error as JobHooksError).message]).toEqual([
        'ERR_QUEUE',
        `Job ${second} failed in the queue: repository name:vault stayed busy for 1500 ms (another job holds its lease)`,
      ]);
      const leaseQueue = openBackend(leased).queue();
      try {
        const job = await leaseQueue.getJob(second);
        expect([await job?.getState(), job?.failedReason]).toEqual(['failed', 'repository name:vault stayed busy for 1500 ms (another job holds its lease)']);
        // The job that gave up took nothing with it: the holder, still running, still holds the lease.
        expect(lines(marks)).toEqual(['holder']);
        expect(await (await leaseStore(openBackend(leased), leaseQueue)).tryAcquire('name:vault', 'probe', 60_000)).toBe(false);
      } finally {
        await leaseQueue.close();
      }
      const results: WatchedEvent[] = [];
      for await (const event of watch(leased, holder)) results.push(event);
      expect(results.at(-1)?.name === 'jobEnd' ? results.at(-1) : undefined).toMatchObject({ event: { result: { status: 'completed' } } });
      expect(lines(marks)).toEqual(['holder', 'holder done']);
    });

    test('a job cancelled while it waits for its repository runs nothing, its cleanup included, and leaves the lease to its holder', async () => {
      const marks = join(dir, 'lease-cancel.txt');
      const leased = { connection: server.connection, queue: 'lease-cancel' };
      const worker = await startWorker({ ...leased, concurrency: 2 });
      workers.push(worker);
      const holder = await enqueue(leased, { repository: { name: 'vault' }, tasks: [{ name: 'Hold', command: `echo holder >> ${marks}; sleep 3; echo holder done >> ${marks}` }] });
      await waitFor(() => (lines(marks).includes('holder') ? true : undefined), 'the holder to start');
      const waiting = await enqueue(leased, {
        repository: { name: 'vault' },
        tasks: [{ name: 'Second', command: `echo second >> ${marks}` }],
        postHooks: [{ name: 'Restart Services', command: `echo second cleanup >> ${marks}`, runOnJobFailure: true }],
      });
      const leaseQueue = openBackend(leased).queue();
      try {
        await waitFor(async () => ((await leaseQueue.getJob(waiting))?.processedOn === undefined ? undefined : true), 'the second job to wait for the lease');
        expect(await cancel(leased, waiting)).toBe('signalled');
        const seen: WatchedEvent[] = [];
        for await (const event of watch(leased, waiting)) seen.push(event);
        expect(seen.map(({ name }) => name)).toEqual(['jobEnd']);
        expect(seen[0]?.name === 'jobEnd' ? seen[0].event.result : undefined).toMatchObject({
          status: 'cancelled',
          tasks: [],
          failure: { reason: 'cancelled', error: 'cancelled while it waited for its repository (nothing ran)' },
          notification: null,
        });
        expect(await (await leaseStore(openBackend(leased), leaseQueue)).tryAcquire('name:vault', 'probe', 60_000)).toBe(false);
      } finally {
        await leaseQueue.close();
      }
      for await (const event of watch(leased, holder)) if (event.name === 'jobEnd') expect(event.event.result.status).toBe('completed');
      expect(lines(marks)).toEqual(['holder', 'holder done']);
    });

    test('a job whose lease is taken from it (lapsed, or removed) is cancelled at once: it never runs beside the next holder', async () => {
      const marks = join(dir, 'lease-lost.txt');
      const leased = { connection: server.connection, queue: 'lease-lost' };
      workers.push(await startWorker({ ...leased, lockMs: 1500 }));
      const id = await enqueue(leased, {
        repository: { name: 'vault' },
        tasks: [{ name: 'Backup', command: `echo backup >> ${marks}; sleep 20; echo backup done >> ${marks}` }],
        postHooks: [{ name: 'Restart Services', command: `echo cleanup >> ${marks}`, runOnJobFailure: true }],
      });
      await waitFor(() => (lines(marks).includes('backup') ? true : undefined), 'the backup to start');
      // As when the server was out of reach for longer than the lease's life and another job took it.
      const leaseQueue = openBackend(leased).queue();
      try {
        await leaseQueue.waitUntilReady();
        const key = 'jobhooks:lease:lease-lost:name:vault';
        const connection = (leaseQueue.backend as unknown as { connection: { client?: Promise<{ del(key: string): Promise<number> }>; pool?: { query(text: string, params: unknown[]): Promise<unknown> } } }).connection;
        if (connection.client !== undefined) await (await connection.client).del(key);
        else await connection.pool?.query('DELETE FROM jobhooks_leases WHERE key = $1', [key]);
      } finally {
        await leaseQueue.close();
      }
      const started = performance.now();
      let result: JobResult | undefined;
      for await (const event of watch(leased, id)) if (event.name === 'jobEnd') result = event.event.result;
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(result?.status).toBe('cancelled');
      expect(lines(marks)).toEqual(['backup', 'cleanup']);
    });

    test('watch of a job removed before it ended: ERR_QUEUE saying so, not a wait for ever', async () => {
      const idle = { connection: server.connection, queue: 'no-worker' };
      const id = await enqueue(idle, { tasks: [{ name: 'Never', command: 'true' }] });
      const watching = (async () => {
        for await (const event of watch(idle, id)) void event;
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const idleQueue = openBackend(idle).queue();
      try {
        await idleQueue.remove(id);
      } finally {
        await idleQueue.close();
      }
      const started = performance.now();
      await expect(watching).rejects.toMatchObject({ code: 'ERR_QUEUE', message: `Job ${id} is no longer in queue no-worker: it was removed before it ended` });
      expect(performance.now() - started).toBeLessThan(20_000);
    });

    test('a worker asked to stop while its server is away still stops: its ended jobs get 10 s to be handed over', async () => {
      const own = await backend.start();
      const worker = await startWorker({ connection: own.connection, queue: 'away' });
      await own.stop();
      const started = performance.now();
      const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
      worker.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(performance.now() - started).toBeLessThan(25_000);
    }, 60_000);

    test('a schedule fires through BullMQ job schedulers, and unschedule stops it', async () => {
      const fired = join(dir, 'fired.txt');
      await schedule(target(), 'every-second', '* * * * * *', { jobType: 'scheduled', tasks: [{ name: 'Tick', command: `echo "$JOBHOOKS_JOB_TYPE" >> ${fired}` }] });
      await waitFor(() => (lines(fired).length >= 1 ? true : undefined), 'the schedule to fire');
      expect(await unschedule(target(), 'every-second')).toBe(true);
      expect(await queue.getJobSchedulers()).toEqual([]);
      expect(lines(fired)[0]).toBe('scheduled');
      await expect(schedule(target(), 'bad', '* * * * * *', { tasks: 'none' })).rejects.toBeInstanceOf(ConfigError);
    });
  });
});
