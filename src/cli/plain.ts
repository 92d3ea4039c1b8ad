import { isJsonObject, type JsonObject } from '../json.js';
import { formatDuration } from '../format.js';
import { printable } from '../printable.js';
import { DETAIL_OUTPUT_LINES, lastLines } from '../notify/message.js';
import type { JobResult, TaskResult } from '../types.js';
import { jobLevel, taskLevel, withPriority, type LogLevel } from './log-level.js';
import { formatBytes } from './progress.js';
import { recoveredText, retryLine, subscribe, summaryText, type EventSource, type RunEnd, type RunView, type TextSink } from './view.js';

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

/** `02:00:03`: the local time of day, as cron logs read it. */
export function clockTime(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}


/**
 * `[borg create] archive nightly: 1.20 GiB original, 800 MiB compressed, 12.3 MiB deduplicated,
 * 1234 files, 1m 05s`, from a `borg create` task's `data` (borg's `--json` document); `undefined`
 * for any other task, or a create that made no archive.
 */
export function archiveLine(task: TaskResult): string | undefined {
  if (!isJsonObject(task.data ?? undefined)) return undefined;
  const archive = (task.data as JsonObject)['archive'];
  if (!isJsonObject(archive) || !isJsonObject(archive['stats'])) return undefined;
  const { name, duration } = archive;
  const { original_size: original, compressed_size: compressed, deduplicated_size: deduplicated, nfiles } = archive['stats'];
  if (typeof name !== 'string' || typeof duration !== 'number') return undefined;
  if (typeof original !== 'number' || typeof compressed !== 'number' || typeof deduplicated !== 'number' || typeof nfiles !== 'number') return undefined;
  const sizes = `${formatBytes(original)} original, ${formatBytes(compressed)} compressed, ${formatBytes(deduplicated)} deduplicated`;
  return `[${task.name}] archive ${printable(name)}: ${sizes}, ${nfiles} file${nfiles === 1 ? '' : 's'}, ${formatDuration(duration * 1000)}`;
}

/** A stream that says how much it has queued and when it has drained (`process.stdout`); a test's collector may not. */
export interface QueueingSink extends TextSink {
  readonly writableLength?: number | undefined;
  once?(event: 'drain', listener: () => void): unknown;
  off?(event: 'drain', listener: () => void): unknown;
}

/**
 * How much output the plain view lets queue for a slow reader before it drops lines (docs/cli.md):
 * the job's memory stays bounded whatever reads its output.
 */
export const PLAIN_QUEUE_BOUND_BYTES = 1024 * 1024;

/**
 * Writes lines to a stream that may be read slowly (a pipe to a stalled `logger`, a full disk's
 * `tee`): past `boundBytes` queued, lines are dropped and counted; once the stream drains, one line
 * says how many (`… 12345 lines dropped: the reader of this output is too slow`).
 */
