import { config as zodConfig } from 'zod';
import { resolvePipelineOptions, type JobPipelineOptions } from '../config.js';
import type { TextWritable } from '../notify/notifiers/console.js';
import { formatIssueLine, type ConfigIssue } from '../errors.js';
import { printable } from '../printable.js';
import { removeScriptDirsSync } from '../executor/script-file.js';
import { ShellExecutor } from '../executor/shell-executor.js';
import { ConfigError, JobHooksError, ErrorCode } from '../errors.js';
import { DAMAGED_RUN_WARNING, JobPipeline } from '../pipeline/pipeline.js';
import type { PlannedTask } from '../pipeline/plan.js';
import { resolveRehearsal, type RehearseOptions } from '../pipeline/rehearsal.js';
import type { JobResult, TaskResult } from '../types.js';
import { CANCEL_SIGNALS, EXIT, exitCodeFor, signalExitCode, type CancelSignal } from './exit-codes.js';
import { buildJob, type BuildJobOptions, type BuiltJob } from './job.js';
import type { Terminal } from './live.js';
import { loadConfigFile } from './load.js';
import { formatPlan } from './plan.js';
import { configJsonSchema } from './schema.js';
import { notificationFailuresOf, recoveredText, subscribe, type EventSource, type Listeners, type TextSink } from './view.js';
import { configWarnings, formatWarnings } from './warnings.js';
import { keyDirectory, readHistory, readHistoryWithTasks, type HistoryEntry, type JournalLocation } from '../journal/index.js';
import { writeFile } from 'node:fs/promises';
import { historyReport } from './report.js';
import { formatHistory, historyJson, localDateTime } from './history.js';
import type { JournalFlags, RehearseFlags } from './args.js';
import { journalKey, stateDirectory } from './state-dir.js';
import { openRunOutput, type LogFlags } from './run-views.js';

// zod compiles a fast parser per object schema on its first use: worth it for a process that validates
// many configs, not for a CLI that validates one and exits (docs/performance.md, "CLI start-up").
zodConfig({ jitless: true });

/** Where console notifiers write in a command: each text goes to `write` (see {@link TextWritable}). */
function textSink(write: (text: string) => void): TextWritable {
  return {
    write(text, callback) {
      write(text);
      callback();
    },
  };
}

/** What a command reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly stdout: Terminal & { readonly isTTY?: boolean | undefined };
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are read against. @default process.cwd() */
  readonly cwd?: string | undefined;
  /** The effective user id, for the default state directory. @default process.getuid?.() */
  readonly uid?: number | undefined;
}

/** Where the journal of `file` is (docs/cli.md, "The state directory"), or the exit code after saying why not. */
async function journalLocation(file: string, stateDir: string | undefined, io: CliIo): Promise<{ dir: string; key: string } | number> {
  const cwd = io.cwd ?? process.cwd();
  try {
    return { dir: stateDirectory(stateDir, { env: io.env, uid: 'uid' in io ? io.uid : process.getuid?.(), cwd }), key: await journalKey(file, cwd) };
  } catch (error) {
    io.stderr.write(`jobhooks: cannot read ${file}: ${osReason(error)}\n`);
    return EXIT.usage;
  }
}

/**
 * `permission denied (EACCES)`: an operating system error's reason, from its `code` and its message
 * without the `code: ` before and the `, syscall 'path'` after.
 */
export function osReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code === undefined) return error.message;
  let text = error.message.startsWith(`${code}: `) ? error.message.slice(code.length + 2) : error.message;
  if (syscall !== undefined && text.includes(`, ${syscall}`)) text = text.slice(0, text.lastIndexOf(`, ${syscall}`));
  return `${text} (${code})`;
}

/**
 * `jobhooks history <config>`: the past runs of the config file, newest first; `--json`: as an array;
 * `--html FILE`: as a page (docs/observability.md).
 */
