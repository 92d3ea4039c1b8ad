#!/usr/bin/env node
/**
 * The `jobhooks` binary: a thin layer over the public API. See docs/cli.md.
 *
 * @packageDocumentation
 */
import { writeSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import packageJson from '../../package.json' with { type: 'json' };
import { HELP, parseCommandLine } from './args.js';
import { codeCacheDir, requireWithCodeCache } from './code-cache.js';
import { configFormat } from './config-format.js';
import type { CliIo, SignalHost } from './commands.js';
import { EXIT } from './exit-codes.js';

// Node ≥ 22.1 keeps the compiled code of the modules loaded below on disk between runs; on Node 20,
// requireWithCodeCache does it for the commands (docs/cli.md, "Start-up and its cache").
if (process.env['JOBHOOKS_CODE_CACHE'] !== '0') (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/**
 * The commands, loaded only by a command that needs them: `--version`, `--help` and a usage error
 * load none of the engine, zod or yaml. They are one CommonJS bundle next to this file, compiled
 * through V8's code cache (docs/performance.md, "CLI start-up").
 */
function commands(command: { readonly kind: string; readonly file?: string | undefined }): typeof import('./commands-bundle.js') {
  const file = fileURLToPath(new URL('./cli-commands.cjs', import.meta.url));
  // A YAML file's command runs the YAML parser's code, a JSON file's does not: each keeps its own cache.
  const name = command.file !== undefined && configFormat(command.file) === 'YAML' ? `${command.kind}-yaml` : command.kind;
  return requireWithCodeCache(file, { cacheDir: codeCacheDir(process.env), name, build: packageJson.version, worthKeeping: ranItsCourse }) as typeof import('./commands-bundle.js');
}

/**
 * The command did its work: a job ran to an outcome, a file was validated or planned. Not a usage error,
 * a missing peer dependency, an unwritable journal, a job already running, an internal error or a
 * cancelled run: their processes stopped before the code later runs use, so their code cache would lack it.
 */
function ranItsCourse(exitCode: number): boolean {
  return exitCode === EXIT.completed || exitCode === EXIT.warnings || exitCode === EXIT.failed;
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if (command.kind === 'help' || command.kind === 'version') {
    descriptors.stdout.write(command.kind === 'help' ? HELP : `${packageJson.version}\n`);
    return EXIT.completed;
  }
  const io: CliIo = { ...(STREAMED.has(command.kind) ? standardStreams() : descriptors), env: process.env };
  switch (command.kind) {
    case 'usage-error':
      io.stderr.write(`jobhooks: ${command.message}\nRun "jobhooks --help" for usage.\n`);
      return EXIT.usage;
    case 'schema':
      return commands(command).schemaCommand(io);
    default:
      break;
  }
  // Every other command reads files against the current directory, and hooks run in it by default.
  const missing = missingCurrentDirectory();
  if (missing !== undefined) {
    io.stderr.write(`jobhooks: the current directory no longer exists (${missing}); run jobhooks from one that does\n`);
    return EXIT.cantRead;
  }
  switch (command.kind) {
    case 'validate':
      return commands(command).validateCommand(command.file, io);
    case 'plan':
      return commands(command).planCommand(command.file, io);
    case 'history':
      return commands(command).historyCommand(command.file, command, io);
    case 'recover':
      return commands(command).recoverCommand(command.file, command.stateDir, io);
    case 'run':
      return commands(command).runCommand(command.file, command.mode, io, processSignals(), command);
    case 'rehearse':
      return commands(command).runCommand(command.file, command.mode, io, processSignals(), command, command.rehearsal);
    case 'worker':
    case 'enqueue':
    case 'schedule':
    case 'unschedule': {
      // bullmq is an optional peer dependency, loaded only by these commands (docs/distributed.md).
      return commands(command).queueCommand(command, io, processSignals());
    }
  }
}

/**
 * The commands that run hooks (run, rehearse, recover, the queue commands) and so write through the
 * streams: a live view, a reader that is slow. The others print their answer and run nothing: they
 * write to the descriptors themselves.
 */
const STREAMED: ReadonlySet<string> = new Set(['run', 'rehearse', 'recover', 'worker', 'enqueue', 'schedule', 'unschedule']);

/** Why the current directory cannot be had (it was removed after the shell entered it), or `undefined`. */
function missingCurrentDirectory(): string | undefined {
  try {
    process.cwd();
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** The process's own signals, for `run` and `rehearse`. */
function processSignals(): SignalHost {
  return {
    on: (signal, listener) => process.on(signal, listener),
    off: (signal, listener) => process.off(signal, listener),
    exit: (code) => process.exit(code),
  };
}

/** Resolves once the stream has taken everything written so far. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}

let streamsMade = false;

/**
 * `process.stdout` and `process.stderr`, made on first use: making them costs ≈ 2 ms on a pipe, a
 * tenth of Node's own start, which the commands that print their answer and run nothing do without
 * (docs/performance.md, "CLI start-up"). A reader that goes away (`jobhooks run … | head`) must not
 * kill the job, whose hooks would then die of SIGPIPE mid-backup: output is dropped and the job runs
 * to its end.
 */
function standardStreams(): { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } {
  if (!streamsMade) {
    streamsMade = true;
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  }
  return { stdout: process.stdout, stderr: process.stderr };
}

/**
 * Writes `text` to file descriptor 1 or 2 with write(2), without a stream. A reader that went away
 * (`jobhooks --help | head -1`) is no error, as with the streams; a descriptor left non-blocking by
 * whoever opened it, once full, hands the rest, and everything after it, to the stream.
 */
function writeToDescriptor(fd: 1 | 2, text: string): void {
  const name = fd === 1 ? 'stdout' : 'stderr';
  if (handedToStream.has(fd)) {
    standardStreams()[name].write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    handedToStream.add(fd);
    standardStreams()[name].write(bytes.subarray(written));
  }
}

const handedToStream = new Set<1 | 2>();

/** Standard output and error without streams, for the commands that print their answer and run nothing. */
const descriptors = {
  stdout: { write: (text: string): void => writeToDescriptor(1, text) },
  stderr: { write: (text: string): void => writeToDescriptor(2, text) },
};

/** Runs the command line and exits with its code once the output is out. */
async function run(): Promise<never> {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (error) {
    standardStreams().stderr.write(`jobhooks: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = EXIT.internal;
  }
  // Exit explicitly once the output is out: a keep-alive socket or a child's stray handle must not
  // keep a cron job waiting. A reader that takes nothing keeps it waiting for its last lines; the job
  // is over by then, so a signal ends the wait with the job's own code (docs/cli.md#exit-codes).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.once(signal, () => process.exit(code));
  if (streamsMade) await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

void run();
