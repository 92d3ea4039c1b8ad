import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { openJournal, prepareKeyDirectory, type JournalTask } from '../../src/journal/index.js';

/**
 * Leaves in `dir` the journal of a run of `key` whose jobhooks was killed while `tasks[dyingIndex]`
 * ran: its owner rewritten as a pid that no longer runs, so the next `recover()` takes it over.
 */
export async function leaveDeadRun(dir: string, key: string, jobId: string, tasks: readonly JournalTask[], dyingIndex: number): Promise<void> {
  const keyDir = await prepareKeyDirectory({ dir, key });
  const journal = await openJournal(keyDir, { jobId, key, startedAt: new Date().toISOString(), tasks: [...tasks] });
  await journal.taskStart(dyingIndex);
  await journal.close();
  const [head, ...rest] = readFileSync(journal.path, 'utf8').trimEnd().split('\n');
  const deadPid = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
  writeFileSync(journal.path, [JSON.stringify({ ...JSON.parse(head ?? '{}'), pid: deadPid }), ...rest].join('\n') + '\n');
}
