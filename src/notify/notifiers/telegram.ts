import { DEFAULTS } from '../../defaults.js';
import * as z from 'zod';
import type { NotificationMessage, NotifierContext } from '../../types.js';
import {
  credentialSecrets,
  HttpNotifier,
  escapeHtml,
  httpNotifierOptionsShape,
  httpUrlSchema,
  jsonField,
  rejected,
  resolveCommon,
  type HttpNotifierOptions,
} from '../http.js';
import { lazy, parseOptions, secret } from '../../validation.js';
import {
  DETAIL_REASON_MAX,
  UTF16_UNITS,
  allDetails,
  detailIcon,
  detailKind,
  detailReason,
  fitDetails,
  omittedLine,
  shownOutput,
  truncate,
  type FittedDetails,
} from '../details.js';

/**
 * Options of {@link TelegramNotifier}.
 *
 * @example
 * ```ts
 * const options: TelegramNotifierOptions = { botToken, chatId: '@nas_backups', disableNotification: true }
 * ```
 */
export interface TelegramNotifierOptions extends HttpNotifierOptions {
  /** The bot's token from BotFather (`123456789:AA…`). It goes in the request path, never in errors. */
  readonly botToken: string;
  /** The chat to post in: a numeric id (`-1001234567890` for a group or channel) or `@channelname`. */
  readonly chatId: string | number;
  /**
   * Deliver silently (no sound on the phone).
   * @default false
   */
  readonly disableNotification?: boolean | undefined;
  /**
   * The Bot API server (a self-hosted `telegram-bot-api`, tests); `/bot<token>/sendMessage` is appended.
   * @default 'https://api.telegram.org'
   */
  readonly baseUrl?: string | undefined;
}

/**
 * The JSON body a {@link TelegramNotifier} POSTs to `sendMessage`.
 *
 * @example
 * ```json
 * { "chat_id": -1001234567890, "text": "<b>✅ Backup Job Completed Successfully</b>\n\n…", "parse_mode": "HTML", "disable_notification": false }
 * ```
 */
export interface TelegramSendMessageBody {
  readonly chat_id: string | number;
  /** `<b>title</b>`, a blank line, the body, then the details; all HTML-escaped. */
  readonly text: string;
  readonly parse_mode: 'HTML';
  readonly disable_notification: boolean;
}

const CHAT_ID_MESSAGE = 'expected a numeric chat id or "@channelname"';

/** The options {@link TelegramNotifier} validates (the config file's `telegram` entries are derived from it). */
export const telegramNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    ...httpNotifierOptionsShape('telegram'),
    botToken: secret(z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'expected a bot token from @BotFather, like "123456789:AA…"')).meta({ description: 'The bot\'s token from @BotFather.' }),
    chatId: z.union(
      [
        z.number().int(CHAT_ID_MESSAGE),
        z.string().regex(/^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31})$/, CHAT_ID_MESSAGE),
      ],
      { error: CHAT_ID_MESSAGE },
    ).meta({ description: 'A numeric chat id or "@channelname".' }),
    disableNotification: z.boolean().default(DEFAULTS.telegram.disableNotification).meta({ description: 'Deliver silently. Default false.' }),
    baseUrl: httpUrlSchema().default(new URL(DEFAULTS.telegram.baseUrl)).meta({ description: 'The Bot API server. Default https://api.telegram.org.' }),
  }),
);

/** Telegram's limit on a message's text, in characters, once the HTML is parsed. */
const TEXT_MAX = 4096;

/**
 * Posts the message to a Telegram chat with the Bot API's `sendMessage`: the title in bold, a blank
 * line, the body, as HTML with `&`, `<` and `>` escaped in both, so a hook named `<b>&` shows as
 * written instead of breaking the send. Unless `details: false`, each task that failed or warned
 * follows: its name in bold, its error, its last output lines in `<pre>`; they are cut first (outputs
 * keeping their end) so the message fits Telegram's 4096 characters with the title and body whole.
 *
 * Success is a 2xx answer with `ok: true`; failures carry Telegram's `description`
 * (`HTTP 400 Bad Request: chat not found`). The token travels in the URL path, so errors name only
 * the host, and the token is in `secrets` for the engine to redact anywhere else.
 *
 * @example
 * ```ts
 * new TelegramNotifier({ botToken: process.env.TELEGRAM_BOT_TOKEN ?? '', chatId: -1001234567890 })
 * ```
 */