export async function historyCommand(
  file: string,
  options: { stateDir: string | undefined; json: boolean; limit: number | undefined; html?: string | undefined },
  io: CliIo,
): Promise<number> {
  const location = await journalLocation(file, options.stateDir, io);
  if (typeof location === 'number') return location;
  try {
    if (options.html !== undefined) return await writeHistoryReport(file, location, options.html, options.limit, io);
    return printHistory(file, location, await readHistory(location, options.limit === undefined ? {} : { limit: options.limit }), options.json, io);
  } catch (error) {
    // The journal of another user (run history without sudo), or a state directory that is a file.
    const failed = error as NodeJS.ErrnoException | undefined;
    if (typeof failed?.syscall !== 'string') throw error;
    const path = failed.path ?? keyDirectory(location);
    io.stderr.write(`jobhooks: cannot read the journal: ${path}: ${osReason(error)}\n`);
    return EXIT.cantRead;
  }
}

function printHistory(file: string, location: JournalLocation, entries: readonly HistoryEntry[], json: boolean, io: CliIo): number {
  if (json) io.stdout.write(`${JSON.stringify(entries.map(historyJson), null, 2)}\n`);
  else if (entries.length === 0) io.stdout.write(`No run of ${file} is recorded in ${location.dir}.\n`);
  else io.stdout.write(formatHistory(entries));
  return EXIT.completed;
}

/** `history --html FILE`: writes the page, says where; exit 73 when it cannot be written. */
async function writeHistoryReport(file: string, location: JournalLocation, path: string, limit: number | undefined, io: CliIo): Promise<number> {
  const entries = await readHistoryWithTasks(location, limit === undefined ? {} : { limit });
  try {
    await writeFile(path, historyReport(file, entries, new Date()));
  } catch (error) {
    io.stderr.write(`jobhooks: cannot write ${path}: ${osReason(error)}\n`);
    return EXIT.cantCreate;
  }
  io.stdout.write(`Wrote ${path}: ${entries.length} run${entries.length === 1 ? '' : 's'} of ${file}.\n`);
  return EXIT.completed;
}

/** Signals in and out, so `run` can be driven without a real process. */
export interface SignalHost {
  on(signal: CancelSignal, listener: () => void): unknown;
  off(signal: CancelSignal, listener: () => void): unknown;
  /** Ends the process now (the second signal). */
  exit(code: number): never;
}

/**
 * The most problems printed: a file that is not a jobhooks config at all (another program's 80,000-key
 * JSON) would otherwise fill the terminal or cron's mail with one line per key.
 */
const MAX_PRINTED_ISSUES = 100;

/** `jobhooks: invalid config job.json (2 problems):` and one line per problem, the first {@link MAX_PRINTED_ISSUES} of them. */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.slice(0, MAX_PRINTED_ISSUES).map(formatIssueLine);
  const rest = issues.length - lines.length;
  if (rest > 0) lines.push(`  … and ${rest} more (the first ${MAX_PRINTED_ISSUES} are above)`);
  return `jobhooks: invalid config ${file} (${count}); nothing was run:\n${lines.join('\n')}\n`;
}

/**
 * Reads, validates and builds a config file, or prints why not and returns the exit code. `journal`:
 * where the file's journal is, worked out once the file was read (so a file that cannot be read is
 * said as such) and made part of the one pipeline built. The config's warnings go to `warn`
 * (standard error unless `run`'s view says them).
 */
