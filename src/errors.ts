import { printable } from './printable.js';

/**
 * Stable codes carried by every error jobhooks throws. Branch on these, never on message text.
 */
export const ErrorCode = {
  /** The configuration (pipeline options, hooks, a plugin's options) is invalid. Nothing ran. */
  CONFIG: 'ERR_CONFIG',
  /** A task status change that the state machine does not allow: a bug in the engine. */
  ILLEGAL_TRANSITION: 'ERR_ILLEGAL_TRANSITION',
  /**
   * `run()` was called while the same pipeline was still running, or (with a journal) while another
   * process runs the same journal key (docs/journal.md).
   */
  ALREADY_RUNNING: 'ERR_ALREADY_RUNNING',
  /**
   * The run journal's directory or file could not be created or written before the run started: nothing
   * ran (docs/journal.md). A write error in the middle of a run never throws: it only warns.
   */
  JOURNAL: 'ERR_JOURNAL',
  /** A notifier could not deliver its message (the notification task fails; nothing else changes). */
  NOTIFICATION: 'ERR_NOTIFICATION',
  /** jobhooks/bullmq: the job is not in the queue, or BullMQ failed it without a result (docs/bullmq-api.md). */
  QUEUE: 'ERR_QUEUE',
  /**
   * jobhooks/bullmq: the call's `signal` fired before the queue server answered; the error's `sent`
   * says whether the request had gone out (docs/bullmq-api.md#connection).
   */
  QUEUE_UNANSWERED: 'ERR_QUEUE_UNANSWERED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where an error of jobhooks lists its classes: one key for every copy of jobhooks loaded (`Symbol.for`). */
const ERROR_CLASSES = Symbol.for('jobhooks.errorClasses');

/**
 * The base class of every error jobhooks throws: a stable `code` plus an optional `cause`.
 *
 * @example
 * ```ts
 * try { new JobPipeline(options) } catch (error) {
 *   if (error instanceof JobHooksError && error.code === 'ERR_CONFIG') { ... }
 * }
 * ```
 */
export class JobHooksError extends Error {
  /** A stable, machine-readable code. */
  readonly code: ErrorCode;

  /**
   * The class's name in the mark its errors carry ({@link JobHooksError[Symbol.hasInstance]}); each
   * subclass gives its own.
   * @internal
   */
  static readonly errorClass: string = 'JobHooksError';

  /**
   * `instanceof` that holds across copies of jobhooks: an application that loads it with both `import`
   * and `require`, or with `require` from `jobhooks` and `jobhooks/borg` (each CommonJS entry point is a
   * file of its own), has two `ConfigError` classes. An error is an instance of a class of any copy
   * when it was made by that class or a subclass of it (docs/embedding.md, "Errors are data").
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const classes: unknown = typeof value === 'object' && value !== null ? (value as Record<symbol, unknown>)[ERROR_CLASSES] : undefined;
    return Array.isArray(classes) && classes.includes(this.errorClass);
  }

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobHooksError';
    this.code = code;
    // The names of its class and of every class above it, up to this one: the mark `instanceof` reads.
    const classes: string[] = [];
    for (let made: unknown = new.target; typeof made === 'function' && made !== Error; made = Object.getPrototypeOf(made)) {
      const name = (made as { readonly errorClass?: unknown }).errorClass;
      if (typeof name === 'string' && !classes.includes(name)) classes.push(name);
    }
    Object.defineProperty(this, ERROR_CLASSES, { value: classes });
  }
}

/**
 * What kind of problem a {@link ConfigIssue} is: an option nobody knows (`unknown_option`), one
 * that is missing (`required`), a value of the wrong type (`invalid_type`), or of the right type
 * but not acceptable (`invalid_value`: empty, out of range, malformed).
 */
export type ConfigIssueCode = 'unknown_option' | 'required' | 'invalid_type' | 'invalid_value';

/**
 * One problem found in a configuration: what kind, where it is and what is wrong. The path is data
 * (`['preHooks', 1, 'timeout']`); {@link formatPath} writes it as people read it.
 */
export interface ConfigIssue {
  /** What kind of problem this is; branch on it, never on `message`. */
  readonly code: ConfigIssueCode;
  /** Where the problem is, one key or index per step: `['preHooks', 1, 'timeout']`. Empty for the root. */
  readonly path: readonly PropertyKey[];
  /** What was expected and what was received. */
  readonly message: string;
}

/**
 * Writes a path the way people write it in JavaScript: `preHooks[1].timeout`; `''` for the root.
 *
 * @example
 * ```ts
 * formatPath(['preHooks', 1, 'timeout']) // 'preHooks[1].timeout'
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/**
 * One issue as a line: `  - preHooks[1].timeout: must be at least 1ms, …` (`(root)` for the root). A
 * control character a key or a quoted value brought in is written as its escape: one issue, one line.
 */
export function formatIssueLine(issue: ConfigIssue): string {
  return `  - ${printable(issue.path.length === 0 ? '(root)' : formatPath(issue.path))}: ${printable(issue.message)}`;
}

/**
 * Thrown when a configuration is invalid; lists every problem at once, each with its path.
 *
 * Nothing runs on invalid configuration: `new JobPipeline()` throws this before any work starts.
 *
 * @example
 * ```ts
 * try { parseHooks('[{"name":"dump","command":"pg_dump","critcal":true}]') }
 * catch (error) {
 *   if (error instanceof ConfigError) console.error(error.issues)
 *   // [{ code: 'unknown_option', path: [0, 'critcal'], message: 'unknown option "critcal" (did you mean "critical"?)' }]
 * }
 * ```
 */
export class ConfigError extends JobHooksError {
  /** Every problem found, in the order they appear in the input. */
  readonly issues: readonly ConfigIssue[];

  /** @internal */
  static override readonly errorClass: string = 'ConfigError';

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown; subject?: string }) {
    const subject = options?.subject ?? 'jobhooks configuration';
    const lines = issues.map(formatIssueLine);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(ErrorCode.CONFIG, `Invalid ${subject} (${count}):\n${lines.join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Names and values as people write them in errors: `string "soon"`, `number -1`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    default:
      return `an ${typeof value}`;
  }
}
