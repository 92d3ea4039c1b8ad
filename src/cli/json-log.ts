import type { JobResult, TaskResult } from '../types.js';
import { jobLevel, taskLevel, type LogLevel } from './log-level.js';
import { BoundedLines, PLAIN_QUEUE_BOUND_BYTES, type QueueingSink } from './plain.js';
import { subscribe, type EventSource, type RunView, type TextSink } from './view.js';

/**
 * One line of `--log-format json` (docs/observability.md, "Structured logs"): these keys first, in
 * this order, then the event's own fields.
 */
export interface JsonLogLine {
  /** ISO 8601, UTC, with milliseconds. */
  readonly time: string;
  readonly level: LogLevel;
  readonly jobId: string | null;
  /** The task's name, for an event about one task. */
  readonly task?: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Options of {@link JsonLogView}, for tests. */
export interface JsonLogViewOptions {
  /** @default () => new Date() */
  readonly now?: (() => Date) | undefined;
  /** @default PLAIN_QUEUE_BOUND_BYTES */
  readonly queueBoundBytes?: number | undefined;
}

/** A finished task's fields: how it ended, as `JobResult` says it. */
function taskEndFields(task: TaskResult): Record<string, unknown> {
  return {
    phase: task.phase,
    status: task.status,
    warning: task.warning,
    exitCode: task.exitCode,
    error: task.error,
    skipReason: task.skipReason,
    attempts: task.attempts,
    durationMs: task.durationMs,
  };
}

/** A job's end: its status, and the failure it is about. */
function jobEndFields(result: JobResult): Record<string, unknown> {
  return {
    status: result.status,
    failedTask: result.failure?.taskName ?? null,
    error: result.failure?.error ?? null,
    durationMs: result.durationMs,
  };
}

/**
 * `--log-format json`: one JSON object a line per event (`taskStart`, `taskOutput`, `taskRetry`,
 * `taskEnd`, `notificationFailed`, `journalWarning`, `jobRecovered`, `jobStart`, `jobEnd`, and
 * `notice` for what jobhooks itself says, such as a signal received), for Loki, ELK or journald.
 * A reader too slow to keep up loses lines, never the job's memory, as with the plain lines; one
 * `linesDropped` line then says how many. A `console` notifier's text goes to standard error.
 */
export class JsonLogView implements RunView {
  readonly #out: QueueingSink;
  readonly #err: TextSink;
  readonly #now: () => Date;
  readonly #lines: BoundedLines;
  readonly #names = new Map<number, string>();
  #jobId: string | null = null;
  #detach: (() => void) | undefined;

  constructor(out: QueueingSink, err: TextSink, options: JsonLogViewOptions = {}) {
    this.#out = out;
    this.#err = err;
    this.#now = options.now ?? (() => new Date());
    this.#lines = new BoundedLines(out, options.queueBoundBytes ?? PLAIN_QUEUE_BOUND_BYTES, (count) =>
      this.#line('warning', 'linesDropped', undefined, { count, message: 'the reader of this output is too slow' }),
    );
  }

  attach(pipeline: EventSource): void {
    const emit = (level: LogLevel, event: string, task: string | undefined, fields: Record<string, unknown> = {}): void =>
      this.#lines.write(this.#line(level, event, task, fields));
    const name = (index: number): string => this.#names.get(index) ?? `task ${index + 1}`;
    this.#detach = subscribe(pipeline, {
      jobRecovered: ({ result }) => {
        // Said whatever is queued: a run whose jobhooks died is never dropped.
        this.#lines.flush();
        this.#out.write(this.#line('error', 'jobRecovered', undefined, jobEndFields(result), result.jobId));
      },
      jobStart: ({ jobId, tasks }) => {
        this.#jobId = jobId;
        for (const task of tasks) this.#names.set(task.index, task.name);
        emit('info', 'jobStart', undefined, { tasks: tasks.length });
      },
      taskStart: ({ task }) => {
        emit('info', 'taskStart', task.name, { phase: task.phase });
      },
      taskOutput: ({ taskIndex, stream, line }) => emit('info', 'taskOutput', name(taskIndex), { stream, line }),
      taskRetry: ({ taskIndex, attempt, delayMs, error }) => emit('warning', 'taskRetry', name(taskIndex), { attempt, delayMs, error }),
      taskEnd: ({ task }) => emit(taskLevel(task), 'taskEnd', task.name, taskEndFields(task)),
      // A job-start ping (Healthchecks' /start) that nothing else reports; the final delivery is in the
      // notification's taskEnd (docs/observability.md#structured-logs).
      notificationFailed: ({ notifier, reason, stage }) => {
        if (stage === 'start') emit('warning', 'notificationFailed', undefined, { notifier, error: reason });
      },
      journalWarning: ({ message }) => emit('warning', 'journalWarning', undefined, { error: message }),
      jobEnd: ({ result }) => {
        this.#lines.flush();
        this.#out.write(this.#line(jobLevel(result.status), 'jobEnd', undefined, jobEndFields(result)));
      },
    });
  }

  notice(text: string): void {
    this.#lines.flush();
    this.#out.write(this.#line('warning', 'notice', undefined, { message: text }));
  }

  /** As plain lines on standard error, as `validate` prints them: said before the job's first line. */
  configWarnings(text: string): void {
    this.#err.write(text);
  }

  consoleText(text: string): void {
    this.#err.write(text);
  }

  finish(): void {
    this.close();
    this.#lines.flush();
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#lines.close();
  }

  /** `jobId` is this run's, except for a recovered run's line, which is about that run. */
  #line(level: LogLevel, event: string, task: string | undefined, fields: Record<string, unknown>, jobId = this.#jobId): string {
    const line: JsonLogLine = { time: this.#now().toISOString(), level, jobId, ...(task === undefined ? {} : { task }), event, ...fields };
    return `${JSON.stringify(line)}\n`;
  }
}
