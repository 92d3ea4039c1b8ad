// Stop a service around a backup, and restart it even when the backup fails.
// Run: `npx tsx examples/stop-service-around-backup.ts`. Everything happens in a temp directory;
// "the service" is a marker file, and `systemctl` is only echoed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, formatFlow, JobPipeline, type HookConfig, type JobResult } from 'jobhooks';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));
const data = join(work, 'data');
mkdirSync(data);
writeFileSync(join(data, 'site.conf'), 'server_name example.org;\n');
const stopped = join(work, 'nginx.stopped');

// A critical pre-hook: if the service cannot be stopped, files may be inconsistent, so do not back up.
const stopWebService: HookConfig = {
  name: 'Stop Web Service',
  command: `echo "pretend: systemctl stop nginx"
touch "$WORK/nginx.stopped"`,
  critical: true,
  timeout: '30s',
};

// runOnJobFailure: the service comes back even after a failed backup, a timeout or a Ctrl-C.
const restartWebService: HookConfig = {
  name: 'Restart Web Service',
  command: `echo "pretend: systemctl start nginx (job so far: $JOBHOOKS_JOB_STATUS)"
rm -f "$WORK/nginx.stopped"`,
  runOnJobFailure: true,
};

async function backup(source: string): Promise<JobResult> {
  return new JobPipeline({
    repository: { id: 1, name: 'web' },
    env: { WORK: work },
    preHooks: [stopWebService],
    tasks: [commandTask({ type: 'backup', name: 'Archive', command: ['tar', '-czf', join(work, 'web.tgz'), '-C', source, '.'] })],
    postHooks: [restartWebService],
  }).run();
}

try {
  const ok = await backup(data);
  console.log(formatFlow(ok));
  console.log(`service running again: ${existsSync(stopped) ? 'no' : 'yes'}\n`);

  // The same job with a source that does not exist: tar fails, the backup is a critical failure,
  // and the restart hook still runs.
  const failed = await backup(join(work, 'no-such-directory'));
  console.log(formatFlow(failed));
  console.log(`backup error: ${failed.tasks[1]?.error ?? ''}`);
  console.log(`service running again: ${existsSync(stopped) ? 'no' : 'yes'}`);
  console.log(`restart hook said: ${failed.tasks[2]?.output ?? ''}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
