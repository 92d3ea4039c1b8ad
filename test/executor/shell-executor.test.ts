import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { ShellExecutor } from '../../src/executor/shell-executor.js';
import { copiedBytes, cutMarker } from '../../src/executor/line-splitter.js';
import { expected, FIXTURES, killMarked, MARKER_VAR, processesWithMarker, run, waitFor, withoutDuration } from './helpers.js';
import { failOnProcessWarnings } from '../support/processes.js';

/** Slack for a loaded 2-core machine on top of timeout + grace. Upper bounds only. */
const MARGIN_MS = 2_000;
/** Node timers may fire a millisecond or so early against performance.now(): lower bounds allow for it. */
const EARLY_MS = 50;

failOnProcessWarnings();

const executor = new ShellExecutor();

describe('ShellExecutor: normal runs', () => {
  it('streams stdout and stderr line by line and reports the exit code', async () => {
    const { result, stdout, stderr, marker } = await run(executor, { command: 'echo one; echo two >&2; printf "three\\nfour"; exit 3' });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 3 }));
    expect(stdout).toEqual(['one', 'three', 'four']);
    expect(stderr).toEqual(['two']);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('splits bare \\r progress redraws and \\r\\n into lines', async () => {
    const { result, stdout } = await run(executor, { command: './progress-cr.sh' });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual([' 10%', ' 50%', '100%', 'done']);
  });

  it('gives the child exactly request.env, the working directory, and no stdin', async () => {
    const env = { PATH: '/usr/bin:/bin', ONLY_THIS: 'yes' };
    const printed = await run(executor, { command: ['/usr/bin/env'], env });
    expect(printed.result.exitCode).toBe(0);
    expect(printed.stdout.sort()).toEqual(['JH_TEST_MARKER=' + printed.marker, 'LANG=C.UTF-8', 'ONLY_THIS=yes', 'PATH=/usr/bin:/bin']);

    const where = await run(executor, { command: 'pwd; cat; echo "stdin-closed:$?"', cwd: '/tmp' });
    expect(withoutDuration(where.result)).toEqual(expected({ exitCode: 0 }));
    expect(where.stdout).toEqual(['/tmp', 'stdin-closed:0']);
  });

  it('runs an argv array directly, with no shell interpreting it', async () => {
    const { result, stdout } = await run(executor, { command: ['/bin/echo', '$HOME', '; echo not-a-second-command'] });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual(['$HOME ; echo not-a-second-command']);
  });

  it('drains output nobody listens to, so a chatty command cannot block on a full pipe', async () => {
    const request = { command: 'head -c 3000000 /dev/zero; echo done >&2' };
    const { makeRequest } = await import('./helpers.js');
    const result = await executor.execute(makeRequest({ ...request, timeoutMs: 10_000 }));
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
  });

  it('keeps going when onOutput throws', async () => {
    const { result, stdout } = await run(executor, {
      command: 'echo a; echo b',
      onOutput: () => {
        throw new Error('listener bug');
      },
    });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual(['a', 'b']);
  });

  it('accepts a timeout beyond Node timer range without firing early or warning', async () => {
    const { result, stdout } = await run(executor, { command: 'sleep 0.2; echo slept', timeoutMs: 2 ** 31 + 10, killGraceMs: 2 ** 32 });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual(['slept']);
  });
});

