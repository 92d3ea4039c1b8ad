import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobResult } from '../../src/index.js';
import type { QueueConnection } from '../../src/bullmq/index.js';
import { POSTGRES_TAG, postgresInstalled, startPostgres } from '../support/postgres.js';
import { REDIS_TAG, redisInstalled, startRedis } from '../support/redis.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The two backends the same contract suite runs against (docs/bullmq-api.md#connection). */
export const BACKENDS = [
  {
    name: 'Redis',
    tag: REDIS_TAG,
    installed: redisInstalled,
    start: async (): Promise<{ connection: QueueConnection; stop(): Promise<void> }> => {
      const server = await startRedis();
      return { connection: { redis: server.url }, stop: () => server.stop() };
    },
  },
  {
    name: 'PostgreSQL',
    tag: POSTGRES_TAG,
    installed: postgresInstalled,
    start: async (): Promise<{ connection: QueueConnection; stop(): Promise<void> }> => {
      const server = await startPostgres();
      return { connection: { postgres: server.url }, stop: () => server.stop() };
    },
  },
] as const;

/** A worker process running test/bullmq/fixtures/worker.ts. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** What the worker recovered at its start (a previous worker's jobs, with the same stateDir). */
  readonly recovered: JobResult[];
  stop(): Promise<void>;
}

export async function startWorker(options: { connection: QueueConnection; queue: string; stateDir?: string; lockMs?: number; concurrency?: number; retryOnStall?: boolean; leaseWaitMs?: number }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      JOBHOOKS_TEST_TARGET: JSON.stringify({ connection: options.connection, queue: options.queue }),
      JOBHOOKS_TEST_LOCK_MS: String(options.lockMs ?? 2000),
      JOBHOOKS_TEST_CONCURRENCY: String(options.concurrency ?? 1),
      ...(options.stateDir === undefined ? {} : { JOBHOOKS_TEST_STATE_DIR: options.stateDir }),
      ...(options.retryOnStall === true ? { JOBHOOKS_TEST_RETRY_ON_STALL: '1' } : {}),
      ...(options.leaseWaitMs === undefined ? {} : { JOBHOOKS_TEST_LEASE_WAIT_MS: String(options.leaseWaitMs) }),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('ready '));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
  return {
    child,
    recovered: JSON.parse(ready.slice('ready '.length)) as JobResult[],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until `check` returns a value other than `undefined`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}
