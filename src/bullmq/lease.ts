import type { Queue } from 'bullmq';
import type { Backend } from './connection.js';

/**
 * The repository lease (docs/bullmq-api.md#one-job-per-repository): one holder per key across every
 * worker of every host, with an expiry that each renewal pushes back, so that a crashed holder's lease
 * lapses on its own. Redis: a key `SET NX PX`; PostgreSQL: a row of the table `jobhooks_leases`.
 */
export interface LeaseStore {
  /** Takes the lease when free or expired; `false` when someone else holds it. */
  tryAcquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Pushes the expiry back; `false` when the lease is no longer ours. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
}

interface RedisLike {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<string | null>;
  eval(script: string, keys: number, ...args: Array<string | number>): Promise<unknown>;
}
interface PgLike {
  query(text: string, params?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
}

const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A lease store on the queue's own connection (the queue must stay open while it is used). */
export async function leaseStore(backend: Backend, queue: Queue): Promise<LeaseStore> {
  await queue.waitUntilReady();
  const prefix = `jobhooks:lease:${queue.name}:`;
  if (backend.kind === 'redis') {
    const client = (await (queue.backend as unknown as { connection: { client: Promise<RedisLike> } }).connection.client) as RedisLike;
    return {
      tryAcquire: async (key, owner, ttlMs) => (await client.set(prefix + key, owner, 'PX', ttlMs, 'NX')) === 'OK',
      renew: async (key, owner, ttlMs) => Number(await client.eval(RENEW, 1, prefix + key, owner, ttlMs)) === 1,
      release: async (key, owner) => {
        await client.eval(RELEASE, 1, prefix + key, owner);
      },
    };
  }
  const pool = (queue.backend as unknown as { connection: { pool: PgLike } }).connection.pool;
  await pool.query('CREATE TABLE IF NOT EXISTS jobhooks_leases (key text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)').catch(async (error: unknown) => {
    // Two workers creating it at once: one loses the race on the catalog; the table is there.
    const exists = await pool.query("SELECT to_regclass('jobhooks_leases') AS t");
    if (exists.rows[0]?.['t'] === null) throw error;
  });
  return {
    tryAcquire: async (key, owner, ttlMs) => {
      const { rowCount } = await pool.query(
        `INSERT INTO jobhooks_leases (key, owner, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE jobhooks_leases.expires_at < clock_timestamp()`,
        [prefix + key, owner, ttlMs],
      );
      return rowCount === 1;
    },
    renew: async (key, owner, ttlMs) => {
      const { rowCount } = await pool.query(
        "UPDATE jobhooks_leases SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE key = $1 AND owner = $2",
        [prefix + key, owner, ttlMs],
      );
      return rowCount === 1;
    },
    release: async (key, owner) => {
      await pool.query('DELETE FROM jobhooks_leases WHERE key = $1 AND owner = $2', [prefix + key, owner]);
    },
  };
}

/** The lease key of a definition: its `repository.id`, else its `repository.name`; none (no lease) without either. */
export function repositoryKey(definition: unknown): string | undefined {
  if (typeof definition !== 'object' || definition === null) return undefined;
  const repository = (definition as Record<string, unknown>)['repository'];
  if (typeof repository !== 'object' || repository === null) return undefined;
  const { id, name } = repository as Record<string, unknown>;
  if (typeof id === 'string' || typeof id === 'number') return `id:${String(id)}`;
  if (typeof name === 'string') return `name:${name}`;
  return undefined;
}
