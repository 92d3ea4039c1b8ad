import type { JsonValue, Task, TaskContext, TaskRunResult } from '../types.js';
import { describeBorgExitCode, RETRYABLE_BORG_ERRORS } from './exit-codes.js';
import type { ResolvedCommon } from './options.js';
import { BorgOutputParser } from './output.js';

/**
 * What every borg task's `data` carries, whatever the command.
 *
 * @example
 * ```ts
 * const { errorId } = task.data as BorgDataBase
 * if (errorId === 'LockTimeout') scheduleRetry()
 * ```
 */
export type BorgDataBase = {
  /** borg's WARNING messages, in order (at most 100, then a line saying how many more). */
  readonly warnings: string[];
  /**
   * borg's id of the error that failed the task (`PassphraseWrong`, `Repository.DoesNotExist`,
   * `LockTimeout`, …), or `null`. Branch on this, not on the error text.
   */
  readonly errorId: string | null;
};

/** One borg invocation, before the common parts are added. */
export interface BorgInvocation {
  readonly subcommand: 'create' | 'prune' | 'compact' | 'check';
  /** Options of this subcommand, each a single argv element (`--exclude=re:\.tmp$`). */
  readonly options: readonly string[];
  /** The repository (or `repo::archive`) and paths, placed after `--` so nothing reads them as options. */
  readonly positionals: readonly string[];
}

/** How a task reads borg's output into its result. */
export interface BorgRunSpec {
  /** Keep stdout for a JSON document instead of passing it on as output (`create --json`). */
  readonly collectStdout?: boolean;
  /** Also receives each log message (prune reads its `--list` lines). */
  readonly onLogLine?: (message: string, levelname: string) => void;
  /** borg check exits 1 when it found problems: for it, a "warning" is the failure it looks for. */
  readonly warningIsFailure?: { readonly error: string };
  /** Builds the command's own `data`, merged with {@link BorgDataBase}. */
  readonly data?: (parser: BorgOutputParser) => { [key: string]: JsonValue } | undefined;
}

/**
 * The full argv: `borg <subcommand> --log-json --progress [--lock-wait=N] <options> <extraArgs> -- <positionals>`.
 * Every value travels as its own argv element, so `$`, `|`, quotes and spaces reach borg untouched.
 */
export function buildArgv(common: ResolvedCommon, invocation: BorgInvocation): string[] {
  return [
    common.borgBinary,
    invocation.subcommand,
    '--log-json',
    '--progress',
    ...(common.lockWaitSeconds === undefined ? [] : [`--lock-wait=${common.lockWaitSeconds}`]),
    ...invocation.options,
    ...common.extraArgs,
    '--',
    ...invocation.positionals,
  ];
}

// borg's yes/no safety questions. Without an answer in the environment borg would prompt on stdin;
// answering "no" keeps borg's safety check *and* makes it fail at once with a clear message instead
// of hanging or reading a terminal. The user opts in by setting the variable to "yes".
const SAFETY_QUESTIONS = ['BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK', 'BORG_RELOCATED_REPO_ACCESS_IS_OK'] as const;

/**
 * The variables jobhooks adds to the job's environment for borg (the engine merges them over it):
 * the user's `env`, the passphrase or passcommand, `BORG_EXIT_CODES=modern` (detailed exit codes on
 * borg ≥ 1.4; ignored by older borg) and "no" answers to borg's safety questions — each of the last
 * two only when neither the job nor `env` sets it already.
 */
export function buildEnv(common: ResolvedCommon, jobEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  const isSet = (name: string): boolean => name in common.env || jobEnv[name] !== undefined;
  if (!isSet('BORG_EXIT_CODES')) env['BORG_EXIT_CODES'] = 'modern';
  for (const name of SAFETY_QUESTIONS) if (!isSet(name)) env[name] = 'no';
  Object.assign(env, common.env);
  if (common.passphrase !== undefined) env['BORG_PASSPHRASE'] = common.passphrase;
  if (common.passcommand !== undefined) env['BORG_PASSCOMMAND'] = common.passcommand;
  return env;
}

/** Runs one borg command through the pipeline's executor and turns its outcome into a task result. */
export async function runBorg(context: TaskContext, common: ResolvedCommon, argv: readonly string[], spec: BorgRunSpec = {}): Promise<TaskRunResult> {
  const result = await runBorgOnce(context, common, argv, spec);
  if (result.status !== 'failed') return result;
  // Only a lock timeout or a dropped connection is worth another attempt (docs/borg.md).
  const data = result.data;
  const errorId = typeof data === 'object' && data !== null && !Array.isArray(data) ? data['errorId'] : null;
  return { ...result, retryable: typeof errorId === 'string' && RETRYABLE_BORG_ERRORS.has(errorId) };
}