export class BoundedLines {
  readonly #out: QueueingSink;
  readonly #boundBytes: number;
  readonly #droppedLine: (count: number) => string;
  #dropped = 0;
  #waiting = false;
  readonly #onDrain = (): void => {
    this.#waiting = false;
    this.flush();
  };

  constructor(out: QueueingSink, boundBytes: number, droppedLine: (count: number) => string) {
    this.#out = out;
    this.#boundBytes = boundBytes;
    this.#droppedLine = droppedLine;
  }

  /** Writes the line, or drops it while the stream holds more than the bound. */
  write(text: string): void {
    if (this.#full()) {
      this.#dropped += 1;
      if (!this.#waiting && this.#out.once !== undefined) {
        this.#waiting = true;
        this.#out.once('drain', this.#onDrain);
      }
      return;
    }
    this.flush();
    this.#out.write(text);
  }

  /** Says how many lines were dropped, if any, whatever is queued (the end of the run must be said). */
  flush(): void {
    if (this.#dropped === 0) return;
    const count = this.#dropped;
    this.#dropped = 0;
    this.#out.write(this.#droppedLine(count));
  }

  /** Stops waiting for the stream to drain. */
  close(): void {
    if (this.#waiting) this.#out.off?.('drain', this.#onDrain);
    this.#waiting = false;
  }

  #full(): boolean {
    return (this.#out.writableLength ?? 0) >= this.#boundBytes;
  }
}

/** Options of {@link PlainView}, for tests. */
export interface PlainViewOptions {
  /** The clock the line times are read from. @default () => new Date() */
  readonly now?: (() => Date) | undefined;
  /** @default PLAIN_QUEUE_BOUND_BYTES */
  readonly queueBoundBytes?: number | undefined;
  /**
   * Each line starts with its syslog priority (`<3>` a failure, `<4>` a warning, `<6>` the rest), for
   * systemd's journal (docs/observability.md, "Under systemd"). @default false
   */
  readonly syslogPriorities?: boolean | undefined;
}

/**
 * For cron and logs: one line per status change and per output line, each with the local time and
 * the task's name (`02:00:03 [Database Dump] started`), then the flow and the message. A reader
 * too slow to keep up loses lines, never the job's memory (docs/cli.md).
 */
export class PlainView implements RunView {
  readonly #out: QueueingSink;
  readonly #err: TextSink;
  readonly #now: () => Date;
  readonly #lines: BoundedLines;
  readonly #priorities: boolean;
  readonly #names = new Map<number, string>();
  /** A console notifier printed since the last recovered run was said (its message, then, is not said again). */
  #consolePrinted = false;
  #detach: (() => void) | undefined;

  constructor(out: QueueingSink, err: TextSink, options: PlainViewOptions = {}) {
    this.#out = out;
    this.#err = err;
    this.#now = options.now ?? (() => new Date());
    this.#priorities = options.syslogPriorities ?? false;
    this.#lines = new BoundedLines(out, options.queueBoundBytes ?? PLAIN_QUEUE_BOUND_BYTES, (count) =>
      this.#timed(`… ${count} line${count === 1 ? '' : 's'} dropped: the reader of this output is too slow`, 'warning'),
    );
  }

  attach(pipeline: EventSource): void {
    const line = (text: string, level: LogLevel = 'info'): void => this.#lines.write(this.#timed(text, level));
    this.#detach = subscribe(pipeline, {
      jobRecovered: ({ result }) => {
        this.#lines.flush();
        const text = recoveredText(result, this.#consolePrinted);
        this.#consolePrinted = false;
        if (text !== '') this.#out.write(this.#prefixed(text, 'error'));
      },
      jobStart: ({ tasks }) => {
        for (const task of tasks) this.#names.set(task.index, task.name);
      },
      taskStart: ({ task }) => {
        line(`[${task.name}] started`);
      },
      taskOutput: ({ taskIndex, line: text }) => line(`[${this.#names.get(taskIndex) ?? `task ${taskIndex + 1}`}] ${text}`),
      taskRetry: (retry) => line(retryLine(this.#names.get(retry.taskIndex) ?? `task ${retry.taskIndex + 1}`, retry), 'warning'),
      taskEnd: ({ task }) => {
        const archive = archiveLine(task);
        if (archive !== undefined) line(archive);
        line(taskEndLine(task), taskLevel(task));
      },
      // The notification task's output already says what each notifier did with the message; a
      // job-start ping (Healthchecks' /start) that failed is reported by nothing else.
      notificationFailed: ({ notifier, reason, stage }) => {
        if (stage === 'start') line(`[${notifier}] job-start notification failed: ${reason}`, 'warning');
      },
      // The run goes on, but a crash now could not be recovered from (docs/journal.md#a-journal-that-cannot-be-written).
      journalWarning: ({ message }) => this.notice(message),
    });
  }

  notice(text: string): void {
    this.#err.write(this.#prefixed(`${text}\n`, 'warning'));
  }

  configWarnings(text: string): void {
    this.#err.write(this.#prefixed(text, 'warning'));
  }

  consoleText(text: string): void {
    // Before the job's first line, what a console notifier prints is a recovery's message.
    this.#consolePrinted = true;
    this.#lines.flush();
    this.#out.write(this.#prefixed(text, 'info'));
  }

  finish(result: JobResult, end: RunEnd): void {
    this.close();
    this.#lines.flush();
    // The flow and the message are about the job: at its level, so `journalctl -p err` shows a failure's.
    this.#out.write(this.#prefixed(`\n${summaryText(result, end)}`, jobLevel(result.status)));
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#lines.close();
  }

  #timed(text: string, level: LogLevel): string {
    return this.#prefixed(`${clockTime(this.#now())} ${text}\n`, level);
  }

  #prefixed(text: string, level: LogLevel): string {
    return this.#priorities ? withPriority(text, level) : text;
  }
}

