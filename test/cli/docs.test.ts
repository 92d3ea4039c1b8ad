import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { configJsonSchema } from '../../src/cli/schema.js';
import { CLI_FIXTURES, runCli, tempDir } from './helpers.js';

// Every config example in docs/cli.md is a file `jobhooks validate` accepts: the docs cannot rot.

const DOC = readFileSync(join(CLI_FIXTURES, '..', '..', '..', 'docs', 'cli.md'), 'utf8');
const EXAMPLES = [...DOC.matchAll(/^```(json|yaml)\n([\s\S]*?)^```$/gm)].map((match, index) => ({
  name: `example-${index + 1}.${match[1] ?? 'yaml'}`,
  text: match[2] ?? '',
}));

// What the examples read from the environment.
const SECRETS = {
  PGPASSWORD: 'pg-secret',
  BORG_PASSPHRASE_NAS: 'borg-secret',
  HC_PING_URL: 'https://hc-ping.com/0b9b1c36-0000-4000-8000-000000000000',
  NTFY_TOKEN: 'tk_docs',
  RSYNC_PASSWORD: 'rsync-secret',
  OPS_HOOK_TOKEN: 'ops-secret',
  TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
};

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  dir.remove();
});

describe('docs/cli.md', () => {
  it('has its config examples (both full examples among them)', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
    expect(EXAMPLES.filter((example) => example.name.endsWith('.json'))).toHaveLength(1);
  });

  for (const example of EXAMPLES) {
    it(`${example.name} is valid`, async () => {
      const file = dir.write(example.name, example.text);
      const run = await runCli(['validate', file], { cwd: dir.path, env: SECRETS });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    });
  }
});

// `jobhooks schema` describes the same file: an editor using it accepts every example and flags a typo.
describe('docs/cli.md against the printed JSON Schema', () => {
  const fileSchema = z.fromJSONSchema(configJsonSchema() as Parameters<typeof z.fromJSONSchema>[0]);

  for (const example of EXAMPLES) {
    it(`${example.name} matches the JSON Schema`, () => {
      const value: unknown = example.name.endsWith('.json') ? JSON.parse(example.text) : parse(example.text);
      expect(fileSchema.safeParse(value).error?.issues ?? []).toEqual([]);
    });
  }

  it('rejects an unknown key, at the top and in an entry; takes { env } where secrets go, and the snake_case aliases', () => {
    expect(fileSchema.safeParse({ preHook: [] }).success).toBe(false);
    expect(fileSchema.safeParse({ tasks: [{ borg: 'prune', repository: '/srv/borg', keep: { dayly: 7 } }] }).success).toBe(false);
    expect(fileSchema.safeParse({ notifiers: [{ type: 'webhook', url: 'https://example.com/hook', tokn: 'x' }] }).success).toBe(false);
    const file = {
      $schema: './jobhooks.schema.json',
      pre_job_hooks: [{ name: 'Dump', command: 'pg_dump app', run_on_job_failure: false, environment_vars: { PGPASSWORD: { env: 'PGPASSWORD' } } }],
      tasks: [{ borg: 'create', repository: '/srv/borg', paths: ['/srv'], passphrase: { env: 'BORG_PASSPHRASE' } }],
      notifiers: [{ type: 'telegram', botToken: { env: 'TELEGRAM_BOT_TOKEN' }, chatId: 42 }],
      secrets: [{ env: 'EXTRA' }],
    };
    expect(fileSchema.safeParse(file).error?.issues ?? []).toEqual([]);
    // Not a secret field: { env } is not accepted there.
    expect(fileSchema.safeParse({ jobLabel: { env: 'LABEL' } }).success).toBe(false);
  });
});

// Editors show a key's description as its help: every key of every object in the file has one.
describe('the printed JSON Schema describes every key', () => {
  type Node = Record<string, unknown>;
  const schema = configJsonSchema();
  const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

  /** Every object schema with properties, by a readable path (`tasks[borg create]`, `notifiers[ntfy notifier].priority`). */
  function objects(node: unknown, path: string, found: Map<string, Node>): Map<string, Node> {
    if (Array.isArray(node)) {
      for (const item of node) objects(item, path, found);
      return found;
    }
    if (!isNode(node)) return found;
    const at = typeof node.title === 'string' && path !== '' ? `${path}[${node.title}]` : path;
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'properties') objects(value, at, found);
    }
    if (isNode(node.properties)) {
      found.set(at === '' ? '(top level)' : at, node);
      for (const [key, value] of Object.entries(node.properties)) objects(value, at === '' ? key : `${at}.${key}`, found);
    }
    return found;
  }

  const found = objects(schema, '', new Map());
  const properties = [...found].flatMap(([path, node]) => Object.entries(node.properties as Node).map(([key, value]) => ({ path: path === '(top level)' ? key : `${path}.${key}`, value })));

  it('finds the top level, the hooks, every task kind and notifier kind, defaults, repository and keep', () => {
    const keys = (where: (path: string) => boolean) => [...found].filter(([path]) => where(path)).map(([, node]) => Object.keys(node.properties as Node));
    expect(keys((path) => path === '(top level)')[0]).toContain('maxRunTime');
    for (const kind of ['Command task', 'borg create', 'borg prune', 'borg compact', 'borg check', 'Console notifier', 'Webhook notifier', 'Healthchecks notifier', 'ntfy notifier', 'Discord notifier', 'Pushover notifier', 'Telegram notifier']) {
      expect(keys((path) => path.endsWith(`[${kind}]`)), kind).toHaveLength(1);
    }
    const hooks = keys((path) => /^(preHooks|pre_job_hooks|postHooks|post_job_hooks)\b/.test(path) && !path.includes('.env') && !path.includes('.environment_vars'));
    expect(hooks).toHaveLength(4);
    for (const hook of hooks) expect(hook).toEqual(expect.arrayContaining(['run_on_job_failure', 'continue_on_failure', 'working_directory', 'environment_vars', 'log_output', 'keepBackground']));
    expect(keys((path) => path === 'defaults')[0]).toEqual(['timeout', 'shell', 'cwd', 'killGrace', 'maxOutputBytes']);
    expect(keys((path) => path === 'repository')[0]).toEqual(['id', 'name']);
    expect(keys((path) => path.endsWith('[borg prune].keep'))[0]).toHaveLength(9);
    expect(properties.length).toBeGreaterThan(200);
  });

  it('has a non-empty description for every property of every object', () => {
    const missing = properties.filter(({ value }) => !isNode(value) || typeof value.description !== 'string' || value.description.trim() === '').map(({ path }) => path);
    expect(missing, `properties without a description:\n${missing.join('\n')}`).toEqual([]);
  });

  it('carries the wording of the library schemas, defaults included', () => {
    const description = (path: string) => { const value = properties.find((property) => property.path === path)?.value; return isNode(value) ? value.description : undefined; };
    expect(description('inheritEnv')).toBe('false: children get only PATH, HOME, LANG, TZ from the parent. Default true.');
    expect(description('tasks[borg create].killGrace')).toBe('Time between SIGTERM and SIGKILL; at least 5 s, so borg can release the repository lock. Default 10s.');
    expect(description('notifiers[ntfy notifier].topic')).toBe('The topic: 1 to 64 letters, digits, "-" or "_".');
    // A secret field keeps its description beside the { env } form.
    expect(description('notifiers[Telegram notifier].botToken')).toBe("The bot's token from @BotFather.");
  });
});
