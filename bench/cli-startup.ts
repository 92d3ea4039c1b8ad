/**
 * CLI start-up (issue 14.2): the built `jobhooks` binary (`npm run build` first) against a bare
 * `node -e 0`, in the same run. Each round runs every case once, in an order rotated per round so
 * machine load hits them alike; reported are medians of the absolute times and the median of the
 * per-round ratios to `node -e 0`. Cases: `--version`, `--help`, `validate` of a 5-task JSON file and
 * of the same file as YAML, `plan`, and the start of `run` (the time until the first line, "[…]
 * started", reaches the CLI's stdout pipe: the file read, validated, the pipeline made, the journal
 * opened). Prints the load average; gates nothing.
 *
 * `--cli=a/cli.cjs,b/cli.cjs` measures several builds side by side (each copied inside the repository,
 * so their dependencies resolve), to see what one change to the start-up buys.
 *
 * Run: `npx tsx bench/cli-startup.ts [--rounds=21] [--cli=PATH,…]`
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, medianOf } from './lib.js';

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
}

const ROUNDS = argument('rounds', 21);
const cliArgument = process.argv.find((arg) => arg.startsWith('--cli='));
const CLIS = cliArgument === undefined ? [fileURLToPath(new URL('../dist/cli.cjs', import.meta.url))] : cliArgument.slice(6).split(',');
for (const cli of CLIS) {
  if (!existsSync(cli)) {
    console.log(`${cli} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'jobhooks-bench-startup-'));
const hooks = (count: number, prefix: string): { name: string; command: string }[] =>
  Array.from({ length: count }, (_, index) => ({ name: `${prefix}${index + 1}`, command: 'true' }));
const job = { preHooks: hooks(2, 'pre'), tasks: [{ name: 'main', command: 'true' }], postHooks: hooks(2, 'post') };
const json = join(dir, 'job.json');
writeFileSync(json, JSON.stringify(job));
const yaml = join(dir, 'job.yaml');
const yamlHook = (hook: { name: string; command: string }): string => `  - name: ${hook.name}\n    command: "${hook.command}"\n`;
writeFileSync(
  yaml,
  `preHooks:\n${job.preHooks.map(yamlHook).join('')}tasks:\n${job.tasks.map(yamlHook).join('')}postHooks:\n${job.postHooks.map(yamlHook).join('')}`,
);

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  /** Stop the clock at the first byte on stdout instead of at exit. */
  readonly firstOutput?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'node -e 0', argv: ['-e', '0'] },
  ...CLIS.flatMap((cli) => {
    const label = CLIS.length === 1 ? '' : `${basename(dirname(cli))}: `;
    return [
      { name: `${label}--version`, argv: [cli, '--version'] },
      { name: `${label}--help`, argv: [cli, '--help'] },
      { name: `${label}validate (JSON)`, argv: [cli, 'validate', json] },
      { name: `${label}validate (YAML)`, argv: [cli, 'validate', yaml] },
      { name: `${label}plan (JSON)`, argv: [cli, 'plan', json] },
      { name: `${label}start of run`, argv: [cli, 'run', json, '--state-dir', join(dir, 'state')], firstOutput: true },
    ];
  }),
];

/** Milliseconds from spawn to exit (or to the first stdout byte). */
function time(entry: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let stopped: number | undefined;
    const child = spawn(process.execPath, entry.argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', () => {
      if (entry.firstOutput === true && stopped === undefined) stopped = performance.now();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${entry.name} exited with ${String(code)}`));
      else resolve((stopped ?? performance.now()) - started);
    });
  });
}


const loadBefore = loadavg()[0] ?? 0;
// One unmeasured round warms the page cache.
for (const entry of CASES) await time(entry);
const samples = new Map<string, number[]>(CASES.map((entry) => [entry.name, []]));
const ratios = new Map<string, number[]>(CASES.map((entry) => [entry.name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  const times = new Map<string, number>();
  for (let offset = 0; offset < CASES.length; offset += 1) {
    const entry = CASES[(round + offset) % CASES.length];
    if (entry === undefined) continue;
    times.set(entry.name, await time(entry));
  }
  const base = times.get('node -e 0') ?? Number.NaN;
  for (const [name, ms] of times) {
    samples.get(name)?.push(ms);
    ratios.get(name)?.push(ms / base);
  }
}
const loadAfter = loadavg()[0] ?? 0;

console.log(`node ${process.version}; ${ROUNDS} rounds; load average ${fixed(loadBefore, 2)} before, ${fixed(loadAfter, 2)} after`);
for (const entry of CASES) {
  const ms = medianOf(samples.get(entry.name) ?? []);
  const ratio = medianOf(ratios.get(entry.name) ?? []);
  console.log(`${entry.name.padEnd(26)} median ${fixed(ms, 1).padStart(7)} ms   ${fixed(ratio, 2)}× node -e 0`);
}
