import { DEFAULTS, type ResolvedHook, type ResolvedPipelineOptions } from '../config.js';
import { durationToMs } from '../duration.js';
import { retryDelayToMs } from '../validation.js';
import type { NotificationLevel, Notifier, Task, TaskPhase } from '../types.js';

/** A notifier as the plan shows it: who is told, within how long, for which levels. */
export interface PlannedNotifier {
  readonly name: string;
  /** The notifier's `timeout` in milliseconds (30 s when it sets none). */
  readonly timeoutMs: number;
  /** The levels it is called for (all three when it sets none). */
  readonly on: readonly NotificationLevel[];
}

/** One task of a job as it will run, before anything runs (docs/execution-flow.md#the-plan). */
export interface PlannedTask {
  /** 0-based position in the job; the same `index` the task's {@link TaskResult} will have. */
  readonly index: number;
  /** `hook`, `notification`, or the main task's own type (`backup`). */
  readonly type: string;
  readonly name: string;
  readonly phase: TaskPhase;
  /** How execution flows name it: `Pre-Hook 1 (Database Dump)`, `Backup Task`, `Notification`. */
  readonly label: string;
  readonly critical: boolean;
  /** Post-hooks only: runs even after a critical failure or a cancellation. */
  readonly runOnJobFailure: boolean;
  /** Hooks only: a non-critical failure does not stop the rest of its phase. */
  readonly continueOnFailure: boolean;
  /** The task's timeout in milliseconds; `null` for the notification (each notifier has its own). */
  readonly timeoutMs: number | null;
  /** The notification only: its notifiers, in order; empty for every other task. */
  readonly notifiers: readonly PlannedNotifier[];
  /** Retries and warning exit codes (docs/hooks.md#retries); no retries for the notification. */
  readonly retry: RetryPolicy;
  /** Post-hooks: the pre-hook this one undoes (docs/hooks.md#paired-cleanup), else `null`. */
  readonly cleanupFor: string | null;
}

/** How a task is retried, and which exit codes are warnings (docs/hooks.md#retries). */
export interface RetryPolicy {
  /** Extra attempts after a failed one. */
  readonly retries: number;
  /** The wait before the second attempt, in ms. */
  readonly retryDelayMs: number;
  /** The longest wait between two attempts, in ms. */
  readonly retryDelayMaxMs: number;
  readonly warningExitCodes: readonly number[];
}

/** One attempt, no warning codes: the notification's (its notifiers retry on their own). */
export const NO_RETRIES: RetryPolicy = { retries: 0, retryDelayMs: 0, retryDelayMaxMs: 0, warningExitCodes: [] };

/** A task's retry policy, from its own fields and the defaults. */
export function taskRetryPolicy(task: Pick<Task, 'retries' | 'retryDelay' | 'retryDelayMax' | 'warningExitCodes'>): RetryPolicy {
  return {
    retries: task.retries ?? DEFAULTS.retries,
    retryDelayMs: retryDelayToMs(task.retryDelay, DEFAULTS.retryDelayMs),
    retryDelayMaxMs: retryDelayToMs(task.retryDelayMax, DEFAULTS.retryDelayMaxMs),
    warningExitCodes: [...(task.warningExitCodes ?? [])],
  };
}

/** What runs a planned task: the engine's side of a plan entry. */
export type TaskSource =
  | { readonly kind: 'hook'; readonly hook: ResolvedHook }
  | { readonly kind: 'task'; readonly task: Task; readonly timeoutMs: number }
  | { readonly kind: 'notification' };

/** A planned task with what runs it. */
export interface PlanEntry {
  readonly planned: PlannedTask;
  readonly source: TaskSource;
}

const ALL_LEVELS: readonly NotificationLevel[] = ['success', 'warning', 'error'];

/** A notifier's timeout in milliseconds: its own, else {@link DEFAULTS.notifierTimeoutMs}. */
export function notifierTimeoutMs(notifier: Pick<Notifier, 'timeout'>): number {
  return durationToMs(notifier.timeout) ?? DEFAULTS.notifierTimeoutMs;
}

