import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, type JobResult } from '../../src/index.js';
import { cancel, enqueue, schedule, unschedule, watch, type QueueConnection, type WatchedEvent } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
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
      const job = await queue.getJob(id);
      expect(await job?.getState()).toBe('completed');
      expect((job?.returnvalue as JobResult).status).toBe('failed');
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
