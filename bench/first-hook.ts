/**
 * The first hook of a run against a warm one (issue 14.3). Each sample is a fresh `node` process
 * (the benchmark bundles itself so the children run on bare `node`, as the CLI does) that runs
 * HOOKS `true` hooks one after another and times each from `taskStart` to `taskEnd`; against it, the
 * same count of plain `spawn('/bin/bash', ['-c', 'true'])` calls in a fresh process, with stdio
 * ignored and with stdout and stderr on pipes (as a hook's are), which shows what Node's own first
 * spawn costs, and the same with the process idle for 30 ms before each spawn after the first (as a
 * post-hook is after a long backup), which shows what a "warm" spawn costs when it is not the next
 * thing the process does; and the built CLI, with and without its code cache (see measureCli).
 * Reported: the median first hook, the median of the warm hooks (the 3rd onwards) and their ratio,
 * for each. Processes alternate; gates nothing.
 *
 * Run: `npx tsx bench/first-hook.ts [--processes=15] [--hooks=6]`
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './executor-bundle.js';
import { JobPipeline } from '../src/index.js';
import { fixed, medianOf } from './lib.js';

function argument(name: string, fallback: string): string {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

const HOOKS = Number(argument('hooks', '6'));
const PROCESSES = Number(argument('processes', '15'));
const child = argument('child', '');

/** A plain spawn; with `pipes`, its stdout and stderr are pipes drained to the end, as a hook's are. */
function spawnTrue(pipes: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const process = spawn('/bin/bash', ['-c', 'true'], { stdio: pipes ? ['ignore', 'pipe', 'pipe'] : 'ignore' });
    process.stdout?.resume();
    process.stderr?.resume();
    process.on('error', reject);
    process.on(pipes ? 'close' : 'exit', () => resolve());
  });
}

async function measureInChild(kind: string): Promise<number[]> {
  const times: number[] = [];
  if (kind !== 'pipeline') {
    for (let index = 0; index < HOOKS; index += 1) {
      // As a post-hook after a long task: the process idle for a while before the spawn.
      if (kind === 'spawn+pipes, 30 ms apart' && index > 0) await new Promise((resolve) => setTimeout(resolve, 30));
      const started = performance.now();
      await spawnTrue(kind !== 'spawn');
      times.push(performance.now() - started);
    }
    return times;
  }
  const pipeline = new JobPipeline({ preHooks: Array.from({ length: HOOKS }, (_, index) => ({ name: `hook ${index + 1}`, command: 'true' })) });
  const started = new Map<number, number>();
  pipeline.on('taskStart', ({ task }) => started.set(task.index, performance.now()));
  pipeline.on('taskEnd', ({ task }) => times.push(performance.now() - (started.get(task.index) ?? Number.NaN)));
  await pipeline.run();
  return times;
}

/**
 * The built CLI (`npm run build` first), as cron runs it (`run --quiet --no-journal`), timed whole: a
 * job of 0, 1 and HOOKS `true` hooks. The first hook is what the 1-hook job takes over the empty one; a
 * warm hook, what each hook after the first adds. With V8's code cache (made by runs before any is
 * timed) and without it (JOBHOOKS_CODE_CACHE=0).
 */
const cliDir = mkdtempSync(join(tmpdir(), 'jobhooks-first-hook-'));
function cliJob(hooks: number): string {
  const job = join(cliDir, `job-${hooks}.json`);
  writeFileSync(job, JSON.stringify({ preHooks: Array.from({ length: hooks }, (_, index) => ({ name: `hook ${index + 1}`, command: 'true' })) }));
  return job;
}
function timeCli(hooks: number, cache: boolean): number {
  const cli = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url));
  const env = { ...process.env, XDG_CACHE_HOME: join(cliDir, 'cache'), ...(cache ? {} : { JOBHOOKS_CODE_CACHE: '0' }) };
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, 'run', cliJob(hooks), '--no-journal', '--quiet'], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the CLI exited with ${String(result.status)}: ${result.stderr}`);
  return performance.now() - started;
}
/** [first hook, warm hook] of one round, in ms. */
function measureCli(cache: boolean): number[] {
  const empty = timeCli(0, cache);
  const one = timeCli(1, cache);
  const full = timeCli(HOOKS, cache);
  return [one - empty, (full - one) / (HOOKS - 1)];
}

if (child !== '') {
  console.log(JSON.stringify(await measureInChild(child)));
} else {
  const bundle = await bundleForNode(import.meta.url);
  const KINDS = ['spawn', 'spawn+pipes', 'spawn+pipes, 30 ms apart', 'pipeline', 'cli (cache)', 'cli (no cache)'] as const;
  // The cache of the cli runs: made before anything is timed, by a job with hooks (as a user's first
  // run is): a cache made by the empty job would hold none of the code a hook runs.
  timeCli(HOOKS, true);
  measureCli(true);
  const samples = Object.fromEntries(KINDS.map((kind) => [kind, { first: [] as number[], warm: [] as number[] }])) as Record<(typeof KINDS)[number], { first: number[]; warm: number[] }>;
  const loadBefore = loadavg()[0] ?? 0;
  for (let round = 0; round < PROCESSES; round += 1) {
    for (let offset = 0; offset < KINDS.length; offset += 1) {
      const kind = KINDS[(round + offset) % KINDS.length] ?? 'spawn';
      const times = kind.startsWith('cli')
        ? measureCli(kind === 'cli (cache)')
        : (JSON.parse(spawnSync(process.execPath, [bundle, `--child=${kind}`, `--hooks=${HOOKS}`], { encoding: 'utf8' }).stdout) as number[]);
      samples[kind].first.push(times[0] ?? Number.NaN);
      samples[kind].warm.push(kind.startsWith('cli') ? (times[1] ?? Number.NaN) : medianOf(times.slice(2)));
    }
  }
  console.log(`node ${process.version}; ${PROCESSES} processes × ${HOOKS} hooks each; load average ${fixed(loadBefore, 2)} before, ${fixed(loadavg()[0] ?? 0, 2)} after`);
  for (const kind of KINDS) {
    const first = medianOf(samples[kind].first);
    const warm = medianOf(samples[kind].warm);
    console.log(`${kind.padEnd(25)} first ${fixed(first, 2).padStart(7)} ms   warm ${fixed(warm, 2).padStart(7)} ms   first/warm ${fixed(first / warm, 2)}×`);
  }
}
