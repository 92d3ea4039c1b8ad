import type { ResolvedPipelineOptions } from '../config.js';
import { formatSeconds } from '../duration.js';
import { buildTaskEnv, createRedactor } from '../env.js';
import { planEntries, type RetryPolicy } from '../pipeline/plan.js';

/**
 * The text of `jobhooks plan`: every task the job would run, in order, with what decides its fate
 * (phase, type, criticality, timeout, run-on-failure, continue-on-failure) and the context
 * variables it would get. Pure: it reads the resolved options and runs nothing.
 *
 * @example
 * ```ts
 * console.log(formatPlan(resolvePipelineOptions(job.options), 'nightly.yaml'))
 * // Plan for nightly.yaml (nothing was run) …
 * // 1. Pre-Hook 1 (Database Dump)
 * //    phase: pre · type: hook · critical: yes · timeout: 1800s · continueOnFailure: yes
 * ```
 */
export function formatPlan(options: ResolvedPipelineOptions, file: string): string {
  const redact = createRedactor([...options.secrets, ...options.tasks.flatMap((task) => task.secrets ?? [])]);
  const prefix = options.envPrefix;
  const lines: string[] = [];
  const repository = options.repository;
  const repositoryText =
    repository === undefined
      ? 'none'
      : [repository.name, repository.id === undefined ? undefined : `(id ${String(repository.id)})`].filter((part) => part !== undefined).join(' ');
  const plan = planEntries(options);
  const total = plan.length;

  lines.push(`Plan for ${file} (nothing was run)`);
  lines.push(
    `job type: ${options.jobType} · job id: ${options.jobId ?? 'a new UUID per run'} · repository: ${repositoryText} · env prefix: ${prefix} · inherit env: ${yesNo(options.inheritEnv)}`,
  );
  lines.push(
    `defaults: timeout ${formatSeconds(options.defaults.timeoutMs)} · shell ${options.defaults.shell} · cwd ${options.defaults.cwd} · kill grace ${formatSeconds(options.defaults.killGraceMs)}`,
  );
  // docs/hooks.md#skip-the-job: the exit code a pre-hook uses to skip the job.
  lines.push(
    options.skipExitCode === null
      ? 'skip: off (no exit code of a pre-hook skips the job)'
      : `skip: a pre-hook exiting ${options.skipExitCode} skips the job (status skipped, exit 0)`,
  );
  if (Object.keys(options.env).length > 0) lines.push(`job env: ${Object.keys(options.env).join(', ')}`);
  lines.push(`${total} ${total === 1 ? 'task' : 'tasks'}, run one at a time in this order:`);
  lines.push('');

  // The engine's own plan (docs/execution-flow.md#the-plan): the same numbering, labels and timeouts `run()` uses.
  for (const { planned, source } of plan) {
    const number = `${planned.index + 1}.`;
    switch (source.kind) {
      case 'hook': {
        const hook = source.hook;
        const phase = planned.phase === 'pre' ? 'pre' : 'post';
        lines.push(`${number} ${planned.label}`);
        const facts = [
          `phase: ${phase}`,
          'type: hook',
          `critical: ${yesNo(planned.critical)}`,
          `timeout: ${formatSeconds(hook.timeoutMs)}`,
          ...(phase === 'post' ? [`runOnJobFailure: ${yesNo(planned.runOnJobFailure)}`] : []),
          `continueOnFailure: ${yesNo(planned.continueOnFailure)}`,
        ];
        lines.push(`   ${facts.join(' · ')}`);
        lines.push(...outcomeLines(planned.retry, planned.cleanupFor));
        if (hook.shell !== options.defaults.shell) lines.push(`   shell: ${hook.shell}`);
        if (hook.cwd !== options.defaults.cwd) lines.push(`   cwd: ${hook.cwd}`);
        lines.push(...commandLines(redact(hook.command)));
        if (Object.keys(hook.env).length > 0) lines.push(`   env: ${Object.keys(hook.env).join(', ')}`);
        lines.push(...variableLines(options, planned.index, { name: hook.name, phase }));
        break;
      }
      case 'task':
        lines.push(`${number} ${planned.label} (${planned.name})`);
        lines.push(`   phase: main · type: ${planned.type} · critical: ${yesNo(planned.critical)} · timeout: ${formatSeconds(source.timeoutMs)}`);
        lines.push(...outcomeLines(planned.retry, null));
        if (source.task.command !== undefined) lines.push(...commandLines(redact(source.task.command)));
        lines.push(...variableLines(options, planned.index, undefined));
        break;
      case 'notification':
        lines.push(`${number} ${planned.label}`);
        lines.push('   phase: notification · type: notification · critical: no · always runs');
        for (const notifier of planned.notifiers) {
          lines.push(`   → ${notifier.name} (timeout ${formatSeconds(notifier.timeoutMs)}; on ${notifier.on.join(', ')})`);
        }
        break;
    }
  }
  if (total === 0) lines.push('(no tasks)');
  return lines.join('\n');
}

/**
 * `   retries: 3 (wait 10s, doubling, at most 5m) · warning exit codes: 1, 24` and
 * `   cleanup for: Stop Service (runs if and only if it started)`; nothing for a task with neither.
 */
function outcomeLines(retry: RetryPolicy, cleanupFor: string | null): string[] {
  const facts: string[] = [];
  if (retry.retries > 0) {
    facts.push(`retries: ${retry.retries} (wait ${formatSeconds(retry.retryDelayMs)}, doubling, at most ${formatSeconds(retry.retryDelayMaxMs)})`);
  }
  if (retry.warningExitCodes.length > 0) facts.push(`warning exit codes: ${retry.warningExitCodes.join(', ')}`);
  const lines = facts.length === 0 ? [] : [`   ${facts.join(' · ')}`];
  if (cleanupFor !== null) lines.push(`   cleanup for: ${cleanupFor} (runs if and only if it started)`);
  return lines;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

function commandLines(command: string): string[] {
  const [first = '', ...rest] = command.split('\n');
  const more = rest.filter((line) => line.trim() !== '').length;
  return [`   command: ${first}${more > 0 ? ` (+${more} more ${more === 1 ? 'line' : 'lines'})` : ''}`];
}

/** The context variables a task gets, computed by the engine's own function (not a copy of its list). */
function variableLines(options: ResolvedPipelineOptions, taskIndex: number, hook: { name: string; phase: 'pre' | 'post' } | undefined): string[] {
  const base = {
    prefix: options.envPrefix,
    parentEnv: {},
    jobEnv: {},
    taskEnv: {},
    context: options.context,
    repository: options.repository,
    taskIndex,
    jobType: options.jobType,
    jobId: 'plan',
    hook,
    jobStatus: 'success' as const,
    // Every attempt gets its number, the first one too (docs/hooks.md#retries).
    attempt: 1,
  };
  const always = Object.keys(buildTaskEnv({ ...base, failedTask: undefined }));
  const afterFailure = Object.keys(buildTaskEnv({ ...base, failedTask: { name: 'plan', error: null } })).filter((name) => !always.includes(name));
  const lines = [`   variables: ${always.join(', ')}`];
  if (afterFailure.length > 0) lines.push(`   after a failure also: ${afterFailure.join(', ')}`);
  return lines;
}
