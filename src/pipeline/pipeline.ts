import { EventEmitter } from 'eventemitter3';
import { resolvePipelineOptions, type JobPipelineOptions, type ResolvedPipelineOptions } from '../config.js';
import { ErrorCode, JobHooksError } from '../errors.js';
import type { JobEvents } from '../events.js';
import { ShellExecutor } from '../executor/shell-executor.js';
import type { JobResult } from '../types.js';
import { JobRun, type Emit, type Listening } from './job-run.js';
import { planJob, type PlannedTask } from './plan.js';

/** Options of one {@link JobPipeline.run}. */
export interface RunOptions {
  /**
   * Cancels the job: the running task's process tree is killed, later tasks are skipped, and
   * post-hooks with `runOnJobFailure` and the notification still run (SPEC §6).
   */
  readonly signal?: AbortSignal | undefined;
}

/** A listener of one of the {@link JobEvents}. */
export type JobEventListener<E extends keyof JobEvents> = (...args: JobEvents[E]) => void;

/**
 * Runs a job: pre-job hooks, main tasks, post-job hooks, then the notification (SPEC §1).
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
   * misuse (running the same pipeline twice at once). It may be run again after it settles.
   */
  async run(options: RunOptions = {}): Promise<JobResult> {
    if (this.#running) {
      throw new JobHooksError(ErrorCode.ALREADY_RUNNING, 'This JobPipeline is already running; wait for run() to settle, or make another pipeline');
    }
    this.#running = true;
    try {
      const executor = this.#options.executor ?? new ShellExecutor();
      return await new JobRun(this.#options, this.#emit, this.#listening, executor, options.signal).execute();
    } finally {
      this.#running = false;
    }
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
