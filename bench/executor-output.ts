/**
 * Output benchmark (issue 3): a command writes 1 GiB to stdout.
 *
 * Each case runs in a fresh child Node process, so its peak RSS (`process.resourceUsage().maxRSS`) is
 * its own: the whole process, V8 heap and buffers included. Cases:
 * - `drain`: plain `child_process.spawn` that only drains stdout (the baseline);
 * - `executor`: `ShellExecutor.execute` with an `onOutput` that counts lines;
 * - `pipeline`: the same command as a hook in a `JobPipeline` (the engine keeps a 64 KiB tail, as raw bytes, and emits
 *   a `taskOutput` event per line, with one listener counting them).
 * For two producers: 80-character lines (`yes … | head -c 1G`) and one line with no newline at all
 * (`head -c 1G /dev/zero`). Time ratios are against `drain` in the same run. Prints figures, gates nothing.
 *
 * Run: `node --import tsx bench/executor-output.ts [--mib=1024] [--rounds=2]`
 */
import './lib.js';
import { spawn } from 'node:child_process';
import { bundleForNode } from './executor-bundle.js';
import { ShellExecutor } from '../src/executor/shell-executor.js';
import { JobPipeline } from '../src/index.js';

interface Measurement {
  readonly ms: number;
  readonly maxRssMiB: number;
  /** CPU time (user + system) of the measuring Node process: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  readonly bytes: number;
  readonly lines: number;
  readonly exitCode: number | null;
}

const PRODUCERS = {
  lines: (mib: number) => `yes "$(printf '%080d' 0)" | head -c ${mib}M`,
  'no-newline': (mib: number) => `head -c ${mib}M /dev/zero`,
} as const;
type Producer = keyof typeof PRODUCERS;
const CASES = ['drain', 'executor', 'pipeline'] as const;
type Case = (typeof CASES)[number];

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
}

/** Runs inside the child process: one case, one producer; prints one JSON line. */
async function runCase(which: Case, command: string): Promise<void> {
  const startupUsage = process.resourceUsage();
  const startupCpuMs = (startupUsage.userCPUTime + startupUsage.systemCPUTime) / 1000;
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  let exitCode: number | null = null;
  if (which === 'drain') {
    const child = spawn('/bin/bash', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  } else if (which === 'executor') {
    const result = await new ShellExecutor().execute({
      command,
      shell: '/bin/bash',
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeoutMs: 600_000,
      killGraceMs: 1_000,
      maxOutputBytes: 64 * 1024,
      onOutput: (line) => {
        lines += 1;
        bytes += line.length + 1;
      },
      taskName: 'bench',
      taskIndex: 0,
      jobId: 'bench',
    });
    exitCode = result.exitCode;
  } else {
    const pipeline = new JobPipeline({ preHooks: [{ name: 'flood', command, timeout: 600 }], inheritEnv: false });
    pipeline.on('taskOutput', ({ line }) => {
      lines += 1;
      bytes += line.length + 1;
    });
    const result = await pipeline.run();
    exitCode = result.tasks[0]?.exitCode ?? null;
  }
  const ms = performance.now() - started;
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000 - startupCpuMs;
  const measurement: Measurement = { ms, maxRssMiB: usage.maxRSS / 1024, cpuMs, bytes, lines, exitCode };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

function measure(bundle: string, which: Case, producer: Producer, mib: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, `--child=${which}`, `--producer=${producer}`, `--mib=${mib}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${which}/${producer} exited with ${code}`));
      else resolve(JSON.parse(text) as Measurement);
    });
  });
}

async function main(): Promise<void> {
  const childCase = process.argv.find((arg) => arg.startsWith('--child='))?.slice('--child='.length);
  const mib = argument('mib', 1024);
  if (childCase !== undefined) {
    const producer = (process.argv.find((arg) => arg.startsWith('--producer='))?.slice('--producer='.length) ?? 'lines') as Producer;
    await runCase(childCase as Case, PRODUCERS[producer](mib));
    return;
  }
  const rounds = argument('rounds', 2);
  const bundle = await bundleForNode(import.meta.url);
  console.log(`executor output benchmark: ${mib} MiB per run, best of ${rounds}, node ${process.version}, ${process.platform}`);
  for (const producer of Object.keys(PRODUCERS) as Producer[]) {
    const best = new Map<Case, Measurement>();
    for (let round = 0; round < rounds; round += 1) {
      for (const which of CASES) {
        const measurement = await measure(bundle, which, producer, mib);
        const previous = best.get(which);
        if (previous === undefined || measurement.ms < previous.ms) best.set(which, { ...measurement, maxRssMiB: Math.max(measurement.maxRssMiB, previous?.maxRssMiB ?? 0) });
        else best.set(which, { ...previous, maxRssMiB: Math.max(measurement.maxRssMiB, previous.maxRssMiB) });
      }
    }
    const baseline = best.get('drain');
    console.log(`\nproducer: ${producer} (${PRODUCERS[producer](mib)})`);
    for (const which of CASES) {
      const m = best.get(which);
      if (m === undefined || baseline === undefined) continue;
      const mbPerS = (mib * 1024 * 1024) / 1e6 / (m.ms / 1000);
      console.log(
        `  ${which.padEnd(9)} ${m.ms.toFixed(0).padStart(6)} ms  ${mbPerS.toFixed(0).padStart(5)} MB/s  ${(m.ms / baseline.ms).toFixed(2)}× drain  ` +
          `node CPU ${m.cpuMs.toFixed(0).padStart(5)} ms (${(m.cpuMs / baseline.cpuMs).toFixed(2)}×)  ` +
          `peak RSS ${m.maxRssMiB.toFixed(0).padStart(4)} MiB = ${((m.maxRssMiB * 1048576) / 1e6).toFixed(0)} MB (max of rounds)  lines ${m.lines}  exit ${m.exitCode}`,
      );
    }
  }
}

await main();
