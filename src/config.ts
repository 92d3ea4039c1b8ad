import * as z from 'zod';
import { durationProblem, type Duration } from './duration.js';
import { DEFAULTS } from './defaults.js';
import { describeValue } from './errors.js';
import { repeatedJsonKey } from './json.js';
import { capped, nonEmptyPrintedString, printedString, secret, durationMs, durationWritten, envRecord, nameProblem, nameString, nonEmptySpawnString, parseOptions, spawnString, withoutProtoKey, outcomeShape, exitCode, exitCodeList, isExitCode, retryDelayToMs, type EnvValue } from './validation.js';
import type { Executor } from './executor/types.js';
import type { Notifier, Repository, Task } from './types.js';

export { DEFAULTS };

// ---------------------------------------------------------------------------------------------
// Building blocks (the shared primitives live in validation.ts)

/**
 * Upper bounds on what a configuration may hold, so that a runaway or hostile file fails fast with a
 * clear message instead of exhausting memory (docs/hooks.md, "Limits").
 */
export const LIMITS = {
  /** Hooks per phase (`preHooks`, `postHooks`). */
  hooksPerPhase: 1000,
  /** Main tasks. */
  tasks: 1000,
  /** Notifiers. */
  notifiers: 1000,
  /** `secrets`: each is looked for in every output line. */
  secrets: 1000,
  /** `defaults.maxOutputBytes`: the tail is held in memory for every task at once. */
  maxOutputBytes: 64 * 1024 * 1024,
} as const;

const nonEmptyString = nonEmptySpawnString;

/** A context key becomes the variable `<prefix><KEY>`: only characters valid in a variable name. */
const contextKey = z.string().regex(/^[A-Za-z0-9_]+$/, {
  message: 'a context key becomes the environment variable <envPrefix><KEY>: use only letters A-Z, digits and "_"',
});

const contextRecord = withoutProtoKey(z.record(contextKey, z.union([spawnString, z.number(), z.boolean()])));

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// ---------------------------------------------------------------------------------------------
// Hooks

const hookShape = {
  name: nameString.meta({ description: 'Shown in results, events and notifications; not empty.' }),
  command: nonEmptyString.meta({ description: 'Shell text, multi-line allowed; a first #! line makes it a script for that interpreter.' }),
  critical: z.boolean().optional().meta({ description: 'Its failure fails the job: later tasks are skipped (cleanup post-hooks still run). Default false.' }),
  runOnJobFailure: z.boolean().optional().meta({ description: 'Post-hooks only: run even after a critical failure or a cancellation. Default false.' }),
  run_on_job_failure: z.boolean().optional().meta({ description: 'Alias of runOnJobFailure.' }),
  continueOnFailure: z.boolean().optional().meta({ description: 'false: a failure of this (non-critical) hook skips the rest of its phase, not the job. Default true.' }),
  continue_on_failure: z.boolean().optional().meta({ description: 'Alias of continueOnFailure.' }),
  timeout: durationWritten.optional().meta({ description: 'Seconds or a duration string ("500ms", "90s", "5m", "1h"); then the whole process tree is killed. Default 300.' }),
  shell: nonEmptyString.optional().meta({ description: 'The interpreter for the command. Default /bin/bash (cmd.exe on Windows).' }),
  cwd: nonEmptyString.optional().meta({ description: 'Working directory; must exist. Default: the pipeline\'s defaults.cwd.' }),
  working_directory: nonEmptyString.nullable().optional().meta({ description: 'Alias of cwd.' }),
  env: envRecord.optional().meta({ description: 'Extra environment for this hook.' }),
  environment_vars: envRecord.optional().meta({ description: 'Alias of env.' }),
  keepBackground: z.boolean().optional().meta({ description: 'Leave processes the hook started in the background running (daemons it starts on purpose). Default false.' }),
  /** Borgitory writes this key; output is always captured here, so it is accepted and has no effect. */
  log_output: z.boolean().optional().meta({ description: 'Accepted for compatibility with Borgitory; output is always captured, so it has no effect.' }),
  // Outcomes (docs/hooks.md): retries, warning exit codes, paired cleanup.
  ...outcomeShape,
  warning_exit_codes: exitCodeList.optional().meta({ description: 'Alias of warningExitCodes.' }),
};

/** The snake_case names of Borgitory's stored hooks, and `log_output`, which has no effect. */
const HOOK_ALIASES = ['run_on_job_failure', 'continue_on_failure', 'working_directory', 'environment_vars', 'log_output', 'warning_exit_codes', 'cleanup_for'] as const;

