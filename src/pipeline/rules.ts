import type { FailureReason, JobFailure, JobStatus, TaskPhase, TaskResult } from '../types.js';

/** The exact skip reasons of docs/execution-flow.md#skip-reasons. */
export const SKIP_REASONS = {
  critical_hook_failure: 'Task skipped due to critical hook failure',
  critical_task_failure: 'Task skipped due to critical task failure',
  critical_task_exception: 'Task skipped due to critical task exception',
  cancelled: 'Task skipped due to job cancellation',
  hook_failure: 'Task skipped due to hook failure',
  // Only a recovery has this cause, and it runs nothing but cleanups and the notification (docs/journal.md).
  interrupted: 'Task skipped due to job interruption',
} as const satisfies Record<FailureReason | 'hook_failure', string>;

/** The skip reason of a task after a pre-hook asked to skip the job (docs/hooks.md#skip-the-job). */
export function skipRequestedReason(hookName: string): string {
  return `Task skipped: '${hookName}' asked to skip the job`;
}

/** The skip reason of a paired cleanup whose pre-hook never started (docs/hooks.md#paired-cleanup). */
export function cleanupNotNeededReason(preHookName: string): string {
  return `Task skipped: '${preHookName}' did not run`;
}

/** What the rules need to know about the job so far. */
export interface RuleState {
  /** The first critical failure, or the cancellation. */
  readonly failure: JobFailure | null;
  /** The run's signal fired. */
  readonly cancelled: boolean;
  /** Phases stopped by a non-critical hook with `continueOnFailure: false`. */
  readonly haltedPhases: ReadonlySet<TaskPhase>;
  /** The pre-hook that asked to skip the job (exited with `skipExitCode`), or `null`. */
  readonly skippedBy: string | null;
  /** The names of the pre-hooks that started, whatever their outcome. */
  readonly startedPreHooks: ReadonlySet<string>;
}

/** A task as the rules see it. */
export interface RuleTask {
  readonly phase: TaskPhase;
  readonly runOnJobFailure: boolean;
  /** Post-hooks: the pre-hook this one undoes (docs/hooks.md#paired-cleanup), or `null`. */
  readonly cleanupFor: string | null;
}

/** The decision for the next task: run it, or skip it with a reason. */
export type Decision = { readonly run: true } | { readonly run: false; readonly skipReason: string };

/**
 * The execution rules of docs/execution-flow.md, in precedence order:
 * 1. the notification always runs;
 * 2. a paired cleanup (`cleanupFor`) runs if and only if its pre-hook started, whatever else happened —
 *    failure, cancellation, skip, a halted post phase (docs/hooks.md#paired-cleanup);
 * 3. after a critical failure or a cancellation, a task is skipped with that cause's reason, unless it
 *    is a post-hook with `runOnJobFailure` (cancellation, being the latest cause, wins);
 * 4. after a pre-hook asked to skip the job, a task is skipped saying so, unless it is a post-hook with
 *    `runOnJobFailure`;
 * 5. after a non-critical `continueOnFailure: false` hook failed in the same phase, the task is skipped;
 * 6. otherwise it runs.
 */
export function decide(task: RuleTask, state: RuleState): Decision {
  if (task.phase === 'notification') return { run: true };
  if (task.phase === 'post' && task.cleanupFor !== null) {
    return state.startedPreHooks.has(task.cleanupFor) ? { run: true } : { run: false, skipReason: cleanupNotNeededReason(task.cleanupFor) };
  }
  const cleanup = task.phase === 'post' && task.runOnJobFailure;
  if (state.cancelled || state.failure !== null) {
    if (!cleanup) {
      const reason: FailureReason = state.cancelled ? 'cancelled' : (state.failure?.reason ?? 'cancelled');
      return { run: false, skipReason: SKIP_REASONS[reason] };
    }
  }
  if (state.skippedBy !== null && !cleanup) return { run: false, skipReason: skipRequestedReason(state.skippedBy) };
  if (state.haltedPhases.has(task.phase)) return { run: false, skipReason: SKIP_REASONS.hook_failure };
  return { run: true };
}

/**
 * The wait after failed attempt `attempt` (1-based) before the next (docs/hooks.md#retries):
 * `retryDelay × 2^(attempt-1)`, ±20 % jitter, at most `retryDelayMax`. `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, policy: { readonly retryDelayMs: number; readonly retryDelayMaxMs: number }, random: number = Math.random()): number {
  const base = policy.retryDelayMs * 2 ** (attempt - 1);
  return Math.round(Math.min(policy.retryDelayMaxMs, base * (0.8 + 0.4 * random)));
}

/**
 * The job's status from its tasks (docs/execution-flow.md): `interrupted` for a recovery, `cancelled` when the signal fired, `failed` on a
 * critical failure, `completed_with_warnings` when any task failed or completed with a warning,
 * `skipped` when a pre-hook asked to skip the job, `completed` otherwise.
 */
export function jobStatusOf(tasks: readonly TaskResult[], failure: JobFailure | null, cancelled: boolean, skipped = false): JobStatus {
  // A recovery of a run whose jobhooks died (docs/journal.md).
  if (failure?.reason === 'interrupted') return 'interrupted';
  if (cancelled) return 'cancelled';
  if (failure !== null) return 'failed';
  if (tasks.some((task) => task.status === 'failed' || (task.status === 'completed' && task.warning))) {
    return 'completed_with_warnings';
  }
  return skipped ? 'skipped' : 'completed';
}

/** The job's outcome so far, as hooks see it in `<P>JOB_STATUS`; agrees with {@link jobStatusOf}. */
export function jobStatusSoFar(
  failure: JobFailure | null,
  cancelled: boolean,
  anyFailedOrWarned: boolean,
  skipped = false,
): 'success' | 'warning' | 'failure' | 'cancelled' | 'skipped' {
  if (cancelled) return 'cancelled';
  if (failure !== null) return 'failure';
  if (anyFailedOrWarned) return 'warning';
  return skipped ? 'skipped' : 'success';
}
