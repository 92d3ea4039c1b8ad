import { z } from 'zod';
import { describeValue, toConfigIssues } from '../config.js';
import { durationToMs, type Duration } from '../duration.js';
import { ConfigError } from '../errors.js';
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
  /** Extra environment for this command. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Interpreter for string commands; defaults to the pipeline's `defaults.shell`. */
  readonly shell?: string | undefined;
}

const nonEmpty = z.string().refine((value) => value.trim() !== '', { message: 'must not be empty' });

const commandTaskSchema = z.strictObject({
  type: nonEmpty.optional(),
  name: nonEmpty,
  command: z.union([nonEmpty, z.array(z.string()).min(1, { message: 'an argv array needs at least the program' })]),
  critical: z.boolean().optional(),
  timeout: z.custom<Duration>().refine((value) => durationToMs(value) !== undefined, {
    error: (issue) => `expected a positive number of seconds or a duration like "90s", received ${describeValue(issue.input)}`,
  }).optional(),
  cwd: nonEmpty.optional(),
  env: z.record(z.string(), z.string()).optional(),
  shell: nonEmpty.optional(),
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
  const parsed = commandTaskSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error.issues), { subject: 'commandTask options' });
  const { type = 'command', name, command, critical = true, timeout, cwd, env, shell } = parsed.data;
  return {
    type,
    name,
    critical,
    timeout,
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