export class TelegramNotifier extends HttpNotifier {
  /** The bot token. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #chatId: string | number;
  readonly #disableNotification: boolean;

  constructor(options: TelegramNotifierOptions) {
    const parsed = parseOptions(telegramNotifierOptionsSchema(), options, 'TelegramNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#url = new URL(parsed.baseUrl);
    this.#url.pathname = `${this.#url.pathname.replace(/\/+$/, '')}/bot${parsed.botToken}/sendMessage`;
    this.#chatId = parsed.chatId;
    this.#disableNotification = parsed.disableNotification;
    // user:password@ in baseUrl goes out as Basic authentication: a secret too, and its base64 (docs/notifications.md).
    this.secrets = Object.freeze([parsed.botToken, ...credentialSecrets(this.#url)]);
  }

  /** Sends the message; rejects with Telegram's `description` when it refuses it. */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const body: TelegramSendMessageBody = {
      chat_id: this.#chatId,
      text: telegramText(message, this.details),
      parse_mode: 'HTML',
      // A skipped job (level info) is news for nobody's phone: it arrives silently (docs/notifications.md#levels).
      disable_notification: this.#disableNotification || message.level === 'info',
    };
    const response = await this.send(
      { url: this.#url, headers: { 'content-type': 'application/json', 'user-agent': 'jobhooks' }, body: JSON.stringify(body) },
      {
        signal: context.signal,
        describeErrorBody: (text) => jsonField(text, 'description'),
        retryAfterFromBody: telegramRetryAfter,
      },
    );
    let ok: unknown;
    try {
      ok = (JSON.parse(response.body) as { ok?: unknown }).ok;
    } catch {
      rejected(`Telegram answered HTTP ${response.status} without its JSON result`, response, this.secrets);
    }
    if (ok !== true) {
      const description = jsonField(response.body, 'description') ?? 'no description';
      rejected(`Telegram refused the message: ${description}`, response, this.secrets);
    }
  }
}

/**
 * The HTML text of a message for Telegram: `<b>title</b>`, a blank line, the body, escaped, the
 * body cut (before escaping, so no entity is split) to fit Telegram's 4096 characters; then, with
 * `details`, each detail (docs/notifications.md), cut to fit what is left.
 *
 * @example
 * ```ts
 * telegramText({ title: 'A <b> & C', body: 'x < y', level: 'error', jobId: '1', status: 'failed', details: [] })
 * // '<b>A &lt;b&gt; &amp; C</b>\n\nx &lt; y'
 * ```
 */
export function telegramText(message: NotificationMessage, details = true): string {
  const title = truncate(message.title, 256);
  const room = TEXT_MAX - title.length - 2;
  const body = truncate(message.body, room);
  const head = `<b>${escapeHtml(title)}</b>\n\n${escapeHtml(body)}`;
  if (!details || message.details.length === 0) return head;
  // Telegram counts the text once the HTML is parsed: measure what the reader sees.
  const visible = (fitted: FittedDetails): string => telegramDetails(fitted, false);
  const fitted = fitDetails(allDetails(message.details), room - UTF16_UNITS.size(body), visible, UTF16_UNITS);
  return head + telegramDetails(fitted, true);
}

/** The details after the body: as HTML (`markup`), or as the reader sees them, to measure. */
function telegramDetails(fitted: FittedDetails, markup: boolean): string {
  const html = (text: string): string => (markup ? escapeHtml(text) : text);
  const tag = (name: string, text: string): string => (markup ? `<${name}>${text}</${name}>` : text);
  let text = '';
  for (const item of fitted.shown) {
    const { detail } = item;
    text += `\n\n${tag('b', html(`${detailIcon(detail)} ${detail.name} (${detailKind(detail)})`))}\n${html(truncate(detailReason(detail), DETAIL_REASON_MAX))}`;
    const shown = shownOutput(item);
    if (shown !== '') text += `\n${tag('pre', html(shown))}`;
  }
  if (fitted.omitted > 0) text += `\n\n${html(omittedLine(fitted.omitted))}`;
  return text;
}

/** Telegram puts the wait of a 429 in `parameters.retry_after` (seconds). */
function telegramRetryAfter(text: string): number | undefined {
  try {
    const seconds = (JSON.parse(text) as { parameters?: { retry_after?: unknown } }).parameters?.retry_after;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}