/**
 * The flow label of a task (docs/execution-flow.md): hooks are numbered within their phase,
 * main tasks are named by type. `position` is the 1-based position among the hooks of its phase.
 */
export function taskLabel(task: { readonly phase: TaskPhase; readonly type: string; readonly name: string }, position: number): string {
  switch (task.phase) {
    case 'pre':
    case 'post':
      return `${task.phase === 'pre' ? 'Pre' : 'Post'}-Hook ${position} (${task.name})`;
    case 'main':
      return `${task.type.charAt(0).toUpperCase()}${task.type.slice(1)} Task`;
    case 'notification':
      return 'Notification';
  }
}

/** The plan with what runs each task: what `JobRun` executes, in order. */
export function planEntries(options: ResolvedPipelineOptions): PlanEntry[] {
  const entries: PlanEntry[] = [];
  type Fields = Omit<PlannedTask, 'index' | 'label' | 'notifiers' | 'retry' | 'cleanupFor'> & {
    notifiers?: readonly PlannedNotifier[];
    retry?: RetryPolicy;
    cleanupFor?: string | null;
  };
  const add = (fields: Fields, position: number, source: TaskSource): void => {
    const planned: PlannedTask = {
      index: entries.length,
      ...fields,
      label: taskLabel(fields, position),
      notifiers: fields.notifiers ?? [],
      retry: fields.retry ?? NO_RETRIES,
      cleanupFor: fields.cleanupFor ?? null,
    };
    entries.push({ planned, source });
  };
  const hook = (phase: 'pre' | 'post') => (resolved: ResolvedHook, position: number): void =>
    add(
      {
        type: 'hook',
        name: resolved.name,
        phase,
        critical: resolved.critical,
        runOnJobFailure: phase === 'post' && resolved.runOnJobFailure,
        continueOnFailure: resolved.continueOnFailure,
        timeoutMs: resolved.timeoutMs,
        retry: { retries: resolved.retries, retryDelayMs: resolved.retryDelayMs, retryDelayMaxMs: resolved.retryDelayMaxMs, warningExitCodes: resolved.warningExitCodes },
        cleanupFor: phase === 'post' ? resolved.cleanupFor : null,
      },
      position + 1,
      { kind: 'hook', hook: resolved },
    );

  options.preHooks.forEach(hook('pre'));
  for (const task of options.tasks) {
    const timeoutMs = durationToMs(task.timeout) ?? options.defaults.timeoutMs;
    add(
      { type: task.type, name: task.name, phase: 'main', critical: task.critical ?? true, runOnJobFailure: false, continueOnFailure: false, timeoutMs, retry: taskRetryPolicy(task) },
      0,
      { kind: 'task', task, timeoutMs },
    );
  }
  options.postHooks.forEach(hook('post'));
  // The notification is a task only when someone is to be told.
  if (options.notifiers.length > 0) {
    const notifiers = options.notifiers.map((notifier) => ({ name: notifier.name, timeoutMs: notifierTimeoutMs(notifier), on: notifier.on ?? ALL_LEVELS }));
    add(
      { type: 'notification', name: NOTIFICATION_NAME, phase: 'notification', critical: false, runOnJobFailure: false, continueOnFailure: false, timeoutMs: null, notifiers },
      0,
      { kind: 'notification' },
    );
  }
  return entries;
}

/** The name of the notification task. */
export const NOTIFICATION_NAME = 'Notification';

/**
 * The ordered task list of a job, from its resolved options: what `JobPipeline.plan()`, `jobhooks
 * plan`, `formatFlow` and the live view show. Pure: it runs nothing and reads no clock.
 */
export function planJob(options: ResolvedPipelineOptions): PlannedTask[] {
  return planEntries(options).map((entry) => entry.planned);
}

/** The flow labels of tasks given in job order (a finished result, a live snapshot). */
export function labelTasks(tasks: readonly { readonly phase: TaskPhase; readonly type: string; readonly name: string }[]): string[] {
  const positions = new Map<TaskPhase, number>();
  return tasks.map((task) => {
    const position = (positions.get(task.phase) ?? 0) + 1;
    positions.set(task.phase, position);
    return taskLabel(task, position);
  });
}
