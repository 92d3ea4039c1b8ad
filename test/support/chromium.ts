import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './servers.js';

/*
 * A real headless Chromium for the `history --html` page (docs/observability.md): Debian's
 * `chromium`. Without it those tests are skipped and the skip reporter says so in one line, unless
 * JOBHOOKS_REQUIRE_CHROMIUM=1 (CI), which makes a missing chromium fail the run (test/support/requirements.ts).
 */

export const CHROMIUM_TAG = 'chromium';
export const REQUIRE_CHROMIUM_VARIABLE = 'JOBHOOKS_REQUIRE_CHROMIUM';
export const CHROMIUM_INSTALL_HINT = 'apt-get install chromium';

/** The browser binary, if installed. */
export const chromiumBinary = findExecutable('chromium') ?? findExecutable('chromium', ['/usr/bin']);
export const chromiumInstalled = chromiumBinary !== undefined;

/** What one headless run of a page gave: the DOM after its scripts ran, and the browser's log. */
export interface ChromiumRun {
  readonly code: number | null;
  readonly dom: string;
  /** `[…:INFO:CONSOLE:1] "Uncaught ReferenceError: …", source: file:///… (1)`: every console message of the page. */
  readonly consoleLines: readonly string[];
}

/** Flags for a browser that talks to nobody: no sync, no updates, no first-run, a fresh profile. */
function flags(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
  ];
}

/** Runs chromium headless with `extra` flags (`--dump-dom`, `--screenshot=…`) on `url`. */
export async function runChromium(url: string, extra: readonly string[]): Promise<ChromiumRun> {
  if (chromiumBinary === undefined) throw new Error(`${REQUIRE_CHROMIUM_VARIABLE}=1 but chromium is not installed: ${CHROMIUM_INSTALL_HINT}`);
  const profile = mkdtempSync(join(tmpdir(), 'jobhooks-chromium-'));
  try {
    const child = spawn(chromiumBinary, [...flags(profile), ...extra, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let dom = '';
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (dom += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    return { code, dom, consoleLines: log.split('\n').filter((line) => line.includes(':CONSOLE')) };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
