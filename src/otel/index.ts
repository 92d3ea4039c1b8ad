/**
 * `jobhooks/otel`: OpenTelemetry traces of a pipeline's runs — a span per job, a child span per task
 * (docs/observability.md). Needs `@opentelemetry/api` (an optional peer dependency) and an SDK of
 * your choice to export the spans.
 *
 * @packageDocumentation
 */
export { instrument, JOB_SPAN_NAME, type InstrumentOptions } from './instrument.js';
