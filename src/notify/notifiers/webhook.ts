import * as z from 'zod';
import type {
  JobResult,
  JobStatus,
  RehearsalResult,
  NotificationMessage,
  NotifierContext,
  Repository,
  TaskStatus,
} from '../../types.js';
import {
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  resolveCommon,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';
import { bearerTokenString, lazy, parseOptions, secret } from '../../validation.js';

/**
 * One task in a {@link WebhookPayload}.
 *
 * @example
 * ```ts
 * const failed = payload.job.tasks.filter((task: WebhookTaskSummary) => task.status === 'failed')
 * ```
 */
export interface WebhookTaskSummary {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  /** The notification task itself is `running`: it is delivering this payload. */
  readonly status: TaskStatus;
  readonly exitCode: number | null;
  readonly durationMs: number | null;
  readonly error: string | null;
}

/**
 * The job part of a {@link WebhookPayload}.
 *
 * @example
 * ```ts
 * const { status, repository, durationMs }: WebhookJobSummary = payload.job
 * ```
 */
export interface WebhookJobSummary {
  /** The job's final status, as the message reports it. */
  readonly status: JobStatus;
  readonly jobId: string;
  readonly jobType: string;
  /** `null` when the pipeline was given no repository. */
  readonly repository: Repository | null;
  /** From the job's start to this notification. */
  readonly durationMs: number;
  readonly tasks: readonly WebhookTaskSummary[];
  /**
   * What a rehearsal injected (docs/testing.md#rehearse-your-failure-path), or `null` for a real run:
   * a receiver can tell a rehearsal from an outage without reading the title.
   */
  readonly rehearsal: RehearsalResult | null;
}

/**
 * The JSON body a {@link WebhookNotifier} POSTs: the message, plus a compact summary of the job.
 *
 * @example
 * ```json
 * {
 *   "message": { "title": "✅ Backup Job Completed Successfully", "body": "…", "level": "success",
 *                "jobId": "3f2b…", "status": "completed" },
 *   "job": { "status": "completed", "jobId": "3f2b…", "jobType": "scheduled",
 *            "repository": { "id": 7, "name": "nas" }, "durationMs": 61250,
 *            "tasks": [{ "index": 0, "name": "Database Dump", "type": "hook", "status": "completed",
 *                        "exitCode": 0, "durationMs": 1500, "error": null }] }
 * }
 * ```
 */
export interface WebhookPayload {
  readonly message: NotificationMessage;
  readonly job: WebhookJobSummary;
}

/**
 * Options of {@link WebhookNotifier}.
 *
 * @example
 * ```ts
 * const options: WebhookNotifierOptions = { url: 'https://ops.example.com/hook', headers: { 'X-Api-Key': key } }
 * ```
 */
export interface WebhookNotifierOptions extends HttpNotifierOptions {
  /**
   * Where to POST. `user:password@` in the URL is sent as Basic authentication.
   */
  readonly url: string;
  /**
   * Extra request headers. Values of headers whose names look like credentials (`Authorization`,
   * `X-Api-Key`, `*token*`, `*secret*`, …) are added to `secrets`.
   * @default {}
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Sent as `Authorization: Bearer <token>`; do not also set an `Authorization` header. */
  readonly token?: string | undefined;
}

const SENSITIVE_HEADER = /auth|token|key|secret|password|cookie|signature|session/i;

/** The options {@link WebhookNotifier} validates (the config file's `webhook` entries are derived from it). */
export const webhookNotifierOptionsSchema = lazy(() =>
  z
    .strictObject({
      ...httpNotifierOptionsShape('webhook'),
      url: secret(httpUrlSchema()).meta({ description: 'Where to POST the message and a job summary as JSON.' }),
      headers: z
        .record(z.string(), secret(z.string()))
        .superRefine((headers, context) => {
          for (const [name, value] of Object.entries(headers)) {
            try {
              new Headers([[name, value]]);
            } catch {
              context.addIssue({
                code: 'custom',
                path: [name],
                message: 'not a valid HTTP header (names are tokens; values are one line of Latin-1 text)',
              });
            }
          }
        })
        .default({}).meta({ description: 'Extra request headers.' }),
      token: bearerTokenString.optional().meta({ description: 'Sent as Authorization: Bearer <token>.' }),
    })
    .superRefine((options, context) => {
      const hasAuthorization = Object.keys(options.headers).some((name) => name.toLowerCase() === 'authorization');
      if (options.token !== undefined && hasAuthorization) {
        context.addIssue({ code: 'custom', path: ['token'], message: 'give either token or an Authorization header, not both' });
      }
    }),
);

/**
 * POSTs the message and a compact job summary as JSON ({@link WebhookPayload}) to any URL.
 *
 * Any 2xx is success. Network errors, 5xx and 429 are retried (`retries`, default 2); other
 * statuses fail at once with e.g. `HTTP 404 Not Found`. Redirects are not followed. The message's
 * `details` travel as data; `details: false` sends `details: []`.
 *
 * @example
 * ```ts
 * new WebhookNotifier({ url: 'https://ops.example.com/hooks/backup', token: process.env.HOOK_TOKEN })
 * ```
 */
export class WebhookNotifier extends HttpNotifier {
  /** The token, credential-looking header values and URL parts: redacted by the engine. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(options: WebhookNotifierOptions) {
    const parsed = parseOptions(webhookNotifierOptionsSchema(), options, 'WebhookNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#url = parsed.url;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'jobhooks' };
    const secrets = urlSecrets(parsed.url);
    for (const [name, value] of Object.entries(parsed.headers)) {
      headers[name.toLowerCase()] = value;
      if (SENSITIVE_HEADER.test(name) && value !== '') secrets.push(value);
    }
    if (parsed.token !== undefined) {
      headers.authorization = `Bearer ${parsed.token}`;
      secrets.push(parsed.token);
    }
    this.#headers = headers;
    this.secrets = Object.freeze([...new Set(secrets)]);
  }

  /** POSTs {@link WebhookPayload} as JSON; rejects with the status or network error. */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const payload = webhookPayload(message, context.result, Date.now(), this.details);
    await this.send(
      { url: this.#url, headers: this.#headers, body: JSON.stringify(payload) },
      { signal: context.signal },
    );
  }
}

/**
 * Builds the {@link WebhookPayload} of a message and the job it reports on; without `details`, the
 * message's `details` are `[]`.
 *
 * @example
 * ```ts
 * const payload = webhookPayload(message, context.result)
 * ```
 */
export function webhookPayload(message: NotificationMessage, result: JobResult, now = Date.now(), details = true): WebhookPayload {
  const elapsedMs = Math.max(0, now - Date.parse(result.startedAt));
  return {
    message: {
      title: message.title,
      body: message.body,
      level: message.level,
      jobId: message.jobId,
      status: message.status,
      details: details ? message.details : [],
    },
    job: {
      status: message.status,
      jobId: result.jobId,
      jobType: result.jobType,
      repository: result.repository === undefined ? null : { ...result.repository },
      durationMs: result.durationMs ?? (Number.isFinite(elapsedMs) ? elapsedMs : 0),
      tasks: result.tasks.map((task) => ({
        index: task.index,
        name: task.name,
        type: task.type,
        status: task.status,
        exitCode: task.exitCode,
        durationMs: task.durationMs,
        error: task.error,
      })),
      rehearsal: result.rehearsal == null ? null : { ...result.rehearsal },
    },
  };
}
