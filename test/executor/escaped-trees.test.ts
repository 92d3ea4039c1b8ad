import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShellExecutor } from '../../src/executor/shell-executor.js';
import { expected, groupAndSession, killMarked, MARKER_VAR, pause, processesInSession, processesWithMarker, run, waitFor, withoutDuration } from './helpers.js';
import { failOnProcessWarnings } from '../support/processes.js';

failOnProcessWarnings();

const executor = new ShellExecutor();

let dir = '';
let file = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jh-escape-'));
  file = join(dir, 'writes');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writes(): number {
  try {
    return readFileSync(file, 'latin1').length;
  } catch {
    return 0;
  }
}

/**
 * Positive control: waits until the writer has written twice, and checks that it is alive in another
 * process group than the hook's, in the hook's session. Returns that session.
 */
async function escapedWriterSession(marker: string): Promise<number> {
  await waitFor(() => writes() >= 4);
  const members = processesWithMarker(marker).map(groupAndSession);
  const sessions = new Set(members.map((member) => member?.sid));
  expect(sessions.size).toBe(1);
  const [sid = 0] = [...sessions];
  expect(members.some((member) => member !== null && member.pgid !== sid)).toBe(true);
  return sid;
}

/** After the result: the file stops growing, and no process of the session or with the marker is left. */
async function expectNothingLeft(marker: string, sid: number): Promise<void> {
  const size = writes();
  await pause(400);
  expect(writes()).toBe(size);
  expect(processesWithMarker(marker)).toEqual([]);
  expect(processesInSession(sid)).toEqual([]);
}

const escapes = [
  ['coreutils timeout', 'timeout 100 ./append-forever.sh "$OUT"; echo after'],
  ['a `set -m` background job', 'set -m; ./append-forever.sh "$OUT" & wait'],
  ['a program that makes its own group', `python3 -c 'import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])' ./append-forever.sh "$OUT"; echo after`],
] as const;

describe('ShellExecutor: processes that leave the group but stay in the session', () => {
  it.each(escapes)('cancel stops %s before the result: nothing of it writes afterwards', async (_name, command) => {
    const marker = randomUUID();
    const controller = new AbortController();
    const pending = run(executor, { command, env: { OUT: file, [MARKER_VAR]: marker }, killGraceMs: 1_000, signal: controller.signal });
    const sid = await escapedWriterSession(marker);
    controller.abort();
    const { result } = await pending;
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', cancelled: true }));
    await expectNothingLeft(marker, sid);
  });

  it.each(escapes)('a timeout stops %s before the result: nothing of it writes afterwards', async (_name, command) => {
    const marker = randomUUID();
    const pending = run(executor, { command, env: { OUT: file, [MARKER_VAR]: marker }, timeoutMs: 1_500, killGraceMs: 1_000 });
    const sid = await escapedWriterSession(marker);
    const { result } = await pending;
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', timedOut: true }));
    await expectNothingLeft(marker, sid);
  });

  it('SIGKILLs a session member that ignores SIGTERM at the end of the grace, before the result', async () => {
    const marker = randomUUID();
    const controller = new AbortController();
    const command = `set -m; sh -c 'trap "" TERM; exec ./append-forever.sh "$OUT"' & wait`;
    const pending = run(executor, { command, env: { OUT: file, [MARKER_VAR]: marker }, killGraceMs: 300, signal: controller.signal });
    const sid = await escapedWriterSession(marker);
    controller.abort();
    const { result } = await pending;
    expect(withoutDuration(result)).toEqual(expected({ signal: 'SIGTERM', cancelled: true }));
    await expectNothingLeft(marker, sid);
  });

  const inGroup = './append-forever.sh "$OUT" & while [ ! -s "$OUT" ]; do sleep 0.01; done; echo started';
  const leavesWriter = 'set -m; ./append-forever.sh "$OUT" & while [ ! -s "$OUT" ]; do sleep 0.01; done; echo started';

  it('after a normal exit sweeps the hook\'s own group, and leaves a job that made a group of its own (no scan per hook)', async () => {
    const swept = await run(executor, { command: inGroup, env: { OUT: file }, killGraceMs: 1_000 });
    expect(withoutDuration(swept.result)).toEqual(expected({ exitCode: 0 }));
    const size = writes();
    await pause(400);
    expect(writes()).toBe(size);
    expect(processesWithMarker(swept.marker)).toEqual([]);

    rmSync(file);
    const { result, marker } = await run(executor, { command: leavesWriter, env: { OUT: file }, killGraceMs: 1_000 });
    try {
      expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
      expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(1);
      const before = writes();
      await waitFor(() => writes() > before);
    } finally {
      killMarked(marker);
    }
  });

  it('what a hook that ended left in its own group is stopped; the job it moved into a group of its own is not touched', async () => {
    const term = join(dir, 'term');
    // A `set -m` job that would note a SIGTERM, and a plain `&` job in the hook's group.
    const command = [
      `set -m; sh -c 'trap "echo TERM >> \\"$TERMLOG\\"; exit 0" TERM; while :; do echo x >> "$OUT"; sleep 0.05; done' &`,
      'set +m; sleep 101 &',
      'while [ ! -s "$OUT" ]; do sleep 0.01; done; echo started',
    ].join('\n');
    const { result, marker } = await run(executor, { command, env: { OUT: file, TERMLOG: term }, killGraceMs: 5_000 });
    try {
      expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
      // Settled as soon as its group was empty, not at the end of the grace.
      expect(result.durationMs).toBeLessThan(4_000);
      const left = processesWithMarker(marker);
      expect(left.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()).filter((line) => line === 'sleep 101')).toEqual([]);
      const before = writes();
      await waitFor(() => writes() > before);
      expect(existsSync(term)).toBe(false);
    } finally {
      killMarked(marker);
    }
  });

  it('keepBackground: true leaves a job in the hook\'s own group running', async () => {
    const { result, marker } = await run(executor, { command: inGroup, env: { OUT: file }, keepBackground: true });
    try {
      expect(withoutDuration(result)).toEqual(expected({ exitCode: 0 }));
      expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(1);
      const size = writes();
      await waitFor(() => writes() > size);
    } finally {
      killMarked(marker);
    }
  });
});
