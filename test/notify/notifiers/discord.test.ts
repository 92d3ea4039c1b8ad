import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DiscordNotifier } from '../../../src/notify/notifiers/discord.js';
import { JOB_ID, scenario } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/server.js';

const WEBHOOK_TOKEN = 'mFq0wWvB3x-Rk9r1T8pLqzG2yYc7aHdJ4eNs6uVxZ5bKo_lMiQ3tPf8gRw1nEjCAh2sD';
const WEBHOOK_PATH = `/api/webhooks/1187654321098765432/${WEBHOOK_TOKEN}`;

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 204 });
});
afterEach(async () => {
  await server.close();
});

const webhookUrl = () => `${server.url}${WEBHOOK_PATH}`;

describe('DiscordNotifier', () => {
  test('success: one green embed, mentions disabled', async () => {
    const { message, context } = scenario('success');
    await new DiscordNotifier({ webhookUrl: webhookUrl(), username: 'Backups' }).notify(message, context());
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(WEBHOOK_PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      username: 'Backups',
      embeds: [
        {
          title: '✅ Backup Job Completed Successfully',
          description: `Backup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
          color: 0x2ecc71,
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  test('warning: orange', async () => {
    const { message, context } = scenario('warning');
    await new DiscordNotifier({ webhookUrl: webhookUrl() }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', WEBHOOK_PATH, 'application/json']]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      embeds: [
        {
          title: '⚠️ Backup Job Completed with Warnings',
          description: `Backup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}`,
          color: 0xffa500,
          fields: [{ name: '❌ Log Rotation (pre-hook)', value: "Hook 'Log Rotation' exited with code 1\n```\nlogrotate: error: skipping \"/var/log/app.log\"\n```" }],
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  test('critical failure: red, with the avatar', async () => {
    const { message, context } = scenario('backupFailure');
    await new DiscordNotifier({ webhookUrl: webhookUrl(), avatarUrl: 'https://example.com/borg.png' }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', WEBHOOK_PATH, 'application/json']]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      avatar_url: 'https://example.com/borg.png',
      embeds: [
        {
          title: '❌ Backup Job Failed - Backup Error',
          description: `Backup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}`,
          color: 0xff0000,
          fields: [
            {
              name: '❌ Create archive (backup)',
              value: "Task 'Create archive' exited with code 2\n```\nCreating archive at \"/srv/borg::nas-2025-03-01\"\nFailed to create/acquire the lock /srv/borg/lock.exclusive (timeout).\n```",
            },
          ],
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  test('200 from ?wait=true is success too; an over-long body is cut to Discord\'s 4096 characters', async () => {
    server.reply({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"id":"1"}' });
    const { message, context } = scenario('success');
    await new DiscordNotifier({ webhookUrl: `${webhookUrl()}?wait=true` }).notify({ ...message, body: '✅'.repeat(5000) }, context());
    expect(server.requests[0]?.path).toBe(`${WEBHOOK_PATH}?wait=true`);
    const description = (JSON.parse(server.requests[0]?.body ?? '') as { embeds: Array<{ description: string }> }).embeds[0]?.description ?? '';
    expect(Array.from(description)).toHaveLength(4096);
    expect(description.endsWith('✅…')).toBe(true);
  });

  test('an unknown webhook: Discord\'s reason, and no token in the error', async () => {
    server.reply({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' });
    const { message, context } = scenario('success');
    const notifier = new DiscordNotifier({ webhookUrl: webhookUrl() });
    await expect(notifier.notify(message, context())).rejects.toThrow(/^HTTP 404 Not Found: Unknown Webhook$/);
    expect(notifier.secrets).toEqual([webhookUrl(), WEBHOOK_TOKEN]);
  });

  test('rate limited: retried after Discord\'s Retry-After', async () => {
    server.reply({ status: 429, headers: { 'Retry-After': '0.2', 'Content-Type': 'application/json' }, body: '{"message":"You are being rate limited.","retry_after":0.2,"global":false}' });
    const { message, context } = scenario('success');
    await new DiscordNotifier({ webhookUrl: webhookUrl() }).notify(message, context());
    expect(server.requests).toHaveLength(2);
  });

  test('invalid options', () => {
    expect(() => new DiscordNotifier({ webhookUrl: 'discord.com/api/webhooks/1/x', username: 'Discord Bot' })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid DiscordNotifier options (2 problems):
        - webhookUrl: expected an absolute http:// or https:// URL
        - username: Discord refuses names containing "discord" or "clyde"]
    `);
  });
});
