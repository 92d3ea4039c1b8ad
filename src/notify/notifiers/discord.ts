import { z } from 'zod';
import type { NotificationLevel, NotificationMessage, NotifierContext } from '../../types.js';
import {
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  jsonField,
  parseOptions,
  resolveCommon,
  truncate,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';

/**
 * Embed colours by level: green, orange, red.
 *
 * @example
 * ```ts
 * DISCORD_COLORS.error // 0xff0000
 * ```
 */
export const DISCORD_COLORS = {
  success: 0x2ecc71,
  warning: 0xffa500,
  error: 0xff0000,
} as const satisfies Record<NotificationLevel, number>;

/**
 * Options of {@link DiscordNotifier}.
 *
 * @example
 * ```ts
 * const options: DiscordNotifierOptions = { webhookUrl, username: 'Backups', avatarUrl: 'https://example.com/borg.png' }
 * ```
 */
export interface DiscordNotifierOptions extends HttpNotifierOptions {
  /** The channel webhook's URL: `https://discord.com/api/webhooks/<id>/<token>`. */
  readonly webhookUrl: string;
  /**
   * The name the message is posted under (1 to 80 characters, without "discord" or "clyde").
   * @default the name set on the webhook in Discord
   */
  readonly username?: string | undefined;
  /**
   * The avatar the message is posted with.
   * @default the avatar set on the webhook in Discord
   */
  readonly avatarUrl?: string | undefined;
}

/**
 * The JSON body a {@link DiscordNotifier} POSTs.
 *
 * @example
 * ```json
 * { "embeds": [{ "title": "❌ Backup Job Failed - Backup Error", "description": "…", "color": 16711680 }], "allowed_mentions": { "parse": [] } }
 * ```
 */
export interface DiscordWebhookBody {
  readonly username?: string;
  readonly avatar_url?: string;
  readonly embeds: readonly [{ readonly title: string; readonly description: string; readonly color: number }];
  /** Always `{ parse: [] }`: a hook or repository named `@everyone` must not ping a channel. */
  readonly allowed_mentions: { readonly parse: readonly [] };
}

const schema = z.strictObject({
  ...httpNotifierOptionsShape('discord'),
  webhookUrl: httpUrlSchema(),
  username: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(80, 'Discord allows at most 80 characters')
    .refine((name) => !/discord|clyde/i.test(name), { message: 'Discord refuses names containing "discord" or "clyde"' })
    .optional(),
  avatarUrl: httpUrlSchema().optional(),
});

/** Discord's limits on an embed's title and description, in characters. */
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;

/**
 * Posts the message to a Discord channel through a webhook, as an embed coloured by level:
 * green (`0x2ECC71`) for success, orange (`0xFFA500`) for warnings, red (`0xFF0000`) for failures
 * and cancellations.
 *
 * Mentions are disabled (`allowed_mentions: { parse: [] }`), so names from the job cannot ping
 * anyone. Discord answers 204 (200 with `?wait=true`); any 2xx is success, and its 429 answers
 * are retried after their `Retry-After`.
 *
 * @example
 * ```ts
 * new DiscordNotifier({ webhookUrl: process.env.DISCORD_WEBHOOK_URL ?? '', username: 'Backups' })
 * ```
 */
export class DiscordNotifier extends HttpNotifier {
  /** The webhook URL and its token. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #username: string | undefined;
  readonly #avatarUrl: string | undefined;

  constructor(options: DiscordNotifierOptions) {
    const parsed = parseOptions(schema, options, 'DiscordNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#url = parsed.webhookUrl;
    this.#username = parsed.username;
    this.#avatarUrl = parsed.avatarUrl?.href;
    // …/api/webhooks/<id>/<token>: the token is the long last segment.
    const tokens = parsed.webhookUrl.pathname.split('/').filter((segment) => segment.length >= 32);
    this.secrets = Object.freeze([...new Set([...urlSecrets(parsed.webhookUrl), ...tokens])]);
  }

  /** Posts one embed; rejects with Discord's reason (`HTTP 404 Not Found: Unknown Webhook`). */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const body: DiscordWebhookBody = {
      ...(this.#username === undefined ? {} : { username: this.#username }),
      ...(this.#avatarUrl === undefined ? {} : { avatar_url: this.#avatarUrl }),
      embeds: [
        {
          title: truncate(message.title, TITLE_MAX),
          description: truncate(message.body, DESCRIPTION_MAX),
          color: DISCORD_COLORS[message.level],
        },
      ],
      allowed_mentions: { parse: [] },
    };
    await this.send(
      {
        url: this.#url,
        headers: { 'content-type': 'application/json', 'user-agent': 'jobhooks' },
        body: JSON.stringify(body),
      },
      {
        signal: context.signal,
        describeErrorBody: (text) => jsonField(text, 'message'),
      },
    );
  }
}