const ALIASES = [
  ['runOnJobFailure', 'run_on_job_failure'],
  ['continueOnFailure', 'continue_on_failure'],
  ['cwd', 'working_directory'],
  ['env', 'environment_vars'],
  ['warningExitCodes', 'warning_exit_codes'],
  ['cleanupFor', 'cleanup_for'],
] as const;

/**
 * The aliases each parsed hook was written with. The job's checks across hooks see hooks already
 * parsed, where `cleanup_for` has become `cleanupFor`: they report a problem at the key the file has.
 */
const aliasesWritten = new WeakMap<object, ReadonlySet<string>>();

/** The key `hook` gave `camel` under: its alias if the file used that, else `camel` itself. */
function keyAsWritten(hook: object, camel: (typeof ALIASES)[number][0]): string {
  const snake = ALIASES.find(([name]) => name === camel)?.[1];
  if (snake === undefined) return camel;
  return aliasesWritten.get(hook)?.has(snake) === true ? snake : camel;
}

const PRE_HOOK_RUN_ON_FAILURE = 'applies to post-hooks only: a pre-hook cannot run after the job failed';
const PRE_HOOK_CLEANUP_FOR = 'applies to post-hooks only: a post-hook names the pre-hook it undoes';

/** Every issue at once: checks that compare fields run even when another field is wrong. */
const ALWAYS = { when: () => true } as const;

function makeHookSchema(phase: 'pre' | 'post' | 'any') {
  const runOnJobFailure =
    phase === 'pre' ? z.boolean().refine((value) => !value, { message: PRE_HOOK_RUN_ON_FAILURE }).optional() : z.boolean().optional()
  const runOnJobFailureField = runOnJobFailure.meta({ description: 'Post-hooks only: run even after a critical failure or a cancellation. Default false.' });
  const cleanupFor = phase === 'pre' ? nameString.refine(() => false, { message: PRE_HOOK_CLEANUP_FOR }).optional() : nameString.optional();
  return z
    .strictObject({
      ...hookShape,
      runOnJobFailure: runOnJobFailureField,
      run_on_job_failure: runOnJobFailure.meta({ description: 'Alias of runOnJobFailure.' }),
      cleanupFor: cleanupFor.meta({ description: 'Post-hooks only: the name of the pre-hook this one undoes; it runs if and only if that pre-hook started, whatever the job\'s outcome.' }),
      cleanup_for: cleanupFor.meta({ description: 'Alias of cleanupFor.' }),
    })
    .superRefine((hook, context) => {
      if (typeof hook !== 'object' || hook === null) return;
      for (const [camel, snake] of ALIASES) {
        if (hook[camel] !== undefined && hook[snake] !== undefined) {
          context.addIssue({ code: 'custom', path: [snake], message: `give either "${camel}" or "${snake}", not both` });
        }
      }
    }, ALWAYS)
    .transform((hook) => {
      const parsed = {
        name: hook.name,
        command: hook.command,
        critical: hook.critical ?? false,
        runOnJobFailure: hook.runOnJobFailure ?? hook.run_on_job_failure ?? false,
        continueOnFailure: hook.continueOnFailure ?? hook.continue_on_failure ?? true,
        timeout: hook.timeout,
        shell: hook.shell,
        cwd: hook.cwd ?? hook.working_directory ?? undefined,
        env: hook.env ?? hook.environment_vars ?? {},
        keepBackground: hook.keepBackground ?? false,
        retries: hook.retries ?? DEFAULTS.retries,
        retryDelay: hook.retryDelay,
        retryDelayMax: hook.retryDelayMax,
        warningExitCodes: hook.warningExitCodes ?? hook.warning_exit_codes ?? [],
        cleanupFor: hook.cleanupFor ?? hook.cleanup_for ?? null,
      };
      const written = ALIASES.flatMap(([, snake]) => (hook[snake] === undefined ? [] : [snake]));
      if (written.length > 0) aliasesWritten.set(parsed, new Set(written));
      return parsed;
    });
}

const hookSchema = makeHookSchema('any');

/**
 * A hook as code writes it: `{ name, command }` plus options (docs/hooks.md, "Every option"), in
 * camelCase. The snake_case names of Borgitory's stored hooks (`run_on_job_failure`,
 * `continue_on_failure`, `working_directory`, `environment_vars`, `log_output`) belong to
 * {@link parseHooks} and the config file; the pipeline still accepts them at run time.
 *
 * @example
 * ```ts
 * const dump: HookConfig = { name: 'Database Dump', command: 'pg_dump app > /tmp/app.sql', critical: true, timeout: '10m' }
 * ```
 */
