import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { deliver, NotificationDeliveryError, parseRetryAfter } from '../../src/notify/http.js';
import { NtfyNotifier } from '../../src/notify/notifiers/ntfy.js';
import { TelegramNotifier } from '../../src/notify/notifiers/telegram.js';
import { JobHooksError } from '../../src/errors.js';
import { WebhookNotifier } from '../../src/notify/notifiers/webhook.js';
import { scenario } from './helpers/fixtures.js';
import { closedPort, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 200, body: 'OK' });
});
afterEach(async () => {
  await server.close();
});

const { message, context } = scenario('backupFailure');

/** Runs `promise`, which must reject with a NotificationDeliveryError, and returns that error. */
async function failure(promise: Promise<unknown>): Promise<NotificationDeliveryError> {
  const error: unknown = await promise.then(
    () => new Error('expected the delivery to fail'),
    (reason: unknown) => reason,
  );
  if (!(error instanceof NotificationDeliveryError)) throw error;
  // Errors are data: one base class, one stable code.
  expect(error).toBeInstanceOf(JobHooksError);
  expect(error.code).toBe('ERR_NOTIFICATION');
  return error;
}

describe('deliver: retries', () => {
  test('500 then 200: exactly one retry, and the message is delivered', async () => {
    server.reply({ status: 500 });
    await new WebhookNotifier({ url: `${server.url}/hook` }).notify(message, context());
    expect(server.requests.map((request) => request.path)).toEqual(['/hook', '/hook']);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
    // The first backoff is 500 ms.
    const [first, second] = server.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(450);
  });

  test('5xx every time: gives up after 1 + retries attempts and names the last status', async () => {
    const fallback = await startServer({ status: 503 });
    try {
      const error = await failure(new WebhookNotifier({ url: fallback.url, retries: 1 }).notify(message, context()));
      expect(error.message).toBe('HTTP 503 Service Unavailable, after 2 attempts');
      expect([error.kind, error.status, error.attempts]).toEqual(['http', 503, 2]);
      expect(fallback.requests).toHaveLength(2);
    } finally {
      await fallback.close();
    }
  });

  test('429 with Retry-After: waits what the server asked (not the 500 ms backoff), then delivers', async () => {
    server.reply({ status: 429, headers: { 'Retry-After': '1' } });
    await new WebhookNotifier({ url: server.url }).notify(message, context());
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('429 with a Retry-After past the timeout: fails at once instead of waiting to time out', async () => {
    server.reply({ status: 429, headers: { 'Retry-After': '120' } });
    const started = performance.now();
    const error = await failure(new WebhookNotifier({ url: server.url, timeout: 30 }).notify(message, context()));
    expect(error.message).toBe('HTTP 429 Too Many Requests; the server asked to retry after 120s, past the 30s timeout');
    expect([error.kind, error.status, error.attempts]).toEqual(['http', 429, 1]);
    expect(server.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test('400: no retry, and the error names the status', async () => {
    server.reply({ status: 400, body: 'bad payload' });
    const error = await failure(new WebhookNotifier({ url: server.url }).notify(message, context()));
    expect(error.message).toBe('HTTP 400 Bad Request');
    expect([error.kind, error.status, error.attempts]).toEqual(['http', 400, 1]);
    expect(server.requests).toHaveLength(1);
  });

  test('404 and 401 are not retried either', async () => {
    server.reply({ status: 404 }, { status: 401 });
    const notifier = new WebhookNotifier({ url: server.url });
    expect((await failure(notifier.notify(message, context()))).message).toBe('HTTP 404 Not Found');
    expect((await failure(notifier.notify(message, context()))).message).toBe('HTTP 401 Unauthorized');
    expect(server.requests).toHaveLength(2);
  });

  test('a redirect is not followed: the POST would turn into a GET', async () => {
    server.reply({ status: 302, headers: { Location: '/elsewhere' } });
    const error = await failure(new WebhookNotifier({ url: server.url }).notify(message, context()));
    expect(error.message).toBe('HTTP 302 Found (redirects are not followed: use the final URL)');
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /']);
  });
});

describe('deliver: network failures and timeouts', () => {
  test('connection refused: a clear error naming host and port, after every attempt', async () => {
    const port = await closedPort();
    const once = await failure(new WebhookNotifier({ url: `http://127.0.0.1:${port}/hook`, retries: 0 }).notify(message, context()));
    expect(once.message).toBe(`connection refused (127.0.0.1:${port})`);
    expect([once.kind, once.status, once.attempts]).toEqual(['network', null, 1]);

    const retried = await failure(new WebhookNotifier({ url: `http://127.0.0.1:${port}/hook` }).notify(message, context()));
    expect(retried.message).toBe(`connection refused (127.0.0.1:${port}), after 3 attempts`);
    expect(retried.attempts).toBe(3);
  });

  test('a dropped connection is a network error, and is retried', async () => {
    server.reply('destroy');
    await new WebhookNotifier({ url: server.url }).notify(message, context());
    expect(server.requests).toHaveLength(2);

    server.reply('destroy');
    const error = await failure(new WebhookNotifier({ url: server.url, retries: 0 }).notify(message, context()));
    expect(error.message).toBe(`connection closed by the server (127.0.0.1:${server.port})`);
    expect(error.kind).toBe('network');
  });

  test('slow server: the context signal ends delivery with a timeout error, on time', async () => {
    server.reply({ status: 200, delayMs: 10_000 });
    const started = performance.now();
    const error = await failure(new WebhookNotifier({ url: server.url }).notify(message, context(AbortSignal.timeout(200))));
    expect(error.message).toBe(`timed out (127.0.0.1:${server.port})`);
    expect([error.kind, error.status, error.attempts]).toEqual(['timeout', null, 1]);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  test('a timeout while waiting to retry reports the failure that caused the retry', async () => {
    server.reply({ status: 503 });
    const error = await failure(new WebhookNotifier({ url: server.url }).notify(message, context(AbortSignal.timeout(200))));
    expect(error.message).toBe(`timed out (127.0.0.1:${server.port}); last failure: HTTP 503 Service Unavailable`);
    expect([error.kind, error.status]).toEqual(['timeout', 503]);
    expect(server.requests).toHaveLength(1);
  });

  test('a signal already fired: nothing is sent', async () => {
    const error = await failure(new WebhookNotifier({ url: server.url }).notify(message, context(AbortSignal.abort())));
    expect(error.message).toBe(`timed out (127.0.0.1:${server.port})`);
    expect(server.requests).toHaveLength(0);
  });

  test('a hung attempt gets its share of the timeout, then the next attempt delivers', async () => {
    // timeout 2 s, 1 retry: the first attempt may take 1 s, the last whatever is left.
    server.reply('hang');
    await new WebhookNotifier({ url: server.url, timeout: 2, retries: 1 }).notify(message, context());
    expect(server.requests).toHaveLength(2);
  });

  test('the waits between attempts come out of the timeout before it is shared: two hung attempts, and the third still delivers', async () => {
    // timeout 4 s, 2 retries, waits of 0.5 and 1 s: each attempt may take (4 - 1.5) / 3 s, at least 1 s,
    // so the third starts at 3.5 s. Shared without the waits (1.33 s each), the second ended at 3.17 s
    // with 0.83 s left, less than the 1 s wait: the third was never made.
    server.reply('hang', 'hang');
    await new WebhookNotifier({ url: server.url, timeout: 4, retries: 2 }).notify(message, context());
    expect(server.requests).toHaveLength(3);
  });

  test('called on its own, under a signal that never fires, a notifier still stops at its own timeout', async () => {
    server.reply('hang', 'hang');
    const started = performance.now();
    const error = await failure(new WebhookNotifier({ url: server.url, timeout: 1, retries: 0 }).notify(message, context(new AbortController().signal)));
    expect(error.message).toBe(`timed out (127.0.0.1:${server.port})`);
    expect(error.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  test('a hung last attempt: the per-attempt limit of earlier ones is reported with the timeout', async () => {
    server.reply('hang', 'hang');
    const error = await failure(
      new WebhookNotifier({ url: server.url, timeout: 2, retries: 1 }).notify(message, context(AbortSignal.timeout(1800))),
    );
    expect(error.message).toBe(`timed out (127.0.0.1:${server.port}); last failure: no response within 1s (127.0.0.1:${server.port})`);
    expect(server.requests).toHaveLength(2);
  });
});

describe('deliver: secrets and cleanup', () => {
  test('tokens in the URL path and query never reach the error; the server\'s echo of a secret is scrubbed', async () => {
    server.reply({ status: 403, body: 'token tok-very-secret-1 is revoked' });
    const response = await failure(
      deliver(
        { url: new URL(`${server.url}/hooks/tok-very-secret-1?key=key-very-secret-2`), headers: {} },
        {
          signal: AbortSignal.timeout(5000),
          timeoutMs: 5000,
          retries: 0,
          secrets: ['tok-very-secret-1'],
          describeErrorBody: (body) => body,
        },
      ),
    );
    expect(response.message).toBe('HTTP 403 Forbidden: token *** is revoked');

    const port = await closedPort();
    const refused = await failure(
      deliver(
        { url: new URL(`http://127.0.0.1:${port}/hooks/tok-very-secret-1?key=key-very-secret-2`), headers: {} },
        { signal: AbortSignal.timeout(5000), timeoutMs: 5000, retries: 0, secrets: [] },
      ),
    );
    expect(refused.message).toBe(`connection refused (127.0.0.1:${port})`);
  });

  test('a secret the length limit would cut in two is scrubbed before the cut, in a status detail and in a refusal', async () => {
    const secret = 'tok-abcdefghijklmnopqrstuvwxyz-0123456789';
    // An echo of the request path, as an Express-style "Cannot POST <path>" or a proxy's 404 gives it.
    server.reply({ status: 404, body: `Cannot POST /${'x'.repeat(270)}/${secret}/ping` });
    const status = await failure(
      deliver(
        { url: new URL(`${server.url}/hook`), headers: {} },
        { signal: AbortSignal.timeout(5000), timeoutMs: 5000, retries: 0, secrets: [secret], describeErrorBody: (body) => body },
      ),
    );
    expect(status.message).toContain('/***/ping');
    expect(status.message).not.toContain(secret.slice(0, 8));

    const bot = `123456789:${'A'.repeat(35)}`;
    server.reply({ status: 200, body: JSON.stringify({ ok: false, description: `Forbidden: ${'/v1'.repeat(125)}/bot${bot}/sendMessage` }) });
    const telegram = new TelegramNotifier({ botToken: bot, chatId: '42', baseUrl: server.url, retries: 0 });
    const refused = await failure(telegram.notify(message, context()));
    expect(refused.kind).toBe('rejected');
    expect(refused.message).not.toContain(bot.slice(0, 12));
  });

  test('Basic authentication from user:password@ in the URL: its base64, echoed by the server, is scrubbed too', async () => {
    server.reply({ status: 401, body: JSON.stringify({ error: `unauthorized: Basic ${Buffer.from('backup:s3cretPassw0rd').toString('base64')}` }) });
    const ntfy = new NtfyNotifier({ url: `http://backup:s3cretPassw0rd@127.0.0.1:${server.port}`, topic: 'nas', retries: 0 });
    const error = await failure(ntfy.notify(message, context()));
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('backup:s3cretPassw0rd').toString('base64')}`);
    expect(error.message).toBe('HTTP 401 Unauthorized: Basic ***');
  });

  test("a server's status line cannot move the cursor or retitle the terminal, nor run on for pages", async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.end(`HTTP/1.1 400 \u001b]0;pwned\u0007\u001b[1A\u001b[2KForged line ${'y'.repeat(8000)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as AddressInfo;
      const error = await failure(new WebhookNotifier({ url: `http://127.0.0.1:${port}/hook`, retries: 0 }).notify(message, context()));
      expect(error.message).toMatch(/^HTTP 400 \]0;pwned \[1A \[2KForged line y+…$/);
      expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(error.message.length).toBeLessThan(120);
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });

  test('no timer is left behind, whatever the outcome', async () => {
    const signal = AbortSignal.timeout(10_000);
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    server.reply({ status: 500 }, { status: 200 }, { status: 400 });
    const notifier = new WebhookNotifier({ url: server.url });
    await notifier.notify(message, { result: context().result, signal });
    await failure(notifier.notify(message, { result: context().result, signal }));
    expect(server.requests).toHaveLength(3);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  test('a large response body is read only up to 64 KiB', async () => {
    server.reply({ status: 200, body: 'x'.repeat(1_000_000) });
    const response = await deliver(
      { url: new URL(server.url), headers: {} },
      { signal: AbortSignal.timeout(5000), timeoutMs: 5000, retries: 0, secrets: [] },
    );
    expect(response.body).toHaveLength(64 * 1024);
  });
});

describe('parseRetryAfter', () => {
  test('seconds, HTTP dates, and garbage', () => {
    const now = Date.parse('2025-03-01T02:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Sat, 01 Mar 2025 02:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 01:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
