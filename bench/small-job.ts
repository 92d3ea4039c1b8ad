/**
 * The small job (issue 14.1) end to end: 2 `true` pre-hooks, `borg create` of 5 MB, 2 `true`
 * post-hooks, run by the built `jobhooks` CLI (`npm run build` first), by the same job written as a
 * plain bash script, and by borgmatic when it is installed. Every run gets a fresh unencrypted
 * repository and a fresh BORG_BASE_DIR (made before the clock starts), so no borg cache carries over.
 * Each round runs every side once, in an order rotated per round; reported are the median times and
 * the median of the per-round ratios to the script. The CLI runs as cron would run it: its output on
 * a pipe (drained), the journal on (the default; its state directory inside the bench's directory),
 * its code cache kept from run to run as in a user's `~/.cache`; once more with `--no-journal`; and
 * once as a first run, with no code cache yet (it writes one at its exit). And the floor of any
 * Node.js runner: a bare script (no jobhooks) that spawns the same four `bash -c true` hooks, their
 * output on drained pipes, and the same `borg create`, one after another; what it takes over the bash
 * script is what Node alone costs.
 * Prints the load average; gates nothing.
 *
 * Run: `npx tsx bench/small-job.ts [--rounds=15] [--cli=PATH]`
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, medianOf } from './lib.js';

function argument(name: string, fallback: string): string {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

const ROUNDS = Number(argument('rounds', '15'));
const CLI = argument('cli', fileURLToPath(new URL('../dist/cli.cjs', import.meta.url)));
if (!existsSync(CLI)) {
  console.log(`${CLI} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const borgmatic = spawnSync('borgmatic', ['--version'], { encoding: 'utf8' });
const borgmaticVersion = borgmatic.status === 0 ? borgmatic.stdout.trim() : undefined;

const root = mkdtempSync(join(tmpdir(), 'jobhooks-bench-small-job-'));
const data = join(root, 'data');
mkdirSync(data);
writeFileSync(join(data, 'random.bin'), randomBytes(5 * 1024 * 1024));

interface Run {
  readonly dir: string;
  readonly repository: string;
  readonly env: Record<string, string>;
}

/** A fresh repository and borg base directory, made before the clock starts. */
function freshRun(): Run {
  const dir = mkdtempSync(join(root, 'run-'));
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    BORG_BASE_DIR: join(dir, 'base'),
    JOBHOOKS_STATE_DIR: join(dir, 'state'),
  };
  const repository = join(dir, 'repo');
  const init = spawnSync('borg', ['init', '--encryption=none', repository], { env, stdio: 'ignore' });
  if (init.status !== 0) throw new Error(`borg init exited with ${String(init.status)}`);
  return { dir, repository, env };
}

interface Side {
  readonly name: string;
  /** Writes what the side needs into the run's directory; returns the argv to time. */
  prepare(run: Run): readonly string[];
  /** Variables added to the run's environment. */
  readonly env?: (run: Run) => Record<string, string>;
}

/**
 * The CLI's code cache (docs/cli.md, "Start-up and its cache") where cron's runs keep it: in one
 * directory from run to run, as a user's `~/.cache` is. Round 0, which is not counted, makes it.
 */
const keptCache = join(root, 'cache');

const hooks = (prefix: string): { name: string; command: string }[] => [
  { name: `${prefix} 1`, command: 'true' },
  { name: `${prefix} 2`, command: 'true' },
];

/** `cache`: 'kept' from run to run, or 'none' yet (each run a first run, which writes one at its exit). */
function jobhooksSide(name: string, extra: readonly string[], cache: 'kept' | 'none' = 'kept'): Side {
  return {
    name,
    env: (run) => ({ XDG_CACHE_HOME: cache === 'kept' ? keptCache : join(run.dir, 'cache') }),
    prepare(run) {
      const file = join(run.dir, 'job.json');
      const job = { preHooks: hooks('pre'), tasks: [{ borg: 'create', repository: run.repository, paths: [data] }], postHooks: hooks('post') };
      writeFileSync(file, JSON.stringify(job));
      return [process.execPath, CLI, 'run', file, ...extra];
    },
  };
}

