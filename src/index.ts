/**
 * jobhooks: run a job as a pipeline of pre-job hooks, main tasks, post-job hooks and a notification.
 *
 * @packageDocumentation
 */
export { JobPipeline, type JobEventListener, type RunOptions } from './pipeline/pipeline.js';
export { commandTask, type CommandTaskOptions } from './pipeline/command-task.js';
export { SKIP_REASONS } from './pipeline/rules.js';
export type { PlannedNotifier, PlannedTask } from './pipeline/plan.js';
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
export { ShellExecutor, type ShellExecutorOptions } from './executor/shell-executor.js';
export { parseShebang, type Shebang } from './executor/script-file.js';
export type { Executor, ExecRequest, ExecResult, OutputStream } from './executor/types.js';
export { buildNotification } from './notify/message.js';
export { ConsoleNotifier, type ConsoleNotifierOptions } from './notify/notifiers/console.js';
export {
  WebhookNotifier,
  webhookPayload,
  type WebhookNotifierOptions,
  type WebhookPayload,
  type WebhookJobSummary,
  type WebhookTaskSummary,
} from './notify/notifiers/webhook.js';
export {
  HealthchecksNotifier,
  healthchecksBody,
  HEALTHCHECKS_MAX_BODY_BYTES,
  type HealthchecksNotifierOptions,
} from './notify/notifiers/healthchecks.js';
export { NtfyNotifier, NTFY_DEFAULTS, type NtfyNotifierOptions, type NtfyPriority, type NtfyPublishBody } from './notify/notifiers/ntfy.js';
export { DiscordNotifier, DISCORD_COLORS, type DiscordNotifierOptions, type DiscordWebhookBody } from './notify/notifiers/discord.js';
export { PushoverNotifier, PUSHOVER_DEFAULTS, type PushoverNotifierOptions, type PushoverPriority } from './notify/notifiers/pushover.js';
export {
  TelegramNotifier,
  telegramText,
  TELEGRAM_DEFAULTS,
  type TelegramNotifierOptions,
  type TelegramSendMessageBody,
} from './notify/notifiers/telegram.js';
export {
  deliver,
  HttpNotifier,
  NotificationDeliveryError,
  NOTIFIER_DEFAULTS,
  type DeliveryFailureKind,
  type DeliveryOptions,
  type HttpNotifierOptions,
  type HttpRequest,
  type HttpResponse,
  type NotifierOptions,
  type ResolvedNotifierOptions,
} from './notify/http.js';
export { formatFlow } from './format.js';
export { readHistory, type HistoryEntry, type JournalLocation, type ReadHistoryOptions } from './journal/index.js';
export { AlreadyRunningError } from './journal/lock.js';
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
  NotifierDelivery,
  NotifierStartContext,
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