export interface HookConfig {
  /** Shown in results, events and notifications; not empty. */
  readonly name: string;
  /** Shell text, multi-line allowed; a first `#!` line makes it a script for that interpreter. */
  readonly command: string;
  /**
   * Its failure fails the job: later tasks are skipped (cleanup post-hooks still run).
   * @default false
   */
  readonly critical?: boolean | undefined;
  /**
   * Post-hooks only: run even after a critical failure or a cancellation.
   * @default false
   */
  readonly runOnJobFailure?: boolean | undefined;
  /**
   * `false`: a failure of this (non-critical) hook skips the rest of its phase, not the job.
   * @default true
   */
  readonly continueOnFailure?: boolean | undefined;
  /**
   * Seconds or a duration string (`"90s"`, `"5m"`); then the whole process tree is killed.
   * @default 300
   */
  readonly timeout?: Duration | undefined;
  /**
   * The interpreter for `command`.
   * @default '/bin/bash' ('cmd.exe' on Windows)
   */
  readonly shell?: string | undefined;
  /**
   * Working directory; must exist.
   * @default the pipeline's `defaults.cwd`
   */
  readonly cwd?: string | undefined;
  /**
   * Extra environment for this hook.
   * @default {}
   */
  readonly env?: Readonly<Record<string, EnvValue>> | undefined;
  /**
   * Leave processes the hook started in the background running (daemons it starts on purpose).
   * @default false
   */
  readonly keepBackground?: boolean | undefined;
  /**
   * Extra attempts after a failed one (not after a cancellation; docs/hooks.md#retries).
   * @default 0
   */
  readonly retries?: number | undefined;
  /**
   * The wait before the second attempt (0, seconds or a duration string); it doubles for each one after, ±20 %.
   * @default '10s'
   */
  readonly retryDelay?: Duration | undefined;
  /**
   * The longest wait between two attempts.
   * @default '5m'
   */
  readonly retryDelayMax?: Duration | undefined;
  /** Exit codes that end the hook `completed` with `warning: true` instead of failed (docs/hooks.md#warning-exit-codes). */
  readonly warningExitCodes?: readonly number[] | undefined;
  /**
   * Post-hooks only: the name of the pre-hook this one undoes. It runs if and only if that pre-hook
   * started, whatever the job's outcome (docs/hooks.md#paired-cleanup).
   */
  readonly cleanupFor?: string | undefined;
}

type ParsedHook = z.output<typeof hookSchema>;

/**
 * A hook list given as the JSON string the documented API stores, read: what it holds (an empty
 * string is no hooks), or why it is not JSON. Anything but a string is returned as it is.
 */
export function readHookList(value: unknown): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string } {
  if (typeof value !== 'string') return { ok: true, value };
  if (value.trim() === '') return { ok: true, value: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value) as unknown;
  } catch (error) {
    return { ok: false, message: `invalid JSON in hook list: ${error instanceof Error ? error.message : String(error)}` };
  }
  // JSON.parse keeps the last of a repeated key: `"critical": true, "critical": false` would be false.
  const repeated = repeatedJsonKey(value);
  if (repeated !== undefined) return { ok: false, message: `invalid JSON in hook list: the key ${JSON.stringify(repeated.key)} is given twice in one object` };
  return { ok: true, value: parsed };
}

/** Accepts a hook list as an array or as the JSON string the documented API stores. */
function makeHookList(phase: 'pre' | 'post' | 'any') {
  return z.preprocess((value, context) => {
    const read = readHookList(value);
    if (read.ok) return read.value;
    context.addIssue({ code: 'custom', input: value, message: read.message });
    return z.NEVER;
  }, capped(makeHookSchema(phase), LIMITS.hooksPerPhase, 'hooks per phase'));
}

const hookList = makeHookList('any');
const preHookList = makeHookList('pre');
const postHookList = makeHookList('post');

/** Input type of a hook list: an array of hooks or a JSON string holding one. */
export type HookListInput = readonly HookConfig[] | string;

// ---------------------------------------------------------------------------------------------
// Tasks and notifiers: objects with methods, checked field by field and kept as they are.

const taskSchema = z.custom<Task>().superRefine((task, context) => {
  if (!isObject(task)) {
    context.addIssue({ code: 'custom', message: `expected a Task object ({ type, name, run }), received ${describeValue(task)}` });
    return;
  }
  for (const key of ['type', 'name'] as const) {
    const problem = nameProblem(task[key]);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: [key], message: problem });
  }
  if (typeof task.run !== 'function') {
    context.addIssue({ code: 'custom', path: ['run'], message: `expected a function run(ctx), received ${describeValue(task.run)}` });
  }
  if (task.critical !== undefined && typeof task.critical !== 'boolean') {
    context.addIssue({ code: 'custom', path: ['critical'], message: `expected boolean, received ${describeValue(task.critical)}` });
  }
  const timeoutProblem = task.timeout === undefined ? undefined : durationProblem(task.timeout);
  if (timeoutProblem !== undefined) context.addIssue({ code: 'custom', path: ['timeout'], message: timeoutProblem });
  if (task.secrets !== undefined && !(Array.isArray(task.secrets) && task.secrets.every((s) => typeof s === 'string'))) {
    context.addIssue({ code: 'custom', path: ['secrets'], message: `expected an array of strings, received ${describeValue(task.secrets)}` });
  }
  // The same outcome options as a hook's, checked by the same schemas (docs/hooks.md#retries).
  for (const key of Object.keys(outcomeShape) as (keyof typeof outcomeShape)[]) {
    const parsed = outcomeShape[key].safeParse(task[key]);
    if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message });
  }
});

