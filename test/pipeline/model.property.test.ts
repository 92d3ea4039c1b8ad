import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobPipeline, type HookConfig, type Task } from '../../src/index.js';
import { FakeExecutor, RecordingNotifier } from '../../src/testing.js';

// A small reference model of the rules of docs/execution-flow.md and docs/hooks.md,
// written from the docs, independent of the engine.

/**
 * A hook's command: `ok`; `fail` (exit 1 every time); `flaky` (exit 1 `flakyFailures` times, then 0);
 * `skip` (exit 75: a pre-hook asks to skip the job, a post-hook just fails); `warn` (exit 3, a warning code).
 */
type HookOutcome = 'ok' | 'fail' | 'flaky' | 'skip' | 'warn';
type HookSpec = {
  critical: boolean;
  continueOnFailure: boolean;
  runOnJobFailure: boolean;
  outcome: HookOutcome;
  retries: number;
  flakyFailures: number;
  /** Post-hooks: `cleanupFor` the pre-hook at this position (none when there is no such pre-hook). */
  cleanupFor: number | null;
};
type MainSpec = { type: 'backup' | 'prune' | 'check'; critical: boolean | undefined; outcome: 'ok' | 'fail' | 'throw' | 'warn' };
type JobSpec = { pre: HookSpec[]; main: MainSpec[]; post: HookSpec[]; notifier: 'none' | 'ok' | 'fail' };

const hookSpec = fc.record({
  critical: fc.boolean(),
  continueOnFailure: fc.boolean(),
  runOnJobFailure: fc.boolean(),
  outcome: fc.constantFrom<HookOutcome>('ok', 'fail', 'flaky', 'skip', 'warn'),
  retries: fc.nat(2),
  flakyFailures: fc.integer({ min: 1, max: 3 }),
  cleanupFor: fc.option(fc.nat(5), { nil: null }),
});
const mainSpec = fc.record({
  type: fc.constantFrom('backup' as const, 'prune' as const, 'check' as const),
  critical: fc.option(fc.boolean(), { nil: undefined }),
  outcome: fc.constantFrom('ok' as const, 'fail' as const, 'throw' as const, 'warn' as const),
});
const jobSpec = fc.record({
  pre: fc.array(hookSpec, { maxLength: 5 }),
  main: fc.array(mainSpec, { maxLength: 3 }),
  post: fc.array(hookSpec, { maxLength: 5 }),
  notifier: fc.constantFrom('none' as const, 'ok' as const, 'fail' as const),
});

const REASONS = {
  critical_hook_failure: 'Task skipped due to critical hook failure',
  critical_task_failure: 'Task skipped due to critical task failure',
  critical_task_exception: 'Task skipped due to critical task exception',
} as const;

interface ModelTask { phase: 'pre' | 'main' | 'post' | 'notification'; type: string; name: string; status: string; skipReason: string | null; warning: boolean; attempts: number }

/** How a hook's command ends when it runs: status, warning, attempts made, whether it asks to skip the job. */
function hookRun(h: HookSpec, phase: 'pre' | 'post'): { fails: boolean; warns: boolean; attempts: number; skips: boolean } {
  const all = h.retries + 1;
  switch (h.outcome) {
    case 'ok':
      return { fails: false, warns: false, attempts: 1, skips: false };
    case 'warn':
      return { fails: false, warns: true, attempts: 1, skips: false };
    case 'fail':
      return { fails: true, warns: false, attempts: all, skips: false };
    case 'flaky':
      return h.flakyFailures < all ? { fails: false, warns: false, attempts: h.flakyFailures + 1, skips: false } : { fails: true, warns: false, attempts: all, skips: false };
    case 'skip':
      return phase === 'pre' ? { fails: false, warns: false, attempts: 1, skips: true } : { fails: true, warns: false, attempts: all, skips: false };
  }
}

