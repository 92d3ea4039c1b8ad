/**
 * Per-hook overhead benchmark (issue 3): 300 sequential `true` hooks.
 *
 * - `spawn`: a loop of plain `child_process.spawn('/bin/bash', ['-c', 'true'])`, each awaited to 'close'
 *   (the baseline);
 * - `executor`: 300 `ShellExecutor.execute` calls (cwd check, group spawn, exit, group sweep, drain);
 * - `pipeline`: one `JobPipeline` with 300 pre-hooks `true` (engine, env building, events, executor).
 * The three alternate within each round so machine load hits them alike; the figure is the median
 * round, as a ratio to `spawn` from the same round. Prints figures, gates nothing.
 *
 * Run: `npx tsx bench/executor-overhead.ts [--hooks=300] [--rounds=7]`
 */
import { spawn } from 'node:child_process';
import { ShellExecutor } from '../src/executor/shell-executor.js';
import { JobPipeline } from '../src/index.js';
import { medianOf } from './lib.js';

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
}

const HOOKS = argument('hooks', 300);
const ROUNDS = argument('rounds', 7);
// What a plain spawn passes by default, and what a pipeline's hooks inherit: this process's whole
// environment. (A 3-variable environment here once made the baseline look faster than any real hook:
// the kernel and bash pay per variable, and a hook needs its environment.)
const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));

async function plainSpawn(): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < HOOKS; index += 1) {
    const child = spawn('/bin/bash', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.resume();
    child.stderr.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`spawn: exit ${code}`);
  }
  return performance.now() - started;
}

async function executor(): Promise<number> {
  const shell = new ShellExecutor();
  const started = performance.now();
  for (let index = 0; index < HOOKS; index += 1) {
    const result = await shell.execute({
      command: 'true',
      shell: '/bin/bash',
      cwd: process.cwd(),
      env,
      timeoutMs: 300_000,
      killGraceMs: 10_000,
      maxOutputBytes: 65_536,
      onOutput: () => {},
      taskName: `hook ${index}`,
      taskIndex: index,
      jobId: 'bench',
    });
    if (result.exitCode !== 0) throw new Error(`executor: ${JSON.stringify(result)}`);
  }
  return performance.now() - started;
}

async function pipeline(): Promise<number> {
  const job = new JobPipeline({ preHooks: Array.from({ length: HOOKS }, (_, index) => ({ name: `hook ${index}`, command: 'true' })) });
  const started = performance.now();
  const result = await job.run();
  const elapsed = performance.now() - started;
  if (result.status !== 'completed') throw new Error(`pipeline: ${result.status}`);
  return elapsed;
}

const cases = { spawn: plainSpawn, executor, pipeline } as const;
const times: Record<keyof typeof cases, number[]> = { spawn: [], executor: [], pipeline: [] };
const ratios: Record<'executor' | 'pipeline', number[]> = { executor: [], pipeline: [] };

// One warm-up round (JIT, page cache), not counted.
for (const run of Object.values(cases)) await run();
for (let round = 0; round < ROUNDS; round += 1) {
  const order = (Object.keys(cases) as (keyof typeof cases)[]).sort(() => (round % 2 === 0 ? 1 : -1));
  const roundTimes: Partial<Record<keyof typeof cases, number>> = {};
  for (const name of order) roundTimes[name] = await cases[name]();
  for (const name of Object.keys(cases) as (keyof typeof cases)[]) times[name].push(roundTimes[name] ?? Number.NaN);
  ratios.executor.push((roundTimes.executor ?? Number.NaN) / (roundTimes.spawn ?? Number.NaN));
  ratios.pipeline.push((roundTimes.pipeline ?? Number.NaN) / (roundTimes.spawn ?? Number.NaN));
}

console.log(`executor overhead benchmark: ${HOOKS} sequential \`true\` hooks, ${ROUNDS} rounds, node ${process.version}, ${process.platform}`);
for (const name of Object.keys(cases) as (keyof typeof cases)[]) {
  const ms = medianOf(times[name]);
  const ratio = name === 'spawn' ? 1 : medianOf(ratios[name]);
  console.log(`  ${name.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1000) / HOOKS).toFixed(0).padStart(6)} µs/hook  ${ratio.toFixed(3)}× spawn (median of per-round ratios)`);
}
