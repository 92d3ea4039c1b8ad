import { context as otelContext, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { subscribe, type JobEvents } from '../events.js';
import type { JobPipeline } from '../pipeline/pipeline.js';
import type { JobResult, TaskResult } from '../types.js';
import { taskAttempts } from '../task-attempts.js';

/**
 * Options of {@link instrument}.
 *
 * @example
 * ```ts
 * const options: InstrumentOptions = { tracer: trace.getTracer('backups') }
 * ```
 */
export interface InstrumentOptions {
  /** The tracer spans are started with: `trace.getTracer('<your service>')`. */
  readonly tracer: Tracer;
}

/** The name of every job span; task spans are named after their task. */
export const JOB_SPAN_NAME = 'jobhooks job';

interface OpenJob {
  readonly span: Span;
  readonly context: Context;
  readonly tasks: Map<number, Span>;
}

/**
 * Traces every run of `pipeline` with OpenTelemetry (docs/observability.md#opentelemetry-traces):
 * one span per job (`jobhooks job`, a child of the span active when `run()` was called) and one
 * child span per task, named after the task, with its status, exit code, attempts and skip reason
 * as attributes. A failed task records its error (`recordException`, status `ERROR`); a task that
 * completed with warnings gets a `warning` event per warning. Skipped tasks are spans of no
 * length. A run recovered after jobhooks died (`jobRecovered`) is traced after the fact from its
 * result's times. Uses `@opentelemetry/api` only: install an SDK to export the spans.
 *
 * Returns a function that stops tracing: it removes the listeners and ends the spans still open.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api'
 * import { instrument } from 'jobhooks/otel'
 *
 * const detach = instrument(pipeline, { tracer: trace.getTracer('backups') })
 * await pipeline.run()
 * detach()
 * ```
 */
export function instrument(pipeline: JobPipeline, options: InstrumentOptions): () => void {
  const { tracer } = options;
  const jobs = new Map<string, OpenJob>();

  const onJobStart = ({ jobId }: JobEvents['jobStart'][0]): void => {
    const span = tracer.startSpan(JOB_SPAN_NAME, { attributes: { 'jobhooks.job.id': jobId } });
    jobs.set(jobId, { span, context: trace.setSpan(otelContext.active(), span), tasks: new Map() });
  };
  const onTaskStart = ({ jobId, task }: JobEvents['taskStart'][0]): void => {
    const job = jobs.get(jobId);
    if (job === undefined) return;
    job.tasks.set(task.index, tracer.startSpan(task.name, { attributes: taskStartAttributes(task) }, job.context));
  };
  const onTaskEnd = ({ jobId, task }: JobEvents['taskEnd'][0]): void => {
    const job = jobs.get(jobId);
    if (job === undefined) return;
    // A skipped task never started: a span of no length that still says why.
    const span = job.tasks.get(task.index) ?? tracer.startSpan(task.name, { attributes: taskStartAttributes(task) }, job.context);
    job.tasks.delete(task.index);
    endTaskSpan(span, task);
  };
  const onTaskRetry = ({ jobId, taskIndex, attempt, delayMs, error }: JobEvents['taskRetry'][0]): void => {
    // An attempt failed and the next one starts after delayMs: an event on the task's span.
    jobs.get(jobId)?.tasks.get(taskIndex)?.addEvent('retry', {
      'jobhooks.retry.next_attempt': attempt,
      'jobhooks.retry.delay_ms': delayMs,
      'jobhooks.retry.error': error,
    });
  };
  const onJournalWarning = ({ jobId, message }: JobEvents['journalWarning'][0]): void => {
    jobs.get(jobId)?.span.addEvent('journal warning', { 'jobhooks.warning': message });
  };
  const onJobEnd = ({ result }: JobEvents['jobEnd'][0]): void => {
    const job = jobs.get(result.jobId);
    if (job === undefined) return;
    jobs.delete(result.jobId);
    for (const span of job.tasks.values()) span.end();
    endJobSpan(job.span, result);
  };
  const onJobRecovered = ({ result }: JobEvents['jobRecovered'][0]): void => {
    traceFinishedJob(tracer, result);
  };

  const detach = subscribe(pipeline, {
    jobStart: onJobStart,
    taskStart: onTaskStart,
    taskEnd: onTaskEnd,
    taskRetry: onTaskRetry,
    journalWarning: onJournalWarning,
    jobEnd: onJobEnd,
    jobRecovered: onJobRecovered,
  });

  return () => {
    detach();
    for (const job of jobs.values()) {
      for (const span of job.tasks.values()) span.end();
      job.span.end();
    }
    jobs.clear();
  };
}

/** What is known of a task when it starts. */
function taskStartAttributes(task: TaskResult): Attributes {
  return {
    'jobhooks.task.index': task.index,
    'jobhooks.task.name': task.name,
    'jobhooks.task.type': task.type,
    'jobhooks.task.phase': task.phase,
    'jobhooks.task.critical': task.critical,
  };
}

/** How a task ended, as attributes, events and a status; then ends its span. */
function endTaskSpan(span: Span, task: TaskResult, endTime?: Date): void {
  const attributes: Attributes = {
    'jobhooks.task.status': task.status,
    'jobhooks.task.attempts': taskAttempts(task),
    'jobhooks.task.warning': task.warning,
    'jobhooks.task.timed_out': task.timedOut,
    'jobhooks.task.cancelled': task.cancelled,
  };
  if (task.exitCode !== null) attributes['jobhooks.task.exit_code'] = task.exitCode;
  if (task.signal !== null) attributes['jobhooks.task.signal'] = task.signal;
  if (task.skipReason !== null) attributes['jobhooks.task.skip_reason'] = task.skipReason;
  if (task.failure !== null) {
    attributes['jobhooks.task.failure_code'] = task.failure.code;
    attributes['error.type'] = task.failure.code;
  }
  span.setAttributes(attributes);
  for (const warning of warningsOf(task)) span.addEvent('warning', { 'jobhooks.warning': warning });
  if (task.status === 'failed') {
    const message = task.failure?.message ?? task.error ?? `${task.name} failed`;
    span.recordException({ name: task.failure?.code ?? 'failed', message });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } else if (task.status === 'completed') {
    span.setStatus({ code: SpanStatusCode.OK });
  }
  span.end(endTime);
}

/** How the job ended; then ends its span. `completed_with_warnings` is OK: the job ran to its end. */
function endJobSpan(span: Span, result: JobResult, endTime?: Date): void {
  const attributes: Attributes = { 'jobhooks.job.type': result.jobType, 'jobhooks.job.status': result.status };
  if (result.repository?.name !== undefined) attributes['jobhooks.repository.name'] = result.repository.name;
  if (result.repository?.id !== undefined) attributes['jobhooks.repository.id'] = String(result.repository.id);
  if (result.failure !== null) {
    attributes['jobhooks.job.failure_reason'] = result.failure.reason;
    if (result.failure.taskName !== null) attributes['jobhooks.job.failed_task'] = result.failure.taskName;
    attributes['error.type'] = result.failure.reason;
  }
  span.setAttributes(attributes);
  // A skip is the job's own decision (a pre-hook said so), not an error: error rates must not count it.
  if (result.status === 'completed' || result.status === 'completed_with_warnings' || result.status === 'skipped') {
    span.setStatus({ code: SpanStatusCode.OK });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.failure?.error ?? result.status });
  }
  span.end(endTime);
}

