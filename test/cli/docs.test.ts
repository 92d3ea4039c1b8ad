import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
