import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli, tempDir, waitFor } from './helpers.js';

/**
 * A full disk for this process alone: a file-size limit (`ulimit -f`, in KiB) makes a write past it
 * fail with EFBIG, after the part that fits (a short write), as a full file system does with ENOSPC.
 * SIGXFSZ is ignored so that the write fails instead of killing the process.
 */
function runWithFileSizeLimit(kib: number, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const command = `trap '' XFSZ; ulimit -f ${kib}; exec "$0" "$@"`;
  const result = spawnSync('bash', ['-c', command, process.execPath, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8' },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a journal that fills the disk mid-run (docs/journal.md#a-journal-that-cannot-be-written)', () => {
  let temp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => temp?.remove());

  it('is said, even by --quiet; the run ends as it would; the next run neither recovers it nor repeats its cleanup', async () => {
    temp = tempDir();
    const marks = join(temp.path, 'marks');
    // Names long enough that the run record takes most of 4 KiB and a later record crosses the limit.
    const pad = 'P'.repeat(1500);
    temp.write(
      'job.json',
      JSON.stringify({
        preHooks: [{ name: `Stop ${pad}`, command: `echo stop >> ${marks}` }],
        tasks: [{ name: 'Backup', command: 'true' }],
        postHooks: [{ name: `Start ${pad}`, command: `echo start >> ${marks}`, runOnJobFailure: true }],
      }),
    );
    const state = join(temp.path, 'state');
    const full = runWithFileSizeLimit(4, ['run', 'job.json', '--state-dir', state, '--quiet'], temp.path);
    expect({ status: full.status, stdout: full.stdout }).toEqual({ status: 0, stdout: '' });
    expect(full.stderr).toMatch(/^jobhooks: cannot write the journal \/.+\.jsonl \(EFBIG: file too large, write\); the run goes on without it\n$/);
    const [keyDir] = readdirSync(state);
    const files = readdirSync(join(state, keyDir ?? ''));
    // The run is over: no marker says it is running, so no recovery takes it for a dead one.
    expect(files.filter((name) => name.endsWith('.running'))).toEqual([]);
    expect(files.filter((name) => name.endsWith('.jsonl'))).toHaveLength(1);

    const next = await runCli(['run', 'job.json', '--state-dir', state], { cwd: temp.path });
    expect(next.code).toBe(0);
    expect(next.stdout).not.toContain('Interrupted');
    expect(readFileSync(marks, 'utf8')).toBe('stop\nstart\nstop\nstart\n');
    const recover = await runCli(['recover', 'job.json', '--state-dir', state], { cwd: temp.path });
    expect(recover.stdout).toContain('Nothing to recover');
  });
});

describe('a state directory full from the start (docs/journal.md#a-journal-that-cannot-be-written)', () => {
  it('refuses the run with exit 73 and leaves no private temporary file in the key directory', () => {
    const temp = tempDir();
    try {
      temp.write('job.json', JSON.stringify({ preHooks: [{ name: 'Hello', command: 'true' }] }));
      const state = join(temp.path, 'state');
      const refused = runWithFileSizeLimit(0, ['run', 'job.json', '--state-dir', state], temp.path);
      expect(refused.status).toBe(73);
      expect(refused.stderr).toMatch(/^jobhooks: cannot write the journal: .*EFBIG/);
      const [keyDir] = readdirSync(state);
      expect(readdirSync(join(state, keyDir ?? ''))).toEqual([]);
    } finally {
      temp.remove();
    }
  });
  it('a run record the disk takes only part of refuses the run (exit 73): nothing runs without its record', () => {
    const temp = tempDir();
    try {
      const marks = join(temp.path, 'marks');
      // One name longer than the 4 KiB the disk has room for: the run record cannot be whole.
      temp.write('job.json', JSON.stringify({ preHooks: [{ name: `Hello ${'P'.repeat(5000)}`, command: `echo ran > ${marks}` }] }));
      const refused = runWithFileSizeLimit(4, ['run', 'job.json', '--state-dir', join(temp.path, 'state')], temp.path);
      expect(refused.status).toBe(73);
      expect(refused.stderr).toMatch(/^jobhooks: cannot write the journal: .*EFBIG/);
      expect(existsSync(marks)).toBe(false);
    } finally {
      temp.remove();
    }
  });
});

describe('a full temporary directory (docs/executor.md)', () => {
  it('a shebang hook that cannot be written says in which directory: the operating system\'s message names none', () => {
    const temp = tempDir();
    try {
      temp.write('job.json', JSON.stringify({ preHooks: [{ name: 'Python', command: '#!/usr/bin/env python3\nprint("hi")' }] }));
      const command = `trap '' XFSZ; ulimit -f 0; exec "$0" "$@"`;
      const result = spawnSync('bash', ['-c', command, process.execPath, CLI, 'run', 'job.json', '--no-journal'], {
        cwd: temp.path,
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.path, TMPDIR: temp.path, JOBHOOKS_CODE_CACHE: '0' },
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`[Python] failed: cannot write the script to a temporary file in ${temp.path}: EFBIG: file too large, write`);
    } finally {
      temp.remove();
    }
  });
});

describe('the log file on a full disk (docs/observability.md)', () => {
  let temp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => temp?.remove());

  it('appendToFile writes all of its text or rejects: a write the disk takes only part of is not taken for done', () => {
    temp = tempDir();
    const log = join(temp.path, 'job.log');
    const module = fileURLToPath(new URL('../../src/cli/log-file.ts', import.meta.url));
    const script = `import(${JSON.stringify(module)}).then((m) => m.appendToFile(${JSON.stringify(log)}, 'x'.repeat(3000))).then(() => console.log('written'), (e) => console.log(e.code))`;
    const command = `trap '' XFSZ; ulimit -f 1; exec "$0" "$@"`;
    const result = spawnSync('bash', ['-c', command, process.execPath, '--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect({ stdout: result.stdout, size: readFileSync(log).length }).toEqual({ stdout: 'EFBIG\n', size: 1024 });
  });
});

describe('a current directory removed before the run', () => {
  it('is one clear line and exit 66 for every command that reads files, not an internal error', () => {
    const temp = tempDir();
    try {
      const job = temp.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
      const gone = join(temp.path, 'gone');
      for (const args of [['validate', job], ['run', job, '--no-journal'], ['history', job]]) {
        const result = spawnSync('bash', ['-c', 'mkdir "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"', 'bash', gone, process.execPath, CLI, ...args], {
          encoding: 'utf8',
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.path },
        });
        expect({ args, status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
          args,
          status: 66,
          stdout: '',
          stderr: 'jobhooks: the current directory no longer exists (ENOENT); run jobhooks from one that does\n',
        });
      }
    } finally {
      temp.remove();
    }
  });
});

describe('a reader that never reads the final output', () => {
  it('keeps jobhooks waiting for it once the job is done; a signal then exits with the job\'s own code', async () => {
    const temp = tempDir();
    try {
      const cleaned = join(temp.path, 'cleaned');
      const job = temp.write(
        'job.json',
        JSON.stringify({
          preHooks: [{ name: 'Print', command: "head -c 3000000 /dev/zero | tr '\\0' x | fold -w 100" }],
          tasks: [{ name: 'Fail', command: 'exit 3', critical: true }],
          postHooks: [{ name: 'Cleanup', command: `echo done > ${cleaned}`, runOnJobFailure: true }],
        }),
      );
      // Standard output is a pipe nobody reads: the hook's lines fill it, and the flow cannot go out.
      const child = spawn(process.execPath, [CLI, 'run', job, '--no-journal'], { cwd: temp.path, stdio: ['ignore', 'pipe', 'ignore'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor(() => existsSync(cleaned), 'the cleanup to run', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(2);
    } finally {
      temp.remove();
    }
  });
});