function model(spec: JobSpec) {
  type Run = { fails: boolean; warns: boolean; attempts: number; skips: boolean; throws: boolean };
  type Entry = { phase: ModelTask['phase']; type: string; name: string; critical: boolean; rojf: boolean; cont: boolean; cleanupFor: string | null; run: Run };
  const entries: Entry[] = [
    ...spec.pre.map((h, i) => ({ phase: 'pre' as const, type: 'hook', name: `pre${i}`, critical: h.critical, rojf: false, cont: h.continueOnFailure, cleanupFor: null, run: { ...hookRun(h, 'pre'), throws: false } })),
    ...spec.main.map((m, i) => ({ phase: 'main' as const, type: m.type, name: `main${i}`, critical: m.critical ?? true, rojf: false, cont: true, cleanupFor: null, run: { fails: m.outcome === 'fail' || m.outcome === 'throw', throws: m.outcome === 'throw', warns: m.outcome === 'warn', attempts: 1, skips: false } })),
    ...spec.post.map((h, i) => ({ phase: 'post' as const, type: 'hook', name: `post${i}`, critical: h.critical, rojf: h.runOnJobFailure, cont: h.continueOnFailure, cleanupFor: pairedName(spec, h), run: { ...hookRun(h, 'post'), throws: false } })),
  ];
  if (spec.notifier !== 'none') entries.push({ phase: 'notification', type: 'notification', name: 'Notification', critical: false, rojf: false, cont: true, cleanupFor: null, run: { fails: spec.notifier === 'fail', warns: false, attempts: 1, skips: false, throws: false } });

  let failure: { reason: keyof typeof REASONS; name: string; type: string } | null = null;
  let skippedBy: string | null = null;
  const started = new Set<string>();
  const halted = new Set<string>();
  const tasks: ModelTask[] = [];
  let message: { title: string; body: string } | null = null;
  for (const e of entries) {
    const task: ModelTask = { phase: e.phase, type: e.type, name: e.name, status: 'completed', skipReason: null, warning: false, attempts: 0 };
    const skip = (reason: string): void => {
      task.status = 'skipped';
      task.skipReason = reason;
    };
    // §9.4: a paired cleanup runs iff its pre-hook started, whatever else happened.
    const paired = e.cleanupFor !== null;
    if (paired && !started.has(e.cleanupFor ?? '')) skip(`Task skipped: '${e.cleanupFor}' did not run`);
    else if (!paired && e.phase !== 'notification' && failure !== null && !(e.phase === 'post' && e.rojf)) skip(REASONS[failure.reason]);
    // §9.2: after a skip request, only cleanups run.
    else if (!paired && e.phase !== 'notification' && skippedBy !== null && !(e.phase === 'post' && e.rojf)) skip(`Task skipped: '${skippedBy}' asked to skip the job`);
    else if (!paired && e.phase !== 'notification' && halted.has(e.phase)) skip('Task skipped due to hook failure');
    else if (e.phase === 'notification') {
      message = notification(tasks, failure, skippedBy, entries.length);
      task.status = e.run.fails ? 'failed' : 'completed';
      task.attempts = 1;
    } else {
      if (e.phase === 'pre') started.add(e.name);
      task.attempts = e.run.attempts;
      if (e.run.skips) skippedBy ??= e.name;
      if (e.run.fails) {
        task.status = 'failed';
        if (e.critical) failure ??= { reason: e.type === 'hook' ? 'critical_hook_failure' : e.run.throws ? 'critical_task_exception' : 'critical_task_failure', name: e.name, type: e.type };
        else if (e.type === 'hook' && !e.cont) halted.add(e.phase);
      } else {
        task.warning = e.run.warns;
      }
    }
    tasks.push(task);
  }
  const anyFailedOrWarned = tasks.some((t) => t.status === 'failed' || t.warning);
  const status = failure !== null ? 'failed' : anyFailedOrWarned ? 'completed_with_warnings' : skippedBy !== null ? 'skipped' : 'completed';
  return { tasks, status, message };
}

/** The pre-hook a post-hook is paired with, when its position names one. */
function pairedName(spec: JobSpec, h: HookSpec): string | null {
  return h.cleanupFor !== null && h.cleanupFor < spec.pre.length ? `pre${h.cleanupFor}` : null;
}

