/**
 * The jobhooks demo (`npm run demo`): the four execution flows of the Job Hooks System, run for real
 * with shell hooks in a temporary directory, then — when `borg` is installed — a real borg backup
 * with a database-dump pre-hook and a cleanup post-hook.
 *
 * It exits 1 if any flow does not come out as documented, so it doubles as a smoke test.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, formatFlow, JobPipeline, type HookConfig, type JobResult, type JobStatus, type Notifier } from 'jobhooks';
import { borgCreate, borgPrune, type BorgCreateData } from 'jobhooks/borg';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-demo-'));
const data = join(work, 'data');
const archives = join(work, 'archives');
mkdirSync(data);
mkdirSync(archives);
writeFileSync(join(data, 'app.conf'), 'listen = 8080\n');

/** A notifier of our own: appends each message to a file, as a mail spool or chat bridge would. */
const outbox: Notifier = {
  name: 'outbox',
  async notify(message) {
    appendFileSync(join(work, 'outbox.log'), `${message.title}\n${message.body}\n\n`);
  },
};

// Real shell commands; each hook sees its job context as JOBHOOKS_* variables.
const hooks = {
  databaseDump: {
    name: 'Database Dump',
    command: `printf 'CREATE TABLE items (id int);\\nINSERT INTO items VALUES (1);\\n' > "$DEMO_DATA/db.sql"
echo "dump written for $JOBHOOKS_REPOSITORY_NAME: $(wc -c < "$DEMO_DATA/db.sql") bytes"`,
  },
  failingDump: {
    name: 'Database Dump',
    command: 'echo "pg_dump: error: connection to server on socket failed" >&2; exit 1',
    critical: true,
  },
  stopServices: { name: 'Stop Services', command: 'touch "$DEMO_WORK/app.stopped" && echo "app stopped"' },
  logRotation: { name: 'Log Rotation', command: 'echo "logrotate: error: /etc/logrotate.d/demo: No such file" >&2; exit 1' },
  restartServices: { name: 'Restart Services', command: 'rm -f "$DEMO_WORK/app.stopped" && echo "app started"' },
  healthCheck: {
    name: 'Health Check',
    command: 'test ! -e "$DEMO_WORK/app.stopped" && echo "healthy; job so far: $JOBHOOKS_JOB_STATUS${JOBHOOKS_FAILED_TASK:+, failed task: $JOBHOOKS_FAILED_TASK}"',
  },
} satisfies Record<string, HookConfig>;

const backup = (source: string) =>
  commandTask({ type: 'backup', name: 'backup', command: `tar -czf "$DEMO_ARCHIVES/$JOBHOOKS_JOB_ID.tgz" -C "${source}" . && echo "archive written"` });
const prune = commandTask({
  type: 'prune',
  name: 'prune',
  critical: false,
  command: 'ls -1t "$DEMO_ARCHIVES"/*.tgz | tail -n +3 | xargs -r rm -f; echo "kept $(ls "$DEMO_ARCHIVES" | wc -l) archives"',
});

interface Flow {
  readonly title: string;
  readonly preHooks: HookConfig[];
  readonly backupSource: string;
  readonly postHooks: HookConfig[];
  readonly expected: JobStatus;
}

const flows: Flow[] = [
  {
    title: 'Normal execution (all successful)',
    preHooks: [hooks.databaseDump, hooks.stopServices],
    backupSource: data,
    postHooks: [hooks.restartServices, hooks.healthCheck],
    expected: 'completed',
  },
  {
    title: 'Critical pre-hook failure',
    preHooks: [hooks.failingDump, hooks.stopServices],
    backupSource: data,
    postHooks: [hooks.restartServices, { ...hooks.healthCheck, runOnJobFailure: true }],
    expected: 'failed',
  },
  {
    title: 'Backup task failure',
    preHooks: [hooks.databaseDump, hooks.stopServices],
    backupSource: join(work, 'no-such-directory'),
    postHooks: [{ ...hooks.restartServices, runOnJobFailure: true }, { ...hooks.healthCheck, runOnJobFailure: true }],
    expected: 'failed',
  },
  {
    title: 'Non-critical hook failure',
    preHooks: [hooks.databaseDump, hooks.logRotation],
    backupSource: data,
    postHooks: [hooks.restartServices, hooks.healthCheck],
    expected: 'completed_with_warnings',
  },
];

