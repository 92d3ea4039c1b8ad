import type { OutputStream } from '../executor/types.js';
import { printable } from '../printable.js';
import type { JsonValue, TaskContext, TaskProgress } from '../types.js';

/** Progress of `borg create`: sizes so far and the file being read (borg's `archive_progress`). */
export type BorgArchiveProgress = {
  readonly kind: 'archive_progress';
  /** Bytes read so far, before compression and deduplication; absent on the `finished` event. */
  readonly originalSize?: number;
  readonly compressedSize?: number;
  readonly deduplicatedSize?: number;
  /** Regular files read so far. */
  readonly nfiles?: number;
  /** The path being read. */
  readonly path?: string;
  readonly finished: boolean;
};

/** Progress with a known end: pruning, compacting, checking segments (borg's `progress_percent`). */
export type BorgPercentProgress = {
  readonly kind: 'progress_percent';
  /** 0–100: the share borg shows in `message` (items done before `current`); absent on the `finished` event. */
  readonly percent?: number;
  readonly current?: number;
  readonly total?: number;
  /** borg's text, e.g. `Checking segments 40.0%`. */
  readonly message?: string;
  /** borg's name for the operation (its `msgid`): `repository.check`, `prune`, … or `null`. */
  readonly operation: string | null;
  readonly finished: boolean;
};

/** A step without a measurable end: cache transactions and the like (borg's `progress_message`). */
export type BorgMessageProgress = {
  readonly kind: 'progress_message';
  readonly message?: string;
  /** borg's name for the operation (its `msgid`): `cache.commit`, … or `null`. */
  readonly operation: string | null;
  readonly finished: boolean;
};

/**
 * Every `taskProgress` payload a borg task emits (besides `jobId` and `taskIndex`); `kind` tells them apart.
 *
 * @example
 * ```ts
 * pipeline.on('taskProgress', (event) => {
 *   if (event.kind === 'archive_progress' && !event.finished) console.log(event.originalSize, event.path)
 * })
 * ```
 */
export type BorgProgress = BorgArchiveProgress | BorgPercentProgress | BorgMessageProgress;

/** A yes/no question borg asked (and answered from the environment). */
interface Question {
  readonly msgid: string | null;
  readonly message: string;
}

// The JSON document `borg create --json` prints is small; this only guards against a runaway stdout.
const MAX_STDOUT_BYTES = 16 * 1024 * 1024;
// Warnings kept in `data.warnings`: enough to see what went wrong, bounded for a job that skips 1e6 files.
const MAX_WARNINGS = 100;

/**
 * Reads borg's `--log-json` stderr and its stdout, line by line, and turns them into task output,
 * typed progress events and the facts a result is built from (last error, warnings, JSON document).
 */
export class BorgOutputParser {
  readonly #context: TaskContext;
  readonly #collectStdout: boolean;
  readonly #onLogLine: ((message: string, levelname: string) => void) | undefined;
  #stdoutLines: string[] = [];
  #stdoutBytes = 0;
  #stdoutOverflow = false;
  #lastError: { message: string; msgid: string | null } | undefined;
  #firstError: string | undefined;
  #lastPlainStderr: string | undefined;
  #pendingQuestion: Question | undefined;
  #declinedQuestion: Question | undefined;
  readonly #warnings: string[] = [];
  #warningCount = 0;
  #lastWarning: string | undefined;

  /**
   * @param collectStdout - keep stdout for {@link parseStdoutJson} instead of passing it on as output.
   * @param onLogLine - also called for each `log_message` (prune reads its `--list` lines here).
   */
  constructor(context: TaskContext, options: { collectStdout?: boolean; onLogLine?: (message: string, levelname: string) => void } = {}) {
    this.#context = context;
    this.#collectStdout = options.collectStdout ?? false;
    this.#onLogLine = options.onLogLine;
  }

  /** Handles one line of borg's output. Never throws: a line it does not understand is kept as output. */
  readonly onOutput = (rawLine: string, stream: OutputStream): void => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (stream === 'stdout') {
      if (this.#collectStdout) this.#collect(line);
      else this.#context.output(line, 'stdout');
      return;
    }
    const record = parseJsonObject(line);
    if (record !== undefined) {
      this.#handleRecord(record, line);
      return;
    }
    // A prompt borg printed without a newline ("Enter passphrase for key …: ") runs into the JSON
    // line that follows it: split the two rather than lose the JSON.
    const jsonStart = line.indexOf('{"');
    const tail = jsonStart > 0 ? parseJsonObject(line.slice(jsonStart)) : undefined;
    const text = tail === undefined ? line : line.slice(0, jsonStart).trimEnd();
    this.#context.output(text, 'stderr');
    if (text.trim() !== '') this.#lastPlainStderr = text.trim();
    if (tail !== undefined) this.#handleRecord(tail, line.slice(jsonStart));
  };

