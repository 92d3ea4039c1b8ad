import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecRequest, ExecResult, Executor, OutputStream } from '../../src/executor/types.js';
import { processesWithEnv } from '../support/processes.js';

/** The directory of one-behaviour scripts. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * The variable every test process carries, so its leftovers can be found in /proc. Deliberately without
 * the `JOBHOOKS_` prefix, which the engine strips from inherited environments.
 */
export const MARKER_VAR = 'JH_TEST_MARKER';

/** Builds a complete request with a fresh marker in its environment. */
export function makeRequest(overrides: Partial<ExecRequest> = {}): ExecRequest & { readonly marker: string } {
  const marker = overrides.env?.[MARKER_VAR] ?? randomUUID();
  return {
    command: 'true',
    shell: '/bin/bash',
    cwd: FIXTURES,
    timeoutMs: 10_000,
    killGraceMs: 1_000,
    maxOutputBytes: 65_536,
    taskName: 'test-hook',
    taskIndex: 0,
    jobId: 'test-job',
    ...overrides,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...overrides.env, [MARKER_VAR]: marker },
    marker,
  };
}

export interface Line {
  readonly stream: OutputStream;
  readonly line: string;
}

export interface Run {
  readonly result: ExecResult;
  /** Every line, in arrival order, `stream:line`. */
  readonly lines: string[];
  readonly stdout: string[];
  readonly stderr: string[];
  readonly elapsedMs: number;
  readonly marker: string;
}

/** Runs one request through `executor`, collecting its lines and its wall-clock time. */
export async function run(executor: Executor, overrides: Partial<ExecRequest> = {}): Promise<Run> {
  const lines: string[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  const request = makeRequest({
    ...overrides,
    onOutput: (line, stream) => {
      lines.push(`${stream}:${line}`);
      (stream === 'stdout' ? stdout : stderr).push(line);
      overrides.onOutput?.(line, stream);
    },
  });
  const started = performance.now();
  const result = await executor.execute(request);
  return { result, lines, stdout, stderr, elapsedMs: performance.now() - started, marker: request.marker };
}

/** PIDs of live processes whose environment carries `MARKER_VAR=marker` (see test/support/processes.ts). */
export function processesWithMarker(marker: string): number[] {
  return processesWithEnv(MARKER_VAR, marker);
}

/** Kills whatever carries `marker` (cleanup after a test that keeps processes on purpose). */
export function killMarked(marker: string): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A result with every field at its "nothing happened" value, for exact comparisons. */
export function expected(fields: Partial<ExecResult>): Omit<ExecResult, 'durationMs'> {
  return { exitCode: null, signal: null, timedOut: false, cancelled: false, error: null, ...fields };
}

/** The result without its duration (asserted separately, as bounds). */
export function withoutDuration(result: ExecResult): Omit<ExecResult, 'durationMs'> {
  const { durationMs: _durationMs, ...rest } = result;
  return rest;
}

/** The process group and session of a live process, from /proc/N/stat, or `null` when it is gone. */
export function groupAndSession(pid: number): { readonly pgid: number; readonly sid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return { pgid: Number(fields[2]), sid: Number(fields[3]) };
  } catch {
    return null;
  }
}

/** PIDs of the live processes of session `sid`. */
export function processesInSession(sid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => groupAndSession(pid)?.sid === sid);
}

/** Waits `ms` (to see whether something keeps happening, never to measure speed). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
