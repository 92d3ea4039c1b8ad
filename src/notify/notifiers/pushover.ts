import { DEFAULTS } from '../../defaults.js';
import * as z from 'zod';
import type { NotificationLevel, NotificationMessage, NotifierContext } from '../../types.js';
import {
  credentialSecrets,
  HttpNotifier,
  httpNotifierOptionsShape,
  httpUrlSchema,
  perLevelSchema,
  rejected,
  resolveCommon,
  resolvePerLevel,
  type HttpNotifierOptions,
} from '../http.js';
import { lazy, parseOptions, secret } from '../../validation.js';
import { CODE_POINTS, bodyWithDetails, truncate } from '../details.js';

/**
 * A Pushover priority: -2 (no alert) to 1 (high, bypasses quiet hours). 2 (emergency) is not supported.
 *
 * @example
 * ```ts
 * new PushoverNotifier({ token, user, priority: { success: -2 } })
 * ```
 */
export type PushoverPriority = -2 | -1 | 0 | 1;

/**
 * Options of {@link PushoverNotifier}.
 *
 * @example
 * ```ts
 * const options: PushoverNotifierOptions = { token, user, device: 'phone', sound: { error: 'alien' } }
 * ```
 */
export interface PushoverNotifierOptions extends HttpNotifierOptions {
  /** Your application's API token (30 letters and digits). */
  readonly token: string;
  /** The user or group key to notify (30 letters and digits). */
  readonly user: string;
  /**
   * Send to these devices only (names separated by commas).
   * @default every device of the user
   */
  readonly device?: string | undefined;
  /**
   * A sound for every level, or per level (levels left out keep their default).
   * @default { warning: 'intermission', error: 'siren' } (success: the user's own default sound)
   */
  readonly sound?: string | Partial<Record<NotificationLevel, string>> | undefined;
  /**
   * The priority of each level; levels left out keep their default.
   * @default { success: -1, warning: 0, error: 1 }
   */
  readonly priority?: Partial<Record<NotificationLevel, PushoverPriority>> | undefined;
  /**
   * The API's base URL (a proxy, tests); `/1/messages.json` is appended.
   * @default 'https://api.pushover.net'
   */
  readonly baseUrl?: string | undefined;
}

const key = (what: string) =>
  z.string().regex(/^[A-Za-z0-9]{30}$/, `expected the 30-letter-and-digit ${what} from pushover.net`);

const soundSchema = z.string().regex(/^[a-z0-9_-]{1,40}$/i, 'expected a Pushover sound name like "siren" or "none"');

/** The options {@link PushoverNotifier} validates (the config file's `pushover` entries are derived from it). */
export const pushoverNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    ...httpNotifierOptionsShape('pushover'),
    token: secret(key('application API token')).meta({ description: 'Your application\'s API token.' }),
    user: secret(key('user or group key')).meta({ description: 'The user or group key to notify.' }),
    device: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,25}(,[A-Za-z0-9_-]{1,25})*$/, 'expected device names (letters, digits, "_", "-") separated by commas')
      .optional().meta({ description: 'Send to these devices only (names separated by commas).' }),
    sound: z.union([soundSchema, perLevelSchema(soundSchema)]).optional().meta({ description: 'A sound for every level, or per level.' }),
    priority: perLevelSchema(
      z.literal([-2, -1, 0, 1], { error: 'expected -2, -1, 0 or 1 (emergency priority 2 is not supported)' }),
    ).optional().meta({ description: 'The priority of each level: -2, -1, 0 or 1.' }),
    baseUrl: httpUrlSchema().default(new URL(DEFAULTS.pushover.baseUrl)).meta({ description: 'The API\'s base URL. Default https://api.pushover.net.' }),
  }),
);

/** Pushover's limits on a title and a message, in characters. */
const TITLE_MAX = 250;
const MESSAGE_MAX = 1024;

