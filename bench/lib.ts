import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Node reads and parses every certificate `NODE_EXTRA_CA_CERTS` names at each start, before any
 * script runs: with a system bundle (≈ 140 certificates) that is ≈ 35 ms on the benchmark machine,
 * more than all of `node -e 0` takes without it. A start-up figure measured with it set mostly times
 * that parse, on both sides of a ratio (docs/performance.md, "Machine"). Every benchmark imports this
 * module first, so the variable is gone from its environment before it starts any process it measures.
 */
if (process.env['NODE_EXTRA_CA_CERTS'] !== undefined) {
  delete process.env['NODE_EXTRA_CA_CERTS'];
  process.stderr.write('NODE_EXTRA_CA_CERTS is set here: the measured processes run without it (Node parses those certificates at every start)\n');
}

/** Runs `fn` `times` times and returns the median wall-clock time of one run, in ms. */
export async function median(times: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/** The median of samples (the upper one of an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** One plain `/bin/bash -c true` spawn, waited for: the baseline that every hook pays. */
export function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

/** Formats a number with a fixed count of decimals. */
export function fixed(value: number, digits = 3): string {
  return value.toFixed(digits);
}

/**
 * The builds a benchmark compares: `--lib=a/dist,b/dist` (default: this checkout's `dist/`). Exits with
 * a message when one is not built.
 */
export function builtLibraries(argument: string | undefined): string[] {
  const libs = (argument ?? fileURLToPath(new URL('../dist', import.meta.url))).split(',');
  for (const lib of libs) {
    if (!existsSync(resolve(lib, 'index.js'))) {
      console.log(`${resolve(lib, 'index.js')} is missing: run \`npm run build\` first`);
      process.exit(1);
    }
  }
  return libs;
}

/**
 * Runs `script --child=<lib>` in a fresh process once per build per round, the order rotated every
 * round so that machine load hits every build alike; returns what each sample printed, per build.
 */
export function samplePerBuild(script: string, libs: readonly string[], rounds: number): Map<string, string[]> {
  const samples = new Map<string, string[]>(libs.map((lib) => [lib, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < libs.length; i += 1) {
      const lib = libs[(round + i) % libs.length] ?? '';
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, `--child=${lib}`], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${lib}: ${run.stderr}`);
      samples.get(lib)?.push(run.stdout.trim());
    }
  }
  return samples;
}
