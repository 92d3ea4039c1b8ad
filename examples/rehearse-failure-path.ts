// Rehearse your failure path: run the real job once with the backup failing on purpose, and watch the
// real cleanup happen. Run: `npx tsx examples/rehearse-failure-path.ts`. Everything happens in a temp
// directory; "the service" is a marker file, and `systemctl` is only echoed.
// From the command line the same is `jobhooks rehearse job.yaml --fail "Create archive"`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, formatFlow, JobPipeline, type HookConfig } from 'jobhooks';
import { RecordingNotifier } from 'jobhooks/testing';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-rehearsal-'));
const stopped = join(work, 'app.stopped');
const archived = join(work, 'archive.done');

const stopService: HookConfig = {
  name: 'Stop Service',
  command: `echo "pretend: systemctl stop app"
touch "$WORK/app.stopped"`,
};

// cleanupFor: runs if and only if "Stop Service" started, whatever happens after it. A rehearsal
// sets JOBHOOKS_REHEARSAL=1, so a hook can leave out what it must not do during one.
const startService: HookConfig = {
  name: 'Start Service',
  command: `echo "pretend: systemctl start app (job so far: $JOBHOOKS_JOB_STATUS, rehearsal: \${JOBHOOKS_REHEARSAL:-no})"
rm -f "$WORK/app.stopped"`,
  cleanupFor: 'Stop Service',
};

const notifier = new RecordingNotifier();
const pipeline = new JobPipeline({
  repository: { name: 'app' },
  env: { WORK: work },
  preHooks: [stopService],
  tasks: [commandTask({ type: 'backup', name: 'Create archive', command: `touch "${archived}"` })],
  postHooks: [startService],
  notifiers: [notifier],
});

try {
  // The backup does not run: it is recorded failed. Everything else runs for real.
  const result = await pipeline.run({ rehearse: { task: 'Create archive', outcome: 'fail' } });
  console.log(formatFlow(result));
  console.log(`rehearsal: ${JSON.stringify(result.rehearsal)}`);
  console.log(`backup error: ${result.tasks[1]?.error ?? ''}`);
  console.log(`backup command ran: ${existsSync(archived) ? 'yes' : 'no'}`);
  console.log(`cleanup said: ${result.tasks[2]?.output ?? ''}`);
  console.log(`service running again: ${existsSync(stopped) ? 'no' : 'yes'}`);
  console.log(`notification: ${notifier.messages[0]?.title ?? 'none'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