function show(title: string, result: JobResult): void {
  console.log(`\n━━ ${title} ━━\n`);
  console.log(formatFlow(result));
  for (const task of result.tasks) {
    if (task.output !== '' && task.phase !== 'notification') console.log(`   ${task.name}: ${task.output.split('\n').join(' | ')}`);
  }
  if (result.notification !== null) {
    console.log(`\n   Notification sent:\n   ${result.notification.title}\n   ${result.notification.body.split('\n').join('\n   ')}`);
  }
}

let mismatches = 0;
function expectStatus(title: string, result: JobResult, expected: JobStatus): void {
  if (result.status !== expected) {
    mismatches += 1;
    console.log(`\n!! ${title}: expected ${expected}, got ${result.status}`);
  }
}

try {
  console.log(`jobhooks demo — working in ${work}`);
  for (const flow of flows) {
    const result = await new JobPipeline({
      repository: { id: 123, name: 'MyRepository' },
      env: { DEMO_WORK: work, DEMO_DATA: data, DEMO_ARCHIVES: archives },
      preHooks: flow.preHooks,
      tasks: [backup(flow.backupSource), prune],
      postHooks: flow.postHooks,
      notifiers: [outbox],
      defaults: { timeout: '30s' },
    }).run();
    show(flow.title, result);
    expectStatus(flow.title, result, flow.expected);
  }

  if (hasBorg()) {
    await borgDemo();
  } else {
    console.log('\n(borg is not installed: skipping the borg part. `apt-get install borgbackup` to see it.)');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (mismatches > 0) {
  console.log(`\n${mismatches} flow(s) did not come out as documented.`);
  process.exitCode = 1;
} else {
  console.log('\nEvery flow came out as documented.');
}

function hasBorg(): boolean {
  try {
    execFileSync('borg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function borgDemo(): Promise<void> {
  const repository = join(work, 'borg-repo');
  const passphrase = 'correct horse battery staple';
  const borgEnv = { BORG_BASE_DIR: join(work, 'borg-home') };
  execFileSync('borg', ['init', '--encryption=repokey', repository], {
    env: { ...process.env, ...borgEnv, BORG_PASSPHRASE: passphrase },
    stdio: 'ignore',
  });

  const pipeline = new JobPipeline({
    repository: { id: 1, name: 'borg-repo' },
    env: { DEMO_DATA: data },
    preHooks: [{ ...hooks.databaseDump, critical: true }],
    tasks: [
      borgCreate({ repository, passphrase, env: borgEnv, paths: [data], archive: 'demo-{now:%Y-%m-%dT%H:%M:%S.%f}', compression: 'zstd,3' }),
      borgPrune({ repository, passphrase, env: borgEnv, keep: { last: 3 } }),
    ],
    postHooks: [{ name: 'Remove Dump', command: 'rm -f "$DEMO_DATA/db.sql" && echo "dump removed"', runOnJobFailure: true }],
    notifiers: [outbox],
  });
  let progressEvents = 0;
  pipeline.on('taskProgress', () => (progressEvents += 1));
  const result = await pipeline.run();
  show('A real borg backup (borg create + prune)', result);
  const stats = (result.tasks[1]?.data as BorgCreateData | null)?.archive?.stats;
  if (stats !== undefined) {
    console.log(`\n   Archive stats: ${stats.nfiles} files, ${stats.original_size} bytes original, ${stats.deduplicated_size} bytes deduplicated; ${progressEvents} progress events`);
  }
  console.log(`   The passphrase appears in the result: ${JSON.stringify(result).includes(passphrase) ? 'yes (bug!)' : 'no'}`);
  expectStatus('borg backup', result, 'completed');
}
