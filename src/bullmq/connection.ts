import { createPostgresBackend, Queue, QueueEvents, QueueEventsProducer, withBackend, Worker, type ConnectionOptions, type Processor, type WorkerOptions } from 'bullmq';
import { ErrorCode, JobHooksError } from '../errors.js';
import { sleep } from '../executor/timers.js';

/**
 * Which server the queue lives on (docs/bullmq-api.md#connection): `{ redis: 'redis://host:6379/0' }`
 * (a `rediss://` URL for TLS; user and password in the URL), or
 * `{ postgres: 'postgres://user:password@host:5432/db' }` (BullMQ's PostgreSQL backend; its schema
 * `bullmq` is created or migrated on first connect).
 */
export type QueueConnection = { readonly redis: string } | { readonly postgres: string };

/** A queue: the server and the queue's name. Every enqueuer, worker and watcher of a job names the same one. */
export interface QueueTarget {
  readonly connection: QueueConnection;
  /** The BullMQ queue's name. */
  readonly queue: string;
  /**
   * Where a connection error is said while the client tries again, once a minute per message
   * (`connect ECONNREFUSED 10.0.0.5:6379`): an application's own log instead of standard error.
   * @default a line `jobhooks: queue server: <message> (retrying)` on standard error
   */
  readonly onConnectionError?: ((message: string) => void) | undefined;
}

/** What the custom events and leases are built on: BullMQ's classes bound to one backend. */
export interface Backend {
  readonly kind: 'redis' | 'postgres';
  /** The Redis database the target's URL names (`/2`), if any. */
  readonly database?: number | undefined;
  /** Says connection errors where the target asks, once a minute per message. */
  readonly say: Sayer;
  /** A new queue; its connection errors are said unless `sayErrors` is `false` (then the caller listens). */
  queue(options?: { readonly sayErrors?: boolean }): Queue;
  events(lastEventId: string): QueueEvents;
  producer(): QueueEventsProducer;
  worker(processor: Processor, options: Omit<WorkerOptions, 'connection'>): Worker;
}

const postgresClasses = withBackend(createPostgresBackend);

