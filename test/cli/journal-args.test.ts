import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { osReason } from '../../src/cli/commands.js';
import { formatHistory, historyJson, localDateTime } from '../../src/cli/history.js';
import { ROOT_STATE_DIR, stateDirectory } from '../../src/cli/state-dir.js';
import type { HistoryEntry } from '../../src/journal/index.js';

describe('the journal on the command line (docs/cli.md)', () => {
  it('reads run with its journal flags, recover and history', () => {
    expect(parseCommandLine(['run', 'job.yaml', '--state-dir', '/tmp/s', '--wait', '30s'])).toEqual({
      kind: 'run',
      file: 'job.yaml',
      mode: 'auto',
      stateDir: '/tmp/s',
      journal: true,
      wait: '30s',
    });
    expect(parseCommandLine(['run', 'job.yaml', '--wait', '90'])).toMatchObject({ wait: 90 });
    expect(parseCommandLine(['run', 'job.yaml', '--wait', '0'])).toMatchObject({ wait: undefined });
    expect(parseCommandLine(['run', 'job.yaml', '--no-journal', '-q'])).toEqual({
      kind: 'run',
      file: 'job.yaml',
      mode: 'quiet',
      stateDir: undefined,
      journal: false,
      wait: undefined,
    });
    expect(parseCommandLine(['recover', 'job.yaml'])).toEqual({ kind: 'recover', file: 'job.yaml', stateDir: undefined });
    expect(parseCommandLine(['recover', 'job.yaml', '--state-dir=/s'])).toEqual({ kind: 'recover', file: 'job.yaml', stateDir: '/s' });
    expect(parseCommandLine(['history', 'job.yaml'])).toEqual({ kind: 'history', file: 'job.yaml', stateDir: undefined, json: false, limit: undefined });
    expect(parseCommandLine(['history', 'job.yaml', '--json', '--limit', '5'])).toEqual({ kind: 'history', file: 'job.yaml', stateDir: undefined, json: true, limit: 5 });
  });

  it('says what is wrong, with a did-you-mean for the new commands and flags', () => {
    const error = (argv: string[]): unknown => parseCommandLine(argv);
    expect(error(['recovr', 'a.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "recovr" (did you mean "recover"?)' });
    expect(error(['histroy', 'a.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "histroy" (did you mean "history"?)' });
    expect(error(['run', 'a.yaml', '--statedir', 'x'])).toEqual({ kind: 'usage-error', message: 'unknown option "--statedir" (did you mean "--state-dir"?)' });
    expect(error(['run', 'a.yaml', '--no-jounral'])).toEqual({ kind: 'usage-error', message: 'unknown option "--no-jounral" (did you mean "--no-journal"?)' });
    expect(error(['history', 'a.yaml', '--limt', '3'])).toEqual({ kind: 'usage-error', message: 'unknown option "--limt" (did you mean "--limit"?)' });
    expect(error(['run', 'a.yaml', '--wiat', '3s'])).toEqual({ kind: 'usage-error', message: 'unknown option "--wiat" (did you mean "--wait"?)' });
    expect(error(['recover', 'a.yaml', '--json'])).toEqual({ kind: 'usage-error', message: '--json applies to "run", "rehearse" and "history"' });
    expect(error(['history', 'a.yaml', '--wait', '1s'])).toEqual({ kind: 'usage-error', message: '--wait applies to "run" and "rehearse"' });
    expect(error(['run', 'a.yaml', '--limit', '1'])).toEqual({ kind: 'usage-error', message: '--limit applies to "history" only' });
    expect(error(['validate', 'a.yaml', '--state-dir', '/s'])).toEqual({ kind: 'usage-error', message: '--state-dir applies to "run", "rehearse", "recover" and "history"' });
    expect(error(['recover', 'a.yaml', '--no-journal'])).toEqual({ kind: 'usage-error', message: '--no-journal applies to "run" and "rehearse"' });
    expect(error(['run', 'a.yaml', '--no-journal', '--state-dir', '/s'])).toEqual({ kind: 'usage-error', message: '--state-dir and --no-journal cannot be used together' });
    expect(error(['run', 'a.yaml', '--no-journal', '--wait', '5s'])).toEqual({ kind: 'usage-error', message: '--wait needs the journal: it cannot be used with --no-journal' });
    expect(error(['run', 'a.yaml', '--wait', 'soon'])).toEqual({
      kind: 'usage-error',
      message: '--wait expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"',
    });
    expect(error(['run', 'a.yaml', '--wait'])).toEqual({ kind: 'usage-error', message: "Option '--wait <value>' argument missing" });
    expect(error(['history', 'a.yaml', '--limit', '0'])).toEqual({ kind: 'usage-error', message: '--limit expects a whole number of runs, at least 1, received "0"' });
    expect(error(['history', 'a.yaml', '--limit', 'ten'])).toEqual({ kind: 'usage-error', message: '--limit expects a whole number of runs, at least 1, received "ten"' });
    expect(error(['recover'])).toEqual({ kind: 'usage-error', message: '"recover" needs a config file: jobhooks recover <config>' });
    expect(error(['run', 'a.yaml', '--state-dir', ''])).toEqual({ kind: 'usage-error', message: '--state-dir needs a directory' });
  });
});

describe('the state directory', () => {
  it('is --state-dir, else JOBHOOKS_STATE_DIR, else /var/lib/jobhooks for root, else the XDG state home', () => {
    const env = { HOME: '/home/ann', XDG_STATE_HOME: '/xdg', JOBHOOKS_STATE_DIR: '/env-dir' };
    expect(stateDirectory('rel/dir', { env, uid: 0, cwd: '/work' })).toBe('/work/rel/dir');
    expect(stateDirectory(undefined, { env, uid: 0, cwd: '/work' })).toBe('/env-dir');
    expect(stateDirectory(undefined, { env: { ...env, JOBHOOKS_STATE_DIR: '' }, uid: 0, cwd: '/' })).toBe(ROOT_STATE_DIR);
    expect(ROOT_STATE_DIR).toBe('/var/lib/jobhooks');
    expect(stateDirectory(undefined, { env: { HOME: '/home/ann', XDG_STATE_HOME: '/xdg' }, uid: 1000, cwd: '/' })).toBe('/xdg/jobhooks');
    // A relative XDG_STATE_HOME is ignored, as the XDG specification says.
    expect(stateDirectory(undefined, { env: { HOME: '/home/ann', XDG_STATE_HOME: 'xdg' }, uid: 1000, cwd: '/' })).toBe('/home/ann/.local/state/jobhooks');
    expect(stateDirectory(undefined, { env: { HOME: '/home/ann' }, uid: 1000, cwd: '/' })).toBe('/home/ann/.local/state/jobhooks');
  });
});

describe('history formatting', () => {
  const entry = (overrides: Partial<HistoryEntry>): HistoryEntry => ({
    jobId: 'j1',
    status: 'completed',
    startedAt: new Date(2026, 10, 30, 2, 15, 0).toISOString(),
    finishedAt: new Date(2026, 10, 30, 2, 16, 5).toISOString(),
    durationMs: 65_000,
    failedTask: null,
    error: null,
    pid: 4242,
    archive: null,
    recoveredBy: null,
    rehearsal: null,
    ...overrides,
  });

  it('prints local start, duration, status, the failed task and the archive, one run a line', () => {
    expect(
      formatHistory([
        entry({ archive: 'nightly-2026-11-30' }),
        entry({ status: 'interrupted', finishedAt: null, durationMs: null, failedTask: 'borg create' }),
        entry({ status: 'failed', durationMs: 1234, failedTask: 'Database Dump' }),
        entry({ status: 'completed', durationMs: 400 }),
        entry({ status: 'failed', durationMs: 2000, failedTask: 'Create archive', rehearsal: { task: 'Create archive', outcome: 'fail' } }),
      ]),
    ).toBe(
      [
        '2026-11-30 02:15:00  1m 05s    completed                archive nightly-2026-11-30',
        '2026-11-30 02:15:00  -         interrupted              failed task: borg create',
        '2026-11-30 02:15:00  1.2s      failed                   failed task: Database Dump',
        '2026-11-30 02:15:00  0.4s      completed',
        '2026-11-30 02:15:00  2.0s      failed                   rehearsal ("Create archive" fails)  failed task: Create archive',
        '',
      ].join('\n'),
    );
    expect(formatHistory([])).toBe('');
    // An archive name is anyone's (borg takes a newline or ESC); a journal may be edited by hand.
    expect(formatHistory([entry({ archive: 'two\nlines\u001b[31m' }), entry({ status: 'failed', failedTask: 'Dump\r' })])).toBe(
      [
        '2026-11-30 02:15:00  1m 05s    completed                archive two\\nlines\\u001b[31m',
        '2026-11-30 02:15:00  1m 05s    failed                   failed task: Dump\\r',
        '',
      ].join('\n'),
    );
  });

  it('--json holds exactly the documented fields', () => {
    expect(Object.keys(historyJson(entry({ archive: 'a', recoveredBy: 'x' })))).toEqual(['jobId', 'status', 'startedAt', 'finishedAt', 'durationMs', 'failedTask', 'pid', 'rehearsal']);
    expect(localDateTime(new Date(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02 03:04:05');
  });

  it('reads an OS error as its reason and code', () => {
    const error = Object.assign(new Error("EACCES: permission denied, mkdir '/x/y'"), { code: 'EACCES', syscall: 'mkdir', path: '/x/y' });
    expect(osReason(error)).toBe('permission denied (EACCES)');
  });
});