const LEVELS = ['info', 'success', 'warning', 'error'];

const notifierSchema = z.custom<Notifier>().superRefine((notifier, context) => {
  if (!isObject(notifier)) {
    context.addIssue({ code: 'custom', message: `expected a Notifier object ({ name, notify }), received ${describeValue(notifier)}` });
    return;
  }
  if (typeof notifier.name !== 'string' || notifier.name.trim() === '') {
    context.addIssue({ code: 'custom', path: ['name'], message: `expected a non-empty string, received ${describeValue(notifier.name)}` });
  }
  if (typeof notifier.notify !== 'function') {
    context.addIssue({ code: 'custom', path: ['notify'], message: `expected a function notify(message, ctx), received ${describeValue(notifier.notify)}` });
  }
  const timeoutProblem = notifier.timeout === undefined ? undefined : durationProblem(notifier.timeout);
  if (timeoutProblem !== undefined) context.addIssue({ code: 'custom', path: ['timeout'], message: timeoutProblem });
  if (notifier.on !== undefined && !(Array.isArray(notifier.on) && notifier.on.every((level) => LEVELS.includes(level)))) {
    context.addIssue({ code: 'custom', path: ['on'], message: `expected an array of "info", "success", "warning", "error", received ${describeValue(notifier.on)}` });
  }
});

const executorSchema = z.custom<Executor>().superRefine((executor, context) => {
  if (!isObject(executor) || typeof executor.execute !== 'function') {
    context.addIssue({ code: 'custom', message: `expected an Executor (an object with an execute(request) method), received ${describeValue(executor)}` });
  }
});

// ---------------------------------------------------------------------------------------------
// The pipeline

const defaultsSchema = z.strictObject({
  timeout: durationMs.optional().meta({ description: 'Default timeout of hooks and tasks: seconds or a duration string ("500ms", "90s", "5m", "1h"). Default 300.' }),
  shell: nonEmptyString.optional().meta({ description: 'Interpreter for string commands. Default /bin/bash (cmd.exe on Windows).' }),
  cwd: nonEmptyString.optional().meta({ description: 'Working directory. Default: the current directory when the pipeline is made.' }),
  killGrace: durationMs.optional().meta({ description: 'Time between SIGTERM and SIGKILL: seconds or a duration string. Default 10.' }),
  maxOutputBytes: z
    .number()
    .int()
    .min(1024, { message: 'must be at least 1024 bytes' })
    .max(LIMITS.maxOutputBytes, { message: `must be at most ${LIMITS.maxOutputBytes} bytes (64 MiB): every task's tail is held in memory` })
    .optional().meta({ description: 'Output tail kept per task, in bytes. Default 65536.' }),
});

