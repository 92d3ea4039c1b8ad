import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError, JobPipeline, commandTask, type NotificationMessage, type Notifier } from '../../src/index.js';
import { DiscordNotifier } from '../../src/notify/notifiers/discord.js';
import { HealthchecksNotifier } from '../../src/notify/notifiers/healthchecks.js';
import { NtfyNotifier } from '../../src/notify/notifiers/ntfy.js';
import { PushoverNotifier } from '../../src/notify/notifiers/pushover.js';
import { TelegramNotifier } from '../../src/notify/notifiers/telegram.js';
import { WebhookNotifier, type WebhookPayload } from '../../src/notify/notifiers/webhook.js';
import { scenario } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

// Level `info` is a skipped job (docs/notifications.md#levels): left out by every default `on` but
// Healthchecks', which pings success; sent quietly by the providers that have a volume knob.

const CHECK = '5bf2c6a4-0c3e-4a4e-9d4b-7c1f0e2a9b31';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true,"status":1}' });
});
afterEach(async () => {
  await server.close();
});

const skippedMessage = (): NotificationMessage => ({
  ...scenario('success').message,
  title: '⏭️ Backup Job Skipped',
  body: "Backup job for 'nas' was skipped by hook 'On AC power'.",
  level: 'info',
  status: 'skipped',
  details: [],
});
const context = () => ({ ...scenario('success').context(), result: { ...scenario('success').result, status: 'skipped' as const } });

describe('level info (a skipped job)', () => {
  test('in a real job skipped by a shell pre-hook (exit 75): Healthchecks pings success, the default webhook and a custom notifier without on hear nothing', async () => {
    const heard: NotificationMessage[] = [];
    const custom: Notifier = { name: 'custom', notify: async (message) => void heard.push(message) };
    const result = await new JobPipeline({
      jobId: '0b6f3a52-9e1d-4c7a-8f25-3d4e5a6b7c8d',
      repository: { name: 'nas' },
      preHooks: [{ name: 'On AC power', command: 'exit 75' }],
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'true' })],
      notifiers: [new HealthchecksNotifier({ url: `${server.url}/ping/${CHECK}` }), new WebhookNotifier({ url: `${server.url}/hook` }), custom],
    }).run();

    expect(result.status).toBe('skipped');
    expect(result.notification?.level).toBe('info');
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /ping/${CHECK}/start?rid=0b6f3a52-9e1d-4c7a-8f25-3d4e5a6b7c8d`,
      `POST /ping/${CHECK}?rid=0b6f3a52-9e1d-4c7a-8f25-3d4e5a6b7c8d`,
    ]);
    expect(heard).toEqual([]);
    expect(result.tasks.at(-1)?.data).toEqual({
      notifiers: [
        { name: 'healthchecks', status: 'sent', attempts: 1, error: null },
        { name: 'webhook', status: 'not_sent', attempts: 0, error: null },
        { name: 'custom', status: 'not_sent', attempts: 0, error: null },
      ],
    });
  });

  test('the default on of every built-in notifier but Healthchecks leaves info out; on: ["info"] is accepted', () => {
    const webhook = new WebhookNotifier({ url: server.url });
    expect(webhook.on).toEqual(['success', 'warning', 'error']);
    expect(new NtfyNotifier({ url: server.url, topic: 't' }).on).toEqual(['success', 'warning', 'error']);
    expect(new HealthchecksNotifier({ url: `${server.url}/ping/${CHECK}` }).on).toEqual(['info', 'success', 'warning', 'error']);
    expect(new WebhookNotifier({ url: server.url, on: ['info', 'error'] }).on).toEqual(['info', 'error']);
    expect(() => new WebhookNotifier({ url: server.url, on: ['debug' as 'info'] })).toThrow(ConfigError);
  });

  test('webhook: the payload carries status skipped and level info', async () => {
    await new WebhookNotifier({ url: server.url, on: ['info'] }).notify(skippedMessage(), context());
    const payload = JSON.parse(server.requests[0]?.body ?? '') as WebhookPayload;
    expect([payload.message.level, payload.message.status, payload.job.status]).toEqual(['info', 'skipped', 'skipped']);
  });

  test('ntfy: low priority (2) with the information tag; a per-level priority for info is accepted', async () => {
    await new NtfyNotifier({ url: server.url, topic: 't', on: ['info'] }).notify(skippedMessage(), context());
    await new NtfyNotifier({ url: server.url, topic: 't', on: ['info'], priority: { info: 'min' } }).notify(skippedMessage(), context());
    const bodies = server.requests.map((request) => JSON.parse(request.body) as { priority: number; tags: string[] });
    expect(bodies.map((body) => [body.priority, body.tags])).toEqual([
      [2, ['information_source']],
      [1, ['information_source']],
    ]);
  });

  test('Discord: a blue embed', async () => {
    await new DiscordNotifier({ webhookUrl: `${server.url}/api/webhooks/1187654321098765432/abcdefghijklmnopqrstuvwxyz0123456789`, on: ['info'] }).notify(
      skippedMessage(),
      context(),
    );
    const body = JSON.parse(server.requests[0]?.body ?? '') as { embeds: Array<{ color: number }> };
    expect(body.embeds[0]?.color).toBe(0x3498db);
  });

  test('Pushover: low priority, no sound', async () => {
    await new PushoverNotifier({ token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi', user: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG', baseUrl: server.url, on: ['info'] }).notify(
      skippedMessage(),
      context(),
    );
    const form = new URLSearchParams(server.requests[0]?.body ?? '');
    expect([form.get('priority'), form.get('sound')]).toEqual(['-1', null]);
  });

  test('Telegram: delivered silently, while a success with the same options is not', async () => {
    const telegram = new TelegramNotifier({ botToken: '7012345678:AAHk3p9XqZ-vLw2sYt8uRb5nCd1eFg6hJiK', chatId: 42, baseUrl: server.url, on: ['info', 'success'] });
    await telegram.notify(skippedMessage(), context());
    await telegram.notify(scenario('success').message, scenario('success').context());
    const silent = server.requests.map((request) => (JSON.parse(request.body) as { disable_notification: boolean }).disable_notification);
    expect(silent).toEqual([true, false]);
  });
});
