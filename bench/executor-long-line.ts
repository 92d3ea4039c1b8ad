/**
 * Long-line benchmark (issue 10, point 10): one line without a newline, of 25, 50 and 100 MiB, through
 * `ShellExecutor` with a `maxOutputBytes` above the line's size (so the whole line is kept and delivered).
 * Linear handling shows as a constant ms per MiB across the sizes (measured: 8.8, 10.2, 8.9 ms/MiB); the
 * merge it replaced was quadratic (39.8, 59.8, 173 ms/MiB: 17 s for 100 MiB). Prints figures, gates nothing.
 *
 * Run: `npx tsx bench/executor-long-line.ts [--rounds=3]`
 */
import { ShellExecutor } from '../src/executor/shell-executor.js';
import { median } from './lib.js';

const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? 3);
const executor = new ShellExecutor();

async function oneLine(mib: number): Promise<void> {
  let length = 0;
  const result = await executor.execute({
    command: `head -c ${mib}M /dev/zero | tr '\\0' x`,
    shell: '/bin/bash',
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: 600_000,
    killGraceMs: 1_000,
    maxOutputBytes: 1024 * 1024 * 1024,
    onOutput: (line) => {
      length += line.length;
    },
    taskName: 'long-line',
    taskIndex: 0,
    jobId: 'bench',
  });
  if (result.exitCode !== 0 || length !== mib * 1024 * 1024) throw new Error(`bad run: ${JSON.stringify(result)} length ${length}`);
}

console.log('MiB  median ms  ms/MiB');
for (const mib of [25, 50, 100]) {
  const ms = await median(rounds, () => oneLine(mib));
  console.log(`${String(mib).padStart(3)}  ${ms.toFixed(0).padStart(9)}  ${(ms / mib).toFixed(1).padStart(6)}`);
}
