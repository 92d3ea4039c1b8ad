import type { TaskResult } from './types.js';

/**
 * How many times a task was attempted: `TaskResult.attempts` (0 for a task that never ran), or, for a
 * result written before retries existed (a recovered run's), 1 for a task that ran. Shared by the
 * metrics and the traces (docs/observability.md).
 */
export function taskAttempts(task: TaskResult): number {
  if (Number.isFinite(task.attempts)) return task.attempts;
  return task.status === 'skipped' ? 0 : 1;
}
