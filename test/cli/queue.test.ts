// The queue commands with the built CLI (npm run build first): worker processes and enqueue --wait
// over each backend (docs/distributed.md).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from '../bullmq/helpers.js';
import { REDIS_TAG, redisInstalled, startRedis } from '../support/redis.js';
import { enqueue } from '../../src/bullmq/index.js';
import { openBackend } from '../../src/bullmq/connection.js';
import type { QueueConnection } from '../../src/bullmq/index.js';
import { closedPort } from '../notify/helpers/server.js';
import { runCli, startCli, tempDir, untimed, waitFor, type Started } from './helpers.js';

const urlFlags = (connection: QueueConnection): string[] => ('redis' in connection ? ['--redis', connection.redis] : ['--postgres', connection.postgres]);
const marks = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : []);

describe.each(BACKENDS)('jobhooks worker and enqueue on $name', (backend) => {
  describe.skipIf(!backend.installed)('cli', { tags: [backend.tag] }, () => {
    let server: { connection: QueueConnection; stop(): Promise<void> };
    const dir = tempDir();
    const workers: Started[] = [];
    const startWorker = async (queue: string): Promise<Started> => {
      const worker = startCli(['worker', ...urlFlags(server.connection), '--queue', queue], { cwd: dir.path });
      workers.push(worker);
      await waitFor(() => worker.stdout().includes('taking jobs'), 'the worker to take jobs', 30_000);
      return worker;
    };

    beforeAll(async () => {
      server = await backend.start();
    });
    afterAll(async () => {
      for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
      await server?.stop();
      dir.remove();
    });

    test('enqueue --wait runs a real hook job on a worker process, shows it as run does, and exits with its code', async () => {
      await startWorker('wait');
      const config = dir.write('fails.json', JSON.stringify({ tasks: [{ name: 'Say', command: 'echo from the worker; exit 3' }] }));
      const run = await runCli(['enqueue', config, ...urlFlags(server.connection), '--queue', 'wait', '--wait', '--job-id', 'say-1'], { cwd: dir.path });
      expect([run.code, run.stderr]).toEqual([2, '']);
      expect(untimed(run.stdout).split('\n').slice(0, 3)).toEqual(['[Say] started', '[Say] from the worker', "[Say] failed: Task 'Say' exited with code 3"]);
      expect(run.stdout).toContain('Job ID: say-1');
      const ok = dir.write('ok.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
      const fine = await runCli(['enqueue', ok, ...urlFlags(server.connection), '--queue', 'wait', '--wait'], { cwd: dir.path });
      expect(fine.code).toBe(0);
      // Without --wait: the job id alone.
      const queued = await runCli(['enqueue', ok, ...urlFlags(server.connection), '--queue', 'wait', '--job-id', 'plain-1'], { cwd: dir.path });
      expect([queued.code, queued.stdout, queued.stderr]).toEqual([0, 'plain-1\n', '']);
    });

    test('a bad config is refused at enqueue with exit 64, as validate says it', async () => {
      const bad = dir.write('bad.json', JSON.stringify({ tasks: [{ name: 'Backup', command: 'true', timeout: 'soon' }] }));
      const run = await runCli(['enqueue', bad, ...urlFlags(server.connection), '--queue', 'wait'], { cwd: dir.path });
      const validate = await runCli(['validate', bad], { cwd: dir.path });
      expect([run.code, run.stdout]).toEqual([64, '']);
      expect(run.stderr).toBe(validate.stderr);
    });

    test('an invalid cron expression, and a job the worker refuses, are one line each: exit 64 and exit 2, not internal errors', async () => {
      const ok = dir.write('cron.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
      const cron = await runCli(['schedule', ok, ...urlFlags(server.connection), '--queue', 'cron', '--id', 'nightly', '--cron', 'not a cron'], { cwd: dir.path });
      expect([cron.code, cron.stdout]).toEqual([64, '']);
      expect(cron.stderr).toMatch(/^jobhooks: cannot schedule .*cron\.json as nightly: [^\n]+\n$/);
      // The worker lacks the variable the enqueuer had: the definition is invalid where it runs.
      await startWorker('refused');
      const secret = dir.write('secret.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }], notifiers: [{ type: 'ntfy', topic: 'nas', token: { env: 'JH_QUEUE_TEST_TOKEN' } }] }));
      const refused = await runCli(['enqueue', secret, ...urlFlags(server.connection), '--queue', 'refused', '--wait', '--job-id', 'r1'], { cwd: dir.path, env: { JH_QUEUE_TEST_TOKEN: 'abcdefgh' } });
      expect([refused.code, refused.stdout]).toEqual([2, '']);
      expect(refused.stderr).toBe('jobhooks: Job r1 failed in the queue: Invalid job definition (1 problem):\n  - notifiers[0].token: environment variable JH_QUEUE_TEST_TOKEN is not set\n');
    });

    test('SIGTERM to a worker during a long hook: no new job, the running one is cancelled, its cleanup runs, its result says cancelled; the worker exits 0', async () => {
      const worker = await startWorker('term');
      const file = join(dir.path, 'term.txt');
      const config = dir.write('long.json', JSON.stringify({
        preHooks: [{ name: 'Long', command: `echo started >> ${file}; sleep 30` }],
        tasks: [{ name: 'Never', command: `echo task >> ${file}` }],
        postHooks: [{ name: 'Cleanup', command: `echo "cleanup $JOBHOOKS_JOB_STATUS" >> ${file}`, runOnJobFailure: true }],
      }));
      const waiting = startCli(['enqueue', config, ...urlFlags(server.connection), '--queue', 'term', '--wait'], { cwd: dir.path });
      await waitFor(() => marks(file).includes('started'), 'the long hook to start', 30_000);
      worker.child.kill('SIGTERM');
      const [stopped, watched] = await Promise.all([worker.done, waiting.done]);
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).toBe('jobhooks worker: received SIGTERM: taking no new job; cancelling the running ones (their cleanup runs). Send SIGTERM again to exit now.\n');
      expect(marks(file)).toEqual(['started', 'cleanup cancelled']);
      // The job's result says cancelled; cancelled by no signal of the enqueuer's own: exit 2, as run's maxRunTime.
      expect(watched.code).toBe(2);
      expect(watched.stdout).toContain('Cancelled');
    });
  });
});

describe.skipIf(!redisInstalled)('a Redis database the server refuses', { tags: [REDIS_TAG] }, () => {
  test('enqueue and worker say so in one line and exit 64, enqueue() rejects; nothing lands in database 0', async () => {
    const server = await startRedis();
    const dir = tempDir();
    try {
      const config = dir.write('ok.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
      const url = `${server.url}/99`;
      const refused = /^jobhooks: --redis\/--postgres: connection\.redis: the server refused database 99 \(ERR [^)\n]+\)\n$/;
      for (const args of [['enqueue', config], ['worker']]) {
        const started = startCli([...args, '--redis', url, '--queue', 'q'], { cwd: dir.path });
        // Without the check, the worker would take jobs from database 0 until killed.
        const timer = setTimeout(() => started.child.kill('SIGKILL'), 20_000);
        const run = await started.done;
        clearTimeout(timer);
        expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 64, stdout: '' });
        expect(run.stderr).toMatch(refused);
      }
      await expect(enqueue({ connection: { redis: url }, queue: 'q' }, { tasks: [{ name: 'Fine', command: 'true' }] })).rejects.toThrow(
        /^connection\.redis: the server refused database 99 \(ERR /,
      );
      // ioredis goes on in database 0 after a refused SELECT: the job would have been there.
      const database0 = openBackend({ connection: { redis: server.url }, queue: 'q' }).queue();
      try {
        expect(await database0.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed')).toBe(0);
      } finally {
        await database0.close();
      }
    } finally {
      dir.remove();
      await server.stop();
    }
  });
});

describe('queue command lines', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  test.each([
    [['worker', '--queue', 'q'], 'jobhooks: "worker" needs exactly one of --redis <url> or --postgres <url>'],
    [['worker', '--redis', 'redis://x', '--queu', 'q'], 'jobhooks: "worker" has no option "--queu" (did you mean "--queue"?)'],
    [['enqueue', 'a.json', '--redis', 'redis://x', '--queue', 'q', '--priorty', '1'], 'jobhooks: "enqueue" has no option "--priorty" (did you mean "--priority"?)'],
    [['wroker'], 'jobhooks: unknown command "wroker" (did you mean "worker"?)'],
    [['enqueue', '--redis', 'redis://x', '--queue', 'q'], 'jobhooks: "enqueue" needs a config file: jobhooks enqueue <config> …'],
    [['enqueue', 'a.json', '--redis', 'redis://x', '--queue', 'q', '--delay', 'soon'], 'jobhooks: --delay expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"'],
    [['schedule', 'a.json', '--redis', 'redis://x', '--queue', 'q', '--id', 'n'], 'jobhooks: "schedule" needs --cron <expression>'],
    [['unschedule', '--postgres', 'postgres://x', '--queue', 'q'], 'jobhooks: "unschedule" needs --id <id>'],
  ])('%j → exit 64', async (args, message) => {
    const run = await runCli(args, { cwd: dir.path });
    expect([run.code, run.stderr]).toEqual([64, `${message}\nRun "jobhooks --help" for usage.\n`]);
  });
  test('a cron expression of four fields (BullMQ would fire it every minute) is refused before any server is asked', async () => {
    const config = dir.write('tick.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
    const port = await closedPort();
    const started = startCli(['schedule', config, '--redis', `redis://127.0.0.1:${port}`, '--queue', 'q', '--id', 'bad', '--cron', '* * * *'], { cwd: dir.path });
    const timer = setTimeout(() => started.child.kill('SIGKILL'), 10_000);
    const run = await started.done;
    clearTimeout(timer);
    expect([run.code, run.stdout]).toEqual([64, '']);
    expect(run.stderr).toBe(`jobhooks: cannot schedule ${config} as bad: a cron expression has 5 fields (6 with seconds first), "* * * *" has 4\n`);
  });

  test('a server that is away: one line per kind of error and minute while it retries, no stack, no password', async () => {
    const config = dir.write('away.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
    const port = await closedPort();
    const waiting = startCli(['enqueue', config, '--redis', `redis://admin:S3cret@127.0.0.1:${port}`, '--queue', 'q'], { cwd: dir.path });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    waiting.child.kill('SIGKILL');
    const { stderr } = await waiting.done;
    expect(stderr).toBe(`jobhooks: queue server: connect ECONNREFUSED 127.0.0.1:${port} (retrying)\n`);
  });

  test.each([
    ['redis://admin:S3cret@127.0.0.1:notaport', 'connection.redis is not a URL: expected redis://[user:password@]host[:port][/db] or rediss://…'],
    ['localhost:6379', 'connection.redis must be a redis:// or rediss:// URL, got localhost:: expected redis://[user:password@]host[:port][/db] or rediss://…'],
    ['redis://127.0.0.1:6379/abc', 'connection.redis: the database must be a number, got "abc"'],
  ])('--redis %s → one line, exit 64, no password', async (url, message) => {
    const config = dir.write('ok.json', JSON.stringify({ tasks: [{ name: 'Fine', command: 'true' }] }));
    const run = await runCli(['enqueue', config, '--redis', url, '--queue', 'q'], { cwd: dir.path });
    expect([run.code, run.stdout, run.stderr]).toEqual([64, '', `jobhooks: --redis/--postgres: ${message}\n`]);
  });
});
