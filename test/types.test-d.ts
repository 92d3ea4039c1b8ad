import { describe, expectTypeOf, it } from 'vitest';
import type { ExecRequest, JobStatus, TaskFailureCode, TaskResult } from '../src/index.js';

describe('public types tell the truth', () => {
  it('a JobResult status is only a final one; a failure carries a code', () => {
    expectTypeOf<JobStatus>().toEqualTypeOf<'completed' | 'completed_with_warnings' | 'failed' | 'cancelled' | 'interrupted' | 'skipped'>();
    expectTypeOf<TaskFailureCode>().toEqualTypeOf<'exit' | 'signal' | 'timeout' | 'cancelled' | 'spawn' | 'exception' | 'notifier' | 'rehearsal'>();
    expectTypeOf<TaskResult['failure']>().toEqualTypeOf<{ readonly code: TaskFailureCode; readonly message: string } | null>();
  });

  it('an ExecRequest needs only what running a command needs: task metadata is optional', () => {
    const request = { command: 'true', shell: '/bin/sh', cwd: '/', env: {}, timeoutMs: 1_000, killGraceMs: 100, maxOutputBytes: 1_024 };
    expectTypeOf(request).toExtend<ExecRequest>();
    expectTypeOf<ExecRequest['taskName']>().toEqualTypeOf<string | undefined>();
  });
});