  /** borg's last error, for the task's `error`; see {@link lastErrorMessage}. */
  get lastError(): { readonly message: string; readonly msgid: string | null } | undefined {
    return this.#lastError;
  }

  /** borg's first error message: for a check, the first problem it found. */
  get firstError(): string | undefined {
    return this.#firstError;
  }

  /** borg's last WARNING-level message, kept past the 100 of {@link warnings}: what `warningsAreErrors` reports. */
  get lastWarning(): string | undefined {
    return this.#lastWarning;
  }

  /** WARNING-level messages, in order, at most 100 (then a line saying how many more). */
  get warnings(): string[] {
    const extra = this.#warningCount - this.#warnings.length;
    return extra > 0 ? [...this.#warnings, `… and ${extra} more warnings`] : [...this.#warnings];
  }

  /**
   * The error to report: borg's own last error message, with what it asked when the error came from
   * a question answered "no" by the environment (so the user knows which variable to set).
   */
  lastErrorMessage(): string | undefined {
    const error = this.#lastError;
    if (error === undefined) return this.#lastPlainStderr;
    const question = this.#declinedQuestion;
    if (question !== undefined) {
      const asked = firstLine(question.message.replace(/^Warning:\s*/i, ''));
      const hint = question.msgid === null ? '' : `; set ${question.msgid}=yes in env to allow it`;
      return `${error.message} (borg asked "${asked}" and the answer was no${hint})`;
    }
    return error.message;
  }

  /** Parses the collected stdout as one JSON object, or `undefined` (then the lines become output). */
  parseStdoutJson(): { [key: string]: JsonValue } | undefined {
    if (!this.#collectStdout) return undefined;
    const text = this.#stdoutLines.join('\n');
    const parsed = this.#stdoutOverflow ? undefined : parseJsonObject(text.trim());
    if (parsed === undefined) {
      for (const line of this.#stdoutLines) this.#context.output(line, 'stdout');
    }
    this.#stdoutLines = [];
    return parsed;
  }

  #collect(line: string): void {
    this.#stdoutBytes += Buffer.byteLength(line) + 1;
    if (this.#stdoutBytes > MAX_STDOUT_BYTES) {
      if (!this.#stdoutOverflow) this.#context.output('(borg printed more than 16 MiB on stdout; the rest is dropped)', 'stderr');
      this.#stdoutOverflow = true;
      return;
    }
    this.#stdoutLines.push(line);
  }

  #handleRecord(record: { [key: string]: JsonValue }, line: string): void {
    const type = record['type'];
    switch (type) {
      case 'log_message':
        this.#logMessage(record);
        return;
      case 'archive_progress':
        this.#progress(archiveProgress(record));
        return;
      case 'progress_percent':
        this.#progress(percentProgress(record));
        return;
      case 'progress_message':
        this.#progress(messageProgress(record));
        return;
      case 'file_status': {
        const status = stringField(record, 'status') ?? '?';
        this.#context.output(`${status} ${printable(stringField(record, 'path') ?? '')}`, 'stderr');
        return;
      }
      default:
        if (typeof type === 'string' && type.startsWith('question_')) {
          this.#question(type, record);
          return;
        }
        // A JSON line of a type this version does not know: keep it verbatim rather than lose it.
        this.#context.output(line, 'stderr');
    }
  }

  #logMessage(record: { [key: string]: JsonValue }): void {
    const message = stringField(record, 'message') ?? '';
    const levelname = (stringField(record, 'levelname') ?? 'INFO').toUpperCase();
    const logger = stringField(record, 'name');
    // borg 1.2 reports some progress (cache transactions during prune) as log lines of this logger.
    if (logger === 'borg.output.progress') {
      this.#progress(message === '' ? { kind: 'progress_message', operation: null, finished: true } : { kind: 'progress_message', message, operation: null, finished: false });
      return;
    }
    // File and archive names in borg's messages are anyone's data: shown with their control characters
    // escaped, a name cannot forge a line or drive the terminal (docs/borg.md). Prune reads the raw text.
    const lines = splitLines(message).map(printable);
    for (const line of lines) this.#context.output(line, 'stderr');
    const shown = lines.join('\n');
    if (levelname === 'ERROR' || levelname === 'CRITICAL') {
      this.#recordError(shown, stringField(record, 'msgid') ?? null);
    } else if (levelname === 'WARNING') {
      this.#warningCount += 1;
      this.#lastWarning = shown;
      if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(shown);
    }
    this.#onLogLine?.(message, levelname);
  }

  #recordError(message: string, msgid: string | null): void {
    const previous = this.#lastError;
    // A crash is logged as "Local Exception" (with a msgid) followed by the traceback (without one):
    // report the exception's own line rather than the whole traceback.
    if (msgid === null && previous !== undefined && /^(Local|Remote) Exception$/.test(previous.message)) {
      const exceptionLine = tracebackExceptionLine(message);
      if (exceptionLine !== undefined) this.#lastError = { message: `${previous.message}: ${exceptionLine}`, msgid: previous.msgid };
      return;
    }
    this.#lastError = { message: message.trim(), msgid };
    this.#firstError ??= message.trim();
  }

