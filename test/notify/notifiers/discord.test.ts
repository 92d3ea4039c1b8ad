import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DiscordNotifier, type DiscordWebhookBody } from '../../../src/notify/notifiers/discord.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';
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

  test('details: false sends the embed without fields', async () => {
    const { message, context } = scenario('backupFailure');
    await new DiscordNotifier({ webhookUrl: webhookUrl(), details: false }).notify(message, context());
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      embeds: [{ title: '❌ Backup Job Failed - Backup Error', description: message.body, color: 0xff0000 }],
      allowed_mentions: { parse: [] },
    });
  });

  test("a long output is cut to a field's 1024 characters, keeping its end; a fence in it cannot end the block", async () => {
    const output = `${LONG_OUTPUT}\n\`\`\`done`;
    const { message, context } = failedBackup({ output });
    await new DiscordNotifier({ webhookUrl: webhookUrl() }).notify(message, context());
    const [embed] = (JSON.parse(server.requests[0]?.body ?? '') as DiscordWebhookBody).embeds;
    expect([embed.title, embed.description]).toEqual([message.title, message.body]);
    expect(embed.fields).toHaveLength(1);
    const value = embed.fields?.[0]?.value ?? '';
    expect(embed.fields?.[0]?.name).toBe('❌ Create archive (backup)');
    const head = "Task 'Create archive' exited with code 2\n```\n[… earlier output cut …]\n";
    expect(value.startsWith(head)).toBe(true);
    expect(value.endsWith(`\n\`\u200b\`\`done\n\`\`\``)).toBe(true);
    expect(output.replace('```done', '`\u200b``done').endsWith(value.slice(head.length, -'\n```'.length))).toBe(true);
    expect(Array.from(value)).toHaveLength(1024);
  });

  test("30 failed tasks: 25 fields (the last names the 6 left out), each within 1024 characters, the embed within 6000", async () => {
    const { message, context } = failedBackup({ extraFailures: 29 });
    await new DiscordNotifier({ webhookUrl: webhookUrl() }).notify(message, context());
    const [embed] = (JSON.parse(server.requests[0]?.body ?? '') as DiscordWebhookBody).embeds;
    const fields = embed.fields ?? [];
    expect(fields.map((field) => field.name)).toEqual([
      '❌ Create archive (backup)',
      ...Array.from({ length: 23 }, (_, index) => `❌ Extra ${index + 1} (post-hook)`),
      '… and 6 more tasks',
    ]);
    expect(fields.at(-1)?.value).toBe('Extra 24, Extra 25, Extra 26, Extra 27, Extra 28, Extra 29');
    for (const field of fields) expect(Array.from(field.value).length).toBeLessThanOrEqual(1024);
    const total = [embed.title, embed.description, ...fields.flatMap((field) => [field.name, field.value])].join('');
    expect(Array.from(total).length).toBeLessThanOrEqual(6000);
    expect(Array.from(total).length).toBeGreaterThan(6000 - 30);
    // Every task shown keeps its error and the end of its output.
    for (const field of fields.slice(0, -1)) expect(field.value).toMatch(/exited with code \d\n```\n\[… earlier output cut …\]\n(.|\n)*j\n```$/);
  });
});
