import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { archiveLine, clockTime, JsonView, PlainView, QuietView, taskEndLine } from '../../src/cli/plain.js';
import { notificationFailureLine, summaryText, type EventSource } from '../../src/cli/view.js';
import type { JobEvents } from '../../src/events.js';
import { EventEmitter as NodeEmitter } from 'node:events';
import { formatFlow, type JobResult, type TaskResult } from '../../src/index.js';

function task(fields: Partial<TaskResult>): TaskResult {
  return {
    index: 0, type: 'hook', name: 'Database Dump', phase: 'pre', status: 'pending', critical: true, runOnJobFailure: false,
    exitCode: null, signal: null, timedOut: false, cancelled: false, warning: false, error: null, failure: null, skipReason: null,
    output: '', outputTruncated: false, startedAt: null, finishedAt: null, durationMs: null, data: null, attempts: 0, ...fields,
  };
}

class FakePipeline implements EventSource {
  readonly emitter = new EventEmitter();
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
  emit<E extends keyof JobEvents>(event: E, ...args: JobEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}

function sink(): { text: string; write(chunk: string): boolean } {
  return { text: '', write(chunk) { this.text += chunk; return true; } };
}

/** 02:00:03 local time, then one second later per call. */
function clock(): () => Date {
  let seconds = 3;
  return () => new Date(2026, 11, 1, 2, 0, seconds++);
}

const END = { notificationPrinted: false, notificationFailures: [] };

/** A borg create's `data`, as borg's `--json` document gives it. */
const CREATE_DATA = {
  archive: {
    name: 'nas-2026-12-01',
    id: 'ab12',
    start: '2026-12-01T02:00:04.000000',
    end: '2026-12-01T02:01:09.000000',
    duration: 65.2,
    stats: { original_size: 1288490189, compressed_size: 838860800, deduplicated_size: 12897484, nfiles: 1234 },
  },
  warnings: [],
  errorId: null,
};

function jobResult(fields: Partial<JobResult>): JobResult {
  return {
    jobId: 'job-1', jobType: 'manual', jobLabel: 'Backup', repository: { name: 'nas' }, status: 'completed',
    startedAt: '2026-12-01T01:00:00.000Z', finishedAt: '2026-12-01T01:00:05.000Z', durationMs: 5000,
    tasks: [], failure: null, notification: null, ...fields,
  };
}

/** A pre-hook that failed after 15 output lines, and a backup skipped because of it. */
function failedJob(): JobResult {
  const output = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n');
  return jobResult({
    status: 'failed',
    failure: { taskIndex: 0, taskName: 'Database Dump', type: 'hook', reason: 'critical_hook_failure', error: "Hook 'Database Dump' exited with code 1" },
    tasks: [
      task({ status: 'failed', exitCode: 1, error: "Hook 'Database Dump' exited with code 1", output, durationMs: 1234 }),
      task({ index: 1, type: 'backup', name: 'Backup', phase: 'main', status: 'skipped', skipReason: 'Task skipped due to critical hook failure' }),
    ],
  });
}

describe('plain lines', () => {
  it('one line per status change, per output line, and for a failed job-start ping, each with the local time', () => {
    const out = sink();
    const err = sink();
    const pipeline = new FakePipeline();
    const view = new PlainView(out, err, { now: clock() });
    view.attach(pipeline);
    const notification = task({ index: 1, type: 'notification', name: 'Notification', phase: 'notification', critical: false });
    pipeline.emit('jobStart', { jobId: 'j', tasks: [task({}), notification] });
    pipeline.emit('notificationFailed', { jobId: 'j', notifier: 'healthchecks', error: "Notifier 'healthchecks' failed: connection refused (hc-ping.com:443)", reason: 'connection refused (hc-ping.com:443)', stage: 'start' });
    pipeline.emit('taskStart', { jobId: 'j', task: task({ status: 'running' }) });
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stderr', line: 'pg_dump: error: connection refused' });
    pipeline.emit('taskEnd', { jobId: 'j', task: task({ status: 'failed', exitCode: 1, error: "Hook 'Database Dump' exited with code 1" }) });
    pipeline.emit('taskStart', { jobId: 'j', task: { ...notification, status: 'running' } });
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 1, stream: 'stderr', line: 'webhook: HTTP 500 Internal Server Error' });
    // Reported by the notification task's own output line just above: not twice.
    pipeline.emit('notificationFailed', { jobId: 'j', notifier: 'webhook', error: "Notifier 'webhook' failed: HTTP 500 Internal Server Error", reason: 'HTTP 500 Internal Server Error', stage: 'end' });
    pipeline.emit('taskEnd', { jobId: 'j', task: { ...notification, status: 'failed', error: 'Notification failed: webhook' } });
    view.close();
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'after close' });
    expect(out.text).toBe(
      [
        '02:00:03 [healthchecks] job-start notification failed: connection refused (hc-ping.com:443)',
        '02:00:04 [Database Dump] started',
        '02:00:05 [Database Dump] pg_dump: error: connection refused',
        "02:00:06 [Database Dump] failed: Hook 'Database Dump' exited with code 1",
        '02:00:07 [Notification] started',
        '02:00:08 [Notification] webhook: HTTP 500 Internal Server Error',
        '02:00:09 [Notification] failed: Notification failed: webhook',
        '',
      ].join('\n'),
    );
    expect(err.text).toBe('');
  });

  it('the time is the local time of day, two digits each', () => {
    expect(clockTime(new Date(2026, 0, 2, 2, 0, 3))).toBe('02:00:03');
    expect(clockTime(new Date(2026, 0, 2, 23, 59, 9))).toBe('23:59:09');
  });

  it('a borg create prints one line with the archive name, its sizes, its file count and how long it took', () => {
    const created = task({ index: 1, type: 'backup', name: 'borg create', phase: 'main', status: 'completed', data: CREATE_DATA });
    expect(archiveLine(created)).toBe('[borg create] archive nas-2026-12-01: 1.20 GiB original, 800 MiB compressed, 12.3 MiB deduplicated, 1234 files, 1m 05s');
    // A create that failed before borg wrote its document, and any other task: no line.
    expect(archiveLine({ ...created, status: 'failed', data: { warnings: [], errorId: 'Repository.DoesNotExist' } })).toBeUndefined();
    expect(archiveLine(task({ data: { archive: 'not an object' } }))).toBeUndefined();
    expect(archiveLine(task({}))).toBeUndefined();
    // borg takes any archive name: its control characters are shown escaped, on the one line.
    const hostile = { ...CREATE_DATA, archive: { ...CREATE_DATA.archive, name: 'two\nlines\u001b[2J' } };
    expect(archiveLine({ ...created, data: hostile })).toBe(
      '[borg create] archive two\\nlines\\u001b[2J: 1.20 GiB original, 800 MiB compressed, 12.3 MiB deduplicated, 1234 files, 1m 05s',
    );

    const out = sink();
    const pipeline = new FakePipeline();
    const view = new PlainView(out, sink(), { now: clock() });
    view.attach(pipeline);
    pipeline.emit('taskEnd', { jobId: 'j', task: created });
    expect(out.text).toBe(
      '02:00:03 [borg create] archive nas-2026-12-01: 1.20 GiB original, 800 MiB compressed, 12.3 MiB deduplicated, 1234 files, 1m 05s\n' +
        '02:00:04 [borg create] completed\n',
    );
  });

  it('says how each task ended', () => {
    expect(taskEndLine(task({ status: 'completed' }))).toBe('[Database Dump] completed');
    expect(taskEndLine(task({ status: 'completed', warning: true }))).toBe('[Database Dump] completed with warnings');
    expect(taskEndLine(task({ status: 'skipped', skipReason: 'Task skipped due to job cancellation' }))).toBe('[Database Dump] skipped: Task skipped due to job cancellation');
    expect(taskEndLine(task({ status: 'failed', error: "Hook 'Database Dump' timed out after 300s" }))).toBe("[Database Dump] failed: Hook 'Database Dump' timed out after 300s");
  });

  it('past the bound of queued output, lines are dropped and counted; once the reader drains, one line says how many', () => {
    // A stream whose reader is stalled: everything written stays queued until the test drains it.
    class StalledPipe extends NodeEmitter {
      writableLength = 0;
      text = '';
      write(chunk: string): boolean {
        this.text += chunk;
        this.writableLength += Buffer.byteLength(chunk);
        return false;
      }
      drain(): void {
        this.writableLength = 0;
        this.emit('drain');
      }
    }
    const out = new StalledPipe();
    const pipeline = new FakePipeline();
    const view = new PlainView(out, sink(), { now: () => new Date(2026, 0, 1, 2, 0, 3), queueBoundBytes: 100 });
    view.attach(pipeline);
    pipeline.emit('jobStart', { jobId: 'j', tasks: [task({})] });
    for (let i = 1; i <= 10; i += 1) pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: `line ${i} of the flood` });
    // 3 lines of 45 bytes fill the 100-byte bound; the other 7 are dropped.
    expect(out.text.split('\n').filter(Boolean)).toEqual([1, 2, 3].map((i) => `02:00:03 [Database Dump] line ${i} of the flood`));
    expect(out.listenerCount('drain')).toBe(1);

    out.drain();
    expect(out.text.endsWith('02:00:03 … 7 lines dropped: the reader of this output is too slow\n')).toBe(true);
    expect(out.listenerCount('drain')).toBe(0);
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'after the drain' });
    expect(out.text.endsWith('dropped: the reader of this output is too slow\n02:00:03 [Database Dump] after the drain\n')).toBe(true);

    // Dropped again, and the job ends before the reader drains: the count and the result still come out.
    for (let i = 1; i <= 5; i += 1) pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: `late ${i}` });
    view.finish(jobResult({ tasks: [task({ status: 'completed', durationMs: 10 })] }), END);
    expect(out.text).toContain('02:00:03 … 5 lines dropped: the reader of this output is too slow\n\n1. Pre-Hook 1 (Database Dump)');
    expect(out.text.endsWith('Job ID: job-1\n')).toBe(true);
    expect(out.listenerCount('drain')).toBe(0);
  });
});