async function runBorgOnce(context: TaskContext, common: ResolvedCommon, argv: readonly string[], spec: BorgRunSpec): Promise<TaskRunResult> {
  // borg reads BORG_PASSPHRASE before BORG_PASSCOMMAND, and the engine can add variables but not
  // remove them: an inherited passphrase would silently win over the passcommand the user chose.
  if (common.passcommand !== undefined && context.env['BORG_PASSPHRASE'] !== undefined) {
    return {
      status: 'failed',
      error:
        'passcommand is set, but BORG_PASSPHRASE is also in the job environment and borg would use it instead; remove BORG_PASSPHRASE from the environment (or use inheritEnv: false)',
      data: { warnings: [], errorId: null },
    };
  }
  const parserOptions: { collectStdout?: boolean; onLogLine?: (message: string, levelname: string) => void } = {};
  if (spec.collectStdout === true) parserOptions.collectStdout = true;
  if (spec.onLogLine !== undefined) parserOptions.onLogLine = spec.onLogLine;
  const parser = new BorgOutputParser(context, parserOptions);
  const exec = await context.exec(argv, { env: buildEnv(common, context.env), killGrace: common.killGrace, onOutput: parser.onOutput });

  const base = { exitCode: exec.exitCode, signal: exec.signal, timedOut: exec.timedOut, cancelled: exec.cancelled };
  const meaning = exec.exitCode === null ? undefined : describeBorgExitCode(exec.exitCode);
  const errorId = parser.lastError?.msgid ?? (meaning?.kind === 'error' ? meaning.name : null);
  // The engine redacts the task's secrets (the passphrase among them) in data as everywhere else.
  const data: { [key: string]: JsonValue } = { ...spec.data?.(parser), warnings: parser.warnings, errorId: null };

  // Could not start (borg not installed, bad cwd): the executor's words say why.
  if (exec.error !== null) return { status: 'failed', ...base, error: exec.error, data };
  // The engine composes "Task 'X' timed out after …" / "Task cancelled" itself.
  if (exec.cancelled || exec.timedOut) return { status: 'failed', ...base, data };
  if (meaning === undefined) {
    return { status: 'failed', ...base, error: `borg was killed by ${exec.signal ?? 'a signal'}`, data: { ...data, errorId } };
  }
  switch (meaning.kind) {
    case 'success':
      return { status: 'completed', ...base, data };
    case 'warning': {
      if (spec.warningIsFailure !== undefined) {
        // borg check ends with a summary ("… errors found."); the first error says what it found.
        const last = parser.lastErrorMessage();
        const first = parser.firstError;
        const error = last === undefined ? spec.warningIsFailure.error : first === undefined || first === last ? last : `${last} First problem: ${first}`;
        return { status: 'failed', ...base, error, data: { ...data, errorId: meaning.name } };
      }
      if (common.warningsAreErrors) {
        const error = parser.lastWarning ?? `borg finished with warnings (exit code ${meaning.code})`;
        return { status: 'failed', ...base, error, data: { ...data, errorId: meaning.name } };
      }
      return { status: 'completed', ...base, warning: true, data };
    }
    case 'signal':
      return { status: 'failed', ...base, error: `borg was terminated by ${meaning.signal ?? 'a signal'} (exit code ${meaning.code})`, data: { ...data, errorId } };
    case 'error': {
      const error = parser.lastErrorMessage() ?? `borg exited with code ${meaning.code}${meaning.name === null ? '' : ` (${meaning.name})`}`;
      return { status: 'failed', ...base, error, data: { ...data, errorId } };
    }
  }
}

/** Assembles the Task object every factory returns. */
export function makeTask(
  type: string,
  defaultName: string,
  defaultCritical: boolean,
  common: ResolvedCommon,
  run: (context: TaskContext) => Promise<TaskRunResult>,
): Task {
  return Object.freeze({
    type,
    name: common.name ?? defaultName,
    critical: common.critical ?? defaultCritical,
    timeout: common.timeout,
    retries: common.retries,
    retryDelay: common.retryDelay,
    retryDelayMax: common.retryDelayMax,
    secrets: Object.freeze(common.passphrase === undefined ? [] : [common.passphrase]),
    run,
  });
}
