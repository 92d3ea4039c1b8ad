import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { durationToMs } from '../../src/duration.js';
import { ShellExecutor } from '../../src/executor/shell-executor.js';
import type { ExecResult, OutputStream, Task, TaskContext, TaskExecOptions, TaskProgress, TaskRunResult } from '../../src/types.js';

const execFileAsync = promisify(execFile);

/** A scratch area for one test file: its own BORG_BASE_DIR, so nothing touches ~. */
export interface BorgSandbox {
  readonly dir: string;
  /** The job environment borg runs with: PATH, HOME and BORG_BASE_DIR inside the sandbox. */
  readonly env: Record<string, string>;
  /** Runs borg directly (not through jobhooks), for setup and for checking results. */
  borg(args: readonly string[], extraEnv?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  /** `borg init` a new repository under the sandbox and returns its path. */
  init(name: string, encryption: 'none' | 'repokey', passphrase?: string): Promise<string>;
  /** Archive names in a repository, from `borg list --json`. */
  archives(repository: string, passphrase?: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function makeSandbox(prefix: string): Promise<BorgSandbox> {
  const dir = await mkdtemp(join(tmpdir(), `jobhooks-${prefix}-`));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
    // borg shows archive times in local time: UTC makes them the times the tests give.
    TZ: 'UTC',
    BORG_BASE_DIR: join(dir, 'base'),
  };
  await mkdir(env['HOME'] ?? dir, { recursive: true });
  const borg = async (args: readonly string[], extraEnv: Record<string, string> = {}) => {
    const { stdout, stderr } = await execFileAsync('borg', [...args], { env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr };
  };
  return {
    dir,
    env,
    borg,
    async init(name, encryption, passphrase) {
      const repository = join(dir, name);
      await borg(['init', `--encryption=${encryption}`, repository], passphrase === undefined ? {} : { BORG_PASSPHRASE: passphrase });
      return repository;
    },
    async archives(repository, passphrase) {
      const { stdout } = await borg(['list', '--json', repository], passphrase === undefined ? {} : { BORG_PASSPHRASE: passphrase });
      const parsed = JSON.parse(stdout) as { archives: { name: string }[] };
      return parsed.archives.map((archive) => archive.name);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What a {@link TestContext} saw. */
export interface Recorded {
  readonly output: { line: string; stream: OutputStream }[];
  readonly progress: TaskProgress[];
  readonly execs: { argv: readonly string[]; env: Readonly<Record<string, string>>; result: ExecResult }[];
}

/**
 * A hand-made TaskContext, as the engine would give a task: `exec` runs the argv through the real
 * ShellExecutor with the job env plus the task's `env`, the task's signal and timeout.
 */
export function makeContext(
  jobEnv: Record<string, string>,
  options: { signal?: AbortSignal; timeoutMs?: number; killGraceMs?: number; cwd?: string } = {},
): { context: TaskContext; recorded: Recorded } {
  const recorded: Recorded = { output: [], progress: [], execs: [] };
  const executor = new ShellExecutor();
  const signal = options.signal ?? new AbortController().signal;
  const context: TaskContext = {
    signal,
    env: jobEnv,
    jobId: 'test-job',
    taskIndex: 0,
    output: (line, stream = 'stdout') => {
      recorded.output.push({ line, stream });
    },
    progress: (info) => {
      recorded.progress.push(info);
    },
    async exec(command: string | readonly string[], execOptions: TaskExecOptions = {}) {
      const env = { ...jobEnv, ...execOptions.env };
      const onOutput = execOptions.onOutput ?? ((line: string, stream: OutputStream) => recorded.output.push({ line, stream }));
      const result = await executor.execute({
        command,
        shell: '/bin/bash',
        cwd: execOptions.cwd ?? options.cwd ?? process.cwd(),
        env,
        timeoutMs: (execOptions.timeout === undefined ? undefined : durationToMs(execOptions.timeout)) ?? options.timeoutMs ?? 120_000,
        killGraceMs: options.killGraceMs ?? 10_000,
        maxOutputBytes: 64 * 1024,
        signal,
        onOutput,
        taskName: 'borg',
        taskIndex: 0,
        jobId: 'test-job',
      });
      recorded.execs.push({ argv: typeof command === 'string' ? [command] : command, env, result });
      return result;
    },
  };
  return { context, recorded };
}

/** Runs a task once with a fresh context. */
export async function runTask(
  task: Task,
  jobEnv: Record<string, string>,
  options: { signal?: AbortSignal; timeoutMs?: number; cwd?: string } = {},
): Promise<{ result: TaskRunResult; recorded: Recorded }> {
  const { context, recorded } = makeContext(jobEnv, options);
  const result = await task.run(context);
  return { result, recorded };
}

/** The lines of output, as text. */
export function lines(recorded: Recorded): string[] {
  return recorded.output.map((entry) => entry.line);
}

/** Small files to back up, including ones an exclude regex must drop. */
export async function makeSourceTree(root: string): Promise<string> {
  const source = join(root, 'source');
  await mkdir(join(source, 'docs'), { recursive: true });
  await mkdir(join(source, 'cache dir'), { recursive: true });
  await writeFile(join(source, 'docs', 'readme.txt'), 'hello borg\n');
  await writeFile(join(source, 'docs', 'report.pdf'), randomBytes(64 * 1024));
  await writeFile(join(source, 'data.bin'), randomBytes(256 * 1024));
  await writeFile(join(source, 'notes.tmp'), 'scratch\n');
  await writeFile(join(source, 'cache dir', 'blob.log'), 'log line\n');
  return source;
}

/**
 * A directory holding `megabytes` of incompressible data, made once with crypto.randomBytes and
 * reused by later runs (it lives under the OS temp dir, outside any sandbox).
 */
export async function largeDataDir(megabytes: number): Promise<string> {
  const dir = join(tmpdir(), `jobhooks-borg-data-${megabytes}MB`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  const partial = `${dir}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  // Files of 25 MB: borg reports progress between files as well as within them.
  const fileCount = Math.ceil(megabytes / 25);
  for (let index = 0; index < fileCount; index += 1) {
    const size = Math.min(25, megabytes - index * 25) * 1024 * 1024;
    await writeFile(join(partial, `random-${String(index).padStart(2, '0')}.bin`), randomBytes(size));
  }
  await writeFile(join(partial, '.complete'), '');
  try {
    await rename(partial, dir);
  } catch {
    // Another test file made it first: use theirs.
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}

/** PIDs of live processes whose command line contains `needle` (read from /proc). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(join('/proc', entry, 'cmdline'))).toString('utf8').split('\0').join(' ');
      if (cmdline.includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** {@link processesMentioning}, synchronously: for a look from inside a callback, before it returns. */
export function processesMentioningSync(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(join('/proc', entry, 'cmdline')).toString('utf8').split('\0').join(' ').includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The installed borg's version, e.g. `[1, 2, 4]`. */
export async function borgVersion(): Promise<number[]> {
  const { stdout } = await execFileAsync('borg', ['--version']);
  return (/(\d+)\.(\d+)\.(\d+)/.exec(stdout)?.slice(1) ?? []).map(Number);
}

/** Whether the installed borg gives detailed exit codes under BORG_EXIT_CODES=modern (borg ≥ 1.4). */
export async function borgHasModernExitCodes(): Promise<boolean> {
  const [major = 0, minor = 0] = await borgVersion();
  return major > 1 || (major === 1 && minor >= 4);
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
