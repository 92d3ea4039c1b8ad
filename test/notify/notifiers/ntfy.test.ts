import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NtfyNotifier } from '../../../src/notify/notifiers/ntfy.js';
import { WebhookNotifier } from '../../../src/notify/notifiers/webhook.js';
import { runCli, tempDir } from '../../cli/helpers.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"id":"x1","event":"message"}' });
});
afterEach(async () => {
  await server.close();
});

const TOKEN = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2';

describe('NtfyNotifier', () => {
  test('success: JSON publish to the server root, default priority, check-mark tag, bearer token', async () => {
    const { message, context } = scenario('success');
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas', token: TOKEN }).notify(message, context());
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      topic: 'backups-nas',
      title: '✅ Backup Job Completed Successfully',
      message: `Backup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
      priority: 3,
      tags: ['white_check_mark'],
    });
  });

  test('warning: high priority, warning tag; the emoji title arrives as UTF-8', async () => {
    const { message, context } = scenario('warning');
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas' }).notify(message, context());
    const [request] = server.requests;
    expect(request?.headers.authorization).toBeUndefined();
    expect(JSON.parse(request?.body ?? '')).toEqual({
      topic: 'backups-nas',
      title: '⚠️ Backup Job Completed with Warnings',
      message: `Backup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Log Rotation (pre-hook): Hook 'Log Rotation' exited with code 1\n    logrotate: error: skipping "/var/log/app.log"`,
      priority: 4,
      tags: ['warning'],
    });
  });

  test('critical failure: urgent priority, rotating-light tag', async () => {
    const { message, context } = scenario('backupFailure');
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas' }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/', 'application/json']]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      topic: 'backups-nas',
      title: '❌ Backup Job Failed - Backup Error',
      message: `Backup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n    Creating archive at "/srv/borg::nas-2025-03-01"\n    Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).`,
      priority: 5,
      tags: ['rotating_light'],
    });
  });

  test('priority and tags per level, by name or number; a server behind a path prefix', async () => {
    const { message, context } = scenario('backupFailure');
    const notifier = new NtfyNotifier({
      url: `${server.url}/ntfy`,
      topic: 'ops',
      priority: { error: 'high', success: 1 },
      tags: { error: ['skull', 'nas'] },
    });
    await notifier.notify(message, context());
    const body = JSON.parse(server.requests[0]?.body ?? '') as { priority: number; tags: string[] };
    expect(server.requests[0]?.path).toBe('/ntfy/');
    expect([body.priority, body.tags]).toEqual([4, ['skull', 'nas']]);
  });

  test('an error names ntfy\'s reason, and never the token', async () => {
    server.reply({ status: 403, body: '{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs/publish/#authentication"}' });
    const { message, context } = scenario('success');
    const notifier = new NtfyNotifier({ url: server.url, topic: 'backups-nas', token: TOKEN });
    const error = await notifier.notify(message, context()).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('HTTP 403 Forbidden: forbidden');
    expect(notifier.secrets).toEqual([TOKEN]);
  });

  test('a token that cannot travel in an HTTP header is refused with the config, for ntfy and webhook, not at every delivery', async () => {
    const refused = 'cannot be sent in an HTTP header: one line of Latin-1 text (no line break, no character past ÿ)';
    expect(() => new NtfyNotifier({ topic: 'backups', token: 'tok€n-secret-euro' })).toThrow(`token: ${refused}`);
    expect(() => new WebhookNotifier({ url: 'https://ops.example.com/hook', token: 'abc\ndefsecret' })).toThrow(`token: ${refused}`);
    expect(new NtfyNotifier({ topic: 'backups', token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2' }).secrets).toContain('tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2');
    // Read from the environment, as cron would: the same refusal, naming the path, never the value.
    const dir = tempDir();
    try {
      const file = dir.write('job.yaml', 'tasks:\n  - { name: Backup, command: "true" }\nnotifiers:\n  - { type: ntfy, topic: backups, token: { env: JH_NTFY_TEST_TOKEN } }\n');
      const run = await runCli(['validate', file], { cwd: dir.path, env: { JH_NTFY_TEST_TOKEN: 'abc\ndefsecret' } });
      expect([run.code, run.stdout]).toEqual([64, '']);
      expect(run.stderr).toContain(`notifiers[0].token: ${refused}`);
      expect(run.stderr).not.toContain('defsecret');
    } finally {
      dir.remove();
    }
  });

  test('defaults and invalid options', () => {
    const notifier = new NtfyNotifier({ topic: 'a' });
    expect([notifier.name, notifier.timeout, notifier.on, notifier.secrets]).toEqual(['ntfy', 30, ['success', 'warning', 'error'], []]);
    expect(() =>
      new NtfyNotifier({ topic: 'my topic!', priority: { error: 9 as 5, debug: 1 } as never, tags: { success: [''] } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid NtfyNotifier options (4 problems):
        - topic: expected 1 to 64 letters, digits, "-" or "_"
        - priority.error: expected 1 to 5, or "min", "low", "default", "high", "max" or "urgent", received number 9
        - priority.debug: unknown option "debug"
        - tags.success[0]: must not be empty]
    `);
  });

  test('details: false sends the body alone', async () => {
    const { message, context } = scenario('backupFailure');
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas', details: false }).notify(message, context());
    expect((JSON.parse(server.requests[0]?.body ?? '') as { message: string }).message).toBe(message.body);
  });

  test("a long output is cut to ntfy's 4096 bytes: the body and the task's name and error whole, the output's end kept", async () => {
    const { message, context } = failedBackup();
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas' }).notify(message, context());
    const sent = (JSON.parse(server.requests[0]?.body ?? '') as { message: string }).message;
    const head = `${message.body}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n    [… earlier output cut …]\n`;
    expect(sent.startsWith(head)).toBe(true);
    const kept = sent.slice(head.length).split('\n').map((line) => line.replace(/^ {4}/, '')).join('\n');
    expect(LONG_OUTPUT.endsWith(kept)).toBe(true);
    expect(kept.endsWith(`L10 ${'j'.repeat(496)}`)).toBe(true);
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(sent)).toBeGreaterThan(4096 - 8);
  });

  test('a long error is cut, never its task: the alert still names the task that failed', async () => {
    const error = `Task 'Create archive' failed: ${'why '.repeat(1300)}`;
    const { message, context } = failedBackup({ output: 'the last line', error });
    await new NtfyNotifier({ url: server.url, topic: 'backups-nas' }).notify(message, context());
    const sent = (JSON.parse(server.requests[0]?.body ?? '') as { message: string }).message;
    expect(sent).toContain(`\n\n❌ Create archive (backup): ${Array.from(error).slice(0, 499).join('')}…\n    the last line`);
    expect(sent).not.toContain('more task');
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(4096);
  });
});