/**
 * How many of a failed task's last output lines `--quiet` prints after the message, when they are
 * more than the message's details show: enough for a stack trace or borg's context around an
 * error, few enough that the mail still opens on what went wrong.
 */
export const QUIET_OUTPUT_LINES = 100;

/**
 * The output of each failed task beyond what the message's details show
 * (`Output of Database Dump (last 42 lines):` and the lines, indented); empty when the details
 * already show all of it.
 */
export function failedOutputText(result: JobResult): string {
  const sections: string[] = [];
  for (const task of result.tasks) {
    if (task.status !== 'failed' || task.phase === 'notification') continue;
    const lines = lastLines(task.output, QUIET_OUTPUT_LINES).split('\n');
    if (lines.length <= DETAIL_OUTPUT_LINES) continue;
    sections.push(`\nOutput of ${task.name} (last ${lines.length} lines):\n${lines.map((text) => `    ${text}\n`).join('')}`);
  }
  return sections.join('');
}

/**
 * `--quiet`, for cron: nothing at all when the job completed or was skipped, so that cron mails nothing; after
 * warnings, a failure or a cancellation, the flow, the message with its details, any notifier
 * that failed, and the failed tasks' output (docs/cli.md). A `console` notifier is quiet too:
 * the message is printed here, only when it says something went wrong.
 */
export class QuietView implements RunView {
  readonly #out: TextSink;
  readonly #err: TextSink;
  /** The config's warnings, held back: said only with a job that did not complete. */
  #warnings = '';

  constructor(out: TextSink, err: TextSink) {
    this.#out = out;
    this.#err = err;
  }

  #detach: (() => void) | undefined;

  /** Only a recovery is said at once: a run whose jobhooks died is worth a mail even when this one completes. */
  attach(pipeline: EventSource): void {
    this.#detach = subscribe(pipeline, {
      jobRecovered: ({ result }) => this.#out.write(recoveredText(result)),
      // Said even by --quiet: the job may complete, but this run's journal is not to be trusted.
      journalWarning: ({ message }) => this.notice(message),
    });
  }

  notice(text: string): void {
    this.#err.write(`${text}\n`);
  }

  configWarnings(text: string): void {
    this.#warnings += text;
  }

  consoleText(): void {}

  finish(result: JobResult, end: RunEnd): void {
    this.close();
    // A skipped job is not a failure (docs/cli.md): cron mails nothing for it either.
    if (result.status === 'completed' || result.status === 'skipped') return;
    // A warning may say why (a cwd that was never made): it goes with the mail, on standard error as always.
    if (this.#warnings !== '') this.#err.write(this.#warnings);
    this.#out.write(summaryText(result, { ...end, notificationPrinted: false }) + failedOutputText(result));
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }
}

/**
 * `--json`: standard output holds the `JobResult` and nothing else, with one key added, `recovered`:
 * the results of the runs recovered first (docs/cli.md), `[]` when none. The rest goes to standard error.
 */
export class JsonView implements RunView {
  readonly #out: TextSink;
  readonly #err: TextSink;
  readonly #recovered: JobResult[] = [];
  #detach: (() => void) | undefined;

  constructor(out: TextSink, err: TextSink) {
    this.#out = out;
    this.#err = err;
  }

  attach(pipeline: EventSource): void {
    this.#detach = subscribe(pipeline, {
      jobRecovered: ({ result }) => this.#recovered.push(result),
      journalWarning: ({ message }) => this.notice(message),
    });
  }

  notice(text: string): void {
    this.#err.write(`${text}\n`);
  }

  configWarnings(text: string): void {
    this.#err.write(text);
  }

  consoleText(text: string): void {
    this.#err.write(text);
  }

  finish(result: JobResult): void {
    this.close();
    this.#out.write(`${JSON.stringify({ ...result, recovered: this.#recovered }, null, 2)}\n`);
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }
}
