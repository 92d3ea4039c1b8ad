import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NotificationDeliveryError } from '../../../src/notify/http.js';
import { PushoverNotifier } from '../../../src/notify/notifiers/pushover.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const OK = { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"}' };

let server: TestServer;
beforeEach(async () => {
  server = await startServer(OK);
});
afterEach(async () => {
  await server.close();
});

const form = (body: string | undefined) => Object.fromEntries(new URLSearchParams(body ?? ''));

describe('PushoverNotifier', () => {
  test('success: form POST to /1/messages.json, low priority, no sound (the user\'s default)', async () => {
    const { message, context } = scenario('success');
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url }).notify(message, context());
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/1/messages.json');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(form(request?.body)).toEqual({
      token: TOKEN,
      user: USER,
      title: '✅ Backup Job Completed Successfully',
      message: `Backup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
      priority: '-1',
    });
  });

  test('warning: normal priority, intermission', async () => {
    const { message, context } = scenario('warning');
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url, device: 'phone,tablet' }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/1/messages.json', 'application/x-www-form-urlencoded;charset=UTF-8']]);
    expect(form(server.requests[0]?.body)).toEqual({
      token: TOKEN,
      user: USER,
      device: 'phone,tablet',
      title: '⚠️ Backup Job Completed with Warnings',
      message: `Backup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Log Rotation (pre-hook): Hook 'Log Rotation' exited with code 1\n    logrotate: error: skipping "/var/log/app.log"`,
      priority: '0',
      sound: 'intermission',
    });
  });

  test('critical failure: high priority, siren', async () => {
    const { message, context } = scenario('backupFailure');
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url }).notify(message, context());
    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/1/messages.json', 'application/x-www-form-urlencoded;charset=UTF-8']]);
    expect(form(server.requests[0]?.body)).toEqual({
      token: TOKEN,
      user: USER,
      title: '❌ Backup Job Failed - Backup Error',
      message: `Backup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n    Creating archive at "/srv/borg::nas-2025-03-01"\n    Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).`,
      priority: '1',
      sound: 'siren',
    });
  });

  test('priority and sound overrides; a message longer than 1024 characters is cut', async () => {
    const { message, context } = scenario('success');
    const notifier = new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: `${server.url}/proxy/`, sound: 'cosmic', priority: { success: 0 } });
    await notifier.notify({ ...message, body: 'é'.repeat(2000) }, context());
    const sent = form(server.requests[0]?.body);
    expect(server.requests[0]?.path).toBe('/proxy/1/messages.json');
    expect([sent.priority, sent.sound, Array.from(sent.message ?? '').length]).toEqual(['0', 'cosmic', 1024]);
  });

  test('HTTP 400 with Pushover\'s errors: no retry, the reason in the error, no key in it', async () => {
    server.reply({
      status: 400,
      headers: { 'Content-Type': 'application/json' },
      body: `{"user":"invalid","errors":["user identifier is not a valid user, group, or subscribed user key, see https://pushover.net/api#identifiers"],"status":0,"request":"5042853c-402d-4a18-abcb-168734a801de"}`,
    });
    const { message, context } = scenario('success');
    const error = await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url }).notify(message, context()).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect((error as Error).message).toBe(
      'HTTP 400 Bad Request: user identifier is not a valid user, group, or subscribed user key, see https://pushover.net/api#identifiers',
    );
    expect(server.requests).toHaveLength(1);
  });

  test('HTTP 200 without status 1 is a failure (Borgitory counted it as success)', async () => {
    server.reply({ status: 200, body: '<html>captive portal</html>' }, { status: 200, body: '{"status":0,"errors":["application token is invalid"]}' });
    const { message, context } = scenario('success');
    const notifier = new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url });
    const first = await notifier.notify(message, context()).catch((reason: unknown) => reason);
    expect((first as NotificationDeliveryError).message).toBe('Pushover answered HTTP 200 without its JSON status');
    expect((first as NotificationDeliveryError).kind).toBe('rejected');
    const second = await notifier.notify(message, context()).catch((reason: unknown) => reason);
    expect((second as NotificationDeliveryError).message).toBe('Pushover refused the message: application token is invalid');
  });

  test('user:password@ in baseUrl: sent as Basic authentication, and a secret, as its base64 is', async () => {
    const basic = Buffer.from('pouser:popassword99').toString('base64');
    server.reply({ status: 400, body: JSON.stringify({ status: 0, errors: [`auth=Basic ${basic}`] }) });
    const notifier = new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url.replace('http://', 'http://pouser:popassword99@') });
    const { message, context } = scenario('success');
    const error = (await notifier.notify(message, context()).catch((reason: unknown) => reason)) as NotificationDeliveryError;
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${basic}`);
    expect(error.message).not.toContain(basic);
    expect(error.message).toContain('auth=Basic ***');
    expect(notifier.secrets).toEqual(expect.arrayContaining([TOKEN, USER, 'popassword99', basic]));
  });

  test('options', () => {
    const notifier = new PushoverNotifier({ token: TOKEN, user: USER });
    expect([notifier.name, notifier.timeout, notifier.on, notifier.secrets]).toEqual(['pushover', 30, ['success', 'warning', 'error'], [TOKEN, USER]]);
    expect(() =>
      new PushoverNotifier({ token: 'short', user: USER, priority: { error: 2 as 1 }, sound: { warning: 'two words' } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PushoverNotifier options (3 problems):
        - token: expected the 30-letter-and-digit application API token from pushover.net
        - priority.error: expected -2, -1, 0 or 1 (emergency priority 2 is not supported)
        - sound.warning: expected a Pushover sound name like "siren" or "none"]
    `);
  });

  test('details: false sends the body alone', async () => {
    const { message, context } = scenario('backupFailure');
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url, details: false }).notify(message, context());
    expect(form(server.requests[0]?.body).message).toBe(message.body);
  });

  test("a long output is cut to Pushover's 1024 characters: the body and the task's name and error whole, the output's end kept", async () => {
    const { message, context } = failedBackup();
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url }).notify(message, context());
    const sent = form(server.requests[0]?.body).message ?? '';
    const head = `${message.body}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n    [… earlier output cut …]\n`;
    expect(sent.startsWith(head)).toBe(true);
    const kept = sent.slice(head.length).split('\n').map((line) => line.replace(/^ {4}/, '')).join('\n');
    expect(LONG_OUTPUT.endsWith(kept)).toBe(true);
    expect(kept.endsWith(`L10 ${'j'.repeat(496)}`)).toBe(true);
    expect(Array.from(sent)).toHaveLength(1024);
  });

  test('a long error is cut, never its task: the alert still names the task that failed', async () => {
    const error = `Task 'Create archive' failed: ${'why '.repeat(350)}`;
    const { message, context } = failedBackup({ output: 'the last line', error });
    await new PushoverNotifier({ token: TOKEN, user: USER, baseUrl: server.url }).notify(message, context());
    const sent = form(server.requests[0]?.body).message ?? '';
    expect(sent).toContain(`\n\n❌ Create archive (backup): ${Array.from(error).slice(0, 499).join('')}…\n    the last line`);
    expect(sent).not.toContain('more task');
    expect(Array.from(sent).length).toBeLessThanOrEqual(1024);
  });
});
