import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import { findExecutable, freePort } from './servers.js';

/** The `redis-server` binary the queue tests start, if installed. */
export const redisServer = findExecutable('redis-server') ?? findExecutable('redis-server', ['/usr/bin', '/usr/sbin']);

/** BullMQ's Redis client, an optional peer dependency of bullmq: without it BullMQ cannot reach Redis. */
export const ioredisInstalled = ((): boolean => {
  try {
    createRequire(import.meta.url).resolve('ioredis');
    return true;
  } catch {
    return false;
  }
})();

/** `true` when a private redis-server can be started and BullMQ can reach it; the Redis half of the queue suites is skipped otherwise. */
export const redisInstalled = redisServer !== undefined && ioredisInstalled;

/** What the skip line says is missing. */
export const REDIS_MISSING = redisServer === undefined ? 'redis-server not installed' : 'ioredis (bullmq\'s Redis client) not installed';

/** The tag of every suite that needs redis-server (counted by the skip reporter, docs/testing.md). */
export const REDIS_TAG = 'redis';

export const REDIS_INSTALL_HINT = redisServer === undefined ? 'apt-get install redis-server' : 'npm install -D ioredis';

/** A private redis-server: no persistence, on a free port of 127.0.0.1. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a redis-server for one test file and resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  if (redisServer === undefined) throw new Error(`redis-server not installed: ${REDIS_INSTALL_HINT}`);
  const port = await freePort();
  const child: ChildProcess = spawn(redisServer, ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}
