import { describe, expect, it } from 'vitest';
import { buildJob, type BuildJobResult } from '../../src/cli/job.js';
import { printable } from '../helpers.js';
import { configJsonSchema } from '../../src/cli/schema.js';
import { resolvePipelineOptions } from '../../src/config.js';

const ENV = {
  HC_URL: 'https://hc-ping.com/0b9b1c36-9b1e-4d4e-9a7b-000000000001',
  HOOK_TOKEN: 'webhook-token-123',
  HEADER_KEY: 'header-key-456',
  BORG_PASS: 'borg-passphrase-789',
  PGPASSWORD: 'pg-password-000',
  SHARED: 'shared-secret-111',
  TASK_TOKEN: 'task-token-222',
  NTFY_TOKEN: 'tk_ntfytoken333',
  DISCORD_URL: 'https://discord.com/api/webhooks/123/abcdefgh',
  PUSHOVER_TOKEN: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
  PUSHOVER_USER: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
  TELEGRAM_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
  EMPTY: '',
};

function build(raw: unknown): BuildJobResult {
  return buildJob(raw, { env: ENV });
}

function issuesOf(raw: unknown): readonly { path: string; message: string }[] {
  const built = build(raw);
  return built.ok ? [] : printable(built.issues);
}

describe('buildJob: a config file to a pipeline', () => {
  it('builds every task and notifier kind, reading { env } secrets wherever a secret is accepted, and redacts them all', () => {
    const built = build({
      $schema: './jobhooks.schema.json',
      secrets: ['literal-secret', { env: 'SHARED' }],
      env: { PGPASSWORD: { env: 'PGPASSWORD' } },
      preHooks: [{ name: 'Dump', command: 'pg_dump', env: { TOKEN: { env: 'TASK_TOKEN' } } }],
      post_job_hooks: [{ name: 'Cleanup', command: 'rm -f dump', environment_vars: { X: 'y' }, run_on_job_failure: true }],
      tasks: [
        { name: 'Sync', type: 'backup', command: ['rsync', '-a', '/srv/', '/backup/'], env: { T: { env: 'TASK_TOKEN' } } },
        { borg: 'create', repository: '/srv/borg', paths: ['/etc'], passphrase: { env: 'BORG_PASS' } },
        { borg: 'prune', repository: '/srv/borg', keep: { daily: 7, weekly: 4 } },
        { borg: 'compact', repository: '/srv/borg', threshold: 5 },
        { borg: 'check', repository: '/srv/borg', repositoryOnly: true },
      ],
      notifiers: [
        { type: 'console', name: 'screen' },
        { type: 'webhook', url: 'https://example.com/hook', token: { env: 'HOOK_TOKEN' }, headers: { 'X-Key': { env: 'HEADER_KEY' } } },
        { type: 'healthchecks', url: { env: 'HC_URL' } },
        { type: 'ntfy', topic: 'backups', token: { env: 'NTFY_TOKEN' }, priority: { error: 'urgent' } },
        { type: 'discord', webhookUrl: { env: 'DISCORD_URL' } },
        { type: 'pushover', token: { env: 'PUSHOVER_TOKEN' }, user: { env: 'PUSHOVER_USER' }, priority: { success: -2 } },
        { type: 'telegram', botToken: { env: 'TELEGRAM_TOKEN' }, chatId: -1001234567890 },
      ],
    });
    if (!built.ok) throw new Error(JSON.stringify(built.issues));
    const { options, consoleNotifiers } = built.job;
    expect(options.tasks?.map((task) => [task.type, task.name, task.critical])).toEqual([
      ['backup', 'Sync', true],
      ['backup', 'borg create', true],
      ['prune', 'borg prune', false],
      ['compact', 'borg compact', false],
      ['check', 'borg check', false],
    ]);
    expect(options.notifiers?.map((notifier) => notifier.name)).toEqual(['screen', 'webhook', 'healthchecks', 'ntfy', 'discord', 'pushover', 'telegram']);
    expect(consoleNotifiers).toEqual(['screen']);
    expect(options.env).toEqual({ PGPASSWORD: ENV.PGPASSWORD });
    expect([...(options.secrets ?? [])].sort()).toEqual([
      'literal-secret',
      ENV.SHARED,
      ENV.PGPASSWORD,
      ENV.TASK_TOKEN,
      ENV.HOOK_TOKEN,
      ENV.HEADER_KEY,
      ENV.BORG_PASS,
      ENV.HC_URL,
      ENV.NTFY_TOKEN,
      ENV.DISCORD_URL,
      ENV.PUSHOVER_TOKEN,
      ENV.PUSHOVER_USER,
      ENV.TELEGRAM_TOKEN,
    ].sort());
  });

  it('puts every constructor\'s problems under their place in the file, with the file\'s own problems, in file order', () => {
    expect(
      issuesOf({
        preHooks: [
          { name: 'Dump', command: 'pg_dump', critcal: true },
          { name: ' ', command: 'x', runOnJobFailure: true },
        ],
        tasks: [
          { borg: 'prune', repository: '/srv/borg', keep: { dayly: 7 } },
          { borg: 'prune', repository: '/srv/borg', keep: { daily: 0 } },
          { borg: 'create', repository: '', paths: [] },
          { name: 'Sync', comand: 'rsync' },
        ],
        notifiers: [
          { type: 'webhook', url: 'not a url', tokn: 'x' },
          { type: 'pushover', token: 'short', user: { env: 'EMPTY' } },
          { name: 'no type' },
        ],
        preHook: [],
      }),
    ).toEqual([
      { path: 'preHooks[0].critcal', message: 'unknown option "critcal" (did you mean "critical"?)' },
      { path: 'preHooks[1].name', message: 'must not be empty' },
      { path: 'preHooks[1].runOnJobFailure', message: 'applies to post-hooks only: a pre-hook cannot run after the job failed' },
      // Each entry is checked once, by its factory: a wrong key no longer hides the entry's other problems.
      { path: 'tasks[0].keep', message: 'give at least one rule: within, last, secondly, minutely, hourly, daily, weekly, monthly or yearly' },
      { path: 'tasks[0].keep.dayly', message: 'unknown option "dayly" (did you mean "daily"?)' },
      { path: 'tasks[1].keep.daily', message: 'expected a number greater than 0, received number 0' },
      { path: 'tasks[2].repository', message: 'must not be empty' },
      { path: 'tasks[2].paths', message: 'give at least one path to back up' },
      { path: 'tasks[3].command', message: 'is required (expected shell text or an argv array of strings)' },
      { path: 'tasks[3].comand', message: 'unknown option "comand" (did you mean "command"?)' },
      { path: 'notifiers[0].url', message: 'expected an absolute http:// or https:// URL' },
      { path: 'notifiers[0].tokn', message: 'unknown option "tokn" (did you mean "token"?)' },
      { path: 'notifiers[1].token', message: 'expected the 30-letter-and-digit application API token from pushover.net' },
      { path: 'notifiers[1].user', message: 'environment variable EMPTY is empty' },
      { path: 'notifiers[2].type', message: 'is required: one of "console", "webhook", "healthchecks", "ntfy", "discord", "pushover", "telegram", "prometheus"' },
      { path: 'preHook', message: 'unknown option "preHook" (did you mean "preHooks"?)' },
    ]);
  });

  it('checks the values of a hook whose shape is wrong elsewhere, reports a missing key once, in the order of the file', () => {
    expect(
      issuesOf({
        postHooks: [
          { name: 'Cleanup', command: 'rm -f dump', critcal: true, timeout: 'soon', env: { TOKEN: { env: 'NOT_SET_ANYWHERE' } } },
          { command: 'true' },
          'not a hook',
        ],
      }),
    ).toEqual([
      { path: 'postHooks[0].critcal', message: 'unknown option "critcal" (did you mean "critical"?)' },
      { path: 'postHooks[0].timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"' },
      { path: 'postHooks[0].env.TOKEN', message: 'environment variable NOT_SET_ANYWHERE is not set' },
      { path: 'postHooks[1].name', message: 'is required (expected string)' },
      { path: 'postHooks[2]', message: 'expected object, received string "not a hook"' },
    ]);
  });

  it('reports an unset variable at the secret\'s path, and what the file holds where no object is expected', () => {
    expect(issuesOf({ secrets: [{ env: 'NOT_SET_ANYWHERE' }], env: { A: { env: 'lower-case-ok?' } }, repository: 'nas' })).toEqual([
      { path: 'secrets[0]', message: 'environment variable NOT_SET_ANYWHERE is not set' },
      { path: 'env.A.env', message: 'expected an environment variable name (letters, digits, "_")' },
      { path: 'repository', message: 'expected object, received string "nas"' },
    ]);
  });

  it('the hook list as the JSON string the documented API stores, checked by the pipeline', () => {
    expect(issuesOf({ pre_job_hooks: '[{"name":"DB Dump","command":"pg_dump","critcal":true}]' })).toEqual([
      { path: 'pre_job_hooks[0].critcal', message: 'unknown option "critcal" (did you mean "critical"?)' },
    ]);
    const built = build({ pre_job_hooks: '[{"name":"DB Dump","command":"pg_dump","critical":true}]' });
    expect(built.ok).toBe(true);
  });

  it('journal and lockWait belong to the command line, maxRunTime to the file', () => {
    expect(issuesOf({ journal: { dir: '/tmp/x', key: 'k' }, lockWait: '1m', maxRunTime: '2h' })).toEqual([
      { path: 'journal', message: 'unknown option "journal": the command line sets it (--state-dir DIR or --no-journal)' },
      { path: 'lockWait', message: 'unknown option "lockWait": the command line sets it (--wait DURATION)' },
    ]);
    const built = build({ maxRunTime: '2h' });
    expect(built.ok && built.job.options.maxRunTime).toBe('2h');
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toContain('maxRunTime');
    expect(Object.keys(schema.properties)).not.toContain('journal');
    expect(Object.keys(schema.properties)).not.toContain('lockWait');
  });

  it('an empty file object is a valid job of nothing', () => {
    expect(build({}).ok).toBe(true);
  });
});

