import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgCheck, borgCreate, describeBorgExitCode } from '../../src/borg/index.js';
import { lines, makeSandbox, runTask, type BorgSandbox } from './helpers.js';

// A stand-in for borg (a real process) that prints exactly the lines a test gives and exits with
// a given code or signal: for what borg 1.2 cannot be made to do on demand (borg 1.4's exit codes,
// a crash with a traceback, being SIGKILLed).
let sandbox: BorgSandbox;
let counter = 0;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-output');
});

afterAll(async () => {
  await sandbox.cleanup();
});

async function fakeBorg(script: { stderr?: string[]; stdout?: string[]; exit: number | 'SIGKILL' }): Promise<string> {
  counter += 1;
  const dir = join(sandbox.dir, `fake-${counter}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'stderr'), (script.stderr ?? []).map((line) => `${line}\n`).join(''));
  await writeFile(join(dir, 'stdout'), (script.stdout ?? []).map((line) => `${line}\n`).join(''));
  const ending = script.exit === 'SIGKILL' ? 'kill -KILL $$' : `exit ${script.exit}`;
  const path = join(dir, 'borg');
  await writeFile(path, `#!/bin/bash\ncat '${dir}/stderr' >&2\ncat '${dir}/stdout'\n${ending}\n`);
  await chmod(path, 0o755);
  return path;
}

const log = (levelname: string, message: string, msgid?: string): string =>
  JSON.stringify({ type: 'log_message', time: 1.5, message, levelname, name: 'borg.archiver', ...(msgid === undefined ? {} : { msgid }) });

function create(borgBinary: string, extra: { warningsAreErrors?: boolean } = {}) {
  return borgCreate({ repository: '/repo', paths: ['/data'], archive: 'a', borgBinary, ...extra });
}

describe('borg 1.4 detailed exit codes', () => {
  it('107 (BackupFileNotFoundError) is a warning: completed with warning', async () => {
    const borg = await fakeBorg({ stderr: [log('WARNING', "/data/x: [Errno 2] No such file or directory: 'x'", 'BackupFileNotFoundError')], exit: 107 });
    const { result } = await runTask(create(borg), sandbox.env);
    expect(result).toMatchObject({ status: 'completed', warning: true, exitCode: 107 });
    expect(result.data).toEqual({ warnings: ["/data/x: [Errno 2] No such file or directory: 'x'"], errorId: null });
  });

  it('105 with warningsAreErrors fails with the warning as the error and the code’s name as errorId', async () => {
    const borg = await fakeBorg({ stderr: [log('WARNING', '/data/secret: [Errno 13] Permission denied', 'BackupPermissionError')], exit: 105 });
    const { result } = await runTask(create(borg, { warningsAreErrors: true }), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: 105, error: '/data/secret: [Errno 13] Permission denied' });
    expect((result.data as { errorId: string }).errorId).toBe('BackupPermissionError');
  });

  it('73 fails with borg’s message; a code without a message is named', async () => {
    const locked = await fakeBorg({ stderr: [log('ERROR', 'Failed to create/acquire the lock /repo/lock.exclusive (timeout).', 'LockTimeout')], exit: 73 });
    const first = await runTask(create(locked), sandbox.env);
    expect(first.result).toMatchObject({ status: 'failed', exitCode: 73, error: 'Failed to create/acquire the lock /repo/lock.exclusive (timeout).' });
    expect((first.result.data as { errorId: string }).errorId).toBe('LockTimeout');

    const silent = await fakeBorg({ exit: 4 });
    const second = await runTask(create(silent), sandbox.env);
    expect(second.result).toMatchObject({ status: 'failed', exitCode: 4, error: 'borg exited with code 4 (CommandError)' });
    expect((second.result.data as { errorId: string }).errorId).toBe('CommandError');
  });
});

