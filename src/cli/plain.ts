import { flowResultLine } from '../format.js';
import type { JobResult, TaskResult } from '../types.js';
import { subscribe, summaryText, type EventSource, type RunView, type TextSink } from './view.js';

/** `[Database Dump] failed: Hook 'Database Dump' exited with code 1`, and the like, for one finished task. */
export function taskEndLine(task: TaskResult): string {
  switch (task.status) {
    case 'completed':
      return `[${task.name}] ${task.warning ? 'completed with warnings' : 'completed'}`;
    case 'failed':
      return `[${task.name}] failed: ${task.error ?? 'failed'}`;
    case 'skipped':
      return `[${task.name}] skipped: ${task.skipReason ?? 'skipped'}`;
    case 'pending':
    case 'running':
      return `[${task.name}] ${task.status}`;
  }
}

/**
 * For cron and logs: one line per status change and per output line, each prefixed with the task's
 * name (`[Database Dump] started`, `[Database Dump] dump written`), then the flow and the message.
 */
export class PlainView implements RunView {
  readonly #out: TextSink;
  readonly #err: TextSink;
  readonly #names = new Map<number, string>();
  #notifying = false;
  #detach: (() => void) | undefined;

  constructor(out: TextSink, err: TextSink) {
    this.#out = out;
    this.#err = err;
  }

  attach(pipeline: EventSource): void {
    this.#detach = subscribe(pipeline, {
      jobStart: ({ tasks }) => {
        for (const task of tasks) this.#names.set(task.index, task.name);
      },
      taskStart: ({ task }) => {
        if (task.phase === 'notification') this.#notifying = true;
        this.#out.write(`[${task.name}] started\n`);
      },
      taskOutput: ({ taskIndex, line }) => this.#out.write(`[${this.#names.get(taskIndex) ?? `task ${taskIndex + 1}`}] ${line}\n`),
      taskEnd: ({ task }) => this.#out.write(`${taskEndLine(task)}\n`),
      // While the notification task runs, its output already says what each notifier did; before,
      // a failure is a job-start ping (Healthchecks' /start) that nothing else reports.
      notificationFailed: ({ notifier, error }) => {
        if (!this.#notifying) this.#out.write(`[${notifier}] job-start notification failed: ${error}\n`);
      },
    });
  }

  notice(text: string): void {
    this.#err.write(`${text}\n`);
  }

  consoleText(text: string): void {
    this.#out.write(text);
  }

  finish(result: JobResult, notificationPrinted: boolean): void {
    this.close();
    this.#out.write(`\n${summaryText(result, notificationPrinted)}`);
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }
}

/** `--quiet`: failures on standard error as they happen, and the result line at the end. */
export class QuietView implements RunView {
  readonly #out: TextSink;
  readonly #err: TextSink;
  #detach: (() => void) | undefined;

  constructor(out: TextSink, err: TextSink) {
    this.#out = out;
    this.#err = err;
  }

  attach(pipeline: EventSource): void {
    this.#detach = subscribe(pipeline, {
      taskEnd: ({ task }) => {
        if (task.status === 'failed') this.#err.write(`${taskEndLine(task)}\n`);
      },
      notificationFailed: ({ notifier, error }) => this.#err.write(`[Notification] ${notifier} failed: ${error}\n`),
    });
  }

  notice(text: string): void {
    this.#err.write(`${text}\n`);
  }

  consoleText(text: string): void {
    this.#out.write(text);
  }

  finish(result: JobResult): void {
    this.close();
    this.#out.write(`${flowResultLine(result)}\n`);
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }
}

/** `--json`: standard output holds the `JobResult` and nothing else; the rest goes to standard error. */
export class JsonView implements RunView {
  readonly #out: TextSink;
  readonly #err: TextSink;

  constructor(out: TextSink, err: TextSink) {
    this.#out = out;
    this.#err = err;
  }

  attach(): void {}

  notice(text: string): void {
    this.#err.write(`${text}\n`);
  }

  consoleText(text: string): void {
    this.#err.write(text);
  }

  finish(result: JobResult): void {
    this.#out.write(`${JSON.stringify(result, null, 2)}\n`);
  }

  close(): void {}
}
