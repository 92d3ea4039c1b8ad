import { describe, expectTypeOf, it } from 'vitest';
import type { ExecRequest, JobEventName, JobStatus, TaskFailureCode, TaskResult } from '../src/index.js';
import type { JOB_EVENT_NAMES } from '../src/testing.js';

describe('public types tell the truth', () => {
  it('a JobResult status is only a final one; a failure carries a code', () => {
    expectTypeOf<JobStatus>().toEqualTypeOf<'completed' | 'completed_with_warnings' | 'failed' | 'cancelled' | 'interrupted' | 'skipped'>();
    expectTypeOf<TaskFailureCode>().toEqualTypeOf<'exit' | 'signal' | 'timeout' | 'cancelled' | 'spawn' | 'exception' | 'notifier' | 'rehearsal'>();
    expectTypeOf<TaskResult['failure']>().toEqualTypeOf<{ readonly code: TaskFailureCode; readonly message: string } | null>();
  });

  it('JOB_EVENT_NAMES (collectEvents, watch) lists every event there is', () => {
    expectTypeOf<Exclude<JobEventName, (typeof JOB_EVENT_NAMES)[number]>>().toEqualTypeOf<never>();
  });

  it('an ExecRequest needs only what running a command needs: task metadata is optional', () => {
    const request = { command: 'true', shell: '/bin/sh', cwd: '/', env: {}, timeoutMs: 1_000, killGraceMs: 100, maxOutputBytes: 1_024 };
    expectTypeOf(request).toExtend<ExecRequest>();
    expectTypeOf<ExecRequest['taskName']>().toEqualTypeOf<string | undefined>();
  });
});
