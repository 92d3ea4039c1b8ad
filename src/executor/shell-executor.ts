import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { win32 } from 'node:path';
import * as z from 'zod';
import { DEFAULTS } from '../defaults.js';
import { parseOptions } from '../validation.js';
import { LineSplitter } from './line-splitter.js';
import { scanProcessesSync, signalSession, signalTree, stopTree, treeAlive, type TreeScope } from './process-tree.js';
import { parseShebang, removeScript, writeScript, type ScriptFile } from './script-file.js';
import { onAbort, startTimer } from './timers.js';
import type { ExecRequest, ExecResult, Executor, OutputStream } from './types.js';

/**
 * cross-spawn, for Windows only: it finds a command's `PATHEXT` and shebang there, and everywhere else
 * calls Node's `spawn` unchanged. Loaded on the first spawn, so no other platform pays for loading it
 * (docs/performance.md, "CLI start-up").
 */
let crossSpawn: Promise<Spawner> | undefined;
function windowsSpawn(): Promise<Spawner> {
  crossSpawn ??= import('cross-spawn').then((loaded) => loaded.default);
  return crossSpawn;
}

type Spawner = (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Options of {@link ShellExecutor}; all optional. */
export interface ShellExecutorOptions {
  /**
   * Where the private directories for shebang scripts are created.
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
  /**
   * After the main process exits, how long to wait for output still in the pipes before closing them
   * (a background process that keeps them open cannot hold the result back longer than this).
   * @default 100
   */
  readonly drainMs?: number;
}

const optionsSchema = z.strictObject({
  tempDir: z.string().min(1).optional(),
  drainMs: z.number().int().min(0).max(60_000).optional(),
});

/** How a command is started. */
export interface SpawnPlan {
  /** `shell`: shell text via `shell -c`; `script`: a shebang script for its interpreter; `argv`: no shell. */
  readonly kind: 'shell' | 'script' | 'argv';
  readonly file: string;
  readonly args: readonly string[];
  /** Windows only: pass `args` to the program untouched (cmd.exe does its own parsing). */
  readonly windowsVerbatimArguments: boolean;
}

/**
 * Decides the program and arguments for a command: `[shell, '-c', text]` (cmd.exe: `/d /s /c "text"`),
 * `[interpreter, arg?, scriptPath]` for a shebang script, or the argv array as is.
 *
 * @example
 * ```ts
 * planSpawn('echo hi', '/bin/bash', null, 'linux') // { kind: 'shell', file: '/bin/bash', args: ['-c', 'echo hi'], … }
 * ```
 */
export function planSpawn(command: string | readonly string[], shell: string, script: ScriptFile | null, platform: NodeJS.Platform): SpawnPlan {
  if (typeof command !== 'string') {
    const [file = '', ...args] = command;
    return { kind: 'argv', file, args, windowsVerbatimArguments: false };
  }
  if (script !== null) {
    const { interpreter, args } = script.shebang;
    if (platform === 'win32' && /^\/(usr\/)?bin\/env$/.test(interpreter)) {
      // Windows has no /usr/bin/env: run the program it names (found on PATH), as cross-spawn does.
      const words = (args[0] ?? '').split(/[ \t]+/).filter((word) => word !== '' && word !== '-S');
      const [program, ...rest] = words;
      if (program !== undefined) return { kind: 'script', file: program, args: [...rest, script.path], windowsVerbatimArguments: false };
    }
    return { kind: 'script', file: interpreter, args: [...args, script.path], windowsVerbatimArguments: false };
  }
  if (platform === 'win32' && /^cmd(\.exe)?$/i.test(win32.basename(shell))) {
    // What Node itself does for `shell: true` on Windows: cmd.exe does not follow the C runtime's quoting.
    return { kind: 'shell', file: shell, args: ['/d', '/s', '/c', `"${command}"`], windowsVerbatimArguments: true };
  }
  return { kind: 'shell', file: shell, args: ['-c', command], windowsVerbatimArguments: false };
}

/**
 * Says in plain words why a command could not start, naming the offending value
 * (`shell not found: /bin/zsh`). Never "Unknown error". For E2BIG it tells a too-long command from a
 * too-large environment (`env`): the latter names its largest variable, never a value.
 *
 * @example
 * ```ts
 * describeSpawnError({ code: 'ENOENT' }, plan, '/srv') // 'shell not found: /bin/zsh'
 * ```
 */
export async function describeSpawnError(error: unknown, plan: SpawnPlan, cwd: string, env: Readonly<Record<string, string>> = {}): Promise<string> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') {
    // The child reports a working directory it cannot enter with the same codes as a bad program:
    // looked at only now, so the normal path pays no extra system call.
    const cwdProblem = await checkCwd(cwd);
    if (cwdProblem !== null) return cwdProblem;
  }
  const what = plan.kind === 'shell' ? 'shell' : plan.kind === 'script' ? 'interpreter' : 'command';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `${what} not found: ${plan.file}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${plan.file}`;
    case 'ENOEXEC':
      return `not an executable program (no #! line?): ${plan.file}`;
    case 'E2BIG':
      return describeTooBig(plan, env);
    case 'EAGAIN':
    case 'EMFILE':
    case 'ENFILE':
    case 'ENOMEM':
      return `cannot start ${plan.file}: out of processes, files or memory (${code})`;
    default: {
      const message = error instanceof Error && error.message !== '' ? error.message : String(code ?? error);
      return `cannot start ${plan.file}: ${message}`;
    }
  }
}