const pipelineSchema = z
  .strictObject({
    preHooks: preHookList.optional().meta({ description: 'Hooks run before the main tasks, in order: a list, or the JSON string the documented API stores.' }),
    pre_job_hooks: preHookList.optional().meta({ description: 'Alias of preHooks.' }),
    tasks: capped(taskSchema, LIMITS.tasks, 'tasks').optional().meta({ description: 'The main tasks, in order.' }),
    postHooks: postHookList.optional().meta({ description: 'Hooks run after the main tasks, in order.' }),
    post_job_hooks: postHookList.optional().meta({ description: 'Alias of postHooks.' }),
    notifiers: capped(notifierSchema, LIMITS.notifiers, 'notifiers').optional().meta({ description: 'Where the notification goes; with none, the job has no notification task.' }),
    executor: executorSchema.optional().meta({ description: 'Runs every command. Default: a new ShellExecutor.' }),
    jobId: nonEmptyPrintedString.optional().meta({ description: 'The job id, given to hooks and notifications. Default: a random UUID per run.' }),
    jobType: nonEmptyPrintedString.optional().meta({ description: 'scheduled, manual, …: given to hooks as <P>JOB_TYPE. Default "manual".' }),
    repository: z
      .strictObject({
        id: z.union([spawnString, z.number()]).optional().meta({ description: "The repository's id, given to hooks." }),
        name: printedString.optional().meta({ description: "The repository's name: shown in notifications, given to hooks." }),
      })
      .optional().meta({ description: 'The repository the job works on: shown in notifications, given to hooks.' }),
    env: envRecord.optional().meta({ description: 'Extra environment for every hook and command.' }),
    inheritEnv: z.boolean().optional().meta({ description: 'false: children get only PATH, HOME, LANG, TZ from the parent. Default true.' }),
    envPrefix: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be letters, digits and underscores, not starting with a digit' })
      .optional().meta({ description: 'The prefix of the context variables; "BORGITORY_" runs the documented scripts unchanged. Default "JOBHOOKS_".' }),
    context: contextRecord.optional().meta({ description: 'More context for hooks: each entry becomes <P><KEY> (key upper-cased).' }),
    secrets: capped(secret(z.string()), LIMITS.secrets, 'secrets').optional().meta({ description: 'Values replaced by *** in output, events, errors, results and notifications.' }),
    jobLabel: nonEmptyPrintedString.optional().meta({ description: 'The word for the job in notifications ("Backup Job Completed Successfully"). Default "Backup".' }),
    defaults: defaultsSchema.optional().meta({ description: 'Defaults for every hook and command.' }),
    // Crash-safe runs (docs/journal.md): the journal, the lock wait, the job deadline.
    journal: z.strictObject({ dir: nonEmptyString, key: nonEmptyString, keep: z.number().int().min(1).optional() }).optional().meta({ description: 'Crash-safe runs (docs/journal.md): a journal under dir, one run of key at a time; keep: finished runs kept per key (default 100). Off when absent.' }),
    lockWait: z.union([z.literal(0), durationMs]).optional().meta({ description: 'With a journal: how long a run waits for a running owner of the key before refusing (seconds or a duration string). Default 0.' }),
    skipExitCode: exitCode()
      .nullable()
      .optional()
      .meta({ description: 'A pre-hook exiting with this code asks to skip the job (status skipped, level info); null turns it off. Default 75.' }),
    maxRunTime: durationWritten.optional().meta({ description: 'The job\'s deadline (seconds or a duration string): when it passes, the job is cancelled and its cleanup runs.' }),
  })
  .superRefine((options, context) => {
    if (typeof options !== 'object' || options === null) return;
    for (const [camel, snake] of [['preHooks', 'pre_job_hooks'], ['postHooks', 'post_job_hooks']] as const) {
      if (options[camel] !== undefined && options[snake] !== undefined) {
        context.addIssue({ code: 'custom', path: [snake], message: `give either "${camel}" or "${snake}", not both` });
      }
    }
    // A paired cleanup names a pre-hook of this job (docs/hooks.md#paired-cleanup); no pre-hooks given
    // is a job with none, whose every cleanupFor names nothing.
    const pre = options.preHooks ?? options.pre_job_hooks ?? [];
    // A pre-hook's exit with the skip code skips the job (docs/hooks.md#skip-the-job): it cannot also be a warning.
    const skipCode = options.skipExitCode === undefined ? DEFAULTS.skipExitCode : options.skipExitCode;
    // A skipExitCode that is itself refused (0, 300) is said at its own path, and checked against nothing.
    if (Array.isArray(pre) && isExitCode(skipCode)) {
      const preKey = options.preHooks === undefined ? 'pre_job_hooks' : 'preHooks';
      pre.forEach((hook: unknown, index) => {
        if (typeof hook !== 'object' || hook === null) return;
        for (const key of ['warningExitCodes', 'warning_exit_codes'] as const) {
          const codes: unknown = (hook as Record<string, unknown>)[key];
          if (Array.isArray(codes) && codes.includes(skipCode)) {
            const at = key === 'warningExitCodes' ? keyAsWritten(hook, key) : key;
            context.addIssue({ code: 'custom', path: [preKey, index, at], message: `${skipCode} is the job's skipExitCode: a pre-hook exiting ${skipCode} skips the job, so it cannot also be a warning code` });
          }
        }
      });
    }
    // Results, events and errors tell notifiers apart by name (docs/notifications.md): two of one name
    // (two webhooks left with the default) would make `data.notifiers` and every error ambiguous.
    if (Array.isArray(options.notifiers) && options.notifiers.length <= LIMITS.notifiers) {
      const firstWith = new Map<string, number>();
      options.notifiers.forEach((notifier: unknown, index) => {
        const name: unknown = typeof notifier === 'object' && notifier !== null ? (notifier as { name?: unknown }).name : undefined;
        if (typeof name !== 'string') return;
        const first = firstWith.get(name);
        if (first === undefined) firstWith.set(name, index);
        else context.addIssue({ code: 'custom', path: ['notifiers', index, 'name'], message: `"${name}" is the name of notifiers[${first}] too: give each notifier a name of its own (results, events and errors tell them apart by it)` });
      });
    }
    const post = options.postHooks ?? options.post_job_hooks;
    if (Array.isArray(pre) && Array.isArray(post)) {
      const preNames: unknown[] = pre.map((hook: unknown) => (typeof hook === 'object' && hook !== null ? (hook as { name?: unknown }).name : undefined));
      const postKey = options.postHooks === undefined ? 'post_job_hooks' : 'postHooks';
      post.forEach((hook, index) => {
        // A hook list with other issues reaches here unparsed: check only a name that is there.
        const target: unknown = typeof hook === 'object' && hook !== null ? (hook as { cleanupFor?: unknown }).cleanupFor : undefined;
        if (typeof target !== 'string') return;
        // A pair is made by name, here and in a recovery: a name two pre-hooks share pairs with neither.
        const named = preNames.flatMap((name, at) => (name === target ? [at + 1] : []));
        if (named.length > 1) {
          context.addIssue({ code: 'custom', path: [postKey, index, keyAsWritten(hook, 'cleanupFor')], message: `names ${named.length} pre-hooks: "${target}" is the name of pre-hooks ${named.join(' and ')}; give the one this undoes a name of its own` });
        }
        if (named.length > 0) return;
        const names = preNames.filter((name): name is string => typeof name === 'string');
        const known = names.length === 0 ? 'this job has no pre-hooks' : `the pre-hooks are ${names.map((name) => `"${name}"`).join(', ')}`;
        context.addIssue({ code: 'custom', path: [postKey, index, keyAsWritten(hook, 'cleanupFor')], message: `names no pre-hook: "${target}" (${known})` });
      });
    }
  }, ALWAYS);

