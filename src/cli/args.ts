import { parseArgs } from 'node:util';
import { durationProblem, type Duration } from '../duration.js';
import { suggest } from '../suggest.js';
import type { LogFlags } from './run-views.js';
import { parseArgsMessage } from './parse-args.js';
import { parseQueueCommandLine, QUEUE_COMMANDS, type QueueCommand } from './queue-args.js';

/** How `run` uses the journal (docs/cli.md, "The state directory"). */
export interface JournalFlags {
  /** `--state-dir DIR`, when given. */
  readonly stateDir: string | undefined;
  /** `false` with `--no-journal`. */
  readonly journal: boolean;
  /** `--wait <duration>`: how long to wait for a running job of the same config (seconds or `"30s"`). */
  readonly wait: Duration | undefined;
}

/** What `rehearse` injects (docs/cli.md, "Rehearse your failure path"). */
export interface RehearseFlags {
  /** A task's name, or its number as `jobhooks plan` prints it (1-based). */
  readonly task: string;
  /** `--fail`, `--timeout` or `--cancel-at`. */
  readonly outcome: 'fail' | 'timeout' | 'cancel';
  /** `--notify`: send to every notifier, not only the `console` ones. */
  readonly notify: boolean;
}

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'schema' }
  | { readonly kind: 'validate'; readonly file: string }
  | { readonly kind: 'plan'; readonly file: string }
  | ({ readonly kind: 'run'; readonly file: string; readonly mode: 'auto' | 'json' | 'quiet' } & JournalFlags & LogFlags)
  | ({ readonly kind: 'rehearse'; readonly file: string; readonly mode: 'auto' | 'json'; readonly rehearsal: RehearseFlags } & JournalFlags & LogFlags)
  | { readonly kind: 'recover'; readonly file: string; readonly stateDir: string | undefined }
  | {
      readonly kind: 'history';
      readonly file: string;
      readonly stateDir: string | undefined;
      readonly json: boolean;
      readonly limit: number | undefined;
      /** `--html FILE`: the page of the runs is written there (docs/observability.md). */
      readonly html: string | undefined;
    }
  | QueueCommand
  | { readonly kind: 'usage-error'; readonly message: string };

/** The text of `jobhooks --help`. */
export const HELP = `jobhooks: run a job as pre-job hooks, main tasks, post-job hooks and a notification

Usage:
  jobhooks run <config> [--json | --quiet | --log-format plain|json] [--log-file <path>]
               [[--state-dir <dir>] [--wait <duration>] | --no-journal]
                                             run the job
  jobhooks rehearse <config> (--fail | --timeout | --cancel-at) <task> [--notify]
                   [--json | --log-format plain|json] [--log-file <path>]
                   [[--state-dir <dir>] [--wait <duration>] | --no-journal]
                                             run the job for real, but <task> (a name, or its
                                             number in "jobhooks plan") fails, times out, or
                                             is cancelled as it would start: watch the cleanup
  jobhooks recover <config> [--state-dir <dir>]
                                             finish what a killed run left: its cleanup and
                                             the "Interrupted" notification; runs no task
  jobhooks history <config> [--json | --html <file>] [--limit <n>] [--state-dir <dir>]
                                             past runs, newest first
  jobhooks validate <config>                 check the config file; runs nothing
  jobhooks plan <config>                     show every task in order; runs nothing
  jobhooks schema                            print the config file's JSON Schema
  jobhooks worker (--redis <url> | --postgres <url>) --queue <name> [--concurrency <n>]
                  [--state-dir <dir>]        run the queue's jobs on this host until SIGTERM
  jobhooks enqueue <config> (--redis <url> | --postgres <url>) --queue <name> [--wait]
                   [--job-id <id>] [--delay <duration>] [--priority <n>] [--server-timeout <duration>]
                                             put the job on the queue; print its id, or with
                                             --wait show it as "run" does and exit with its code
  jobhooks schedule <config> --cron <expr> --id <id> (--redis <url> | --postgres <url>) --queue <name>
  jobhooks unschedule --id <id> (--redis <url> | --postgres <url>) --queue <name>
                                             run the job on a cron schedule from the queue; stop it
                                             (both take [--server-timeout <duration>] too)
  jobhooks --help | --version

Options:
  --json             run: print only the JobResult, as JSON, on standard output;
                     history: print the runs as a JSON array
  -q, --quiet        for cron: print nothing if the job completed; else the flow,
                     the message with its details, and the failed tasks' output
  --log-format <f>   run: "plain" lines (even on a terminal) or "json", one object
                     per event (time, level, jobId, task, event, ...) for log pipelines
  --log-file <path>  run: also append the lines to <path>, opened again for every
                     write (logrotate's default rotation works without copytruncate)
  --wait <duration>  if the job is already running, wait up to this long ("30s",
                     "10m") for it to end instead of exiting 75 at once
  --state-dir <dir>  where the journal is kept; default $JOBHOOKS_STATE_DIR, else
                     /var/lib/jobhooks for root, else $XDG_STATE_HOME/jobhooks or
                     ~/.local/state/jobhooks
  --no-journal       run without the journal: no recovery, no lock, no history
  --fail <task>      rehearse: <task> does not run and is recorded failed
  --timeout <task>   rehearse: <task> does not run and is recorded timed out
  --cancel-at <task> rehearse: the job is cancelled as <task> would start (as Ctrl-C)
  --notify           rehearse: send to every notifier; without it, only console ones
  --server-timeout <duration>
                     enqueue, schedule, unschedule: give up (exit 75) when the queue
                     server has not answered within this long; default 30s
  --limit <n>        history: only the newest n runs
  --html <file>      history: write a self-contained page with a timeline of the
                     runs and a Gantt chart of the latest one
  -h, --help         show this help
  -v, --version      show the version

The config file is JSON (*.json) or YAML (any other name). A secret can be written
{ "env": "NAME" } to read it from the environment; it is then redacted everywhere.

Exit codes: 0 completed (or skipped by a pre-hook), 1 completed with warnings,
2 failed (recover: a cleanup failed), 64 invalid config or usage (nothing runs), 73 the journal cannot be written
(nothing runs), 75 already running (nothing runs; for the queue commands: the server did
not answer), 129/130/131/143 cancelled by
SIGHUP/SIGINT/SIGQUIT/SIGTERM. A rehearsal exits as the job would: 2 for a
rehearsed critical failure, 130 for --cancel-at.
The first SIGINT/SIGTERM/SIGHUP/SIGQUIT cancels: cleanup post-hooks and the notification
still run. A second one kills everything at once. If jobhooks itself is killed (kill -9,
a reboot), the next run or "jobhooks recover" runs the cleanup it left.
`;

