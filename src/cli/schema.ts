import { z } from 'zod';
import { LIMITS } from '../config.js';

/*
 * The config file's shape, in zod: the one source of both the file's validation and the JSON Schema
 * that `jobhooks schema` prints for editors.
 *
 * These schemas check *structure*: which keys exist, their types, which task or notifier an entry
 * is, and the `{ "env": "NAME" }` form of secrets. The *values* (an empty name, a timeout of
 * "soon", a URL that is not http) are checked by the constructors the entries are handed to —
 * `JobPipeline`, `commandTask`, `borgCreate`, the notifiers — so each rule lives in one place.
 */

/** Where secrets given as `{ "env": "NAME" }` are read from, and where their values are collected. */
export interface SecretSource {
  /** The environment the names are looked up in (`process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Every value read from `env`, in the order met: the pipeline's `secrets` get them all. */
  readonly resolved: string[];
}

/** The message of a list over its limit: the same words as the engine's (docs/cli.md). */
function tooMany(max: number, what: string): string {
  return `at most ${max} ${what} are allowed (the limit keeps a runaway file from exhausting memory)`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Builds the config file's schemas. `source` resolves `{ "env": "NAME" }` secrets while parsing
 * (an unset or empty variable is an issue at the secret's path); the JSON Schema is built with an
 * empty source and never parses anything.
 */
export function createConfigSchemas(source: SecretSource) {
  const envRef = z
    .strictObject({
      env: z.string().regex(ENV_NAME, { message: 'expected an environment variable name (letters, digits, "_")' }),
    })
    .meta({ description: 'Read the value from this environment variable when the file is loaded; it is then redacted as a secret.' });

  const secretRef = envRef.transform((ref, context) => {
    // Own variables only: `{ "env": "constructor" }` must not find Object's method.
    const value = Object.hasOwn(source.env, ref.env) ? source.env[ref.env] : undefined;
    if (value === undefined || value === '') {
      context.addIssue({
        code: 'custom',
        message: `environment variable ${ref.env} is ${value === undefined ? 'not set' : 'empty'}`,
      });
      return z.NEVER;
    }
    source.resolved.push(value);
    return value;
  });

  /** A string, or `{ "env": "NAME" }` to keep it out of the file. */
  const secret = (description: string) =>
    z.union([z.string(), secretRef], { error: 'expected a string or { "env": "VARIABLE_NAME" }' }).meta({ description });

  // Numbers and booleans are written as shell users expect (`PGPORT: 5432`) and given as their string form.
  const envValue = z
    .union([z.string(), z.number().transform(String), z.boolean().transform(String), secretRef], {
      error: 'expected a string, number, boolean or { "env": "VARIABLE_NAME" }',
    })
    .meta({ description: 'The value (a number or boolean becomes its string form), or { "env": "NAME" } to read it from the environment.' });
  const envMap = (description: string) => z.record(z.string(), envValue).meta({ description });

  const duration = (description: string) =>
    z.union([z.number(), z.string()], { error: 'expected a number of seconds or a duration string such as "90s", "5m", "1h"' }).meta({ description });

  const strings = (description: string) => z.array(z.string()).meta({ description });

  // -------------------------------------------------------------------------------------------
  // Hooks (docs/hooks.md), with the documented API's snake_case aliases.

  const hook = z
    .strictObject({
      name: z.string().meta({ description: 'Shown in results, events and notifications.' }),
      command: z.string().meta({ description: 'Shell text; a script starting with #! runs with that interpreter.' }),
      critical: z.boolean().meta({ description: 'Its failure fails the job. Default false.' }).optional(),
      runOnJobFailure: z.boolean().meta({ description: 'Post-hooks only: run even after a critical failure or cancellation. Default false.' }).optional(),
      run_on_job_failure: z.boolean().meta({ description: 'Alias of runOnJobFailure.' }).optional(),
      continueOnFailure: z.boolean().meta({ description: 'false: a failure skips the rest of this phase. Default true.' }).optional(),
      continue_on_failure: z.boolean().meta({ description: 'Alias of continueOnFailure.' }).optional(),
      timeout: duration('Seconds or "500ms", "90s", "5m", "1h"; then the whole process tree is killed. Default 300.').optional(),
      shell: z.string().meta({ description: 'Interpreter for the command. Default /bin/bash.' }).optional(),
      cwd: z.string().meta({ description: 'Working directory; must exist.' }).optional(),
      working_directory: z.string().nullable().meta({ description: 'Alias of cwd.' }).optional(),
      env: envMap('Extra environment variables for this hook.').optional(),
      environment_vars: envMap('Alias of env.').optional(),
      keepBackground: z.boolean().meta({ description: 'Let background processes the hook starts outlive it. Default false.' }).optional(),
      log_output: z.boolean().meta({ description: 'Accepted for compatibility; output is always captured.' }).optional(),
    })
    .meta({ title: 'Hook' });

  const hookList = (description: string) =>
    z
      .union([z.array(hook).max(LIMITS.hooksPerPhase, { message: tooMany(LIMITS.hooksPerPhase, 'hooks per phase') }), z.string()], {
        error: 'expected a list of hooks, or a JSON string holding one',
      })
      .meta({ description });

  // -------------------------------------------------------------------------------------------
  // Main tasks: `commandTask` options, or `borg: create | prune | compact | check` with that factory's options.

  const commandEntry = z
    .strictObject({
      name: z.string().meta({ description: 'Shown in results, events and notifications.' }),
      type: z.string().meta({ description: 'The task type shown in flows and notifications ("backup" → "Backup Task"). Default "command".' }).optional(),
      command: z
        .union([z.string(), z.array(z.string())], { error: 'expected shell text or an argv array of strings' })
        .meta({ description: 'Shell text, or an argv array run without a shell.' }),
      critical: z.boolean().meta({ description: 'Its failure fails the job. Default true.' }).optional(),
      timeout: duration('Seconds or a duration string. Default: defaults.timeout.').optional(),
      cwd: z.string().meta({ description: 'Working directory. Default: defaults.cwd.' }).optional(),
      env: envMap('Extra environment variables for this command.').optional(),
      shell: z.string().meta({ description: 'Interpreter for shell text. Default: defaults.shell.' }).optional(),
    })
    .meta({ title: 'Command task' });

  const borgCommon = {
    repository: z.string().meta({ description: 'The repository: a path or ssh://user@host/./repo.' }),
    passphrase: secret('The repository passphrase (given to borg as BORG_PASSPHRASE, redacted everywhere).').optional(),
    passcommand: z.string().meta({ description: 'A command that prints the passphrase (BORG_PASSCOMMAND).' }).optional(),
    env: envMap('Extra environment for borg (BORG_CACHE_DIR, BORG_RSH, …).').optional(),
    borgBinary: z.string().meta({ description: 'The borg executable. Default "borg".' }).optional(),
    extraArgs: strings('More borg options, placed before the repository.').optional(),
    lockWait: duration('How long borg waits for the repository lock (0: do not wait).').optional(),
    name: z.string().meta({ description: 'The task name in results and notifications.' }).optional(),
    critical: z.boolean().meta({ description: 'Its failure fails the job. Default: true for create, false otherwise.' }).optional(),
    timeout: duration('Seconds or a duration string. Default 24h.').optional(),
    killGrace: duration('Time between SIGTERM and SIGKILL; at least 5 s, so borg can release the repository lock. Default 10.').optional(),
    warningsAreErrors: z.boolean().meta({ description: "Treat borg's warnings (exit code 1) as a failure. Default false." }).optional(),
  };

  const borgCreate = z
    .strictObject({
      borg: z.literal('create'),
      ...borgCommon,
      paths: strings('What to back up.'),
      archive: z.string().meta({ description: 'Archive name; borg placeholders allowed. Default "{hostname}-{now:%Y-%m-%dT%H:%M:%S}".' }).optional(),
      exclude: strings('Exclude patterns (--exclude).').optional(),
      excludeFrom: strings('Files of exclude patterns (--exclude-from).').optional(),
      patterns: strings('Include/exclude patterns (--pattern).').optional(),
      patternsFrom: strings('Files of patterns (--patterns-from).').optional(),
      compression: z.string().meta({ description: 'Compression: lz4, zstd,10, auto,zstd, none, …' }).optional(),
      excludeCaches: z.boolean().meta({ description: 'Skip directories holding a CACHEDIR.TAG.' }).optional(),
      excludeIfPresent: strings('Skip directories holding a file of one of these names.').optional(),
      oneFileSystem: z.boolean().meta({ description: 'Stay on one file system.' }).optional(),
      comment: z.string().meta({ description: "The archive's comment." }).optional(),
      list: z.boolean().meta({ description: 'List each file in the output.' }).optional(),
      listFilter: z.string().meta({ description: 'With list, only these status characters, e.g. "AME".' }).optional(),
    })
    .meta({ title: 'borg create' });

  const keepRules = z
    .strictObject({
      within: z.string().meta({ description: 'Keep everything within this interval: "48H", "7d", "4w", "6m", "1y".' }).optional(),
      last: z.number().optional(),
      secondly: z.number().optional(),
      minutely: z.number().optional(),
      hourly: z.number().optional(),
      daily: z.number().optional(),
      weekly: z.number().optional(),
      monthly: z.number().optional(),
      yearly: z.number().optional(),
    })
    .meta({ description: 'The retention policy (borg --keep-*); at least one rule.' });

  const borgPrune = z
    .strictObject({
      borg: z.literal('prune'),
      ...borgCommon,
      keep: keepRules,
      glob: z.string().meta({ description: 'Only archives whose names match this glob.' }).optional(),
      dryRun: z.boolean().meta({ description: 'Only report what would be pruned.' }).optional(),
    })
    .meta({ title: 'borg prune' });

  const borgCompact = z
    .strictObject({
      borg: z.literal('compact'),
      ...borgCommon,
      threshold: z.number().meta({ description: 'Compact segments with at least this percentage of freeable space.' }).optional(),
    })
    .meta({ title: 'borg compact' });

  const borgCheck = z
    .strictObject({
      borg: z.literal('check'),
      ...borgCommon,
      repositoryOnly: z.boolean().optional(),
      archivesOnly: z.boolean().optional(),
      verifyData: z.boolean().meta({ description: 'Read, decrypt and verify all archive data: slow, thorough.' }).optional(),
      lastArchives: z.number().meta({ description: 'Only check the last N archives.' }).optional(),
      glob: z.string().meta({ description: 'Only archives whose names match this glob.' }).optional(),
    })
    .meta({ title: 'borg check' });

  // A command entry is the one without `borg`: that absence is its discriminator.
  const taskEntry = z.discriminatedUnion('borg', [commandEntry.extend({ borg: z.undefined().optional() }), borgCreate, borgPrune, borgCompact, borgCheck]);
  const taskEntryForJsonSchema = z.union([commandEntry, borgCreate, borgPrune, borgCompact, borgCheck]);

  // -------------------------------------------------------------------------------------------
  // Notifiers: `type` and that notifier's options.

  const levels = z.array(z.enum(['success', 'warning', 'error'])).meta({ description: 'The levels this notifier is called for. Default all three.' });
  const notifierCommon = {
    name: z.string().meta({ description: 'Shown in errors and events. Default: the type.' }).optional(),
    timeout: duration('How long one notification may take, retries included. Default 30.').optional(),
    on: levels.optional(),
    details: z.boolean().meta({ description: 'Show which tasks failed, their errors and last output lines after the body. Default true.' }).optional(),
  };
  const httpCommon = {
    ...notifierCommon,
    retries: z.number().meta({ description: 'Extra attempts after a network error, a 5xx or a 429. Default 2.' }).optional(),
  };
  const perLevel = <T extends z.ZodType>(value: T, description: string) =>
    // exactOptional: the notifiers' per-level types take a level or leave it out, never `undefined`.
    z.strictObject({ success: value.exactOptional(), warning: value.exactOptional(), error: value.exactOptional() }).meta({ description });

  const notifierEntry = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('console'), ...notifierCommon }).meta({ title: 'Console notifier', description: 'Prints the title and body.' }),
    z
      .strictObject({
        type: z.literal('webhook'),
        ...httpCommon,
        url: secret('Where to POST the message and a job summary as JSON.'),
        headers: envMap('Extra request headers.').optional(),
        token: secret('Sent as Authorization: Bearer <token>.').optional(),
      })
      .meta({ title: 'Webhook notifier' }),
    z
      .strictObject({
        type: z.literal('healthchecks'),
        ...httpCommon,
        url: secret("The check's ping URL, without /start or /fail."),
        maxBodyBytes: z.number().meta({ description: 'The most bytes a ping body may have. Default 100000.' }).optional(),
      })
      .meta({ title: 'Healthchecks notifier' }),
    z
      .strictObject({
        type: z.literal('ntfy'),
        ...httpCommon,
        url: secret('The ntfy server. Default https://ntfy.sh.').optional(),
        topic: z.string().meta({ description: 'The topic: 1 to 64 letters, digits, "-" or "_".' }),
        token: secret('An access token (tk_…).').optional(),
        priority: perLevel(
          z.union([z.literal([1, 2, 3, 4, 5]), z.enum(['min', 'low', 'default', 'high', 'max', 'urgent'])]),
          'The priority of each level (1–5 or min, low, default, high, max, urgent).',
        ).optional(),
        tags: perLevel(z.array(z.string()), 'The tags of each level.').optional(),
      })
      .meta({ title: 'ntfy notifier' }),
    z
      .strictObject({
        type: z.literal('discord'),
        ...httpCommon,
        webhookUrl: secret("The channel webhook's URL: https://discord.com/api/webhooks/<id>/<token>."),
        username: z.string().meta({ description: 'The name the message is posted under.' }).optional(),
        avatarUrl: z.string().meta({ description: 'The avatar the message is posted with.' }).optional(),
      })
      .meta({ title: 'Discord notifier' }),
    z
      .strictObject({
        type: z.literal('pushover'),
        ...httpCommon,
        token: secret("Your application's API token."),
        user: secret('The user or group key to notify.'),
        device: z.string().meta({ description: 'Send to these devices only (names separated by commas).' }).optional(),
        sound: z
          .union([z.string(), perLevel(z.string(), 'A sound per level.')])
          .meta({ description: 'A sound for every level, or per level.' })
          .optional(),
        priority: perLevel(z.literal([-2, -1, 0, 1]), 'The priority of each level: -2, -1, 0 or 1.').optional(),
        baseUrl: z.string().meta({ description: "The API's base URL. Default https://api.pushover.net." }).optional(),
      })
      .meta({ title: 'Pushover notifier' }),
    z
      .strictObject({
        type: z.literal('telegram'),
        ...httpCommon,
        botToken: secret("The bot's token from @BotFather."),
        chatId: z.union([z.string(), z.number()], { error: 'expected a chat id (a number) or "@channelname"' }).meta({ description: 'A numeric chat id or "@channelname".' }),
        disableNotification: z.boolean().meta({ description: 'Deliver silently. Default false.' }).optional(),
        baseUrl: z.string().meta({ description: 'The Bot API server. Default https://api.telegram.org.' }).optional(),
      })
      .meta({ title: 'Telegram notifier' }),
  ]);

  // -------------------------------------------------------------------------------------------
  // The file.

  const fileShape = {
    $schema: z.string().meta({ description: 'The JSON Schema of this file, for editors; ignored.' }).optional(),
    jobId: z.string().meta({ description: 'The job id. Default: a random UUID.' }).optional(),
    jobType: z.string().meta({ description: 'scheduled, manual, … Default "manual".' }).optional(),
    jobLabel: z.string().meta({ description: 'The word for the job in notifications. Default "Backup".' }).optional(),
    repository: z
      .strictObject({ id: z.union([z.string(), z.number()]).optional(), name: z.string().optional() })
      .meta({ description: 'Shown in notifications and given to hooks.' })
      .optional(),
    preHooks: hookList('Hooks run before the main tasks, in order.').optional(),
    pre_job_hooks: hookList('Alias of preHooks.').optional(),
    tasks: z.array(z.unknown()).max(LIMITS.tasks, { message: tooMany(LIMITS.tasks, 'tasks') }).meta({ description: 'The main tasks, in order.' }).optional(),
    postHooks: hookList('Hooks run after the main tasks, in order.').optional(),
    post_job_hooks: hookList('Alias of postHooks.').optional(),
    notifiers: z.array(z.unknown()).max(LIMITS.notifiers, { message: tooMany(LIMITS.notifiers, 'notifiers') }).meta({ description: 'Where the notification goes.' }).optional(),
    env: envMap('Environment variables for every hook and task.').optional(),
    inheritEnv: z.boolean().meta({ description: 'false: children get only PATH, HOME, LANG, TZ from the parent. Default true.' }).optional(),
    envPrefix: z.string().meta({ description: 'Prefix of the context variables. Default "JOBHOOKS_".' }).optional(),
    context: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .meta({ description: 'Extra context variables: each key, upper-cased and prefixed.' })
      .optional(),
    maxRunTime: duration('The job\'s deadline: when it passes, the job is cancelled and its cleanup runs (docs/cli.md).').optional(),
    secrets: z.array(secret('A value to redact.')).meta({ description: 'Values replaced by *** in output, events, results and notifications.' }).optional(),
    defaults: z
      .strictObject({
        timeout: duration('Default timeout of hooks and tasks. Default 300.').optional(),
        shell: z.string().optional(),
        cwd: z.string().optional(),
        killGrace: duration('Time between SIGTERM and SIGKILL. Default 10.').optional(),
        maxOutputBytes: z.number().meta({ description: 'Output tail kept per task, in bytes. Default 65536.' }).optional(),
      })
      .meta({ description: 'Defaults for every hook and command.' })
      .optional(),
  };

  /** The file with `tasks` and `notifiers` entries left for {@link taskEntry} / {@link notifierEntry}, one at a time. */
  const file = z.strictObject(fileShape);
  /** The whole file, entries included: what the JSON Schema describes. */
  const fileForJsonSchema = z
    .strictObject({
      ...fileShape,
      tasks: z.array(taskEntryForJsonSchema).meta({ description: 'The main tasks, in order.' }).optional(),
      notifiers: z.array(notifierEntry).meta({ description: 'Where the notification goes.' }).optional(),
    })
    .meta({ title: 'jobhooks job', description: 'A jobhooks job: pre-job hooks, main tasks, post-job hooks, notifiers.' });

  return { hook, commandEntry, borgCreate, borgPrune, borgCompact, borgCheck, taskEntry, notifierEntry, file, fileForJsonSchema };
}

/** The schemas {@link createConfigSchemas} returns. */
export type ConfigSchemas = ReturnType<typeof createConfigSchemas>;

/**
 * The JSON Schema (draft 2020-12) of a config file, for editors: reference it from the file with
 * `"$schema"`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const { fileForJsonSchema } = createConfigSchemas({ env: {}, resolved: [] });
  return z.toJSONSchema(fileForJsonSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
