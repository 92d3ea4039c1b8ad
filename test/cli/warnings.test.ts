import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compressionProblem } from '../../src/cli/warnings.js';
import { runCli, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

describe("borg's compression grammar", () => {
  it('accepts what borg accepts and names what it refuses', () => {
    const accepted = ['none', 'lz4', 'zstd', 'zstd,1', 'zstd,22', 'zlib,0', 'zlib,9', 'lzma', 'lzma,6', 'auto,lz4', 'auto,zstd,10', 'obfuscate,3,zstd,3', 'obfuscate,110,none', 'obfuscate,3,auto,zstd,10', 'lz4,1'];
    const refused = ['zstd,23', 'zstd,0', 'zlib,10', 'lzma,x', 'auto', 'auto,auto,lz4', 'auto,obfuscate,3,lz4', 'obfuscate,7,lz4', 'obfuscate,3', 'gzip', 'zstd,', '', 'constructor', 'toString,1'];
    expect(accepted.filter((spec) => compressionProblem(spec) !== undefined)).toEqual([]);
    expect(refused.filter((spec) => compressionProblem(spec) === undefined)).toEqual([]);
    expect(compressionProblem('zstd,23')).toBe(
      'borg will refuse this compression: "zstd,23"; use none, lz4, zstd[,1-22], zlib[,0-9], lzma[,0-9], auto,<spec> or obfuscate,<level>,<spec>',
    );
  });
});

describe('validate and run warn about what will fail at run time (issue 9)', () => {
  const config = (ran: string, notExecutable: string) =>
    [
      'defaults: { cwd: /nope-defaults }',
      'secrets: [ab, a-long-enough-secret]',
      'preHooks:',
      '  - name: a',
      `    command: 'echo ran > ${ran}'`,
      '    cwd: /nope',
      `    shell: ${notExecutable}`,
      "  - { name: b, command: 'true', shell: no-such-shell-zz, cwd: /etc/hostname, env: { T: { env: SHORT } } }",
      'tasks:',
      "  - { name: t, command: 'true', shell: /bin/no-such-shell }",
      "  - { borg: create, repository: /r, paths: [/etc], compression: 'zstd,23', passcommand: 'echo x' }",
      '',
    ].join('\n');
  const expected = (notExecutable: string) =>
    [
      'warning: defaults.cwd: directory does not exist: /nope-defaults (it may be created by an earlier hook)',
      'warning: preHooks[0].cwd: directory does not exist: /nope (it may be created by an earlier hook)',
      `warning: preHooks[0].shell: shell is not executable: ${notExecutable}`,
      'warning: preHooks[1].cwd: not a directory: /etc/hostname',
      'warning: preHooks[1].shell: shell not found in PATH: no-such-shell-zz',
      'warning: tasks[0].shell: shell not found: /bin/no-such-shell',
      'warning: tasks[1].compression: borg will refuse this compression: "zstd,23"; use none, lz4, zstd[,1-22], zlib[,0-9], lzma[,0-9], auto,<spec> or obfuscate,<level>,<spec>',
      'warning: tasks[1].passcommand: BORG_PASSPHRASE is set in the environment the job inherits, and borg would use it instead of passcommand: the task will fail (unset BORG_PASSPHRASE or set inheritEnv: false)',
      'warning: preHooks[1].env.T: a secret of 2 characters is redacted wherever those characters appear, even inside words: use one of at least 4',
      'warning: secrets[0]: a secret of 2 characters is redacted wherever those characters appear, even inside words: use one of at least 4',
    ];

  it('validate prints each with its path on stderr and exits 0', async () => {
    const notExecutable = dir.write('not-executable.sh', '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    const file = dir.write('job.yaml', config(join(dir.path, 'ran'), notExecutable));
    const run = await runCli(['validate', file], { cwd: dir.path, env: { SHORT: 'xy', BORG_PASSPHRASE: 'inherited' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${file} is valid: 2 pre-hooks, 2 tasks, 0 post-hooks, 0 notifiers\n`);
    expect(run.stderr.split('\n')).toEqual([...expected(notExecutable), '']);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });

  it('run prints them before anything starts, and still runs', async () => {
    const ran = join(dir.path, 'ran');
    const file = dir.write(
      'job.yaml',
      ['secrets: [abc]', 'preHooks:', `  - { name: a, command: 'echo ran > ${ran}', cwd: ${dir.path} }`, '  - { name: b, command: "true", cwd: /nope }', ''].join('\n'),
    );
    const run = await runCli(['run', '--json', file], { cwd: dir.path });
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      'warning: preHooks[1].cwd: directory does not exist: /nope (it may be created by an earlier hook)',
      'warning: secrets[0]: a secret of 3 characters is redacted wherever those characters appear, even inside words: use one of at least 4',
    ]);
    expect(readFileSync(ran, 'utf8')).toBe('ran\n');
    // The hook with the missing cwd fails as it always did: a non-critical hook, so a warning.
    expect(run.code).toBe(1);
  });

  it('run --quiet keeps them for a job that does not complete: a staging directory made by a hook mails nothing', async () => {
    const job = (name: string, last: string) => {
      const staging = join(dir.path, name);
      const file = dir.write(
        `${name}.yaml`,
        ['secrets: [abc]', 'preHooks:', `  - { name: make, command: 'mkdir -p ${staging}' }`, `  - { name: use, command: '${last}', cwd: ${staging} }`, ''].join('\n'),
      );
      return { file, staging };
    };
    const completes = job('staging-a', 'true');
    const completed = await runCli(['run', '--quiet', '--no-journal', completes.file], { cwd: dir.path });
    expect(completed).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const fails = job('staging-b', 'exit 3');
    const failed = await runCli(['run', '--quiet', '--no-journal', fails.file], { cwd: dir.path });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split('\n')).toEqual([
      `warning: preHooks[1].cwd: directory does not exist: ${fails.staging} (it may be created by an earlier hook)`,
      'warning: secrets[0]: a secret of 3 characters is redacted wherever those characters appear, even inside words: use one of at least 4',
      '',
    ]);
    expect(failed.stdout).toContain("Hook 'use' exited with code 3");
    // A log file gets them at once, as every view but --quiet's does (the staging directory exists now).
    const log = join(dir.path, 'run.log');
    const logged = await runCli(['run', '--quiet', '--no-journal', '--log-file', log, completes.file], { cwd: dir.path });
    expect(logged).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(log, 'utf8').split('\n')[0]).toBe(
      'warning: secrets[0]: a secret of 3 characters is redacted wherever those characters appear, even inside words: use one of at least 4',
    );
  });

  it('says nothing for a config that will run as written', async () => {
    const file = dir.write('job.yaml', `defaults: { cwd: ${dir.path}, shell: /bin/sh }\nsecrets: [long-secret]\npreHooks: [{ name: a, command: 'true', shell: sh }]\n`);
    const run = await runCli(['validate', file], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