/**
 * Sends a Pushover notification (a form POST to `/1/messages.json`), with priority and sound by
 * level: failures are high priority (1) with the `siren` sound, warnings normal priority with
 * `intermission`, successes low priority (-1: shown, no sound).
 *
 * Success is a 2xx answer whose JSON says `status: 1`; anything else fails with Pushover's own
 * words (`HTTP 400 Bad Request: user identifier is invalid`). Titles and messages longer than
 * Pushover accepts (250 / 1024 characters) are cut, ending with `…`. Unless `details: false`, the
 * message is the body, a blank line and the details as text, cut first so the body stays whole: each
 * task keeps its name and error, and its output keeps its end.
 *
 * @example
 * ```ts
 * new PushoverNotifier({ token: process.env.PUSHOVER_TOKEN ?? '', user: process.env.PUSHOVER_USER ?? '' })
 * ```
 */
export class PushoverNotifier extends HttpNotifier {
  /** The application token and the user key. */
  override readonly secrets: readonly string[];
  readonly #url: URL;
  readonly #token: string;
  readonly #user: string;
  readonly #device: string | undefined;
  readonly #priority: Readonly<Record<NotificationLevel, PushoverPriority>>;
  readonly #sound: Readonly<Record<NotificationLevel, string | undefined>>;

  constructor(options: PushoverNotifierOptions) {
    const parsed = parseOptions(pushoverNotifierOptionsSchema(), options, 'PushoverNotifier options');
    const common = resolveCommon(parsed);
    super(common, parsed.retries);
    this.#url = new URL(parsed.baseUrl);
    this.#url.pathname = `${this.#url.pathname.replace(/\/+$/, '')}/1/messages.json`;
    this.#token = parsed.token;
    this.#user = parsed.user;
    this.#device = parsed.device;
    this.#priority = resolvePerLevel<PushoverPriority>(parsed.priority, DEFAULTS.pushover.priority);
    const sound = parsed.sound;
    this.#sound =
      typeof sound === 'string'
        ? { info: sound, success: sound, warning: sound, error: sound }
        : resolvePerLevel<string | undefined>(sound, DEFAULTS.pushover.sound);
    // user:password@ in baseUrl goes out as Basic authentication: a secret too, and its base64 (docs/notifications.md).
    this.secrets = Object.freeze([parsed.token, parsed.user, ...credentialSecrets(this.#url)]);
  }

  /** Sends the message; rejects with Pushover's `errors` when it refuses it. */
  override async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    const form = new URLSearchParams({ token: this.#token, user: this.#user });
    if (this.#device !== undefined) form.set('device', this.#device);
    form.set('title', truncate(message.title, TITLE_MAX));
    form.set(
      'message',
      this.details ? bodyWithDetails(message.body, message.details, MESSAGE_MAX, CODE_POINTS, truncate) : truncate(message.body, MESSAGE_MAX),
    );
    form.set('priority', String(this.#priority[message.level]));
    const sound = this.#sound[message.level];
    if (sound !== undefined) form.set('sound', sound);

    const response = await this.send(
      {
        url: this.#url,
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'user-agent': 'jobhooks' },
        body: form,
      },
      {
        signal: context.signal,
        describeErrorBody: (text) => pushoverErrors(parseJson(text)),
      },
    );
    const answer = parseJson(response.body);
    if (answer === undefined) rejected(`Pushover answered HTTP ${response.status} without its JSON status`, response, this.secrets);
    if (answer.status !== 1) {
      rejected(`Pushover refused the message: ${pushoverErrors(answer) ?? `status ${String(answer.status)}`}`, response, this.secrets);
    }
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function pushoverErrors(answer: Record<string, unknown> | undefined): string | undefined {
  const errors = answer?.errors;
  if (!Array.isArray(errors)) return undefined;
  const texts = errors.filter((error): error is string => typeof error === 'string');
  return texts.length === 0 ? undefined : texts.join('; ');
}