/** Binds BullMQ to the target's backend; each call of its methods makes one new BullMQ object. */
export function openBackend(target: QueueTarget): Backend {
  const { connection, queue: name } = target;
  const say = sayer(target.onConnectionError);
  const quiet = <T extends ErrorEmitter>(emitter: T): T => say.listenTo(emitter);
  const sayingErrors = (queue: Queue, options: { readonly sayErrors?: boolean } | undefined): Queue => (options?.sayErrors === false ? queue : quiet(queue));
  if ('postgres' in connection && typeof connection.postgres === 'string') {
    // One attempt to connect ends after CONNECT_TIMEOUT_MS (pg has none): a server that takes the
    // connection and never answers is tried again, as one that refuses it.
    const pg = { connectionString: connection.postgres, migrate: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
    return {
      kind: 'postgres',
      say,
      queue: (options) => sayingErrors(new postgresClasses.Queue(name, { connection: pg }) as unknown as Queue, options),
      events: (lastEventId) => quiet(new postgresClasses.QueueEvents(name, { connection: pg, lastEventId }) as unknown as QueueEvents),
      producer: () => quiet(new postgresClasses.QueueEventsProducer(name, { connection: pg }) as unknown as QueueEventsProducer),
      worker: (processor, options) => quiet(new postgresClasses.Worker(name, processor, { ...options, connection: pg }) as unknown as Worker),
    };
  }
  if ('redis' in connection && typeof connection.redis === 'string') {
    const redis = redisOptions(connection.redis);
    return {
      kind: 'redis',
      say,
      database: redis.db,
      queue: (options) => sayingErrors(new Queue(name, { connection: redis }), options),
      events: (lastEventId) => quiet(new QueueEvents(name, { connection: redis, lastEventId })),
      producer: () => quiet(new QueueEventsProducer(name, { connection: redis })),
      worker: (processor, options) => quiet(new Worker(name, processor, { ...options, connection: redis })),
    };
  }
  throw new TypeError('connection must be { redis: URL } or { postgres: URL }');
}

/**
 * A queue of the target whose server has answered, and its backend (docs/bullmq-api.md#connection).
 *
 * A server that cannot be reached — refused, unknown, unanswering, starting up — is tried again
 * every second, said once a minute on standard error, until it answers: ioredis does so by itself,
 * and each PostgreSQL attempt is a new connection (BullMQ's keeps its first failure). When `signal`
 * fires first, rejects with {@link QueueUnansweredError} (`sent: false`, nothing was sent).
 * An answer that waiting does not change rejects at once with a `TypeError` in the server's words: a
 * server that refuses the URL's user, password or (PostgreSQL) database; a Redis database the server
 * refuses (`/99` on a server of 16, any but 0 on a cluster), since ioredis reports that SELECT as a
 * passing connection error and goes on in database 0, where jobs would go where no worker of the
 * queue looks.
 */
export async function reachQueue(target: QueueTarget, signal?: AbortSignal): Promise<{ readonly backend: Backend; readonly queue: Queue }> {
  const backend = openBackend(target);
  let lastError: Error | undefined;
  for (;;) {
    if (signal?.aborted === true) throw new QueueUnansweredError(false, lastError);
    const queue = backend.queue({ sayErrors: false });
    // A server that refuses the login (a Redis password, ACL user) answers so at every attempt: ioredis
    // would try again for ever. Everything else is said, once a minute, as quiet() would.
    const stop = new AbortController();
    let refusal: Error | undefined;
    const listen = (error: Error): void => {
      lastError = error;
      if (REFUSED_LOGIN.test(firstLine(error))) {
        refusal = error;
        stop.abort();
      } else {
        backend.say.error(error);
      }
    };
    queue.on('error', listen);
    const stopWaiting = (): void => stop.abort();
    signal?.addEventListener('abort', stopWaiting, { once: true });
    const ready = await untilAborted(queue.waitUntilReady(), stop.signal);
    signal?.removeEventListener('abort', stopWaiting);
    queue.off('error', listen);
    if (ready.kind === 'settled') {
      backend.say.listenTo(queue);
      await selectDatabase(backend, queue, signal);
      return { backend, queue };
    }
    closeInBackground(queue);
    if (refusal !== undefined) throw refused(backend, refusal);
    if (ready.kind === 'aborted') throw new QueueUnansweredError(false, lastError);
    const error = ready.error instanceof Error ? ready.error : new Error(String(ready.error));
    if (!isPassing(error)) throw refused(backend, error);
    lastError = error;
    backend.say.error(error);
    const waited = await untilAborted(sleep(RETRY_MS), signal);
    if (waited.kind === 'aborted') throw new QueueUnansweredError(false, lastError);
  }
}

/** Its user, password and database are the URL's: what the server refuses is the connection's mistake. */
function refused(backend: Backend, error: Error): TypeError {
  return new TypeError(`connection.${backend.kind}: the server refused the connection (${firstLine(error)})`, { cause: error });
}

/** A refused Redis database is refused here, once, on the queue's own connection: see {@link reachQueue}. */
async function selectDatabase(backend: Backend, queue: Queue, signal: AbortSignal | undefined): Promise<void> {
  const db = backend.database;
  if (db === undefined || db === 0) return;
  // BullMQ's Redis backend hands out its ioredis client; its own interface for it has no SELECT.
  const client = (await queue.getBackend().client) as unknown as { select(db: number): Promise<unknown> };
  const selected = await untilAborted(client.select(db), signal);
  if (selected.kind === 'settled') return;
  closeInBackground(queue);
  if (selected.kind === 'aborted') throw new QueueUnansweredError(false, undefined);
  const reason = firstLine(selected.error);
  throw new TypeError(`connection.redis: the server refused database ${db} (${reason})`);
}

/**
 * A call of jobhooks/bullmq (`enqueue`, `schedule`, `unschedule`) whose `signal` fired before the queue
 * server answered, or whose server went away while the request was out: `code` `ERR_QUEUE_UNANSWERED`.
 * `sent` says whether the request had gone out: when `false`, the server was never reached and nothing
 * changed; when `true`, it may have been carried out (an `enqueue` with a `jobId` can be repeated
 * safely). `cause` is the last connection error, if any (docs/bullmq-api.md#connection).
 */
export class QueueUnansweredError extends JobHooksError {
  /** Whether the request reached the server before the signal fired. */
  readonly sent: boolean;

  /** @internal */
  static override readonly errorClass: string = 'QueueUnansweredError';

  /** `wording`: what went unanswered and what that leaves, for a call other than a request (a watch). */
  constructor(sent: boolean, cause: Error | undefined, wording?: { readonly what: string; readonly outcome: string }) {
    const why = cause === undefined ? '' : ` (${firstLine(cause)})`;
    super(
      ErrorCode.QUEUE_UNANSWERED,
      wording !== undefined
        ? `${wording.what}${why}: ${wording.outcome}`
        : sent
          ? `The queue server did not answer${why}: the request was sent and may have been carried out`
          : `The queue server was not reached${why}: nothing was sent`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'QueueUnansweredError';
    this.sent = sent;
  }
}

/** How a promise ended, or that `signal` fired first (the promise is then left to itself). */
export type Outcome<T> = { readonly kind: 'settled'; readonly value: T } | { readonly kind: 'rejected'; readonly error: unknown } | { readonly kind: 'aborted' };

/** `promise`'s outcome, or `aborted` as soon as `signal` fires. @internal */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<Outcome<T>> {
  const outcome = promise.then(
    (value): Outcome<T> => ({ kind: 'settled', value }),
    (error: unknown): Outcome<T> => ({ kind: 'rejected', error }),
  );
  if (signal === undefined) return outcome;
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const onAbort = (): void => resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    void outcome.then((ended) => {
      signal.removeEventListener('abort', onAbort);
      resolve(ended);
    });
  });
}

