import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgCheck, borgCompact, borgCreate, borgPrune } from '../../src/borg/index.js';
import { DEFAULTS } from '../../src/defaults.js';
import { ConfigError } from '../../src/errors.js';
import { runTask } from './helpers.js';
import { printable } from '../helpers.js';

function issuesOf(make: () => unknown): { subject: string; issues: readonly { path: string; message: string }[] } {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('ERR_CONFIG');
    return { subject: configError.message.split(' (')[0] ?? '', issues: printable(configError.issues) };
  }
  throw new Error('expected a ConfigError');
}

const DOCS = join(import.meta.dirname, '..', '..', 'docs');

describe('borg task options', () => {
  it('reports every problem of borgCreate options at once, each with its path', () => {
    const { subject, issues } = issuesOf(() =>
      borgCreate({
        repository: ' ',
        paths: ['/ok', ''],
        archive: 'a/b',
        compression: 5,
        critcal: true,
        lockWait: -1,
        timeout: 'soon',
        env: { BORG_PASSPHRASE: 'x', BORG_CACHE_DIR: '/c' },
      } as never),
    );
    expect(subject).toBe('Invalid borgCreate options');
    expect(issues).toEqual([
      { path: 'repository', message: 'must not be empty' },
      { path: 'paths[1]', message: 'must not be empty' },
      { path: 'archive', message: 'an archive name must not contain "/"' },
      { path: 'compression', message: 'expected string, received number 5' },
      { path: 'critcal', message: 'unknown option "critcal" (did you mean "critical"?)' },
      { path: 'lockWait', message: 'expected a number of seconds (0 or more) or a duration string such as "30s", "5m", received number -1' },
      { path: 'timeout', message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"' },
      { path: 'env.BORG_PASSPHRASE', message: 'give the passphrase with the "passphrase" or "passcommand" option instead, so it is redacted everywhere' },
    ]);
  });

  it('requires paths and a repository, and rejects passphrase together with passcommand', () => {
    expect(issuesOf(() => borgCreate({} as never)).issues).toEqual([
      { path: 'repository', message: 'is required (expected string)' },
      { path: 'paths', message: 'is required (expected array)' },
    ]);
    expect(issuesOf(() => borgCreate({ repository: '/r', paths: [] })).issues).toEqual([
      { path: 'paths', message: 'give at least one path to back up' },
    ]);
    expect(issuesOf(() => borgCompact({ repository: '/r', passphrase: 'a', passcommand: 'cat /p' })).issues).toEqual([
      { path: 'passcommand', message: 'cannot be combined with "passphrase": borg would use only one of them' },
    ]);
    // Placeholders borg refuses fail the run after the job started: refused here instead.
    const archiveIssue = (archive: string): string | undefined => issuesOf(() => borgCreate({ repository: '/r', paths: ['/d'], archive })).issues[0]?.message;
    expect(archiveIssue('{hostnme}-{now}')).toMatch(/^borg has no placeholder \{hostnme\} \(did you mean \{hostname\}\?\); it has \{hostname\}, \{fqdn\}/);
    expect(archiveIssue('{now.year}')).toMatch(/^borg has no placeholder \{now\.year\}/);
    expect(archiveIssue('a{b')).toBe('a "{" without its "}": write "{{" for a brace');
    expect(archiveIssue('a}b')).toBe('a "}" without its "{": write "}}" for a brace');
    expect(() => borgCreate({ repository: '/r', paths: ['/d'], archive: 'web-{{literal}}-{utcnow:%Y-%m-%d}' })).not.toThrow();
    // borg's --threshold is an int: 5.5 would pass validate and fail the run.
    expect(issuesOf(() => borgCompact({ repository: '/r', threshold: 5.5 })).issues).toEqual([
      { path: 'threshold', message: 'expected a whole number, received number 5.5' },
    ]);
    expect(issuesOf(() => borgCompact({ repository: '/r', threshold: 100 })).issues).toEqual([{ path: 'threshold', message: 'expected a percentage from 0 to 99, received number 100' }]);
  });

  it('gives each factory its type, default name and criticality; name, critical and timeout can be set', () => {
    const repository = '/r';
    expect(borgCreate({ repository, paths: ['/d'] })).toMatchObject({ type: 'backup', name: 'borg create', critical: true, timeout: '24h', secrets: [] });
    expect(borgPrune({ repository, keep: { daily: 1 } })).toMatchObject({ type: 'prune', name: 'borg prune', critical: false, timeout: '24h' });
    expect(borgCompact({ repository })).toMatchObject({ type: 'compact', name: 'borg compact', critical: false });
    expect(borgCheck({ repository })).toMatchObject({ type: 'check', name: 'borg check', critical: false });
    expect(borgPrune({ repository, keep: { daily: 1 }, name: 'Thin out', critical: true, timeout: '2h', passphrase: 'p' })).toMatchObject({
      name: 'Thin out',
      critical: true,
      timeout: '2h',
      secrets: ['p'],
    });
  });

  it('the docs give borg tasks the default timeout the factories use (24 h), never the hooks’ 300 s', () => {
    expect(DEFAULTS.borg.timeout).toBe('24h');
    const migrating = readFileSync(join(DOCS, 'migrating.md'), 'utf8');
    // Every line of the migration guide that speaks of borg and a 300 s default also gives borg's 24 h.
    const wrong = migrating.split('\n').filter((line) => /borg/i.test(line) && /300 ?s\b/.test(line) && !/24 ?h/.test(line));
    expect(wrong).toEqual([]);
    expect(migrating).toContain('| borg commands have no timeout | every task has one: 24 h for borg tasks, 300 s for hooks and other tasks |');
  });

  it('fixes the argv at the factory call: later changes to the caller’s arrays do not leak in', async () => {
    const paths = ['/d'];
    const extraArgs = ['--one'];
    const task = borgCreate({ repository: '/r', paths, extraArgs, archive: 'a', borgBinary: '/nonexistent/borg' });
    paths.push('/other');
    extraArgs.push('--two');
    expect(Object.isFrozen(task)).toBe(true);
    const { result, recorded } = await runTask(task, { PATH: process.env['PATH'] ?? '' });
    expect(result.status).toBe('failed');
    expect(recorded.execs[0]?.argv).toEqual(['/nonexistent/borg', 'create', '--log-json', '--progress', '--json', '--one', '--', '/r::a', '/d']);
  });
});
