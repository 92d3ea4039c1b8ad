import * as z from 'zod';
import { DEFAULTS } from '../defaults.js';
import { ErrorCode, JobHooksError } from '../errors.js';
import { duration, durationMs, parseOptions } from '../validation.js';
import { formatSeconds, type Duration } from '../duration.js';
import { onAbort, startTimer } from '../executor/timers.js';
import { truncate } from './details.js';
import type { NotificationLevel, NotificationMessage, Notifier, NotifierContext } from '../types.js';

/*
 * The shared delivery of every built-in HTTP notifier: one POST, retried on network errors, 5xx and
 * 429, within the notifier's timeout, with errors that name the status or the network failure and
 * never the URL's path or query (where webhook tokens live).
 */

/**
 * The levels a notifier is called for when its `on` does not say: every level but `info` (a skipped
 * job is not news; Healthchecks alone adds it, docs/notifications.md#levels). @internal
 */
export const NOTIFICATION_LEVELS = ['success', 'warning', 'error'] as const satisfies readonly NotificationLevel[];

/** Every level, in the order notifiers list them. @internal */
export const ALL_NOTIFICATION_LEVELS = ['info', 'success', 'warning', 'error'] as const satisfies readonly NotificationLevel[];

/**
 * What went wrong with a delivery, as data: branch on this, never on the message.
 *
 * @example
 * ```ts
 * if (error instanceof NotificationDeliveryError && error.kind === 'network') { ... }
 * ```
 */
export type DeliveryFailureKind =
  /** The server answered with a status that is not 2xx. */
  | 'http'
  /** No answer: connection refused, DNS failure, reset, TLS error, or an attempt that took too long. */
  | 'network'
  /** The notifier's timeout (the context signal) fired before delivery. */
  | 'timeout'
  /** The server answered 2xx but the provider said no (Telegram `ok: false`, Pushover `status: 0`). */
  | 'rejected';

/**
 * Thrown by the built-in notifiers when a message could not be delivered. The message says why in
 * words a person can act on (`HTTP 500 Internal Server Error`, `connection refused (127.0.0.1:8080)`)
 * and never contains the URL's path or query, nor any of the notifier's `secrets`.
 *
 * @example
 * ```ts
 * try { await notifier.notify(message, context) } catch (error) {
 *   if (error instanceof NotificationDeliveryError && error.status === 404) { ... }
 * }
 * ```
 */
export class NotificationDeliveryError extends JobHooksError {
  /** Why delivery failed. */
  readonly kind: DeliveryFailureKind;
  /** The last HTTP status received, or `null` when no response came back. */
  readonly status: number | null;
  /** How many requests were sent (1 when there was no retry). */
  readonly attempts: number;

  /** @internal */
  static override readonly errorClass: string = 'NotificationDeliveryError';

  constructor(message: string, details: { kind: DeliveryFailureKind; status: number | null; attempts: number }) {
    super(ErrorCode.NOTIFICATION, message);
    this.name = 'NotificationDeliveryError';
    this.kind = details.kind;
    this.status = details.status;
    this.attempts = details.attempts;
  }
}

/**
 * One request as a notifier builds it: a POST unless it says otherwise.
 *
 * @example
 * ```ts
 * const request: HttpRequest = { url: new URL('https://example.com/hook'), headers: { 'content-type': 'text/plain' }, body: 'done' }
 * ```
 */
export interface HttpRequest {
  /**
   * `PUT` for servers that replace what they hold (the Prometheus Pushgateway, docs/observability.md).
   * @default 'POST'
   */
  readonly method?: 'POST' | 'PUT' | undefined;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Omitted for an empty body (Healthchecks' `/start`). */
  readonly body?: string | URLSearchParams;
}

/**
 * A 2xx response, its body already read (its first 64 KiB).
 *
 * @example
 * ```ts
 * const { status, body, attempts } = await deliver(request, options)
 * ```
 */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: string;
  /** How many requests it took (1 when there was no retry). */
  readonly attempts: number;
}