function notification(before: ModelTask[], failure: { reason: string; name: string; type: string } | null, skippedBy: string | null, total: number) {
  const completed = before.filter((t) => t.status === 'completed').length + 1;
  const skipped = before.filter((t) => t.status === 'skipped').length;
  const counts = `Tasks Completed: ${completed}, Skipped: ${skipped}, Total: ${total}`;
  const cap = (s: string) => s[0]?.toUpperCase() + s.slice(1);
  if (failure?.reason === 'critical_hook_failure') {
    return { title: '❌ Backup Job Failed - Critical Hook Error', body: `Backup job for 'R' failed due to critical hook failure.\n\nFailed Hook: ${failure.name}\n${counts}\nJob ID: J` };
  }
  if (failure !== null) return { title: `❌ Backup Job Failed - ${cap(failure.type)} Error`, body: `Backup job for 'R' failed during ${failure.type} process.\n\n${counts}\nJob ID: J` };
  const failed = before.filter((t) => t.status === 'failed').map((t) => t.type);
  const warned = before.filter((t) => t.warning).map((t) => t.type);
  if (skippedBy !== null && failed.length + warned.length === 0) {
    return { title: '⏭️ Backup Job Skipped', body: `Backup job for 'R' was skipped by hook '${skippedBy}'.\n\n${counts}\nJob ID: J` };
  }
  if (failed.length + warned.length > 0) {
    const line = failed.length > 0 ? `Failed Tasks: ${failed.join(', ')}` : `Tasks with Warnings: ${warned.join(', ')}`;
    return { title: '⚠️ Backup Job Completed with Warnings', body: `Backup job for 'R' completed but some tasks failed.\n\n${line}\n${counts}\nJob ID: J` };
  }
  return { title: '✅ Backup Job Completed Successfully', body: `Backup job for 'R' completed successfully.\n\nTasks Completed: ${completed}, Total: ${total}\nJob ID: J` };
}

function build(spec: JobSpec) {
  const hooks = (list: HookSpec[], prefix: 'pre' | 'post'): HookConfig[] =>
    list.map((h, i) => {
      const paired = prefix === 'post' ? pairedName(spec, h) : null;
      return {
        name: `${prefix}${i}`,
        command: 'x',
        critical: h.critical,
        continueOnFailure: h.continueOnFailure,
        retries: h.retries,
        retryDelay: 0,
        warningExitCodes: [3],
        ...(prefix === 'post' ? { runOnJobFailure: h.runOnJobFailure } : {}),
        ...(paired === null ? {} : { cleanupFor: paired }),
      };
    });
  const exits = (h: HookSpec): { exitCode: number }[] => {
    switch (h.outcome) {
      case 'ok':
        return [{ exitCode: 0 }];
      case 'fail':
        return [{ exitCode: 1 }];
      case 'warn':
        return [{ exitCode: 3 }];
      case 'skip':
        return [{ exitCode: 75 }];
      case 'flaky':
        return [...Array.from({ length: h.flakyFailures }, () => ({ exitCode: 1 })), { exitCode: 0 }];
    }
  };
  const script = Object.fromEntries(
    [...spec.pre.map((h, i) => [`pre${i}`, h] as const), ...spec.post.map((h, i) => [`post${i}`, h] as const)].map(([name, h]) => [name, exits(h)]),
  );
  const tasks: Task[] = spec.main.map((m, i) => ({
    type: m.type,
    name: `main${i}`,
    critical: m.critical,
    async run() {
      if (m.outcome === 'throw') throw new Error('exploded');
      if (m.outcome === 'fail') return { status: 'failed', exitCode: 2 };
      return { status: 'completed', warning: m.outcome === 'warn' };
    },
  }));
  // Every level, `info` (a skipped job) included: a notifier's default `on` leaves `info` out (docs/notifications.md).
  const on = ['success', 'warning', 'error', 'info'] as const;
  const notifier = new RecordingNotifier(spec.notifier === 'fail' ? { fail: 'down', on } : { on });
  const pipeline = new JobPipeline({
    jobId: 'J',
    repository: { name: 'R' },
    preHooks: hooks(spec.pre, 'pre'),
    tasks,
    postHooks: hooks(spec.post, 'post'),
    notifiers: spec.notifier === 'none' ? [] : [notifier],
    executor: new FakeExecutor(script),
  });
  return { pipeline, notifier };
}

describe('the engine agrees with a reference model of its documented rules', () => {
  it('for random jobs of up to 5 pre-hooks, 3 main tasks and 5 post-hooks', async () => {
    await fc.assert(
      fc.asyncProperty(jobSpec, async (spec) => {
        const expected = model(spec);
        const { pipeline, notifier } = build(spec);
        const result = await pipeline.run();
        expect(result.tasks.map((t) => ({ phase: t.phase, type: t.type, name: t.name, status: t.status, skipReason: t.skipReason, warning: t.warning, attempts: t.attempts }))).toEqual(expected.tasks);
        expect(result.status).toBe(expected.status);
        if (expected.message === null) {
          expect(result.notification).toBeNull();
        } else {
          expect(notifier.messages.map(({ title, body }) => ({ title, body }))).toEqual([expected.message]);
        }
      }),
      { numRuns: 400 },
    );
  });
});
