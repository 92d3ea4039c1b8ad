import { parseArgs } from 'node:util';
import { EventEmitter } from 'eventemitter3';
import { durationProblem, durationToMs } from '../duration.js';
import { ConfigError } from '../errors.js';
import type { JobEvents } from '../events.js';
import { suggest } from '../suggest.js';
import type { CliIo, SignalHost } from './commands.js';
import { formatIssues } from './commands.js';
import { CANCEL_SIGNALS, EXIT, exitCodeFor, signalExitCode, type CancelSignal } from './exit-codes.js';
import { LiveView } from './live.js';
import { loadConfigFile } from './load.js';
import { PlainView } from './plain.js';
import { notificationFailuresOf, type EventSource } from './view.js';

/** The commands that run jobhooks on a BullMQ queue (docs/distributed.md). */
export const QUEUE_COMMANDS = ['worker', 'enqueue', 'schedule', 'unschedule'] as const;
type QueueCommandName = (typeof QUEUE_COMMANDS)[number];

/** Where the queue is: `--redis URL` or `--postgres URL`, and `--queue NAME`. */
export interface QueueFlags {
  readonly connection: { readonly redis: string } | { readonly postgres: string };
  readonly queue: string;
}

/** What a queue command line asks for. */
export type QueueCommand =
  | ({ readonly kind: 'worker'; readonly concurrency: number; readonly stateDir: string | undefined } & QueueFlags)
  | ({ readonly kind: 'enqueue'; readonly file: string; readonly wait: boolean; readonly jobId: string | undefined; readonly delayMs: number | undefined; readonly priority: number | undefined } & QueueFlags)
  | ({ readonly kind: 'schedule'; readonly file: string; readonly cron: string; readonly id: string } & QueueFlags)
  | ({ readonly kind: 'unschedule'; readonly id: string } & QueueFlags);

