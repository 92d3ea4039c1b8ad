import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { HealthchecksNotifier, healthchecksBody } from '../../../src/notify/notifiers/healthchecks.js';
import { notificationDetails } from '../../../src/notify/message.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CHECK = '5bf2c6a4-0c3e-4a4e-9d4b-7c1f0e2a9b31';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 200, body: 'OK' });
});
afterEach(async () => {
  await server.close();
});

const pingUrl = () => `${server.url}/ping/${CHECK}`;

describe('HealthchecksNotifier', () => {
  test('jobStarted: POST <url>/start with the job id as run id', async () => {
    const notifier = new HealthchecksNotifier({ url: pingUrl() });
    await notifier.jobStarted({ jobId: JOB_ID, jobType: 'scheduled', repository: { id: 7, name: 'nas' }, signal: AbortSignal.timeout(5000) });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/ping/${CHECK}/start?rid=${JOB_ID}`);
    expect(request?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request?.body).toBe(`Job ${JOB_ID} (scheduled) started for 'nas'\n`);
  });

  test('success: POST <url> with the message', async () => {
    const { message, context } = scenario('success');
    await new HealthchecksNotifier({ url: pingUrl() }).notify(message, context());
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/ping/${CHECK}?rid=${JOB_ID}`);
    expect(request?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request?.body).toBe(
      `✅ Backup Job Completed Successfully\n\nBackup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}\n`,
    );
  });

  test('warning: a success ping, with the output of the task that failed', async () => {
    const { message, context } = scenario('warning');
    await new HealthchecksNotifier({ url: pingUrl() }).notify(message, context());
    const [request] = server.requests;
    expect(request?.path).toBe(`/ping/${CHECK}?rid=${JOB_ID}`);
    expect(request?.body).toBe(
      [
        '⚠️ Backup Job Completed with Warnings',
        '',
        "Backup job for 'nas' completed but some tasks failed.",
        '',
        'Failed Tasks: hook',
        'Tasks Completed: 6, Skipped: 0, Total: 7',
        `Job ID: ${JOB_ID}`,
        '',
        "--- Task 1 'Log Rotation' (hook) failed ---",
        "Error: Hook 'Log Rotation' exited with code 1",
        'logrotate: error: skipping "/var/log/app.log"',
        '',
      ].join('\n'),
    );
  });

  test('critical failure: POST <url>/fail with the output of the task that failed the job', async () => {
    const { message, context } = scenario('backupFailure');
    await new HealthchecksNotifier({ url: pingUrl() }).notify(message, context());
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/ping/${CHECK}/fail?rid=${JOB_ID}`);
    expect(request?.body).toBe(
      [
        '❌ Backup Job Failed - Backup Error',
        '',
        "Backup job for 'nas' failed during backup process.",
        '',
        'Tasks Completed: 5, Skipped: 1, Total: 7',
        `Job ID: ${JOB_ID}`,
        '',
        "--- Task 2 'Create archive' (backup) failed ---",
        "Error: Task 'Create archive' exited with code 2",
        'Creating archive at "/srv/borg::nas-2025-03-01"',
        'Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).',
        '',
      ].join('\n'),
    );
  });

  test('cancelled between tasks (no culprit): /fail with the failed tasks, marking a tail the engine cut', async () => {
    const { message, result } = scenario('backupFailure');
    const tasks = result.tasks.map((task) =>
      task.index === 2 ? { ...task, error: 'Task cancelled', cancelled: true, output: '', outputTruncated: true } : task,
    );
    const cancelled = { ...result, tasks, failure: { taskIndex: null, taskName: null, type: null, reason: 'cancelled' as const, error: null, cancelledBefore: 3 } };
    const details = notificationDetails(tasks.filter((task) => task.phase !== 'notification'));
    const body = healthchecksBody({ ...message, title: '🛑 Backup Job Cancelled', status: 'cancelled', details }, cancelled);
    expect(body).toBe(
      `🛑 Backup Job Cancelled\n\n${message.body}\n` +
        "\n--- Task 2 'Create archive' (backup) failed ---\nError: Task cancelled\n[… earlier output was not kept …]\n(no output)\n",
    );
  });

  test('a huge output is capped at 100 KB, keeping the message and the end of the output', async () => {
    const { message, result } = scenario('backupFailure');
    // Multi-byte characters everywhere, so a careless cut would split one.
    const output = `${'é✅ line of borg output\n'.repeat(20_000)}FINAL: lock timeout`;
    const tasks = result.tasks.map((task) => (task.index === 2 ? { ...task, output } : task));
    await new HealthchecksNotifier({ url: pingUrl() }).notify(message, { result: { ...result, tasks }, signal: AbortSignal.timeout(5000) });

    const body = server.requests[0]?.body ?? '';
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(100_000);
    expect(Buffer.byteLength(body)).toBeGreaterThan(99_990);
    expect(
      body.startsWith(
        `❌ Backup Job Failed - Backup Error\n\n${message.body}\n\n--- Task 2 'Create archive' (backup) failed ---\nError: Task 'Create archive' exited with code 2\n[… earlier output cut …]\n`,
      ),
    ).toBe(true);
    expect(body.endsWith('é✅ line of borg output\nFINAL: lock timeout\n')).toBe(true);
    expect(body).not.toContain('\uFFFD');
  });

  test('over the limit, every task keeps its heading and error; the outputs share the room, each keeping its end', () => {
    const { message, result } = scenario('backupFailure');
    const error = `Hook 'Database Dump' exited with code 1: ${'a long reason '.repeat(100)}`;
    const two = result.tasks.map((task) => (task.index === 0 ? { ...task, status: 'failed' as const, error, output: `${'dump line\n'.repeat(7000)}DUMP END` } : task));
    const big = two.map((task) => (task.index === 2 ? { ...task, output: `${'borg line\n'.repeat(7000)}BORG END` } : task));
    const details = notificationDetails(big.filter((task) => task.phase !== 'notification'));
    expect(details.map((detail) => detail.index)).toEqual([0, 2]);
    for (const limit of [100_000, 10_000]) {
      const body = healthchecksBody({ ...message, details }, { ...result, tasks: big }, limit);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
      expect(body).toContain(`\n--- Task 0 'Database Dump' (hook) failed ---\nError: ${error.slice(0, 499)}…\n[… earlier output cut …]\n`);
      expect(body).toContain("\n--- Task 2 'Create archive' (backup) failed ---\nError: Task 'Create archive' exited with code 2\n[… earlier output cut …]\n");
      expect(body).toContain('dump line\nDUMP END\n');
      expect(body.endsWith('borg line\nBORG END\n')).toBe(true);
    }
    // Under the limit nothing is cut, the error included.
    const whole = healthchecksBody({ ...message, details }, { ...result, tasks: big }, 1_000_000);
    expect(whole).toContain(`Error: ${error}\n`);
    expect(whole).not.toContain('output cut');
  });

  test('tasks that do not fit even as headings are counted in a last line', () => {
    const { message, result } = scenario('backupFailure');
    const tasks = result.tasks.map((task) => (task.phase === 'pre' ? { ...task, status: 'failed' as const, error: 'x'.repeat(400), output: 'y'.repeat(5000) } : task));
    const details = notificationDetails(tasks.filter((task) => task.phase !== 'notification'));
    const head = Buffer.byteLength(`${message.title}\n\n${message.body}\n`);
    const body = healthchecksBody({ ...message, details }, { ...result, tasks }, head + 700);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(head + 700);
    expect(body).toMatch(/\n… and \d+ more tasks?\n$/);
    expect(body).toContain('--- Task 0 ');
  });

  test('maxBodyBytes for self-hosted limits', () => {
    const { message, result } = scenario('backupFailure');
    const tasks = result.tasks.map((task) => (task.index === 2 ? { ...task, output: 'x'.repeat(50_000) } : task));
    const body = healthchecksBody(message, { ...result, tasks }, 10_000);
    expect(Buffer.byteLength(body)).toBe(10_000);
    expect(body.endsWith('x\n')).toBe(true);
  });

  test('keeps the ping URL query (auto-provisioning) and sends no run id for a job id that is not a UUID', async () => {
    const { message, result } = scenario('backupFailure');
    await new HealthchecksNotifier({ url: `${server.url}/ping/abcdefghijklmnopqrstuv/nightly-nas/?create=1` }).notify(
      { ...message, jobId: 'nightly-42' },
      { result, signal: AbortSignal.timeout(5000) },
    );
    expect(server.requests[0]?.path).toBe('/ping/abcdefghijklmnopqrstuv/nightly-nas/fail?create=1');
  });

  test('an unknown check: the error gives Healthchecks\' reason', async () => {
    server.reply({ status: 404, body: 'not found' });
    const { message, context } = scenario('success');
    await expect(new HealthchecksNotifier({ url: pingUrl() }).notify(message, context())).rejects.toThrow(
      /^HTTP 404 Not Found: not found$/,
    );
  });

  test('options: secrets, defaults, and a ping URL given with /fail', () => {
    const notifier = new HealthchecksNotifier({ url: `https://hc-ping.com/${CHECK}` });
    expect([notifier.name, notifier.timeout, notifier.on]).toEqual(['healthchecks', 30, ['info', 'success', 'warning', 'error']]);
    expect(notifier.secrets).toEqual([`https://hc-ping.com/${CHECK}`, CHECK]);
    expect(() => new HealthchecksNotifier({ url: `https://hc-ping.com/${CHECK}/fail`, maxBodyBytes: 10 })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid HealthchecksNotifier options (2 problems):
        - url: give the check's ping URL itself, without /start, /fail, /log or an exit status
        - maxBodyBytes: expected a number ≥ 1000, received number 10]
    `);
  });

  test('details: false sends the message alone', async () => {
    const { message, context } = scenario('backupFailure');
    await new HealthchecksNotifier({ url: pingUrl(), details: false }).notify(message, context());
    expect(server.requests[0]?.body).toBe(`${message.title}\n\n${message.body}\n`);
  });

  test('the sections come from the details (every task that failed), each with the whole output the job kept', async () => {
    const { message, result } = failedBackup({ extraFailures: 1 });
    const body = healthchecksBody(message, result);
    expect(body).toBe(
      `${message.title}\n\n${message.body}\n` +
        `\n--- Task 2 'Create archive' (backup) failed ---\nError: Task 'Create archive' exited with code 2\n${LONG_OUTPUT}\n` +
        `\n--- Task 7 'Extra 1' (hook) failed ---\nError: Hook 'Extra 1' exited with code 1\n${LONG_OUTPUT}\n`,
    );
  });

  test('a /start still being retried when the run ends: the end ping waits for it, never arriving before it', async () => {
    const notifier = new HealthchecksNotifier({ url: pingUrl() });
    server.reply({ status: 500 }, { status: 200, body: 'OK', delayMs: 300 });
    const start = notifier.jobStarted({ jobId: JOB_ID, jobType: 'scheduled', signal: AbortSignal.timeout(10_000) });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    // A short job: the end comes while /start waits to be retried.
    const { message, context } = scenario('backupFailure');
    await notifier.notify(message, context());
    await start;
    expect(server.requests.map((request) => request.path)).toEqual([
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}/fail?rid=${JOB_ID}`,
    ]);
  });

  test('a /start that fails for good is reported, and the end ping follows it', async () => {
    const notifier = new HealthchecksNotifier({ url: pingUrl(), retries: 1 });
    server.reply({ status: 500 }, { status: 503, delayMs: 200 });
    const start = notifier.jobStarted({ jobId: JOB_ID, jobType: 'scheduled', signal: AbortSignal.timeout(10_000) });
    const outcome = start.then(() => 'sent', (error: unknown) => String(error));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    const { message, context } = scenario('success');
    await notifier.notify(message, context());
    expect(await outcome).toBe('NotificationDeliveryError: HTTP 503 Service Unavailable, after 2 attempts');
    expect(server.requests.map((request) => request.path)).toEqual([
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}?rid=${JOB_ID}`,
    ]);
  });
});
