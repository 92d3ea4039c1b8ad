import type { FailureReason, JobFailure, JobStatus, TaskPhase, TaskResult } from '../types.js';

/** The exact skip reasons of SPEC §1.3. */
export const SKIP_REASONS = {
  critical_hook_failure: 'Task skipped due to critical hook failure',
  critical_task_failure: 'Task skipped due to critical task failure',
  critical_task_exception: 'Task skipped due to critical task exception',
  cancelled: 'Task skipped due to job cancellation',
  hook_failure: 'Task skipped due to hook failure',
  // Only a recovery has this cause, and it runs nothing but cleanups and the notification (docs/journal.md).
  interrupted: 'Task skipped due to job interruption',
} as const satisfies Record<FailureReason | 'hook_failure', string>;

/** What the rules need to know about the job so far. */
export interface RuleState {
  /** The first critical failure, or the cancellation. */
  readonly failure: JobFailure | null;
  /** The run's signal fired. */
  readonly cancelled: boolean;
  /** Phases stopped by a non-critical hook with `continueOnFailure: false`. */
  readonly haltedPhases: ReadonlySet<TaskPhase>;
}

/** A task as the rules see it. */
export interface RuleTask {
  readonly phase: TaskPhase;
  readonly runOnJobFailure: boolean;
}

/** The decision for the next task: run it, or skip it with a reason. */
export type Decision = { readonly run: true } | { readonly run: false; readonly skipReason: string };

/**
 * The execution rules of SPEC §1.2, in precedence order:
 * 1. the notification always runs;
 * 2. after a critical failure or a cancellation, a task is skipped with that cause's reason, unless it
 *    is a post-hook with `runOnJobFailure` (cancellation, being the latest cause, wins);
 * 3. after a non-critical `continueOnFailure: false` hook failed in the same phase, the task is skipped;
 * 4. otherwise it runs.
 */
export function decide(task: RuleTask, state: RuleState): Decision {
  if (task.phase === 'notification') return { run: true };
  if (state.cancelled || state.failure !== null) {
    if (!(task.phase === 'post' && task.runOnJobFailure)) {
      const reason: FailureReason = state.cancelled ? 'cancelled' : (state.failure?.reason ?? 'cancelled');
      return { run: false, skipReason: SKIP_REASONS[reason] };
    }
  }
  if (state.haltedPhases.has(task.phase)) return { run: false, skipReason: SKIP_REASONS.hook_failure };
  return { run: true };
}

/**
 * The job's status from its tasks (SPEC §1.4): `interrupted` for a recovery, `cancelled` when the signal fired, `failed` on a
 * critical failure, `completed_with_warnings` when any task failed or completed with a warning,
 * `completed` otherwise.
 */
export function jobStatusOf(tasks: readonly TaskResult[], failure: JobFailure | null, cancelled: boolean): JobStatus {
  // A recovery of a run whose jobhooks died (docs/journal.md).
  if (failure?.reason === 'interrupted') return 'interrupted';
  if (cancelled) return 'cancelled';
  if (failure !== null) return 'failed';
  if (tasks.some((task) => task.status === 'failed' || (task.status === 'completed' && task.warning))) {
    return 'completed_with_warnings';
  }
  return 'completed';
}

/** The job's outcome so far, as hooks see it in `<P>JOB_STATUS`; agrees with {@link jobStatusOf}. */
export function jobStatusSoFar(
  failure: JobFailure | null,
  cancelled: boolean,
  anyFailedOrWarned: boolean,
): 'success' | 'warning' | 'failure' | 'cancelled' {
  if (cancelled) return 'cancelled';
  if (failure !== null) return 'failure';
  return anyFailedOrWarned ? 'warning' : 'success';
}