describe('the summary at the end of a run', () => {
  it('the flow shows each task\'s duration; formatFlow alone stays the documented text', () => {
    const result = failedJob();
    expect(formatFlow(result, { durations: true })).toBe(
      ['1. Pre-Hook 1 (Database Dump)         → ❌ Failed (Critical, 1.2s)', '2. Backup Task                        → ⏭️  Skipped', '', 'Result: ❌ Job Failed - Critical Hook Error'].join('\n'),
    );
    expect(formatFlow(result)).toBe(
      ['1. Pre-Hook 1 (Database Dump)         → ❌ Failed (Critical)', '2. Backup Task                        → ⏭️  Skipped', '', 'Result: ❌ Job Failed - Critical Hook Error'].join('\n'),
    );
    const ok = jobResult({ tasks: [task({ status: 'completed', durationMs: 65_400 }), task({ index: 1, phase: 'post', name: 'Restart', status: 'completed', durationMs: 40 })] });
    expect(formatFlow(ok, { durations: true }).split('\n').slice(0, 2)).toEqual([
      '1. Pre-Hook 1 (Database Dump)         → ✅ Success (1m 05s)',
      '2. Post-Hook 1 (Restart)              → ✅ Success (0.0s)',
    ]);
  });

  it('the message carries its details; a notifier that failed is said after it, in one clause', () => {
    const result = failedJob();
    expect(
      summaryText(result, {
        notificationPrinted: false,
        notificationFailures: [
          { notifier: 'ntfy', error: 'connection refused' },
          { notifier: 'webhook', error: 'timed out after 30s' },
        ],
      }),
    ).toBe(
      [
        formatFlow(result, { durations: true }),
        '',
        '❌ Backup Job Failed - Critical Hook Error',
        '',
        "Backup job for 'nas' failed due to critical hook failure.",
        '',
        'Failed Hook: Database Dump',
        'Tasks Completed: 0, Skipped: 1, Total: 2',
        'Job ID: job-1',
        '',
        "❌ Database Dump (pre-hook): Hook 'Database Dump' exited with code 1",
        ...Array.from({ length: 10 }, (_, i) => `    line ${i + 6}`),
        '',
        '⚠️ Notification failed: ntfy: connection refused',
        '⚠️ Notification failed: webhook: timed out after 30s',
        '',
      ].join('\n'),
    );
    expect(notificationFailureLine({ notifier: 'hc', error: 'some other text' })).toBe('⚠️ Notification failed: hc: some other text');
  });
});

