import * as z from 'zod';
import { borgCheck, borgCompact, borgCreate, borgPrune, type BorgCheckOptions, type BorgCompactOptions, type BorgCreateOptions, type BorgPruneOptions } from '../borg/index.js';
import { LIMITS, pipelineOptionsSchema, readHookList, type JobPipelineOptions } from '../config.js';
import { ConfigError, formatPath, type ConfigIssue } from '../errors.js';
import type { Executor } from '../executor/types.js';
import { ConsoleNotifier, type ConsoleNotifierOptions, type TextWritable } from '../notify/notifiers/console.js';
import { DiscordNotifier, type DiscordNotifierOptions } from '../notify/notifiers/discord.js';
import { HealthchecksNotifier, type HealthchecksNotifierOptions } from '../notify/notifiers/healthchecks.js';
import { NtfyNotifier, type NtfyNotifierOptions } from '../notify/notifiers/ntfy.js';
import { PushoverNotifier, type PushoverNotifierOptions } from '../notify/notifiers/pushover.js';
import { TelegramNotifier, type TelegramNotifierOptions } from '../notify/notifiers/telegram.js';
import { WebhookNotifier, type WebhookNotifierOptions } from '../notify/notifiers/webhook.js';
import { PrometheusNotifier, type PrometheusNotifierOptions } from '../prometheus/notifier.js';
import { commandTask, commandTaskOptionsSchema, type CommandTaskOptions } from '../pipeline/command-task.js';
import { JobPipeline } from '../pipeline/pipeline.js';
import { suggest } from '../suggest.js';
import type { Notifier, Task } from '../types.js';
import { BORG_TASKS, envRef, FILE_ONLY, NOTIFIERS, PIPELINE_KEYS } from './schema.js';
import { inInputOrder, mapSecrets, ownValue, PARSE_ONCE, PROTO_KEY_MESSAGE, prefixIssues, toConfigIssues } from '../validation.js';

/** What {@link buildJob} needs from the outside world. */
export interface BuildJobOptions {
  /** Where `{ "env": "NAME" }` secrets are read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The executor the pipeline runs commands with (the CLI's own `ShellExecutor`, for `killAll()`). */
  readonly executor?: Executor | undefined;
  /** Where `console` notifiers write. @default process.stdout */
  readonly consoleStream?: TextWritable | undefined;
  /** What the command line adds to the file's options (the journal's place, `--wait`), so one pipeline is made. */
  readonly pipeline?: Pick<JobPipelineOptions, 'journal' | 'lockWait'> | undefined;
}

/** A config file turned into a pipeline, nothing run yet. */
export interface BuiltJob {
  readonly pipeline: JobPipeline;
  /** The options the pipeline was made from (tasks and notifiers constructed, secrets resolved). */
  readonly options: JobPipelineOptions;
  /** The names of the `console` notifiers: they print the notification themselves. */
  readonly consoleNotifiers: readonly string[];
}

/** The outcome of {@link buildJob}: a job, or every problem found. */
export type BuildJobResult = { readonly ok: true; readonly job: BuiltJob } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const HOOK_LISTS = new Set(['preHooks', 'postHooks', 'pre_job_hooks', 'post_job_hooks']);

/**
 * A hook list given as the JSON string the documented API stores, read as the schema reads it, so that
 * the `{ "env": "NAME" }` values in it are read as in a list written out (docs/cli.md); a string that is
 * not JSON is left as it is, for the pipeline's schema to say why.
 */
function hookListValue(value: unknown): unknown {
  const read = readHookList(value);
  return read.ok ? read.value : value;
}

/**
 * Validates a parsed config file and constructs everything it describes — tasks, notifiers and
 * the pipeline — without running anything. The file is checked by the library's own schemas (each
 * entry by its factory or constructor, the rest by `JobPipeline`), after `{ "env": "NAME" }`
 * secrets are read (docs/cli.md). Every problem is collected, each under its path in the file
 * (`tasks[2].keep.daily`).
 *
 * @example
 * ```ts
 * const built = buildJob({ tasks: [{ borg: 'prune', repository: '/srv/borg', keep: { daily: 0 } }] }, { env: process.env })
 * // { ok: false, issues: [{ code: 'invalid_value', path: ['tasks', 0, 'keep', 'daily'], message: 'expected a number greater than 0' }] }
 * ```
 */