describe('a hook list written as the JSON string the documented API stores', () => {
  it('reads its { env } values as a list written out does, and redacts them', () => {
    const hooks = [{ name: 'Dump', command: 'pg_dump', environment_vars: { PGPASSWORD: { env: 'PGPASSWORD' } } }];
    const built = build({ pre_job_hooks: JSON.stringify(hooks) });
    if (!built.ok) throw new Error(JSON.stringify(built.issues));
    expect(resolvePipelineOptions(built.job.options).preHooks.map((hook) => hook.env)).toEqual([{ PGPASSWORD: ENV.PGPASSWORD }]);
    expect(built.job.options.secrets).toContain(ENV.PGPASSWORD);
    // Not JSON, or not a list: the schema says so, as before.
    expect(issuesOf({ pre_job_hooks: '[{' })[0]?.message).toMatch(/^invalid JSON in hook list/);
  });
});

describe('the config file schema follows the API it maps onto', () => {
  it('takes the 0 that loading takes: retryDelay, retryDelayMax and borg lockWait', () => {
    const config = {
      preHooks: [{ name: 'a', command: 'true', retries: 1, retryDelay: 0, retryDelayMax: 0 }],
      tasks: [{ borg: 'create', repository: '/r', paths: ['/etc'], lockWait: 0 }],
    };
    expect(buildJob(config, { env: ENV }).ok).toBe(true);
    // Every form those fields have in the schema: its number branch must take 0.
    const forms: unknown[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (['retryDelay', 'retryDelayMax', 'lockWait'].includes(key) && typeof value === 'object' && value !== null && 'anyOf' in value) forms.push(value);
          walk(value);
        }
      }
    };
    walk(configJsonSchema());
    expect(forms.length).toBeGreaterThanOrEqual(5);
    for (const form of forms) expect((form as { anyOf: { type: string; minimum?: number }[] }).anyOf.find((branch) => branch.type === 'number')).toMatchObject({ minimum: 0 });
  });


  it('prints a JSON Schema with every task and notifier kind, and the { env } form where secrets go', () => {
    const schema = configJsonSchema() as {
      properties: {
        tasks: { items: { anyOf: { title: string }[] } };
        notifiers: { items: { oneOf?: { title: string }[]; anyOf?: { title: string }[] } };
        secrets: { items: { anyOf: unknown[] } };
      };
    };
    expect(schema.properties.tasks.items.anyOf.map((entry) => entry.title)).toEqual(['Command task', 'borg create', 'borg prune', 'borg compact', 'borg check']);
    const notifiers = schema.properties.notifiers.items.oneOf ?? schema.properties.notifiers.items.anyOf ?? [];
    expect(notifiers.map((entry) => entry.title)).toEqual([
      'Console notifier',
      'Webhook notifier',
      'Healthchecks notifier',
      'ntfy notifier',
      'Discord notifier',
      'Pushover notifier',
      'Telegram notifier',
      'Prometheus notifier',
    ]);
    expect(schema.properties.secrets.items.anyOf).toEqual([
      { type: 'string' },
      {
        type: 'object',
        properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'The name of the environment variable.' } },
        required: ['env'],
        additionalProperties: false,
        description: 'Read the value from this environment variable when the file is loaded; it is then redacted as a secret.',
      },
    ]);
  });
});
