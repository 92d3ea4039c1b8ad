import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { EventEmitter } from 'eventemitter3';
import { resolvePipelineOptions, type JobPipelineOptions, type ResolvedDefaults, type ResolvedHook, type ResolvedPipelineOptions } from '../config.js';
import { ErrorCode, JobHooksError } from '../errors.js';
import type { JobEvents } from '../events.js';
import { ShellExecutor } from '../executor/shell-executor.js';
import type { Executor } from '../executor/types.js';
import { assertPrivate, journalError, keyDirectory, prepareKeyDirectory, runningMarker } from '../journal/files.js';
import { currentProcess, killRecordedGroup } from '../journal/liveness.js';
import { acquireRunLock } from '../journal/lock.js';
import { claimDeadRunWhenFree, findDeadRuns, type DeadRunClaim } from '../journal/recovery.js';
import { openJournal } from '../journal/writer.js';
import type { JobFailure, JobResult } from '../types.js';
import { JobRun, type Emit, type Listening, type RunJournal } from './job-run.js';
import { planJob, type PlannedTask } from './plan.js';
import { resolveRehearsal, type RehearseOptions } from './rehearsal.js';

/** Options of one {@link JobPipeline.run}. */
export interface RunOptions {
  /**
   * Cancels the job: the running task's process tree is killed, later tasks are skipped, and
   * post-hooks with `runOnJobFailure` and the notification still run (docs/execution-flow.md#cancellation).
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Rehearses the failure path (docs/testing.md#rehearse-your-failure-path): the named task does not
   * run but ends as `outcome` says; every other task runs for real under the normal rules, hooks get
   * `JOBHOOKS_REHEARSAL=1`, titles start with `[Rehearsal] `, and `result.rehearsal` says what was
   * injected. An unknown task is a `ConfigError`, thrown before anything runs.
   */
  readonly rehearse?: RehearseOptions | undefined;
}

/** A listener of one of the {@link JobEvents}. */
export type JobEventListener<E extends keyof JobEvents> = (...args: JobEvents[E]) => void;

/**
 * Runs a job: pre-job hooks, main tasks, post-job hooks, then the notification (docs/execution-flow.md).
 * Options are validated when the pipeline is made; nothing runs until {@link JobPipeline.run}.
 *
 * @example
 * ```ts
 * const pipeline = new JobPipeline({
 *   repository: { id: 1, name: 'MyRepository' },
 *   preHooks: [{ name: 'Database Dump', command: 'pg_dump app > /tmp/app.sql', critical: true }],
 *   tasks: [commandTask({ type: 'backup', name: 'Backup', command: 'tar czf /backup/app.tgz /srv/app' })],
 *   postHooks: [{ name: 'Cleanup', command: 'rm -f /tmp/app.sql', runOnJobFailure: true }],
 *   notifiers: [new ConsoleNotifier()],
 * })
 * pipeline.on('taskEnd', ({ task }) => console.log(task.name, task.status))
 * const result = await pipeline.run()
 * ```
 */
export class JobPipeline {
  readonly #options: ResolvedPipelineOptions;
  // Typed at the public methods; inside, one untyped emitter keeps the guard plumbing simple.
  readonly #events = new EventEmitter<string>();
  /** One guard per listener and event, so `off()` finds what `on()` added. */
  readonly #guards = new Map<string, WeakMap<object, (payload: unknown) => void>>();
  #running = false;

  /** @throws ConfigError when the options are invalid; the message lists every problem with its path. */
  constructor(options: JobPipelineOptions) {
    this.#options = resolvePipelineOptions(options);
  }