  #question(type: string, record: { [key: string]: JsonValue }): void {
    const message = stringField(record, 'message') ?? '';
    const msgid = stringField(record, 'msgid') ?? null;
    for (const part of splitLines(message)) this.#context.output(part, 'stderr');
    if (type === 'question_prompt' || type === 'question_prompt_retry') {
      this.#pendingQuestion = { msgid, message };
    } else if (type === 'question_accepted_true') {
      this.#pendingQuestion = undefined;
    } else if (type === 'question_accepted_false' || type === 'question_invalid_answer' || type === 'question_accepted_default') {
      // borg's default answer to its safety questions is "no"; a default that meant yes is followed by no error.
      this.#declinedQuestion = this.#pendingQuestion;
      this.#pendingQuestion = undefined;
    }
  }

  #progress(progress: BorgProgress): void {
    this.#context.progress(progress as TaskProgress);
  }
}

function archiveProgress(record: { [key: string]: JsonValue }): BorgArchiveProgress {
  const finished = record['finished'] === true;
  const progress: { -readonly [K in keyof BorgArchiveProgress]: BorgArchiveProgress[K] } = { kind: 'archive_progress', finished };
  const originalSize = numberField(record, 'original_size');
  const compressedSize = numberField(record, 'compressed_size');
  const deduplicatedSize = numberField(record, 'deduplicated_size');
  const nfiles = numberField(record, 'nfiles');
  const path = stringField(record, 'path');
  if (originalSize !== undefined) progress.originalSize = originalSize;
  if (compressedSize !== undefined) progress.compressedSize = compressedSize;
  if (deduplicatedSize !== undefined) progress.deduplicatedSize = deduplicatedSize;
  if (nfiles !== undefined) progress.nfiles = nfiles;
  if (path !== undefined) progress.path = path;
  return progress;
}

function percentProgress(record: { [key: string]: JsonValue }): BorgPercentProgress {
  const progress: { -readonly [K in keyof BorgPercentProgress]: BorgPercentProgress[K] } = {
    kind: 'progress_percent',
    operation: stringField(record, 'msgid') ?? null,
    finished: record['finished'] === true,
  };
  const current = numberField(record, 'current');
  const total = numberField(record, 'total');
  const message = stringField(record, 'message');
  if (current !== undefined) progress.current = current;
  if (total !== undefined) progress.total = total;
  // borg's message shows the share of items already done (`current` counts the one just started):
  // take its figure so the event agrees with the text; compute it only when the text has none.
  const shown = message === undefined ? null : /(\d+(?:\.\d+)?)\s*%/.exec(message);
  if (shown?.[1] !== undefined) {
    progress.percent = Math.min(100, Number(shown[1]));
  } else if (current !== undefined && total !== undefined && total > 0) {
    progress.percent = Math.min(100, Math.round((Math.max(0, current - 1) / total) * 1000) / 10);
  }
  if (message !== undefined) progress.message = message.trim();
  return progress;
}

function messageProgress(record: { [key: string]: JsonValue }): BorgMessageProgress {
  const message = stringField(record, 'message');
  const progress: { -readonly [K in keyof BorgMessageProgress]: BorgMessageProgress[K] } = {
    kind: 'progress_message',
    operation: stringField(record, 'msgid') ?? null,
    finished: record['finished'] === true,
  };
  if (message !== undefined && message !== '') progress.message = message;
  return progress;
}

function parseJsonObject(text: string): { [key: string]: JsonValue } | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { [key: string]: JsonValue }) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(record: { [key: string]: JsonValue }, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function numberField(record: { [key: string]: JsonValue }, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function splitLines(message: string): string[] {
  const lines = message.split('\n');
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim();
}

// `Traceback (most recent call last): … \nSomeError: what\n\nPlatform: …` → `SomeError: what`.
function tracebackExceptionLine(traceback: string): string | undefined {
  const lines = traceback.split('\n');
  const end = lines.findIndex((line) => line.startsWith('Platform:'));
  const body = end === -1 ? lines : lines.slice(0, end);
  for (let index = body.length - 1; index >= 0; index -= 1) {
    const line = body[index];
    if (line !== undefined && line.trim() !== '' && !/^\s/.test(line) && !line.startsWith('Traceback')) return line.trim();
  }
  return undefined;
}
