import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { WebhookNotifier, type WebhookPayload } from '../../../src/notify/notifiers/webhook.js';
import { JOB_ID, scenario } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 204 });
  // Only Date is faked: fetch and the server keep real timers.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-03-01T02:01:30.000Z'));
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

const tasks = (statuses: Array<[string, string, string, number | null, number | null, string | null]>) =>
  statuses.map(([name, type, status, exitCode, durationMs, error], index) => ({ index, name, type, status, exitCode, durationMs, error }));

describe('WebhookNotifier', () => {
  test('success: POSTs the message and the job summary as JSON', async () => {
    const { message, context } = scenario('success');
    const notifier = new WebhookNotifier({ url: `${server.url}/hooks/backup?team=ops`, token: 'tok-abcdef-123456', headers: { 'X-Source': 'nas' } });
    await notifier.notify(message, context());

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/backup?team=ops');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe('Bearer tok-abcdef-123456');
    expect(request?.headers['x-source']).toBe('nas');
    expect(request?.headers['user-agent']).toBe('jobhooks');
    const payload = JSON.parse(request?.body ?? '') as WebhookPayload;
    expect(payload).toEqual({
      message: {
        title: '✅ Backup Job Completed Successfully',
        body: `Backup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}`,
        level: 'success',
        jobId: JOB_ID,
        status: 'completed',
        details: [],
      },
      job: {
        status: 'completed',
        jobId: JOB_ID,
        jobType: 'scheduled',
        repository: { id: 7, name: 'nas' },
        durationMs: 90_000,
        tasks: tasks([
          ['Database Dump', 'hook', 'completed', 0, 1500, null],
          ['Stop Services', 'hook', 'completed', 0, 1500, null],
          ['Create archive', 'backup', 'completed', 0, 61_250, null],
          ['Prune archives', 'prune', 'completed', 0, 1500, null],
          ['Restart Services', 'hook', 'completed', 0, 1500, null],
          ['Health Check', 'hook', 'completed', 0, 1500, null],
          ['Notification', 'notification', 'running', null, null, null],
        ]),
        rehearsal: null,
      },
    });
  });

  test('warning: the failed hook is in the summary with its exit code and error', async () => {
    const { message, context } = scenario('warning');
    await new WebhookNotifier({ url: `${server.url}/hook` }).notify(message, context());

    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/hook', 'application/json']]);
    const [request] = server.requests;
    expect(request?.headers.authorization).toBeUndefined();
    const payload = JSON.parse(request?.body ?? '') as WebhookPayload;
    expect(payload.message).toEqual(message);
    expect(payload.job.status).toBe('completed_with_warnings');
    expect(payload.job.tasks[1]).toEqual({
      index: 1, name: 'Log Rotation', type: 'hook', status: 'failed', exitCode: 1, durationMs: 1500, error: "Hook 'Log Rotation' exited with code 1",
    });
  });

  test('critical failure: failed backup, skipped prune, post-hooks that ran on failure', async () => {
    const { message, context } = scenario('backupFailure');
    await new WebhookNotifier({ url: `${server.url}/hook` }).notify(message, context());

    expect(server.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/hook', 'application/json']]);
    const payload = JSON.parse(server.requests[0]?.body ?? '') as WebhookPayload;
    expect(payload.message.level).toBe('error');
    expect(payload.job.status).toBe('failed');
    expect(payload.job.tasks.map((task) => [task.name, task.status, task.exitCode, task.error])).toEqual([
      ['Database Dump', 'completed', 0, null],
      ['Stop Services', 'completed', 0, null],
      ['Create archive', 'failed', 2, "Task 'Create archive' exited with code 2"],
      ['Prune archives', 'skipped', null, null],
      ['Restart Services', 'completed', 0, null],
      ['Health Check', 'completed', 0, null],
      ['Notification', 'running', null, null],
    ]);
  });

  test('a job without a repository has repository: null; a finished job keeps its own durationMs', async () => {
    const { message, result } = scenario('success');
    const { repository: _, ...withoutRepository } = result;
    const finished = { ...withoutRepository, durationMs: 1234 };
    await new WebhookNotifier({ url: server.url }).notify(message, { result: finished, signal: AbortSignal.timeout(5000) });
    const payload = JSON.parse(server.requests[0]?.body ?? '') as WebhookPayload;
    expect(payload.job.repository).toBeNull();
    expect(payload.job.durationMs).toBe(1234);
    expect(server.requests[0]?.path).toBe('/');
  });

  test('a rehearsal says so in job.rehearsal, so a receiver can tell it from an outage', async () => {
    const { message, result } = scenario('backupFailure');
    const rehearsed = { ...result, rehearsal: { task: 'Create archive', index: 2, outcome: 'fail' as const } };
    await new WebhookNotifier({ url: server.url }).notify(message, { result: rehearsed, signal: AbortSignal.timeout(5000) });
    const payload = JSON.parse(server.requests[0]?.body ?? '') as WebhookPayload;
    expect(payload.job.rehearsal).toEqual({ task: 'Create archive', index: 2, outcome: 'fail' });
  });

  test('user:password in the URL is sent as Basic authentication, not in the URL', async () => {
    const { message, context } = scenario('success');
    const notifier = new WebhookNotifier({ url: `http://ops:s3cr%40t@127.0.0.1:${server.port}/in` });
    await notifier.notify(message, context());
    expect(server.requests[0]?.path).toBe('/in');
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('ops:s3cr@t').toString('base64')}`);
    expect(notifier.secrets).toContain('s3cr@t');
  });

  test('exposes name, timeout, on and secrets', () => {
    const notifier = new WebhookNotifier({
      url: 'https://ops.example.com/hooks/abcdefgh12345678?sig=0123456789abcdef',
      token: 'tok-1',
      headers: { 'X-Api-Key': 'key-1', Accept: 'application/json' },
      name: 'ops',
      timeout: '10s',
      on: ['error'],
    });
    expect(notifier.name).toBe('ops');
    expect(notifier.timeout).toBe('10s');
    expect(notifier.on).toEqual(['error']);
    expect(notifier.secrets).toEqual([
      'https://ops.example.com/hooks/abcdefgh12345678?sig=0123456789abcdef',
      '0123456789abcdef',
      'key-1',
      'tok-1',
    ]);
    const defaults = new WebhookNotifier({ url: 'https://ops.example.com/' });
    expect([defaults.name, defaults.timeout, defaults.on, defaults.secrets]).toEqual(['webhook', 30, ['success', 'warning', 'error'], []]);
  });

  test('invalid options throw ConfigError listing every problem', () => {
    const attempt = () =>
      new WebhookNotifier({
        url: 'ftp://example.com',
        token: 'x',
        headers: { Authorization: 'Basic x', 'Bad Header': 'v' },
        retries: -1,
        timeout: 0,
        on: ['failure' as 'error'],
        tokn: 'typo',
      } as never);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid WebhookNotifier options (6 problems):
        - url: expected an absolute http:// or https:// URL
        - headers.Bad Header: not a valid HTTP header (names are tokens; values are one line of Latin-1 text)
        - retries: expected a number ≥ 0, received number -1
        - timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received number 0
        - on[0]: expected one of "info", "success", "warning", "error", received string "failure"
        - tokn: unknown option "tokn" (did you mean "token"?)]
    `);
  });

  test('token and an Authorization header together are refused', () => {
    expect(() => new WebhookNotifier({ url: 'https://example.com/h', token: 't', headers: { authorization: 'Basic x' } }))
      .toThrowErrorMatchingInlineSnapshot(`
        [ConfigError: Invalid WebhookNotifier options (1 problem):
          - token: give either token or an Authorization header, not both]
      `);
  });

  test('the details travel as data; details: false sends them empty', async () => {
    const { message, context } = scenario('backupFailure');
    await new WebhookNotifier({ url: `${server.url}/hook` }).notify(message, context());
    await new WebhookNotifier({ url: `${server.url}/hook`, details: false }).notify(message, context());
    const [withDetails, without] = server.requests.map((request) => (JSON.parse(request.body) as WebhookPayload).message);
    expect(withDetails?.details).toEqual([
      {
        index: 2, name: 'Create archive', type: 'backup', phase: 'main', status: 'failed', warning: false, exitCode: 2,
        error: "Task 'Create archive' exited with code 2",
        output: 'Creating archive at "/srv/borg::nas-2025-03-01"\nFailed to create/acquire the lock /srv/borg/lock.exclusive (timeout).',
        attempts: 1,
      },
    ]);
    expect(without).toEqual({ ...withDetails, details: [] });
  });
});
