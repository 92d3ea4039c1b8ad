/**
 * jobhooks: run a job as a pipeline of pre-job hooks, main tasks, post-job hooks and a notification.
 *
 * @packageDocumentation
 */
export { JobPipeline, type RunOptions } from './pipeline/pipeline.js';
export { commandTask, type CommandTaskOptions } from './pipeline/command-task.js';
export { SKIP_REASONS } from './pipeline/rules.js';
export {
  DEFAULTS,
  parseHooks,
  type HookConfig,
  type HookListInput,
  type JobPipelineOptions,
  type PipelineDefaults,
} from './config.js';
export { ConfigError, ErrorCode, JobHooksError, type ConfigIssue } from './errors.js';
export { durationToMs, type Duration } from './duration.js';
export { ShellExecutor } from './executor/shell-executor.js';
export type { Executor, ExecRequest, ExecResult, OutputStream } from './executor/types.js';
export { buildNotification } from './notify/message.js';
export { ConsoleNotifier, type ConsoleNotifierOptions } from './notify/notifiers/console.js';
export { formatFlow } from './format.js';
export { TASK_TRANSITIONS } from './status.js';
export type { JobEvents, JobEventName } from './events.js';
export type {
  FailureReason,
  JobFailure,
  JobResult,
  JobStatus,
  JsonValue,
  NotificationLevel,
  NotificationMessage,
  Notifier,
  NotifierContext,
  NotifierStartContext,
  Repository,
  Task,
  TaskContext,
  TaskExecOptions,
  TaskPhase,
  TaskProgress,
  TaskResult,
  TaskRunResult,
  TaskStatus,
} from './types.js';