/** The options {@link resolvePipelineOptions} validates (the config file's top level is derived from it). */
export const pipelineOptionsSchema = pipelineSchema;

/**
 * The options of a {@link JobPipeline}, as users write them. Durations are seconds or strings
 * (`"90s"`); hook lists may be JSON strings.
 */
export interface JobPipelineOptions {
  /** Hooks run before the main tasks, in order: an array, or the JSON string the documented API stores. */
  readonly preHooks?: HookListInput | undefined;
  /** The main tasks, in order: `commandTask(...)`, the borg tasks, any {@link Task}. */
  readonly tasks?: readonly Task[] | undefined;
  /** Hooks run after the main tasks, in order. */
  readonly postHooks?: HookListInput | undefined;
  /** Where the job's outcome is sent; with none, the job has no notification task. */
  readonly notifiers?: readonly Notifier[] | undefined;
  /**
   * Runs every command.
   * @default new ShellExecutor()
   */
  readonly executor?: Executor | undefined;
  /**
   * The job's id, given to hooks and notifications.
   * @default a random UUID per run
   */
  readonly jobId?: string | undefined;
  /**
   * `scheduled`, `manual`, …: given to hooks as `<P>JOB_TYPE`.
   * @default 'manual'
   */
  readonly jobType?: string | undefined;
  /** The repository the job works on: shown in notifications, given to hooks. */
  readonly repository?: Repository | undefined;
  /** Extra environment for every hook and command. */
  readonly env?: Readonly<Record<string, EnvValue>> | undefined;
  /**
   * `false`: children get only `PATH`, `HOME`, `LANG`, `TZ` from this process's environment.
   * @default true
   */
  readonly inheritEnv?: boolean | undefined;
  /**
   * The prefix of the context variables; `'BORGITORY_'` runs the documented scripts unchanged.
   * @default 'JOBHOOKS_'
   */
  readonly envPrefix?: string | undefined;
  /** More context for hooks: each entry becomes `<P><KEY>` (key upper-cased). */
  readonly context?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** Values replaced by `***` in output, events, errors, results and notifications. */
  readonly secrets?: readonly string[] | undefined;
  /**
   * The word for the job in notifications: `Backup Job Completed Successfully`.
   * @default 'Backup'
   */
  readonly jobLabel?: string | undefined;
  /** Defaults for every hook and command. */
  readonly defaults?: PipelineDefaults | undefined;
  /**
   * Crash-safe runs (docs/journal.md): each run writes a journal under `dir`, one run of `key` at a time,
   * and a run recovers the runs of `key` whose jobhooks died. Off when absent.
   * `keep`: finished runs kept per key (default 100).
   */
  readonly journal?: { readonly dir: string; readonly key: string; readonly keep?: number | undefined } | undefined;
  /**
   * With a journal: how long `run()` waits for a running owner of the key before refusing (seconds or a duration string).
   * @default 0
   */
  readonly lockWait?: Duration | undefined;
  /** The job's deadline (seconds or a duration string): when it passes, the job is cancelled (docs/journal.md). */
  readonly maxRunTime?: Duration | undefined;
  /**
   * A pre-hook exiting with this code asks to skip the job: the job ends `skipped`, its cleanups still run
   * (docs/hooks.md#skip-the-job). `null` turns it off.
   * @default 75
   */
  readonly skipExitCode?: number | null | undefined;
}

