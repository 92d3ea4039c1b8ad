import { Writable } from 'node:stream';
import { resolvePipelineOptions } from '../config.js';
import type { ConfigIssue } from '../errors.js';
import { ShellExecutor } from '../executor/shell-executor.js';
import type { JobEvents } from '../events.js';
import { EXIT, exitCodeFor, signalExitCode, type CancelSignal } from './exit-codes.js';
import { buildJob, type BuildJobOptions, type BuiltJob } from './job.js';
import { LiveView, type Terminal } from './live.js';
import { loadConfigFile } from './load.js';
import { formatPlan } from './plan.js';
import { JsonView, PlainView, QuietView } from './plain.js';
import { configJsonSchema } from './schema.js';
import { configWarnings, formatWarnings } from './warnings.js';
import type { RunView, TextSink } from './view.js';

/** What a command reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly stdout: Terminal & { readonly isTTY?: boolean | undefined };
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Signals in and out, so `run` can be driven without a real process. */
export interface SignalHost {
  on(signal: CancelSignal, listener: () => void): unknown;
  off(signal: CancelSignal, listener: () => void): unknown;
  /** Ends the process now (the second signal). */
  exit(code: number): never;
}

/** `jobhooks: invalid config job.json (2 problems):` and one line per problem. */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => `  - ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
  return `jobhooks: invalid config ${file} (${count}); nothing was run:\n${lines.join('\n')}\n`;
}

/** Reads, validates and builds a config file, or prints why not and returns the exit code. */
async function load(file: string, io: CliIo, options: Omit<BuildJobOptions, 'env'> = {}): Promise<BuiltJob | number> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    io.stderr.write(`jobhooks: ${loaded.message}\n`);
    return EXIT.usage;
  }
  const built = buildJob(loaded.value, { ...options, env: io.env });
  if (!built.ok) {
    io.stderr.write(formatIssues(file, built.issues));
    return EXIT.usage;
  }
  // Said before anything runs; a warning never stops the job (docs/cli.md).
  const warnings = configWarnings(loaded.value as Readonly<Record<string, unknown>>, io.env);
  if (warnings.length > 0) io.stderr.write(formatWarnings(warnings));
  return built.job;
}

/** `jobhooks validate <config>`: builds everything, runs nothing. */
export async function validateCommand(file: string, io: CliIo): Promise<number> {
  const job = await load(file, io);
  if (typeof job === 'number') return job;
  const o = resolvePipelineOptions(job.options);
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  io.stdout.write(
    `${file} is valid: ${count(o.preHooks.length, 'pre-hook')}, ${count(o.tasks.length, 'task')}, ${count(o.postHooks.length, 'post-hook')}, ${count(o.notifiers.length, 'notifier')}\n`,
  );
  return EXIT.completed;
}

/** `jobhooks plan <config>`: the tasks that would run, in order; runs nothing. */
export async function planCommand(file: string, io: CliIo): Promise<number> {
  const job = await load(file, io);
  if (typeof job === 'number') return job;
  io.stdout.write(`${formatPlan(resolvePipelineOptions(job.options), file)}\n`);
  return EXIT.completed;
}

/** `jobhooks schema`: the config file's JSON Schema. */
export function schemaCommand(io: CliIo): number {
  io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return EXIT.completed;
}

/** How `run` prints. */
export type RunMode = 'auto' | 'json' | 'quiet';

/**
 * `jobhooks run <config>`: runs the job and returns its exit code. The first SIGINT/SIGTERM
 * cancels gracefully (cleanup hooks and the notification still run); a second one kills every
 * process the job started and exits at once.
 */
export async function runCommand(file: string, mode: RunMode, io: CliIo, signals: SignalHost): Promise<number> {
  const view: RunView =
    mode === 'json'
      ? new JsonView(io.stdout, io.stderr)
      : mode === 'quiet'
        ? new QuietView(io.stdout, io.stderr)
        : io.stdout.isTTY === true && io.env['TERM'] !== 'dumb'
          ? new LiveView(io.stdout, io.stderr)
          : new PlainView(io.stdout, io.stderr);
  const executor = new ShellExecutor();
  // Console notifiers print through the view, so their text neither breaks the live frame nor the JSON.
  const consoleStream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      view.consoleText(String(chunk));
      callback();
    },
  });
  const job = await load(file, io, { executor, consoleStream });
  if (typeof job === 'number') return job;
  const { pipeline } = job;

  const controller = new AbortController();
  let cancelledBy: CancelSignal | undefined;
  const onSignal = (signal: CancelSignal): void => {
    if (cancelledBy === undefined) {
      cancelledBy = signal;
      view.notice(
        `jobhooks: received ${signal}: cancelling the job; cleanup post-hooks and the notification still run. Send ${signal} again to kill everything now.`,
      );
      controller.abort();
      return;
    }
    executor.killAll();
    view.close();
    io.stderr.write(`jobhooks: received ${signal} again: killed every process of the job.\n`);
    signals.exit(signalExitCode(signal));
  };
  // A closed terminal or a dropped ssh session must not leave services stopped: cancel as for SIGTERM.
  const onSighup = (): void => onSignal('SIGHUP');
  const onSigint = (): void => onSignal('SIGINT');
  const onSigterm = (): void => onSignal('SIGTERM');

  let notificationPrinted = false;
  const onSent = ({ notifier }: JobEvents['notificationSent'][0]): void => {
    if (job.consoleNotifiers.includes(notifier)) notificationPrinted = true;
  };

  signals.on('SIGHUP', onSighup);
  signals.on('SIGINT', onSigint);
  signals.on('SIGTERM', onSigterm);
  pipeline.on('notificationSent', onSent);
  view.attach(pipeline);
  try {
    const result = await pipeline.run({ signal: controller.signal });
    view.finish(result, notificationPrinted);
    return exitCodeFor(result.status, cancelledBy);
  } finally {
    view.close();
    pipeline.off('notificationSent', onSent);
    signals.off('SIGHUP', onSighup);
    signals.off('SIGINT', onSigint);
    signals.off('SIGTERM', onSigterm);
  }
}
