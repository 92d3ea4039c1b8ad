import { EventEmitter } from 'eventemitter3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyEvent, EMPTY_LIVE_STATE, fit, formatElapsed, LiveView, renderFrame, SPINNER, type LiveState } from '../../src/cli/live.js';
import type { EventSource } from '../../src/cli/view.js';
import type { JobEvents } from '../../src/events.js';
import { buildNotification, formatFlow, type JobResult, type TaskResult } from '../../src/index.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function task(index: number, fields: Partial<TaskResult>): TaskResult {
  return {
    index,
    type: 'hook',
    name: `Task ${index}`,
    phase: 'pre',
    status: 'pending',
    critical: false,
    runOnJobFailure: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    warning: false,
    error: null,
    failure: null,
    skipReason: null,
    output: '',
    outputTruncated: false,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    data: null,
    attempts: 0,
    ...fields,
  };
}

const TASKS = [
  task(0, { name: 'Database Dump', phase: 'pre' }),
  task(1, { name: 'borg create', type: 'backup', phase: 'main', critical: true }),
  task(2, { name: 'borg check', type: 'check', phase: 'main' }),
  task(3, { name: 'Cleanup', phase: 'post', runOnJobFailure: true }),
];

function started(base: TaskResult, atMs: number): TaskResult {
  return { ...base, status: 'running', startedAt: new Date(atMs).toISOString() };
}

function completed(base: TaskResult): TaskResult {
  return { ...base, status: 'completed', finishedAt: new Date(T0).toISOString(), durationMs: 1 };
}

/** An event source the test drives, with the pipeline's `on`/`off`. */
class FakePipeline implements EventSource {
  readonly #emitter = new EventEmitter();
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
  emit<E extends keyof JobEvents>(event: E, ...args: JobEvents[E]): void {
    this.#emitter.emit(event, ...args);
  }
  listenerCount(): number {
    return this.#emitter.eventNames().reduce((sum, name) => sum + this.#emitter.listenerCount(name), 0);
  }
}

