// Cancel a running job (Ctrl-C, a deadline, a stop button) and still clean up: the running hook's
// whole process tree is killed, later tasks are skipped, and runOnJobFailure post-hooks and the
// notification still run. Run: `npx tsx examples/cancel-with-cleanup.ts`. Works in a temp directory.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, formatFlow, JobPipeline } from 'jobhooks';
import { RecordingNotifier } from 'jobhooks/testing';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));
const pids = join(work, 'pids');

/** Whether a process is still running; a zombie (dead, waiting to be reaped) does not count. */
function running(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

try {
  const notifier = new RecordingNotifier({ name: 'log' });
  const pipeline = new JobPipeline({
    env: { WORK: work },
    repository: { name: 'MyRepository' },
    preHooks: [
      // A slow hook that starts children of its own: a cancel must kill all of them.
      { name: 'Slow Dump', command: 'sleep 30 & echo $! > "$WORK/pids"; sleep 30 & echo $! >> "$WORK/pids"; touch "$WORK/dumping"; echo "dump started"; wait' },
    ],
    tasks: [commandTask({ type: 'backup', name: 'Archive', command: 'echo never runs' })],
    postHooks: [
      { name: 'Remove Partial Dump', command: 'rm -f "$WORK/dumping" && echo "removed (job so far: $JOBHOOKS_JOB_STATUS, failed task: $JOBHOOKS_FAILED_TASK)"', runOnJobFailure: true },
      { name: 'Report Success', command: 'echo never runs either' },
    ],
    notifiers: [notifier],
    defaults: { killGrace: '2s' },
  });

  // In a CLI this would be: process.once('SIGINT', () => controller.abort()).
  const controller = new AbortController();
  // Here: cancel as soon as the dump has started.
  pipeline.on('taskOutput', ({ line }) => {
    if (line === 'dump started') controller.abort();
  });

  const result = await pipeline.run({ signal: controller.signal });
  console.log(formatFlow(result));
  console.log(`Slow Dump: error=${result.tasks[0]?.error} cancelled=${String(result.tasks[0]?.cancelled)} signal=${result.tasks[0]?.signal}`);
  console.log(`skip reason: ${result.tasks[1]?.skipReason}`);
  console.log(`cleanup said: ${result.tasks[2]?.output}`);
  console.log(`partial dump left behind: ${existsSync(join(work, 'dumping')) ? 'yes' : 'no'}`);
  const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  console.log(`children of the hook still running: ${children.filter(running).length} of ${children.length}`);
  console.log(`notification: ${notifier.messages[0]?.title}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
