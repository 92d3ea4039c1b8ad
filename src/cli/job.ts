import { borgCheck, borgCompact, borgCreate, borgPrune } from '../borg/index.js';
import type { JobPipelineOptions } from '../config.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Executor } from '../executor/types.js';
import { ConsoleNotifier } from '../notify/notifiers/console.js';
import { DiscordNotifier } from '../notify/notifiers/discord.js';
import { HealthchecksNotifier } from '../notify/notifiers/healthchecks.js';
import { NtfyNotifier } from '../notify/notifiers/ntfy.js';
import { PushoverNotifier } from '../notify/notifiers/pushover.js';
import { TelegramNotifier } from '../notify/notifiers/telegram.js';
import { WebhookNotifier } from '../notify/notifiers/webhook.js';
import { commandTask } from '../pipeline/command-task.js';
import { JobPipeline } from '../pipeline/pipeline.js';
import type { Notifier, Task } from '../types.js';
import { fileIssues, prefixIssues } from './issues.js';
import { createConfigSchemas, type ConfigSchemas } from './schema.js';
import type { z } from 'zod';

/** What {@link buildJob} needs from the outside world. */
export interface BuildJobOptions {
  /** Where `{ "env": "NAME" }` secrets are read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The executor the pipeline runs commands with (the CLI's own `ShellExecutor`, for `killAll()`). */
  readonly executor?: Executor | undefined;
  /** Where `console` notifiers write. @default process.stdout */
  readonly consoleStream?: NodeJS.WritableStream | undefined;
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

type TaskEntry = z.output<ConfigSchemas['taskEntry']>;
type NotifierEntry = z.output<ConfigSchemas['notifierEntry']>;

/**
 * Validates a parsed config file and constructs everything it describes — tasks, notifiers and
 * the pipeline — without running anything. Every problem is collected, from the file's shape and
 * from every constructor, each under its path in the file (`tasks[2].keep.daily`).
 */
export function buildJob(raw: unknown, options: BuildJobOptions): BuildJobResult {
  const source = { env: options.env, resolved: [] as string[] };
  const schemas = createConfigSchemas(source);
  const issues: ConfigIssue[] = [];

  const file = schemas.file.safeParse(raw, { reportInput: true });
  if (!file.success) issues.push(...fileIssues(file.error.issues, schemas.file, raw));
  const rawObject = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};

  const tasks: Task[] = [];
  const taskIssues: ConfigIssue[] = [];
  entries(rawObject['tasks']).forEach((entry, index) => {
    const parsed = schemas.taskEntry.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      taskIssues.push(...fileIssues(parsed.error.issues, schemas.taskEntry, entry, ['tasks', index]));
      return;
    }
    const task = construct(() => makeTask(parsed.data), `tasks[${index}]`, taskIssues);
    if (task !== undefined) tasks.push(task);
  });

  const notifiers: Notifier[] = [];
  const consoleNotifiers: string[] = [];
  const notifierIssues: ConfigIssue[] = [];
  entries(rawObject['notifiers']).forEach((entry, index) => {
    const parsed = schemas.notifierEntry.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      notifierIssues.push(...fileIssues(parsed.error.issues, schemas.notifierEntry, entry, ['notifiers', index]));
      return;
    }
    const notifier = construct(() => makeNotifier(parsed.data, options.consoleStream), `notifiers[${index}]`, notifierIssues);
    if (notifier === undefined) return;
    notifiers.push(notifier);
    if (parsed.data.type === 'console') consoleNotifiers.push(notifier.name);
  });

  // The pipeline checks the hooks' values and the options between them. When the file's shape is
  // wrong somewhere, it is still made from the parts that are right (a hook that failed is stood
  // in for, so the others keep their index): every problem is reported at once, none twice.
  const fileData = file.success ? file.data : soundParts(schemas, rawObject, file.error.issues);
  const { $schema: _schema, tasks: _tasks, notifiers: _notifiers, secrets = [], ...rest } = fileData;
  const pipelineOptions: JobPipelineOptions = {
    ...rest,
    tasks,
    notifiers,
    // Values read from the environment are secrets wherever they were used.
    secrets: [...new Set([...secrets, ...source.resolved])],
  };
  const pipeline = construct(
    () => new JobPipeline({ ...pipelineOptions, ...(options.executor === undefined ? {} : { executor: options.executor }) }),
    '',
    issues,
  );

  issues.push(...taskIssues, ...notifierIssues);
  if (issues.length > 0 || pipeline === undefined) return { ok: false, issues: inFileOrder(issues, rawObject) };
  return { ok: true, job: { pipeline, options: pipelineOptions, consoleNotifiers } };
}

