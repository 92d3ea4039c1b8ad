/**
 * What the journal costs (issue 12), measured through the engine: jobs of `bash -c true` hooks run by
 * `JobPipeline` with the real ShellExecutor, with and without `journal: { dir, key }`, alternating so that
 * machine load hits both alike. Each round runs a job of 0 hooks and one of HOOKS hooks both ways, so the
 * journal's cost splits into:
 * - per hook: (with − without) of the HOOKS-hook job minus that of the empty job, over HOOKS, as a ratio
 *   to a hook without the journal. Target: ≤ 5 %.
 * - per run: the empty job's (with − without): the run lock, the run record's fsync, the look for dead
 *   runs, the run's end and the pruning.
 * For comparison it also prints what one append + awaited fdatasync costs, as a ratio to a hook: the
 * price of flushing every record before going on, which the journal pays only for the records a
 * recovery acts on (docs/journal.md, "What survives what"). Prints the file system the journal was on
 * (`df -T`). Gates nothing.
 *
 * Run: `npx tsx bench/journal-overhead.ts [--hooks=200] [--rounds=11] [--dir=DIR]`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { JobPipeline } from '../src/index.js';
import { fixed, medianOf } from './lib.js';

function argument(name: string, fallback: string): string {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

const HOOKS = Number(argument('hooks', '200'));
const ROUNDS = Number(argument('rounds', '11'));
// /var/tmp, not /tmp: on many machines /tmp is a tmpfs, where an fdatasync costs nothing.
const dir = argument('dir', mkdtempSync('/var/tmp/jobhooks-bench-journal-'));
const hooks = (count: number): { name: string; command: string }[] => Array.from({ length: count }, (_, index) => ({ name: `hook ${index + 1}`, command: 'true' }));

/** Wall-clock ms of one job of `count` hooks, with or without the journal. */
async function job(count: number, journal: boolean): Promise<number> {
  const started = performance.now();
  const result = await new JobPipeline({ preHooks: hooks(count), ...(journal ? { journal: { dir, key: 'bench', keep: 3 } } : {}) }).run();
  if (result.status !== 'completed') throw new Error(`unexpected status ${result.status}`);
  return performance.now() - started;
}

/** An append and an awaited fdatasync per record: what flushing every record before going on would cost. */
async function awaitedSyncPerRecord(records: number): Promise<number> {
  const handle = await open(join(dir, 'awaited-sync-probe'), 'w', 0o600);
  const started = performance.now();
  for (let index = 0; index < records; index += 1) {
    await handle.write(`{"type":"taskEnd","index":${index}}\n`);
    await handle.datasync();
  }
  const perRecord = (performance.now() - started) / records;
  await handle.close();
  return perRecord;
}

// Warm-up: the JIT and the key directory.
await job(10, true);
await job(10, false);
const samples = { emptyWith: [] as number[], emptyWithout: [] as number[], fullWith: [] as number[], fullWithout: [] as number[] };
for (let round = 0; round < ROUNDS; round += 1) {
  samples.emptyWith.push(await job(0, true));
  samples.emptyWithout.push(await job(0, false));
  samples.fullWith.push(await job(HOOKS, true));
  samples.fullWithout.push(await job(HOOKS, false));
}
const perRun = medianOf(samples.emptyWith) - medianOf(samples.emptyWithout);
const hook = (medianOf(samples.fullWithout) - medianOf(samples.emptyWithout)) / HOOKS;
const perHook = (medianOf(samples.fullWith) - medianOf(samples.emptyWith)) / HOOKS - hook;
const awaited = await awaitedSyncPerRecord(HOOKS);
const df = spawnSync('df', ['-T', dir], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '?';
console.log(`journal dir: ${dir}`);
console.log(`file system (df -T): ${df}`);
console.log(`jobs of ${HOOKS} \`bash -c true\` hooks and of none, with and without the journal, × ${ROUNDS} rounds, medians:`);
console.log(`  a hook without the journal:                         ${fixed(hook)} ms`);
console.log(`  the journal, per hook:                              ${fixed(perHook)} ms = ${fixed((perHook / hook) * 100, 1)} % per hook (target ≤ 5 %)`);
console.log(`  the journal, per run (lock, run record, recovery look, end): ${fixed(perRun)} ms`);
console.log(`  for comparison, append + awaited fdatasync per record: ${fixed(awaited)} ms = ${fixed((awaited / hook) * 100, 1)} % of a hook`);