describe('ShellExecutor: output edge cases', () => {
  it('cuts a 5 MiB line to its last maxOutputBytes bytes, marked, and flushes the unterminated last line', async () => {
    const maxOutputBytes = 65_536;
    const { result, stdout, marker } = await run(executor, { command: './five-mb-line.sh', maxOutputBytes });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    const lineBytes = 5 * 1024 * 1024 + 'END'.length;
    expect(stdout).toEqual([cutMarker(lineBytes - maxOutputBytes) + 'x'.repeat(maxOutputBytes - 3) + 'END', 'last-without-newline']);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('delivers a 64 MiB line without a newline whole, copying each byte at most 3 times (linear, not quadratic)', async () => {
    const lineBytes = 64 * 1024 * 1024;
    const lengths: number[] = [];
    let head = '';
    let tail = '';
    const before = copiedBytes();
    const { result } = await run(executor, {
      command: `head -c ${lineBytes - 3} /dev/zero | tr '\\0' x; printf END`,
      maxOutputBytes: 128 * 1024 * 1024,
      onOutput: (line) => {
        lengths.push(line.length);
        head = line.slice(0, 3);
        tail = line.slice(-3);
      },
    });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect([lengths, head, tail]).toEqual([[lineBytes], 'xxx', 'END']);
    expect(copiedBytes() - before).toBeLessThanOrEqual(3 * lineBytes);
  });

  it('decodes invalid UTF-8 with U+FFFD and a character split across writes correctly', async () => {
    const { result, stdout } = await run(executor, { command: './invalid-utf8.sh' });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual(['bad \uFFFD\uFFFD end', 'café']);
  });
});

describe('ShellExecutor: killing whole trees', () => {
  it('times out `sleep 30; echo x` (Borgitory kept the sleep and waited 5 s more): group killed at the timeout, output kept', async () => {
    const timeoutMs = 400;
    const killGraceMs = 1_000;
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: 'echo before; sleep 30; echo x', timeoutMs, killGraceMs });
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', timedOut: true }));
    expect(stdout).toEqual(['before']);
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - EARLY_MS);
    expect(elapsedMs).toBeLessThan(timeoutMs + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('sends SIGTERM once: a program that shuts down slowly after it (as borg rolls back) is not killed by a second', async () => {
    // Like borg: the first SIGTERM starts a shutdown and puts back the default action, under which
    // a second SIGTERM would kill it mid-rollback.
    const script = "process.once('SIGTERM', () => setTimeout(() => process.exit(143), 400)); console.log('ready'); setInterval(() => {}, 1000)";
    const { result, stdout, marker } = await run(executor, { command: [process.execPath, '-e', script], timeoutMs: 300, killGraceMs: 5_000 });
    expect(stdout).toEqual(['ready']);
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 143, timedOut: true }));
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('SIGKILLs a hook that ignores SIGTERM after killGraceMs', async () => {
    const timeoutMs = 300;
    const killGraceMs = 500;
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: './ignores-sigterm.sh', timeoutMs, killGraceMs });
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGKILL', timedOut: true }));
    expect(stdout).toEqual(['ready']);
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs + killGraceMs - EARLY_MS);
    expect(elapsedMs).toBeLessThan(timeoutMs + killGraceMs + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('does not wait on a grandchild holding stdout: it gets the grace, then SIGKILL, and the result follows', async () => {
    const timeoutMs = 500;
    const killGraceMs = 600;
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: './grandchild-holds-stdout.sh', timeoutMs, killGraceMs });
    // The main bash dies of the SIGTERM; the grandchild ignores it and is SIGKILLed at the end of the grace.
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', timedOut: true }));
    expect(stdout).toEqual(['grandchild-started', 'main-started']);
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs + killGraceMs - EARLY_MS);
    expect(elapsedMs).toBeLessThan(timeoutMs + killGraceMs + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('reports a timeout even when the hook handles SIGTERM and exits 0', async () => {
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: './term-exits-zero.sh', timeoutMs: 300, killGraceMs: 5_000 });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0, timedOut: true }));
    expect(stdout).toEqual(['ready', 'got-term']);
    expect(elapsedMs).toBeLessThan(300 + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('continues a stopped hook when it times out, so its SIGTERM handler runs within the grace (as systemd does)', async () => {
    const command = "trap 'echo got-term; exit 0' TERM; echo stopping; kill -STOP $$; echo continued-without-term";
    const { result, stdout, elapsedMs, marker } = await run(executor, { command, timeoutMs: 300, killGraceMs: 5_000 });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0, timedOut: true }));
    expect(stdout).toEqual(['stopping', 'got-term']);
    expect(elapsedMs).toBeLessThan(300 + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('kills the background processes a hook leaves when it exits (like CI runners)', async () => {
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: './background-sleep.sh', killGraceMs: 5_000 });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
    expect(stdout).toEqual(['started']);
    // `sleep 300` dies of the SIGTERM at once: no grace wasted, no wait on the pipe it held.
    expect(elapsedMs).toBeLessThan(MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('keepBackground: true leaves them running and still settles at once despite the held pipe', async () => {
    const { result, stdout, elapsedMs, marker } = await run(executor, { command: './background-sleep.sh', keepBackground: true });
    try {
      expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
      expect(stdout).toEqual(['started']);
      expect(elapsedMs).toBeLessThan(MARGIN_MS);
      expect(processesWithMarker(marker)).toHaveLength(1);
    } finally {
      killMarked(marker);
    }
  });

  it('reports a process killed by a signal of its own (kill -9 $$)', async () => {
    const { result, stdout, marker } = await run(executor, { command: './kill-self.sh' });
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGKILL' }));
    expect(stdout).toEqual(['before']);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

describe('ShellExecutor: cancellation', () => {
  it('cancels mid-command via AbortSignal: tree gone, cancelled: true, output kept', async () => {
    const controller = new AbortController();
    const killGraceMs = 1_000;
    let cancelledAt = 0;
    const { result, stdout, elapsedMs, marker } = await run(executor, {
      command: 'sleep 60 & sleep 60 & echo ready; wait',
      killGraceMs,
      signal: controller.signal,
      onOutput: (line) => {
        if (line === 'ready') {
          cancelledAt = performance.now();
          controller.abort();
        }
      },
    });
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', cancelled: true }));
    expect(stdout).toEqual(['ready']);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(killGraceMs + MARGIN_MS);
    expect(processesWithMarker(marker)).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { result, lines, marker } = await run(executor, { command: 'echo should-not-run', signal: controller.signal });
    expect(withoutDuration(result)).toEqual(expected({ cancelled: true }));
    expect(lines).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('keeps the timeout as the reason when a cancel comes during the grace', async () => {
    const controller = new AbortController();
    const pending = run(executor, { command: './ignores-sigterm.sh', timeoutMs: 200, killGraceMs: 600, signal: controller.signal });
    setTimeout(() => controller.abort(), 400);
    const { result, marker } = await pending;
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGKILL', timedOut: true }));
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('killAll() SIGKILLs every running command at once, without waiting for the grace', async () => {
    const local = new ShellExecutor();
    const started: string[] = [];
    const runs = [0, 1, 2].map((index) =>
      run(local, { command: './ignores-sigterm.sh', killGraceMs: 60_000, onOutput: (line) => started.push(`${index}:${line}`) }),
    );
    await waitFor(() => started.length === 3);
    expect(local.running).toBe(3);
    const before = performance.now();
    local.killAll();
    const results = await Promise.all(runs);
    expect(performance.now() - before).toBeLessThan(MARGIN_MS);
    expect(local.running).toBe(0);
    for (const { result, marker } of results) {
      expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGKILL' }));
      expect(processesWithMarker(marker)).toEqual([]);
    }
  });
});

describe('ShellExecutor: start failures in plain words', () => {
  it.each([
    ['a missing shell', { command: 'echo x', shell: '/nonexistent/zsh' }, 'shell not found: /nonexistent/zsh'],
    ['a missing working directory', { command: 'echo x', cwd: '/nope' }, 'working directory does not exist: /nope'],
    ['a working directory that is a file', { command: 'echo x', cwd: join(FIXTURES, 'kill-self.sh') }, `working directory is not a directory: ${join(FIXTURES, 'kill-self.sh')}`],
    ['a missing program (argv form)', { command: ['foo-not-installed-anywhere', '--help'] }, 'command not found: foo-not-installed-anywhere'],
    ['a non-executable program (argv form)', { command: ['./not-executable.sh'] }, 'permission denied: ./not-executable.sh'],
    ['a missing interpreter', { command: '#!/usr/bin/python9\nprint(1)' }, 'interpreter not found: /usr/bin/python9'],
    ['an empty argv', { command: [] as string[] }, 'empty command: no program given'],
  ])('%s', async (_what, overrides, message) => {
    const { result, lines, elapsedMs } = await run(executor, overrides);
    expect(withoutDuration(result)).toEqual(expected({ error: message }));
    expect(lines).toEqual([]);
    expect(elapsedMs).toBeLessThan(MARGIN_MS);
  });

  it('leaves bash its own report (exit 126) for a non-executable script run through the shell', async () => {
    // The fixture must really lack the exec bit, or this test would prove nothing.
    expect(statSync(join(FIXTURES, 'not-executable.sh')).mode & 0o111).toBe(0);
    const { result, stdout, stderr } = await run(executor, { command: './not-executable.sh' });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 126 }));
    expect(stdout).toEqual([]);
    expect(stderr).toEqual(['/bin/bash: line 1: ./not-executable.sh: Permission denied']);
  });

  it('says so when a command is too long for the system argument limit', async () => {
    const command = `echo ${'x'.repeat(200_000)}`;
    const { result } = await run(executor, { command });
    expect(result.error).toBe(`command too long for the system's argument limit (${'/bin/bash'.length + 1 + 3 + command.length + 1} bytes): start it from a script file`);
  });

  /** Bytes of an environment as the system counts its strings: `NAME=value` and a NUL each. */
  const envBytes = (env: Record<string, string>): number =>
    Object.entries(env).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value) + 2, 0);

  it('says the environment is too large, with its size and its largest variable (name only), for a 50 MB value', async () => {
    const marker = randomUUID();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', JOBHOOKS_DUMP_LIST: 'x'.repeat(50_000_000), [MARKER_VAR]: marker };
    const { result } = await run(executor, { command: 'echo hi', env });
    expect(withoutDuration(result)).toEqual(
      expected({
        error: `environment too large for the system's limit (${envBytes(env)} bytes in 4 variables; the largest is JOBHOOKS_DUMP_LIST, ${'JOBHOOKS_DUMP_LIST'.length + 50_000_002} bytes): pass large values in a file, not in the environment`,
      }),
    );
  });

  it('blames the environment when many variables under the per-string limit add up past the total', async () => {
    const marker = randomUUID();
    const env: Record<string, string> = { [MARKER_VAR]: marker, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
    for (let index = 0; index < 40; index += 1) env[`PART_${index}`] = 'y'.repeat(index === 7 ? 120_000 : 100_000);
    const { result } = await run(executor, { command: 'echo hi', env });
    expect(result.error).toBe(
      `environment too large for the system's limit (${envBytes(env)} bytes in 43 variables; the largest is PART_7, ${'PART_7'.length + 120_002} bytes): pass large values in a file, not in the environment`,
    );
  });

  it('names the problem when the environment holds a NUL byte', async () => {
    const { result } = await run(executor, { command: 'true', env: { BAD: 'a\0b' } });
    expect(result.error).toMatch(/^cannot start \/bin\/bash: /);
    expect(result.error).not.toContain('Unknown error');
  });
});

describe('ShellExecutor: shebang scripts', () => {
  let tempDir = '';
  beforeEach(() => {
    tempDir = mkdtempSync(join(tmpdir(), 'jobhooks-executor-test-'));
  });
  afterEach(() => {
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('runs the documented Python hook (a comment line before #!) with its JOBHOOKS_* variables', async () => {
    const local = new ShellExecutor({ tempDir });
    const command = readFileSync(join(FIXTURES, 'python-env.py'), 'utf8');
    const { result, stdout, stderr, marker } = await run(local, {
      command,
      env: { JOBHOOKS_JOB_ID: 'job-42', JOBHOOKS_HOOK_NAME: 'Database Dump', JOBHOOKS_TASK_INDEX: '0', EXIT_CODE: '4' },
    });
    expect(withoutDuration(result)).toEqual(expected({ exitCode: 4 }));
    expect(stdout).toEqual(['JOBHOOKS_JOB_ID=job-42', 'JOBHOOKS_HOOK_NAME=Database Dump', 'JOBHOOKS_TASK_INDEX=0', 'argv0-is-script hook']);
    expect(stderr).toEqual(['to-stderr']);
    expect(readdirSync(tempDir)).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('keeps the line numbers of the script in interpreter errors', async () => {
    const local = new ShellExecutor({ tempDir });
    const { result, stderr } = await run(local, { command: '# comment\n\n#!/usr/bin/env python3\nimport sys\nraise SystemExit(undefined_name)' });
    expect(result.exitCode).toBe(1);
    expect(stderr).toContain(`  File "${stderr.join('\n').match(/File "([^"]+)"/)?.[1] ?? ''}", line 5, in <module>`);
    expect(stderr.at(-1)).toBe("NameError: name 'undefined_name' is not defined");
  });

  it('removes the private script directory on every path: success, failure, timeout, cancel, missing interpreter', async () => {
    const local = new ShellExecutor({ tempDir });
    const seen: string[] = [];
    const watch = (line: string): void => {
      seen.push(...readdirSync(tempDir));
      void line;
    };
    const controller = new AbortController();
    const outcomes = await Promise.all([
      run(local, { command: '#!/bin/bash\necho ok', onOutput: watch }),
      run(local, { command: '#!/bin/bash\necho failing; exit 7', onOutput: watch }),
      run(local, { command: '#!/bin/bash\necho slow; sleep 30', timeoutMs: 300, killGraceMs: 300, onOutput: watch }),
      run(local, {
        command: '#!/bin/sh\necho cancel-me; sleep 30',
        signal: controller.signal,
        onOutput: (line) => {
          watch(line);
          controller.abort();
        },
      }),
      run(local, { command: '#!/nonexistent/interpreter\n' }),
    ]);
    expect(outcomes.map(({ result }) => withoutDuration(result))).toEqual([
      expected({ exitCode: 0 }),
      expected({ exitCode: 7 }),
      expected({ signal: 'SIGTERM', timedOut: true }),
      expected({ signal: 'SIGTERM', cancelled: true }),
      expected({ error: 'interpreter not found: /nonexistent/interpreter' }),
    ]);
    // The script directories did exist while the scripts ran…
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((name) => name.startsWith('jobhooks-'))).toBe(true);
    // …and none is left.
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('writes the script into a 0700 directory as a 0700 file', async () => {
    const local = new ShellExecutor({ tempDir });
    const { result, stdout } = await run(local, { command: '#!/bin/bash\nstat -c %a "$(dirname "$0")" "$0"' });
    expect(result.exitCode).toBe(0);
    expect(stdout).toEqual(['700', '700']);
  });
});

describe('ShellExecutor: many at once', () => {
  it('runs 50 commands at once under one shared signal: all correct, no strays, no listener left', async () => {
    const local = new ShellExecutor();
    const controller = new AbortController();
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        run(local, {
          // Each also leaves a background sleep, which must be killed with its group.
          command: `sleep 300 & echo "out-${index}"; echo "err-${index}" >&2; exit $((${index} % 4))`,
          signal: controller.signal,
          taskIndex: index,
        }),
      ),
    );
    runs.forEach(({ result, stdout, stderr }, index) => {
      expect(withoutDuration(result)).toEqual(expected({ exitCode: index % 4 }));
      expect(stdout).toEqual([`out-${index}`]);
      expect(stderr).toEqual([`err-${index}`]);
    });
    for (const { marker } of runs) expect(processesWithMarker(marker)).toEqual([]);
    expect(local.running).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('ShellExecutor options', () => {
  it('rejects unknown and invalid options with a ConfigError naming them', () => {
    expect(() => new ShellExecutor({ drainMs: -1 })).toThrow(ConfigError);
    expect(() => new ShellExecutor({ tempdir: '/tmp' } as never)).toThrow(/tempdir/);
  });
});
