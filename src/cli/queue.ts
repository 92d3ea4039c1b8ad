import { EventEmitter } from 'eventemitter3';
import { ConfigError, ErrorCode, JobHooksError } from '../errors.js';
import type { JobEvents } from '../events.js';
import type { CliIo, SignalHost } from './commands.js';
import { formatIssues } from './commands.js';
import { CANCEL_SIGNALS, EXIT, exitCodeFor, signalExitCode, type CancelSignal } from './exit-codes.js';
import { LiveView } from './live.js';
import { loadConfigFile } from './load.js';
import { PlainView } from './plain.js';
import { notificationFailuresOf, type EventSource } from './view.js';
import type { QueueCommand, QueueFlags } from './queue-args.js';
import type { QueueUnansweredError } from '../bullmq/index.js';

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
  try {
    return await queueCommandWith(bullmq, command, io, signals);
  } catch (error) {
    // What the user can mend is one line, not a bug report (docs/distributed.md).
    if (error instanceof TypeError && error.message.startsWith('connection')) {
      io.stderr.write(`jobhooks: --redis/--postgres: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof JobHooksError && error.code === ErrorCode.QUEUE_UNANSWERED && command.kind !== 'worker') {
      io.stderr.write(unansweredLine(command, (error as QueueUnansweredError).sent, error.cause));
      return EXIT.unanswered;
    }
    if (error instanceof JobHooksError && error.code === ErrorCode.QUEUE) {
      io.stderr.write(`jobhooks: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

/**
 * What `enqueue`, `schedule` and `unschedule` say when the server did not answer within `--server-timeout`
 * (exit 75, sysexits' EX_TEMPFAIL: try again later; docs/distributed.md).
 */
function unansweredLine(command: Exclude<QueueCommand, { kind: 'worker' }>, sent: boolean, cause: unknown): string {
  const seconds = secondsOf(command.timeoutMs);
  const why = cause instanceof Error ? ` (${cause.message.split('\n')[0] ?? ''})` : '';
  if (!sent) {
    const nothing = command.kind === 'enqueue' ? 'nothing was enqueued' : command.kind === 'schedule' ? 'nothing was scheduled' : 'nothing was removed';
    return `jobhooks: the queue server was not reached within ${seconds}${why}; ${nothing}\n`;
  }
  const maybe =
    command.kind === 'enqueue'
      ? command.jobId === undefined
        ? 'the job may have been enqueued'
        : `the job may have been enqueued (enqueueing it again with --job-id ${command.jobId} adds nothing if it was)`
      : command.kind === 'schedule'
        ? `schedule ${command.id} may have been made`
        : `schedule ${command.id} may have been removed`;
  // A server that went away under the request (PostgreSQL's pool says so at once) is not a timeout.
  const when = cause instanceof Error ? `went away before it answered${why}` : `did not answer within ${seconds}`;
  return `jobhooks: the queue server ${when}; ${maybe}\n`;
}

/** `--server-timeout` as it was given, in seconds: `2s`, `1.5s`. */
function secondsOf(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

async function queueCommandWith(bullmq: BullmqModule, command: QueueCommand, io: CliIo, signals: SignalHost): Promise<number> {
  const target = { connection: command.connection, queue: command.queue };
  if (command.kind === 'worker') return workerCommand(bullmq, command, io, signals);
  // The server must answer within --server-timeout: a cron line whose server is away ends, and the next tries again.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), command.timeoutMs);
  try {
    return await answeredCommand(bullmq, command, target, timeout.signal, io);
  } finally {
    clearTimeout(timer);
  }
}

async function answeredCommand(
  bullmq: BullmqModule,
  command: Exclude<QueueCommand, { kind: 'worker' }>,
  target: QueueFlags,
  signal: AbortSignal,
  io: CliIo,
): Promise<number> {
  switch (command.kind) {
    case 'unschedule': {
      const removed = await bullmq.unschedule(target, command.id, { signal });
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
          try {
            await bullmq.schedule(target, command.id, command.cron, loaded.value, { env: io.env, signal });
          } catch (error) {
            // BullMQ's cron parser refuses the expression with a plain Error ("Invalid characters").
            if (error instanceof ConfigError || error instanceof JobHooksError || error instanceof TypeError || !(error instanceof Error)) throw error;
            io.stderr.write(`jobhooks: cannot schedule ${command.file} as ${command.id}: ${error.message}\n`);
            return EXIT.usage;
          }
          io.stdout.write(`Scheduled ${command.file} as ${command.id} on queue ${command.queue}: ${command.cron}\n`);
          return EXIT.completed;
        }
        const id = await bullmq.enqueue(target, loaded.value, {
          env: io.env,
          signal,
          ...(command.jobId === undefined ? {} : { jobId: command.jobId }),
          ...(command.delayMs === undefined ? {} : { delay: command.delayMs }),
          ...(command.priority === undefined ? {} : { priority: command.priority }),
        });
        if (!command.wait) {
          io.stdout.write(`${id}\n`);
          return EXIT.completed;
        }
        return await waitForJob(bullmq, target, id, command.timeoutMs, io);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.stderr.write(formatIssues(command.file, error.issues));
        return EXIT.usage;
      }
    }
  }
}

/**
 * `enqueue --wait`: the job's live events through the same views as `run`, and its exit code. A server
 * that stops answering for `--server-timeout` ends the wait with exit 75; the job is left to its worker.
 */
async function waitForJob(bullmq: BullmqModule, target: QueueFlags, id: string, timeoutMs: number, io: CliIo): Promise<number> {
  const view = io.stdout.isTTY === true && io.env['TERM'] !== 'dumb' ? new LiveView(io.stdout, io.stderr) : new PlainView(io.stdout, io.stderr);
  const source = new EventEmitter();
  view.attach(source as unknown as EventSource);
  try {
    for await (const { name, event } of bullmq.watch(target, id, { serverTimeout: timeoutMs })) {
      if (name === 'jobEnd') {
        const result = event.result;
        view.finish(result, { notificationPrinted: false, notificationFailures: notificationFailuresOf(result) });
        return exitCodeFor(result.status, undefined);
      }
      source.emit(name, event as JobEvents[typeof name][0]);
    }
    return EXIT.internal;
  } catch (error) {
    if (!(error instanceof JobHooksError && error.code === ErrorCode.QUEUE_UNANSWERED)) throw error;
  } finally {
    view.close();
  }
  io.stderr.write(`jobhooks: the queue server has not answered for ${secondsOf(timeoutMs)} while job ${id} ran; it may still be running on its worker\n`);
  return EXIT.unanswered;
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