const SIDES: Side[] = [
  {
    name: 'bash script',
    prepare(run) {
      const file = join(run.dir, 'job.sh');
      writeFileSync(file, `#!/bin/bash\nset -e\ntrue\ntrue\nborg create "${run.repository}::{hostname}-{now}" "${data}"\ntrue\ntrue\n`, { mode: 0o755 });
      return [file];
    },
  },
  jobhooksSide('jobhooks', []),
  jobhooksSide('jobhooks --no-journal', ['--no-journal']),
  jobhooksSide('jobhooks, first run', [], 'none'),
  {
    name: 'node floor',
    prepare(run) {
      const file = join(run.dir, 'floor.cjs');
      const borg = ['create', `${run.repository}::{hostname}-{now}`, data];
      writeFileSync(
        file,
        [
          "const { spawn } = require('node:child_process');",
          'const run = (file, args) => new Promise((resolve, reject) => {',
          "  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });",
          '  child.stdout.resume();',
          '  child.stderr.resume();',
          "  child.on('error', reject);",
          "  child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}`))));",
          '});',
          "const hook = () => run('/bin/bash', ['-c', 'true']);",
          `(async () => { await hook(); await hook(); await run('borg', ${JSON.stringify(borg)}); await hook(); await hook(); })();`,
          '',
        ].join('\n'),
      );
      return [process.execPath, file];
    },
  },
];
if (borgmaticVersion !== undefined) {
  SIDES.push({
    name: 'borgmatic',
    prepare(run) {
      const file = join(run.dir, 'borgmatic.yaml');
      writeFileSync(
        file,
        [
          'location:',
          `  source_directories: ["${data}"]`,
          `  repositories: ["${run.repository}"]`,
          'storage:',
          "  archive_name_format: '{hostname}-{now}'",
          'hooks:',
          '  before_backup: ["true", "true"]',
          '  after_backup: ["true", "true"]',
          '',
        ].join('\n'),
      );
      return ['borgmatic', '--config', file, 'create'];
    },
  });
}

function time(argv: readonly string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const [file = 'false', ...args] = argv;
    const started = performance.now();
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${String(code)}: ${stderr}`));
      else resolve(ms);
    });
  });
}


const loadBefore = loadavg()[0] ?? 0;
const samples = new Map<string, number[]>(SIDES.map((side) => [side.name, []]));
const ratios = new Map<string, number[]>(SIDES.map((side) => [side.name, []]));
// Round 0 warms the page cache and is not counted.
for (let round = 0; round <= ROUNDS; round += 1) {
  const times = new Map<string, number>();
  for (let offset = 0; offset < SIDES.length; offset += 1) {
    const side = SIDES[(round + offset) % SIDES.length];
    if (side === undefined) continue;
    const run = freshRun();
    times.set(side.name, await time(side.prepare(run), { ...run.env, ...side.env?.(run) }));
    rmSync(run.dir, { recursive: true, force: true });
  }
  if (round === 0) continue;
  const base = times.get('bash script') ?? Number.NaN;
  for (const [name, ms] of times) {
    samples.get(name)?.push(ms);
    ratios.get(name)?.push(ms / base);
  }
}
const loadAfter = loadavg()[0] ?? 0;
rmSync(root, { recursive: true, force: true });

const borgVersion = spawnSync('borg', ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(
  `node ${process.version}, ${borgVersion}, borgmatic ${borgmaticVersion ?? 'not installed'}; ${ROUNDS} rounds; load average ${fixed(loadBefore, 2)} before, ${fixed(loadAfter, 2)} after`,
);
for (const side of SIDES) {
  const ms = medianOf(samples.get(side.name) ?? []);
  const ratio = medianOf(ratios.get(side.name) ?? []);
  console.log(`${side.name.padEnd(22)} median ${fixed(ms, 1).padStart(7)} ms   ${fixed(ratio, 2)}× the script`);
}
