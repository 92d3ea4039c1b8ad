import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandTask, JobPipeline, SKIP_REASONS, type JobPipelineOptions, type Task } from '../../src/index.js';
import { instrument } from '../../src/otel/index.js';
import { leaveDeadRun } from '../support/dead-run.js';

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterEach(async () => {
  await provider.shutdown();
});

const JOB = { jobId: 'job-1', repository: { id: 7, name: 'nas' } } as const;

/** Runs the pipeline traced, and returns its spans: the job span and its task spans in task order. */
async function traced(options: JobPipelineOptions, signal?: AbortSignal): Promise<{ job: ReadableSpan; tasks: ReadableSpan[]; all: ReadableSpan[] }> {
  const pipeline = new JobPipeline(options);
  const detach = instrument(pipeline, { tracer: provider.getTracer('test') });
  await pipeline.run(signal === undefined ? {} : { signal });
  detach();
  const all = exporter.getFinishedSpans();
  const job = all.find((span) => span.name === 'jobhooks job');
  if (job === undefined) throw new Error(`no job span in ${all.map((span) => span.name).join(', ')}`);
  const tasks = all.filter((span) => span !== job).sort((a, b) => Number(a.attributes['jobhooks.task.index']) - Number(b.attributes['jobhooks.task.index']));
  return { job, tasks, all };
}

/** The part of a span a test compares: name, status, attributes, events. */
function shape(span: ReadableSpan): { name: string; status: { code: SpanStatusCode; message?: string }; attributes: Record<string, unknown>; events: { name: string; attributes: Record<string, unknown> }[] } {
  return {
    name: span.name,
    status: span.status,
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({ name: event.name, attributes: { ...event.attributes } })),
  };
}

function task(index: number, name: string, type: string, phase: string, critical: boolean): Record<string, unknown> {
  return { 'jobhooks.task.index': index, 'jobhooks.task.name': name, 'jobhooks.task.type': type, 'jobhooks.task.phase': phase, 'jobhooks.task.critical': critical };
}

const ended = { 'jobhooks.task.warning': false, 'jobhooks.task.timed_out': false, 'jobhooks.task.cancelled': false };

