/** Which stream of a process a line of output came from. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * One command for an {@link Executor} to run, fully resolved: no field is left for the executor to default.
 */
export interface ExecRequest {
  /**
   * What to run. A string is shell text, run as `shell -c command` (or as a script for its
   * interpreter when it starts with a `#!` line); an argv array runs directly, with no shell.
   */
  readonly command: string | readonly string[];
  /** The interpreter for string commands. */
  readonly shell: string;
  /** Working directory; must exist. */
  readonly cwd: string;
  /** The complete environment of the child (a new object, never `process.env` itself). */
  readonly env: Readonly<Record<string, string>>;
  /** After this long the whole process tree is terminated and the result has `timedOut: true`. */
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL when the command is timed out or cancelled. */
  readonly killGraceMs: number;
  /** The most bytes of output kept per line and per task tail; longer output is cut. */
  readonly maxOutputBytes: number;
  /**
   * Leave processes that the command started in the background running after it exits.
   * By default they are killed with the command's process group when the command ends.
   */
  readonly keepBackground?: boolean;
  /** Cancels the command: the process tree is terminated and the result has `cancelled: true`. */
  readonly signal?: AbortSignal;
  /** Called once per line of output, in order, as it arrives (no trailing newline). */
  readonly onOutput?: (line: string, stream: OutputStream) => void;
  /**
   * Called with the raw bytes of the lines `onOutput` gets, before it gets them: one or more whole
   * lines, each with its terminator (`\n`, `\r\n` or `\r`), often a view of the chunk read from the
   * pipe, valid only during the call. A line that arrived in several reads (or was cut) comes as the
   * UTF-8 of `onOutput`'s line plus `\n`. The engine keeps a task's output tail from these bytes
   * without holding a string per line (docs/performance.md); an executor may leave it uncalled, and
   * the engine then keeps the tail from `onOutput`'s lines. A `Buffer` or any `Uint8Array` (typed as
   * the latter so that the declarations need no `@types/node`).
   */
  readonly onOutputBytes?: (bytes: Uint8Array, stream: OutputStream) => void;
  /**
   * Name of the task this command belongs to. Metadata the pipeline always fills in, for executors that
   * dispatch by task (`FakeExecutor`) or log; running a command needs none of it.
   */
  readonly taskName?: string;
  /** 0-based index of that task in the job (metadata, as `taskName`). */
  readonly taskIndex?: number;
  /** The job's id (metadata, as `taskName`). */
  readonly jobId?: string;
  /**
   * Called once, right after the command's process was spawned, with its pid; on POSIX the
   * {@link ShellExecutor} makes that process lead its own process group, so the pid is the group id.
   * The engine records it in the journal so that a recovery can kill what a dead run left (docs/journal.md).
   */
  readonly onSpawn?: (pid: number) => void;
}

/**
 * How a command ended. Same shape whether it succeeded or not: *why* it failed is in the flags,
 * never in text to parse.
 */
export interface ExecResult {
  /** The exit code, or `null` when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that killed the process (`'SIGKILL'`), or `null`. */
  readonly signal: string | null;
  /** The command was killed because it ran past `timeoutMs`. */
  readonly timedOut: boolean;
  /** The command was killed because `signal` fired. */
  readonly cancelled: boolean;
  /** Why the command could not be started, in plain words (`shell not found: /bin/zsh`), or `null`. */
  readonly error: string | null;
  /** Wall-clock time from start to exit. */
  readonly durationMs: number;
}

/**
 * Runs one command. jobhooks ships {@link ShellExecutor}; `jobhooks/testing` has a `FakeExecutor`.
 * An executor must settle exactly once and must honour `signal` and `timeoutMs`.
 *
 * @example
 * ```ts
 * const executor: Executor = {
 *   async execute(request) {
 *     request.onOutput?.(`would run: ${String(request.command)}`, 'stdout')
 *     return { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 0 }
 *   },
 * }
 * ```
 */
export interface Executor {
  execute(request: ExecRequest): Promise<ExecResult>;
}