describe('error messages', () => {
  it('an argument error (plain text, no JSON) is reported by its last line', async () => {
    const borg = await fakeBorg({ stderr: ['usage: borg create [-h] ...', 'borg create: error: unrecognized arguments: --nope'], exit: 2 });
    const { result, recorded } = await runTask(create(borg), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: 2, error: 'borg create: error: unrecognized arguments: --nope' });
    expect(lines(recorded)).toEqual(['usage: borg create [-h] ...', 'borg create: error: unrecognized arguments: --nope']);
  });

  it('a crash reports "Local Exception" with the exception’s own line, not the whole traceback', async () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3/dist-packages/borg/archiver.py", line 5089, in main',
      '    exit_code = archiver.run(args)',
      'ValueError: something broke',
      '',
      'Platform: Linux host 6.1.0 #1 SMP x86_64',
      'Borg: 1.2.4  Python: CPython 3.11.2',
    ].join('\n');
    const borg = await fakeBorg({ stderr: [log('ERROR', 'Local Exception', 'Exception'), log('ERROR', traceback)], exit: 2 });
    const { result, recorded } = await runTask(create(borg), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', error: 'Local Exception: ValueError: something broke' });
    expect((result.data as { errorId: string }).errorId).toBe('Exception');
    // The traceback stays in the output, one line per line.
    expect(lines(recorded)).toContain('ValueError: something broke');
    expect(lines(recorded)).toContain('    exit_code = archiver.run(args)');
  });

  it('killed by SIGKILL: no exit code, the signal, and an error that says so', async () => {
    const borg = await fakeBorg({ exit: 'SIGKILL' });
    const { result } = await runTask(create(borg), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: null, signal: 'SIGKILL', error: 'borg was killed by SIGKILL', timedOut: false, cancelled: false });
  });

  it('exit code 143 from a SIGTERM someone else sent is a failure naming the signal', async () => {
    const borg = await fakeBorg({ stderr: [log('ERROR', 'Received SIGTERM', 'Signal.SIGTERM')], exit: 143 });
    const { result } = await runTask(create(borg), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: 143, error: 'borg was terminated by SIGTERM (exit code 143)' });
    expect((result.data as { errorId: string }).errorId).toBe('Signal.SIGTERM');
  });

  it('check: exit 1 without an error line still fails, with a plain message', async () => {
    const borg = await fakeBorg({ exit: 1 });
    const { result } = await runTask(borgCheck({ repository: '/repo', borgBinary: borg }), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: 1, error: 'borg check found problems in the repository' });
  });
});

