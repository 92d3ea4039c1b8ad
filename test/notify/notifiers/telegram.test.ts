import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NotificationDeliveryError } from '../../../src/notify/http.js';
import { TelegramNotifier, telegramText } from '../../../src/notify/notifiers/telegram.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';
import { closedPort, startServer, type TestServer } from '../helpers/server.js';

const BOT_TOKEN = '7012345678:AAHk3p9XqZ-vLw2sYt8uRb5nCd1eFg6hJiK';
const CHAT = -1001234567890;
const OK = { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true,"result":{"message_id":42}}' };

let server: TestServer;
beforeEach(async () => {
  server = await startServer(OK);
});
afterEach(async () => {
  await server.close();
});

const telegram = (extra: Partial<ConstructorParameters<typeof TelegramNotifier>[0]> = {}) =>
  new TelegramNotifier({ botToken: BOT_TOKEN, chatId: CHAT, baseUrl: server.url, ...extra });

async function failure(promise: Promise<unknown>): Promise<NotificationDeliveryError> {
  const error: unknown = await promise.then(() => new Error('expected a failure'), (reason: unknown) => reason);
  if (!(error instanceof NotificationDeliveryError)) throw error;
  return error;
}

describe('TelegramNotifier', () => {
  test('success: sendMessage with HTML, the title in bold', async () => {
    const { message, context } = scenario('success');
    await telegram().notify(message, context());
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      chat_id: CHAT,
      text: `<b>✅ Backup Job Completed Successfully</b>\n\nBackup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
      parse_mode: 'HTML',
      disable_notification: false,
    });
  });

  test('warning', async () => {
    const { message, context } = scenario('warning');
    await telegram({ chatId: '@nas_backups', disableNotification: true }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', `/bot${BOT_TOKEN}/sendMessage`, 'application/json']]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      chat_id: '@nas_backups',
      text: `<b>⚠️ Backup Job Completed with Warnings</b>\n\nBackup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}` +
        "\n\n<b>❌ Log Rotation (pre-hook)</b>\nHook 'Log Rotation' exited with code 1\n<pre>logrotate: error: skipping \"/var/log/app.log\"</pre>",
      parse_mode: 'HTML',
      disable_notification: true,
    });
  });

  test('critical failure of a hook named `<b>&`: the name arrives escaped', async () => {
    const { message, context } = scenario('hookFailure', { hookName: '<b>&' });
    await telegram().notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', `/bot${BOT_TOKEN}/sendMessage`, 'application/json']]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      chat_id: CHAT,
      text:
        '<b>❌ Backup Job Failed - Critical Hook Error</b>\n\n' +
        `Backup job for 'nas' failed due to critical hook failure.\n\nFailed Hook: &lt;b&gt;&amp;\nTasks Completed: 2, Skipped: 4, Total: 7\nJob ID: ${JOB_ID}` +
        "\n\n<b>❌ &lt;b&gt;&amp; (pre-hook)</b>\nHook '&lt;b&gt;&amp;' exited with code 1\n<pre>pg_dump: error: connection to server failed</pre>",
      parse_mode: 'HTML',
      disable_notification: false,
    });
  });

  test('critical backup failure, and a title with markup escaped too', async () => {
    const { message, context } = scenario('backupFailure');
    await telegram().notify({ ...message, title: `${message.title} <nas & co>` }, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', `/bot${BOT_TOKEN}/sendMessage`, 'application/json']]);
    const { text } = JSON.parse(server.requests[0]?.body ?? '') as { text: string };
    expect(text).toBe(
      `<b>❌ Backup Job Failed - Backup Error &lt;nas &amp; co&gt;</b>\n\nBackup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}` +
        "\n\n<b>❌ Create archive (backup)</b>\nTask 'Create archive' exited with code 2\n" +
        '<pre>Creating archive at "/srv/borg::nas-2025-03-01"\nFailed to create/acquire the lock /srv/borg/lock.exclusive (timeout).</pre>',
    );
  });

  test('ok: false is a failure with Telegram\'s description', async () => {
    server.reply({ status: 200, body: '{"ok":false,"description":"Bad Request: message is too long"}' });
    const { message, context } = scenario('success');
    const error = await failure(telegram().notify(message, context()));
    expect(error.message).toBe('Telegram refused the message: Bad Request: message is too long');
    expect(error.kind).toBe('rejected');
  });

  test('HTTP 400: Telegram\'s description, without repeating the status text, and no retry', async () => {
    server.reply({ status: 400, body: '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}' });
    const { message, context } = scenario('success');
    const error = await failure(telegram().notify(message, context()));
    expect(error.message).toBe('HTTP 400 Bad Request: chat not found');
    expect(server.requests).toHaveLength(1);
  });

  test('HTTP 429: waits parameters.retry_after, then delivers', async () => {
    server.reply({ status: 429, body: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}' });
    const { message, context } = scenario('success');
    await telegram().notify(message, context());
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('HTTP 429 asking for an absurd wait (retry_after 1e308): fails at once, saying so in words', async () => {
    server.reply({ status: 429, body: '{"ok":false,"error_code":429,"description":"Too Many Requests: flood control","parameters":{"retry_after":1e308}}' });
    const { message, context } = scenario('success');
    const error = await failure(telegram().notify(message, context()));
    expect(error.message).toBe('HTTP 429 Too Many Requests: flood control; the server asked to retry later, past the 30s timeout');
  });

  test('the bot token never appears in an error, whatever fails', async () => {
    const { message, context } = scenario('backupFailure');
    const errors: string[] = [];
    // The server echoes the request path back in its description.
    server.reply({ status: 401, body: JSON.stringify({ ok: false, description: `Unauthorized: /bot${BOT_TOKEN}/sendMessage` }) });
    errors.push((await failure(telegram().notify(message, context()))).message);
    server.reply({ status: 502 }, { status: 502 }, { status: 502 });
    errors.push((await failure(telegram().notify(message, context()))).message);
    server.reply({ status: 200, delayMs: 5000 });
    errors.push((await failure(telegram().notify(message, context(AbortSignal.timeout(100))))).message);
    const port = await closedPort();
    errors.push((await failure(telegram({ baseUrl: `http://127.0.0.1:${port}`, retries: 0 }).notify(message, context()))).message);

    expect(errors).toEqual([
      'HTTP 401 Unauthorized: /bot***/sendMessage',
      'HTTP 502 Bad Gateway, after 3 attempts',
      `timed out (127.0.0.1:${server.port})`,
      `connection refused (127.0.0.1:${port})`,
    ]);
    for (const text of errors) expect(text).not.toContain(BOT_TOKEN.split(':')[1]);
  });

  test('user:password@ in baseUrl: sent as Basic authentication, and a secret, as its base64 is', async () => {
    const basic = Buffer.from('tguser:tgpassword99').toString('base64');
    // A proxy in front of Telegram that echoes the Authorization header in its refusal.
    server.reply({ status: 400, body: JSON.stringify({ ok: false, description: `auth=Basic ${basic}` }) });
    const notifier = telegram({ baseUrl: server.url.replace('http://', 'http://tguser:tgpassword99@') });
    const { message, context } = scenario('success');
    const error = await failure(notifier.notify(message, context()));
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${basic}`);
    expect(error.message).toBe('HTTP 400 Bad Request: auth=Basic ***');
    expect(notifier.secrets).toEqual(expect.arrayContaining([BOT_TOKEN, 'tgpassword99', basic]));
  });

  test('options', () => {
    const notifier = new TelegramNotifier({ botToken: BOT_TOKEN, chatId: '12345' });
    expect([notifier.name, notifier.timeout, notifier.on, notifier.secrets]).toEqual(['telegram', 30, ['success', 'warning', 'error'], [BOT_TOKEN]]);
    const attempt = () => new TelegramNotifier({ botToken: 'not-a-token-AAHk3p9XqZ', chatId: 'my chat', disableNotification: 'yes' as never });
    expect(attempt).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid TelegramNotifier options (3 problems):
        - botToken: expected a bot token from @BotFather, like "123456789:AA…"
        - chatId: expected a numeric chat id or "@channelname"
        - disableNotification: expected boolean, received string "yes"]
    `);
  });

  test('a body too long for Telegram is cut before escaping, so no entity is split', () => {
    const text = telegramText({ title: 'T', body: 'a<'.repeat(3000), level: 'error', jobId: JOB_ID, status: 'failed', details: [] });
    const visible = text.replace(/<\/?b>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(visible.length).toBe(4096);
    expect(text.endsWith('a&lt;a&lt;…')).toBe(true);
  });

  test('details: false sends the title and body alone', async () => {
    const { message, context } = scenario('backupFailure');
    await telegram({ details: false }).notify(message, context());
    expect((JSON.parse(server.requests[0]?.body ?? '') as { text: string }).text).toBe(
      `<b>❌ Backup Job Failed - Backup Error</b>\n\nBackup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}`,
    );
  });

  test("a long output is cut to Telegram's 4096 characters, keeping its end; the title and body stay whole", async () => {
    // Its last line is all `<`: escaped, it is four times longer, but Telegram counts it once parsed.
    const output = LONG_OUTPUT.replaceAll('j', '<');
    const { message, context } = failedBackup({ output });
    await telegram().notify(message, context());
    const { text } = JSON.parse(server.requests[0]?.body ?? '') as { text: string };
    const head =
      `<b>❌ Backup Job Failed - Backup Error</b>\n\n${message.body}\n\n` +
      "<b>❌ Create archive (backup)</b>\nTask 'Create archive' exited with code 2\n<pre>[… earlier output cut …]\n";
    expect(text.startsWith(head)).toBe(true);
    expect(text.endsWith(`L10 ${'&lt;'.repeat(496)}</pre>`)).toBe(true);
    const unescape = (html: string): string => html.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
    const kept = unescape(text.slice(head.length, -'</pre>'.length));
    expect(output.endsWith(kept)).toBe(true);
    // What Telegram counts: the text once its HTML is parsed.
    const visible = unescape(text.replace(/<\/?(b|pre)>/g, ''));
    expect(visible.length).toBeLessThanOrEqual(4096);
    expect(visible.length).toBeGreaterThan(4096 - 8);
  });
});
