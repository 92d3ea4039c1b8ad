/**
 * The engine's own cost per task: 10,000 hook tasks through JobPipeline with the FakeExecutor (no
 * process is spawned), against one real `bash -c true` spawn measured in the same run.
 * Target: engine overhead per task under 2 % of a spawn, and no more than wave 1's engine (issue 14.6).
 *
 * It measures the built library (`dist/`, as users run it; `npm run build` first), each sample in a
 * fresh process. `--lib=a/dist,b/dist` measures several builds in the same rounds, interleaved, so
 * one change's cost is a ratio against the build before it, on the same machine in the same minutes
 * (docs/performance.md#engine-overhead-benchengine-overheadts).
 *
 * Run: `npx tsx bench/engine-overhead.ts [--rounds=5] [--lib=PATH,…]`
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtLibraries, fixed, median, medianOf, samplePerBuild, spawnTrue } from './lib.js';

const TASKS = 10_000;
const HOOKS_PER_JOB = 100;

const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

/** In a child: µs per task of the build in `lib`, best of three passes after two to warm up. */
async function measure(lib: string): Promise<number> {
  const { JobPipeline } = (await import(pathToFileURL(resolve(lib, 'index.js')).href)) as typeof import('../src/index.js');
  const { FakeExecutor } = (await import(pathToFileURL(resolve(lib, 'testing.js')).href)) as typeof import('../src/testing.js');
  const executor = new FakeExecutor({}, { output: ['one line of output'] });
  const preHooks = Array.from({ length: HOOKS_PER_JOB / 2 }, (_, i) => ({ name: `pre ${i}`, command: 'true' }));
  const postHooks = Array.from({ length: HOOKS_PER_JOB / 2 }, (_, i) => ({ name: `post ${i}`, command: 'true' }));
  const pass = async (): Promise<number> => {
    const start = performance.now();
    for (let job = 0; job < TASKS / HOOKS_PER_JOB; job += 1) {
      const result = await new JobPipeline({ preHooks, postHooks, executor }).run();
      if (result.status !== 'completed') throw new Error(`unexpected status ${result.status}`);
    }
    return ((performance.now() - start) / TASKS) * 1000;
  };
  await pass();
  await pass();
  return Math.min(await pass(), await pass(), await pass());
}

const child = option('child');
if (child !== undefined) {
  console.log(String(await measure(child)));
} else {
  const libs = builtLibraries(option('lib'));
  const rounds = Number(option('rounds') ?? 5);
  const load = loadavg()[0] ?? 0;
  await median(10, spawnTrue);
  const samples = new Map([...samplePerBuild(fileURLToPath(import.meta.url), libs, rounds)].map(([lib, printed]) => [lib, printed.map(Number)]));
  const spawnMs = await median(200, spawnTrue);
  const first = medianOf(samples.get(libs[0] ?? '') ?? []);

  console.log(`engine overhead (10,000 hook tasks via FakeExecutor; median of ${rounds} processes; load ${fixed(load, 1)} → ${fixed(loadavg()[0] ?? 0, 1)})`);
  console.log(`  bash -c true spawn:  ${fixed(spawnMs, 3)} ms (median of 200)`);
  for (const lib of libs) {
    const perTask = medianOf(samples.get(lib) ?? []);
    const against = libs.length > 1 ? `  ${fixed(perTask / first, 2)}× the first build` : '';
    console.log(`  ${libs.length > 1 ? `${lib}: ` : ''}per task ${fixed(perTask, 1)} µs = ${fixed((perTask / 1000 / spawnMs) * 100, 2)} % of a spawn (target < 2 %)${against}`);
  }
}
