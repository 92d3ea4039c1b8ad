import type { TaskResult } from './types.js';

/**
 * How many times a task was attempted: `TaskResult.attempts` when the engine reports it, else 1 for
 * a task that ran and 0 for one that was skipped. Shared by the metrics and the traces
 * (docs/observability.md).
 */
export function taskAttempts(task: TaskResult): number {
  const reported: unknown = (task as TaskResult & { readonly attempts?: unknown }).attempts;
  if (typeof reported === 'number' && Number.isFinite(reported)) return reported;
  return task.status === 'skipped' ? 0 : 1;
}
