/**
 * `npm run bench`: runs every benchmark in bench/ one after another, each in its own process so
 * one's memory and JIT state cannot colour another's figures. Benchmarks print figures; none of
 * them passes or fails anything.
 */
import './lib.js';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !['run.ts', 'lib.ts', 'executor-bundle.ts'].includes(file))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) console.log(`(${file} exited with ${String(result.status ?? result.signal)})`);
}
