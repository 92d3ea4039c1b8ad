import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/index.js';
import { runCli, tempDir } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';

// A real borg backup from a config file: borg entries, a passphrase from the environment.

const PASSPHRASE = 'cli-test-passphrase-4711';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'data'));
  writeFileSync(join(dir.path, 'data', 'notes.txt'), 'hello\n');
  execFileSync('borg', ['init', '--encryption=repokey', join(dir.path, 'repo')], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir.path, BORG_PASSPHRASE: PASSPHRASE },
    stdio: 'ignore',
  });
});
afterEach(() => {
  dir.remove();
});

describe.skipIf(!borgInstalled)('jobhooks run with borg tasks', { tags: [BORG_TAG] }, () => {
  it('backs up, prunes and checks with the real borg, the passphrase read from the environment and redacted', async () => {
    const file = dir.write(
      'job.yaml',
      [
        'repository: { name: local }',
        'preHooks:',
        '  - name: Database Dump',
        '    command: echo "dump for $JOBHOOKS_REPOSITORY_NAME" > data/dump.sql',
        'tasks:',
        '  - { borg: create, repository: ./repo, paths: [data], archive: nightly, passphrase: { env: BORG_PW } }',
        '  - { borg: prune, repository: ./repo, keep: { last: 1 }, passphrase: { env: BORG_PW } }',
        '  - { borg: check, repository: ./repo, passphrase: { env: BORG_PW } }',
        'postHooks:',
        '  - { name: Cleanup, command: rm -f data/dump.sql, runOnJobFailure: true }',
      ].join('\n'),
    );
    const run = await runCli(['run', file, '--json'], { cwd: dir.path, env: { BORG_PW: PASSPHRASE } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(PASSPHRASE);
    const result = JSON.parse(run.stdout) as JobResult;
    expect(result.status).toBe('completed');
    expect(result.tasks.map((task) => [task.type, task.name, task.status])).toEqual([
      ['hook', 'Database Dump', 'completed'],
      ['backup', 'borg create', 'completed'],
      ['prune', 'borg prune', 'completed'],
      ['check', 'borg check', 'completed'],
      ['hook', 'Cleanup', 'completed'],
    ]);
    const archive = (result.tasks[1]?.data as { archive: { name: string; stats: { nfiles: number } } }).archive;
    expect(archive.name).toBe('nightly');
    expect(archive.stats.nfiles).toBe(2);
  });

  it('plain output: a borg create prints one line with the archive name, sizes, file count and duration', async () => {
    const file = dir.write(
      'job.yaml',
      ['tasks:', '  - { borg: create, repository: ./repo, paths: [data], archive: nightly, passphrase: { env: BORG_PW } }'].join('\n'),
    );
    const run = await runCli(['run', file], { cwd: dir.path, env: { BORG_PW: PASSPHRASE } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const size = String.raw`\d+(?:\.\d+)? (?:B|KiB|MiB)`;
    const lines = run.stdout.split('\n');
    const archive = lines.findIndex((line) => line.includes('[borg create] archive '));
    expect(lines[archive]).toMatch(
      new RegExp(String.raw`^\d\d:\d\d:\d\d \[borg create\] archive nightly: ${size} original, ${size} compressed, ${size} deduplicated, 1 file, \d+\.\ds$`),
    );
    expect(lines[archive + 1]).toMatch(/^\d\d:\d\d:\d\d \[borg create\] completed$/);
    expect(lines.filter((line) => line.includes(' archive nightly: '))).toHaveLength(1);
  });
});
