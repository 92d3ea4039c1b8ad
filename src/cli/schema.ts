import * as z from 'zod';
import { checkSchema, compactSchema, createSchema, pruneSchema } from '../borg/options.js';
import { LIMITS, pipelineOptionsSchema } from '../config.js';
import { consoleNotifierOptionsSchema } from '../notify/notifiers/console.js';
import { discordNotifierOptionsSchema } from '../notify/notifiers/discord.js';
import { healthchecksNotifierOptionsSchema } from '../notify/notifiers/healthchecks.js';
import { ntfyNotifierOptionsSchema } from '../notify/notifiers/ntfy.js';
import { pushoverNotifierOptionsSchema } from '../notify/notifiers/pushover.js';
import { telegramNotifierOptionsSchema } from '../notify/notifiers/telegram.js';
import { webhookNotifierOptionsSchema } from '../notify/notifiers/webhook.js';
import { prometheusNotifierOptionsSchema } from '../prometheus/notifier.js';
import { commandTaskOptionsSchema } from '../pipeline/command-task.js';
import { isSecret, jsonFormOf, lazy } from '../validation.js';

/*
 * The config file's shape is derived from the library's own option schemas, never restated
 * (docs/architecture.md, "Validation"): the top level is `JobPipeline`'s options, a task entry is
 * `commandTask`'s options or a borg factory's with `borg: <kind>`, a notifier entry is that
 * notifier's options with `type: <kind>`. The file adds two things: `$schema`, and `{ "env": NAME }`
 * wherever the library marks a field as a secret.
 */

/** The file's top-level keys that are not `JobPipeline` options: tasks and notifiers are entries. */
export const FILE_ONLY = {
  $schema: z.string().meta({ description: 'The JSON Schema of this file, for editors; ignored.' }),
};

/**
 * The borg factories' option schemas, by the `borg` value of a task entry; each built on first use, so a
 * file without borg tasks never builds them (docs/performance.md, "CLI start-up").
 */
export const BORG_TASKS = { create: createSchema, prune: pruneSchema, compact: compactSchema, check: checkSchema } as const;

/** The notifiers' option schemas, by the `type` value of a notifier entry; each built on first use, as above. */
export const NOTIFIERS = {
  // `stream` is not something a file can hold: the CLI gives console notifiers its own.
  console: lazy(() => consoleNotifierOptionsSchema().omit({ stream: true })),
  webhook: webhookNotifierOptionsSchema,
  healthchecks: healthchecksNotifierOptionsSchema,
  ntfy: ntfyNotifierOptionsSchema,
  discord: discordNotifierOptionsSchema,
  pushover: pushoverNotifierOptionsSchema,
  telegram: telegramNotifierOptionsSchema,
  prometheus: prometheusNotifierOptionsSchema,
} as const;

/**
 * The pipeline options a file may hold: all but `executor` (the CLI's own) and the journal's location
 * and lock wait, which the CLI sets from `--state-dir`, `--no-journal` and `--wait` (docs/cli.md).
 */
const CLI_OWNED_KEYS: ReadonlySet<string> = new Set(['executor', 'journal', 'lockWait']);
export const PIPELINE_KEYS = Object.keys(pipelineOptionsSchema.shape).filter((key) => !CLI_OWNED_KEYS.has(key));

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ "env": "NAME" }`: a secret read from the environment when the file is loaded. */
export const envRef = z
  .strictObject({
    env: z.string().regex(ENV_NAME, { message: 'expected an environment variable name (letters, digits, "_")' }).meta({ description: 'The name of the environment variable.' }),
  })
  .meta({ description: 'Read the value from this environment variable when the file is loaded; it is then redacted as a secret.' });

const TITLES = {
  borg: { create: 'borg create', prune: 'borg prune', compact: 'borg compact', check: 'borg check' },
  notifiers: {
    console: 'Console notifier',
    webhook: 'Webhook notifier',
    healthchecks: 'Healthchecks notifier',
    ntfy: 'ntfy notifier',
    discord: 'Discord notifier',
    pushover: 'Pushover notifier',
    telegram: 'Telegram notifier',
    prometheus: 'Prometheus notifier',
  },
} as const;

/** An object schema with one more key in front (its refinements matter to parsing, not to the JSON Schema). */
function tagged(key: string, value: string, schema: z.ZodObject, title: string) {
  return z.strictObject({ [key]: z.literal(value).meta({ description: `${title}.` }), ...schema.shape }).meta({ title });
}

/** The whole file as one zod schema: what the JSON Schema describes. */
function fileSchema() {
  const { executor: _executor, journal: _journal, lockWait: _lockWait, tasks: _tasks, notifiers: _notifiers, ...pipelineShape } = pipelineOptionsSchema.shape;
  const tasks = z.union([
    z.strictObject(commandTaskOptionsSchema.shape).meta({ title: 'Command task' }),
    ...Object.entries(BORG_TASKS).map(([kind, schema]) => tagged('borg', kind, schema(), TITLES.borg[kind as keyof typeof BORG_TASKS])),
  ]);
  const notifiers = z.union(Object.entries(NOTIFIERS).map(([kind, schema]) => tagged('type', kind, schema(), TITLES.notifiers[kind as keyof typeof NOTIFIERS])));
  // A hook list may be the JSON string the documented API stores: the library parses it (docs/hooks.md).
  const hookList = (key: 'preHooks' | 'pre_job_hooks' | 'postHooks' | 'post_job_hooks') =>
    z.union([pipelineShape[key].unwrap(), z.string()]).optional().meta({ description: pipelineShape[key].description ?? '' });
  return z
    .strictObject({
      $schema: FILE_ONLY.$schema.optional(),
      ...pipelineShape,
      preHooks: hookList('preHooks'),
      pre_job_hooks: hookList('pre_job_hooks'),
      postHooks: hookList('postHooks'),
      post_job_hooks: hookList('post_job_hooks'),
      tasks: z.array(tasks).max(LIMITS.tasks).meta({ description: 'The main tasks, in order.' }).optional(),
      notifiers: z.array(notifiers).max(LIMITS.notifiers).meta({ description: 'Where the notification goes.' }).optional(),
    })
    .meta({ title: 'jobhooks job', description: 'A jobhooks job: pre-job hooks, main tasks, post-job hooks, notifiers.' });
}

/**
 * The JSON Schema (draft 2020-12) of a config file, for editors: reference it from the file with
 * `"$schema"`. Durations and environment values get the forms their primitives register; every
 * secret field also takes `{ "env": "NAME" }`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const envRefJson = z.toJSONSchema(envRef, { target: 'draft-2020-12' }) as Record<string, unknown>;
  delete envRefJson.$schema;
  return z.toJSONSchema(fileSchema(), {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: ({ zodSchema }) => jsonFormOf(zodSchema) ?? 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      if (!isSecret(zodSchema as unknown as z.ZodType)) return;
      const { description, ...value } = jsonSchema as Record<string, unknown>;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, { anyOf: [value, envRefJson] }, description === undefined ? {} : { description });
    },
  }) as Record<string, unknown>;
}
