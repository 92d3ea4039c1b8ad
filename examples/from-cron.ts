// Replace a cron line `pre-backup.sh && backup.sh && post-backup.sh` with a job: the same three
// scripts, but the post script runs even when the backup fails, and each step is reported.
// Run: `npx tsx examples/from-cron.ts`. The scripts live in a temp directory it removes.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, formatFlow, JobPipeline } from 'jobhooks';

const bin = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));
const script = (name: string, body: string): string => {
  const path = join(bin, name);
  writeFileSync(path, `#!/bin/bash\nset -e\n${body}\n`);
  chmodSync(path, 0o700); // executable by its owner only
  return path;
};
const pre = script('pre-backup.sh', 'echo "dumping database"; touch "$STAGING/dump.sql"');
const backup = script('backup.sh', 'echo "archiving"; test "$BACKUP_SHOULD_FAIL" != yes || { echo "disk full" >&2; exit 2; }');
const post = script('post-backup.sh', 'rm -f "$STAGING/dump.sql"; echo "staging cleaned"');
const env = { STAGING: bin, BACKUP_SHOULD_FAIL: 'yes' };

try {
  // Before: 0 2 * * * pre-backup.sh && backup.sh && post-backup.sh
  const cron = spawnSync('/bin/bash', ['-c', `${pre} && ${backup} && ${post}`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  console.log(`cron line exit code ${cron.status}; dump left behind: ${existsSync(join(bin, 'dump.sql')) ? 'yes' : 'no'}`);

  // After: the same scripts as a job (in a file run by `jobhooks run`, or from code as here).
  const result = await new JobPipeline({
    env,
    preHooks: [{ name: 'Pre-backup', command: pre, critical: true }],
    tasks: [commandTask({ type: 'backup', name: 'Backup', command: [backup] })],
    postHooks: [{ name: 'Post-backup', command: post, runOnJobFailure: true }],
  }).run();
  console.log(formatFlow(result));
  console.log(`backup error: ${result.tasks[1]?.error}; its output: ${JSON.stringify(result.tasks[1]?.output)}`);
  console.log(`dump left behind: ${existsSync(join(bin, 'dump.sql')) ? 'yes' : 'no'}`);
  // What a cron wrapper would exit with (the jobhooks CLI's codes: 0 completed, 1 warnings, 2 failed).
  const exitCode = result.status === 'completed' ? 0 : result.status === 'completed_with_warnings' ? 1 : 2;
  console.log(`exit code for cron: ${exitCode}`);
} finally {
  rmSync(bin, { recursive: true, force: true });
}