/**
 * How `deliver` sends one request.
 *
 * @example
 * ```ts
 * const options: DeliveryOptions = { signal: context.signal, timeoutMs: 30_000, retries: 2, secrets: [token] }
 * ```
 */
export interface DeliveryOptions {
  /** The notifier's timeout signal: when it fires, delivery stops, whatever attempt it is on. */
  readonly signal: AbortSignal;
  /** The notifier's whole time budget, used to split it between attempts and to judge `Retry-After`. */
  readonly timeoutMs: number;
  /** Extra attempts after a network error, a 5xx or a 429. */
  readonly retries: number;
  /** Values scrubbed from every error text, whatever the server or the network layer said. */
  readonly secrets: readonly string[];
  /** Pulls a short human reason out of an error response body (Telegram's `description`). */
  readonly describeErrorBody?: ((body: string) => string | undefined) | undefined;
  /** Reads a retry delay from a 429/5xx body when the provider puts it there (Telegram's `retry_after`). */
  readonly retryAfterFromBody?: ((body: string) => number | undefined) | undefined;
  /** The first wait before a retry, doubled each time. Tests only. @default 500 */
  readonly retryDelayMs?: number | undefined;
  /** Called as each attempt starts. */
  readonly onAttempt?: (() => void) | undefined;
}

/**
 * The HTTP attempts made under each notifier call's signal, counted as they start: the engine's
 * `data.notifiers[].attempts` (docs/execution-flow.md), right after retries that ended in success,
 * and when the notifier's timeout cut a delivery short.
 */
const attemptCounters = new WeakMap<AbortSignal, { count: number }>();

/** Counts the attempts {@link HttpNotifier.send} makes under `signal`. @internal */
export function countAttempts(signal: AbortSignal): { readonly count: number } {
  const counter = { count: 0 };
  attemptCounters.set(signal, counter);
  return counter;
}

/** The most of a response body that is read; the rest is dropped. @internal */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** No attempt is cut shorter than this, however many retries share the timeout. */
const MIN_ATTEMPT_MS = 1000;
const DEFAULT_RETRY_DELAY_MS = 500;

type AttemptOutcome =
  | { readonly type: 'response'; readonly response: Omit<HttpResponse, 'attempts'> }
  | { readonly type: 'failure'; readonly message: string }
  | { readonly type: 'aborted' };

/**
 * POSTs one request with Node's global `fetch` and resolves with the 2xx response.
 *
 * Retries network errors, 5xx and 429 up to `retries` times with exponential backoff (500 ms, 1 s,
 * …), waiting what `Retry-After` asks for when it fits in the time left; other 4xx and 3xx fail at
 * once (redirects are not followed, so a POST never turns into a GET). Each attempt but the last may
 * take at most its share of the timeout less the waits between attempts, `(timeoutMs - waits) /
 * (retries + 1)` (at least 1 s), so hung connections still leave time for every retry; the last one may
 * use whatever is left. Everything stops when `signal` fires.
 *
 * @throws {NotificationDeliveryError} with a message naming the status or the network failure.
 * @example
 * ```ts
 * const response = await deliver(
 *   { url: new URL('https://example.com/hook'), headers: { 'content-type': 'application/json' }, body: '{}' },
 *   { signal, timeoutMs: 30_000, retries: 2, secrets: [] },
 * )
 * ```
 */
export async function deliver(request: HttpRequest, options: DeliveryOptions): Promise<HttpResponse> {
  // The notifier's timeout bounds the delivery itself, not only the engine's call of it: a notifier
  // called on its own stops at its timeout too (docs/notifications.md#write-your-own-notifier).
  const controller = new AbortController();
  const stopTimer = startTimer(options.timeoutMs, () => controller.abort());
  const unsubscribe = onAbort(options.signal, () => controller.abort());
  if (options.signal.aborted) controller.abort();
  try {
    return await deliverWithin(request, { ...options, signal: controller.signal });
  } finally {
    stopTimer();
    unsubscribe();
  }
}

