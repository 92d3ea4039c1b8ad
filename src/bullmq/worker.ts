import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { buildJob } from '../cli/job.js';
import { resolvePipelineOptions } from '../config.js';
import { ConfigError } from '../errors.js';
import { sleep, startTimer } from '../executor/timers.js';
import { ShellExecutor } from '../executor/shell-executor.js';
import { JOB_EVENT_NAMES } from '../events.js';
import { makeDirectories } from '../make-directories.js';
import { JobPipeline } from '../pipeline/pipeline.js';
import type { JobResult } from '../types.js';
import { CANCEL_NAME, closeEvents, EVENT_NAME, MAX_EVENTS, type QueuedJobData, type WatchedEventName } from './client.js';
import { firstLine, openBackend, reachQueue, type QueueTarget } from './connection.js';
import { leaseStore, repositoryKey } from './lease.js';

/** Options of {@link createWorker}. */
export interface WorkerOptions extends QueueTarget {
  /** How many jobs this worker runs at once (jobs of one repository still run one at a time). @default 1 */
  readonly concurrency?: number | undefined;
  /**
   * The state directory of the journal (docs/journal.md): each job runs with a journal under it, keyed
   * `bullmq:<queue>:<job id>`, and a worker started again with the same directory first recovers the
   * jobs a killed worker left (their cleanup, the "Interrupted" notification). Without it, no journal.
   */
  readonly stateDir?: string | undefined;
  /** Re-run a job whose worker died (a stalled job) instead of ending it `interrupted`. Hooks are not idempotent. @default false */
  readonly retryOnStall?: boolean | undefined;
  /**
   * How long a worker's hold on a job lasts without renewal (BullMQ's `lockDuration`): a dead worker's
   * job is seen stalled within about twice this long after it died, and its repository lease lapses
   * this long after; a server away for less than about two thirds of it changes nothing. @default 30000
   */
  readonly lockDurationMs?: number | undefined;
  /** How long a job waits for its repository's lease before it fails in BullMQ. @default 21600000 (6 h) */
  readonly leaseWaitMs?: number | undefined;
  /** Where `{ "env": "NAME" }` secrets of the definitions are read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** A running worker: {@link createWorker} resolves with it once it takes jobs. */
export interface JobhooksWorker {
  /** The results of the jobs a previous worker with the same `stateDir` left, recovered before this one started. */
  readonly recovered: readonly JobResult[];
  /**
   * Stops taking jobs, waits for the running ones to end, and closes the connections. With
   * `{ cancelRunning: true }` the running jobs are cancelled first, as {@link cancel} does: their
   * cleanups run and their results say `cancelled` (what `jobhooks worker` does on SIGTERM, docs/distributed.md).
   */
  close(options?: { readonly cancelRunning?: boolean | undefined }): Promise<void>;
}

/** Every event {@link watch} yields: all of the pipeline's but a listener's error, which is this host's. */
const FORWARDED = JOB_EVENT_NAMES.filter((name): name is WatchedEventName => name !== 'listenerError');
const LEASE_POLL_MS = 250;
/** How long a stopping worker waits for the server to take its ended jobs' results. */
const HAND_OVER_MS = 10_000;

/**
 * Starts a worker that runs the queue's jobs on this host: each job's definition becomes a
 * `JobPipeline` with the `ShellExecutor`, whose events are published for {@link watch}, and whose
 * `JobResult` is the BullMQ job's return value — a failed or cancelled pipeline is a *completed*
 * BullMQ job whose result says so (docs/bullmq-api.md#workers).
 *
 * @example
 * ```ts
 * const worker = await createWorker({ connection: { redis: 'redis://10.0.0.5:6379' }, queue: 'backups', stateDir: '/var/lib/jobhooks' })
 * process.on('SIGTERM', () => void worker.close())
 * ```
 */
export async function createWorker(options: WorkerOptions): Promise<JobhooksWorker> {
  const env = options.env ?? process.env;
  const lockDuration = options.lockDurationMs ?? 30_000;
  const leaseWaitMs = options.leaseWaitMs ?? 6 * 3_600_000;
  // A connection that is not one throws here, before any hook runs.
  openBackend(options);
  // The cleanup a dead worker left is this host's own: it runs before, and whether or not, the server answers.
  const recovered = options.stateDir === undefined ? [] : await recoverLeftJobs(options.stateDir, options.queue, env);
  // The queue whose answer proved the server there is the worker's own.
  const { backend, queue } = await reachQueue(options);

  const producer = backend.producer();
  const leases = await leaseStore(backend, queue);
  // Cancellations asked before the job reached this worker's processor (docs/bullmq-api.md#cancel).
  const cancelled = new Set<string>();
  const control = backend.events('$');
  // The running pipelines' controllers, for close({ cancelRunning: true }).
  const running = new Set<AbortController>();
  // Resolves once no job of this worker is running.
  let idleWaiters: Array<() => void> = [];
  const whenIdle = (): Promise<void> => (running.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)));
  const ended = (controller: AbortController): void => {
    running.delete(controller);
    if (running.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const processor = async (job: Job<QueuedJobData>, _token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const jobId = job.id ?? randomUUID();
    const built = buildJob(job.data.definition, { env });
    // The enqueuer validated it; only this host's environment (a secret not set here) can differ.
    if (!built.ok) throw new ConfigError(built.issues, { subject: 'job definition' });
    const controller = new AbortController();
    running.add(controller);
    const forward = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    if (cancelled.delete(jobId)) controller.abort(new Error('cancelled'));

    // Events go out one after another: a pool (PostgreSQL) would otherwise reorder them.
    let chain: Promise<unknown> = Promise.resolve();
    const publish = (name: WatchedEventName, event: unknown): void => {
      const fields = { eventName: EVENT_NAME, jobId, name, payload: JSON.stringify(event) };
      chain = chain.then(() => producer.publishEvent(fields, MAX_EVENTS)).catch(() => {});
    };

    const key = repositoryKey(job.data.definition);
    // Each job holds the lease in its own name: two jobs of one repository on this worker are two owners.
    const owner = `${hostname()}:${process.pid}:${jobId}:${randomUUID()}`;
    let leased = false;
    let stopRenewing = (): void => {};
    try {
      // A job that was already started by a worker that died: hooks are not idempotent (docs/bullmq-api.md#a-worker-that-dies).
      if (job.stalledCounter > 0 && options.retryOnStall !== true) {
        const result = unrunResult(built.job.options, jobId, job, {
          reason: 'interrupted',
          error: 'the worker running this job died (the job stalled); not run again (retryOnStall is off)',
        });
        publish('jobEnd', { result });
        return result;
      }
      if (key !== undefined) {
        leased = !controller.signal.aborted && (await acquireLease(leases, key, owner, lockDuration, leaseWaitMs, controller.signal));
        if (!leased) {
          // Cancelled before it had its repository: none of it ran, so there is nothing to clean up,
          // and its cleanups must not run beside the job that holds the repository (docs/bullmq-api.md#cancel).
          const result = unrunResult(built.job.options, jobId, job, { reason: 'cancelled', error: 'cancelled while it waited for its repository (nothing ran)' });
          publish('jobEnd', { result });
          return result;
        }
        // Its repository may be another job's now: stop at once rather than run beside it (docs/bullmq-api.md#one-job-per-repository).
        stopRenewing = renewLease(leases, key, owner, lockDuration, () => controller.abort(new Error('lost the lease of its repository')));
      }
      const pipeline = new JobPipeline({
        ...built.job.options,
        jobId,
        executor: new ShellExecutor(),
        ...(options.stateDir === undefined ? {} : { journal: { dir: options.stateDir, key: journalKey(options.queue, jobId) } }),
      });
      for (const name of FORWARDED) pipeline.on(name, ((event: unknown) => publish(name, event)) as never);
      const pending = options.stateDir === undefined ? undefined : join(options.stateDir, PENDING_DIR, `${encodeURIComponent(options.queue)}.${encodeURIComponent(jobId)}.json`);
      if (pending !== undefined) {
        await makeDirectories(join(options.stateDir as string, PENDING_DIR), 0o700);
        await writeFile(pending, JSON.stringify({ queue: options.queue, jobId, definition: job.data.definition }), { mode: 0o600 });
      }
      const result = await pipeline.run({ signal: controller.signal });
      if (pending !== undefined) await rm(pending, { force: true });
      return result;
    } finally {
      stopRenewing();
      // Only a lease this job holds: one that gave up waiting must not free its holder's.
      if (key !== undefined && leased) await leases.release(key, owner).catch(() => {});
      signal?.removeEventListener('abort', forward);
      ended(controller);
      await chain;
    }
  };

  const worker = backend.worker(processor as never, {
    concurrency: options.concurrency ?? 1,
    autorun: false,
    lockDuration,
    // Renewed every sixth of its life (BullMQ: every half): a server away for most of lockDuration
    // finds the hold still there when it is back (docs/distributed.md).
    lockRenewTime: Math.max(100, Math.floor(lockDuration / RENEWALS_PER_LIFE)),
    stalledInterval: lockDuration,
    // A stalled job comes back once, and the processor ends it `interrupted` (or re-runs it with retryOnStall).
    maxStalledCount: 1,
  });
  control.on(CANCEL_NAME as 'progress', (args: unknown) => {
    const jobId = (args as Record<string, string>)['jobId'];
    if (jobId === undefined) return;
    if (!worker.cancelJob(jobId, 'cancelled')) {
      cancelled.add(jobId);
      // Forget it after a while: the job runs elsewhere, or was removed.
      startTimer(lockDuration * 2, () => cancelled.delete(jobId));
    }
  });
  await control.waitUntilReady();
  void worker.run();
  await worker.waitUntilReady();
  return {
    recovered,
    async close(closeOptions = {}) {
      const closing = worker.close();
      if (closeOptions.cancelRunning === true) for (const controller of running) controller.abort(new Error('cancelled'));
      // Once every job of this worker has ended, the server gets HAND_OVER_MS in all to take their
      // results and close: a server that is away does not keep a stopping worker open (docs/bullmq-api.md#workers).
      let handOverEnds = Number.POSITIVE_INFINITY;
      const handOver = whenIdle().then(() => {
        handOverEnds = Date.now() + HAND_OVER_MS;
        return sleep(HAND_OVER_MS);
      });
      await Promise.race([closing, handOver]);
      const left = Math.max(0, (Number.isFinite(handOverEnds) ? handOverEnds : Date.now() + HAND_OVER_MS) - Date.now());
      await Promise.race([Promise.all([closeEvents(control), producer.close(), queue.close()]), sleep(left)]);
    },
  };
}

/** Under the state directory: the definition of each job this host is running, until its run ends. */
const PENDING_DIR = 'bullmq-running';

function journalKey(queue: string, jobId: string): string {
  return `bullmq:${queue}:${jobId}`;
}

/** Recovers, with the journal, every job a dead worker of this queue left under `stateDir` (docs/journal.md). */
async function recoverLeftJobs(stateDir: string, queue: string, env: Readonly<Record<string, string | undefined>>): Promise<JobResult[]> {
  const dir = join(stateDir, PENDING_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const results: JobResult[] = [];
  for (const name of names.filter((entry) => entry.startsWith(`${encodeURIComponent(queue)}.`) && entry.endsWith('.json'))) {
    const file = join(dir, name);
    const left = JSON.parse(await readFile(file, 'utf8')) as { jobId: string; definition: unknown };
    const built = buildJob(left.definition, { env });
    if (built.ok) {
      const pipeline = new JobPipeline({ ...built.job.options, journal: { dir: stateDir, key: journalKey(queue, left.jobId) } });
      results.push(...(await pipeline.recover()));
    }
    await rm(file, { force: true });
  }
  return results;
}

/**
 * The result of a job that this worker did not run: one a dead worker had started (`interrupted`), or
 * one cancelled before it had its repository's lease (`cancelled`). No task ran and nobody was notified.
 */
function unrunResult(options: unknown, jobId: string, job: Job, why: { readonly reason: 'interrupted' | 'cancelled'; readonly error: string }): JobResult {
  const o = resolvePipelineOptions(options);
  const at = new Date(job.processedOn ?? Date.now()).toISOString();
  return {
    jobId,
    jobType: o.jobType,
    ...(o.repository === undefined ? {} : { repository: o.repository }),
    jobLabel: o.jobLabel,
    status: why.reason,
    startedAt: at,
    finishedAt: new Date().toISOString(),
    durationMs: 0,
    tasks: [],
    failure: { taskIndex: null, taskName: null, type: null, reason: why.reason, error: why.error },
    notification: null,
    journal: null,
  };
}

/** Takes the repository's lease, waiting for it up to `waitMs`: `true` once held, `false` when `signal` fired first. */
async function acquireLease(leases: Awaited<ReturnType<typeof leaseStore>>, key: string, owner: string, ttlMs: number, waitMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  // Why the last attempt did not take it when the server did not answer (PostgreSQL's pool fails a
  // query at once while the server is away; Redis's client holds it until the server is back).
  let failure: unknown;
  for (;;) {
    try {
      if (await leases.tryAcquire(key, owner, ttlMs)) return true;
      failure = undefined;
    } catch (error) {
      // The server is away: the job goes on waiting, as for a busy repository (docs/distributed.md).
      failure = error;
    }
    if (signal.aborted) return false;
    if (Date.now() > deadline) {
      const why = failure === undefined ? 'another job holds its lease' : `its lease could not be taken: ${firstLine(failure)}`;
      throw new Error(`repository ${key} stayed busy for ${waitMs} ms (${why})`);
    }
    // Its subscription to the signal ends with each wait: hours of polling add no listeners. A signal
    // ends the wait; the loop then sees it.
    await sleep(LEASE_POLL_MS, signal).catch(() => {});
  }
}

/** How many times a job's hold and its repository's lease are renewed in one lockDurationMs. */
const RENEWALS_PER_LIFE = 6;

/**
 * Renews the lease every sixth of its life. A renewal the store refuses means the lease is not this
 * job's any more (it lapsed while the server was out of reach for longer than its life, or was
 * removed, and another job may hold the repository now): `onLost` is called once. A renewal that
 * fails (the server is down) is tried again.
 */
function renewLease(leases: Awaited<ReturnType<typeof leaseStore>>, key: string, owner: string, ttlMs: number, onLost: () => void): () => void {
  let lost = false;
  const timer = setInterval(() => {
    void leases.renew(key, owner, ttlMs).then(
      (held) => {
        if (held || lost) return;
        lost = true;
        clearInterval(timer);
        onLost();
      },
      () => {},
    );
  }, Math.max(100, Math.floor(ttlMs / RENEWALS_PER_LIFE)));
  return () => clearInterval(timer);
}