type FileData = z.output<ConfigSchemas['file']>;

const HOOK_LISTS = new Set(['preHooks', 'pre_job_hooks', 'postHooks', 'post_job_hooks']);
/** Stands in for a hook the file's schema rejected; never run, since the file is invalid. */
const STAND_IN_HOOK = { name: 'stand-in', command: 'true' };

/** The options of a file whose shape is wrong somewhere, without the wrong parts. */
function soundParts(schemas: ConfigSchemas, raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): FileData {
  const badKeys = new Set<string>();
  const badHooks = new Map<string, Set<number>>();
  for (const issue of issues) {
    const [key, index] = issue.path;
    if (typeof key !== 'string') continue; // unknown keys at the top: never read below
    if (HOOK_LISTS.has(key) && typeof index === 'number') {
      const bad = badHooks.get(key) ?? new Set<number>();
      bad.add(index);
      badHooks.set(key, bad);
    } else {
      badKeys.add(key);
    }
  }
  const shape = schemas.file.shape as Record<string, z.ZodType>;
  const sound: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const schema = shape[key];
    if (schema === undefined || badKeys.has(key)) continue;
    const bad = badHooks.get(key);
    if (bad !== undefined && Array.isArray(value)) {
      sound[key] = value.map((hook: unknown, index) => (bad.has(index) ? STAND_IN_HOOK : schemas.hook.parse(hook)));
    } else {
      const parsed = schema.safeParse(value);
      if (parsed.success) sound[key] = parsed.data;
    }
  }
  return sound as FileData;
}

/** Problems in the order their top-level keys (and list indexes) appear in the file. */
function inFileOrder(issues: readonly ConfigIssue[], raw: Record<string, unknown>): ConfigIssue[] {
  const keys = Object.keys(raw);
  const rank = (issue: ConfigIssue): [number, number] => {
    const match = /^([^.[]*)(?:\[(\d+)\])?/.exec(issue.path);
    const position = keys.indexOf(match?.[1] ?? '');
    return [position === -1 ? keys.length : position, Number(match?.[2] ?? -1)];
  };
  return issues
    .map((issue, order) => ({ issue, order, rank: rank(issue) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.order - b.order)
    .map(({ issue }) => issue);
}

function entries(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Runs a constructor; its `ConfigError` becomes issues under `prefix`, anything else is a bug and is thrown. */
function construct<T>(make: () => T, prefix: string, issues: ConfigIssue[]): T | undefined {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...(prefix === '' ? error.issues : prefixIssues(error.issues, prefix)));
    return undefined;
  }
}

function makeTask(entry: TaskEntry): Task {
  switch (entry.borg) {
    case undefined: {
      const { borg: _borg, ...options } = entry;
      return commandTask(options);
    }
    case 'create': {
      const { borg: _borg, ...options } = entry;
      return borgCreate(options);
    }
    case 'prune': {
      const { borg: _borg, ...options } = entry;
      return borgPrune(options);
    }
    case 'compact': {
      const { borg: _borg, ...options } = entry;
      return borgCompact(options);
    }
    case 'check': {
      const { borg: _borg, ...options } = entry;
      return borgCheck(options);
    }
  }
}

function makeNotifier(entry: NotifierEntry, consoleStream: NodeJS.WritableStream | undefined): Notifier {
  switch (entry.type) {
    case 'console': {
      const { type: _type, ...options } = entry;
      return new ConsoleNotifier({ ...options, ...(consoleStream === undefined ? {} : { stream: consoleStream }) });
    }
    case 'webhook': {
      const { type: _type, ...options } = entry;
      return new WebhookNotifier(options);
    }
    case 'healthchecks': {
      const { type: _type, ...options } = entry;
      return new HealthchecksNotifier(options);
    }
    case 'ntfy': {
      const { type: _type, ...options } = entry;
      return new NtfyNotifier(options);
    }
    case 'discord': {
      const { type: _type, ...options } = entry;
      return new DiscordNotifier(options);
    }
    case 'pushover': {
      const { type: _type, ...options } = entry;
      return new PushoverNotifier(options);
    }
    case 'telegram': {
      const { type: _type, ...options } = entry;
      return new TelegramNotifier(options);
    }
  }
}