async function load(
  file: string,
  io: CliIo,
  options: Omit<BuildJobOptions, 'env' | 'pipeline'> = {},
  journal?: { readonly stateDir: string | undefined; readonly lockWait?: JobPipelineOptions['lockWait'] },
  warn: (text: string) => void = (text) => io.stderr.write(text),
): Promise<BuiltJob | number> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    io.stderr.write(`jobhooks: ${printable(loaded.message)}\n`);
    return EXIT.usage;
  }
  let pipeline: BuildJobOptions['pipeline'];
  if (journal !== undefined) {
    const location = await journalLocation(file, journal.stateDir, io);
    if (typeof location === 'number') return location;
    pipeline = { journal: location, ...(journal.lockWait === undefined ? {} : { lockWait: journal.lockWait }) };
  }
  const built = buildJob(loaded.value, { ...options, pipeline, env: io.env });
  if (!built.ok) {
    io.stderr.write(formatIssues(file, built.issues));
    return EXIT.usage;
  }
  // Said before anything runs; a warning never stops the job (docs/cli.md).
  const warnings = configWarnings(loaded.value as Readonly<Record<string, unknown>>, io.env);
  if (warnings.length > 0) warn(formatWarnings(warnings));
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
 * `jobhooks run <config>`: runs the job and returns its exit code. The first SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT cancels gracefully (cleanup hooks and the notification still run); a second
 * one kills every process the job started, says which cleanup it abandoned, and exits at once.
 */
