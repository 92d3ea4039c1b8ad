import { DEFAULTS } from '../../defaults.js';
import * as z from 'zod';
import type { NotificationLevel, NotificationMessage, NotifierContext } from '../../types.js';
import {
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  jsonField,
  perLevelSchema,
  resolveCommon,
  resolvePerLevel,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';
import { bearerTokenString, lazy, parseOptions, secret } from '../../validation.js';
import { UTF8_BYTES, bodyWithDetails } from '../details.js';

/**
 * An ntfy priority: 1 (min) to 5 (max), or its name (`urgent` is `max`).
 *
 * @example
 * ```ts
 * new NtfyNotifier({ topic: 'backups', priority: { success: 'low', error: 5 } })
 * ```
 */
export type NtfyPriority = 1 | 2 | 3 | 4 | 5 | 'min' | 'low' | 'default' | 'high' | 'max' | 'urgent';

/**
 * Options of {@link NtfyNotifier}.
 *
 * @example
 * ```ts
 * const options: NtfyNotifierOptions = { url: 'https://ntfy.example.com', topic: 'backups', token }
 * ```
 */
export interface NtfyNotifierOptions extends HttpNotifierOptions {
  /**
   * The ntfy server (a self-hosted one, with a path prefix if it sits behind one).
   * @default 'https://ntfy.sh'
   */
  readonly url?: string | undefined;
  /** The topic to publish to: 1 to 64 letters, digits, `-` or `_`. */
  readonly topic: string;
  /** An access token (`tk_…`), sent as `Authorization: Bearer`. `user:password@` in `url` works too. */
  readonly token?: string | undefined;
  /**
   * The priority of each level; levels left out keep their default.
   * @default { success: 'default', warning: 'high', error: 'urgent' }
   */
  readonly priority?: Partial<Record<NotificationLevel, NtfyPriority>> | undefined;
  /**
   * The tags of each level (tags that are emoji short codes show as emoji); levels left out keep their default.
   * @default { success: ['white_check_mark'], warning: ['warning'], error: ['rotating_light'] }
   */
  readonly tags?: Partial<Record<NotificationLevel, readonly string[]>> | undefined;
}

/**
 * ntfy's limit on a message, in UTF-8 bytes: a longer one becomes an attachment, or is refused where
 * attachments are off. The details are cut to fit it.
 */
export const NTFY_MESSAGE_MAX_BYTES = 4096;

const PRIORITY_NAMES = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 } as const;

const prioritySchema = z.union([
  z.literal([1, 2, 3, 4, 5]),
  z.enum(['min', 'low', 'default', 'high', 'max', 'urgent']),
], { error: 'expected 1 to 5, or "min", "low", "default", "high", "max" or "urgent"' });

/** The options {@link NtfyNotifier} validates (the config file's `ntfy` entries are derived from it). */
export const ntfyNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    ...httpNotifierOptionsShape('ntfy'),
    url: secret(httpUrlSchema()).default(new URL(DEFAULTS.ntfy.url)).meta({ description: 'The ntfy server. Default https://ntfy.sh.' }),
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'expected 1 to 64 letters, digits, "-" or "_"').meta({ description: 'The topic: 1 to 64 letters, digits, "-" or "_".' }),
    token: bearerTokenString.optional().meta({ description: 'An access token (tk_…).' }),
    priority: perLevelSchema(prioritySchema).optional().meta({ description: 'The priority of each level (1–5 or min, low, default, high, max, urgent).' }),
    tags: perLevelSchema(z.array(z.string().trim().min(1, 'must not be empty').max(64))).optional().meta({ description: 'The tags of each level.' }),
  }),
);

/**
 * The JSON body an {@link NtfyNotifier} POSTs to the server's root.
 *
 * @example
 * ```json
 * { "topic": "backups", "title": "✅ Backup Job Completed Successfully", "message": "…", "priority": 3, "tags": ["white_check_mark"] }
 * ```
 */
export interface NtfyPublishBody {
  readonly topic: string;
  readonly title: string;
  readonly message: string;
  readonly priority: 1 | 2 | 3 | 4 | 5;
  readonly tags: readonly string[];
}

/**
 * Publishes to an ntfy topic (ntfy.sh or self-hosted), with a priority and tags by level.
 *
 * Uses ntfy's JSON publish API (a POST of `{ topic, title, message, priority, tags }` to the
 * server's root) rather than the `Title`/`Priority`/`Tags` headers: titles start with an emoji
 * (`✅`, `⚠️`, `❌`), and header values must be Latin-1, so the header API would need RFC 2047
 * encoding that proxies in front of self-hosted servers are known to mangle. JSON carries UTF-8
 * as is.
 *
 * The message is the body, then (unless `details: false`) a blank line and the details as text,
 * cut to keep the message within ntfy's 4096 bytes: the body is never cut for them; each task keeps
 * its name and error, and its output keeps its end.
 *
 * @example
 * ```ts
 * new NtfyNotifier({ topic: 'backups-nas', token: process.env.NTFY_TOKEN, on: ['warning', 'error'] })
 * ```
 */
export class NtfyNotifier extends HttpNotifier {
  /** The token, and credentials in the server URL. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #topic: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #priority: Readonly<Record<NotificationLevel, 1 | 2 | 3 | 4 | 5>>;
  readonly #tags: Readonly<Record<NotificationLevel, readonly string[]>>;

  constructor(options: NtfyNotifierOptions) {
    const parsed = parseOptions(ntfyNotifierOptionsSchema(), options, 'NtfyNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#url = new URL(parsed.url);
    // The JSON API lives at the server's root, which is the URL's path when a proxy adds a prefix.
    if (!this.#url.pathname.endsWith('/')) this.#url.pathname += '/';
    this.#topic = parsed.topic;
    const priority = resolvePerLevel(parsed.priority, DEFAULTS.ntfy.priority);
    this.#priority = {
      info: toNumber(priority.info),
      success: toNumber(priority.success),
      warning: toNumber(priority.warning),
      error: toNumber(priority.error),
    };
    this.#tags = resolvePerLevel<readonly string[]>(parsed.tags, DEFAULTS.ntfy.tags);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'jobhooks' };
    const secrets = urlSecrets(parsed.url).filter((secret) => secret !== parsed.url.href);
    if (parsed.token !== undefined) {
      headers.authorization = `Bearer ${parsed.token}`;
      secrets.push(parsed.token);
    }
    this.#headers = headers;
    this.secrets = Object.freeze([...new Set(secrets)]);
  }

  /** Publishes the message; rejects with ntfy's reason (`HTTP 403 Forbidden: forbidden`). */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const body: NtfyPublishBody = {
      topic: this.#topic,
      title: message.title,
      message: this.details
        ? bodyWithDetails(message.body, message.details, NTFY_MESSAGE_MAX_BYTES, UTF8_BYTES, keepWhole)
        : message.body,
      priority: this.#priority[message.level],
      tags: this.#tags[message.level],
    };
    await this.send(
      { url: this.#url, headers: this.#headers, body: JSON.stringify(body) },
      {
        signal: context.signal,
        describeErrorBody: (text) => jsonField(text, 'error'),
      },
    );
  }
}

/** ntfy never gets a cut body: a body longer than its limit (never seen in practice) goes as an attachment. */
function keepWhole(body: string): string {
  return body;
}

function toNumber(priority: NtfyPriority): 1 | 2 | 3 | 4 | 5 {
  return typeof priority === 'number' ? priority : PRIORITY_NAMES[priority];
}
