import { capitalize } from './notify/message.js';
import { labelTasks } from './pipeline/plan.js';
import type { JobResult, TaskResult } from './types.js';

/** Labels are padded to this width so the arrows line up, as in the documented flows. */
const LABEL_WIDTH = 34;

/** What a task's outcome in a flow depends on besides the task: a final result, or a live snapshot of one. */
export type FlowJob = Pick<JobResult, 'tasks' | 'failure'>;

/** Whether a task ran only because it is a post-hook that runs after a failure or cancellation. */
function ranOnFailure(task: TaskResult, result: FlowJob): boolean {
  // Only a runOnJobFailure post-hook or a paired cleanup (cleanupFor) can run after the job failed.
  if (task.phase !== 'post' || result.failure === null) return false;
  // After a task that failed or was stopped; or from the first task a cancellation between tasks reached.
  const { taskIndex, cancelledBefore } = result.failure;
  const after = taskIndex === null ? task.index >= (cancelledBefore ?? Number.POSITIVE_INFINITY) : task.index > taskIndex;
  return after && task.startedAt !== null;
}

/**
 * Options of {@link formatFlow}.
 *
 * @example
 * ```ts
 * formatFlow(result, { durations: true }) // 3. Backup Task → ✅ Success (1m 05s)
 * ```
 */
export interface FlowOptions {
  /**
   * Show how long each task that ran took, in its outcome's parentheses: `✅ Success (1.2s)`,
   * `❌ Failed (Critical, 0.3s)`. Off, the flow is exactly the documented one.
   * @default false
   */
  readonly durations?: boolean | undefined;
}

/**
 * A task's duration as flows show it: `0.4s`, `12.3s` under a minute, then `1m 05s`, `1h 02m`.
 *
 * @example
 * ```ts
 * formatDuration(1234) // '1.2s'
 * ```
 */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < 59_950) return `${(safe / 1000).toFixed(1)}s`;
  const seconds = Math.round(safe / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** The outcome of a task in a flow: `✅ Success`, `❌ Failed (Critical)`, `⏭️  Skipped`, … */
export function flowOutcome(task: TaskResult, result: FlowJob, options: FlowOptions = {}): string {
  const duration = options.durations === true && task.durationMs !== null ? formatDuration(task.durationMs) : undefined;
  const withNotes = (text: string, notes: readonly string[]): string => {
    const all = duration === undefined ? notes : [...notes, duration];
    return all.length === 0 ? text : `${text} (${all.join(', ')})`;
  };
  switch (task.status) {
    case 'pending':
      return '⏸️  Pending';
    case 'running':
      return '🔄 Running';
    case 'skipped':
      return '⏭️  Skipped';
    case 'completed': {
      const notes = [];
      if (ranOnFailure(task, result)) notes.push('Run on Failure');
      if (task.warning) notes.push('with warnings');
      return withNotes('✅ Success', [...notes, ...attemptNote(task)]);
    }
    case 'failed': {
      const why = task.cancelled ? 'Cancelled' : task.timedOut ? 'Timed Out' : task.critical ? 'Critical' : 'Non-Critical';
      return withNotes('❌ Failed', [why, ...attemptNote(task)]);
    }
  }
}

/** `attempt 3` for a task that needed retries (docs/hooks.md#retries); nothing for one attempt. */
function attemptNote(task: TaskResult): string[] {
  // `?? 1`: a result read from JSON written before retries existed has no `attempts`.
  return (task.attempts ?? 1) > 1 ? [`attempt ${task.attempts}`] : [];
}

/** The closing line of a flow: `Result: ✅ Job Completed Successfully`, … */
export function flowResultLine(result: JobResult): string {
  switch (result.status) {
    case 'completed':
      return 'Result: ✅ Job Completed Successfully';
    case 'completed_with_warnings':
      return 'Result: ⚠️  Job Completed with Warnings';
    case 'cancelled':
      return 'Result: 🛑 Job Cancelled';
    case 'interrupted':
      return 'Result: ❌ Job Interrupted';
    case 'skipped':
      return 'Result: ⏭️  Job Skipped';
    case 'failed': {
      const failure = result.failure;
      if (failure?.reason === 'critical_hook_failure') return 'Result: ❌ Job Failed - Critical Hook Error';
      return `Result: ❌ Job Failed - ${capitalize(failure?.type ?? 'task')} Error`;
    }
  }
}

/**
 * Prints a job as the documented execution flows do (docs/execution-flow.md#the-four-documented-flows):
 * one numbered line per task with its outcome, a blank line, and the result. Works on a finished
 * result and on a snapshot of a running job (`⏸️  Pending`, `🔄 Running`). With `{ durations: true }`,
 * each task that ran also shows how long it took (`✅ Success (1.2s)`), as the `jobhooks` command
 * prints it.
 *
 * @example
 * ```ts
 * console.log(formatFlow(await pipeline.run()))
 * // 1. Pre-Hook 1 (Database Dump)         → ✅ Success
 * // ...
 * // Result: ✅ Job Completed Successfully
 * ```
 */
export function formatFlow(result: JobResult, options: FlowOptions = {}): string {
  // The plan's labels (docs/execution-flow.md#the-plan), from the tasks themselves: a result may come from JSON.
  const labels = labelTasks(result.tasks);
  const lines = result.tasks.map((task, position) => `${task.index + 1}. ${(labels[position] ?? '').padEnd(LABEL_WIDTH)} → ${flowOutcome(task, result, options)}`);
  return [...lines, '', flowResultLine(result)].join('\n');
}
