// Write your own notifier: deliver the job's one message anywhere (here, a file in a temp directory),
// filter by level, honour the timeout's signal, and ping at job start.
// Run: `npx tsx examples/custom-notifier.ts`.
import { appendFile, readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, JobPipeline, type Notifier } from 'jobhooks';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));
const spool = join(work, 'mail.spool');

/** Appends each message to a mail spool: title, blank line, body. */
function spoolNotifier(path: string): Notifier {
  return {
    name: 'spool',
    timeout: '5s',
    async jobStarted({ jobId, signal }) {
      // Called once when the job starts, without delaying the first task (Healthchecks' /start).
      signal.throwIfAborted();
      await appendFile(path, `started ${jobId}\n`);
    },
    async notify(message, { result, signal }) {
      // `result` is the job as it stands (every other task is final). `signal` fires at this
      // notifier's timeout: pass it to fetch() or stop by hand, as here.
      const failed = result.tasks.filter((task) => task.status === 'failed').map((task) => task.name);
      signal.throwIfAborted();
      await appendFile(path, `[${message.level}] ${message.title}\n\n${message.body}\nfailed: ${failed.join(', ') || 'none'}\n`);
    },
  };
}

/** Only for failures: pages someone. This one is broken, to show what a failing notifier does. */
const pager: Notifier = {
  name: 'pager',
  on: ['error'],
  secrets: ['pager-token-123'],
  async notify() {
    throw new Error('401 Unauthorized for token pager-token-123');
  },
};

try {
  for (const exitCode of [0, 1]) {
    const pipeline = new JobPipeline({
      jobId: `job-${exitCode}`,
      repository: { name: 'MyRepository' },
      preHooks: [{ name: 'Database Dump', command: `exit ${exitCode}`, critical: true }],
      tasks: [commandTask({ type: 'backup', name: 'Archive', command: 'true' })],
      notifiers: [spoolNotifier(spool), pager],
    });
    pipeline.on('notificationSent', ({ notifier }) => console.log(`job-${exitCode}: sent by ${notifier}`));
    pipeline.on('notificationFailed', ({ notifier, error }) => console.log(`job-${exitCode}: ${notifier} failed: ${error}`));
    const result = await pipeline.run();
    const notification = result.tasks.at(-1);
    console.log(`job-${exitCode}: ${result.status}; notification task ${notification?.status}; output ${JSON.stringify(notification?.output)}`);
  }
  console.log('--- mail.spool ---');
  console.log((await readFile(spool, 'utf8')).trimEnd());
} finally {
  rmSync(work, { recursive: true, force: true });
}
