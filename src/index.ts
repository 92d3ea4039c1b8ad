/**
 * jobhooks: run a job as a pipeline of pre-job hooks, main tasks, post-job hooks and a notification.
 *
 * @packageDocumentation
 */
export { JobPipeline, type JobEventListener, type RunOptions } from './pipeline/pipeline.js';
export type { RehearseOptions } from './pipeline/rehearsal.js';
export { commandTask, type CommandTaskOptions } from './pipeline/command-task.js';
export { SKIP_REASONS } from './pipeline/rules.js';
export type { PlannedNotifier, PlannedTask, RetryPolicy } from './pipeline/plan.js';
export { DEFAULTS } from './defaults.js';
export {
  parseHooks,
  type HookConfig,
  type HookListInput,
  type JobPipelineOptions,
  type PipelineDefaults,
} from './config.js';
export { ConfigError, ErrorCode, formatPath, JobHooksError, type ConfigIssue, type ConfigIssueCode } from './errors.js';
export { durationToMs, type Duration } from './duration.js';
export type { EnvValue } from './validation.js';
export { ShellExecutor, type ShellExecutorOptions } from './executor/shell-executor.js';
export type { Executor, ExecRequest, ExecResult, OutputStream } from './executor/types.js';
export { buildNotification } from './notify/message.js';
export { ConsoleNotifier, type ConsoleNotifierOptions, type TextWritable } from './notify/notifiers/console.js';
export {
  WebhookNotifier,
  type WebhookNotifierOptions,
  type WebhookPayload,
  type WebhookJobSummary,
  type WebhookTaskSummary,
} from './notify/notifiers/webhook.js';
export { HealthchecksNotifier, type HealthchecksNotifierOptions } from './notify/notifiers/healthchecks.js';
export { NtfyNotifier, type NtfyNotifierOptions, type NtfyPriority, type NtfyPublishBody } from './notify/notifiers/ntfy.js';
export { DiscordNotifier, type DiscordEmbedField, type DiscordNotifierOptions, type DiscordWebhookBody } from './notify/notifiers/discord.js';
export { PushoverNotifier, type PushoverNotifierOptions, type PushoverPriority } from './notify/notifiers/pushover.js';
export { TelegramNotifier, type TelegramNotifierOptions, type TelegramSendMessageBody } from './notify/notifiers/telegram.js';
export {
  HttpNotifier,
  NotificationDeliveryError,
  type DeliveryFailureKind,
  type DeliveryOptions,
  type HttpNotifierOptions,
  type HttpRequest,
  type HttpResponse,
  type NotifierOptions,
  type ResolvedNotifierOptions,
} from './notify/http.js';
export { formatFlow, type FlowOptions } from './format.js';
export { readHistory, type HistoryEntry, type JournalJobStatus, type JournalLocation, type ProcessIdentity, type ReadHistoryOptions } from './journal/index.js';
export { AlreadyRunningError } from './journal/lock.js';
export type { JobEvents, JobEventName } from './events.js';
export type {
  FailureReason,
  JobFailure,
  JobResult,
  JobStatus,
  JsonValue,
  NotificationLevel,
  NotificationDetail,
  NotificationMessage,
  Notifier,
  NotifierContext,
  NotifierDelivery,
  NotifierStartContext,
  RehearsalOutcome,
  RehearsalResult,
  Repository,
  Task,
  TaskContext,
  TaskExecOptions,
  TaskFailure,
  TaskFailureCode,
  TaskPhase,
  TaskProgress,
  TaskResult,
  TaskRunResult,
  TaskStatus,
} from './types.js';