describe('instrument(pipeline, { tracer }) with real shell hooks', () => {
  it('a success: one job span, a child span per task, OK statuses', async () => {
    const { job, tasks, all } = await traced({
      ...JOB,
      preHooks: [{ name: 'Dump', command: 'echo dumped' }],
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'echo archived' })],
      postHooks: [{ name: 'Restart', command: 'true' }],
    });
    expect(all).toHaveLength(4);
    expect(shape(job)).toEqual({
      name: 'jobhooks job',
      status: { code: SpanStatusCode.OK },
      attributes: { 'jobhooks.job.id': 'job-1', 'jobhooks.job.type': 'manual', 'jobhooks.job.status': 'completed', 'jobhooks.repository.name': 'nas', 'jobhooks.repository.id': '7' },
      events: [],
    });
    expect(job.parentSpanContext).toBeUndefined();
    expect(tasks.map(shape)).toEqual([
      { name: 'Dump', status: { code: SpanStatusCode.OK }, attributes: { ...task(0, 'Dump', 'hook', 'pre', false), 'jobhooks.task.status': 'completed', 'jobhooks.task.attempts': 1, ...ended, 'jobhooks.task.exit_code': 0 }, events: [] },
      { name: 'Create archive', status: { code: SpanStatusCode.OK }, attributes: { ...task(1, 'Create archive', 'backup', 'main', true), 'jobhooks.task.status': 'completed', 'jobhooks.task.attempts': 1, ...ended, 'jobhooks.task.exit_code': 0 }, events: [] },
      { name: 'Restart', status: { code: SpanStatusCode.OK }, attributes: { ...task(2, 'Restart', 'hook', 'post', false), 'jobhooks.task.status': 'completed', 'jobhooks.task.attempts': 1, ...ended, 'jobhooks.task.exit_code': 0 }, events: [] },
    ]);
    for (const span of tasks) {
      expect(span.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(job.spanContext().traceId);
    }
  });

  it('a job a pre-hook skipped (exit 75): the job span is OK, not an error; its status attribute says skipped', async () => {
    const { job } = await traced({ ...JOB, preHooks: [{ name: 'On battery', command: 'exit 75' }], tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'true' })] });
    expect({ status: job.status, jobStatus: job.attributes['jobhooks.job.status'] }).toEqual({ status: { code: SpanStatusCode.OK }, jobStatus: 'skipped' });
  });

  it('a critical hook that fails: its error recorded, status ERROR; what follows skipped with the reason', async () => {
    const { job, tasks } = await traced({
      ...JOB,
      preHooks: [{ name: 'Dump', command: 'echo no database >&2; exit 3', critical: true }],
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'echo archived' })],
      postHooks: [{ name: 'Restart', command: 'true' }],
    });
    const error = "Hook 'Dump' exited with code 3";
    expect(shape(job)).toEqual({
      name: 'jobhooks job',
      status: { code: SpanStatusCode.ERROR, message: error },
      attributes: {
        'jobhooks.job.id': 'job-1', 'jobhooks.job.type': 'manual', 'jobhooks.job.status': 'failed', 'jobhooks.repository.name': 'nas', 'jobhooks.repository.id': '7',
        'jobhooks.job.failure_reason': 'critical_hook_failure', 'jobhooks.job.failed_task': 'Dump', 'error.type': 'critical_hook_failure',
      },
      events: [],
    });
    expect(tasks.map(shape)).toEqual([
      {
        name: 'Dump',
        status: { code: SpanStatusCode.ERROR, message: error },
        attributes: { ...task(0, 'Dump', 'hook', 'pre', true), 'jobhooks.task.status': 'failed', 'jobhooks.task.attempts': 1, ...ended, 'jobhooks.task.exit_code': 3, 'jobhooks.task.failure_code': 'exit', 'error.type': 'exit' },
        events: [{ name: 'exception', attributes: { 'exception.type': 'exit', 'exception.message': error } }],
      },
      {
        name: 'Create archive',
        status: { code: SpanStatusCode.UNSET },
        attributes: { ...task(1, 'Create archive', 'backup', 'main', true), 'jobhooks.task.status': 'skipped', 'jobhooks.task.attempts': 0, ...ended, 'jobhooks.task.skip_reason': SKIP_REASONS.critical_hook_failure },
        events: [],
      },
      {
        name: 'Restart',
        status: { code: SpanStatusCode.UNSET },
        attributes: { ...task(2, 'Restart', 'hook', 'post', false), 'jobhooks.task.status': 'skipped', 'jobhooks.task.attempts': 0, ...ended, 'jobhooks.task.skip_reason': SKIP_REASONS.critical_hook_failure },
        events: [],
      },
    ]);
    for (const span of tasks) expect(span.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
  });

  it('a cancel: the running task is cancelled, the job span ends ERROR "cancelled", the cleanup still traced', async () => {
    const controller = new AbortController();
    const pipeline = new JobPipeline({
      ...JOB,
      tasks: [commandTask({ type: 'backup', name: 'Create archive', command: 'sleep 30' })],
      postHooks: [{ name: 'Restart', command: 'true', runOnJobFailure: true }],
    });
    pipeline.on('taskStart', ({ task: started }) => {
      if (started.name === 'Create archive') setTimeout(() => controller.abort(), 100);
    });
    const detach = instrument(pipeline, { tracer: provider.getTracer('test') });
    const result = await pipeline.run({ signal: controller.signal });
    detach();
    const spans = exporter.getFinishedSpans();
    const job = spans.find((span) => span.name === 'jobhooks job');
    const backup = spans.find((span) => span.name === 'Create archive');
    const restart = spans.find((span) => span.name === 'Restart');
    expect(result.status).toBe('cancelled');
    expect({ status: job?.status, reason: job?.attributes['jobhooks.job.failure_reason'], jobStatus: job?.attributes['jobhooks.job.status'] }).toEqual({
      status: { code: SpanStatusCode.ERROR, message: result.failure?.error },
      reason: 'cancelled',
      jobStatus: 'cancelled',
    });
    const backupResult = result.tasks[0];
    expect(backup && shape(backup)).toEqual({
      name: 'Create archive',
      status: { code: SpanStatusCode.ERROR, message: backupResult?.error },
      attributes: {
        ...task(0, 'Create archive', 'backup', 'main', true), 'jobhooks.task.status': 'failed', 'jobhooks.task.attempts': 1,
        'jobhooks.task.warning': false, 'jobhooks.task.timed_out': false, 'jobhooks.task.cancelled': true,
        ...(backupResult?.exitCode === null ? {} : { 'jobhooks.task.exit_code': backupResult?.exitCode }),
        ...(backupResult?.signal === null ? {} : { 'jobhooks.task.signal': backupResult?.signal }),
        'jobhooks.task.failure_code': 'cancelled', 'error.type': 'cancelled',
      },
      events: [{ name: 'exception', attributes: { 'exception.type': 'cancelled', 'exception.message': backupResult?.error } }],
    });
    expect(restart?.attributes['jobhooks.task.status']).toBe('completed');
    expect(restart?.parentSpanContext?.spanId).toBe(job?.spanContext().spanId);
  });

  it('warnings are span events; detach() stops tracing', async () => {
    const warned: Task = {
      type: 'backup', name: 'Create archive',
      async run() {
        return { status: 'completed', exitCode: 1, warning: true, data: { warnings: ['file changed while we backed it up: /srv/db', 'permission denied: /srv/secret'] } };
      },
    };
    const pipeline = new JobPipeline({ ...JOB, tasks: [warned] });
    const detach = instrument(pipeline, { tracer: provider.getTracer('test') });
    await pipeline.run();
    const backup = exporter.getFinishedSpans().find((span) => span.name === 'Create archive');
    expect(backup?.events.map((event) => ({ name: event.name, attributes: { ...event.attributes } }))).toEqual([
      { name: 'warning', attributes: { 'jobhooks.warning': 'file changed while we backed it up: /srv/db' } },
      { name: 'warning', attributes: { 'jobhooks.warning': 'permission denied: /srv/secret' } },
    ]);
    expect(backup?.attributes['jobhooks.task.warning']).toBe(true);
    expect(exporter.getFinishedSpans().find((span) => span.name === 'jobhooks job')?.status).toEqual({ code: SpanStatusCode.OK });
    detach();
    exporter.reset();
    await pipeline.run();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('instrument: retries', () => {
  it('each retry is an event on the task span, with the next attempt, the delay and the error; attempts on the span', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jh-otel-retry-'));
    const { tasks } = await traced({
      ...JOB,
      // Fails on its first attempt, succeeds on the second.
      preHooks: [{ name: 'Flaky', command: `f=${join(dir, 'tries')}; echo x >> "$f"; [ "$(wc -l < "$f")" -ge 2 ]`, retries: 2, retryDelay: '10ms' }],
    });
    const [flaky] = tasks;
    expect(flaky?.attributes['jobhooks.task.attempts']).toBe(2);
    expect(flaky?.status).toEqual({ code: SpanStatusCode.OK });
    const retries = flaky?.events.filter((event) => event.name === 'retry') ?? [];
    expect(retries).toHaveLength(1);
    expect(retries[0]?.attributes?.['jobhooks.retry.next_attempt']).toBe(2);
    expect(retries[0]?.attributes?.['jobhooks.retry.error']).toBe("Hook 'Flaky' exited with code 1");
    expect(typeof retries[0]?.attributes?.['jobhooks.retry.delay_ms']).toBe('number');
  });
});

describe('instrument: a recovered run', () => {
  it('traces the run a recovery reports after the fact: job span interrupted, its cleanup a child', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobhooks-otel-'));
    await leaveDeadRun(dir, 'k', 'dead-run', [
      { index: 0, name: 'Create archive', phase: 'main', type: 'backup', runOnJobFailure: false },
      { index: 1, name: 'Restart', phase: 'post', type: 'hook', runOnJobFailure: true },
    ], 0);
    const pipeline = new JobPipeline({ ...JOB, jobId: 'recoverer', postHooks: [{ name: 'Restart', command: 'true', runOnJobFailure: true }], journal: { dir, key: 'k' } });
    const detach = instrument(pipeline, { tracer: provider.getTracer('test') });
    const [recovered] = await pipeline.recover();
    detach();
    const spans = exporter.getFinishedSpans();
    const job = spans.find((span) => span.name === 'jobhooks job');
    expect(spans.map((span) => span.name)).toEqual(['Restart', 'jobhooks job']);
    expect({ status: job?.status, attributes: job?.attributes }).toEqual({
      status: { code: SpanStatusCode.ERROR, message: recovered?.failure?.error },
      attributes: {
        'jobhooks.job.id': 'dead-run', 'jobhooks.job.type': 'manual', 'jobhooks.job.status': 'interrupted', 'jobhooks.repository.name': 'nas', 'jobhooks.repository.id': '7',
        'jobhooks.job.failure_reason': 'interrupted', 'jobhooks.job.failed_task': 'Create archive', 'error.type': 'interrupted',
      },
    });
    const restart = spans[0];
    expect(restart?.parentSpanContext?.spanId).toBe(job?.spanContext().spanId);
    expect(restart?.attributes['jobhooks.task.status']).toBe('completed');
    expect(restart?.attributes['jobhooks.task.index']).toBe(1);
  });
});
