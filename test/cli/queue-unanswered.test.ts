// A queue server that is away, or takes a connection and never answers: enqueue, schedule and
// unschedule give up after --server-timeout with exit 75 and one line saying whether anything was
// sent; a server back within it is used (docs/distributed.md). With the built CLI (npm run build first).
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cancel, enqueue, QueueUnansweredError, watch } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
import { JobHooksError } from '../../src/index.js';
import { closedPort } from '../notify/helpers/server.js';
import { REDIS_TAG, redisInstalled, startRedis } from '../support/redis.js';
import { relay } from '../support/relay.js';
import { BACKENDS, startWorker } from '../bullmq/helpers.js';
import { runCli, startCli, tempDir, waitFor, type CliRun } from './helpers.js';

const JOB = { tasks: [{ name: 'Fine', command: 'true' }] };
const redisUrl = (port: number): string => `redis://127.0.0.1:${port}`;
const postgresUrl = (port: number): string => `postgres://postgres@127.0.0.1:${port}/postgres`;

/** A server that takes every connection and never says a word. */
async function silentServer(): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Runs a queue command (killed after 20 s if it does not end by itself) and expects the one line and
 * exit 64 of a connection the server refused, in the server's `words`.
 */
async function expectRefused(args: readonly string[], cwd: string, kind: 'redis' | 'postgres', words: string): Promise<void> {
  const started = startCli(args, { cwd });
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 20_000);
  const run = await started.done;
  clearTimeout(timer);
  expect({ args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
    args,
    code: 64,
    stdout: '',
    stderr: `jobhooks: --redis/--postgres: connection.${kind}: the server refused the connection (${words})\n`,
  });
}

describe('a queue server that does not answer within --server-timeout', () => {
  const dir = tempDir();
  const config = dir.write('job.json', JSON.stringify(JOB));
  afterAll(() => dir.remove());

  test.each([
    ['enqueue', 'redis', [config], 'nothing was enqueued'],
    ['enqueue', 'postgres', [config], 'nothing was enqueued'],
    ['schedule', 'postgres', [config, '--cron', '15 2 * * *', '--id', 'nightly'], 'nothing was scheduled'],
    ['unschedule', 'redis', ['--id', 'nightly'], 'nothing was removed'],
  ] as const)('%s on a refused %s port: it retries, then exits 75 saying nothing was sent', async (command, kind, args, nothing) => {
    const port = await closedPort();
    const url = kind === 'redis' ? redisUrl(port) : postgresUrl(port);
    const started = Date.now();
    const run = await runCli([command, ...args, `--${kind}`, url, '--queue', 'q', '--server-timeout', '2s'], { cwd: dir.path });
    const seconds = (Date.now() - started) / 1000;
    expect([run.code, run.stdout]).toEqual([75, '']);
    expect(run.stderr).toBe(
      `jobhooks: queue server: connect ECONNREFUSED 127.0.0.1:${port} (retrying)\n` +
        `jobhooks: the queue server was not reached within 2s (connect ECONNREFUSED 127.0.0.1:${port}); ${nothing}\n`,
    );
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(15);
  });

  test.each(['redis', 'postgres'] as const)('enqueue to a %s port that takes the connection and never answers: exit 75, nothing sent', async (kind) => {
    const silent = await silentServer();
    try {
      const url = kind === 'redis' ? redisUrl(silent.port) : postgresUrl(silent.port);
      const run = await runCli(['enqueue', config, `--${kind}`, url, '--queue', 'q', '--server-timeout', '1.5s'], { cwd: dir.path });
      expect([run.code, run.stdout, run.stderr]).toEqual([75, '', 'jobhooks: the queue server was not reached within 1.5s; nothing was enqueued\n']);
    } finally {
      await silent.close();
    }
  });

  test('onConnectionError takes the connection errors instead of standard error, once a minute per message', async () => {
    const port = await closedPort();
    const said: string[] = [];
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const target = { connection: { redis: redisUrl(port) }, queue: 'q', onConnectionError: (message: string) => said.push(message) };
      // Three seconds of attempts at most a second apart: one message, said once.
      await expect(enqueue(target, JOB, { signal: AbortSignal.timeout(3_000) })).rejects.toBeInstanceOf(QueueUnansweredError);
    } finally {
      process.stderr.write = write;
    }
    expect(said).toEqual([`connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(written.filter((text) => text.includes(String(port)))).toEqual([]);
  });

  test('enqueue() with a signal rejects with QueueUnansweredError (sent: false, the connection error as its cause)', async () => {
    const port = await closedPort();
    const error = await enqueue({ connection: { redis: redisUrl(port) }, queue: 'q' }, JOB, { signal: AbortSignal.timeout(800) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueueUnansweredError);
    expect(error).toBeInstanceOf(JobHooksError);
    expect(error).toMatchObject({ code: 'ERR_QUEUE_UNANSWERED', sent: false, message: `The queue server was not reached (connect ECONNREFUSED 127.0.0.1:${port}): nothing was sent` });
    expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('watch() refuses a serverTimeout that is not a positive number of milliseconds', async () => {
    for (const serverTimeout of [0, -1, Number.NaN]) {
      const watching = watch({ connection: { redis: 'redis://127.0.0.1:1' }, queue: 'q' }, 'id', { serverTimeout });
      await expect(watching.next()).rejects.toThrow(`watch: serverTimeout must be a positive number of milliseconds (or Infinity), received ${String(serverTimeout)}`);
    }
  });

  test.each([
    [['--server-timeout', 'soon'], 'jobhooks: --server-timeout expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"'],
    [['--server-timeout'], "jobhooks: Option '--server-timeout <value>' argument missing"],
  ])('enqueue %j → exit 64', async (args, message) => {
    const run = await runCli(['enqueue', config, '--redis', 'redis://x', '--queue', 'q', ...args], { cwd: dir.path });
    expect([run.code, run.stderr]).toEqual([64, `${message}\nRun "jobhooks --help" for usage.\n`]);
  });
});

describe.skipIf(!redisInstalled)('a Redis server that refuses the login', { tags: [REDIS_TAG] }, () => {
  test('a wrong password, or none where one is required: one line and exit 64 at once, for enqueue and worker alike', async () => {
    const server = await startRedis();
    const dir = tempDir();
    const admin = openBackend({ connection: { redis: server.url }, queue: 'q' }).queue();
    try {
      const client = (await admin.getBackend().client) as unknown as { call(...args: string[]): Promise<unknown> };
      await client.call('CONFIG', 'SET', 'requirepass', 'right');
      const config = dir.write('job.json', JSON.stringify(JOB));
      const cases = [
        [['enqueue', config], `redis://:wrong@127.0.0.1:${server.port}`, 'WRONGPASS invalid username-password pair or user is disabled.'],
        [['worker'], `redis://:wrong@127.0.0.1:${server.port}`, 'WRONGPASS invalid username-password pair or user is disabled.'],
        [['enqueue', config], server.url, 'NOAUTH Authentication required.'],
      ] as const;
      // Without the check, ioredis would try the same password again for ever.
      for (const [args, url, words] of cases) await expectRefused([...args, '--redis', url, '--queue', 'q'], dir.path, 'redis', words);
      const accepted = await runCli(['enqueue', config, '--redis', `redis://:right@127.0.0.1:${server.port}`, '--queue', 'q', '--job-id', 'in'], { cwd: dir.path });
      expect([accepted.code, accepted.stdout, accepted.stderr]).toEqual([0, 'in\n', '']);
    } finally {
      await admin.close().catch(() => {});
      dir.remove();
      await server.stop();
    }
  });
});