// The hand-written types above are what users read; these lines keep them equal to the schemas.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The snake_case aliases are left out of the public types: they belong to parseHooks and the config file.
type HookInput = Omit<z.input<typeof hookSchema>, (typeof HOOK_ALIASES)[number]>;
const hookConfigMatchesSchema: Same<Required<HookConfig>, Required<{ readonly [K in keyof HookInput]: HookInput[K] }>> = true;
const optionKeysMatchSchema: Same<keyof JobPipelineOptions, Exclude<keyof z.input<typeof pipelineSchema>, 'pre_job_hooks' | 'post_job_hooks'>> = true;
void hookConfigMatchesSchema;
void optionKeysMatchSchema;

/** Defaults applied to every hook and command that does not set its own. */
export interface PipelineDefaults {
  /**
   * Seconds or a duration string.
   * @default 300
   */
  readonly timeout?: Duration | undefined;
  /**
   * Interpreter for string commands.
   * @default '/bin/bash' ('cmd.exe' on Windows)
   */
  readonly shell?: string | undefined;
  /**
   * Working directory.
   * @default process.cwd() when the pipeline is made
   */
  readonly cwd?: string | undefined;
  /**
   * Time between SIGTERM and SIGKILL: seconds or a duration string.
   * @default 10
   */
  readonly killGrace?: Duration | undefined;
  /**
   * Output tail kept per task, in bytes.
   * @default 65536
   */
  readonly maxOutputBytes?: number | undefined;
}

/** A hook with every option resolved: what the engine reads. */
export interface ResolvedHook {
  readonly name: string;
  readonly command: string;
  readonly critical: boolean;
  readonly runOnJobFailure: boolean;
  readonly continueOnFailure: boolean;
  readonly timeoutMs: number;
  readonly shell: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly keepBackground: boolean;
  /** Extra attempts after a failed one. */
  readonly retries: number;
  /** The wait before the second attempt, in ms (doubled for each after, ±20 %). */
  readonly retryDelayMs: number;
  /** The longest wait between two attempts, in ms. */
  readonly retryDelayMaxMs: number;
  readonly warningExitCodes: readonly number[];
  /** Post-hooks: the pre-hook this one undoes, or `null`. */
  readonly cleanupFor: string | null;
}

/** Resolved defaults: no field left undefined. */
export interface ResolvedDefaults {
  readonly timeoutMs: number;
  readonly shell: string;
  readonly cwd: string;
  readonly killGraceMs: number;
  readonly maxOutputBytes: number;
}

/** Pipeline options with every default applied: what the engine reads. */
export interface ResolvedPipelineOptions {
  readonly preHooks: readonly ResolvedHook[];
  readonly tasks: readonly Task[];
  readonly postHooks: readonly ResolvedHook[];
  readonly notifiers: readonly Notifier[];
  readonly executor: Executor | undefined;
  readonly jobId: string | undefined;
  readonly jobType: string;
  readonly repository: Repository | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly inheritEnv: boolean;
  readonly envPrefix: string;
  readonly context: Readonly<Record<string, string | number | boolean>>;
  readonly secrets: readonly string[];
  readonly jobLabel: string;
  readonly defaults: ResolvedDefaults;
  /** The journal (`keep` resolved), or `null` when off. */
  readonly journal: { readonly dir: string; readonly key: string; readonly keep: number } | null;
  /** How long to wait for the run lock, in ms (0: refuse at once). */
  readonly lockWaitMs: number;
  /** The job's deadline: milliseconds and the text it is named by in errors (`2h`), or `null`. */
  readonly maxRunTime: { readonly ms: number; readonly text: string } | null;
  /** The exit code with which a pre-hook asks to skip the job, or `null` (off). */
  readonly skipExitCode: number | null;
}

function resolveHook(hook: ParsedHook, defaults: ResolvedDefaults): ResolvedHook {
  return {
    name: hook.name,
    command: hook.command,
    critical: hook.critical,
    runOnJobFailure: hook.runOnJobFailure,
    continueOnFailure: hook.continueOnFailure,
    timeoutMs: hook.timeout?.ms ?? defaults.timeoutMs,
    shell: hook.shell ?? defaults.shell,
    cwd: hook.cwd ?? defaults.cwd,
    env: { ...hook.env },
    keepBackground: hook.keepBackground,
    retries: hook.retries,
    retryDelayMs: retryDelayToMs(hook.retryDelay, DEFAULTS.retryDelayMs),
    retryDelayMaxMs: retryDelayToMs(hook.retryDelayMax, DEFAULTS.retryDelayMaxMs),
    warningExitCodes: [...hook.warningExitCodes],
    cleanupFor: hook.cleanupFor,
  };
}