function argBytes(plan: SpawnPlan): number {
  return plan.args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, Buffer.byteLength(plan.file) + 1);
}

/** Linux's limit on one argument or one `NAME=value` string (MAX_ARG_STRLEN, 32 pages). */
const MAX_ARG_STRING_BYTES = 131_072;

/**
 * E2BIG: the arguments and the environment share one limit, and one string may not pass 128 KiB on Linux.
 * Blames the environment when one of its variables is over that, or when it is the larger part and no
 * argument is; names the largest variable (never its value, which may be a secret).
 */
function describeTooBig(plan: SpawnPlan, env: Readonly<Record<string, string>>): string {
  const commandBytes = argBytes(plan);
  const longestArgument = Math.max(Buffer.byteLength(plan.file), ...plan.args.map((arg) => Buffer.byteLength(arg))) + 1;
  let envBytes = 0;
  let largest = { name: '', bytes: 0 };
  const names = Object.keys(env);
  for (const name of names) {
    const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(env[name] ?? '') + 1;
    envBytes += bytes;
    if (bytes > largest.bytes) largest = { name, bytes };
  }
  const envToBlame = largest.bytes > MAX_ARG_STRING_BYTES || (longestArgument <= MAX_ARG_STRING_BYTES && envBytes >= commandBytes);
  if (!envToBlame) return `command too long for the system's argument limit (${commandBytes} bytes): start it from a script file`;
  const variables = names.length === 1 ? '1 variable' : `${names.length} variables`;
  return `environment too large for the system's limit (${envBytes} bytes in ${variables}; the largest is ${largest.name}, ${largest.bytes} bytes): pass large values in a file, not in the environment`;
}