export async function runCommand(
  file: string,
  mode: RunMode,
  io: CliIo,
  signals: SignalHost,
  flags: JournalFlags & Partial<LogFlags> = { stateDir: undefined, journal: true, wait: undefined },
  rehearsal?: RehearseFlags,
): Promise<number> {
  const output = await openRunOutput(mode, flags, io, osReason);
  if (typeof output === 'number') return output;
  const { view } = output;
  const executor = new ShellExecutor();
  // Console notifiers print through the view, so their text neither breaks the live frame nor the JSON.
  const consoleStream = textSink((text) => view.consoleText(text));
  // The file's options plus the journal (docs/cli.md, "The state directory").
  const journal = flags.journal ? { stateDir: flags.stateDir, lockWait: flags.wait } : undefined;
  const loaded = await load(file, io, { executor, consoleStream }, journal, (text) => view.configWarnings(text));
  if (typeof loaded === 'number') return loaded;
  // A rehearsal pages nobody unless asked (docs/cli.md, "Rehearse your failure path").
  const job = rehearsal === undefined || rehearsal.notify ? loaded : consoleOnly(loaded, executor);
  const journalDir = job.options.journal?.dir;
  const { pipeline } = job;
  let rehearse: RehearseOptions | undefined;
  if (rehearsal !== undefined) {
    const plan = pipeline.plan();
    rehearse = { task: rehearsedTask(plan, rehearsal.task), outcome: rehearsal.outcome };
    let name: string;
    try {
      // The pipeline's own check, said before the header: nothing runs.
      name = resolveRehearsal(plan, rehearse).task;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The command line numbers tasks as "jobhooks plan" prints them, from 1.
      const task = rehearse.task;
      const named = plan.filter((planned) => planned.name === task);
      const why =
        typeof task === 'number' && task >= plan.length
          ? `no task has number ${rehearsal.task} in "jobhooks plan" (1 to ${plan.length})`
          : named.length > 1
            ? `${named.length} tasks are named "${task}" (numbers ${named.map((planned) => planned.index + 1).join(', ')} in "jobhooks plan"): give the number`
            : error.issues.map((issue) => issue.message).join('; ');
      io.stderr.write(`jobhooks: cannot rehearse ${file}: ${why}\n`);
      return EXIT.usage;
    }
    // The first line of the output: nobody must take what follows for a real run.
    const header = rehearsalHeader(file, { ...rehearsal, task: name }, loaded.options.notifiers?.length ?? 0, job.options.notifiers?.length ?? 0);
    // Standard output that holds JSON holds nothing else (docs/observability.md#structured-logs).
    (mode === 'json' || flags.logFormat === 'json' ? io.stderr : io.stdout).write(header);
  }

  const controller = new AbortController();
  // What has not finished yet, and the pre-hooks that started, for the second signal to say what it abandons.
  const unfinished = new Map<number, TaskResult>();
  const startedPreHooks = new Set<string>();
  // Until when each task waits before its next attempt (taskRetry), to tell a wait from a running command.
  const retryAt = new Map<number, number>();
  let cancelledBy: CancelSignal | undefined;
  // Whether the job began (its lock taken): before, a signal only ends the wait, said once below.
  let jobStarted = false;
  // Whether its notification, the last task, has started.
  let notifying = false;
  const onSignal = (signal: CancelSignal): void => {
    if (cancelledBy === undefined) {
      cancelledBy = signal;
      if (notifying) {
        // Every task has ended: nothing is left to cancel, and the notification says how they went.
        view.notice(`jobhooks: received ${signal}: the job's tasks have ended; its notification is being sent. Send ${signal} again to stop now.`);
      } else if (jobStarted) {
        view.notice(
          `jobhooks: received ${signal}: cancelling the job; cleanup post-hooks and the notification still run. Send ${signal} again to kill everything now.`,
        );
      }
      controller.abort();
      return;
    }
    executor.killAll();
    // The killed commands will not remove their private script directories: the process exits now.
    removeScriptDirsSync();
    view.close();
    io.stderr.write(`jobhooks: received ${signal} again: killed every process of the job.\n`);
    const now = Date.now();
    const waiting = new Set([...retryAt].flatMap(([index, at]) => (at > now ? [index] : [])));
    const abandoned = abandonedText([...unfinished.values()], pipeline.plan(), startedPreHooks, waiting);
    if (abandoned !== '') io.stderr.write(`jobhooks: ${abandoned}\n`);
    signals.exit(signalExitCode(signal));
  };
  const listeners = CANCEL_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);

  let notificationPrinted = false;
  const tracking: Listeners = {
    jobStart: ({ tasks }) => {
      jobStarted = true;
      for (const task of tasks) unfinished.set(task.index, task);
    },
    taskStart: ({ task }) => {
      unfinished.set(task.index, task);
      if (task.phase === 'pre') startedPreHooks.add(task.name);
      if (task.phase === 'notification') notifying = true;
    },
    taskRetry: ({ taskIndex, delayMs }) => {
      retryAt.set(taskIndex, Date.now() + delayMs);
    },
    taskEnd: ({ task }) => {
      unfinished.delete(task.index);
    },
    notificationSent: ({ notifier }) => {
      if (job.consoleNotifiers.includes(notifier)) notificationPrinted = true;
    },
  };

  // A rehearsal that pages nobody still recovers a real run whose jobhooks died, and that recovery is
  // real: it runs first, through the job with all its notifiers, so its "Interrupted" alert is sent.
  const recoversFirst = job !== loaded && job.options.journal !== undefined;
  for (const [signal, listener] of listeners) signals.on(signal, listener);
  const untrack = subscribe(pipeline, tracking);
  view.attach(recoversFirst ? bothOf(loaded.pipeline, pipeline) : pipeline);
  try {
    let result: JobResult;
    try {
      if (recoversFirst) await loaded.pipeline.recover();
      result = await pipeline.run({ signal: controller.signal, ...(rehearse === undefined ? {} : { rehearse }) });
    } catch (error) {
      // A signal while --wait waited for the running one: nothing ran; exit as for any signal (docs/cli.md).
      if (cancelledBy !== undefined && error === controller.signal.reason) {
        view.close();
        io.stderr.write(`jobhooks: ${file} was not started: ${cancelledBy} came while it waited for the run before it\n`);
        return signalExitCode(cancelledBy);
      }
      const refused = refusal(error, file, journalDir);
      if (refused === undefined) throw error;
      view.close();
      io.stderr.write(refused.line);
      return refused.code;
    }
    // Cancelled with no signal and no rehearsed Ctrl-C: the job's own deadline did it. Said as a signal's
    // cancellation is, since the notification may only say "cancelled" (docs/cli.md, "Exit codes").
    if (result.status === 'cancelled' && cancelledBy === undefined && rehearse?.outcome !== 'cancel') {
      const deadline = resolvePipelineOptions(job.options).maxRunTime;
      if (deadline !== null) view.notice(`jobhooks: the job exceeded its maxRunTime (${deadline.text}) and was cancelled; its cleanup post-hooks and the notification ran.`);
    }
    // The rules skipped the rehearsed task before it would start: nothing was injected (docs/cli.md).
    const target = result.rehearsal == null ? undefined : result.tasks[result.rehearsal.index];
    if (target?.status === 'skipped') view.notice(`jobhooks: "${target.name}" did not start (${target.skipReason ?? 'skipped'}): nothing was rehearsed.`);
    // From the notification task's data: job-start ping failures are the views' to say (plain.ts).
    view.finish(result, { notificationPrinted, notificationFailures: notificationFailuresOf(result) });
    // A rehearsed cancellation exits as the Ctrl-C it rehearses (docs/cli.md).
    return exitCodeFor(result.status, cancelledBy ?? (rehearse?.outcome === 'cancel' ? 'SIGINT' : undefined));
  } finally {
    view.close();
    untrack();
    for (const [signal, listener] of listeners) signals.off(signal, listener);
    await output.settled();
  }
}