/**
 * Validates pipeline options and applies every default. Throws a {@link ConfigError} listing every
 * problem, each with its path, when anything is wrong; the input is never changed.
 */
export function resolvePipelineOptions(options: unknown): ResolvedPipelineOptions {
  const o = parseOptions(pipelineSchema, options, 'JobPipeline options');
  const defaults: ResolvedDefaults = {
    timeoutMs: o.defaults?.timeout ?? DEFAULTS.timeoutMs,
    shell: o.defaults?.shell ?? DEFAULTS.shell,
    cwd: o.defaults?.cwd ?? process.cwd(),
    killGraceMs: o.defaults?.killGrace ?? DEFAULTS.killGraceMs,
    maxOutputBytes: o.defaults?.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
  };
  return {
    preHooks: (o.preHooks ?? o.pre_job_hooks ?? []).map((hook) => resolveHook(hook, defaults)),
    tasks: [...(o.tasks ?? [])],
    postHooks: (o.postHooks ?? o.post_job_hooks ?? []).map((hook) => resolveHook(hook, defaults)),
    notifiers: [...(o.notifiers ?? [])],
    executor: o.executor,
    jobId: o.jobId,
    jobType: o.jobType ?? DEFAULTS.jobType,
    repository:
      o.repository === undefined
        ? undefined
        : {
            ...(o.repository.id === undefined ? {} : { id: o.repository.id }),
            ...(o.repository.name === undefined ? {} : { name: o.repository.name }),
          },
    env: { ...o.env },
    inheritEnv: o.inheritEnv ?? DEFAULTS.inheritEnv,
    envPrefix: o.envPrefix ?? DEFAULTS.envPrefix,
    context: { ...o.context },
    secrets: [...(o.secrets ?? [])],
    jobLabel: o.jobLabel ?? DEFAULTS.jobLabel,
    defaults,
    journal: o.journal === undefined ? null : { dir: o.journal.dir, key: o.journal.key, keep: o.journal.keep ?? DEFAULTS.journalKeep },
    lockWaitMs: o.lockWait ?? 0,
    skipExitCode: o.skipExitCode === undefined ? DEFAULTS.skipExitCode : o.skipExitCode,
    maxRunTime:
      o.maxRunTime === undefined
        ? null
        : { ms: o.maxRunTime.ms, text: typeof o.maxRunTime.written === 'number' ? `${o.maxRunTime.written}s` : o.maxRunTime.written.trim() },
  };
}

/**
 * Parses a hook list given as JSON (the documented API stores hooks as a JSON string) into
 * validated hooks in canonical camelCase form, ready for `preHooks` / `postHooks`.
 * An empty or blank string gives `[]`.
 *
 * @throws ConfigError listing every problem, with paths like `[1].timeout`.
 * @example
 * ```ts
 * const preHooks = parseHooks('[{"name":"DB Dump","command":"pg_dump mydb","critical":true}]')
 * // [{ name: 'DB Dump', command: 'pg_dump mydb', critical: true, runOnJobFailure: false, continueOnFailure: true, env: {} }]
 * ```
 */
export function parseHooks(json: string): HookConfig[] {
  return parseOptions(hookList, json, 'hook list').map(
    (hook): HookConfig => ({
      name: hook.name,
      command: hook.command,
      critical: hook.critical,
      runOnJobFailure: hook.runOnJobFailure,
      continueOnFailure: hook.continueOnFailure,
      env: hook.env,
      ...(hook.timeout === undefined ? {} : { timeout: hook.timeout.written }),
      ...(hook.shell === undefined ? {} : { shell: hook.shell }),
      ...(hook.cwd === undefined ? {} : { cwd: hook.cwd }),
      ...(hook.keepBackground ? { keepBackground: true } : {}),
      ...(hook.retries === 0 ? {} : { retries: hook.retries }),
      ...(hook.retryDelay === undefined ? {} : { retryDelay: hook.retryDelay }),
      ...(hook.retryDelayMax === undefined ? {} : { retryDelayMax: hook.retryDelayMax }),
      ...(hook.warningExitCodes.length === 0 ? {} : { warningExitCodes: hook.warningExitCodes }),
      ...(hook.cleanupFor === null ? {} : { cleanupFor: hook.cleanupFor }),
    }),
  );
}
