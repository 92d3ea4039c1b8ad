import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Whether a `borg` executable is on PATH: the same lookup a spawn of `borg` makes, without running it.
 * Tests that drive the real borg binary are tagged `borg` and skipped when it is missing (docs/testing.md).
 */
export function findBorg(path: string | undefined = process.env['PATH']): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'borg');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: try the next directory.
    }
  }
  return undefined;
}

/** `true` when the real borg binary can be run; suites that need it use `describe.skipIf(!borgInstalled)`. */
export const borgInstalled = findBorg() !== undefined;

/** The tag of every suite that needs the borg binary; the borg reporter counts these when they are skipped. */
export const BORG_TAG = 'borg';

/** Set to `1` (as .ci/run does) to make a missing borg fail the run instead of skipping its tests. */
export const REQUIRE_BORG_VARIABLE = 'JOBHOOKS_REQUIRE_BORG';

export const INSTALL_HINT = 'apt-get install borgbackup';