/** The events of two pipelines as one source. */
function bothOf(first: EventSource, second: EventSource): EventSource {
  return {
    on: (event, listener) => (first.on(event, listener), second.on(event, listener)),
    off: (event, listener) => (first.off(event, listener), second.off(event, listener)),
  };
}

/** The job with only its `console` notifiers: a rehearsal without `--notify`. */
function consoleOnly(job: BuiltJob, executor: ShellExecutor): BuiltJob {
  const notifiers = (job.options.notifiers ?? []).filter((notifier) => job.consoleNotifiers.includes(notifier.name));
  const options = { ...job.options, notifiers };
  return { ...job, options, pipeline: new JobPipeline({ ...options, executor }) };
}

/**
 * The task `rehearse` names, for `run({ rehearse })`: a task's name; else a whole number is its
 * number in `jobhooks plan` (1-based, so index + 1). The pipeline says when it names no task.
 */
export function rehearsedTask(plan: readonly { readonly name: string }[], text: string): string | number {
  if (plan.some((task) => task.name === text) || !/^[1-9]\d{0,5}$/.test(text)) return text;
  return Number(text) - 1;
}

/**
 * The first lines of a rehearsal's output (docs/cli.md): `REHEARSAL — …`, what is injected, and where
 * notifications go.
 */
export function rehearsalHeader(file: string, rehearsal: RehearseFlags, allNotifiers: number, kept: number): string {
  const what = { fail: 'fails without running', timeout: 'times out without running', cancel: 'is cancelled as it would start (as Ctrl-C)' }[rehearsal.outcome];
  const dropped = allNotifiers - kept;
  const notify = rehearsal.notify
    ? 'notifications go to every notifier (--notify), titled [Rehearsal]'
    : dropped === 0
      ? 'notifications go to console notifiers only'
      : `notifications go to console notifiers only (${dropped} other${dropped === 1 ? '' : 's'} not sent; --notify sends them)`;
  return `REHEARSAL of ${file} — not a real run: task "${rehearsal.task}" ${what}; every other task runs for real; ${notify}\n`;
}

/**
 * What `run` says and exits with when the journal refuses to start the job (nothing ran):
 * 73 when it cannot be written, 75 when the job is already running (docs/cli.md, "Exit codes").
 */
