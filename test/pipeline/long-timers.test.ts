import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobPipeline, WebhookNotifier, type Task } from '../../src/index.js';
import { deliver } from '../../src/notify/http.js';
import { FakeExecutor, RecordingNotifier } from '../../src/testing.js';
import { startServer } from '../notify/helpers/server.js';
import { failOnProcessWarnings } from '../support/processes.js';

// Node fires a setTimeout longer than 2^31-1 ms (24.8 days) after 1 ms, with a TimeoutOverflowWarning.
// Every duration the schema accepts must hold, however long (docs/execution-flow.md).
failOnProcessWarnings();

const HOUR_MS = 3_600_000;
const THIRTY_DAYS_MS = 720 * HOUR_MS;

describe('durations past 24.8 days, real processes', () => {
  it("a hook with timeout '1000h' that exits 0 after 100 ms completes", async () => {
    const result = await new JobPipeline({ preHooks: [{ name: 'slow', command: 'sleep 0.1', timeout: '1000h' }] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', exitCode: 0, timedOut: false, error: null });
    expect(result.status).toBe('completed');
  });

  it('a hook with timeout 2200000 (seconds) and a 1000h kill grace completes', async () => {
    const result = await new JobPipeline({
      preHooks: [{ name: 'slow', command: 'sleep 0.1', timeout: 2_200_000 }],
      defaults: { killGrace: '1000h' },
    }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', exitCode: 0, timedOut: false, error: null });
  });

  it("a custom task with timeout '1000h' that settles after 100 ms completes", async () => {
    const task: Task = {
      type: 'custom',
      name: 'slow task',
      timeout: '1000h',
      run: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { status: 'completed' };
      },
    };
    const result = await new JobPipeline({ tasks: [task] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', timedOut: false, error: null });
  });

  it("a notifier with timeout '1000h' delivers", async () => {
    const notifier = new RecordingNotifier({ timeout: '1000h', delayMs: 100 });
    const result = await new JobPipeline({ preHooks: [{ name: 'ok', command: 'true' }], notifiers: [notifier] }).run();
    expect(result.tasks[1]).toMatchObject({ name: 'Notification', status: 'completed', error: null, output: 'recording: sent' });
    expect(notifier.messages).toHaveLength(1);
  });

  it("an HTTP notifier with timeout '3000h' (an hour per attempt past the limit) delivers on its first attempt", async () => {
    // 3000 h over 1 + 2 retries is 1000 h per attempt: an attempt timer past 24.8 days.
    const server = await startServer({ status: 200, body: 'OK', delayMs: 100 });
    try {
      const notifier = new WebhookNotifier({ url: `${server.url}/hook`, timeout: '3000h' });
      const result = await new JobPipeline({ preHooks: [{ name: 'ok', command: 'true' }], notifiers: [notifier] }).run();
      expect(result.tasks[1]).toMatchObject({ name: 'Notification', status: 'completed', error: null, output: 'webhook: sent' });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a Retry-After of 30 days within a 3000h timeout is waited for, not retried at once', async () => {
    const server = await startServer({ status: 200, body: 'OK' });
    server.reply({ status: 429, headers: { 'Retry-After': String(THIRTY_DAYS_MS / 1000) } });
    const controller = new AbortController();
    try {
      const delivery = deliver({ url: new URL(server.url), headers: {}, body: '{}' }, { signal: controller.signal, timeoutMs: 3000 * HOUR_MS, retries: 2, secrets: [] });
      const settled = delivery.then(
        () => 'delivered',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      await vi.waitFor(() => expect(server.requests).toHaveLength(1));
      // An overflowing timer would fire after 1 ms and send the second request at once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.requests).toHaveLength(1);
      controller.abort();
      expect(await settled).toBe(`timed out (127.0.0.1:${server.port}); last failure: HTTP 429 Too Many Requests`);
    } finally {
      await server.close();
    }
  });
});

describe('a 30-day timer fires at 30 days and not before (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Advances the fake clock to 1 ms before `ms`, checks `pending`, then to `ms`. */
  async function expectFiresAt<T>(ms: number, run: Promise<T>, pending: () => void): Promise<T> {
    let settled = false;
    void run.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(ms - 1);
    expect(settled).toBe(false);
    pending();
    await vi.advanceTimersByTimeAsync(1);
    // The executor's own timeout fired; the result needs a few more (zero-delay) turns.
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    return run;
  }

  it('a custom task that ignores nothing but never ends times out at exactly 720h', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let aborted = false;
    const task: Task = {
      type: 'custom',
      name: 'forever',
      timeout: '720h',
      run: ({ signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ status: 'failed' });
          });
        }),
    };
    const result = await expectFiresAt(THIRTY_DAYS_MS, new JobPipeline({ tasks: [task] }).run(), () => expect(aborted).toBe(false));
    expect(aborted).toBe(true);
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, error: "Task 'forever' timed out after 2592000s" });
  });

  it("a FakeExecutor hook that hangs times out at its '720h' timeout", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const executor = new FakeExecutor({ stuck: { hang: true } });
    const result = await expectFiresAt(THIRTY_DAYS_MS, new JobPipeline({ preHooks: [{ name: 'stuck', command: 'x', timeout: '720h' }], executor }).run(), () => {});
    expect(result.tasks[0]).toMatchObject({ status: 'failed', timedOut: true, error: "Hook 'stuck' timed out after 2592000s" });
  });

  it("a notifier that hangs times out at its '720h' timeout", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const notifier = new RecordingNotifier({ timeout: '720h', hang: true });
    const executor = new FakeExecutor();
    const result = await expectFiresAt(THIRTY_DAYS_MS, new JobPipeline({ preHooks: [{ name: 'ok', command: 'x' }], notifiers: [notifier], executor }).run(), () => {
      expect(notifier.contexts[0]?.signal.aborted).toBe(false);
    });
    expect(notifier.contexts[0]?.signal.aborted).toBe(true);
    expect(result.tasks[1]).toMatchObject({ status: 'failed', error: "Notifier 'recording' timed out after 2592000s" });
  });
});
