import * as z from 'zod';
import type { NotificationDetail, NotificationLevel, NotificationMessage, NotifierContext } from '../../types.js';
import {
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  jsonField,
  resolveCommon,
  urlSecrets,
  type HttpNotifierOptions,
} from '../http.js';
import { lazy, parseOptions, secret } from '../../validation.js';
import {
  CODE_POINTS,
  DETAIL_REASON_MAX,
  allDetails,
  detailIcon,
  detailKind,
  detailReason,
  fitDetails,
  omittedLine,
  shownOutput,
  truncate,
  type FittedDetail,
  type FittedDetails,
} from '../details.js';

/**
 * Embed colours by level: green, orange, red.
 *
 * @example
 * ```ts
 * DISCORD_COLORS.error // 0xff0000
 * ```
 */
export const DISCORD_COLORS = {
  info: 0x3498db,
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
  readonly embeds: readonly [
    {
      readonly title: string;
      readonly description: string;
      readonly color: number;
      /** The details, one field per task (absent when there are none or with `details: false`). */
      readonly fields?: readonly DiscordEmbedField[];
    },
  ];
  /** Always `{ parse: [] }`: a hook or repository named `@everyone` must not ping a channel. */
  readonly allowed_mentions: { readonly parse: readonly [] };
}

/**
 * One task of the details in a Discord embed: `name` is the task's name and kind
 * (`❌ Create archive (backup)`), `value` its error and its last output lines in a code block.
 *
 * @example
 * ```json
 * { "name": "❌ Create archive (backup)", "value": "Task 'Create archive' exited with code 2\n```\nFailed to create/acquire the lock\n```" }
 * ```
 */
export interface DiscordEmbedField {
  readonly name: string;
  readonly value: string;
}

/** The options {@link DiscordNotifier} validates (the config file's `discord` entries are derived from it). */
export const discordNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    ...httpNotifierOptionsShape('discord'),
    webhookUrl: secret(httpUrlSchema()).meta({ description: 'The channel webhook\'s URL: https://discord.com/api/webhooks/<id>/<token>.' }),
    username: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(80, 'Discord allows at most 80 characters')
      .refine((name) => !/discord|clyde/i.test(name), { message: 'Discord refuses names containing "discord" or "clyde"' })
      .optional().meta({ description: 'The name the message is posted under.' }),
    avatarUrl: httpUrlSchema().optional().meta({ description: 'The avatar the message is posted with.' }),
  }),
);

/** Discord's limits on an embed, in characters: title, description, fields, and all of them together. */
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const FIELDS_MAX = 25;
const FIELD_NAME_MAX = 256;
const FIELD_VALUE_MAX = 1024;
const EMBED_MAX = 6000;

/**
 * Posts the message to a Discord channel through a webhook, as an embed coloured by level:
 * green (`0x2ECC71`) for success, orange (`0xFFA500`) for warnings, red (`0xFF0000`) for failures
 * and cancellations. Unless `details: false`, each task that failed or warned is a field of the embed
 * (its name and kind; its error and last output lines in a code block), cut to Discord's limits
 * (25 fields, 1024 characters a field, 6000 an embed) keeping the end of each output.
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
    const parsed = parseOptions(discordNotifierOptionsSchema(), options, 'DiscordNotifier options');
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
    const title = truncate(message.title, TITLE_MAX);
    const description = truncate(message.body, DESCRIPTION_MAX);
    const room = EMBED_MAX - CODE_POINTS.size(title) - CODE_POINTS.size(description);
    const fields = this.details ? discordFields(message.details, room) : [];
    const body: DiscordWebhookBody = {
      ...(this.#username === undefined ? {} : { username: this.#username }),
      ...(this.#avatarUrl === undefined ? {} : { avatar_url: this.#avatarUrl }),
      embeds: [{ title, description, color: DISCORD_COLORS[message.level], ...(fields.length === 0 ? {} : { fields }) }],
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

/**
 * The details as embed fields within `room` characters in all (docs/notifications.md): each output
 * is first cut to its field's 1024 characters, then all of them to the room left in the embed; past
 * 25 tasks, the last field names the ones left out.
 *
 * @example
 * ```ts
 * discordFields(message.details, 6000 - title.length - description.length)
 * // [{ name: '❌ Create archive (backup)', value: "Task 'Create archive' exited with code 2\n```\n…\n```" }]
 * ```
 */
export function discordFields(details: readonly NotificationDetail[], room: number): DiscordEmbedField[] {
  if (details.length === 0) return [];
  const perField = allDetails(details).shown.map(
    (item) => fitDetails([item], FIELD_VALUE_MAX, (fitted) => fieldsOf(fitted, details).map((field) => field.value).join(''), CODE_POINTS).shown[0] ?? item,
  );
  const size = (fitted: FittedDetails): string => fieldsOf(fitted, details).map((field) => field.name + field.value).join('');
  return fieldsOf(fitDetails(perField, room, size, CODE_POINTS, FIELDS_MAX), details);
}

function fieldsOf(fitted: FittedDetails, details: readonly NotificationDetail[]): DiscordEmbedField[] {
  const fields = fitted.shown.map(field);
  if (fitted.omitted > 0) {
    const names = details.slice(-fitted.omitted).map((detail) => detail.name).join(', ');
    fields.push({ name: omittedLine(fitted.omitted), value: truncate(names, FIELD_VALUE_MAX) });
  }
  return fields;
}

function field(item: FittedDetail): DiscordEmbedField {
  const { detail } = item;
  const name = truncate(`${detailIcon(detail)} ${detail.name} (${detailKind(detail)})`, FIELD_NAME_MAX);
  const shown = shownOutput(item);
  // A fence in the output would end the code block early.
  const block = shown === '' ? '' : `\n\`\`\`\n${shown.replaceAll('```', '`\u200b``')}\n\`\`\``;
  return { name, value: `${truncate(detailReason(detail), DETAIL_REASON_MAX)}${block}` };
}