function refusal(error: unknown, file: string, dir: string | undefined): { readonly code: number; readonly line: string } | undefined {
  if (!(error instanceof JobHooksError)) return undefined;
  if (error.code === ErrorCode.JOURNAL) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    const path = typeof cause?.path === 'string' ? cause.path : undefined;
    const reason = cause === undefined ? error.message : osReason(cause);
    return { code: EXIT.cantCreate, line: `jobhooks: cannot write the journal: ${path ?? dir ?? 'the state directory'}: ${reason}\n` };
  }
  if (error.code === ErrorCode.ALREADY_RUNNING) {
    const owner = (error as { readonly owner?: { readonly pid: number; readonly startedAt: string } }).owner;
    if (owner === undefined) return undefined;
    // A lock that does not say when its run started (an older or a damaged one) says no date, not NaN.
    const started = new Date(owner.startedAt);
    const since = Number.isNaN(started.getTime()) ? '' : ` since ${localDateTime(started)}`;
    return { code: EXIT.alreadyRunning, line: `jobhooks: ${file} is already running (pid ${owner.pid}${since}); not started\n` };
  }
  return undefined;
}

/**
 * `jobhooks recover <config>`: only the recovery of runs of the config whose jobhooks died — their
 * cleanup and the "Interrupted" notification (docs/when-jobhooks-dies.md). Exit 0 when there was
 * nothing to do or every cleanup succeeded, 2 when a cleanup failed.
 */
export async function recoverCommand(file: string, stateDir: string | undefined, io: CliIo): Promise<number> {
  // Whether a console notifier printed the recovery's message since the last one was said.
  let consolePrinted = false;
  const consoleStream = textSink((text) => {
    consolePrinted = true;
    io.stdout.write(text);
  });
  const built = await load(file, io, { consoleStream }, { stateDir });
  if (typeof built === 'number') return built;
  let recovered: JobResult[];
  // A damaged unfinished run cannot be recovered: said, and not "nothing to recover".
  let damaged = false;
  built.pipeline.on('journalWarning', ({ message }) => {
    if (message.startsWith(DAMAGED_RUN_WARNING)) damaged = true;
    io.stderr.write(`${message}\n`);
  });
  try {
    recovered = await built.pipeline.recover();
  } catch (error) {
    const refused = refusal(error, file, built.options.journal?.dir);
    if (refused === undefined) throw error;
    io.stderr.write(refused.line);
    return refused.code;
  }
  if (recovered.length === 0 && !damaged) {
    io.stdout.write(`Nothing to recover: no run of ${file} was left unfinished by a jobhooks that died.\n`);
    return EXIT.completed;
  }
  // Said after all of them ran: only the notifier failures are left to say when a console notifier printed.
  for (const result of recovered) io.stdout.write(recoveredText(result, consolePrinted));
  return damaged || recovered.some(cleanupFailed) ? EXIT.failed : EXIT.completed;
}

/** A cleanup the recovery ran failed (the notification is not a cleanup). */
function cleanupFailed(result: JobResult): boolean {
  return result.tasks.some((task) => task.status === 'failed' && task.phase !== 'notification');
}

/**
 * `cleanup not run: Restart Services, Remove Dump (killed while running); notification not sent`:
 * what a second signal abandons — the post-hooks that run after a failure (`runOnJobFailure`, and
 * paired cleanups whose pre-hook started) and the notification, not yet finished. A started cleanup
 * in `waiting` was between two attempts: `(waiting to retry)`. Empty when nothing was left.
 */
export function abandonedText(unfinished: readonly TaskResult[], plan: readonly PlannedTask[], startedPreHooks: ReadonlySet<string>, waiting: ReadonlySet<number> = new Set()): string {
  const pairedWithStarted = (task: TaskResult): boolean => {
    const undoes = plan[task.index]?.cleanupFor;
    return undoes !== undefined && undoes !== null && startedPreHooks.has(undoes);
  };
  const cleanup = unfinished
    .filter((task) => task.phase === 'post' && (task.runOnJobFailure || pairedWithStarted(task)))
    .map((task) => (task.status !== 'running' ? task.name : waiting.has(task.index) ? `${task.name} (waiting to retry)` : `${task.name} (killed while running)`));
  const clauses: string[] = [];
  if (cleanup.length > 0) clauses.push(`cleanup not run: ${cleanup.join(', ')}`);
  if (unfinished.some((task) => task.phase === 'notification')) clauses.push('notification not sent');
  return clauses.join('; ');
}
