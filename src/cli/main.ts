#!/usr/bin/env node
/**
 * The `jobhooks` binary: a thin layer over the public API. See docs/cli.md.
 *
 * @packageDocumentation
 */
import module from 'node:module';
import packageJson from '../../package.json' with { type: 'json' };
import { HELP, parseCommandLine } from './args.js';
import type { CliIo, SignalHost } from './commands.js';
import { EXIT } from './exit-codes.js';

// Node ≥ 22.1 can keep the compiled code of the modules loaded below on disk between runs; Node 20
// has no such function (docs/performance.md, "CLI start-up").
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/**
 * The commands, loaded only by a command that needs them: `--version`, `--help` and a usage error
 * load none of the engine, zod or yaml (docs/performance.md, "CLI start-up").
 */
const commands = (): Promise<typeof import('./commands.js')> => import('./commands.js');

async function main(argv: readonly string[]): Promise<number> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  const command = parseCommandLine(argv);
  switch (command.kind) {
    case 'help':
      io.stdout.write(HELP);
      return EXIT.completed;
    case 'version':
      io.stdout.write(`${packageJson.version}\n`);
      return EXIT.completed;
    case 'usage-error':
      io.stderr.write(`jobhooks: ${command.message}\nRun "jobhooks --help" for usage.\n`);
      return EXIT.usage;
    case 'schema':
      return (await commands()).schemaCommand(io);
    case 'validate':
      return (await commands()).validateCommand(command.file, io);
    case 'plan':
      return (await commands()).planCommand(command.file, io);
    case 'history':
      return (await commands()).historyCommand(command.file, command, io);
    case 'recover':
      return (await commands()).recoverCommand(command.file, command.stateDir, io);
    case 'run':
      return (await commands()).runCommand(command.file, command.mode, io, processSignals(), command);
    case 'rehearse':
      return (await commands()).runCommand(command.file, command.mode, io, processSignals(), command, command.rehearsal);
    case 'worker':
    case 'enqueue':
    case 'schedule':
    case 'unschedule': {
      // Loaded only for these commands: bullmq is an optional peer dependency (docs/distributed.md).
      const { queueCommand } = await import('./queue.js');
      return queueCommand(command, io, processSignals());
    }
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

// A reader that goes away (`jobhooks run … | head`) must not kill the job, whose hooks would then
// die of SIGPIPE mid-backup: output is dropped and the job runs to its end.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`jobhooks: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  code = EXIT.internal;
}
// Exit explicitly once the output is out: a keep-alive socket or a child's stray handle must not
// keep a cron job waiting.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