/**
 * Closes a queue without waiting for it: one whose server never answered may take until its
 * connection attempt ends (10 s) to close, and what it was asked is abandoned. @internal
 */
export function closeInBackground(queue: Queue): void {
  queue.on('error', () => {});
  void queue.close().catch(() => {});
}

/** How long one attempt to connect to a PostgreSQL server may take; ioredis's `connectTimeout` is 10 s too. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long to wait before trying a PostgreSQL server that could not be reached again. */
const RETRY_MS = 1_000;
/** Node's errors of a network that may come back (the name looked up again, the route found again). */
const PASSING_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);
/** PostgreSQL's SQLSTATEs of a server that will take connections again: shutting down, starting up, too many connections. */
const PASSING_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Whether waiting may mend a failed connection: a network error or a server not yet (or no longer)
 * taking connections. @internal
 */
export function isPassing(error: Error): boolean {
  const code = (error as { readonly code?: unknown }).code;
  if (typeof code === 'string' && (PASSING_ERRNO.has(code) || PASSING_SQLSTATE.has(code))) return true;
  // pg's own words for a connection that ended or a connect that took too long.
  return /Connection terminated|timeout expired|the database system is (starting up|shutting down)/i.test(error.message);
}

/** The first line of an error's message (or of the value thrown). @internal */
export function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? '';
}

const SAY_AGAIN_MS = 60_000;
/** Redis's answers to a SELECT it refuses: "ERR DB index is out of range", "ERR invalid DB index", cluster mode's. */
const REFUSED_DATABASE = /DB index|SELECT is not allowed/i;
/** Redis's answers to a login it refuses: a wrong password, a disabled or unknown ACL user, a password it requires. */
const REFUSED_LOGIN = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

type ErrorEmitter = { on(event: 'error', listener: (error: Error) => void): unknown };

/** Says a backend's connection errors: see {@link sayer}. */
export interface Sayer {
  /** Says an error's first line, unless the same was said less than a minute ago. */
  error(error: Error): void;
  /**
   * Gives a BullMQ object an `error` listener that says its errors. Without one, BullMQ prints each
   * connection error whole, several times a second while the server is away, with the failed
   * command's arguments (a password, for AUTH); the client goes on reconnecting by itself
   * (docs/distributed.md).
   */
  listenTo<T extends ErrorEmitter>(emitter: T): T;
}

/**
 * Says connection errors to `onConnectionError`, or as one line on standard error: each message once
 * a minute. A refused SELECT is not said: reachQueue refuses the target for it, once.
 */
function sayer(onConnectionError: ((message: string) => void) | undefined): Sayer {
  const saidAt = new Map<string, number>();
  const error = (failure: Error): void => {
    const message = firstLine(failure);
    if (REFUSED_DATABASE.test(message)) return;
    const now = Date.now();
    if (now - (saidAt.get(message) ?? Number.NEGATIVE_INFINITY) < SAY_AGAIN_MS) return;
    saidAt.set(message, now);
    if (onConnectionError === undefined) {
      process.stderr.write(`jobhooks: queue server: ${message} (retrying)\n`);
      return;
    }
    try {
      onConnectionError(message);
    } catch {
      // The application's logger failing must not stop the client from reconnecting.
    }
  };
  return {
    error,
    listenTo: (emitter) => {
      emitter.on('error', error);
      return emitter;
    },
  };
}

/** The longest wait between two attempts to reach a Redis server that went away. */
const RECONNECT_MAX_MS = 1_000;

/** `redis://[user:password@]host[:port][/db]` (or `rediss://`) as ioredis options. */
function redisOptions(url: string): ConnectionOptions & { readonly db?: number } {
  // Said without the URL: it may hold a password.
  const expected = 'expected redis://[user:password@]host[:port][/db] or rediss://…';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`connection.redis is not a URL: ${expected}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`connection.redis must be a redis:// or rediss:// URL, got ${parsed.protocol}: ${expected}`);
  const db = parsed.pathname.replace(/^\//, '');
  // A database the server then refuses would leave the connection on database 0, where the job would go.
  if (db !== '' && !/^\d{1,5}$/.test(db)) throw new TypeError(`connection.redis: the database must be a number, got ${JSON.stringify(db)}`);
  return {
    host: parsed.hostname === '' ? '127.0.0.1' : parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    // Back within a second of the server: BullMQ's own backoff waits up to 20 s between attempts, and
    // a job's hold and its repository's lease lapse after lockDurationMs (docs/distributed.md).
    retryStrategy: (attempt: number) => Math.min(250 * attempt, RECONNECT_MAX_MS),
  };
}
