import type { JobResult } from '../types.js';
import { EXIT } from './exit-codes.js';
import { JsonLogView } from './json-log.js';
import { LiveView, type Terminal } from './live.js';
import { appendToFile, ReopeningLogFile } from './log-file.js';
import { underSystemd } from './log-level.js';
import { JsonView, PlainView, QuietView } from './plain.js';
import type { EventSource, RunEnd, RunView, TextSink } from './view.js';

/** `--log-format` and `--log-file` of `run` and `rehearse` (docs/cli.md, docs/observability.md). */
export interface LogFlags {
  /** `--log-format plain|json`: what the lines look like; default: live on a terminal, else plain. */
  readonly logFormat: 'plain' | 'json' | undefined;
  /** `--log-file PATH`: the lines are also appended there. */
  readonly logFile: string | undefined;
}

/** What `run` and `rehearse` print through, and how to wait for the log file's last lines. */
export interface RunOutput {
  readonly view: RunView;
  /** Resolves once every line is in the log file (at once without one). */
  settled(): Promise<void>;
}

/** What the views write to, and the environment (`JOURNAL_STREAM`, `TERM`). */
export interface RunOutputIo {
  readonly stdout: Terminal & { readonly isTTY?: boolean | undefined };
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const NOWHERE: TextSink = { write: () => true };

/** Every view gets every call: the screen's and the log file's. */
class TeeView implements RunView {
  readonly #views: readonly RunView[];

  constructor(views: readonly RunView[]) {
    this.#views = views;
  }

  attach(pipeline: EventSource): void {
    for (const view of this.#views) view.attach(pipeline);
  }

  notice(text: string): void {
    for (const view of this.#views) view.notice(text);
  }

  configWarnings(text: string): void {
    for (const view of this.#views) view.configWarnings(text);
  }

  consoleText(text: string): void {
    for (const view of this.#views) view.consoleText(text);
  }

  finish(result: JobResult, end: RunEnd): void {
    for (const view of this.#views) view.finish(result, end);
  }

  close(): void {
    for (const view of this.#views) view.close();
  }
}

/**
 * The view of `run` for its mode and log flags: `--json` and `--quiet` as before; `--log-format json`
 * JSON lines; `--log-format plain`, or no terminal, plain lines (with syslog priorities under
 * systemd); else the live view. With `--log-file`, the same lines (plain unless `--log-format json`)
 * are appended to the file too. A log file that cannot be opened is exit 73 before anything runs;
 * `reason` says why (`permission denied (EACCES)`).
 */
export async function openRunOutput(
  mode: 'auto' | 'json' | 'quiet',
  flags: Partial<LogFlags>,
  io: RunOutputIo,
  reason: (error: unknown) => string,
): Promise<RunOutput | number> {
  const syslogPriorities = underSystemd(io.env);
  // One clock for the screen's and the log file's JSON lines: the same event says the same time in both.
  const clock = oneTimePerTurn();
  const screen: RunView =
    mode === 'json'
      ? new JsonView(io.stdout, io.stderr)
      : mode === 'quiet'
        ? new QuietView(io.stdout, io.stderr)
        : flags.logFormat === 'json'
          ? new JsonLogView(io.stdout, io.stderr, { now: clock })
          : flags.logFormat === undefined && io.stdout.isTTY === true && io.env['TERM'] !== 'dumb'
            ? new LiveView(io.stdout, io.stderr)
            : new PlainView(io.stdout, io.stderr, { syslogPriorities });
  if (flags.logFile === undefined) return { view: screen, settled: () => Promise.resolve() };
  const path = flags.logFile;
  try {
    await appendToFile(path, '');
  } catch (error) {
    io.stderr.write(`jobhooks: cannot write the log file: ${path}: ${reason(error)}\n`);
    return EXIT.cantCreate;
  }
  const file = new ReopeningLogFile(path, (error) =>
    io.stderr.write(`jobhooks: cannot write the log file: ${path}: ${reason(error)}; its lines are lost until a write succeeds\n`),
  );
  const logged = flags.logFormat === 'json' ? new JsonLogView(file, NOWHERE, { now: clock }) : new PlainView(file, file);
  return { view: new TeeView([screen, logged]), settled: () => file.settled() };
}

/**
 * A clock that gives every call in one turn of the event loop the same time: the views that write
 * one event's line read it once each, and must not say two times for it.
 */
export function oneTimePerTurn(): () => Date {
  let now: Date | undefined;
  return () => {
    if (now === undefined) {
      now = new Date();
      queueMicrotask(() => {
        now = undefined;
      });
    }
    return now;
  };
}
