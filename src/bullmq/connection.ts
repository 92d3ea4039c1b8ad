import { createPostgresBackend, Queue, QueueEvents, QueueEventsProducer, withBackend, Worker, type ConnectionOptions, type Processor, type WorkerOptions } from 'bullmq';

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
}

/** What the custom events and leases are built on: BullMQ's classes bound to one backend. */
export interface Backend {
  readonly kind: 'redis' | 'postgres';
  /** The Redis database the target's URL names (`/2`), if any. */
  readonly database?: number | undefined;
  queue(): Queue;
  events(lastEventId: string): QueueEvents;
  producer(): QueueEventsProducer;
  worker(processor: Processor, options: Omit<WorkerOptions, 'connection'>): Worker;
}

const postgresClasses = withBackend(createPostgresBackend);

/** Binds BullMQ to the target's backend; each call of its methods makes one new BullMQ object. */
export function openBackend(target: QueueTarget): Backend {
  const { connection, queue: name } = target;
  if ('postgres' in connection && typeof connection.postgres === 'string') {
    const pg = { connectionString: connection.postgres, migrate: true };
    return {
      kind: 'postgres',
      queue: () => quiet(new postgresClasses.Queue(name, { connection: pg }) as unknown as Queue),
      events: (lastEventId) => quiet(new postgresClasses.QueueEvents(name, { connection: pg, lastEventId }) as unknown as QueueEvents),
      producer: () => quiet(new postgresClasses.QueueEventsProducer(name, { connection: pg }) as unknown as QueueEventsProducer),
      worker: (processor, options) => quiet(new postgresClasses.Worker(name, processor, { ...options, connection: pg }) as unknown as Worker),
    };
  }
  if ('redis' in connection && typeof connection.redis === 'string') {
    const redis = redisOptions(connection.redis);
    return {
      kind: 'redis',
      database: redis.db,
      queue: () => quiet(new Queue(name, { connection: redis })),
      events: (lastEventId) => quiet(new QueueEvents(name, { connection: redis, lastEventId })),
      producer: () => quiet(new QueueEventsProducer(name, { connection: redis })),
      worker: (processor, options) => quiet(new Worker(name, processor, { ...options, connection: redis })),
    };
  }
  throw new TypeError('connection must be { redis: URL } or { postgres: URL }');
}

/**
 * {@link openBackend}, once the server has shown it takes the target's Redis database. A database it
 * refuses (`/99` on a server of 16, any but 0 on a cluster) would leave every connection on database
 * 0: ioredis reports the failed SELECT as a connection error and goes on there, so jobs would be
 * enqueued where no worker of the queue looks and a worker would take another queue's. One SELECT, on
 * a connection of its own and before anything else is sent, refuses the target instead
 * (docs/bullmq-api.md#connection).
 */
export async function connectBackend(target: QueueTarget): Promise<Backend> {
  const backend = openBackend(target);
  const db = backend.database;
  if (db === undefined || db === 0) return backend;
  const probe = backend.queue();
  try {
    // BullMQ's Redis backend hands out its ioredis client; its own interface for it has no SELECT.
    const client = (await probe.getBackend().client) as unknown as { select(db: number): Promise<unknown> };
    await client.select(db).catch((error: unknown) => {
      const reason = String((error as Error)?.message ?? error).split('\n')[0] ?? '';
      throw new TypeError(`connection.redis: the server refused database ${db} (${reason})`);
    });
  } finally {
    await probe.close().catch(() => {});
  }
  return backend;
}

/** When each connection error was last said, by its message: the same one is said once a minute. */
const saidAt = new Map<string, number>();
const SAY_AGAIN_MS = 60_000;
/** Redis's answers to a SELECT it refuses: "ERR DB index is out of range", "ERR invalid DB index", cluster mode's. */
const REFUSED_DATABASE = /DB index|SELECT is not allowed/i;

/**
 * Gives a BullMQ object an `error` listener. Without one, BullMQ prints each connection error whole,
 * several times a second while the server is away, with the failed command's arguments (a password,
 * for AUTH). This says one line with its message, once a minute per message; the client goes on
 * reconnecting by itself (docs/distributed.md).
 */
function quiet<T extends { on(event: 'error', listener: (error: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', (error: Error) => {
    const message = String(error?.message ?? error).split('\n')[0] ?? '';
    // A refused SELECT is no reason to retry: connectBackend says it, once, and stops.
    if (REFUSED_DATABASE.test(message)) return;
    const now = Date.now();
    if (now - (saidAt.get(message) ?? Number.NEGATIVE_INFINITY) < SAY_AGAIN_MS) return;
    saidAt.set(message, now);
    process.stderr.write(`jobhooks: queue server: ${message} (retrying)\n`);
  });
  return emitter;
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
