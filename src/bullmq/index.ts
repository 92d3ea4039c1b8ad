/**
 * jobhooks/bullmq: jobhooks on BullMQ — queues, workers on every host, live events, cancellation,
 * schedules, over Redis or PostgreSQL (docs/bullmq-api.md). `bullmq` is an optional peer dependency
 * (and `pg` for PostgreSQL).
 *
 * @packageDocumentation
 */
export { cancel, enqueue, schedule, unschedule, validateDefinition, watch, type EnqueueOptions, type WatchedEvent, type WatchedEventName, type WatchOptions } from './client.js';
export { QueueUnansweredError, type QueueConnection, type QueueTarget } from './connection.js';
export { createWorker, type JobhooksWorker, type WorkerOptions } from './worker.js';
