import type { Reporter, TestModule } from 'vitest/node';
import { BORG_TAG, borgInstalled, INSTALL_HINT } from './borg.js';

/**
 * Prints one line at the end of a run without borg, with how many tests tagged `borg` were skipped,
 * so a green run on a machine without borg says what it did not test (docs/testing.md).
 */
export default class BorgSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (borgInstalled) return;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.tags.includes(BORG_TAG) && test.result().state === 'skipped') skipped += 1;
      }
    }
    if (skipped > 0) process.stdout.write(`\nborg not installed: ${skipped} borg tests skipped — ${INSTALL_HINT}\n`);
  }
}
