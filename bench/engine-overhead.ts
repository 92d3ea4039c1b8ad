/**
 * The engine's own cost per task: 10,000 hook tasks through JobPipeline with the FakeExecutor (no
 * process is spawned), against one real `bash -c true` spawn measured in the same run.
 * Target: engine overhead per task under 2% of a spawn.
 */
import { JobPipeline } from '../src/index.js';
import { FakeExecutor } from '../src/testing.js';
import { fixed, median, spawnTrue } from './lib.js';

const TASKS = 10_000;
const HOOKS_PER_JOB = 100;

async function runEngine(): Promise<number> {
  const executor = new FakeExecutor({}, { output: ['one line of output'] });
  const preHooks = Array.from({ length: HOOKS_PER_JOB / 2 }, (_, i) => ({ name: `pre ${i}`, command: 'true' }));
  const postHooks = Array.from({ length: HOOKS_PER_JOB / 2 }, (_, i) => ({ name: `post ${i}`, command: 'true' }));
  const start = performance.now();
  for (let job = 0; job < TASKS / HOOKS_PER_JOB; job += 1) {
    const result = await new JobPipeline({ preHooks, postHooks, executor }).run();
    if (result.status !== 'completed') throw new Error(`unexpected status ${result.status}`);
  }
  return (performance.now() - start) / TASKS;
}

// Warm up both sides so JIT and the first fork's page faults do not count.
await runEngine();
await median(10, spawnTrue);

const perTaskMs = Math.min(await runEngine(), await runEngine(), await runEngine());
const spawnMs = await median(200, spawnTrue);
const ratio = perTaskMs / spawnMs;

console.log('engine overhead (10,000 hook tasks via FakeExecutor)');
console.log(`  per task:            ${fixed(perTaskMs * 1000, 1)} µs`);
console.log(`  bash -c true spawn:  ${fixed(spawnMs, 3)} ms (median of 200)`);
console.log(`  overhead / spawn:    ${fixed(ratio * 100, 2)} % (target < 2 %)`);