async function deliverWithin(request: HttpRequest, options: DeliveryOptions): Promise<HttpResponse> {
  const { url, headers } = moveCredentialsToHeader(request.url, request.headers);
  const target = describeTarget(url);
  const startedAt = performance.now();
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  function fail(message: string, kind: DeliveryFailureKind, status: number | null, attempts: number): never {
    throw new NotificationDeliveryError(scrub(message, options.secrets), { kind, status, attempts });
  }
  let lastFailure: string | undefined;
  let lastStatus: number | null = null;
  let attempts = 0;
  // The waits between attempts (500 ms, 1 s, …) come out of the timeout before the attempts share it.
  const waitsMs = retryDelayMs * (2 ** options.retries - 1);

  function timedOut(): never {
    const earlier = lastFailure === undefined ? '' : `; last failure: ${lastFailure}`;
    return fail(`timed out (${target})${earlier}`, 'timeout', lastStatus, attempts);
  }

  for (;;) {
    if (options.signal.aborted) timedOut();
    attempts += 1;
    options.onAttempt?.();
    const isLast = attempts > options.retries;
    const attemptTimeoutMs = isLast ? undefined : Math.max(MIN_ATTEMPT_MS, (options.timeoutMs - waitsMs) / (options.retries + 1));
    const outcome = await attempt({ method: request.method, url, headers, body: request.body }, options.signal, attemptTimeoutMs, target, options.secrets);
    if (outcome.type === 'aborted') timedOut();

    let waitMs = retryDelayMs * 2 ** (attempts - 1);
    let retryAfterMs: number | undefined;
    let failure: string;
    if (outcome.type === 'response') {
      const { response } = outcome;
      if (response.status >= 200 && response.status < 300) return { ...response, attempts };
      lastStatus = response.status;
      const detail = options.describeErrorBody?.(response.body);
      failure = describeStatus(response.status, response.statusText, detail, options.secrets);
      if (response.status >= 300 && response.status < 400) {
        fail(`${failure} (redirects are not followed: use the final URL)`, 'http', lastStatus, attempts);
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable) fail(withAttempts(failure, attempts), 'http', lastStatus, attempts);
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after')) ?? options.retryAfterFromBody?.(response.body);
      if (retryAfterMs !== undefined) waitMs = retryAfterMs;
    } else {
      failure = outcome.message;
      lastStatus = null;
    }
    lastFailure = failure;

    const kind: DeliveryFailureKind = lastStatus === null ? 'network' : 'http';
    if (isLast) fail(withAttempts(failure, attempts), kind, lastStatus, attempts);
    const leftMs = options.timeoutMs - (performance.now() - startedAt);
    if (waitMs >= leftMs) {
      // Waiting would only end in a timeout: report the real failure now.
      const asked = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? `after ${formatSeconds(retryAfterMs)}` : 'later';
      const why = retryAfterMs === undefined ? '' : `; the server asked to retry ${asked}, past the ${formatSeconds(options.timeoutMs)} timeout`;
      fail(`${withAttempts(failure, attempts)}${why}`, kind, lastStatus, attempts);
    }
    if (!(await wait(waitMs, options.signal))) timedOut();
  }
}