/** What is wrong with the working directory, or `null` when it exists and may be entered. */
async function checkCwd(cwd: string): Promise<string | null> {
  try {
    const info = await stat(cwd);
    if (!info.isDirectory()) return `working directory is not a directory: ${cwd}`;
    await access(cwd, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `working directory does not exist: ${cwd}`;
    if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${cwd}`;
    return `working directory cannot be used: ${cwd} (${code ?? String(error)})`;
  }
}

type KillReason = 'timeout' | 'cancel';

/** A function, not an inline check: the signal can fire while `execute` awaits, which narrowing ignores. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

interface Running {
  /** The main process, leader of the command's process group and session. */
  readonly pid: number;
}

/** Polling intervals while waiting for the rest of a process group to go away. */
const GROUP_POLL_MS = [5, 10, 20, 40, 80, 100] as const;

/**
 * How many more looks, each with a SIGKILL for whatever is found, a sweep takes after the grace before
 * it settles anyway (at most about 0.5 s: a SIGKILLed process is gone within milliseconds, unless the
 * kernel holds it in uninterruptible I/O).
 */
const KILL_ROUNDS = 5;

/**
 * The default {@link Executor}: runs each command as a real process, kills its whole tree on timeout or
 * cancel, and never waits on a pipe that an orphan holds open.
 *
 * - String commands run as `shell -c command` (cmd.exe: `/d /s /c`); a command starting with a `#!`
 *   line (after blank or `#` lines) runs as a script for that interpreter from a private temp file,
 *   removed on every path; an argv array runs directly, with no shell. stdin is not connected.
 * - POSIX: each command leads its own process group and session. Timeout and cancel send SIGTERM to the
 *   group (on Linux also to every process of the session: `timeout`, `set -m` jobs), then SIGKILL after
 *   `killGraceMs`. When the main process exits by itself, what it left in its group (background jobs)
 *   gets the same SIGTERM → grace → SIGKILL, unless `keepBackground` is set. The result settles only
 *   once none of them is left. Only a process that calls `setsid` itself escapes a timeout or cancel.
 *   Windows: `taskkill /T /F` on the tree.
 * - The result settles on the main process's exit, after at most `drainMs` of reading what is left in
 *   the pipes. Output arrives line by line through `onOutput` (split at `\n`, `\r\n` and `\r`; see docs/executor.md).
 * - A start failure resolves with `error` in plain words; `execute` itself never rejects.
 *
 * See docs/executor.md.
 *
 * @example
 * ```ts
 * const executor = new ShellExecutor()
 * const result = await executor.execute({
 *   command: 'echo hello', shell: '/bin/bash', cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' },
 *   timeoutMs: 10_000, killGraceMs: 2_000, maxOutputBytes: 65_536,
 *   onOutput: (line, stream) => console.log(stream, line),
 * })
 * // result: { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: … }
 * ```
 */
export class ShellExecutor implements Executor {
  readonly #tempDir: string | undefined;
  readonly #drainMs: number;
  readonly #platform: NodeJS.Platform = process.platform;
  readonly #running = new Set<Running>();

  /**
   * @param options - See {@link ShellExecutorOptions}.
   * @throws ConfigError when an option is invalid.
   */
  constructor(options: ShellExecutorOptions = {}) {
    const parsed = parseOptions(optionsSchema, options, 'ShellExecutor options');
    this.#tempDir = parsed.tempDir;
    this.#drainMs = parsed.drainMs ?? DEFAULTS.drainMs;
  }

  /** How many commands are running now (started and not yet settled). */
  get running(): number {
    return this.#running.size;
  }

  /**
   * SIGKILLs the process group (Windows: the tree) of every command still running, without grace.
   * Their results still settle, as killed by `SIGKILL`. For a CLI's second Ctrl-C.
   *
   * @example
   * ```ts
   * process.once('SIGINT', () => { controller.abort(); process.once('SIGINT', () => executor.killAll()) })
   * ```
   */
  killAll(): void {
    if (this.#running.size === 0) return;
    // Synchronous: a CLI calls this on its way out. One look at /proc serves every command.
    const snapshot = this.#platform === 'linux' ? scanProcessesSync() : null;
    for (const { pid } of this.#running) {
      signalTree(pid, 'SIGKILL', this.#platform);
      if (snapshot !== null) signalSession(pid, 'SIGKILL', snapshot);
    }
  }

  /** Runs one command; see the class description. Resolves once, never rejects. */
  async execute(request: ExecRequest): Promise<ExecResult> {
    const startedAt = performance.now();
    const finish = (fields: Partial<ExecResult>): ExecResult => ({
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      error: null,
      durationMs: Math.round(performance.now() - startedAt),
      ...fields,
    });
    if (isAborted(request.signal)) return finish({ cancelled: true });

    if (typeof request.command !== 'string' && request.command.length === 0) return finish({ error: 'empty command: no program given' });

    let script: ScriptFile | null = null;
    try {
      if (typeof request.command === 'string' && parseShebang(request.command) !== null) {
        try {
          script = await writeScript(request.command, this.#tempDir);
        } catch (error) {
          // The OS's message names no path for a failed write (ENOSPC): say where.
          return finish({ error: `cannot write the script to a temporary file in ${this.#tempDir ?? tmpdir()}: ${(error as Error).message}` });
        }
      }
      if (isAborted(request.signal)) return finish({ cancelled: true });
      const plan = planSpawn(request.command, request.shell, script, this.#platform);
      return finish(await this.#run(request, plan, process.platform === 'win32' ? await windowsSpawn() : spawn));
    } finally {
      if (script !== null) await removeScript(script);
    }
  }

  /** Spawns the planned process and resolves with everything but `durationMs`. */
  #run(request: ExecRequest, plan: SpawnPlan, spawner: Spawner): Promise<Partial<ExecResult>> {
    const platform = this.#platform;
    const posix = platform !== 'win32';
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawner(plan.file, plan.args, {
          cwd: request.cwd,
          env: request.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: posix,
          windowsHide: true,
          windowsVerbatimArguments: plan.windowsVerbatimArguments,
        });
      } catch (error) {
        // Thrown synchronously: E2BIG, a NUL byte in an argument or the environment, …
        void describeSpawnError(error, plan, request.cwd, request.env).then((message) => resolve({ error: message }));
        return;
      }

      const { stdout, stderr } = child;
      const pid = child.pid;
      if (pid === undefined || stdout === null || stderr === null) {
        // The spawn failed; Node reports why with an 'error' event on the next tick.
        child.once('error', (error) => {
          stdout?.destroy();
          stderr?.destroy();
          void describeSpawnError(error, plan, request.cwd, request.env).then((message) => resolve({ error: message }));
        });
        return;
      }

      child.on('error', () => {
        // After a successful spawn Node reports only failures of child.kill(), which is not used.
      });
      try {
        request.onSpawn?.(pid);
      } catch {
        // A caller's callback never changes how the command runs.
      }
      let killReason: KillReason | null = null;
      let exited = false;
      let settled = false;
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      const cleanups: Array<() => void> = [];
      let cancelGrace: () => void = () => {};
      let cancelPoll: () => void = () => {};

      const splitters = {
        stdout: this.#splitter(request, 'stdout'),
        stderr: this.#splitter(request, 'stderr'),
      };
      let openStreams = 2;
      const onClose = (): void => {
        openStreams -= 1;
        if (openStreams === 0 && drainStarted) finalize();
      };
      for (const [stream, splitter] of [
        [stdout, splitters.stdout],
        [stderr, splitters.stderr],
      ] as const) {
        if (splitter === null) stream.resume();
        else stream.on('data', (chunk: Buffer) => splitter.write(chunk));
        stream.once('close', onClose);
        stream.on('error', () => {
          // A read error on our end of a pipe ends its output; the exit still settles the command.
        });
      }

      const running: Running = { pid };
      this.#running.add(running);

      let killDeadline = Number.POSITIVE_INFINITY;
      const startKill = (reason: KillReason): void => {
        if (exited || killReason !== null) return;
        killReason = reason;
        killDeadline = performance.now() + request.killGraceMs;
        void stopTree(pid, 'SIGTERM', platform);
        cancelGrace = startTimer(request.killGraceMs, () => void stopTree(pid, 'SIGKILL', platform));
      };

      let timeoutImmediate: NodeJS.Immediate | undefined;
      cleanups.push(
        startTimer(request.timeoutMs, () => {
          // Let this loop iteration's I/O poll run first: an exit that already happened (but was not yet
          // seen because the loop was busy) must not be reported as a timeout.
          timeoutImmediate = setImmediate(() => startKill('timeout'));
        }),
        () => clearImmediate(timeoutImmediate),
      );
      if (request.signal !== undefined) cleanups.push(onAbort(request.signal, () => startKill('cancel')));

      /**
       * After the main process exited: waits until no live process of the command's session (after a
       * timeout or a cancellation) or of its group (what a hook that ended by itself left there) is left,
       * SIGKILLing them when `graceMs` runs out and again at each later look, for at most
       * {@link KILL_ROUNDS} looks. So the result (and the next hook, e.g. a cleanup) never comes while
       * a process it stops still runs. See docs/executor.md, "Stopping a command".
       */
      const sweep = (graceMs: number, scope: TreeScope): void => {
        let killed = false;
        let roundsAfterKill = 0;
        let stopped = false;
        cancelGrace();
        cancelGrace = startTimer(graceMs, () => {
          killed = true;
          void stopTree(pid, 'SIGKILL', platform, scope);
        });
        let attempt = 0;
        const poll = (): void => {
          const delay = GROUP_POLL_MS[Math.min(attempt, GROUP_POLL_MS.length - 1)] ?? 100;
          attempt += 1;
          const cancelTimer = startTimer(delay, () => {
            void treeAlive(pid, platform, scope).then(async (alive) => {
              if (stopped) return;
              if (!alive) {
                drain();
                return;
              }
              if (killed) {
                roundsAfterKill += 1;
                if (roundsAfterKill > KILL_ROUNDS) {
                  drain();
                  return;
                }
                // What forked between the last look and the SIGKILL, or was not readable then.
                await stopTree(pid, 'SIGKILL', platform, scope);
                if (stopped) return;
              }
              poll();
            });
          });
          cancelPoll = () => {
            stopped = true;
            cancelTimer();
          };
        };
        poll();
      };

      let drainStarted = false;
      let cancelDrain: () => void = () => {};
      const drain = (): void => {
        if (drainStarted) return;
        drainStarted = true;
        cancelGrace();
        cancelPoll();
        if (openStreams === 0) {
          finalize();
          return;
        }
        cancelDrain = startTimer(this.#drainMs, () => {
          // Timers run before the I/O poll of a loop iteration: on a loop busy for longer than drainMs
          // (many spawns at once) the output already in the pipe would not have been read yet. An
          // immediate runs after that poll, so what the process wrote before exiting is never lost.
          const immediate = setImmediate(finalize);
          cancelDrain = () => clearImmediate(immediate);
        });
      };

      const finalize = (): void => {
        if (settled) return;
        settled = true;
        cancelDrain();
        cancelGrace();
        cancelPoll();
        // Whatever still holds the pipes (a kept background process) must not hold the result.
        stdout.destroy();
        stderr.destroy();
        splitters.stdout?.end();
        splitters.stderr?.end();
        this.#running.delete(running);
        resolve({ exitCode, signal: exitSignal, timedOut: killReason === 'timeout', cancelled: killReason === 'cancel' });
      };

      child.once('exit', (code, signal) => {
        exited = true;
        exitCode = code;
        exitSignal = signal;
        for (const cleanup of cleanups) cleanup();
        if (!posix) {
          drain();
          return;
        }
        if (killReason !== null) {
          // The tree already had SIGTERM; what is left of it gets the rest of the grace, then SIGKILL.
          sweep(Math.max(0, killDeadline - performance.now()), 'session');
          return;
        }
        if (request.keepBackground === true) {
          drain();
          return;
        }
        // Background processes left in the group: SIGTERM now, SIGKILL after the grace; a job the hook
        // moved into a group of its own is left running, whatever else it left (docs/executor.md). An
        // empty group costs one kill(2): no scan of every process on the machine after every hook.
        if (signalTree(pid, 'SIGTERM', platform)) sweep(request.killGraceMs, 'group');
        else drain();
      });
    });
  }

  #splitter(request: ExecRequest, stream: OutputStream): LineSplitter | null {
    const { onOutput, onOutputBytes } = request;
    if (onOutput === undefined && onOutputBytes === undefined) return null;
    const emit = (line: string): void => {
      try {
        onOutput?.(line, stream);
      } catch {
        // A throwing consumer must not crash the process from inside a stream event or stop the output.
      }
    };
    if (onOutputBytes === undefined) return new LineSplitter(request.maxOutputBytes, emit);
    return new LineSplitter(request.maxOutputBytes, emit, (bytes) => {
      try {
        onOutputBytes(bytes, stream);
      } catch {
        // As for onOutput.
      }
    });
  }
}
