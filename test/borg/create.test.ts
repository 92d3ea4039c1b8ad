import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgCreate } from '../../src/borg/index.js';
import type { TaskProgress } from '../../src/types.js';
import { borgHasModernExitCodes, lines, makeSandbox, makeSourceTree, runTask, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';

const PASSPHRASE = 'correct horse $battery "staple"';

let sandbox: BorgSandbox;
let source: string;
let plainRepo: string;
let secretRepo: string;
let modern: boolean;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-create');
  source = await makeSourceTree(sandbox.dir);
  plainRepo = await sandbox.init('plain', 'none');
  secretRepo = await sandbox.init('secret', 'repokey', PASSPHRASE);
  modern = await borgHasModernExitCodes();
});

afterAll(async () => {
  await sandbox.cleanup();
});

function progressOfKind(progress: TaskProgress[], kind: string): TaskProgress[] {
  return progress.filter((entry) => entry['kind'] === kind);
}

describe.skipIf(!borgInstalled)('borgCreate against the real borg', { tags: [BORG_TAG] }, () => {
  it('creates the archive, returns borg’s stats as data and streams archive progress', async () => {
    const task = borgCreate({ repository: plainRepo, paths: [source], archive: 'first' });
    expect(task.type).toBe('backup');
    expect(task.name).toBe('borg create');
    expect(task.critical).toBe(true);
    expect(task.secrets).toEqual([]);

    const { result, recorded } = await runTask(task, sandbox.env);

    expect(result).toMatchObject({ status: 'completed', exitCode: 0, signal: null, timedOut: false, cancelled: false });
    expect(result.warning).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(await sandbox.archives(plainRepo)).toEqual(['first']);

    const data = result.data as { archive: { name: string; stats: Record<string, number> }; warnings: string[]; errorId: null };
    expect(data.archive.name).toBe('first');
    expect(data.archive.stats['original_size']).toBeGreaterThan(300 * 1024);
    expect(data.archive.stats['compressed_size']).toBeGreaterThan(0);
    expect(data.archive.stats['deduplicated_size']).toBeGreaterThan(0);
    expect(data.archive.stats['nfiles']).toBe(5);
    expect(data.warnings).toEqual([]);
    expect(data.errorId).toBeNull();
    expect(Object.keys(data).sort()).toEqual(['archive', 'cache', 'encryption', 'errorId', 'repository', 'warnings']);

    // The argv, exactly: one element per option, the repository after `--`.
    expect(recorded.execs).toHaveLength(1);
    expect(recorded.execs[0]?.argv).toEqual(['borg', 'create', '--log-json', '--progress', '--json', '--', `${plainRepo}::first`, source]);
    expect(recorded.execs[0]?.env['BORG_EXIT_CODES']).toBe('modern');
    expect(recorded.execs[0]?.env['BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK']).toBe('no');
    expect(recorded.execs[0]?.env['BORG_RELOCATED_REPO_ACCESS_IS_OK']).toBe('no');
    expect('BORG_PASSPHRASE' in (recorded.execs[0]?.env ?? {})).toBe(false);

    const archiveProgress = progressOfKind(recorded.progress, 'archive_progress');
    expect(archiveProgress.length).toBeGreaterThanOrEqual(2);
    expect(archiveProgress[0]).toMatchObject({ kind: 'archive_progress', finished: false, originalSize: expect.any(Number), nfiles: expect.any(Number) });
    expect(archiveProgress.at(-1)).toEqual({ kind: 'archive_progress', finished: true });
    const cacheProgress = progressOfKind(recorded.progress, 'progress_message');
    expect(cacheProgress).toContainEqual({ kind: 'progress_message', message: 'Saving files cache', operation: 'cache.commit', finished: false });
    expect(cacheProgress).toContainEqual({ kind: 'progress_message', operation: 'cache.commit', finished: true });
    // The JSON document went to data, not to the output.
    expect(lines(recorded).some((line) => line.includes('"archive"'))).toBe(false);
  });

  it('passes exclude regexes with $ and | and patterns starting with "-" to borg untouched', async () => {
    const task = borgCreate({
      repository: plainRepo,
      paths: [source],
      archive: 'filtered',
      exclude: [String.raw`re:\.(tmp|nope)$`],
      patterns: [String.raw`-re:/docs/report\.pdf$`, '-sh:**/cache dir'],
    });
    const { result, recorded } = await runTask(task, sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toEqual([
      'borg',
      'create',
      '--log-json',
      '--progress',
      '--json',
      String.raw`--exclude=re:\.(tmp|nope)$`,
      String.raw`--pattern=-re:/docs/report\.pdf$`,
      '--pattern=-sh:**/cache dir',
      '--',
      `${plainRepo}::filtered`,
      source,
    ]);
    const { stdout } = await sandbox.borg(['list', '--format={path}{NL}', `${plainRepo}::filtered`]);
    // borg stores paths without the leading "/".
    const paths = stdout.trim().split('\n').map((path) => path.slice(source.length - 1));
    expect(paths.sort()).toEqual(['', '/data.bin', '/docs', '/docs/readme.txt'].sort());
  });

  it('reports a missing source path as a warning: completed with warning, archive made, warning in data', async () => {
    const missing = join(sandbox.dir, 'does-not-exist');
    const { result } = await runTask(borgCreate({ repository: plainRepo, paths: [source, missing], archive: 'partial' }), sandbox.env);
    expect(result).toMatchObject({ status: 'completed', warning: true, exitCode: modern ? 107 : 1, signal: null });
    expect(result.error).toBeUndefined();
    const data = result.data as { archive: { name: string }; warnings: string[]; errorId: string | null };
    expect(data.warnings).toEqual([`${missing}: [Errno 2] No such file or directory: 'does-not-exist'`]);
    expect(data.errorId).toBeNull();
    expect(data.archive.name).toBe('partial');
    expect(await sandbox.archives(plainRepo)).toContain('partial');
  });

  it('fails on a warning with warningsAreErrors, with borg’s warning as the error', async () => {
    const missing = join(sandbox.dir, 'also-missing');
    const { result } = await runTask(
      borgCreate({ repository: plainRepo, paths: [missing], archive: 'strict', warningsAreErrors: true }),
      sandbox.env,
    );
    expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 107 : 1 });
    expect(result.error).toBe(`${missing}: [Errno 2] No such file or directory: 'also-missing'`);
  });

  it('with warningsAreErrors and more warnings than data keeps, the error is still borg\'s last warning', async () => {
    const missing = Array.from({ length: 150 }, (_, index) => join(sandbox.dir, `missing-${index}`));
    const { result } = await runTask(borgCreate({ repository: plainRepo, paths: [source, ...missing], archive: 'strict-150', warningsAreErrors: true }), sandbox.env);
    expect(result.status).toBe('failed');
    expect(result.error).toBe(`${missing[149]}: [Errno 2] No such file or directory: 'missing-149'`);
    expect((result.data as { warnings: string[] }).warnings.at(-1)).toBe('… and 50 more warnings');
  });

  it('backs up an encrypted repository with the passphrase in the environment only, never in argv or output', async () => {
    const task = borgCreate({ repository: secretRepo, passphrase: PASSPHRASE, paths: [source], archive: 'enc', list: true });
    expect(task.secrets).toEqual([PASSPHRASE]);
    const { result, recorded } = await runTask(task, sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.env['BORG_PASSPHRASE']).toBe(PASSPHRASE);
    expect(recorded.execs[0]?.argv.join(' ')).not.toContain('battery');
    expect(JSON.stringify({ result, output: recorded.output, progress: recorded.progress })).not.toContain('battery');
    expect(await sandbox.archives(secretRepo, PASSPHRASE)).toEqual(['enc']);
    // --list: one line per file, as borg prints it.
    expect(lines(recorded)).toContain(`A ${join(source, 'docs', 'readme.txt')}`);
  });

  it('shows file names with their control characters escaped: a name cannot forge a line or drive the terminal', async () => {
    const tree = join(sandbox.dir, 'hostile');
    await mkdir(tree);
    const forged = 'x\n02:44:20 [borg create] failed: disk on fire';
    await writeFile(join(tree, forged), '');
    await writeFile(join(tree, 'esc\u001b[31mred'), '');
    const missing = join(tree, 'gone\u001b]0;pwned\u0007');
    const { result, recorded } = await runTask(borgCreate({ repository: plainRepo, paths: [tree, missing], archive: 'hostile', list: true }), sandbox.env);
    expect(result.status).toBe('completed');
    const shown = lines(recorded);
    expect(shown).toContain(`A ${join(tree, 'x\\n02:44:20 [borg create] failed: disk on fire')}`);
    expect(shown).toContain(`A ${join(tree, 'esc\\u001b[31mred')}`);
    expect(shown.filter((line) => /[\u0000-\u001f]/.test(line))).toEqual([]);
    // The warning about the missing path, in data and as the line a notification quotes.
    expect((result.data as { warnings: string[] }).warnings).toEqual([`${join(tree, 'gone\\u001b]0;pwned\\u0007')}: [Errno 2] No such file or directory: 'gone\\x1b]0;pwned\\x07'`]);
  });

  it('every placeholder validation lets through is one borg expands', async () => {
    const archive = '{hostname}-{fqdn}-{reverse-fqdn}-{now}-{utcnow:%Y}-{user}-{pid}-{borgversion}-{borgmajor}-{borgminor}-{borgpatch}-{{x}}';
    const { result } = await runTask(borgCreate({ repository: plainRepo, paths: [source], archive }), sandbox.env);
    expect(result.status).toBe('completed');
    expect((await sandbox.archives(plainRepo)).some((name) => name.endsWith('-{x}'))).toBe(true);
  });

  it('reads the passphrase through passcommand', async () => {
    const passfile = join(sandbox.dir, 'passfile');
    await writeFile(passfile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const { result, recorded } = await runTask(
      borgCreate({ repository: secretRepo, passcommand: `cat ${passfile}`, paths: [source], archive: 'via-passcommand' }),
      sandbox.env,
    );
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.env['BORG_PASSCOMMAND']).toBe(`cat ${passfile}`);
    expect('BORG_PASSPHRASE' in (recorded.execs[0]?.env ?? {})).toBe(false);
  });

  it('refuses to run a passcommand task when the job environment already has BORG_PASSPHRASE', async () => {
    const { result, recorded } = await runTask(
      borgCreate({ repository: secretRepo, passcommand: 'cat /nonexistent', paths: [source] }),
      { ...sandbox.env, BORG_PASSPHRASE: 'inherited' },
    );
    expect(result).toEqual({
      status: 'failed',
      error:
        'passcommand is set, but BORG_PASSPHRASE is also in the job environment and borg would use it instead; remove BORG_PASSPHRASE from the environment (or use inheritEnv: false)',
      data: { warnings: [], errorId: null },
      retryable: false,
    });
    expect(recorded.execs).toHaveLength(0);
  });

  it('fails a wrong passphrase with borg’s own message', async () => {
    const { result } = await runTask(borgCreate({ repository: secretRepo, passphrase: 'wrong', paths: [source] }), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 52 : 2, timedOut: false, cancelled: false });
    expect(result.error).toBe('passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.');
    expect((result.data as { errorId: string }).errorId).toBe('PassphraseWrong');
  });

  it('fails at once, without prompting, when an encrypted repository gets no passphrase', async () => {
    const { result } = await runTask(borgCreate({ repository: secretRepo, paths: [source] }), sandbox.env, { timeoutMs: 20_000 });
    expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 50 : 2, timedOut: false });
    expect(result.error).toBe(
      'can not acquire a passphrase: BORG_PASSPHRASE is not set. BORG_PASSCOMMAND is not set. Interactive password query failed.',
    );
    expect((result.data as { errorId: string }).errorId).toBe('NoPassphraseFailure');
  });

  it('fails a missing repository with borg’s own message', async () => {
    const missing = join(sandbox.dir, 'no-such-repo');
    const { result } = await runTask(borgCreate({ repository: missing, paths: [source] }), sandbox.env);
    expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 13 : 2 });
    expect(result.error).toBe(`Repository ${missing} does not exist.`);
    expect((result.data as { errorId: string }).errorId).toBe('Repository.DoesNotExist');
  });

  it('fails with borg’s lock timeout message when another borg holds the lock', async () => {
    // Its own process group, so the cleanup can stop borg and its `sleep` together.
    const holder = spawn('borg', ['with-lock', plainRepo, 'sleep', '20'], { env: sandbox.env, stdio: 'ignore', detached: true });
    try {
      // with-lock takes the lock before it starts `sleep`; wait until it does.
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const { existsSync } = await import('node:fs');
        if (existsSync(join(plainRepo, 'lock.exclusive'))) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { result, recorded } = await runTask(borgCreate({ repository: plainRepo, paths: [source], lockWait: 1 }), sandbox.env);
      expect(recorded.execs[0]?.argv.slice(0, 6)).toEqual(['borg', 'create', '--log-json', '--progress', '--lock-wait=1', '--json']);
      expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 73 : 2 });
      expect(result.error).toBe(`Failed to create/acquire the lock ${join(plainRepo, 'lock.exclusive')} (timeout).`);
      expect((result.data as { errorId: string }).errorId).toBe('LockTimeout');
    } finally {
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      if (holder.pid !== undefined) process.kill(-holder.pid, 'SIGTERM');
      await exited;
    }
  });

  it('answers borg’s safety question "no" instead of hanging, and says which variable allows it', async () => {
    // A repository this BORG_BASE_DIR has never seen: borg asks before using an unencrypted one.
    const elsewhere = await makeSandbox('borg-elsewhere');
    try {
      const foreign = await elsewhere.init('foreign', 'none');
      const { result } = await runTask(borgCreate({ repository: foreign, paths: [source], archive: 'a' }), sandbox.env, { timeoutMs: 20_000 });
      expect(result).toMatchObject({ status: 'failed', exitCode: modern ? 60 : 2, timedOut: false });
      expect(result.error).toBe(
        'Cache initialization aborted (borg asked "Attempting to access a previously unknown unencrypted repository!" and the answer was no; set BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes in env to allow it)',
      );
      expect((result.data as { errorId: string }).errorId).toBe('Cache.CacheInitAbortedError');

      const allowed = await runTask(
        borgCreate({ repository: foreign, paths: [source], archive: 'a', env: { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' } }),
        sandbox.env,
      );
      expect(allowed.result.status).toBe('completed');
      expect(allowed.recorded.execs[0]?.env['BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK']).toBe('yes');
    } finally {
      await elsewhere.cleanup();
    }
  });

  it('passes compression and env (BORG_CACHE_DIR) through to borg', async () => {
    const text = join(sandbox.dir, 'text');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(text, { recursive: true });
    await writeFile(join(text, 'log.txt'), 'the same line of text, again and again\n'.repeat(50_000));
    const cacheDir = join(sandbox.dir, 'custom-cache');
    const { result, recorded } = await runTask(
      borgCreate({ repository: plainRepo, paths: [text], archive: 'zstd', compression: 'zstd,3', env: { BORG_CACHE_DIR: cacheDir } }),
      sandbox.env,
    );
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toContain('--compression=zstd,3');
    const data = result.data as { archive: { stats: Record<string, number> }; cache: { path: string } };
    expect(data.archive.stats['original_size']).toBeGreaterThan(1_900_000);
    expect(data.archive.stats['compressed_size']).toBeLessThan((data.archive.stats['original_size'] ?? 0) / 20);
    expect(data.cache.path.startsWith(`${cacheDir}/`)).toBe(true);

    // Like data with compression "none" keeps its full size: the option is what made the difference.
    // (Other data: chunks already in the repository would keep the size they were stored with.)
    const text2 = join(sandbox.dir, 'text2');
    await mkdir(text2, { recursive: true });
    await writeFile(join(text2, 'log.txt'), 'another line of text, again and again\n'.repeat(50_000));
    const uncompressed = await runTask(borgCreate({ repository: plainRepo, paths: [text2], archive: 'none', compression: 'none' }), sandbox.env);
    const stats = (uncompressed.result.data as { archive: { stats: Record<string, number> } }).archive.stats;
    expect(stats['compressed_size']).toBeGreaterThanOrEqual(stats['original_size'] ?? Infinity);
  });

  it('fails with the executor’s words when the borg binary does not exist', async () => {
    const { result } = await runTask(borgCreate({ repository: plainRepo, paths: [source], borgBinary: '/nonexistent/borg' }), sandbox.env);
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBeNull();
    expect(result.error).toContain('/nonexistent/borg');
  });

  it('passes extraArgs after its own options and before the repository', async () => {
    const { result, recorded } = await runTask(
      borgCreate({ repository: plainRepo, paths: [source], archive: 'extra', extraArgs: ['--comment', 'from extraArgs'] }),
      sandbox.env,
    );
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toEqual([
      'borg', 'create', '--log-json', '--progress', '--json', '--comment', 'from extraArgs', '--', `${plainRepo}::extra`, source,
    ]);
    const { stdout } = await sandbox.borg(['info', '--json', `${plainRepo}::extra`]);
    expect((JSON.parse(stdout) as { archives: { comment: string }[] }).archives[0]?.comment).toBe('from extraArgs');
  });

  it('expands the default archive name {hostname}-{now}', async () => {
    const { result } = await runTask(borgCreate({ repository: plainRepo, paths: [source] }), sandbox.env);
    expect(result.status).toBe('completed');
    const name = (result.data as { archive: { name: string } }).archive.name;
    // borg expanded both placeholders: a host name, then the time now (TZ=UTC in the sandbox).
    const match = /^([^{}/]+)-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/.exec(name);
    expect(match).not.toBeNull();
    expect(Math.abs(Date.parse(`${match?.[2] ?? ''}Z`) - Date.now())).toBeLessThan(10 * 60_000);
  });
});
