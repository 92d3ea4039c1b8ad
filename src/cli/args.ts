import { parseArgs } from 'node:util';
import { suggest } from '../suggest.js';

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'schema' }
  | { readonly kind: 'validate'; readonly file: string }
  | { readonly kind: 'plan'; readonly file: string }
  | { readonly kind: 'run'; readonly file: string; readonly mode: 'auto' | 'json' | 'quiet' }
  | { readonly kind: 'usage-error'; readonly message: string };

/** The text of `jobhooks --help`. */
export const HELP = `jobhooks: run a job as pre-job hooks, main tasks, post-job hooks and a notification

Usage:
  jobhooks run <config> [--json | --quiet]   run the job
  jobhooks validate <config>                 check the config file; runs nothing
  jobhooks plan <config>                     show every task in order; runs nothing
  jobhooks schema                            print the config file's JSON Schema
  jobhooks --help | --version

Options:
  --json         print only the JobResult, as JSON, on standard output
  -q, --quiet    for cron: print nothing if the job completed; else the flow,
                 the message with its details, and the failed tasks' output
  -h, --help     show this help
  -v, --version  show the version

The config file is JSON (*.json) or YAML (any other name). A secret can be written
{ "env": "NAME" } to read it from the environment; it is then redacted everywhere.

Exit codes: 0 completed, 1 completed with warnings, 2 failed, 64 invalid config or
usage (nothing runs), 129/130/131/143 cancelled by SIGHUP/SIGINT/SIGQUIT/SIGTERM.
The first SIGINT/SIGTERM/SIGHUP/SIGQUIT cancels: cleanup post-hooks and the notification
still run. A second one kills everything at once.
`;

const COMMANDS = ['run', 'validate', 'plan', 'schema', 'help'] as const;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** ` (did you mean "--json"?)`, or nothing when no known name is close. */
function didYouMean(name: string, known: readonly string[], prefix = ''): string {
  const hint = suggest(name, known);
  return hint === undefined ? '' : ` (did you mean "${prefix}${hint}"?)`;
}

/** The first option that is not one of ours, as a usage error with a did-you-mean (`--jsn` → `--json`). */
function unknownOption(argv: readonly string[]): CliCommand | undefined {
  const { tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: OPTIONS });
  for (const token of tokens) {
    if (token.kind !== 'option' || Object.hasOwn(OPTIONS, token.name)) continue;
    const hint = token.rawName.startsWith('--') ? didYouMean(token.name, Object.keys(OPTIONS), '--') : '';
    return { kind: 'usage-error', message: `unknown option "${token.rawName}"${hint}` };
  }
  return undefined;
}

/**
 * Reads the command line (without `node` and the script). Never throws: a mistake is a
 * `usage-error`; a misspelt option or command gets a did-you-mean (`--jsn`, `rnu`).
 *
 * @example
 * ```ts
 * parseCommandLine(['run', 'nightly.yaml', '--json']) // { kind: 'run', file: 'nightly.yaml', mode: 'json' }
 * ```
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  const unknown = unknownOption(argv);
  if (unknown !== undefined) return unknown;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    // parseArgs' messages are good ("Unknown option '--jsn'"); drop its advice about '--' for positionals.
    const message = error instanceof Error ? error.message.split('. To specify a positional')[0] ?? error.message : String(error);
    return { kind: 'usage-error', message };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) return { kind: 'usage-error', message: 'no command given' };
  if (!(COMMANDS as readonly string[]).includes(command)) return { kind: 'usage-error', message: `unknown command "${command}"${didYouMean(command, COMMANDS)}` };
  if (command === 'help') return { kind: 'help' };

  if (command !== 'run') {
    const flag = values.json === true ? '--json' : values.quiet === true ? '--quiet' : undefined;
    if (flag !== undefined) return { kind: 'usage-error', message: `${flag} applies to "run" only` };
  }
  if (command === 'schema') {
    return rest.length === 0 ? { kind: 'schema' } : { kind: 'usage-error', message: `"schema" takes no arguments, received "${rest.join(' ')}"` };
  }
  const [file, ...extra] = rest;
  if (file === undefined) return { kind: 'usage-error', message: `"${command}" needs a config file: jobhooks ${command} <config>` };
  if (extra.length > 0) return { kind: 'usage-error', message: `"${command}" takes one config file, received also "${extra.join(' ')}"` };
  if (command === 'run') {
    if (values.json === true && values.quiet === true) return { kind: 'usage-error', message: '--json and --quiet cannot be used together' };
    return { kind: 'run', file, mode: values.json === true ? 'json' : values.quiet === true ? 'quiet' : 'auto' };
  }
  return command === 'plan' ? { kind: 'plan', file } : { kind: 'validate', file };
}