/** A run already over (a recovery): its spans after the fact, with the times the result holds. */
function traceFinishedJob(tracer: Tracer, result: JobResult): void {
  const startTime = new Date(result.startedAt);
  const endTime = result.finishedAt === null ? new Date() : new Date(result.finishedAt);
  const span = tracer.startSpan(JOB_SPAN_NAME, { startTime, attributes: { 'jobhooks.job.id': result.jobId } });
  const parent = trace.setSpan(otelContext.active(), span);
  for (const task of result.tasks) {
    const taskStart = task.startedAt === null ? endTime : new Date(task.startedAt);
    const taskSpan = tracer.startSpan(task.name, { startTime: taskStart, attributes: taskStartAttributes(task) }, parent);
    endTaskSpan(taskSpan, task, task.finishedAt === null ? taskStart : new Date(task.finishedAt));
  }
  endJobSpan(span, result, endTime);
}


/** A task's warnings: the `warnings` its data lists (borg's WARNING lines), else one for the `warning` flag. */
function warningsOf(task: TaskResult): string[] {
  const data = task.data;
  const listed = typeof data === 'object' && data !== null && !Array.isArray(data) && Array.isArray(data['warnings']) ? data['warnings'] : [];
  const warnings = listed.filter((warning): warning is string => typeof warning === 'string');
  if (warnings.length > 0) return warnings;
  return task.warning ? [task.exitCode === null ? 'completed with warnings' : `completed with warnings (exit code ${task.exitCode})`] : [];
}
