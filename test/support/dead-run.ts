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
  makeOwnerDead(journal.path);
}

/** The pid of a process that has just exited: no process runs with it now. */
export function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
}

/** Rewrites a run file's owner as a pid that no longer runs, as a killed jobhooks leaves it for recovery. */
export function makeOwnerDead(runFile: string): void {
  const [head, ...rest] = readFileSync(runFile, 'utf8').trimEnd().split('\n');
  writeFileSync(runFile, [JSON.stringify({ ...JSON.parse(head ?? '{}'), pid: deadPid() }), ...rest].join('\n') + '\n');
}