const COMMANDS = ['run', 'rehearse', 'recover', 'history', 'validate', 'plan', 'schema', 'help', ...QUEUE_COMMANDS] as const;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  wait: { type: 'string' },
  'state-dir': { type: 'string' },
  'no-journal': { type: 'boolean' },
  limit: { type: 'string' },
  fail: { type: 'string' },
  timeout: { type: 'string' },
  'cancel-at': { type: 'string' },
  notify: { type: 'boolean' },
  'log-format': { type: 'string' },
  'log-file': { type: 'string' },
  html: { type: 'string' },
} as const;

type OptionName = Exclude<keyof typeof OPTIONS, 'help' | 'version'>;

/** The commands each option applies to (the first is named in the error). */
const OPTION_COMMANDS: Readonly<Record<OptionName, readonly string[]>> = {
  json: ['run', 'rehearse', 'history'],
  quiet: ['run'],
  wait: ['run', 'rehearse'],
  'state-dir': ['run', 'rehearse', 'recover', 'history'],
  'no-journal': ['run', 'rehearse'],
  limit: ['history'],
  fail: ['rehearse'],
  timeout: ['rehearse'],
  'cancel-at': ['rehearse'],
  notify: ['rehearse'],
  'log-format': ['run', 'rehearse'],
  'log-file': ['run', 'rehearse'],
  html: ['history'],
};

/** The options that name the rehearsed task, and the outcome each rehearses. */
const REHEARSE_OUTCOMES = [
  ['fail', 'fail'],
  ['timeout', 'timeout'],
  ['cancel-at', 'cancel'],
] as const;

/** ` (did you mean "--json"?)`, or nothing when no known name is close. */
function didYouMean(name: string, known: readonly string[], prefix = ''): string {
  const hint = suggest(name, known);
  return hint === undefined ? '' : ` (did you mean "${prefix}${hint}"?)`;
}

/**
 * An unknown command, else the first option that is not one of ours, as a usage error with a
 * did-you-mean (`rnu` → `run`, `--jsn` → `--json`): the command first, so `jobhooks rnu nightly.yaml
 * --jsn` says only what is wrong first (docs/cli.md). A line asking for help gets the help.
 */
