/**
 * Journal cost per task on the task's critical path (issue 12): per task the engine writes `taskStart`
 * before the command, `taskStart` with the process group right after the spawn, and `taskEnd` after it —
 * each one write(2) before the call returns, with the fdatasync running behind it (docs/journal.md,
 * "What survives what"). Each round runs TASKS `/bin/bash -c true` spawns twice, with and without the
 * journal, alternating so machine load hits both alike, and reports:
 * - the time spent inside the journal calls (what delays the tasks), per task, as a ratio to a spawn;
 * - the wall-clock difference of the two loops per task (includes syncs competing for the disk);
 * - for comparison, an awaited fdatasync per record (the cost the overlap removes).
 * Target: ≤ 5 % per hook. Prints the file system the journal was on (`df -T`). Gates nothing.
 *
 * Run: `npx tsx bench/journal-overhead.ts [--tasks=200] [--rounds=7] [--dir=DIR]`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, prepareKeyDirectory } from '../src/journal/index.js';
import { fixed, spawnTrue } from './lib.js';

function argument(name: string, fallback: string): string {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

const TASKS = Number(argument('tasks', '200'));
const ROUNDS = Number(argument('rounds', '7'));
const dir = argument('dir', mkdtempSync(join(tmpdir(), 'jobhooks-bench-journal-')));

const keyDir = await prepareKeyDirectory({ dir, key: 'bench' });
const tasks = Array.from({ length: TASKS }, (_, index) => ({ index, name: `hook ${index}`, phase: 'pre' as const, type: 'hook', runOnJobFailure: false }));

interface Round {
  readonly inJournal: number;
  readonly withJournal: number;
  readonly without: number;
}

async function journalRound(round: number): Promise<Round> {
  const journal = await openJournal(keyDir, { jobId: `bench-${round}`, key: 'bench', startedAt: new Date().toISOString(), tasks }, { keep: 3 });
  let inJournal = 0;
  const timed = (call: () => Promise<void>): Promise<void> => {
    const started = performance.now();
    const written = call();
    inJournal += performance.now() - started;
    return written;
  };
  const started = performance.now();
  for (let index = 0; index < TASKS; index += 1) {
    await timed(() => journal.taskStart(index));
    await timed(() => journal.taskStart(index, { pgid: process.pid }));
    await spawnTrue();
    await timed(() => journal.taskEnd(index, 'completed'));
  }
  await journal.runEnd('completed');
  const withJournal = (performance.now() - started) / TASKS;
  if (journal.incomplete) throw new Error('journal incomplete');
  const bare = performance.now();
  for (let index = 0; index < TASKS; index += 1) await spawnTrue();
  return { inJournal: inJournal / TASKS, withJournal, without: (performance.now() - bare) / TASKS };
}

/** An append and an awaited fdatasync per record: what the overlap keeps off the critical path. */
async function awaitedSyncPerRecord(): Promise<number> {
  const handle = await open(join(keyDir, 'awaited-sync-probe'), 'w', 0o600);
  const started = performance.now();
  for (let index = 0; index < TASKS; index += 1) {
    await handle.write(`{"type":"taskEnd","index":${index}}\n`);
    await handle.datasync();
  }
  const perRecord = (performance.now() - started) / TASKS;
  await handle.close();
  return perRecord;
}

const rows: Round[] = [];
for (let round = 0; round < ROUNDS; round += 1) rows.push(await journalRound(round));
const med = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const inJournal = med(rows.map((row) => row.inJournal));
const spawn = med(rows.map((row) => row.without));
const wallDelta = med(rows.map((row) => row.withJournal - row.without));
const awaited = await awaitedSyncPerRecord();
const df = spawnSync('df', ['-T', dir], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '?';
console.log(`journal dir: ${dir}`);
console.log(`file system (df -T): ${df}`);
console.log(`${TASKS} tasks × ${ROUNDS} rounds, medians:`);
console.log(`  bash -c true spawn:                                   ${fixed(spawn)} ms`);
console.log(`  journal calls on the critical path (3 records/task):  ${fixed(inJournal)} ms = ${fixed((inJournal / spawn) * 100, 1)} % per hook (target ≤ 5 %)`);
console.log(`  wall-clock with journal − without, per task:          ${fixed(wallDelta)} ms = ${fixed((wallDelta / spawn) * 100, 1)} %`);
console.log(`  for comparison, append + awaited fdatasync per record: ${fixed(awaited)} ms = ${fixed((awaited / spawn) * 100, 1)} % per record`);
