import { formatSeconds } from '../duration.js';
import { ConfigError, describeValue } from '../errors.js';
import type { RehearsalOutcome, RehearsalResult } from '../types.js';
import { makeOutcome, type Outcome } from './outcome.js';
import type { PlannedTask } from './plan.js';

/**
 * A failure to rehearse (docs/testing.md#rehearse-your-failure-path): which task, and how it ends
 * instead of running.
 *
 * @example
 * ```ts
 * await pipeline.run({ rehearse: { task: 'Create archive', outcome: 'fail' } })
 * ```
 */
export interface RehearseOptions {
  /** The task's name, or its 0-based index in the job (as `pipeline.plan()` numbers it). */
  readonly task: string | number;
  /** `fail`: recorded failed; `timeout`: recorded timed out; `cancel`: the job is cancelled as the task would start. */
  readonly outcome: RehearsalOutcome;
}

/** Every rehearsal outcome, in the order docs and errors list them. */
export const REHEARSAL_OUTCOMES = ['fail', 'timeout', 'cancel'] as const satisfies readonly RehearsalOutcome[];

/** The error of a task whose failure is rehearsed. */
export const REHEARSED_FAILURE = 'Rehearsed failure';

/** The failure text of a rehearsed cancellation (the job's `failure.error`). */
export const REHEARSED_CANCELLATION = 'Job cancelled (rehearsal)';

/**
 * Finds the rehearsed task in the plan, or throws a {@link ConfigError} before anything runs: an
 * unknown name or index, a name several tasks share, the notification (it always runs), an unknown
 * outcome.
 */
export function resolveRehearsal(plan: readonly PlannedTask[], rehearse: RehearseOptions): RehearsalResult {
  const outcome: unknown = rehearse.outcome;
  if (!(REHEARSAL_OUTCOMES as readonly unknown[]).includes(outcome)) {
    throw issue('outcome', `expected one of ${REHEARSAL_OUTCOMES.map((name) => `"${name}"`).join(', ')}, received ${describeValue(outcome)}`);
  }
  const task: unknown = rehearse.task;
  let found: PlannedTask | undefined;
  if (typeof task === 'number') {
    found = plan.find((planned) => planned.index === task);
    if (found === undefined) {
      throw issue('task', `no task has index ${task}: this job has ${plan.length} (0 to ${plan.length - 1}; see "jobhooks plan")`);
    }
  } else if (typeof task === 'string') {
    const named = plan.filter((planned) => planned.name === task);
    if (named.length === 0) {
      const names = plan.filter((planned) => planned.phase !== 'notification').map((planned) => `"${planned.name}"`);
      throw issue('task', `no task is named "${task}"; the tasks are ${names.join(', ') || 'none'}`);
    }
    if (named.length > 1) {
      throw issue('task', `${named.length} tasks are named "${task}" (indexes ${named.map((planned) => planned.index).join(', ')}): give the index`);
    }
    found = named[0];
  } else {
    throw issue('task', `expected a task's name or index, received ${describeValue(task)}`);
  }
  if (found === undefined) throw issue('task', `no task matches ${describeValue(task)}`);
  if (found.phase === 'notification') throw issue('task', 'the notification cannot be rehearsed: it always runs');
  return { task: found.name, index: found.index, outcome: outcome as RehearsalOutcome };
}

function issue(key: 'task' | 'outcome', message: string): ConfigError {
  return new ConfigError([{ code: 'invalid_value', path: ['rehearse', key], message }], { subject: 'rehearsal' });
}

/**
 * How a rehearsed task ends, without running: `fail` as a failure with {@link REHEARSED_FAILURE};
 * `timeout` as a command killed at its timeout reads (`timedOut: true`, `signal: 'SIGTERM'`,
 * `Hook 'NAME' timed out after 300s`);
 * `cancel` as a task cancelled at its start (`cancelled: true`, `Task cancelled`): the run cancels
 * the job first, so every rule of a real cancellation follows.
 */
export function rehearsedOutcome(outcome: RehearsalOutcome, label: 'Hook' | 'Task', name: string, timeoutMs: number | null): Outcome {
  switch (outcome) {
    case 'fail':
      return makeOutcome({ error: REHEARSED_FAILURE, code: 'rehearsal' });
    case 'timeout':
      return makeOutcome({
        timedOut: true,
        // As a command killed at its timeout reads.
        signal: 'SIGTERM',
        error: `${label} '${name}' timed out after ${formatSeconds(timeoutMs ?? 0)}`,
        code: 'timeout',
      });
    case 'cancel':
      return makeOutcome({ cancelled: true, error: 'Task cancelled', code: 'cancelled' });
  }
}
