import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processesWithEnv } from '../support/processes.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built binary: the tests run what users run. */
export const CLI = join(REPO, 'dist', 'cli.cjs');

/** Config files shared by the tests. */
export const CLI_FIXTURES = join(REPO, 'test', 'fixtures', 'cli');

/** The package's version, as `--version` must print it. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Carried in the environment of every CLI process a test starts (and so of every hook): what a
 * run left behind can be found in /proc by it.
 */
export const MARKER_VAR = 'JH_CLI_TEST_MARKER';

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Started {
  readonly child: ChildProcess;
  readonly marker: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves when the process has exited and its pipes are closed. */
  readonly done: Promise<CliRun>;
}

/** Starts `node dist/cli.cjs ...args` in `cwd`, with a fresh marker in its environment. */
export function startCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Started {
  const marker = randomUUID();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: options.cwd,
      LANG: 'C.UTF-8',
      // The journal of a test's runs stays in its own directory, also when the tests run as root.
      JOBHOOKS_STATE_DIR: join(options.cwd, '.jobhooks-state'),
      ...options.env,
      [MARKER_VAR]: marker,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, marker, stdout: () => stdout, done };
}

/** Runs the CLI to the end. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return startCli(args, options).done;
}

/** A fresh directory for one test; removed by the returned function. */
export function tempDir(): { readonly path: string; write(name: string, text: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'jobhooks-cli-'));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Waits until `check()` is true, polling; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export { isAlive } from '../support/processes.js';

/** Live processes whose environment carries the marker: whatever a run left behind, however deep. */
export function processesWithMarker(marker: string): number[] {
  return processesWithEnv(MARKER_VAR, marker);
}

/** Reads a pid a hook wrote, once it is there. */
export async function readPid(file: string): Promise<number> {
  await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim() !== '', `${file} to be written`);
  return Number(readFileSync(file, 'utf8').trim());
}

/** A task's duration as the CLI's final flow shows it: `0.4s`, `1m 05s`, `1h 02m`. */
const DURATION = String.raw`(?:\d+\.\ds|\d+m \d\ds|\d+h \d\dm)`;

/**
 * The CLI's plain output without what changes from run to run — each line's `HH:MM:SS` and each
 * task's duration in the final flow — and with the flow's arrows folded to one space.
 */
export function untimed(text: string): string {
  return text
    .replace(/^\d\d:\d\d:\d\d \[/gm, '[')
    .replace(new RegExp(` \\(${DURATION}\\)$`, 'gm'), '')
    .replace(new RegExp(`, ${DURATION}\\)$`, 'gm'), ')')
    .replace(/ +→/g, ' →');
}