export function buildJob(raw: unknown, options: BuildJobOptions): BuildJobResult {
  const resolved: string[] = [];
  const secretIssues: ConfigIssue[] = [];
  const issues: ConfigIssue[] = [];
  // Reads `{ "env": "NAME" }` at a secret field; a problem is an issue at the secret's path.
  const readSecret = (ref: object, path: readonly PropertyKey[]): unknown => {
    const parsed = envRef.safeParse(ref, PARSE_ONCE);
    if (!parsed.success) {
      secretIssues.push(...toConfigIssues(parsed.error.issues, envRef, ref, path));
      return undefined;
    }
    const name = parsed.data.env;
    // Own variables only: `{ "env": "constructor" }` must not find Object's method.
    const value = Object.hasOwn(options.env, name) ? options.env[name] : undefined;
    if (value === undefined || value === '') {
      secretIssues.push({ code: 'invalid_value', path, message: `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}` });
      return undefined;
    }
    resolved.push(value);
    return value;
  };
  const rawObject = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};

  const tasks: Task[] = [];
  entries(ownValue(rawObject, 'tasks'), LIMITS.tasks).forEach((entry, index) => {
    const path = ['tasks', index];
    const kind = TASK_KIND.safeParse(entry, PARSE_ONCE);
    if (!kind.success) {
      issues.push(...toConfigIssues(kind.error.issues, TASK_KIND, entry, path));
      return;
    }
    const { borg, ...rest } = entry as Record<string, unknown>;
    const schema = borg === undefined ? commandTaskOptionsSchema : BORG_TASKS[kind.data.borg ?? 'create']();
    const input = mapSecrets(schema, rest, readSecret, path);
    const task = construct(() => makeTask(kind.data.borg, input), path, issues);
    if (task !== undefined) tasks.push(task);
  });

  const notifiers: Notifier[] = [];
  const consoleNotifiers: string[] = [];
  entries(ownValue(rawObject, 'notifiers'), LIMITS.notifiers).forEach((entry, index) => {
    const path = ['notifiers', index];
    const kind = NOTIFIER_KIND.safeParse(entry, PARSE_ONCE);
    if (!kind.success) {
      issues.push(...toConfigIssues(kind.error.issues, NOTIFIER_KIND, entry, path));
      return;
    }
    const { type, ...rest } = entry as Record<string, unknown>;
    const input = mapSecrets(NOTIFIERS[kind.data.type](), rest, readSecret, path);
    const notifier = construct(() => makeNotifier(kind.data.type, input, options.consoleStream), path, issues);
    if (notifier === undefined) return;
    notifiers.push(notifier);
    if (type === 'console') consoleNotifiers.push(notifier.name);
  });

  // The rest of the file is JobPipeline's options: the pipeline checks them all, hooks included.
  const fileOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rawObject)) {
    if (key === '$schema') {
      const parsed = FILE_ONLY.$schema.safeParse(value, PARSE_ONCE);
      if (!parsed.success) issues.push(...toConfigIssues(parsed.error.issues, FILE_ONLY.$schema, value, [key]));
    } else if (key === '__proto__') {
      issues.push({ code: 'unknown_option', path: [key], message: `unknown option "${key}"` });
    } else if (key === 'journal' || key === 'lockWait') {
      const flags = key === 'journal' ? '--state-dir DIR or --no-journal' : '--wait DURATION';
      issues.push({ code: 'unknown_option', path: [key], message: `unknown option "${key}": the command line sets it (${flags})` });
    } else if (key === 'executor') {
      const hint = suggest(key, FILE_KEYS);
      issues.push({ code: 'unknown_option', path: [key], message: `unknown option "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}` });
    } else {
      fileOptions[key] = HOOK_LISTS.has(key) ? hookListValue(value) : value;
    }
  }
  const pipelineInput = mapSecrets(pipelineOptionsSchema, fileOptions, readSecret) as Record<string, unknown>;
  const { secrets } = pipelineInput;
  const pipelineOptions = {
    ...pipelineInput,
    ...options.pipeline,
    // A list that is not one, or is over its limit, goes to the pipeline as written: it says why.
    ...(Object.hasOwn(pipelineInput, 'tasks') ? { tasks: entries(pipelineInput.tasks, LIMITS.tasks) === EMPTY ? pipelineInput.tasks : tasks } : {}),
    ...(Object.hasOwn(pipelineInput, 'notifiers') ? { notifiers: entries(pipelineInput.notifiers, LIMITS.notifiers) === EMPTY ? pipelineInput.notifiers : notifiers } : {}),
    // Values read from the environment are secrets wherever they were used.
    secrets: Array.isArray(secrets) ? [...new Set([...(secrets as unknown[]), ...resolved])] : secrets === undefined ? [...new Set(resolved)] : secrets,
  } as JobPipelineOptions;
  const pipeline = construct(
    () => new JobPipeline({ ...pipelineOptions, ...(options.executor === undefined ? {} : { executor: options.executor }) }),
    [],
    issues,
  );

  // A secret that could not be read is said once, at its path: not again as a missing value.
  const secretPaths = secretIssues.map((issue) => formatPath(issue.path));
  const said = (issue: ConfigIssue): boolean => {
    const path = formatPath(issue.path);
    return secretPaths.some((secretPath) => secretPath === path || secretPath.startsWith(`${path}.`) || secretPath.startsWith(`${path}[`));
  };
  const all = [...secretIssues, ...issues.filter((issue) => !said(issue))];
  // zod drops a map's own `__proto__` key without a word (JSON.parse and YAML both make them).
  const located = new Set(all.map((issue) => formatPath(issue.path)));
  for (const path of protoKeyPaths(raw)) {
    if (!located.has(formatPath(path))) all.push({ code: 'invalid_value', path, message: PROTO_KEY_MESSAGE });
  }
  // A required key the file lacks comes first: it is what the entry is missing.
  if (all.length > 0 || pipeline === undefined) return { ok: false, issues: inInputOrder(all, rawObject, { missingFirst: true }) };
  return { ok: true, job: { pipeline, options: pipelineOptions, consoleNotifiers } };
}

