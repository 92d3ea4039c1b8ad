import { z } from 'zod';
import type {
  JobResult,
  NotificationMessage,
  NotifierContext,
  NotifierStartContext,
  TaskResult,
} from '../../types.js';
import {
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  parseOptions,
  resolveCommon,
  truncate,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';
import { firstUtf8Bytes, lastUtf8Bytes } from '../../utf8.js';

/**
 * The most a Healthchecks.io ping body may hold, in bytes; the default of `maxBodyBytes`.
 *
 * @example
 * ```ts
 * new HealthchecksNotifier({ url, maxBodyBytes: HEALTHCHECKS_MAX_BODY_BYTES / 10 })
 * ```
 */
export const HEALTHCHECKS_MAX_BODY_BYTES = 100_000;

/**
 * Options of {@link HealthchecksNotifier}.
 *
 * @example
 * ```ts
 * const options: HealthchecksNotifierOptions = { url: 'https://hc.example.com/ping/5bf2c6a4-…', maxBodyBytes: 10_000 }
 * ```
 */
export interface HealthchecksNotifierOptions extends HttpNotifierOptions {
  /**
   * The check's ping URL, without `/start` or `/fail`: `https://hc-ping.com/<uuid>`,
   * `https://hc-ping.com/<ping-key>/<slug>`, or the same on a self-hosted server.
   */
  readonly url: string;
  /**
   * The most bytes a ping body may have; longer bodies keep the message and the *end* of the
   * output. Self-hosted servers keep `PING_BODY_LIMIT` bytes (10 000 by default): set it to match.
   * @default 100000
   */
  readonly maxBodyBytes?: number | undefined;
}

const PING_SUFFIX = /\/(start|fail|log|\d{1,3})$/;

const schema = z.strictObject({
  ...httpNotifierOptionsShape('healthchecks'),
  url: httpUrlSchema().refine((url) => !PING_SUFFIX.test(url.pathname.replace(/\/+$/, '')), {
    message: 'give the check\'s ping URL itself, without /start, /fail, /log or an exit status',
  }),
  maxBodyBytes: z
    .number()
    .int('expected a whole number')
    .min(1000)
    .max(10_000_000)
    .default(HEALTHCHECKS_MAX_BODY_BYTES),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Pings a Healthchecks.io check (or a self-hosted Healthchecks): `/start` when the job starts, the
 * ping URL itself on success **and on warnings** (the job ran and its backups exist; the body says
 * what went wrong), `/fail` on failure or cancellation.
 *
 * The body is the message (title, blank line, body) followed by the output tail of the task that
 * failed the job (or of every failed task, and for warnings of every task that failed or warned),
 * capped at `maxBodyBytes` keeping the end of the output, where the error usually is. When the job
 * id is a UUID (the default) it is sent as Healthchecks' run id `rid`, so the start and the end of
 * the same run are paired even when runs overlap.
 *
 * @example
 * ```ts
 * new HealthchecksNotifier({ url: `https://hc-ping.com/${process.env.HC_UUID}` })
 * ```
 */
export class HealthchecksNotifier extends HttpNotifier {
  /** The ping URL and its check UUID or ping key: anyone who has them can ping the check. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #maxBodyBytes: number;

  constructor(options: HealthchecksNotifierOptions) {
    const parsed = parseOptions(schema, options, 'HealthchecksNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#maxBodyBytes = parsed.maxBodyBytes;
    this.#url = parsed.url;
    const keys = parsed.url.pathname.split('/').filter((segment) => segment.length >= 16);
    this.secrets = Object.freeze([...new Set([...urlSecrets(parsed.url), ...keys])]);
  }

  /** Sends the `/start` ping, so Healthchecks measures the run and spots a job that never ends. */
  async jobStarted(context: NotifierStartContext): Promise<void> {
    const repository = context.repository?.name;
    const body = `Job ${context.jobId} (${context.jobType}) started${repository === undefined ? '' : ` for '${repository}'`}\n`;
    await this.#ping('/start', context.jobId, body, context.signal);
  }

  /** Sends the success ping (success and warning) or the `/fail` ping (error). */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const suffix = message.level === 'error' ? '/fail' : '';
    const body = healthchecksBody(message, context.result, this.#maxBodyBytes);
    await this.#ping(suffix, message.jobId, body, context.signal);
  }

  async #ping(suffix: string, jobId: string, body: string, signal: AbortSignal): Promise<void> {
    const url = new URL(this.#url);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
    if (UUID.test(jobId)) url.searchParams.set('rid', jobId.toLowerCase());
    await this.send(
      { url, headers: { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'jobhooks' }, body },
      {
        signal,
        // Healthchecks answers errors in one short line of text: "not found", "invalid url format".
        describeErrorBody: (text) => {
          const line = text.trim().split('\n')[0]?.trim() ?? '';
          return line === '' || line.startsWith('<') ? undefined : truncate(line, 200);
        },
      },
    );
  }
}

/**
 * The body of a Healthchecks ping: the message, then the output of the tasks that went wrong,
 * at most `maxBytes` bytes of UTF-8, keeping the end of the output.
 *
 * @example
 * ```ts
 * healthchecksBody(message, result) // "❌ Backup Job Failed - Backup Error\n\n…\n--- Task 2 …"
 * ```
 */
export function healthchecksBody(
  message: NotificationMessage,
  result: JobResult,
  maxBytes: number = HEALTHCHECKS_MAX_BODY_BYTES,
): string {
  const head = `${message.title}\n\n${message.body}\n`;
  const sections = tasksToShow(message, result).map(describeTask);
  const output = sections.join('');
  const full = head + output;
  if (Buffer.byteLength(full) <= maxBytes) return full;

  const marker = `\n[… earlier output cut to fit the ${maxBytes}-byte limit …]\n`;
  const room = maxBytes - Buffer.byteLength(head) - Buffer.byteLength(marker);
  if (room <= 0) return firstUtf8Bytes(head, maxBytes);
  return head + marker + lastUtf8Bytes(output, room);
}

function tasksToShow(message: NotificationMessage, result: JobResult): TaskResult[] {
  const others = result.tasks.filter((task) => task.phase !== 'notification');
  if (message.level === 'success') return [];
  if (message.level === 'error') {
    const culprit = result.failure?.taskIndex;
    const failing = culprit === null || culprit === undefined ? undefined : result.tasks[culprit];
    return failing === undefined ? others.filter((task) => task.status === 'failed') : [failing];
  }
  return others.filter((task) => task.status === 'failed' || task.warning);
}

function describeTask(task: TaskResult): string {
  const outcome = task.status === 'failed' ? 'failed' : 'completed with warnings';
  const lines = [`\n--- Task ${task.index} '${task.name}' (${task.type}) ${outcome} ---\n`];
  if (task.error !== null) lines.push(`Error: ${task.error}\n`);
  if (task.outputTruncated) lines.push('[… earlier output was not kept …]\n');
  lines.push(task.output === '' ? '(no output)\n' : `${task.output}${task.output.endsWith('\n') ? '' : '\n'}`);
  return lines.join('');
}