describe('output and progress', () => {
  it('turns each kind of JSON line into output or a typed progress event, and keeps unknown lines verbatim', async () => {
    const unknown = JSON.stringify({ type: 'something_new', value: 1 });
    const borg = await fakeBorg({
      stderr: [
        JSON.stringify({ original_size: 10, compressed_size: 8, deduplicated_size: 5, nfiles: 1, path: 'data/a', time: 1, type: 'archive_progress', finished: false }),
        JSON.stringify({ time: 2, type: 'archive_progress', finished: true }),
        JSON.stringify({ message: 'Checking segments 50.0%', current: 1, total: 2, info: null, operation: 1, msgid: 'repository.check', type: 'progress_percent', finished: false }),
        JSON.stringify({ current: 2, total: 4, info: null, operation: 1, msgid: 'repository.check', type: 'progress_percent', finished: false }),
        JSON.stringify({ operation: 1, msgid: 'repository.check', type: 'progress_percent', finished: true }),
        JSON.stringify({ message: 'Saving files cache', operation: 2, msgid: 'cache.commit', type: 'progress_message', finished: false }),
        JSON.stringify({ type: 'log_message', message: 'Initializing cache transaction: Reading config', levelname: 'INFO', name: 'borg.output.progress' }),
        JSON.stringify({ type: 'log_message', message: '', levelname: 'INFO', name: 'borg.output.progress' }),
        JSON.stringify({ type: 'file_status', status: 'A', path: '/data/a' }),
        log('INFO', 'first line\nsecond line\n'),
        unknown,
        'not json at all',
      ],
      stdout: ['{"archive": {"name": "a", "stats": {"original_size": 10}}}'],
      exit: 0,
    });
    const { result, recorded } = await runTask(create(borg), sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.progress).toEqual([
      { kind: 'archive_progress', originalSize: 10, compressedSize: 8, deduplicatedSize: 5, nfiles: 1, path: 'data/a', finished: false },
      { kind: 'archive_progress', finished: true },
      { kind: 'progress_percent', operation: 'repository.check', current: 1, total: 2, percent: 50, message: 'Checking segments 50.0%', finished: false },
      { kind: 'progress_percent', operation: 'repository.check', current: 2, total: 4, percent: 25, finished: false },
      { kind: 'progress_percent', operation: 'repository.check', finished: true },
      { kind: 'progress_message', operation: 'cache.commit', message: 'Saving files cache', finished: false },
      { kind: 'progress_message', operation: null, message: 'Initializing cache transaction: Reading config', finished: false },
      { kind: 'progress_message', operation: null, finished: true },
    ]);
    expect(recorded.output).toEqual([
      { line: 'A /data/a', stream: 'stderr' },
      { line: 'first line', stream: 'stderr' },
      { line: 'second line', stream: 'stderr' },
      { line: unknown, stream: 'stderr' },
      { line: 'not json at all', stream: 'stderr' },
    ]);
    expect(result.data).toEqual({ archive: { name: 'a', stats: { original_size: 10 } }, warnings: [], errorId: null });
  });

  it('create: stdout that is not a JSON document is kept as output, and data has no archive', async () => {
    const borg = await fakeBorg({ stdout: ['{"archive": {"name": "a"', 'truncated'], exit: 0 });
    const { result, recorded } = await runTask(create(borg), sandbox.env);
    expect(result.data).toEqual({ warnings: [], errorId: null });
    expect(recorded.output).toEqual([
      { line: '{"archive": {"name": "a"', stream: 'stdout' },
      { line: 'truncated', stream: 'stdout' },
    ]);
  });

  it('keeps at most 100 warnings in data, then says how many more', async () => {
    const warnings = Array.from({ length: 130 }, (_, index) => log('WARNING', `/data/f${index}: file changed while we backed it up`));
    const borg = await fakeBorg({ stderr: warnings, exit: 1 });
    const { result, recorded } = await runTask(create(borg), sandbox.env);
    const kept = (result.data as { warnings: string[] }).warnings;
    expect(kept).toHaveLength(101);
    expect(kept[99]).toBe('/data/f99: file changed while we backed it up');
    expect(kept[100]).toBe('… and 30 more warnings');
    expect(recorded.output).toHaveLength(130);
  });
});

describe('describeBorgExitCode', () => {
  it('sorts codes into success, warning, error and signal, with borg’s names', () => {
    expect(describeBorgExitCode(0)).toEqual({ code: 0, kind: 'success', name: null, signal: null });
    expect(describeBorgExitCode(1)).toEqual({ code: 1, kind: 'warning', name: null, signal: null });
    expect(describeBorgExitCode(2)).toEqual({ code: 2, kind: 'error', name: null, signal: null });
    expect(describeBorgExitCode(52)).toEqual({ code: 52, kind: 'error', name: 'PassphraseWrong', signal: null });
    expect(describeBorgExitCode(99)).toEqual({ code: 99, kind: 'error', name: null, signal: null });
    expect(describeBorgExitCode(100)).toEqual({ code: 100, kind: 'warning', name: 'FileChangedWarning', signal: null });
    expect(describeBorgExitCode(127)).toEqual({ code: 127, kind: 'warning', name: null, signal: null });
    expect(describeBorgExitCode(130)).toEqual({ code: 130, kind: 'signal', name: null, signal: 'SIGINT' });
    expect(describeBorgExitCode(143)).toEqual({ code: 143, kind: 'signal', name: null, signal: 'SIGTERM' });
    expect(describeBorgExitCode(-1)).toEqual({ code: -1, kind: 'error', name: null, signal: null });
  });
});
