import { describe, expect, it } from 'vitest';
import { buildNotification, commandTask, JobPipeline, type Task } from '../../src/index.js';
import { formatDetails, lastLines } from '../../src/notify/message.js';
import { FakeExecutor, RecordingNotifier } from '../../src/testing.js';

const warnedTask: Task = {
  type: 'backup',
  name: 'Create archive',
  critical: true,
  async run(ctx) {
    ctx.output('file changed while we backed it up: /srv/db');
    return { status: 'completed', exitCode: 1, warning: true };
  },
};

describe('NotificationMessage.details: which task, what error, its last lines', () => {
  it('lists every failed or warned task in job order, with its last 10 output lines, redacted', async () => {
    const notifier = new RecordingNotifier();
    const lines = Array.from({ length: 15 }, (_, i) => `line ${i + 1} token=hunter2`);
    const executor = new FakeExecutor({
      'Database Dump': { exitCode: 1, output: lines },
      'Rotate logs': { exitCode: 3, output: [] },
    });
    const result = await new JobPipeline({
      repository: { name: 'nas' },
      secrets: ['hunter2'],
      executor,
      notifiers: [notifier],
      preHooks: [
        { name: 'Database Dump', command: 'pg_dump' },
        { name: 'Stop Services', command: 'true' },
      ],
      tasks: [warnedTask],
      postHooks: [{ name: 'Rotate logs', command: 'logrotate' }],
    }).run();

    expect(result.status).toBe('completed_with_warnings');
    const message = result.notification;
    expect(message?.body).toBe(
      "Backup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook, hook\nTasks Completed: 3, Skipped: 0, Total: 5\nJob ID: " + result.jobId,
    );
    expect(message?.details).toEqual([
      {
        index: 0,
        name: 'Database Dump',
        type: 'hook',
        phase: 'pre',
        status: 'failed',
        warning: false,
        exitCode: 1,
        error: result.tasks[0]?.error,
        output: lines.slice(5).map((line) => line.replace('hunter2', '***')).join('\n'),
        attempts: 1,
      },
      {
        index: 2,
        name: 'Create archive',
        type: 'backup',
        phase: 'main',
        status: 'completed',
        warning: true,
        exitCode: 1,
        error: null,
        output: 'file changed while we backed it up: /srv/db',
        attempts: 1,
      },
      { index: 3, name: 'Rotate logs', type: 'hook', phase: 'post', status: 'failed', warning: false, exitCode: 3, error: result.tasks[3]?.error, output: '', attempts: 1 },
    ]);
    expect(result.tasks[0]?.error).toMatch(/exit/);
    expect(notifier.messages[0]?.details).toEqual(message?.details);
    expect(buildNotification(result)).toEqual(message);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('is empty when the job succeeded, and names the failed critical task when it failed', async () => {
    const ok = await new JobPipeline({ executor: new FakeExecutor({}), notifiers: [new RecordingNotifier()], preHooks: [{ name: 'a', command: 'true' }] }).run();
    expect(ok.notification?.details).toEqual([]);

    const failed = await new JobPipeline({
      executor: new FakeExecutor({ Archive: { exitCode: 2, output: ['Repository /nope does not exist.'] } }),
      notifiers: [new RecordingNotifier()],
      tasks: [commandTask({ type: 'backup', name: 'Archive', command: 'borg create' })],
    }).run();
    expect(failed.notification?.title).toBe('❌ Backup Job Failed - Backup Error');
    expect(failed.notification?.details.map((d) => [d.name, d.exitCode, d.output])).toEqual([['Archive', 2, 'Repository /nope does not exist.']]);
  });

  it('formats as plain text lines: mark, name, kind, reason, then the output indented', () => {
    expect(
      formatDetails([
        { index: 0, name: 'Database Dump', type: 'hook', phase: 'pre', status: 'failed', warning: false, exitCode: 1, error: "Hook 'Database Dump' exited with code 1", output: 'pg_dump: connection refused\nbye', attempts: 1 },
        { index: 2, name: 'Create archive', type: 'backup', phase: 'main', status: 'completed', warning: true, exitCode: 1, error: null, output: '', attempts: 1 },
        { index: 3, name: 'Rotate', type: 'hook', phase: 'post', status: 'failed', warning: false, exitCode: 3, error: null, output: '', attempts: 1 },
      ]),
    ).toEqual([
      "❌ Database Dump (pre-hook): Hook 'Database Dump' exited with code 1",
      '    pg_dump: connection refused',
      '    bye',
      '⚠️ Create archive (backup): completed with warnings (exit code 1)',
      '❌ Rotate (post-hook): exited with code 3',
    ]);
  });

  it('lastLines keeps the end of the text', () => {
    expect(lastLines('', 3)).toBe('');
    expect(lastLines('a\nb\nc\nd\n', 2)).toBe('c\nd');
    expect(lastLines('a\nb', 5)).toBe('a\nb');
  });
});
