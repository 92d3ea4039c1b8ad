/**
 * What validating a job's options costs: the first `new JobPipeline(options)` of a fresh process (every
 * schema parsed for the first time) and each later one, for a job of 2 pre-hooks, a `borgCreate` task
 * and 2 post-hooks. It measures the built library (`dist/`, `npm run build` first), each sample a fresh
 * process; `--lib=a/dist,b/dist` puts several builds in the same rounds, interleaved, so a change is a
 * ratio against the build before it (docs/performance.md, "Validation without zod's compiled parsers").
 * Gates nothing.
 *
 * Run: `npx tsx bench/validation.ts [--rounds=15] [--lib=PATH,…]`
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtLibraries, fixed, medianOf, samplePerBuild } from './lib.js';

const LATER = 2_000;

const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

/** In a child: [ms for the first pipeline, µs for each of the LATER ones after it]. */
async function measure(lib: string): Promise<[number, number]> {
  const { JobPipeline } = (await import(pathToFileURL(resolve(lib, 'index.js')).href)) as typeof import('../src/index.js');
  const { borgCreate } = (await import(pathToFileURL(resolve(lib, 'borg.js')).href)) as typeof import('../src/borg/index.js');
  const options = (): ConstructorParameters<typeof JobPipeline>[0] => ({
    preHooks: [
      { name: 'stop db', command: 'systemctl stop postgresql', timeout: '5m' },
      { name: 'snapshot', command: 'lvcreate --snapshot vg/data', env: { SNAP: 'nightly' } },
    ],
    tasks: [borgCreate({ repository: '/srv/borg', paths: ['/srv/data'], compression: 'zstd,3', exclude: ['*.tmp'] })],
    postHooks: [
      { name: 'start db', command: 'systemctl start postgresql', runOnJobFailure: true, cleanupFor: 'stop db' },
      { name: 'drop snapshot', command: 'lvremove -y vg/data-snap', runOnJobFailure: true, retries: 2 },
    ],
  });
  let started = performance.now();
  new JobPipeline(options());
  const first = performance.now() - started;
  started = performance.now();
  for (let index = 0; index < LATER; index += 1) new JobPipeline(options());
  return [first, ((performance.now() - started) / LATER) * 1000];
}

const child = option('child');
if (child !== undefined) {
  console.log(JSON.stringify(await measure(child)));
} else {
  const libs = builtLibraries(option('lib'));
  const rounds = Number(option('rounds') ?? 15);
  const load = loadavg()[0] ?? 0;
  const samples = new Map(
    [...samplePerBuild(fileURLToPath(import.meta.url), libs, rounds)].map(([lib, printed]) => {
      const pairs = printed.map((line) => JSON.parse(line) as [number, number]);
      return [lib, { first: pairs.map(([first]) => first), later: pairs.map(([, later]) => later) }];
    }),
  );
  console.log(`validating a job's options (new JobPipeline: 4 hooks, a borgCreate task); median of ${rounds} processes; load ${fixed(load, 1)} → ${fixed(loadavg()[0] ?? 0, 1)}`);
  const base = samples.get(libs[0] ?? '');
  for (const lib of libs) {
    const { first, later } = samples.get(lib) ?? { first: [], later: [] };
    const against = libs.length > 1 && base !== undefined ? `   ${fixed(medianOf(first) / medianOf(base.first), 2)}× / ${fixed(medianOf(later) / medianOf(base.later), 2)}× the first build` : '';
    console.log(`  ${libs.length > 1 ? `${lib}: ` : ''}first ${fixed(medianOf(first), 2)} ms, each of the next ${LATER}: ${fixed(medianOf(later), 1)} µs${against}`);
  }
}