function unknownCommandOrOption(argv: readonly string[]): CliCommand | undefined {
  const { tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: OPTIONS });
  const first = tokens.find((token) => token.kind === 'positional');
  const help = tokens.some((token) => token.kind === 'option' && (token.name === 'help' || token.name === 'version'));
  if (first?.kind === 'positional' && !help && !(COMMANDS as readonly string[]).includes(first.value)) {
    return { kind: 'usage-error', message: `unknown command "${first.value}"${didYouMean(first.value, COMMANDS)}` };
  }
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
 * parseCommandLine(['history', 'nightly.yaml', '--limit', '5']) // { kind: 'history', file: 'nightly.yaml', stateDir: undefined, json: false, limit: 5, html: undefined }
 * ```
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  // worker, enqueue, schedule, unschedule: their own options (docs/distributed.md).
  const queue = parseQueueCommandLine(argv);
  if (queue !== undefined && !argv.includes('--help') && !argv.includes('-h')) return queue;
  const unknown = unknownCommandOrOption(argv);
  if (unknown !== undefined) return unknown;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    return { kind: 'usage-error', message: parseArgsMessage(error) };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) return { kind: 'usage-error', message: 'no command given' };
  if (!(COMMANDS as readonly string[]).includes(command)) return { kind: 'usage-error', message: `unknown command "${command}"${didYouMean(command, COMMANDS)}` };
  if (command === 'help') return { kind: 'help' };

  for (const [name, commands] of Object.entries(OPTION_COMMANDS)) {
    if (values[name as OptionName] === undefined || commands.includes(command)) continue;
    const quoted = commands.map((other) => `"${other}"`);
    const where = quoted.length === 1 ? `${quoted[0] ?? ''} only` : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1) ?? ''}`;
    return { kind: 'usage-error', message: `--${name} applies to ${where}` };
  }
  if (command === 'schema') {
    return rest.length === 0 ? { kind: 'schema' } : { kind: 'usage-error', message: `"schema" takes no arguments, received "${rest.join(' ')}"` };
  }
  const [file, ...extra] = rest;
  if (file === undefined) return { kind: 'usage-error', message: `"${command}" needs a config file: jobhooks ${command} <config>` };
  if (extra.length > 0) return { kind: 'usage-error', message: `"${command}" takes one config file, received also "${extra.join(' ')}"` };
  const stateDir = values['state-dir'];
  if (stateDir === '') return { kind: 'usage-error', message: '--state-dir needs a directory' };
  switch (command) {
    case 'run':
    case 'rehearse': {
      if (values.json === true && values.quiet === true) return { kind: 'usage-error', message: '--json and --quiet cannot be used together' };
      const noJournal = values['no-journal'] === true;
      if (noJournal && stateDir !== undefined) return { kind: 'usage-error', message: '--state-dir and --no-journal cannot be used together' };
      if (noJournal && values.wait !== undefined) return { kind: 'usage-error', message: '--wait needs the journal: it cannot be used with --no-journal' };
      const wait = values.wait === undefined ? undefined : parseWait(values.wait);
      if (typeof wait === 'object') return wait;
      const logFlags = parseLogFlags(values['log-format'], values['log-file'], values.json === true || values.quiet === true);
      if ('kind' in logFlags) return logFlags;
      const journal = { stateDir, journal: !noJournal, wait, ...logFlags };
      if (command === 'run') return { kind: 'run', file, mode: values.json === true ? 'json' : values.quiet === true ? 'quiet' : 'auto', ...journal };
      const given = REHEARSE_OUTCOMES.filter(([option]) => values[option] !== undefined);
      const [chosen] = given;
      if (chosen === undefined || given.length > 1) {
        return { kind: 'usage-error', message: '"rehearse" needs exactly one of --fail <task>, --timeout <task> or --cancel-at <task>' };
      }
      const [option, outcome] = chosen;
      const task = values[option] ?? '';
      if (task.trim() === '') return { kind: 'usage-error', message: `--${option} needs a task: its name, or its number in "jobhooks plan"` };
      return { kind: 'rehearse', file, mode: values.json === true ? 'json' : 'auto', rehearsal: { task, outcome, notify: values.notify === true }, ...journal };
    }
    case 'recover':
      return { kind: 'recover', file, stateDir };
    case 'history': {
      const limit = values.limit === undefined ? undefined : /^[1-9]\d{0,8}$/.test(values.limit) ? Number(values.limit) : null;
      if (limit === null) return { kind: 'usage-error', message: `--limit expects a whole number of runs, at least 1, received "${values.limit ?? ''}"` };
      if (values.json === true && values.html !== undefined) return { kind: 'usage-error', message: '--json and --html cannot be used together' };
      if (values.html === '') return { kind: 'usage-error', message: '--html needs a file to write the page to' };
      return { kind: 'history', file, stateDir, json: values.json === true, limit, html: values.html };
    }
    case 'plan':
      return { kind: 'plan', file };
    default:
      return { kind: 'validate', file };
  }
}

/** `--log-format` and `--log-file`, checked: a format is `plain` or `json`, and only for the lines `--json` and `--quiet` replace. */
function parseLogFlags(format: string | undefined, file: string | undefined, otherOutput: boolean): LogFlags | { readonly kind: 'usage-error'; readonly message: string } {
  if (format !== undefined && format !== 'plain' && format !== 'json') {
    return { kind: 'usage-error', message: `--log-format expects "plain" or "json", received "${format}"${didYouMean(format, ['plain', 'json'])}` };
  }
  if (format !== undefined && otherOutput) return { kind: 'usage-error', message: '--log-format cannot be used with --json or --quiet' };
  if (file === '') return { kind: 'usage-error', message: '--log-file needs a file to append the lines to' };
  return { logFormat: format, logFile: file };
}

/**
 * `--wait`'s value as a duration: `"30s"`, `"10m"`, or a bare number of seconds; `0` is the default,
 * not waiting. A usage error when it is neither.
 */
function parseWait(text: string): Duration | undefined | { readonly kind: 'usage-error'; readonly message: string } {
  if (/^0+(?:\.0*)?$/.test(text.trim())) return undefined;
  const value: Duration = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : text;
  const problem = durationProblem(value);
  return problem === undefined ? value : { kind: 'usage-error', message: `--wait ${problem}` };
}
