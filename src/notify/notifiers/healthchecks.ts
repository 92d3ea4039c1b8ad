import * as z from 'zod';
import type { JobResult, NotificationDetail, NotificationMessage, NotifierContext, NotifierStartContext } from '../../types.js';
import {
  ALL_NOTIFICATION_LEVELS,
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  resolveCommon,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';
import { lazy, parseOptions, secret } from '../../validation.js';
import { firstUtf8Bytes } from '../../utf8.js';
import { DETAIL_REASON_MAX, UTF8_BYTES, fitDetails, omittedLine, shownOutput, truncate, type FittedDetail, type FittedDetails } from '../details.js';
import { onAbort } from '../../executor/timers.js';

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

/** The options {@link HealthchecksNotifier} validates (the config file's `healthchecks` entries are derived from it). */
export const healthchecksNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    // A skipped job pings success: a missing ping would page someone (docs/notifications.md#healthchecks).
    ...httpNotifierOptionsShape('healthchecks', ALL_NOTIFICATION_LEVELS),
    url: secret(httpUrlSchema()).refine((url) => !PING_SUFFIX.test(url.pathname.replace(/\/+$/, '')), {
      message: 'give the check\'s ping URL itself, without /start, /fail, /log or an exit status',
    }).meta({ description: 'The check\'s ping URL, without /start or /fail.' }),
    maxBodyBytes: z
      .number()
      .int('expected a whole number')
      .min(1000)
      .max(10_000_000)
      .default(HEALTHCHECKS_MAX_BODY_BYTES).meta({ description: 'The most bytes a ping body may have. Default 100000.' }),
  }),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Pings a Healthchecks.io check (or a self-hosted Healthchecks): `/start` when the job starts, the
 * ping URL itself on success **and on warnings** (the job ran and its backups exist; the body says
 * what went wrong) **and on a skipped job** (level `info`, in its default `on`: a skip is not an
 * outage), `/fail` on failure or cancellation.
 *
 * The body is the message (title, blank line, body) followed (unless `details: false`) by each task
 * of the message's details — every task that failed or completed with warnings — with its error and
 * its output tail, capped at `maxBodyBytes` keeping the end of the output, where the error usually
 * is. When the job
 * id is a UUID (the default) it is sent as Healthchecks' run id `rid`, so the start and the end of
 * the same run are paired even when runs overlap. The end ping of a run is never sent before its
 * `/start` ping has finished (or given up within its own timeout), so Healthchecks never shows a run
 * as started after it ended.
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
  /** Start pings still on their way, by job id: their run's end ping waits for them. */
  readonly #starts = new Map<string, Promise<void>>();

  constructor(options: HealthchecksNotifierOptions) {
    const parsed = parseOptions(healthchecksNotifierOptionsSchema(), options, 'HealthchecksNotifier options');
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
    const ping = this.#ping('/start', context.jobId, body, context.signal);
    const settled = ping.then(
      () => undefined,
      () => undefined,
    );
    this.#starts.set(context.jobId, settled);
    try {
      await ping;
    } finally {
      if (this.#starts.get(context.jobId) === settled) this.#starts.delete(context.jobId);
    }
  }

  /**
   * Sends the success ping (info, success and warning) or the `/fail` ping (error), once the run's `/start`
   * ping, if one is still on its way (a retry after a 5xx), has finished: a start that reached
   * Healthchecks after the end would show the job as running.
   */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    await settledOrAborted(this.#starts.get(message.jobId), context.signal);
    const suffix = message.level === 'error' ? '/fail' : '';
    const body = healthchecksBody(message, context.result, this.#maxBodyBytes, this.details);
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
          return line === '' || line.startsWith('<') ? undefined : line;
        },
      },
    );
  }
}

/**
 * Resolves when `pending` has settled, or when `signal` fires (then the caller's own send, under the
 * same signal, fails at once without sending).
 */
async function settledOrAborted(pending: Promise<void> | undefined, signal: AbortSignal): Promise<void> {
  if (pending === undefined || signal.aborted) return;
  let unsubscribe = (): void => {};
  try {
    await Promise.race([pending, new Promise<void>((resolve) => (unsubscribe = onAbort(signal, resolve)))]);
  } finally {
    unsubscribe();
  }
}

/**
 * The body of a Healthchecks ping: the message, then (with `details`) each task of the message's
 * details with its error and output tail, at most `maxBytes` bytes of UTF-8. Over the limit, it is
 * cut as every notifier's details are (docs/notifications.md, "What a failure alert shows"): each
 * task keeps its heading and error (cut to {@link DETAIL_REASON_MAX} characters), each output its
 * end behind `[… earlier output cut …]`, the outputs share the room, and tasks that do not fit at all
 * are counted in a last line.
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
  details = true,
): string {
  const head = `${message.title}\n\n${message.body}\n`;
  if (Buffer.byteLength(head) > maxBytes) return firstUtf8Bytes(head, maxBytes);
  if (!details) return head;
  // The details carry only each task's last lines; Healthchecks has room for the whole tail kept.
  const tasks = new Map(result.tasks.map((task) => [task.index, task]));
  const items = message.details.map((detail): FittedDetail => ({ detail, output: tasks.get(detail.index)?.output ?? detail.output, outputCut: false }));
  const notKept = (detail: NotificationDetail): boolean => tasks.get(detail.index)?.outputTruncated === true;
  const full = head + items.map((item) => describeTask(item, notKept(item.detail))).join('');
  if (Buffer.byteLength(full) <= maxBytes) return full;
  const render = (fitted: FittedDetails): string =>
    head +
    fitted.shown.map((item) => describeTask(item, notKept(item.detail), DETAIL_REASON_MAX)).join('') +
    (fitted.omitted > 0 ? `\n${omittedLine(fitted.omitted)}\n` : '');
  return render(fitDetails(items, maxBytes, render, UTF8_BYTES));
}

/** One task of the details: its heading, its error (cut to `reasonMax` characters), its output as shown. */
function describeTask(item: FittedDetail, notKept: boolean, reasonMax = Number.POSITIVE_INFINITY): string {
  const { detail } = item;
  const outcome = detail.status === 'failed' ? 'failed' : 'completed with warnings';
  const lines = [`\n--- Task ${detail.index} '${detail.name}' (${detail.type}) ${outcome} ---\n`];
  if (detail.error !== null) lines.push(`Error: ${truncate(detail.error, reasonMax)}\n`);
  if (notKept) lines.push('[… earlier output was not kept …]\n');
  const output = shownOutput(item);
  lines.push(output === '' ? '(no output)\n' : `${output}${output.endsWith('\n') ? '' : '\n'}`);
  return lines.join('');
}