const OPTIONS = {
  redis: { type: 'string' },
  postgres: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  'state-dir': { type: 'string' },
  wait: { type: 'boolean' },
  'job-id': { type: 'string' },
  delay: { type: 'string' },
  priority: { type: 'string' },
  cron: { type: 'string' },
  id: { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;

/** The options each queue command takes besides --redis, --postgres and --queue. */
const OWN_OPTIONS: Readonly<Record<QueueCommandName, readonly OptionName[]>> = {
  worker: ['concurrency', 'state-dir'],
  enqueue: ['wait', 'job-id', 'delay', 'priority'],
  schedule: ['cron', 'id'],
  unschedule: ['id'],
};

type UsageError = { readonly kind: 'usage-error'; readonly message: string };
const usage = (message: string): UsageError => ({ kind: 'usage-error', message });

/**
 * Reads a queue command line (`worker`, `enqueue`, `schedule`, `unschedule`), or `undefined` when
 * the command is another one. Never throws: a mistake is a usage error with a did-you-mean.
 */
export function parseQueueCommandLine(argv: readonly string[]): QueueCommand | UsageError | undefined {
  const { tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: OPTIONS });
  const first = tokens.find((token) => token.kind === 'positional');
  const command = first?.kind === 'positional' ? first.value : undefined;
  if (!(QUEUE_COMMANDS as readonly string[]).includes(command ?? '')) return undefined;
  const name = command as QueueCommandName;
  const allowed: readonly string[] = ['redis', 'postgres', 'queue', ...OWN_OPTIONS[name], 'help'];
  for (const token of tokens) {
    if (token.kind !== 'option' || allowed.includes(token.name)) continue;
    const hint = token.rawName.startsWith('--') ? suggest(token.name, allowed.filter((option) => option !== 'help')) : undefined;
    return usage(`"${name}" has no option "${token.rawName}"${hint === undefined ? '' : ` (did you mean "--${hint}"?)`}`);
  }
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { ...OPTIONS, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return usage(error instanceof Error ? (error.message.split('. To specify a positional')[0] ?? error.message) : String(error));
  }
  const rest = positionals.slice(1);
  const redis = values.redis;
  const postgres = values.postgres;
  if ((redis === undefined) === (postgres === undefined)) return usage(`"${name}" needs exactly one of --redis <url> or --postgres <url>`);
  const connection = redis === undefined ? { postgres: postgres ?? '' } : { redis };
  const queue = values.queue;
  if (queue === undefined || queue.trim() === '') return usage(`"${name}" needs --queue <name>`);
  const target = { connection, queue };
  const needsFile = name === 'enqueue' || name === 'schedule';
  const [file, ...extra] = rest;
  if (needsFile && file === undefined) return usage(`"${name}" needs a config file: jobhooks ${name} <config> …`);
  if (rest.length > (needsFile ? 1 : 0)) return usage(`"${name}" takes ${needsFile ? 'one config file' : 'no argument'}, received also "${(needsFile ? extra : rest).join(' ')}"`);
  switch (name) {
    case 'worker': {
      const concurrency = values.concurrency === undefined ? 1 : /^[1-9]\d{0,3}$/.test(values.concurrency) ? Number(values.concurrency) : null;
      if (concurrency === null) return usage(`--concurrency expects a whole number of jobs, at least 1, received "${values.concurrency ?? ''}"`);
      if (values['state-dir'] === '') return usage('--state-dir needs a directory');
      return { kind: 'worker', ...target, concurrency, stateDir: values['state-dir'] };
    }
    case 'enqueue': {
      let delayMs: number | undefined;
      if (values.delay !== undefined) {
        const delay = /^\s*\d+(?:\.\d+)?\s*$/.test(values.delay) ? Number(values.delay) : values.delay;
        const problem = durationProblem(delay);
        if (problem !== undefined) return usage(`--delay ${problem}`);
        delayMs = durationToMs(delay);
      }
      const priority = values.priority === undefined ? undefined : /^[1-9]\d{0,6}$/.test(values.priority) ? Number(values.priority) : null;
      if (priority === null) return usage(`--priority expects a whole number, 1 (the highest) or more, received "${values.priority ?? ''}"`);
      if (values['job-id'] === '') return usage('--job-id needs an id');
      return { kind: 'enqueue', ...target, file: file ?? '', wait: values.wait === true, jobId: values['job-id'], delayMs, priority };
    }
    case 'schedule':
      if (values.cron === undefined || values.cron.trim() === '') return usage('"schedule" needs --cron <expression>');
      if (values.id === undefined || values.id === '') return usage('"schedule" needs --id <id>');
      return { kind: 'schedule', ...target, file: file ?? '', cron: values.cron, id: values.id };
    case 'unschedule':
      if (values.id === undefined || values.id === '') return usage('"unschedule" needs --id <id>');
      return { kind: 'unschedule', ...target, id: values.id };
  }
}

type BullmqModule = typeof import('../bullmq/index.js');

/** jobhooks/bullmq, loaded only for the queue commands: `bullmq` is an optional peer dependency. */
async function loadBullmq(io: CliIo): Promise<BullmqModule | undefined> {
  try {
    return await import('../bullmq/index.js');
  } catch (error) {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(error instanceof Error ? error.message : '')?.[1];
    if (missing === undefined || !['bullmq', 'ioredis', 'pg'].includes(missing)) throw error;
    io.stderr.write(`jobhooks: the queue commands need the ${missing} package: npm install bullmq ioredis (or pg for PostgreSQL)\n`);
    return undefined;
  }
}

/** Runs a queue command (docs/distributed.md) and returns the exit code. */
export async function queueCommand(command: QueueCommand, io: CliIo, signals: SignalHost): Promise<number> {
  const bullmq = await loadBullmq(io);
  if (bullmq === undefined) return EXIT.unavailable;
  const target = { connection: command.connection, queue: command.queue };
  switch (command.kind) {
    case 'worker':
      return workerCommand(bullmq, command, io, signals);
    case 'unschedule': {
      const removed = await bullmq.unschedule(target, command.id);
      io.stdout.write(removed ? `Removed schedule ${command.id}.\n` : `No schedule ${command.id} on queue ${command.queue}.\n`);
      return EXIT.completed;
    }
    case 'enqueue':
    case 'schedule': {
      const loaded = await loadConfigFile(command.file);
      if (!loaded.ok) {
        io.stderr.write(`jobhooks: ${loaded.message}\n`);
        return EXIT.usage;
      }
      try {
        if (command.kind === 'schedule') {
          await bullmq.schedule(target, command.id, command.cron, loaded.value, { env: io.env });
          io.stdout.write(`Scheduled ${command.file} as ${command.id} on queue ${command.queue}: ${command.cron}\n`);
          return EXIT.completed;
        }
        const id = await bullmq.enqueue(target, loaded.value, {
          env: io.env,
          ...(command.jobId === undefined ? {} : { jobId: command.jobId }),
          ...(command.delayMs === undefined ? {} : { delay: command.delayMs }),
          ...(command.priority === undefined ? {} : { priority: command.priority }),
        });
        if (!command.wait) {
          io.stdout.write(`${id}\n`);
          return EXIT.completed;
        }
        return await waitForJob(bullmq, target, id, io);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.stderr.write(formatIssues(command.file, error.issues));
        return EXIT.usage;
      }
    }
  }
}

/** `enqueue --wait`: the job's live events through the same views as `run`, and its exit code. */
async function waitForJob(bullmq: BullmqModule, target: QueueFlags, id: string, io: CliIo): Promise<number> {
  const view = io.stdout.isTTY === true && io.env['TERM'] !== 'dumb' ? new LiveView(io.stdout, io.stderr) : new PlainView(io.stdout, io.stderr);
  const source = new EventEmitter();
  view.attach(source as unknown as EventSource);
  try {
    for await (const { name, event } of bullmq.watch(target, id)) {
      if (name === 'jobEnd') {
        const result = event.result;
        view.finish(result, { notificationPrinted: false, notificationFailures: notificationFailuresOf(result) });
        return exitCodeFor(result.status, undefined);
      }
      source.emit(name, event as JobEvents[typeof name][0]);
    }
    return EXIT.internal;
  } finally {
    view.close();
  }
}

/**
 * `jobhooks worker`: takes jobs until the first SIGTERM/SIGINT/SIGHUP/SIGQUIT; then takes no new
 * one, cancels the running ones (their cleanups run, their results say `cancelled`), waits for them
 * and exits 0. A second signal exits at once (docs/distributed.md#stop-a-worker).
 */
async function workerCommand(bullmq: BullmqModule, command: Extract<QueueCommand, { kind: 'worker' }>, io: CliIo, signals: SignalHost): Promise<number> {
  const worker = await bullmq.createWorker({
    connection: command.connection,
    queue: command.queue,
    concurrency: command.concurrency,
    env: io.env,
    ...(command.stateDir === undefined ? {} : { stateDir: command.stateDir }),
  });
  for (const result of worker.recovered) io.stdout.write(`jobhooks worker: recovered job ${result.jobId} (${result.status}): its cleanup ran\n`);
  io.stdout.write(`jobhooks worker: taking jobs of queue ${command.queue} (concurrency ${command.concurrency})\n`);
  let stopping: CancelSignal | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: CancelSignal): void => {
      if (stopping !== undefined) {
        io.stderr.write(`jobhooks worker: received ${signal} again: exiting now; the running jobs stall and end interrupted\n`);
        signals.exit(signalExitCode(signal));
      }
      stopping = signal;
      io.stderr.write(`jobhooks worker: received ${signal}: taking no new job; cancelling the running ones (their cleanup runs). Send ${signal} again to exit now.\n`);
      void worker.close({ cancelRunning: true }).then(resolve);
    };
    for (const signal of CANCEL_SIGNALS) signals.on(signal, () => onSignal(signal));
  });
  await stopped;
  io.stdout.write('jobhooks worker: stopped\n');
  return EXIT.completed;
}
