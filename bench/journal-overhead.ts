/**
 * Journal cost per task (issue 12): the two fsync'ed appends a task costs (`taskStart`, `taskEnd`), as a
 * ratio to one `/bin/bash -c true` spawn measured in the same run, alternating round by round so machine
 * load hits both alike. Target: ≤ 5 % per hook. Prints the file system the journal was on (`df -T`).
 * Prints figures, gates nothing.
 *
 * Run: `npx tsx bench/journal-overhead.ts [--tasks=200] [--rounds=7] [--dir=DIR]`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

async function journalRound(round: number): Promise<number> {
  const journal = await openJournal(keyDir, { jobId: `bench-${round}`, key: 'bench', startedAt: new Date().toISOString(), tasks }, { keep: 3 });
  const started = performance.now();
  for (let index = 0; index < TASKS; index += 1) {
    await journal.taskStart(index, { pgid: process.pid });
    await journal.taskEnd(index, 'completed');
  }
  const elapsed = performance.now() - started;
  await journal.runEnd('completed');
  if (journal.incomplete) throw new Error('journal incomplete');
  return elapsed / TASKS;
}

async function spawnRound(): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < TASKS; index += 1) await spawnTrue();
  return (performance.now() - started) / TASKS;
}

const rows: { journal: number; spawn: number; ratio: number }[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const journal = await journalRound(round);
  const spawn = await spawnRound();
  rows.push({ journal, spawn, ratio: journal / spawn });
}
rows.sort((a, b) => a.ratio - b.ratio);
const median = rows[Math.floor(rows.length / 2)];
const df = spawnSync('df', ['-T', dir], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '?';
console.log(`journal dir: ${dir}`);
console.log(`file system (df -T): ${df}`);
console.log(`${TASKS} tasks × ${ROUNDS} rounds; median round:`);
console.log(`  journal per task (taskStart + taskEnd, 2 fdatasync'ed appends): ${fixed(median?.journal ?? Number.NaN)} ms`);
console.log(`  bash -c true spawn:                                         ${fixed(median?.spawn ?? Number.NaN)} ms`);
console.log(`  ratio: ${fixed((median?.ratio ?? Number.NaN) * 100, 1)} % per hook (target ≤ 5 %); range over rounds ${fixed((rows[0]?.ratio ?? 0) * 100, 1)}–${fixed((rows.at(-1)?.ratio ?? 0) * 100, 1)} %`);
