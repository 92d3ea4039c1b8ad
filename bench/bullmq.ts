/**
 * jobhooks on a queue (docs/distributed.md#throughput): N trivial jobs (one hook each, default 1,000;
 * `npx tsx bench/bullmq.ts 200` for fewer) through BullMQ with 1, 2 and 4 worker processes, on Redis
 * and on PostgreSQL, against the same jobs run in this process without a queue (JobPipeline +
 * ShellExecutor, one at a time and 2 and 4 at once). Figures: jobs/s, the queue's cost per job (wall
 * time against the no-queue run of the same concurrency), the cost of one `enqueue()`, and the latency
 * from calling `enqueue()` to the job's hook running (the hook writes bash's `$EPOCHREALTIME`),
 * measured job by job on an idle queue. Each backend's server is started here, privately, and skipped
 * with one line when it is not installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobPipeline, ShellExecutor } from '../src/index.js';
import { enqueue, type QueueConnection } from '../src/bullmq/index.js';
import { openBackend } from '../src/bullmq/connection.js';
import { buildJob } from '../src/cli/job.js';
import { BACKENDS, lines, startWorker, waitFor, type WorkerProcess } from '../test/bullmq/helpers.js';
import { POSTGRES_INSTALL_HINT } from '../test/support/postgres.js';
import { REDIS_INSTALL_HINT, REDIS_MISSING } from '../test/support/redis.js';
import { fixed } from './lib.js';

const JOBS = Number(process.argv[2] ?? '1000');
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error(`the job count must be a positive integer, got ${JSON.stringify(process.argv[2])}`);
const WORKER_COUNTS = [1, 2, 4] as const;
// Latency is measured one job at a time on an idle queue; this many samples per configuration.
const LATENCY_SAMPLES = Math.min(100, JOBS);
// Enqueues in flight at once while the queue is paused (each `enqueue()` opens and closes its own connection).
const ENQUEUE_PARALLEL = 8;

const dir = mkdtempSync(join(tmpdir(), 'jobhooks-bench-bullmq-'));

/** A job whose one hook appends `<tag> <epoch seconds with µs>` to `file`; `$EPOCHREALTIME` is a bash builtin, so the hook spawns nothing more than `true` would. */
function definition(tag: string, file: string): unknown {
  return { jobType: 'scheduled', tasks: [{ name: 'Stamp', command: `echo "${tag} $EPOCHREALTIME" >> ${file}` }] };
}

/** The epoch milliseconds each tag's hook wrote (the decimal separator of `$EPOCHREALTIME` follows the locale). */
function stamps(file: string): Map<string, number> {
  return new Map(lines(file).map((line) => {
    const [tag = '', seconds = ''] = line.split(' ');
    return [tag, Number(seconds.replace(',', '.')) * 1000] as const;
  }));
}

/** Runs `count` tasks, at most `parallel` at once. */
async function pool(count: number, parallel: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await task(next++);
  }));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The same jobs in this process: buildJob as the worker does, then JobPipeline + ShellExecutor. */
async function runWithoutQueue(parallel: number): Promise<number> {
  const file = join(dir, `noqueue-${parallel}.txt`);
  const start = performance.now();
  await pool(JOBS, parallel, async (n) => {
    const built = buildJob(definition(String(n), file), { env: process.env });
    if (!built.ok) throw new Error('the benchmark job does not validate');
    const result = await new JobPipeline({ ...built.job.options, executor: new ShellExecutor() }).run();
    if (result.status !== 'completed') throw new Error(`job ${n} ${result.status}`);
  });
  const ms = performance.now() - start;
  if (lines(file).length !== JOBS) throw new Error(`${lines(file).length} of ${JOBS} hooks ran`);
  return ms;
}

interface QueueFigures {
  readonly runMs: number;
  readonly enqueueMs: number;
  readonly latencyMedianMs: number;
  readonly latencyP95Ms: number;
}

/**
 * Throughput: the queue is paused while all jobs are enqueued, then resumed and timed until BullMQ
 * counts every job completed, so enqueueing is measured apart from running. Then latency, one job at
 * a time on the now idle queue.
 */
