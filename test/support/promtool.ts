import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/*
 * Prometheus' own parser for the metrics tests, as test/support/borg.ts does for borg: without
 * `promtool` on PATH those tests are skipped with one line saying so, unless
 * JOBHOOKS_REQUIRE_PROMTOOL=1 (CI), which makes a missing promtool fail them (docs/observability.md).
 */

/** Set to `1` (as .ci/run does) to make a missing promtool fail the run instead of skipping its tests. */
export const REQUIRE_PROMTOOL_VARIABLE = 'JOBHOOKS_REQUIRE_PROMTOOL';

export const PROMTOOL_INSTALL_HINT = 'apt-get install prometheus';

/** The `promtool` executable on PATH, or `undefined`. */
export function findPromtool(path: string | undefined = process.env['PATH']): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'promtool');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: try the next directory.
    }
  }
  return undefined;
}

export const promtoolInstalled = findPromtool() !== undefined;

/** Whether promtool tests run: promtool is there, or it is required (and its absence then fails them). */
export const promtoolTestsRun = promtoolInstalled || process.env[REQUIRE_PROMTOOL_VARIABLE] === '1';

if (!promtoolTestsRun) {
  process.stdout.write(`promtool not installed: the exposition-format checks are skipped — ${PROMTOOL_INSTALL_HINT}\n`);
}

/** `promtool check metrics < text`: its exit code and what it printed (lint problems, parse errors). */
export function checkMetrics(text: string): { readonly status: number | null; readonly output: string } {
  const promtool = findPromtool();
  if (promtool === undefined) {
    throw new Error(`${REQUIRE_PROMTOOL_VARIABLE}=1 but promtool is not installed (no executable 'promtool' on PATH): ${PROMTOOL_INSTALL_HINT}`);
  }
  const run = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