describe('--quiet', () => {
  it('prints nothing at all for a completed job, console notifier text included', () => {
    const out = sink();
    const err = sink();
    const quiet = new QuietView(out, err);
    quiet.attach(new FakePipeline());
    // A console notifier's text: dropped, the message is printed by the view only when something went wrong.
    quiet.consoleText();
    quiet.finish(jobResult({ tasks: [task({ status: 'completed', durationMs: 5 })] }), { notificationPrinted: true, notificationFailures: [] });
    expect(out.text).toBe('');
    expect(err.text).toBe('');
  });

  it('after a failure: the flow, the message with its details, and the failed task\'s fuller output', () => {
    const out = sink();
    const quiet = new QuietView(out, sink());
    const result = failedJob();
    // A console notifier printed nothing: the message is printed once, here.
    quiet.finish(result, { notificationPrinted: true, notificationFailures: [] });
    expect(out.text).toBe(
      summaryText(result, END) +
        ['', 'Output of Database Dump (last 15 lines):', ...Array.from({ length: 15 }, (_, i) => `    line ${i + 1}`), ''].join('\n'),
    );
  });

  it('the fuller output is left out when the details already show all of it, and is cut to the last 100 lines', () => {
    const short = failedJob();
    const fewLines = { ...short, tasks: short.tasks.map((each) => (each.index === 0 ? { ...each, output: 'only\nthree\nlines' } : each)) };
    const out = sink();
    new QuietView(out, sink()).finish(fewLines, END);
    expect(out.text).toBe(summaryText(fewLines, END));

    const many = { ...short, tasks: short.tasks.map((each) => (each.index === 0 ? { ...each, output: Array.from({ length: 250 }, (_, i) => `l${i + 1}`).join('\n') } : each)) };
    const manyOut = sink();
    new QuietView(manyOut, sink()).finish(many, END);
    const tail = manyOut.text.slice(manyOut.text.indexOf('Output of Database Dump'));
    expect(tail.split('\n')[0]).toBe('Output of Database Dump (last 100 lines):');
    expect(tail.split('\n')[1]).toBe('    l151');
    expect(tail.endsWith('    l250\n')).toBe(true);
  });
});

describe('--json', () => {
  it('keeps standard output for the result; console notifier text and notices go to standard error', () => {
    const jsonOut = sink();
    const jsonErr = sink();
    const json = new JsonView(jsonOut, jsonErr);
    json.attach(new FakePipeline());
    json.consoleText('✅ Backup Job Completed Successfully\n\nbody\n');
    json.notice('jobhooks: received SIGINT');
    expect(jsonOut.text).toBe('');
    expect(jsonErr.text).toBe('✅ Backup Job Completed Successfully\n\nbody\n' + 'jobhooks: received SIGINT\n');
  });
});