  /**
   * The tasks this pipeline would run, in order, with what decides each one's fate — the same list
   * `run()` executes (docs/execution-flow.md#the-plan). Runs nothing; the notification is in it only
   * when there are notifiers.
   *
   * @example
   * ```ts
   * new JobPipeline({ preHooks: [{ name: 'Dump', command: 'pg_dump app' }], notifiers: [new ConsoleNotifier()] })
   *   .plan()
   *   .map((task) => `${task.index + 1}. ${task.label}`)
   * // ['1. Pre-Hook 1 (Dump)', '2. Notification']
   * ```
   */
  plan(): PlannedTask[] {
    return planJob(this.#options);
  }

  /**
   * Runs the job once. Resolves with the {@link JobResult} whatever the tasks did; rejects only for
   * misuse (running the same pipeline twice at once, a `rehearse` naming no task). It may be run again
   * after it settles.
   */
  async run(options: RunOptions = {}): Promise<JobResult> {
    if (this.#running) {
      throw new JobHooksError(ErrorCode.ALREADY_RUNNING, 'This JobPipeline is already running; wait for run() to settle, or make another pipeline');
    }
    this.#running = true;
    try {
      const o = this.#options;
      const executor = o.executor ?? new ShellExecutor();
      const jobId = o.jobId ?? randomUUID();
      const rehearsal = options.rehearse === undefined ? null : resolveRehearsal(this.plan(), options.rehearse);
      const journal = o.journal;
      if (journal === null) {
        return await new JobRun(o, this.#emit, this.#listening, executor, options.signal, { jobId, journal: null, recovery: null, rehearsal }).execute();
      }
      // docs/journal.md, "A run with a journal": every step before the first task may reject; nothing ran then.
      const keyDir = await prepareKeyDirectory(journal);
      const lock = await acquireRunLock(keyDir, { ...currentProcess(), jobId }, {
        waitMs: o.lockWaitMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      try {
        // As docs/journal.md gives the run record; cleanupFor tells the writer which records to flush at once.
        const tasks = this.plan().map(({ index, name, phase, type, runOnJobFailure, cleanupFor }) => ({
          index,
          name,
          phase,
          type,
          runOnJobFailure,
          ...(cleanupFor === null ? {} : { cleanupFor }),
        }));
        const rehearsed = rehearsal === null ? {} : { rehearsal: { task: rehearsal.task, outcome: rehearsal.outcome } };
        // The run starts once it holds the key, as its lock says: a lockWait spent waiting is not part of it (docs/journal.md).
        const startedAt = lock.owner.startedAt;
        const writer = await openJournal(keyDir, { jobId, key: journal.key, startedAt, tasks, ...rehearsed }, {
          keep: journal.keep,
          onWarning: (message) => this.#emit('journalWarning', { jobId, message }),
        });
        try {
          await this.#recoverDeadRuns(keyDir, jobId, executor, { ownRun: writer.path, ...(options.signal === undefined ? {} : { signal: options.signal }) });
        } catch (error) {
          // This run never started: leave no file that a later recovery would take for a dead run.
          await writer.close();
          await unlink(writer.path).catch(() => {});
          await unlink(runningMarker(writer.path)).catch(() => {});
          // A signal while it waited for another process's recovery rejects with its reason, as during the lock wait.
          if (options.signal?.aborted === true && error === options.signal.reason) throw error;
          throw error instanceof JobHooksError ? error : journalError('recover dead runs in', keyDir, error);
        }
        return await new JobRun(o, this.#emit, this.#listening, executor, options.signal, { jobId, journal: writer, recovery: null, rehearsal }).execute();
      } finally {
        await lock.release();
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * Recovers the runs of this pipeline's journal key whose jobhooks died (docs/journal.md, "When jobhooks
   * itself dies"), and only that: for each, exactly once even when recoveries race, it kills the process
   * groups the dead run left, runs its `runOnJobFailure` post-hooks that had not ended (from this
   * definition, matched by name) with the env of a failed job, sends the `Interrupted` notification, and
   * marks the run finished `interrupted`. Resolves with one `interrupted` {@link JobResult} per run it
   * recovered (empty when nothing was left to do); emits `jobRecovered` for each. Needs no lock: it
   * touches only dead runs; a recovery of one that another process has under way is waited for (it
   * resolves once that one has ended). The dead run's `recoveredBy` is this pipeline's `jobId` (else a random UUID).
   *
   * @throws JobHooksError `ERR_JOURNAL` when the pipeline has no `journal` option or the journal cannot be written.
   * @example
   * ```ts
   * const recovered = await new JobPipeline({ ...options, journal: { dir, key } }).recover()
   * recovered.map((result) => result.failure?.error) // ["jobhooks (pid 4242) died during 'Create archive'"]
   * ```
   */
  async recover(): Promise<JobResult[]> {
    const journal = this.#options.journal;
    if (journal === null) throw new JobHooksError(ErrorCode.JOURNAL, 'recover() needs the journal option ({ dir, key }): this JobPipeline has none');
    const keyDir = keyDirectory(journal);
    await assertPrivate(journal.dir, keyDir);
    try {
      return await this.#recoverDeadRuns(keyDir, this.#options.jobId ?? randomUUID(), this.#options.executor ?? new ShellExecutor());
    } catch (error) {
      throw error instanceof JobHooksError ? error : journalError('recover dead runs in', keyDir, error);
    }
  }

  /**
   * `run`: the recovery a run does before its first task (its own file, and its signal): it waits for
   * a recovery another process has under way, so as never to start beside those cleanups.
   */
  async #recoverDeadRuns(keyDir: string, claimantJobId: string, executor: Executor, run?: { readonly ownRun: string; readonly signal?: AbortSignal }): Promise<JobResult[]> {
    const results: JobResult[] = [];
    const onDamaged = (file: string): void =>
      this.#emit('journalWarning', {
        jobId: claimantJobId,
        message: `${DAMAGED_RUN_WARNING} (${file} does not begin with a run record): if its jobhooks died, its cleanup could not be run; check what it stopped, then remove ${runningMarker(file)}`,
      });
    for (const dead of await findDeadRuns(keyDir, run === undefined ? { onDamaged } : { except: run.ownRun, onDamaged })) {
      const claimant = { jobId: claimantJobId };
      // A recovery another process has under way is waited for, by a run and by recover() alike: neither
      // starts beside its cleanups, nor says there is nothing to recover while they run.
      const claim = await claimDeadRunWhenFree(dead, claimant, run?.signal === undefined ? {} : { signal: run.signal });
      if (claim === null) continue;
      try {
        for (const task of claim.run.running) {
          if (task.pgid !== null) await killRecordedGroup(task.pgid, task.leaderStartTime, this.#options.defaults.killGraceMs);
        }
        const result = await this.#recoveryRun(claim, executor);
        await claim.finish('interrupted');
        this.#emit('jobRecovered', { result });
        results.push(result);
      } catch (error) {
        await claim.release();
        throw error;
      }
    }
    return results;
  }

  /**
   * The cleanups and the notification of one dead run, run through the engine's own loop: a job that
   * starts failed (`interrupted`), whose tasks are the dead run's `runOnJobFailure` post-hooks that had not
   * ended, from the current definition, with the dead run's indexes and job id. Its events are not emitted
   * (they are not this pipeline's job): `jobRecovered` reports the result.
   */
  #recoveryRun(claim: DeadRunClaim, executor: Executor): Promise<JobResult> {
    const o = this.#options;
    const run = claim.run;
    const ended = new Set(run.ended.map((entry) => entry.index));
    // The task running when it died; when it died between tasks, the next one.
    const dying = run.diedDuring;
    // A paired cleanup runs iff its pre-hook had started, runOnJobFailure or not (docs/hooks.md#paired-cleanup).
    const started = new Set(run.tasks.filter((task) => task.phase === 'pre' && run.started.includes(task.index)).map((task) => task.name));
    // Whether a cleanup runs is the current definition's to say (docs/journal.md), and each runs once
    // even if the record names it twice.
    const named = new Set<string>();
    // A cleanup that was due by the dead run's own record, whose post-hook the definition no longer has.
    const missing = new Set<number>();
    const cleanups = run.tasks
      .filter((task) => task.phase === 'post' && !ended.has(task.index))
      .flatMap((task) => {
        const hook = o.postHooks.find((candidate) => candidate.name === task.name);
        if (hook === undefined) {
          const due = task.cleanupFor === undefined ? task.runOnJobFailure : started.has(task.cleanupFor);
          if (!due || named.has(task.name)) return [];
          named.add(task.name);
          missing.add(task.index);
          return [{ index: task.index, hook: placeholderHook(task.name, o.defaults) }];
        }
        if (named.has(hook.name)) return [];
        named.add(hook.name);
        const runs = hook.cleanupFor === null ? hook.runOnJobFailure : started.has(hook.cleanupFor);
        return runs ? [{ index: task.index, hook: { ...hook, runOnJobFailure: true, cleanupFor: null } }] : [];
      });
    const notificationIndex = run.tasks.find((task) => task.phase === 'notification')?.index ?? run.tasks.length;
    const error = dying === null ? `jobhooks (pid ${run.owner.pid}) died` : `jobhooks (pid ${run.owner.pid}) died during '${dying.name}'`;
    const failure: JobFailure = { taskIndex: dying?.index ?? null, taskName: dying?.name ?? null, type: dying?.type ?? null, reason: 'interrupted', error };
    // A recovery that died after its "Interrupted" notification was recorded has sent it: not again.
    const notified = run.ended.some((entry) => entry.index === notificationIndex && entry.recovery);
    const notifiers = notified ? [] : o.notifiers;
    const options = { ...o, preHooks: [], tasks: [], postHooks: cleanups.map((cleanup) => cleanup.hook), notifiers, jobId: run.jobId, maxRunTime: null, journal: null };
    const indexes = [...cleanups.map((cleanup) => cleanup.index), ...(notifiers.length > 0 ? [notificationIndex] : [])];
    const silent: Emit = () => {};
    return new JobRun(options, silent, () => false, executor, undefined, { jobId: run.jobId, journal: claimJournal(claim), recovery: { failure, indexes, missing } }).execute();
  }

  /** Adds a listener. A listener that throws (or rejects) never changes the job; it emits `listenerError`. */
  on<E extends keyof JobEvents>(event: E, listener: JobEventListener<E>): this {
    this.#events.on(event, this.#guard(event, listener));
    return this;
  }

  /** Adds a listener for the next time the event fires only. */
  once<E extends keyof JobEvents>(event: E, listener: JobEventListener<E>): this {
    this.#events.once(event, this.#guard(event, listener));
    return this;
  }

  /** Removes a listener added with {@link JobPipeline.on} or {@link JobPipeline.once}. */
  off<E extends keyof JobEvents>(event: E, listener: JobEventListener<E>): this {
    const guard = this.#guards.get(event)?.get(listener);
    if (guard !== undefined) this.#events.off(event, guard);
    return this;
  }

  #listening: Listening = (event) => this.#events.listenerCount(event) > 0;

  #emit: Emit = (event, ...args) => {
    this.#events.emit(event, ...args);
  };

  #guard<E extends keyof JobEvents>(event: E, listener: JobEventListener<E>): (payload: unknown) => void {
    let guards = this.#guards.get(event);
    if (guards === undefined) {
      guards = new WeakMap();
      this.#guards.set(event, guards);
    }
    const existing = guards.get(listener);
    if (existing !== undefined) return existing;
    const report = (error: unknown): void => {
      if (event !== 'listenerError') this.#events.emit('listenerError', { event, error });
    };
    const call = listener as (payload: unknown) => unknown;
    const guarded = (payload: unknown): void => {
      try {
        const returned = call(payload);
        if (returned instanceof Promise) returned.catch(report);
      } catch (error) {
        report(error);
      }
    };
    guards.set(listener, guarded);
    return guarded;
  }
}

/** A recovery writes into the dead run's own file through its claim; a failed write only makes it incomplete. */
function claimJournal(claim: DeadRunClaim): RunJournal {
  let incomplete = false;
  const guard = async (write: () => Promise<void>): Promise<void> => {
    if (incomplete) return;
    try {
      await write();
    } catch {
      incomplete = true;
    }
  };
  return {
    get incomplete() {
      return incomplete;
    },
    taskStart: (index, options) => guard(() => claim.taskStart(index, options)),
    taskEnd: (index, status, options) => guard(() => claim.taskEnd(index, status, options)),
  };
}

/** How the `journalWarning` about a damaged unfinished run begins (docs/journal.md). @internal */
export const DAMAGED_RUN_WARNING = "jobhooks: an unfinished run's journal cannot be read";

/** What stands for a due cleanup whose post-hook is gone: the engine fails it without running anything. */
function placeholderHook(name: string, defaults: ResolvedDefaults): ResolvedHook {
  return {
    name,
    command: '',
    critical: false,
    runOnJobFailure: true,
    continueOnFailure: true,
    timeoutMs: defaults.timeoutMs,
    shell: defaults.shell,
    cwd: defaults.cwd,
    env: {},
    keepBackground: false,
    retries: 0,
    retryDelayMs: 0,
    retryDelayMaxMs: 0,
    warningExitCodes: [],
    cleanupFor: null,
  };
}
