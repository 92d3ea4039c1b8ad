import * as z from 'zod';
import type { Duration } from '../duration.js';
import { duration, envRecord, nameString, nonEmptySpawnString, outcomeShape, parseOptions, spawnString, type EnvValue } from '../validation.js';
import type { Task } from '../types.js';
import { execSucceeded } from './outcome.js';

/** Options of {@link commandTask}. */
export interface CommandTaskOptions {
  /**
   * The task's type, shown in flows and notifications (`Backup Task`, `Failed Tasks: backup`).
   * @default 'command'
   */
  readonly type?: string | undefined;
  readonly name: string;
  /** Shell text (run with `shell -c`) or an argv array (run directly, no shell). */
  readonly command: string | readonly string[];
  /**
   * Its failure fails the job.
   * @default true
   */
  readonly critical?: boolean | undefined;
  /** Seconds or a duration string; defaults to the pipeline's `defaults.timeout`. */
  readonly timeout?: Duration | undefined;
  /** Working directory; defaults to the pipeline's `defaults.cwd`. */
  readonly cwd?: string | undefined;
  /** Extra environment for this command; numbers and booleans become their string form. */
  readonly env?: Readonly<Record<string, EnvValue>> | undefined;
  /** Interpreter for string commands; defaults to the pipeline's `defaults.shell`. */
  readonly shell?: string | undefined;
  /**
   * Extra attempts after a failed one (not after a cancellation; docs/hooks.md#retries).
   * @default 0
   */
  readonly retries?: number | undefined;
  /**
   * The wait before the second attempt (0, seconds or a duration string); it doubles for each one after, ±20 %.
   * @default '10s'
   */
  readonly retryDelay?: Duration | undefined;
  /**
   * The longest wait between two attempts.
   * @default '5m'
   */
  readonly retryDelayMax?: Duration | undefined;
  /** Exit codes that end the task `completed` with `warning: true` instead of failed. */
  readonly warningExitCodes?: readonly number[] | undefined;
}

// Every string here may reach spawn: the shared schema primitives reject NUL bytes (docs/hooks.md).
/** The options {@link commandTask} validates (the config file's command entries are derived from it). */
export const commandTaskOptionsSchema = z.strictObject({
  type: nameString.optional().meta({ description: 'The task type, shown in flows and notifications ("backup" → "Backup Task"). Default "command".' }),
  name: nameString.meta({ description: 'Shown in results, events and notifications.' }),
  command: z.union([nonEmptySpawnString, z.array(spawnString).min(1, { message: 'an argv array needs at least the program' })], {
    error: 'expected shell text or an argv array of strings',
  }).meta({ description: 'Shell text (run with shell -c) or an argv array (run directly, no shell).' }),
  critical: z.boolean().optional().meta({ description: 'Its failure fails the job. Default true.' }),
  timeout: duration.optional().meta({ description: 'Seconds or a duration string. Default: the pipeline\'s defaults.timeout.' }),
  cwd: nonEmptySpawnString.optional().meta({ description: 'Working directory. Default: the pipeline\'s defaults.cwd.' }),
  env: envRecord.optional().meta({ description: 'Extra environment for this command; numbers and booleans become their string form.' }),
  shell: nonEmptySpawnString.optional().meta({ description: 'Interpreter for string commands. Default: the pipeline\'s defaults.shell.' }),
  ...outcomeShape,
});

/**
 * A main task that runs one command: a backup script, `rsync`, `restic backup`, anything. It fails
 * when the command exits non-zero, is killed, times out or cannot start.
 *
 * @throws ConfigError when the options are invalid.
 * @example
 * ```ts
 * commandTask({ type: 'backup', name: 'Sync to NAS', command: ['rsync', '-a', '/srv/', 'nas:/backup/'], timeout: '2h' })
 * ```
 */
export function commandTask(options: CommandTaskOptions): Task {
  const { type = 'command', name, command, critical = true, timeout, cwd, env, shell, retries, retryDelay, retryDelayMax, warningExitCodes } = parseOptions(
    commandTaskOptionsSchema,
    options,
    'commandTask options',
  );
  return {
    type,
    name,
    critical,
    timeout,
    // The engine retries and maps warning exit codes for every task alike (docs/hooks.md#retries).
    retries,
    retryDelay,
    retryDelayMax,
    warningExitCodes,
    command: typeof command === 'string' ? command : command.map(shownArgument).join(' '),
    async run(context) {
      const result = await context.exec(command, {
        ...(cwd === undefined ? {} : { cwd }),
        ...(env === undefined ? {} : { env }),
        ...(shell === undefined ? {} : { shell }),
      });
      return {
        status: execSucceeded(result) ? 'completed' : 'failed',
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        cancelled: result.cancelled,
        error: result.error,
        // ExecResult.error means the command could not start (docs/executor.md).
        ...(result.error === null ? {} : { failureCode: 'spawn' as const }),
      };
    },
  };
}

/** An argv entry as `plan` shows it: as it is, or in double quotes when it holds a space or a quote. */
function shownArgument(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : JSON.stringify(argument);
}
