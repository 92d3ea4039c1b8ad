import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ConsoleNotifier } from '../../../src/notify/notifiers/console.js';
import { JOB_ID, LONG_OUTPUT, failedBackup, scenario } from '../helpers/fixtures.js';

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('ConsoleNotifier', () => {
  test.each([
    ['success', `✅ Backup Job Completed Successfully\n\nBackup job for 'nas' completed successfully.\n\nTasks Completed: 7, Total: 7\nJob ID: ${JOB_ID}\n`],
    ['warning', `⚠️ Backup Job Completed with Warnings\n\nBackup job for 'nas' completed but some tasks failed.\n\nFailed Tasks: hook\nTasks Completed: 6, Skipped: 0, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Log Rotation (pre-hook): Hook 'Log Rotation' exited with code 1\n    logrotate: error: skipping "/var/log/app.log"\n`],
    ['backupFailure', `❌ Backup Job Failed - Backup Error\n\nBackup job for 'nas' failed during backup process.\n\nTasks Completed: 5, Skipped: 1, Total: 7\nJob ID: ${JOB_ID}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n    Creating archive at "/srv/borg::nas-2025-03-01"\n    Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).\n`],
  ] as const)('%s: writes the title, a blank line, the body, and the details after a blank line', async (outcome, expected) => {
    const { message, context } = scenario(outcome);
    const { stream, text } = collector();
    await new ConsoleNotifier({ stream }).notify(message, context());
    expect(text()).toBe(expected);
  });

  test('any object with write(text, callback) will do, not only a Node stream (TextWritable)', async () => {
    const { message, context } = scenario('success');
    const written: string[] = [];
    const sink = {
      write(text: string, callback: (error?: Error | null) => void) {
        written.push(text);
        callback();
      },
    };
    await new ConsoleNotifier({ stream: sink }).notify(message, context());
    expect(written).toEqual([expect.stringMatching(/^✅ Backup Job Completed Successfully\n\n/)]);
    const failing = { write: (_text: string, callback: (error?: Error | null) => void) => callback(new Error('disk full')) };
    await expect(new ConsoleNotifier({ stream: failing }).notify(message, context())).rejects.toThrow('could not write to the stream: disk full');
  });

  test('a stream error rejects with the reason', async () => {
    const { message, context } = scenario('success');
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE: broken pipe'));
      },
    });
    stream.on('error', () => undefined);
    await expect(new ConsoleNotifier({ stream }).notify(message, context())).rejects.toThrow(
      'could not write to the stream: EPIPE: broken pipe',
    );
  });

  test('a stream that never takes the text: the timeout signal ends the wait', async () => {
    const { message, context } = scenario('success');
    const stream = new Writable({ write() {} });
    await expect(new ConsoleNotifier({ stream }).notify(message, context(AbortSignal.timeout(100)))).rejects.toThrow(
      'timed out waiting for the stream to take the message',
    );
  });

  test('defaults and options', () => {
    const notifier = new ConsoleNotifier();
    expect([notifier.name, notifier.timeout, notifier.on]).toEqual(['console', 30, ['success', 'warning', 'error']]);
    const custom = new ConsoleNotifier({ name: 'stderr', on: ['error', 'warning'], timeout: '2s' });
    expect([custom.name, custom.timeout, custom.on]).toEqual(['stderr', '2s', ['error', 'warning']]);
    expect(() => new ConsoleNotifier({ stream: 'stdout' as never, on: [] })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid ConsoleNotifier options (2 problems):
        - stream: expected a writable stream (an object with a write() method)
        - on: list at least one level; leave the notifier out to turn it off]
    `);
  });

  test('details: false writes the title and body alone', async () => {
    const { message, context } = scenario('backupFailure');
    const { stream, text } = collector();
    await new ConsoleNotifier({ stream, details: false }).notify(message, context());
    expect(text()).toBe(`${message.title}\n\n${message.body}\n`);
  });

  test('no limit: every output line is written, indented', async () => {
    const { message, context } = failedBackup();
    const { stream, text } = collector();
    await new ConsoleNotifier({ stream }).notify(message, context());
    expect(text()).toBe(
      `${message.title}\n\n${message.body}\n\n❌ Create archive (backup): Task 'Create archive' exited with code 2\n` +
        `${LONG_OUTPUT.split('\n').map((line) => `    ${line}`).join('\n')}\n`,
    );
  });
});