/** Which task an entry is: no `borg` key for a command, else the borg factory's name. */
const TASK_KIND = z.discriminatedUnion('borg', [
  z.object({ borg: z.undefined().optional() }),
  z.object({ borg: z.literal('create') }),
  z.object({ borg: z.literal('prune') }),
  z.object({ borg: z.literal('compact') }),
  z.object({ borg: z.literal('check') }),
]);

/** Which notifier an entry is. */
const NOTIFIER_KIND = z.discriminatedUnion(
  'type',
  (Object.keys(NOTIFIERS) as (keyof typeof NOTIFIERS)[]).map((type) => z.object({ type: z.literal(type) })) as [z.ZodObject<{ type: z.ZodLiteral<keyof typeof NOTIFIERS> }>],
);

const FILE_KEYS = ['$schema', ...PIPELINE_KEYS];

/**
 * The paths of every own `__proto__` key in a parsed file, down to the deepest place a map can be
 * (a few levels; a file that nests deeper is rejected by its shape anyway).
 */
const MAX_MAP_DEPTH = 8;

function protoKeyPaths(root: unknown): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  const pending: Array<{ value: unknown; path: readonly PropertyKey[] }> = [{ value: root, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value !== 'object' || value === null || path.length > MAX_MAP_DEPTH) continue;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) found.push([...path, '__proto__']);
    for (const [key, child] of Object.entries(value)) pending.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
  }
  return found;
}

const EMPTY: readonly unknown[] = [];

/** A list's entries, or none when it is over its limit (the file schema reports that, once). */
function entries(value: unknown, max: number): readonly unknown[] {
  return Array.isArray(value) && value.length <= max ? value : EMPTY;
}

/** Runs a constructor; its `ConfigError` becomes issues under `prefix`, anything else is a bug and is thrown. */
function construct<T>(make: () => T, prefix: readonly PropertyKey[], issues: ConfigIssue[]): T | undefined {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...prefixIssues(error.issues, prefix));
    return undefined;
  }
}

// The factories validate what they are given: the entry, secrets read, `borg` / `type` taken out.
function makeTask(kind: keyof typeof BORG_TASKS | undefined, options: unknown): Task {
  switch (kind) {
    case undefined:
      return commandTask(options as CommandTaskOptions);
    case 'create':
      return borgCreate(options as BorgCreateOptions);
    case 'prune':
      return borgPrune(options as BorgPruneOptions);
    case 'compact':
      return borgCompact(options as BorgCompactOptions);
    case 'check':
      return borgCheck(options as BorgCheckOptions);
  }
}

function makeNotifier(kind: keyof typeof NOTIFIERS, options: unknown, consoleStream: TextWritable | undefined): Notifier {
  switch (kind) {
    case 'console':
      return new ConsoleNotifier({ ...(options as ConsoleNotifierOptions), ...(consoleStream === undefined ? {} : { stream: consoleStream }) });
    case 'webhook':
      return new WebhookNotifier(options as WebhookNotifierOptions);
    case 'healthchecks':
      return new HealthchecksNotifier(options as HealthchecksNotifierOptions);
    case 'ntfy':
      return new NtfyNotifier(options as NtfyNotifierOptions);
    case 'discord':
      return new DiscordNotifier(options as DiscordNotifierOptions);
    case 'pushover':
      return new PushoverNotifier(options as PushoverNotifierOptions);
    case 'telegram':
      return new TelegramNotifier(options as TelegramNotifierOptions);
    case 'prometheus':
      return new PrometheusNotifier(options as PrometheusNotifierOptions);
  }
}
