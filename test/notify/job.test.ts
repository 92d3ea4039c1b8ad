import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { commandTask, JobPipeline, type JobResult, type Notifier } from '../../src/index.js';
import { collectEvents, FakeExecutor } from '../../src/testing.js';
import { HealthchecksNotifier } from '../../src/notify/notifiers/healthchecks.js';
import { WebhookNotifier, type WebhookPayload } from '../../src/notify/notifiers/webhook.js';
import { PlainView } from '../../src/cli/plain.js';
import { startServer, type TestServer } from './helpers/server.js';

const JOB_ID = '0b6f3a52-9e1d-4c7a-8f25-3d4e5a6b7c8d';
const CHECK = '5bf2c6a4-0c3e-4a4e-9d4b-7c1f0e2a9b31';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ status: 200, body: 'OK' });
});
afterEach(async () => {
  await server.close();
});

describe('notifiers inside a real JobPipeline', () => {
  test('a notifier that throws and one that never settles cannot hold or change the job; the webhook still gets its POST', async () => {
    const thrower: Notifier = {
      name: 'thrower',
      notify: () => {
        throw new Error('cannot reach chat, key sk-live-0123456789');
      },
    };
    const stuck: Notifier = { name: 'stuck', timeout: '300ms', notify: () => new Promise<void>(() => {}) };
    const webhook = new WebhookNotifier({ url: `${server.url}/hook`, token: 'tok-webhook-abcdef123456' });
    const healthchecks = new HealthchecksNotifier({ url: `${server.url}/ping/${CHECK}` });
    const executor = new FakeExecutor({
      'Create archive': { exitCode: 2, output: ['Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).'] },
    });
    const pipeline = new JobPipeline({
      jobId: JOB_ID,
      jobType: 'scheduled',
      repository: { id: 7, name: 'nas' },
      preHooks: [{ name: 'Database Dump', command: 'pg_dump app > /tmp/app.sql', critical: true }],
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
      postHooks: [{ name: 'Cleanup', command: 'rm -f /tmp/app.sql', runOnJobFailure: true }],
      notifiers: [thrower, stuck, webhook, healthchecks],
      executor,
      secrets: ['sk-live-0123456789'],
    });
    const events = collectEvents(pipeline);

    const started = performance.now();
    const result: JobResult = await pipeline.run();
    const elapsedMs = performance.now() - started;

    // On time: bounded by the stuck notifier's 300 ms, far from the 30 s default.
    expect(elapsedMs).toBeLessThan(5000);
    expect(result.status).toBe('failed');
    expect(result.failure).toEqual({
      taskIndex: 1, taskName: 'Create archive', type: 'backup', reason: 'critical_task_failure', error: "Task 'Create archive' exited with code 2",
    });
    expect(result.tasks.map((task) => [task.name, task.status])).toEqual([
      ['Database Dump', 'completed'],
      ['Create archive', 'failed'],
      ['Cleanup', 'completed'],
      ['Notification', 'failed'],
    ]);
    const notification = result.tasks[3];
    expect(notification?.error).toContain("Notifier 'thrower' failed: cannot reach chat, key ***");
    expect(notification?.error).toContain("Notifier 'stuck' timed out after 0.3s");
    expect(notification?.error).not.toContain('webhook');
    expect(notification?.error).not.toContain('healthchecks');
    expect(JSON.stringify(result)).not.toContain('sk-live-0123456789');

    const notificationEvents = events
      .filter((event) => event.name === 'notificationSent' || event.name === 'notificationFailed')
      .map((event) => [event.name, (event.payload as { notifier: string }).notifier]);
    expect(notificationEvents).toEqual(
      expect.arrayContaining([
        ['notificationFailed', 'thrower'],
        ['notificationFailed', 'stuck'],
        ['notificationSent', 'webhook'],
        ['notificationSent', 'healthchecks'],
      ]),
    );
    expect(notificationEvents).toHaveLength(4);

    // The real server saw the /start ping at job start, the webhook POST and the /fail ping.
    // The notification waits for job-start calls, so /start comes first; the other two go out together.
    const paths = server.requests.map((request) => `${request.method} ${request.path}`);
    expect(paths[0]).toBe(`POST /ping/${CHECK}/start?rid=${JOB_ID}`);
    expect(paths.sort()).toEqual([`POST /hook`, `POST /ping/${CHECK}/fail?rid=${JOB_ID}`, `POST /ping/${CHECK}/start?rid=${JOB_ID}`]);
    const hook = server.requests.find((request) => request.path === '/hook');
    expect(hook?.headers.authorization).toBe('Bearer tok-webhook-abcdef123456');
    const payload = JSON.parse(hook?.body ?? '') as WebhookPayload;
    expect(payload.message).toEqual(result.notification);
    expect(payload.message.title).toBe('❌ Backup Job Failed - Backup Error');
    expect(payload.job.status).toBe('failed');
    expect(payload.job.tasks.map((task) => [task.name, task.status, task.exitCode])).toEqual([
      ['Database Dump', 'completed', 0],
      ['Create archive', 'failed', 2],
      ['Cleanup', 'completed', 0],
      ['Notification', 'running', null],
    ]);
    const fail = server.requests.find((request) => request.path.includes('/fail'));
    expect(fail?.body).toContain("--- Task 1 'Create archive' (backup) failed ---\nError: Task 'Create archive' exited with code 2\nFailed to create/acquire the lock /srv/borg/lock.exclusive (timeout).\n");
  });

  test('a level filter: an error-only webhook is passed over for a successful job', async () => {
    const webhook = new WebhookNotifier({ url: `${server.url}/hook`, on: ['error'] });
    const pipeline = new JobPipeline({
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
      notifiers: [webhook],
      executor: new FakeExecutor(),
    });
    const result = await pipeline.run();
    expect(result.status).toBe('completed');
    expect(result.tasks[1]?.status).toBe('completed');
    expect(server.requests).toHaveLength(0);
  });

  test('an HTTP notifier past its timeout: the engine records the timeout and the request is really aborted', async () => {
    server.reply('hang');
    const webhook = new WebhookNotifier({ url: `${server.url}/hook`, timeout: '300ms' });
    const pipeline = new JobPipeline({
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
      notifiers: [webhook],
      executor: new FakeExecutor(),
    });
    const started = performance.now();
    const result = await pipeline.run();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.status).toBe('completed_with_warnings');
    expect(result.tasks[1]?.error).toBe("Notifier 'webhook' timed out after 0.3s");
    expect(server.requests).toHaveLength(1);
    // The client hung up: nothing is left waiting on the server.
    for (let waited = 0; server.openResponses() > 0 && waited < 500; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.openResponses()).toBe(0);
  });

  test('a short job whose /start fails then is retried slowly: start before the end, and the job-start line printed', async () => {
    server.reply({ status: 500 }, { status: 500, delayMs: 300 }, { status: 500 });
    const healthchecks = new HealthchecksNotifier({ url: `${server.url}/ping/${CHECK}` });
    const pipeline = new JobPipeline({
      jobId: JOB_ID,
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
      notifiers: [healthchecks],
      executor: new FakeExecutor(),
    });
    const out = { text: '', write(chunk: string) { this.text += chunk; return true; } };
    const view = new PlainView(out, { write: () => true }, { now: () => new Date(2026, 0, 1, 2, 0, 3) });
    view.attach(pipeline);
    const result = await pipeline.run();
    view.close();
    expect(result.status).toBe('completed');
    expect(server.requests.map((request) => request.path)).toEqual([
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}/start?rid=${JOB_ID}`,
      `/ping/${CHECK}?rid=${JOB_ID}`,
    ]);
    // docs/cli.md: a job-start ping that fails gets a line of its own, before that notifier's message.
    expect(out.text.split('\n')).toEqual([
      '02:00:03 [Create archive] started',
      '02:00:03 [Create archive] completed',
      '02:00:03 [Notification] started',
      '02:00:03 [healthchecks] job-start notification failed: HTTP 500 Internal Server Error, after 3 attempts',
      '02:00:03 [Notification] healthchecks: sent',
      '02:00:03 [Notification] completed',
      '',
    ]);
  });

  test('a hung /start holds back no other notifier, and Healthchecks as a whole stays within its timeout', async () => {
    const hung = await startServer({ status: 200, body: 'OK', delayMs: 60_000 });
    try {
      const healthchecks = new HealthchecksNotifier({ url: `${hung.url}/ping/${CHECK}`, timeout: '2s', retries: 0 });
      const webhook = new WebhookNotifier({ url: `${server.url}/hook` });
      const pipeline = new JobPipeline({
        jobId: JOB_ID,
        tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
        notifiers: [healthchecks, webhook],
        executor: new FakeExecutor(),
      });
      const sentAt = new Map<string, number>();
      const started = performance.now();
      pipeline.on('notificationSent', ({ notifier }) => sentAt.set(notifier, performance.now() - started));
      pipeline.on('notificationFailed', ({ notifier, stage }) => sentAt.set(`${notifier} ${stage}`, performance.now() - started));
      const result = await pipeline.run();
      const took = performance.now() - started;
      // The webhook goes out at once, not after the 2 s the /start ping is given.
      expect(sentAt.get('webhook')).toBeLessThan(1_000);
      expect([...sentAt.keys()].sort()).toEqual(['healthchecks end', 'healthchecks start', 'webhook']);
      // /start timed out after 2 s; the end ping had what was left of its own 2 s: the run is not 4 s.
      expect(took).toBeLessThan(3_500);
      expect(result.tasks.at(-1)?.error).toBe("Notifier 'healthchecks' timed out after 2s");
      // The end ping went out, if at all, only after /start (in the milliseconds its timeout had left).
      expect(hung.requests.map((request) => request.path).slice(0, 1)).toEqual([`/ping/${CHECK}/start?rid=${JOB_ID}`]);
      expect(hung.requests.length).toBeLessThanOrEqual(2);
    } finally {
      await hung.close();
    }
  });

  test('data.notifiers[].attempts counts every HTTP attempt: after retries that succeeded, and when the timeout cut them short', async () => {
    server.reply({ status: 503 }, { status: 503 }, { status: 200, body: 'OK' });
    const hung = await startServer({ status: 200, body: 'OK', delayMs: 60_000 });
    try {
      const pipeline = new JobPipeline({
        jobId: JOB_ID,
        tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'borg create ::nas' })],
        notifiers: [
          new WebhookNotifier({ name: 'flaky', url: `${server.url}/hook` }),
          // Attempts of 1 s each (its minimum) within 2.5 s: the second is cut short by the timeout.
          new WebhookNotifier({ name: 'hung', url: `${hung.url}/hook`, timeout: '2.5s' }),
        ],
        executor: new FakeExecutor(),
      });
      const result = await pipeline.run();
      expect(result.tasks.at(-1)?.data).toEqual({
        notifiers: [
          { name: 'flaky', status: 'sent', attempts: 3, error: null },
          { name: 'hung', status: 'failed', attempts: hung.requests.length, error: 'timed out after 2.5s' },
        ],
      });
      expect([server.requests.length, hung.requests.length]).toEqual([3, 2]);
    } finally {
      await hung.close();
    }
  });
});
