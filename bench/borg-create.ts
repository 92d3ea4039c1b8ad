/**
 * borg benchmark (issue 5): `borgCreate` run as the main task of a `JobPipeline` against `borg create`
 * spawned directly, on the same 200 MiB of incompressible data, in the same run.
 *
 * Like with like: both sides run `borg create --log-json --progress --json -- REPO::a DATA` against a
 * fresh `borg init --encryption=none` repository with a fresh BORG_BASE_DIR (so no cache or files
 * cache carries over). The direct side only drains borg's pipes; the pipeline side parses every JSON
 * line, emits `taskProgress` events, keeps the output tail and parses the stats. Sides alternate
 * order each round; medians are reported. A third, informational case runs plain `borg create` with
 * none of those flags, to show what `--progress --log-json --json` cost inside borg itself.
 * Prints figures; gates nothing.
 *
 * Run: `npx tsx bench/borg-create.ts [--mib=200] [--rounds=3]`
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { borgCreate } from '../src/borg/index.js';
import { JobPipeline } from '../src/index.js';
import { fixed, medianOf } from './lib.js';

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
}

const MIB = argument('mib', 200);
const ROUNDS = argument('rounds', 3);

/** `mib` MiB of random bytes in 25 MiB files, made once and reused (shared with the borg tests). */
async function dataDir(mib: number): Promise<string> {
  const dir = join(tmpdir(), `jobhooks-borg-data-${mib}MB`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const partial = `${dir}.${process.pid}.partial`;
  await mkdir(partial, { recursive: true });
  for (let index = 0; index * 25 < mib; index += 1) {
    await writeFile(join(partial, `random-${String(index).padStart(2, '0')}.bin`), randomBytes(Math.min(25, mib - index * 25) * 1024 * 1024));
  }
  await writeFile(join(partial, '.complete'), '');
  await rename(partial, dir);
  return dir;
}

interface Sample {
  readonly ms: number;
  /** CPU time of this Node process during the run: what jobhooks itself spends. */
  readonly nodeCpuMs: number;
  readonly progressEvents: number;
}

function run(argv: readonly string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const [file = 'borg', ...args] = argv;
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

async function freshRepository(): Promise<{ dir: string; repository: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'jobhooks-bench-borg-'));
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', BORG_BASE_DIR: join(dir, 'base') };
  const repository = join(dir, 'repo');
  const code = await run(['borg', 'init', '--encryption=none', repository], env);
  if (code !== 0) throw new Error(`borg init exited with ${String(code)}`);
  return { dir, repository, env };
}

async function measure(kind: 'direct' | 'pipeline' | 'plain', data: string): Promise<Sample> {
  const { dir, repository, env } = await freshRepository();
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let progressEvents = 0;
    if (kind === 'pipeline') {
      const pipeline = new JobPipeline({ tasks: [borgCreate({ repository, paths: [data], archive: 'a' })], env, inheritEnv: false });
      pipeline.on('taskProgress', () => {
        progressEvents += 1;
      });
      const result = await pipeline.run();
      if (result.status !== 'completed') throw new Error(`pipeline: ${result.status}: ${String(result.tasks[0]?.error)}`);
    } else {
      const flags = kind === 'direct' ? ['--log-json', '--progress', '--json'] : [];
      const code = await run(['borg', 'create', ...flags, '--', `${repository}::a`, data], env);
      if (code !== 0) throw new Error(`borg create exited with ${String(code)}`);
    }
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { ms, nodeCpuMs: (cpu.user + cpu.system) / 1000, progressEvents };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const data = await dataDir(MIB);
const samples: Record<'direct' | 'pipeline' | 'plain', Sample[]> = { direct: [], pipeline: [], plain: [] };
await measure('direct', data); // warm the page cache and borg's imports; not counted
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? (['direct', 'pipeline', 'plain'] as const) : (['pipeline', 'direct', 'plain'] as const);
  for (const kind of order) samples[kind].push(await measure(kind, data));
}

const minOf = (values: readonly number[]): number => Math.min(...values);
const wall = (kind: keyof typeof samples) => samples[kind].map((sample) => sample.ms);
const cpu = (kind: keyof typeof samples) => samples[kind].map((sample) => sample.nodeCpuMs);
const direct = medianOf(wall('direct'));
const pipeline = medianOf(wall('pipeline'));
const plain = medianOf(wall('plain'));
const overheadCpu = medianOf(cpu('pipeline')) - medianOf(cpu('direct'));
console.log(`borg create, ${MIB} MiB of random data, fresh repository (encryption none) per run, ${ROUNDS} rounds`);
console.log(`  direct spawn (--log-json --progress --json, pipes drained)  median ${fixed(direct, 0)} ms  min ${fixed(minOf(wall('direct')), 0)} ms  node CPU ${fixed(medianOf(cpu('direct')), 0)} ms`);
console.log(
  `  borgCreate in a JobPipeline (same flags, parsed)            median ${fixed(pipeline, 0)} ms  min ${fixed(minOf(wall('pipeline')), 0)} ms  node CPU ${fixed(medianOf(cpu('pipeline')), 0)} ms  progress events ${medianOf(samples.pipeline.map((s) => s.progressEvents))}`,
);
console.log(`  plain borg create (no flags), for reference                median ${fixed(plain, 0)} ms  min ${fixed(minOf(wall('plain')), 0)} ms`);
// Runs next to each other share the machine's load: the ratio within each round is the steadier figure.
const paired = medianOf(samples.pipeline.map((sample, round) => sample.ms / (samples.direct[round]?.ms ?? Number.NaN)));
console.log(
  `  ratio pipeline / direct: median of per-round ratios ${fixed(paired)}x  medians ${fixed(pipeline / direct)}x  minimums ${fixed(minOf(wall('pipeline')) / minOf(wall('direct')))}x  (target <= 1.05x)`,
);
console.log(`  jobhooks' own CPU per run: ${fixed(overheadCpu, 1)} ms more than the bare spawn = ${fixed((overheadCpu / direct) * 100, 2)}% of the direct wall time`);
console.log(`  ratio direct / plain:    ${fixed(direct / plain)}x  (what the flags cost inside borg)`);
console.log(`  samples direct:   ${wall('direct').map((ms) => fixed(ms, 0)).join(', ')} ms`);
console.log(`  samples pipeline: ${wall('pipeline').map((ms) => fixed(ms, 0)).join(', ')} ms`);
console.log(`  samples plain:    ${wall('plain').map((ms) => fixed(ms, 0)).join(', ')} ms`);
