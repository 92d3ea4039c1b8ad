/**
 * Scale (issue 14.5): the engine's time per task must not grow with the number of tasks in a job,
 * nor with the number of jobs running at once in one process, and a finished job must leave nothing
 * behind. An executor that spawns nothing (it answers each command with one line of output and exit
 * 0, on the next tick) isolates the engine; every figure is the best of 3 batches of about 10,000
 * tasks.
 * - per task in one job of 10, 100 and 1,000 hooks (the limit per phase);
 * - per task with 1, 20, 200, 1,000 and 2,000 jobs of 10 hooks running at once in one process, and
 *   the heap each job in flight holds (its first hook waiting on a command that has not ended);
 * - heap after a full collection once 0, 1,000 and 5,000 jobs have finished (each pipeline and
 *   result dropped), and while 2,000 finished results are kept: bytes per finished job.
 * Gates nothing.
 *
 * Run: `node --expose-gc --import tsx bench/scale.ts` (without `--expose-gc` it turns the flag on itself)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { JobPipeline, type ExecRequest, type ExecResult, type Executor, type JobResult } from '../src/index.js';
import { fixed } from './lib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Runs nothing: one line of output and exit 0, on the next tick. */
class NullExecutor implements Executor {
  async execute(request: ExecRequest): Promise<ExecResult> {
    await Promise.resolve();
    request.onOutput?.('one line of output', 'stdout');
    return { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 0 };
  }
}

const executor = new NullExecutor();
const hooks = (count: number): { name: string; command: string }[] => Array.from({ length: count }, (_, index) => ({ name: `hook ${index + 1}`, command: 'true' }));

async function runJob(hookCount: number): Promise<JobResult> {
  const result = await new JobPipeline({ preHooks: hooks(hookCount), executor }).run();
  if (result.status !== 'completed') throw new Error(`unexpected status ${result.status}`);
  return result;
}

/** µs per task: `jobs` jobs of `hookCount` hooks at once, repeated to about 10,000 tasks; best of 3. */
async function perTaskUs(hookCount: number, jobs: number): Promise<number> {
  const batches = Math.max(1, Math.round(10_000 / (hookCount * jobs)));
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const started = performance.now();
    for (let batch = 0; batch < batches; batch += 1) await Promise.all(Array.from({ length: jobs }, () => runJob(hookCount)));
    best = Math.min(best, ((performance.now() - started) * 1000) / (batches * jobs * hookCount));
  }
  return best;
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

// Warm-up: the JIT, not the engine, would otherwise dominate the first figure.
await perTaskUs(100, 1);

console.log(`node ${process.version}; executor that spawns nothing (engine only)`);
console.log('one job of N hooks:');
for (const count of [10, 100, 1000]) console.log(`  ${String(count).padStart(5)} hooks   ${fixed(await perTaskUs(count, 1), 1).padStart(6)} µs per task`);
console.log('jobs of 10 hooks at once in one process:');
for (const jobs of [1, 20, 200, 1000, 2000]) console.log(`  ${String(jobs).padStart(5)} jobs    ${fixed(await perTaskUs(10, jobs), 1).padStart(6)} µs per task`);

/** Heap per job in flight: `jobs` jobs started, each waiting on its first command. */
async function heapPerJobInFlight(jobs: number): Promise<number> {
  const waiting: (() => void)[] = [];
  const held: Executor = {
    execute: () =>
      new Promise<ExecResult>((resolve) => {
        waiting.push(() => resolve({ exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 0 }));
      }),
  };
  const before = heapAfterGc();
  const runs = Array.from({ length: jobs }, () => new JobPipeline({ preHooks: hooks(10), executor: held }).run());
  while (waiting.length < jobs) await new Promise((resolve) => setTimeout(resolve, 1));
  const during = heapAfterGc();
  // Each job's ten hooks, answered one at a time as they come, so that every run ends.
  while (waiting.length > 0) {
    for (const answer of waiting.splice(0)) answer();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await Promise.all(runs);
  return (during - before) / jobs;
}
console.log(`  heap per job in flight (2,000 at once): ${fixed((await heapPerJobInFlight(2000)) / 1024, 1)} KiB`);

const base = heapAfterGc();
const heapAt: [number, number][] = [[0, base]];
let finished = 0;
for (const target of [1000, 5000]) {
  while (finished < target) {
    await Promise.all(Array.from({ length: 200 }, () => runJob(10)));
    finished += 200;
  }
  heapAt.push([finished, heapAfterGc()]);
}
console.log('heap after a full collection, every pipeline and result dropped:');
for (const [count, heap] of heapAt) console.log(`  after ${String(count).padStart(5)} finished jobs: ${fixed(heap / 1024 / 1024, 2)} MiB`);
// From 1,000 on: the first jobs also leave the JIT's code and the engine's lazily made state.
const [from = 0, heapFrom = base] = heapAt[1] ?? [];
const [to = 0, heapTo = base] = heapAt[heapAt.length - 1] ?? [];
console.log(`  growth per finished job from ${from} to ${to}: ${fixed((heapTo - heapFrom) / (to - from), 1)} bytes`);
const beforeKept = heapAfterGc();
const kept: JobResult[] = [];
for (let batch = 0; batch < 10; batch += 1) kept.push(...(await Promise.all(Array.from({ length: 200 }, () => runJob(10)))));
const withKept = heapAfterGc();
console.log(`${kept.length} finished results of 10 hooks kept: ${fixed((withKept - beforeKept) / kept.length / 1024, 2)} KiB per result`);
