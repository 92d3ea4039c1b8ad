import { ErrorCode, JobHooksError } from './errors.js';
import type { TaskResult, TaskStatus } from './types.js';

/** A task result the engine may change; everything outside the engine sees {@link TaskResult}. */
export type MutableTaskResult = { -readonly [K in keyof TaskResult]: TaskResult[K] };

/**
 * The task state machine of docs/execution-flow.md#task-statuses: the only moves allowed, from each
 * status.
 * `completed`, `failed` and `skipped` are terminal.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['running', 'skipped'],
  running: ['completed', 'failed'],
  completed: [],
  failed: [],
  skipped: [],
};

/** Whether a task in `from` may move to `to`. */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/** Whether a status is final. */
export function isTerminal(status: TaskStatus): boolean {
  return TASK_TRANSITIONS[status].length === 0;
}

/** The event a status change emits: `taskStart` when a task starts, `taskEnd` when it ends. */
export type TransitionEvent = 'taskStart' | 'taskEnd';

/**
 * Receives the one event of a status change; `snapshot()` copies the task as it is after the change
 * (called only by a listener that passes the task on: a copy per change costs when nobody listens).
 */
export type TransitionListener = (event: TransitionEvent, snapshot: () => TaskResult) => void;

/**
 * Moves a task to a new status: the one place where task statuses change. Checks the move against
 * {@link TASK_TRANSITIONS}, applies `fields`, stamps `startedAt` / `finishedAt` / `durationMs`, and
 * emits exactly one event.
 *
 * @throws JobHooksError with code `ERR_ILLEGAL_TRANSITION` (a bug in the engine) naming `from` and `to`.
 */
export function transition(
  task: MutableTaskResult,
  to: TaskStatus,
  listener: TransitionListener,
  fields: Partial<Omit<MutableTaskResult, 'status' | 'startedAt' | 'finishedAt' | 'durationMs'>> = {},
  now: Date = new Date(),
): void {
  const from = task.status;
  if (!canTransition(from, to)) {
    throw new JobHooksError(
      ErrorCode.ILLEGAL_TRANSITION,
      `Illegal task status change from '${from}' to '${to}' (task ${task.index} '${task.name}')`,
    );
  }
  Object.assign(task, fields);
  task.status = to;
  if (to === 'running') {
    task.startedAt = now.toISOString();
  } else {
    task.finishedAt = now.toISOString();
    task.durationMs = task.startedAt === null ? null : Math.max(0, now.getTime() - Date.parse(task.startedAt));
  }
  listener(to === 'running' ? 'taskStart' : 'taskEnd', () => ({ ...task }));
}
