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
