import { borgCheck, borgCompact, borgCreate, borgPrune } from '../borg/index.js';
import { LIMITS, type JobPipelineOptions } from '../config.js';
import { ConfigError, formatPath, type ConfigIssue } from '../errors.js';
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
import { createConfigSchemas, type ConfigSchemas } from './schema.js';
import { inInputOrder, ownValue, PROTO_KEY_MESSAGE, prefixIssues, resolveUnions, toConfigIssues } from '../validation.js';
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
 *
 * @example
 * ```ts
 * const built = buildJob({ tasks: [{ borg: 'prune', repository: '/srv/borg', keep: { daily: 0 } }] }, { env: process.env })
 * // { ok: false, issues: [{ code: 'invalid_value', path: ['tasks', 0, 'keep', 'daily'], message: 'expected a number greater than 0' }] }
 * ```
 */
export function buildJob(raw: unknown, options: BuildJobOptions): BuildJobResult {
  const source = { env: options.env, resolved: [] as string[] };
  const schemas = createConfigSchemas(source);
  const issues: ConfigIssue[] = [];

  const file = schemas.file.safeParse(raw, { reportInput: true });
  if (!file.success) issues.push(...toConfigIssues(file.error.issues, schemas.file, raw));
  const rawObject = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};

  const tasks: Task[] = [];
  const taskIssues: ConfigIssue[] = [];
  entries(ownValue(rawObject, 'tasks'), LIMITS.tasks).forEach((entry, index) => {
    const parsed = schemas.taskEntry.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      taskIssues.push(...toConfigIssues(parsed.error.issues, schemas.taskEntry, entry, ['tasks', index]));
      return;
    }
    const task = construct(() => makeTask(parsed.data), ['tasks', index], taskIssues);
    if (task !== undefined) tasks.push(task);
  });

  const notifiers: Notifier[] = [];
  const consoleNotifiers: string[] = [];
  const notifierIssues: ConfigIssue[] = [];
  entries(ownValue(rawObject, 'notifiers'), LIMITS.notifiers).forEach((entry, index) => {
    const parsed = schemas.notifierEntry.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      notifierIssues.push(...toConfigIssues(parsed.error.issues, schemas.notifierEntry, entry, ['notifiers', index]));
      return;
    }
    const notifier = construct(() => makeNotifier(parsed.data, options.consoleStream), ['notifiers', index], notifierIssues);
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
  const pipelineIssues: ConfigIssue[] = [];
  const pipeline = construct(
    () => new JobPipeline({ ...pipelineOptions, ...(options.executor === undefined ? {} : { executor: options.executor }) }),
    [],
    pipelineIssues,
  );
  // A required key the file lacks is reported by both; once is enough.
  const reported = new Set(issues.map((issue) => formatPath(issue.path)));
  issues.push(...pipelineIssues.filter((issue) => !reported.has(formatPath(issue.path))));

  issues.push(...taskIssues, ...notifierIssues);
  // zod drops a map's own `__proto__` key without a word (JSON.parse and YAML both make them).
  const located = new Set(issues.map((issue) => formatPath(issue.path)));
  for (const path of protoKeyPaths(raw)) {
    if (!located.has(formatPath(path))) issues.push({ code: 'invalid_value', path, message: PROTO_KEY_MESSAGE });
  }
  // A required key the file lacks comes first: it is what the entry is missing.
  if (issues.length > 0 || pipeline === undefined) return { ok: false, issues: inInputOrder(issues, rawObject, { missingFirst: true }) };
  return { ok: true, job: { pipeline, options: pipelineOptions, consoleNotifiers } };
}

type FileData = z.output<ConfigSchemas['file']>;

const HOOK_LISTS = new Set(['preHooks', 'pre_job_hooks', 'postHooks', 'post_job_hooks']);
/** Stands in for a hook that is not even an object; never run, since the file is invalid. */
const STAND_IN_HOOK = { name: 'stand-in', command: 'true' };

/**
 * The options of a file whose shape is wrong somewhere, without the wrong parts: a top-level key
 * with a problem is left out; a hook keeps its sound keys (and its index), so the pipeline still
 * checks their values.
 */
function soundParts(schemas: ConfigSchemas, raw: Record<string, unknown>, zodIssues: readonly z.core.$ZodIssue[]): FileData {
  const badKeys = new Set<string>();
  // list → hook index → the hook's keys with a problem ('*': the hook as a whole)
  const badHookKeys = new Map<string, Map<number, Set<string>>>();
  for (const issue of resolveUnions(zodIssues)) {
    const [key, index, hookKey] = issue.path;
    if (typeof key !== 'string') continue; // unknown keys at the top: never read below
    if (!HOOK_LISTS.has(key) || typeof index !== 'number') {
      badKeys.add(key);
      continue;
    }
    const hooks = badHookKeys.get(key) ?? new Map<number, Set<string>>();
    badHookKeys.set(key, hooks);
    const keys = hooks.get(index) ?? new Set<string>();
    hooks.set(index, keys);
    if (typeof hookKey === 'string') keys.add(hookKey);
    else if (issue.code === 'unrecognized_keys') for (const unknown of issue.keys) keys.add(unknown);
    else keys.add('*');
  }
  const shape = schemas.file.shape as Record<string, z.ZodType>;
  const lenient = schemas.hook.partial();
  const sound: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: `constructor` or `toString` in a file is an unknown key, not Object's method.
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (schema === undefined || badKeys.has(key)) continue;
    const hooks = badHookKeys.get(key);
    if (hooks !== undefined && Array.isArray(value)) {
      sound[key] = value.map((hook: unknown, index) => {
        const bad = hooks.get(index);
        if (bad === undefined) return schemas.hook.parse(hook);
        if (bad.has('*') || typeof hook !== 'object' || hook === null) return STAND_IN_HOOK;
        const kept = lenient.safeParse(Object.fromEntries(Object.entries(hook).filter(([hookKey]) => !bad.has(hookKey))));
        return kept.success ? kept.data : STAND_IN_HOOK;
      });
    } else {
      const parsed = schema.safeParse(value);
      if (parsed.success) sound[key] = parsed.data;
    }
  }
  return sound as FileData;
}

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

/** A list's entries, or none when it is over its limit (the file schema reports that, once). */
function entries(value: unknown, max: number): readonly unknown[] {
  return Array.isArray(value) && value.length <= max ? value : [];
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
