import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobPipeline, type HookConfig, type Task } from '../../src/index.js';
import { FakeExecutor, RecordingNotifier } from '../../src/testing.js';

// A small reference model of SPEC §1.2–§1.4 and §5, written from the spec, independent of the engine.

type HookSpec = { critical: boolean; continueOnFailure: boolean; runOnJobFailure: boolean; fails: boolean };
type MainSpec = { type: 'backup' | 'prune' | 'check'; critical: boolean | undefined; outcome: 'ok' | 'fail' | 'throw' | 'warn' };
type JobSpec = { pre: HookSpec[]; main: MainSpec[]; post: HookSpec[]; notifier: 'none' | 'ok' | 'fail' };

const hookSpec = fc.record({ critical: fc.boolean(), continueOnFailure: fc.boolean(), runOnJobFailure: fc.boolean(), fails: fc.boolean() });
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

interface ModelTask { phase: 'pre' | 'main' | 'post' | 'notification'; type: string; name: string; status: string; skipReason: string | null; warning: boolean }

function model(spec: JobSpec) {
  type Entry = { phase: ModelTask['phase']; type: string; name: string; critical: boolean; rojf: boolean; cont: boolean; fails: boolean; throws: boolean; warns: boolean };
  const entries: Entry[] = [
    ...spec.pre.map((h, i) => ({ phase: 'pre' as const, type: 'hook', name: `pre${i}`, critical: h.critical, rojf: false, cont: h.continueOnFailure, fails: h.fails, throws: false, warns: false })),
    ...spec.main.map((m, i) => ({ phase: 'main' as const, type: m.type, name: `main${i}`, critical: m.critical ?? true, rojf: false, cont: true, fails: m.outcome === 'fail' || m.outcome === 'throw', throws: m.outcome === 'throw', warns: m.outcome === 'warn' })),
    ...spec.post.map((h, i) => ({ phase: 'post' as const, type: 'hook', name: `post${i}`, critical: h.critical, rojf: h.runOnJobFailure, cont: h.continueOnFailure, fails: h.fails, throws: false, warns: false })),
  ];
  if (spec.notifier !== 'none') entries.push({ phase: 'notification', type: 'notification', name: 'Notification', critical: false, rojf: false, cont: true, fails: spec.notifier === 'fail', throws: false, warns: false });

  let failure: { reason: keyof typeof REASONS; name: string; type: string } | null = null;
  const halted = new Set<string>();
  const tasks: ModelTask[] = [];
  let message: { title: string; body: string } | null = null;
  for (const e of entries) {
    const task: ModelTask = { phase: e.phase, type: e.type, name: e.name, status: 'completed', skipReason: null, warning: false };
    if (e.phase !== 'notification' && failure !== null && !(e.phase === 'post' && e.rojf)) {
      task.status = 'skipped';
      task.skipReason = REASONS[failure.reason];
    } else if (e.phase !== 'notification' && halted.has(e.phase)) {
      task.status = 'skipped';
      task.skipReason = 'Task skipped due to hook failure';
    } else if (e.phase === 'notification') {
      message = notification(tasks, failure, entries.length);
      task.status = e.fails ? 'failed' : 'completed';
    } else if (e.fails) {
      task.status = 'failed';
      if (e.critical) failure ??= { reason: e.type === 'hook' ? 'critical_hook_failure' : e.throws ? 'critical_task_exception' : 'critical_task_failure', name: e.name, type: e.type };
      else if (e.type === 'hook' && !e.cont) halted.add(e.phase);
    } else {
      task.warning = e.warns;
    }
    tasks.push(task);
  }
  const status = failure !== null ? 'failed' : tasks.some((t) => t.status === 'failed' || t.warning) ? 'completed_with_warnings' : 'completed';
  return { tasks, status, message };
}

function notification(before: ModelTask[], failure: { reason: string; name: string; type: string } | null, total: number) {
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
  if (failed.length + warned.length > 0) {
    const lines = [...(failed.length ? [`Failed Tasks: ${failed.join(', ')}`] : []), ...(warned.length ? [`Tasks with Warnings: ${warned.join(', ')}`] : [])];
    return { title: '⚠️ Backup Job Completed with Warnings', body: `Backup job for 'R' completed but some tasks failed.\n\n${lines.join('\n')}\n${counts}\nJob ID: J` };
  }
  return { title: '✅ Backup Job Completed Successfully', body: `Backup job for 'R' completed successfully.\n\nTasks Completed: ${completed}, Total: ${total}\nJob ID: J` };
}

function build(spec: JobSpec) {
  const hooks = (list: HookSpec[], prefix: 'pre' | 'post'): HookConfig[] =>
    list.map((h, i) => ({
      name: `${prefix}${i}`,
      command: 'x',
      critical: h.critical,
      continueOnFailure: h.continueOnFailure,
      ...(prefix === 'post' ? { runOnJobFailure: h.runOnJobFailure } : {}),
    }));
  const script = Object.fromEntries(
    [...spec.pre.map((h, i) => [`pre${i}`, h] as const), ...spec.post.map((h, i) => [`post${i}`, h] as const)].map(([name, h]) => [name, { exitCode: h.fails ? 1 : 0 }]),
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
  const notifier = new RecordingNotifier(spec.notifier === 'fail' ? { fail: 'down' } : {});
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

describe('the engine agrees with a reference model of SPEC §1.2–§1.4 and §5', () => {
  it('for random jobs of up to 5 pre-hooks, 3 main tasks and 5 post-hooks', async () => {
    await fc.assert(
      fc.asyncProperty(jobSpec, async (spec) => {
        const expected = model(spec);
        const { pipeline, notifier } = build(spec);
        const result = await pipeline.run();
        expect(result.tasks.map((t) => ({ phase: t.phase, type: t.type, name: t.name, status: t.status, skipReason: t.skipReason, warning: t.warning }))).toEqual(expected.tasks);
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