/** A terminal that keeps what is written. */
class FakeTerminal {
  readonly columns = 100;
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('renderFrame', () => {
  it('draws the flow with a spinner, elapsed time, percent and the last output line on the running task', () => {
    let state: LiveState = applyEvent(EMPTY_LIVE_STATE, { name: 'jobStart', payload: { jobId: 'j', tasks: TASKS } }, T0);
    state = applyEvent(state, { name: 'taskEnd', payload: { jobId: 'j', task: completed(TASKS[0] as TaskResult) } }, T0);
    state = applyEvent(state, { name: 'taskStart', payload: { jobId: 'j', task: started(TASKS[2] as TaskResult, T0) } }, T0);
    state = applyEvent(state, { name: 'taskProgress', payload: { jobId: 'j', taskIndex: 2, kind: 'progress_percent', percent: 42, message: 'Checking segments 42.0%' } }, T0);
    state = applyEvent(state, { name: 'taskOutput', payload: { jobId: 'j', taskIndex: 2, stream: 'stderr', line: 'checking \u001B[1msegment\u001B[0m\t7' } }, T0);

    expect(renderFrame(state, T0 + 65_300, 100)).toEqual([
      '1. Pre-Hook 1 (Database Dump)         → ✅ Success',
      '2. Backup Task                        → ⏸️  Pending',
      `3. Check Task                         → ${SPINNER[3]} Running 1m 05s · 42%`,
      '\u001B[2m     checking segment 7\u001B[0m',
      '4. Post-Hook 1 (Cleanup)              → ⏸️  Pending',
    ]);
  });

  it("shows borg create's bytes read and its throughput, measured from originalSize deltas", () => {
    let state: LiveState = applyEvent(EMPTY_LIVE_STATE, { name: 'jobStart', payload: { jobId: 'j', tasks: TASKS } }, T0);
    state = applyEvent(state, { name: 'taskStart', payload: { jobId: 'j', task: started(TASKS[1] as TaskResult, T0) } }, T0);
    const progress = (atMs: number, originalSize: number): void => {
      state = applyEvent(state, { name: 'taskProgress', payload: { jobId: 'j', taskIndex: 1, kind: 'archive_progress', originalSize, finished: false } }, atMs);
    };
    progress(T0 + 1000, 10 * 1024 * 1024);
    expect(renderFrame(state, T0 + 1000, 100)[1]).toBe(`2. Backup Task                        → ${SPINNER[0]} Running 1s · 10.0 MiB read`);
    progress(T0 + 3000, 50 * 1024 * 1024); // 40 MiB in 2 s
    expect(renderFrame(state, T0 + 3000, 100)[1]).toBe(`2. Backup Task                        → ${SPINNER[0]} Running 3s · 50.0 MiB read · 20.0 MiB/s`);
  });

  it('cuts lines to the terminal width so none wraps', () => {
    expect(fit('x'.repeat(30), 20)).toBe(`${'x'.repeat(19)}…`);
    expect(fit('short', 20)).toBe('short');
    // Emoji count two columns.
    expect(fit('✅✅✅✅✅✅', 11)).toBe('✅✅✅✅✅…');
  });

  it('formats elapsed time', () => {
    expect([formatElapsed(0), formatElapsed(59_999), formatElapsed(65_000), formatElapsed(3_723_000)]).toEqual(['0s', '59s', '1m 05s', '1h 02m']);
  });
});

describe('LiveView', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('updates in place at most every 100 ms, then prints the final flow and the message, and gives the cursor back', () => {
    let now = T0;
    const terminal = new FakeTerminal();
    const errors = new FakeTerminal();
    const pipeline = new FakePipeline();
    const view = new LiveView(terminal, errors, () => now);
    view.attach(pipeline);
    expect(terminal.text).toBe('\u001B[?25l');

    pipeline.emit('jobStart', { jobId: 'j', tasks: TASKS });
    const firstFrame = terminal.text;
    expect(firstFrame).toBe(
      '\u001B[?25l' +
        [
          '1. Pre-Hook 1 (Database Dump)         → ⏸️  Pending',
          '2. Backup Task                        → ⏸️  Pending',
          '3. Check Task                         → ⏸️  Pending',
          '4. Post-Hook 1 (Cleanup)              → ⏸️  Pending',
        ].join('\n') +
        '\n',
    );

    pipeline.emit('taskStart', { jobId: 'j', task: started(TASKS[0] as TaskResult, now) });
    // Drawn at once, over the previous four lines.
    expect(terminal.text.slice(firstFrame.length)).toBe(
      '\r\u001B[4A\u001B[J' +
        [
          `1. Pre-Hook 1 (Database Dump)         → ${SPINNER[0]} Running 0s`,
          '2. Backup Task                        → ⏸️  Pending',
          '3. Check Task                         → ⏸️  Pending',
          '4. Post-Hook 1 (Cleanup)              → ⏸️  Pending',
        ].join('\n') +
        '\n',
    );

    // Progress and output between ticks wait for the next tick: one redraw, not one per event.
    const beforeBurst = terminal.text.length;
    for (let percent = 1; percent <= 50; percent += 1) {
      pipeline.emit('taskProgress', { jobId: 'j', taskIndex: 0, percent });
    }
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'dump written' });
    expect(terminal.text.length).toBe(beforeBurst);
    now += 100;
    vi.advanceTimersByTime(100);
    expect(terminal.text.slice(beforeBurst)).toBe(
      '\r\u001B[4A\u001B[J' +
        [
          `1. Pre-Hook 1 (Database Dump)         → ${SPINNER[1]} Running 0s · 50%`,
          '\u001B[2m     dump written\u001B[0m',
          '2. Backup Task                        → ⏸️  Pending',
          '3. Check Task                         → ⏸️  Pending',
          '4. Post-Hook 1 (Cleanup)              → ⏸️  Pending',
        ].join('\n') +
        '\n',
    );

    // While a task runs, the spinner turns on every tick.
    const beforeTick = terminal.text.length;
    now += 100;
    vi.advanceTimersByTime(100);
    expect(terminal.text.slice(beforeTick)).toContain(`${SPINNER[2]} Running 0s · 50%`);
    expect(terminal.text.slice(beforeTick).startsWith('\r\u001B[5A\u001B[J')).toBe(true);

    // A notice (a signal) is printed above the frame, which is drawn again under it.
    const beforeNotice = terminal.text.length;
    view.notice('jobhooks: received SIGINT: cancelling the job');
    expect(errors.text).toBe('jobhooks: received SIGINT: cancelling the job\n');
    expect(terminal.text.slice(beforeNotice).startsWith('\r\u001B[5A\u001B[J1. Pre-Hook 1')).toBe(true);

    const finalTasks = TASKS.map((each) => completed(each));
    const result: JobResult = {
      jobId: 'j',
      jobType: 'manual',
      jobLabel: 'Backup',
      repository: { name: 'NAS' },
      status: 'completed',
      startedAt: new Date(T0).toISOString(),
      finishedAt: new Date(T0).toISOString(),
      durationMs: 1,
      tasks: finalTasks,
      failure: null,
      notification: null,
    };
    for (const each of finalTasks) pipeline.emit('taskEnd', { jobId: 'j', task: each });
    const beforeFinish = terminal.text.length;
    view.finish(result, { notificationPrinted: false, notificationFailures: [] });
    const message = buildNotification(result);
    expect(terminal.text.slice(beforeFinish)).toBe(
      `\r\u001B[5A\u001B[J${formatFlow(result, { durations: true })}\n\n${message.title}\n\n${message.body}\n\u001B[?25h`,
    );

    // Finished: no more listeners, no more timer.
    expect(pipeline.listenerCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    view.close();
    expect(terminal.text.endsWith('\u001B[?25h')).toBe(true);
    expect(terminal.text.match(/\u001B\[\?25h/g)).toHaveLength(1);
  });
  it('prints why an attempt failed and when the next starts above the frame, which is drawn again under it', () => {
    const terminal = new FakeTerminal();
    const pipeline = new FakePipeline();
    const view = new LiveView(terminal, new FakeTerminal(), () => T0);
    view.attach(pipeline);
    pipeline.emit('jobStart', { jobId: 'j', tasks: TASKS });
    pipeline.emit('taskStart', { jobId: 'j', task: started(TASKS[0] as TaskResult, T0) });
    const before = terminal.text.length;
    pipeline.emit('taskRetry', { jobId: 'j', taskIndex: 0, attempt: 2, delayMs: 2_734, error: "Hook 'Database Dump' timed out after 1s" });
    expect(terminal.text.slice(before)).toMatch(
      /^\r\u001B\[4A\u001B\[J\[Database Dump\] attempt 1 failed: Hook 'Database Dump' timed out after 1s; attempt 2 in 2\.7s\n1\. Pre-Hook 1 \(Database Dump\)/,
    );
    view.close();
  });
});