/**
 * Waits `ms` (any length: a Retry-After within a long timeout may exceed Node's 24.8-day timer limit);
 * resolves `false` if `signal` aborts first. The timer and the listener are removed on both paths.
 */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      cancelTimer();
      resolve(false);
    };
    const cancelTimer = startTimer(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function attempt(
  request: { readonly method: HttpRequest['method']; readonly url: URL; readonly headers: Readonly<Record<string, string>>; readonly body: HttpRequest['body'] },
  signal: AbortSignal,
  attemptTimeoutMs: number | undefined,
  target: string,
  secrets: readonly string[],
): Promise<AttemptOutcome> {
  const attemptController = new AbortController();
  // startTimer: a notifier timeout may exceed Node's 24.8-day timer limit (docs/execution-flow.md#timeouts-of-any-length).
  const cancelTimer = attemptTimeoutMs === undefined ? undefined : startTimer(attemptTimeoutMs, () => attemptController.abort());
  // The notifier's signal also ends the attempt (by hand rather than AbortSignal.any, which Node 20
  // only has from 20.3; engines say >= 20).
  const forwardAbort = (): void => attemptController.abort();
  if (signal.aborted) forwardAbort();
  else signal.addEventListener('abort', forwardAbort, { once: true });
  try {
    const response = await globalThis.fetch(request.url, {
      method: request.method ?? 'POST',
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: attemptController.signal,
    });
    const body = await readText(response, MAX_RESPONSE_BYTES);
    // node:http is loaded only here, for its table of reason phrases: a CLI start-up does not pay for it.
    const statusText = response.statusText === '' ? ((await import('node:http')).STATUS_CODES[response.status] ?? '') : response.statusText;
    return { type: 'response', response: { status: response.status, statusText, headers: response.headers, body } };
  } catch (error) {
    if (signal.aborted) return { type: 'aborted' };
    if (attemptController.signal.aborted && attemptTimeoutMs !== undefined) {
      return { type: 'failure', message: `no response within ${formatSeconds(attemptTimeoutMs)} (${target})` };
    }
    return { type: 'failure', message: describeNetworkError(error, target, secrets) };
  } finally {
    cancelTimer?.();
    signal.removeEventListener('abort', forwardAbort);
    // Releases the connection of a body left unread.
    attemptController.abort();
  }
}

/**
 * `fetch` refuses URLs with `user:password@`: send them as Basic authentication instead, unless the
 * request already carries an Authorization header.
 */
function moveCredentialsToHeader(
  original: URL,
  headers: Readonly<Record<string, string>>,
): { url: URL; headers: Readonly<Record<string, string>> } {
  if (original.username === '' && original.password === '') return { url: original, headers };
  const url = new URL(original);
  const basic = basicCredentials(url);
  url.username = '';
  url.password = '';
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (hasAuthorization) return { url, headers };
  return { url, headers: { ...headers, authorization: `Basic ${basic}` } };
}

/** The base64 of `user:password` that Basic authentication sends for a URL's credentials. */
function basicCredentials(url: URL): string {
  return Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`, 'utf8').toString('base64');
}

/**
 * The user, password and Basic credentials of a server URL whose path and query are no secret (a
 * `baseUrl`), for a notifier's `secrets`. @internal
 */
export function credentialSecrets(url: URL): string[] {
  if (url.username === '' && url.password === '') return [];
  const bare = new URL(url);
  bare.pathname = '/';
  bare.search = '';
  bare.hash = '';
  return urlSecrets(bare);
}

/**
 * The parts of a URL that may be credentials, for a notifier's `secrets`: the whole URL when it has
 * a path or query (webhook URLs carry their token there), user and password, and long query values.
 * @internal
 */
export function urlSecrets(url: URL): string[] {
  const secrets: string[] = [];
  if (url.pathname.length > 1 || url.search !== '') secrets.push(url.href);
  if (url.username !== '') secrets.push(url.username, decodeURIComponent(url.username));
  if (url.password !== '') secrets.push(url.password, decodeURIComponent(url.password));
  // What moveCredentialsToHeader sends: a server that echoes its Authorization header shows this.
  if (url.username !== '' || url.password !== '') secrets.push(basicCredentials(url));
  for (const value of url.searchParams.values()) {
    if (value.length >= 8) secrets.push(value);
  }
  return [...new Set(secrets)];
}

/** Reads at most `limit` bytes of the body as UTF-8 and cancels the rest. */
async function readText(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - received;
      received += value.byteLength;
      text += decoder.decode(value.byteLength > room ? value.subarray(0, room) : value, { stream: true });
      if (received >= limit) break;
    }
    return text + decoder.decode();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Throws the error of a 2xx answer in which the provider refused the message (Telegram `ok: false`,
 * Pushover `status: 0`), secrets scrubbed.
 * @internal
 */
export function rejected(reason: string, response: HttpResponse, secrets: readonly string[]): never {
  throw new NotificationDeliveryError(serverText(reason, secrets, 400), {
    kind: 'rejected',
    status: response.status,
    attempts: response.attempts,
  });
}

/** `host:port` of a URL: what errors show instead of the URL, whose path may hold a token. @internal */
export function describeTarget(url: URL): string {
  return url.host;
}

function describeStatus(status: number, rawStatusText: string, detail: string | undefined, secrets: readonly string[]): string {
  const statusText = serverText(rawStatusText, secrets, 100);
  const head = statusText === '' ? `HTTP ${status}` : `HTTP ${status} ${statusText}`;
  if (detail === undefined) return head;
  let reason = serverText(detail, secrets, Infinity);
  // Telegram's descriptions repeat the status text: "Bad Request: chat not found".
  if (statusText !== '' && reason.toLowerCase().startsWith(`${statusText.toLowerCase()}: `)) {
    reason = reason.slice(statusText.length + 2);
  }
  if (reason === '') return head;
  return `${head}: ${truncate(reason, 300)}`;
}

/**
 * Text a server sent, fit for an error: secrets scrubbed first (a secret cut in two by the length
 * limit would no longer be recognised), control characters gone (a reason phrase must not move the
 * cursor or retitle a terminal), whitespace collapsed, at most `max` characters.
 */
function serverText(text: string, secrets: readonly string[], max: number): string {
  const plain = scrub(text, secrets)
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return Number.isFinite(max) ? truncate(plain, max) : plain;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

/** Turns undici's `TypeError: fetch failed` and its `cause` into words, without the request URL. */
function describeNetworkError(error: unknown, target: string, secrets: readonly string[]): string {
  const code = findCode(error);
  if (code !== undefined) {
    const known = NETWORK_CODES[code];
    return known === undefined ? `network error: ${code} (${target})` : `${known} (${target})`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  return `network error: ${serverText(text, secrets, 200)} (${target})`;
}

function findCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
  const nested = findCode(cause, depth + 1);
  if (nested !== undefined) return nested;
  // Happy eyeballs tries every address and throws an AggregateError of the per-address failures.
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Parses `Retry-After`: delay-seconds or an HTTP date; `undefined` when absent or unreadable. @internal */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function withAttempts(message: string, attempts: number): string {
  return attempts > 1 ? `${message}, after ${attempts} attempts` : message;
}

/** Replaces every secret (longest first, so one inside another leaves no fragment) with `***`. @internal */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') result = result.split(secret).join('***');
  }
  return result;
}

/** A string field of a JSON error body, or `undefined` when the body is not such JSON. @internal */
export function jsonField(text: string, field: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const value = (parsed as Record<string, unknown>)[field];
    // Not cut here: the error is cut once its secrets are scrubbed (serverText).
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Escapes `&`, `<` and `>` so text is shown as written inside HTML. @internal */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// Options shared by every built-in notifier
// ---------------------------------------------------------------------------------------------

/**
 * Options every built-in notifier takes.
 *
 * @example
 * ```ts
 * new ConsoleNotifier({ name: 'stderr', on: ['error'], timeout: '5s', stream: process.stderr })
 * ```
 */
export interface NotifierOptions {
  /**
   * Shown in errors and events; set it to tell two notifiers of the same kind apart.
   * @default the provider's name, e.g. `'webhook'`
   */
  readonly name?: string | undefined;
  /**
   * How long one notification may take, retries included: seconds or a duration string.
   * @default 30
   */
  readonly timeout?: Duration | undefined;
  /**
   * The levels this notifier is called for; add `'info'` to hear of skipped jobs.
   * @default ['success', 'warning', 'error'] (Healthchecks and Prometheus: `['info', 'success', 'warning', 'error']`)
   */
  readonly on?: readonly NotificationLevel[] | undefined;
  /**
   * Show the message's `details` after the body: each task that failed or completed with warnings,
   * its error and its last output lines, in the provider's idiom and within its size limits.
   * `false` sends the title and body alone (the webhook sends `details: []`).
   * @default true
   */
  readonly details?: boolean | undefined;
}

/**
 * Options every built-in HTTP notifier takes.
 *
 * @example
 * ```ts
 * new NtfyNotifier({ topic: 'backups', retries: 0, timeout: '10s' })
 * ```
 */
export interface HttpNotifierOptions extends NotifierOptions {
  /**
   * Extra attempts after a network error, a 5xx or a 429 (never after another 4xx).
   * @default 2
   */
  readonly retries?: number | undefined;
}

/** A notifier's common options, resolved: what {@link HttpNotifier}'s constructor takes. */
export interface ResolvedNotifierOptions {
  readonly name: string;
  /** Seconds or a duration string, retries included. */
  readonly timeout: Duration;
  readonly on: readonly NotificationLevel[];
  /**
   * Whether the message's details are shown after the body.
   * @default true
   */
  readonly details?: boolean | undefined;
}

const levelSchema = z.enum(ALL_NOTIFICATION_LEVELS);

/**
 * The zod shape of {@link NotifierOptions}, for a notifier's own strict object schema; `defaultOn` is
 * the notifier's default `on`. @internal
 */
export function notifierOptionsShape(defaultName: string, defaultOn: readonly NotificationLevel[] = NOTIFICATION_LEVELS) {
  return {
    name: z.string().trim().min(1, 'must not be empty').default(defaultName).meta({ description: 'Shown in errors and events. Default: the type.' }),
    timeout: duration.default(DEFAULTS.notifierTimeoutMs / 1000).meta({ description: 'How long one notification may take, retries included: seconds or a duration string. Default 30.' }),
    on: z
      .array(levelSchema)
      .min(1, 'list at least one level; leave the notifier out to turn it off')
      .default([...defaultOn]).meta({ description: 'The levels this notifier is called for ("info", "success", "warning", "error"). Default: all but "info" (Healthchecks, Prometheus: all four).' }),
    details: z.boolean().default(DEFAULTS.notifierDetails).meta({ description: 'Show which tasks failed, their errors and last output lines after the body. Default true.' }),
  };
}

/** The zod shape of {@link HttpNotifierOptions}. @internal */
export function httpNotifierOptionsShape(defaultName: string, defaultOn: readonly NotificationLevel[] = NOTIFICATION_LEVELS) {
  return {
    ...notifierOptionsShape(defaultName, defaultOn),
    retries: z.number().int('expected a whole number').min(0).max(10).default(DEFAULTS.notifierRetries).meta({ description: 'Extra attempts after a network error, a 5xx or a 429. Default 2.' }),
  };
}

/** An `http:` or `https:` URL, parsed. The message never repeats the value: it may hold a token. @internal */
export function httpUrlSchema() {
  return z
    .string()
    .refine(isHttpUrl, { message: 'expected an absolute http:// or https:// URL' })
    .transform((value) => new URL(value));
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

/** A per-level setting: one value for every level, or some levels (the rest keep their defaults). @internal */
export function perLevelSchema<T extends z.ZodType>(value: T) {
  return z.strictObject({
    info: value.optional().meta({ description: 'For the info level (a skipped job).' }),
    success: value.optional().meta({ description: 'For the success level.' }),
    warning: value.optional().meta({ description: 'For the warning level.' }),
    error: value.optional().meta({ description: 'For the error level.' }),
  });
}

/** Fills the levels a user left out from `defaults`. @internal */
export function resolvePerLevel<T>(
  given: Partial<Record<NotificationLevel, T | undefined>> | undefined,
  defaults: Readonly<Record<NotificationLevel, T>>,
): Readonly<Record<NotificationLevel, T>> {
  return {
    info: given?.info ?? defaults.info,
    success: given?.success ?? defaults.success,
    warning: given?.warning ?? defaults.warning,
    error: given?.error ?? defaults.error,
  };
}

/** Resolves the common options once parsed (the duration is known to be valid by then). @internal */
export function resolveCommon(parsed: {
  name: string;
  timeout: Duration;
  on: readonly NotificationLevel[];
  details: boolean;
}): ResolvedNotifierOptions & { readonly details: boolean } {
  return {
    name: parsed.name,
    timeout: parsed.timeout,
    on: Object.freeze([...parsed.on]),
    details: parsed.details,
  };
}

// A subclass hands its timeout as written: the one conversion to milliseconds is here.
const TIMEOUT_ONLY = z.object({ timeout: durationMs });

/**
 * The base of the built-in HTTP notifiers: their common options (`name`, `timeout`, `on`,
 * `details`, `retries`) and {@link HttpNotifier.send}, which delivers with them. Extend it for a provider of
 * your own to get the same retries, timeouts and token-free errors.
 *
 * @example
 * ```ts
 * class SlackNotifier extends HttpNotifier {
 *   readonly secrets: readonly string[]
 *   readonly #url: URL
 *   constructor(url: string) {
 *     super({ name: 'slack', timeout: 30, on: ['success', 'warning', 'error'] }, 2)
 *     this.#url = new URL(url)
 *     this.secrets = [url]
 *   }
 *   async notify(message: NotificationMessage, { signal }: NotifierContext): Promise<void> {
 *     await this.send({ url: this.#url, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: message.title }) }, { signal })
 *   }
 * }
 * ```
 */
export abstract class HttpNotifier implements Notifier {
  /** Shown in errors and events. */
  readonly name: string;
  /**
   * Seconds or a duration string, retries included.
   * @default 30
   */
  readonly timeout: Duration;
  /**
   * The levels this notifier is called for.
   * @default ['success', 'warning', 'error']
   */
  readonly on: readonly NotificationLevel[];
  /**
   * Whether `notify` shows the message's details after the body.
   * @default true
   */
  readonly details: boolean;
  /** Tokens and URL parts scrubbed from every error and redacted by the engine. */
  abstract readonly secrets: readonly string[];
  readonly #timeoutMs: number;
  readonly #retries: number;

  protected constructor(common: ResolvedNotifierOptions, retries: number) {
    this.name = common.name;
    this.timeout = common.timeout;
    this.on = common.on;
    this.details = common.details ?? DEFAULTS.notifierDetails;
    this.#timeoutMs = parseOptions(TIMEOUT_ONLY, { timeout: common.timeout }, `${new.target.name} options`).timeout;
    this.#retries = retries;
  }

  abstract notify(message: NotificationMessage, context: NotifierContext): Promise<void>;

  /** Delivers one request with this notifier's timeout, retries and secrets. */
  protected send(request: HttpRequest, options: Omit<DeliveryOptions, 'timeoutMs' | 'retries' | 'secrets'>): Promise<HttpResponse> {
    const counter = attemptCounters.get(options.signal);
    return deliver(request, {
      ...options,
      timeoutMs: this.#timeoutMs,
      retries: this.#retries,
      secrets: this.secrets,
      onAttempt: counter === undefined ? options.onAttempt : () => {
        counter.count += 1;
        options.onAttempt?.();
      },
    });
  }
}
