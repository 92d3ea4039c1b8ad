import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { JsonView, PlainView, QuietView, taskEndLine } from '../../src/cli/plain.js';
import type { EventSource } from '../../src/cli/view.js';
import type { JobEvents } from '../../src/events.js';
import type { TaskResult } from '../../src/index.js';

function task(fields: Partial<TaskResult>): TaskResult {
  return {
    index: 0, type: 'hook', name: 'Database Dump', phase: 'pre', status: 'pending', critical: true, runOnJobFailure: false,
    exitCode: null, signal: null, timedOut: false, cancelled: false, warning: false, error: null, skipReason: null,
    output: '', outputTruncated: false, startedAt: null, finishedAt: null, durationMs: null, data: null, ...fields,
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

describe('plain lines', () => {
  it('one line per status change, per output line, and for a failed job-start ping', () => {
    const out = sink();
    const err = sink();
    const pipeline = new FakePipeline();
    const view = new PlainView(out, err);
    view.attach(pipeline);
    const notification = task({ index: 1, type: 'notification', name: 'Notification', phase: 'notification', critical: false });
    pipeline.emit('jobStart', { jobId: 'j', tasks: [task({}), notification] });
    pipeline.emit('notificationFailed', { jobId: 'j', notifier: 'healthchecks', error: 'connection refused (hc-ping.com:443)' });
    pipeline.emit('taskStart', { jobId: 'j', task: task({ status: 'running' }) });
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stderr', line: 'pg_dump: error: connection refused' });
    pipeline.emit('taskEnd', { jobId: 'j', task: task({ status: 'failed', exitCode: 1, error: "Hook 'Database Dump' exited with code 1" }) });
    pipeline.emit('taskStart', { jobId: 'j', task: { ...notification, status: 'running' } });
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 1, stream: 'stderr', line: 'webhook: HTTP 500 Internal Server Error' });
    // Reported by the notification task's own output line just above: not twice.
    pipeline.emit('notificationFailed', { jobId: 'j', notifier: 'webhook', error: 'HTTP 500 Internal Server Error' });
    pipeline.emit('taskEnd', { jobId: 'j', task: { ...notification, status: 'failed', error: 'Notification failed: webhook' } });
    view.close();
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'after close' });
    expect(out.text).toBe(
      [
        '[healthchecks] job-start notification failed: connection refused (hc-ping.com:443)',
        '[Database Dump] started',
        '[Database Dump] pg_dump: error: connection refused',
        "[Database Dump] failed: Hook 'Database Dump' exited with code 1",
        '[Notification] started',
        '[Notification] webhook: HTTP 500 Internal Server Error',
        '[Notification] failed: Notification failed: webhook',
        '',
      ].join('\n'),
    );
    expect(err.text).toBe('');
  });

  it('says how each task ended', () => {
    expect(taskEndLine(task({ status: 'completed' }))).toBe('[Database Dump] completed');
    expect(taskEndLine(task({ status: 'completed', warning: true }))).toBe('[Database Dump] completed with warnings');
    expect(taskEndLine(task({ status: 'skipped', skipReason: 'Task skipped due to job cancellation' }))).toBe('[Database Dump] skipped: Task skipped due to job cancellation');
    expect(taskEndLine(task({ status: 'failed', error: "Hook 'Database Dump' timed out after 300s" }))).toBe("[Database Dump] failed: Hook 'Database Dump' timed out after 300s");
  });

  it('--quiet and --json keep standard output for the result; console notifier text goes to stderr with --json', () => {
    const pipeline = new FakePipeline();
    const quietOut = sink();
    const quietErr = sink();
    const quiet = new QuietView(quietOut, quietErr);
    quiet.attach(pipeline);
    pipeline.emit('taskStart', { jobId: 'j', task: task({ status: 'running' }) });
    pipeline.emit('taskOutput', { jobId: 'j', taskIndex: 0, stream: 'stdout', line: 'noise' });
    pipeline.emit('taskEnd', { jobId: 'j', task: task({ status: 'completed' }) });
    pipeline.emit('taskEnd', { jobId: 'j', task: task({ status: 'failed', error: 'boom' }) });
    expect(quietOut.text).toBe('');
    expect(quietErr.text).toBe('[Database Dump] failed: boom\n');

    const jsonOut = sink();
    const jsonErr = sink();
    const json = new JsonView(jsonOut, jsonErr);
    json.attach();
    json.consoleText('✅ Backup Job Completed Successfully\n\nbody\n');
    json.notice('jobhooks: received SIGINT');
    expect(jsonOut.text).toBe('');
    expect(jsonErr.text).toBe('✅ Backup Job Completed Successfully\n\nbody\n' + 'jobhooks: received SIGINT\n');
  });
});