async function runOnQueue(connection: QueueConnection, workerCount: number): Promise<QueueFigures> {
  const target = { connection, queue: `bench-${workerCount}` };
  const file = join(dir, `${'redis' in connection ? 'redis' : 'postgres'}-${workerCount}.txt`);
  const queue = openBackend(target).queue();
  const workers: WorkerProcess[] = [];
  try {
    workers.push(...(await Promise.all(Array.from({ length: workerCount }, () => startWorker({ ...target, concurrency: 1 })))));
    await queue.pause();
    const enqueueStart = performance.now();
    await pool(JOBS, ENQUEUE_PARALLEL, (n) => enqueue(target, definition(String(n), file)));
    const enqueueMs = (performance.now() - enqueueStart) / JOBS;

    const start = performance.now();
    await queue.resume();
    await waitFor(async () => {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts['failed'] ?? 0) > 0) throw new Error(`${counts['failed']} jobs failed in BullMQ`);
      return (counts['completed'] ?? 0) >= JOBS ? true : undefined;
    }, `${JOBS} jobs to complete`, JOBS * 1000);
    const runMs = performance.now() - start;
    if (lines(file).length !== JOBS) throw new Error(`${lines(file).length} of ${JOBS} hooks ran`);

    const latencyFile = join(dir, `${'redis' in connection ? 'redis' : 'postgres'}-${workerCount}-latency.txt`);
    const latencies: number[] = [];
    for (let n = 0; n < LATENCY_SAMPLES; n += 1) {
      const enqueuedAt = Date.now();
      const id = await enqueue(target, definition(`l${n}`, latencyFile));
      const ranAt = await waitFor(() => stamps(latencyFile).get(`l${n}`), `latency job ${n}`);
      latencies.push(ranAt - enqueuedAt);
      // The next sample starts on an idle queue: this job's worker has recorded its result.
      await waitFor(async () => ((await queue.getJob(id))?.finishedOn === undefined ? undefined : true), `latency job ${n} to finish`);
    }
    latencies.sort((a, b) => a - b);
    return { runMs, enqueueMs, latencyMedianMs: percentile(latencies, 50), latencyP95Ms: percentile(latencies, 95) };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await queue.close().catch(() => {});
  }
}

const load = execFileSync('uptime', { encoding: 'utf8' }).trim();
const benchStart = performance.now();
console.log(`jobhooks on a queue: ${JOBS} jobs, one hook each (echo "<n> $EPOCHREALTIME" >> file)`);
console.log(`  machine: ${load}`);

const noQueue = new Map<number, number>();
for (const parallel of WORKER_COUNTS) {
  const ms = await runWithoutQueue(parallel);
  noQueue.set(parallel, ms);
  console.log(`  no queue, ${parallel} at once:      ${fixed(ms / 1000, 2).padStart(7)} s  ${fixed(JOBS / (ms / 1000), 1).padStart(6)} jobs/s`);
}

for (const backend of BACKENDS) {
  if (!backend.installed) {
    const missing = backend.name === 'Redis' ? `${REDIS_MISSING} (${REDIS_INSTALL_HINT})` : `PostgreSQL server not installed (${POSTGRES_INSTALL_HINT})`;
    console.log(`  ${backend.name}: skipped, ${missing}`);
    continue;
  }
  const server = await backend.start();
  try {
    for (const workerCount of WORKER_COUNTS) {
      const figures = await runOnQueue(server.connection, workerCount);
      const overheadMs = (figures.runMs - (noQueue.get(workerCount) ?? Number.NaN)) / JOBS;
      console.log(
        `  ${`${backend.name}, ${workerCount} worker${workerCount === 1 ? '' : 's'}:`.padEnd(24)}` +
          `${fixed(figures.runMs / 1000, 2).padStart(7)} s  ${fixed(JOBS / (figures.runMs / 1000), 1).padStart(6)} jobs/s  ` +
          `queue cost ${fixed(overheadMs, 2)} ms/job  enqueue() ${fixed(figures.enqueueMs, 2)} ms/job  ` +
          `enqueue→hook median ${fixed(figures.latencyMedianMs, 1)} ms, p95 ${fixed(figures.latencyP95Ms, 1)} ms`,
      );
    }
  } finally {
    await server.stop();
  }
}

console.log(`  (whole benchmark: ${fixed((performance.now() - benchStart) / 1000, 0)} s)`);
rmSync(dir, { recursive: true, force: true });