describe.each(BACKENDS)('a $name server that answers late, or refuses', (backend) => {
  describe.skipIf(!backend.installed)('server', { tags: [backend.tag] }, () => {
    let server: Awaited<ReturnType<(typeof backend)['start']>>;
    let port = 0;
    const dir = tempDir();
    beforeAll(async () => {
      server = await backend.start();
      port = Number(new URL('redis' in server.connection ? server.connection.redis : server.connection.postgres).port);
    });
    afterAll(async () => {
      dir.remove();
      await server?.stop();
    });
    const kind = backend.name === 'Redis' ? 'redis' : 'postgres';
    const urlOf = (at: number): string => (kind === 'redis' ? redisUrl(at) : postgresUrl(at));

    test('back within --server-timeout: the job is enqueued once, exit 0 (each PostgreSQL attempt a new connection)', async () => {
      const config = dir.write('job.json', JSON.stringify(JOB));
      const link = await relay(port);
      link.down();
      try {
        const run = startCli(['enqueue', config, `--${kind}`, urlOf(link.port), '--queue', 'late', '--job-id', 'late-1', '--server-timeout', '30s'], { cwd: dir.path });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await link.up();
        const ended = await run.done;
        expect([ended.code, ended.stdout, ended.stderr]).toEqual([0, 'late-1\n', `jobhooks: queue server: connect ECONNREFUSED 127.0.0.1:${link.port} (retrying)\n`]);
        const queue = openBackend({ connection: server.connection, queue: 'late' }).queue();
        try {
          expect(await queue.getJobCountByTypes('waiting')).toBe(1);
        } finally {
          await queue.close();
        }
      } finally {
        await link.close();
      }
    }, 60_000);

    /**
     * A worker on `queue`, and `enqueue --wait` of a one-task job through a relay the test can take
     * away, once its task has started; `ended()` is the CLI's end (killed after 40 s).
     */
    async function waitingThroughRelay(queue: string, task: { name: string; command: string }, serverTimeout: string) {
      const config = dir.write(`${queue}.json`, JSON.stringify({ tasks: [task] }));
      const worker = await startWorker({ connection: server.connection, queue });
      const link = await relay(port);
      const run = startCli(['enqueue', config, `--${kind}`, urlOf(link.port), '--queue', queue, '--job-id', `${queue}-1`, '--wait', '--server-timeout', serverTimeout], { cwd: dir.path });
      const killer = setTimeout(() => run.child.kill('SIGKILL'), 40_000);
      const ended = async (): Promise<CliRun> => run.done.finally(() => clearTimeout(killer));
      const close = async (): Promise<void> => {
        run.child.kill('SIGKILL');
        await link.close();
        await worker.stop();
      };
      await waitFor(() => run.stdout().includes(`[${task.name}] started`), 'the job to start', 20_000).catch(async (error: unknown) => {
        await close();
        throw error;
      });
      return { link, ended, close };
    }

    test('enqueue --wait whose server goes away during the job: exit 75 after --server-timeout, the job still on its worker', async () => {
      const { link, ended: end, close } = await waitingThroughRelay('away', { name: 'Long', command: 'sleep 60' }, '2s');
      try {
        link.down();
        const wentAway = Date.now();
        const ended = await end();
        expect([ended.code, ended.signal]).toEqual([75, null]);
        expect(ended.stderr).toMatch(/jobhooks: the queue server has not answered for 2s while job away-1 ran; it may still be running on its worker\n$/);
        expect((Date.now() - wentAway) / 1000).toBeLessThan(15);
        // The job itself was never touched: still running, then cancelled here.
        expect(await cancel({ connection: server.connection, queue: 'away' }, 'away-1')).toBe('signalled');
      } finally {
        await close();
      }
    }, 60_000);

    test('enqueue --wait whose server is away for a moment of the job: the wait goes on to the job\'s end', async () => {
      const { link, ended: end, close } = await waitingThroughRelay('back', { name: 'Short', command: 'sleep 4' }, '20s');
      try {
        link.down();
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await link.up();
        const ended = await end();
        expect([ended.code, ended.signal]).toEqual([0, null]);
        expect(ended.stdout).toContain('Result: ✅ Job Completed Successfully');
      } finally {
        await close();
      }
    }, 60_000);

    // What only one backend can be made to do: defined for it alone, so nothing is reported skipped.
    if (kind === 'redis') {
      test('a request sent that the server does not answer in time (writes paused): exit 75, the job may have been enqueued', async () => {
        const config = dir.write('job.json', JSON.stringify(JOB));
        const admin = openBackend({ connection: { redis: redisUrl(port) }, queue: 'paused' }).queue();
        try {
          const client = (await admin.getBackend().client) as unknown as { call(...args: string[]): Promise<unknown> };
          // The server takes connections and reads, and holds every write (the job's add) for 4 s.
          await client.call('CLIENT', 'PAUSE', '4000', 'WRITE');
          const run = await runCli(['enqueue', config, '--redis', redisUrl(port), '--queue', 'paused', '--job-id', 'p-1', '--server-timeout', '1s'], { cwd: dir.path });
          expect([run.code, run.stdout, run.stderr]).toEqual([
            75,
            '',
            'jobhooks: the queue server did not answer within 1s; the job may have been enqueued (enqueueing it again with --job-id p-1 adds nothing if it was)\n',
          ]);
          await client.call('CLIENT', 'UNPAUSE');
        } finally {
          await admin.close();
        }
      });
    } else {
      test('a connection that drops while the job is being added: exit 75, the job may have been enqueued (not an internal error)', async () => {
        const config = dir.write('job.json', JSON.stringify(JOB));
        // The queue's tables exist once a queue has connected.
        const setup = openBackend({ connection: { postgres: postgresUrl(port) }, queue: 'dropped' }).queue();
        await setup.waitUntilReady();
        await setup.close();
        const { default: pg } = await import('pg');
        const locker = new pg.Client({ connectionString: postgresUrl(port) });
        await locker.connect();
        const link = await relay(port);
        try {
          // Every write to the job table waits for this transaction: the add is out, unanswered.
          await locker.query('BEGIN');
          await locker.query('LOCK TABLE bullmq.job IN ACCESS EXCLUSIVE MODE');
          const run = startCli(['enqueue', config, '--postgres', postgresUrl(link.port), '--queue', 'dropped', '--job-id', 'd-1'], { cwd: dir.path });
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          link.down();
          const ended = await run.done;
          expect([ended.code, ended.stdout]).toEqual([75, '']);
          expect(ended.stderr).toMatch(
            /^(jobhooks: queue server: [^\n]+ \(retrying\)\n)?jobhooks: the queue server went away before it answered \([^)\n]+\); the job may have been enqueued \(enqueueing it again with --job-id d-1 adds nothing if it was\)\n$/,
          );
        } finally {
          await locker.query('ROLLBACK').catch(() => {});
          await locker.end();
          await link.close();
        }
      }, 60_000);

      test('a database that does not exist: one line and exit 64 at once, for enqueue and worker alike', async () => {
        const config = dir.write('job.json', JSON.stringify(JOB));
        const url = postgresUrl(port).replace(/\/postgres$/, '/nosuchdb');
        for (const args of [['enqueue', config], ['worker']]) await expectRefused([...args, '--postgres', url, '--queue', 'q'], dir.path, 'postgres', 'database "nosuchdb" does not exist');
      });
    }
  });
});
