import { describe, expect, it, vi } from 'vitest';
import { TASK_TRANSITIONS, transition, type MutableTaskResult } from '../src/status.js';
import type { TaskStatus } from '../src/types.js';

const STATUSES: TaskStatus[] = ['pending', 'running', 'completed', 'failed', 'skipped'];
const ALLOWED = new Set(['pending→running', 'pending→skipped', 'running→completed', 'running→failed']);

function task(status: TaskStatus): MutableTaskResult {
  return {
    index: 2, type: 'hook', name: 'Stop Services', phase: 'pre', status, critical: false, runOnJobFailure: false,
    exitCode: null, signal: null, timedOut: false, cancelled: false, warning: false, error: null, failure: null, skipReason: null,
    output: '', outputTruncated: false, startedAt: status === 'running' ? '2026-01-01T00:00:00.000Z' : null,
    finishedAt: null, durationMs: null, data: null, attempts: 0,
  };
}

describe('task status machine (docs/execution-flow.md#task-statuses)', () => {
  it('declares exactly the four allowed moves', () => {
    const declared = STATUSES.flatMap((from) => TASK_TRANSITIONS[from].map((to) => `${from}→${to}`));
    expect(new Set(declared)).toEqual(ALLOWED);
  });

  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const move = `${from}→${to}`;
      if (ALLOWED.has(move)) {
        it(`allows ${move} and emits exactly one event`, () => {
          const listener = vi.fn();
          const subject = task(from);
          transition(subject, to, listener, {}, new Date('2026-01-01T00:00:01.500Z'));
          expect(subject.status).toBe(to);
          expect(listener).toHaveBeenCalledTimes(1);
          expect(listener).toHaveBeenCalledWith(to === 'running' ? 'taskStart' : 'taskEnd', expect.any(Function));
          expect(listener.mock.calls[0]?.[1]()).toEqual({ ...subject });
          if (to === 'running') {
            expect(subject.startedAt).toBe('2026-01-01T00:00:01.500Z');
          } else {
            expect(subject.finishedAt).toBe('2026-01-01T00:00:01.500Z');
            expect(subject.durationMs).toBe(from === 'running' ? 1500 : null);
          }
        });
      } else {
        it(`rejects ${move}, naming from and to, and emits nothing`, () => {
          const listener = vi.fn();
          const subject = task(from);
          expect(() => transition(subject, to, listener)).toThrow(
            expect.objectContaining({
              code: 'ERR_ILLEGAL_TRANSITION',
              message: `Illegal task status change from '${from}' to '${to}' (task 2 'Stop Services')`,
            }),
          );
          expect(subject.status).toBe(from);
          expect(listener).not.toHaveBeenCalled();
        });
      }
    }
  }

  it('passes the listener a snapshot, not the live object', () => {
    const snapshots: unknown[] = [];
    const subject = task('pending');
    transition(subject, 'running', (_event, snapshot) => snapshots.push(snapshot()));
    subject.error = 'changed later';
    expect(snapshots[0]).toMatchObject({ error: null, status: 'running' });
  });
});
