import { parseArgs } from 'node:util';
import { durationProblem, durationToMs } from '../duration.js';
import { suggest } from '../suggest.js';
import { parseArgsMessage } from './parse-args.js';

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
  | ({ readonly kind: 'enqueue'; readonly file: string; readonly wait: boolean; readonly jobId: string | undefined; readonly delayMs: number | undefined; readonly priority: number | undefined } & QueueFlags & Answered)
  | ({ readonly kind: 'schedule'; readonly file: string; readonly cron: string; readonly id: string } & QueueFlags & Answered)
  | ({ readonly kind: 'unschedule'; readonly id: string } & QueueFlags & Answered);

/** How long `enqueue`, `schedule` and `unschedule` wait for the server to answer (`--server-timeout`). */
interface Answered {
  readonly timeoutMs: number;
}

/** `--server-timeout`'s default: a cron line whose server is away gives up, and the next one tries again. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;

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
  'server-timeout': { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;

/** The options each queue command takes besides --redis, --postgres and --queue. */
const OWN_OPTIONS: Readonly<Record<QueueCommandName, readonly OptionName[]>> = {
  worker: ['concurrency', 'state-dir'],
  enqueue: ['wait', 'job-id', 'delay', 'priority', 'server-timeout'],
  schedule: ['cron', 'id', 'server-timeout'],
  unschedule: ['id', 'server-timeout'],
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
    return usage(parseArgsMessage(error));
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
  let timeoutMs = DEFAULT_QUEUE_TIMEOUT_MS;
  const serverTimeout = values['server-timeout'];
  if (serverTimeout !== undefined) {
    const parsed = durationToMs(secondsOrDuration(serverTimeout));
    if (parsed === undefined) return usage(`--server-timeout ${durationProblem(secondsOrDuration(serverTimeout)) ?? 'is not a duration'}`);
    timeoutMs = parsed;
  }
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
        const delay = secondsOrDuration(values.delay);
        const problem = durationProblem(delay);
        if (problem !== undefined) return usage(`--delay ${problem}`);
        delayMs = durationToMs(delay);
      }
      const priority = values.priority === undefined ? undefined : /^[1-9]\d{0,6}$/.test(values.priority) ? Number(values.priority) : null;
      if (priority === null) return usage(`--priority expects a whole number, 1 (the highest) or more, received "${values.priority ?? ''}"`);
      if (values['job-id'] === '') return usage('--job-id needs an id');
      return { kind: 'enqueue', ...target, file: file ?? '', wait: values.wait === true, jobId: values['job-id'], delayMs, priority, timeoutMs };
    }
    case 'schedule':
      if (values.cron === undefined || values.cron.trim() === '') return usage('"schedule" needs --cron <expression>');
      if (values.id === undefined || values.id === '') return usage('"schedule" needs --id <id>');
      return { kind: 'schedule', ...target, file: file ?? '', cron: values.cron, id: values.id, timeoutMs };
    case 'unschedule':
      if (values.id === undefined || values.id === '') return usage('"unschedule" needs --id <id>');
      return { kind: 'unschedule', ...target, id: values.id, timeoutMs };
  }
}

/** A plain number is seconds (`--delay 30`), else a duration (`"30s"`, `"10m"`). */
function secondsOrDuration(text: string): string | number {
  return /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : text;
}
