import type { Reporter, TestModule } from 'vitest/node';
import { REQUIREMENTS } from './requirements.js';

/**
 * Prints one line at the end of a run per missing program (borg, redis-server, PostgreSQL), with how
 * many tests tagged for it were skipped, so a green run says what it did not test (docs/testing.md).
 */
export default class BorgSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    for (const requirement of REQUIREMENTS) {
      if (requirement.installed) continue;
      let skipped = 0;
      for (const module of testModules) {
        for (const test of module.children.allTests()) {
          if (test.tags.includes(requirement.tag) && test.result().state === 'skipped') skipped += 1;
        }
      }
      if (skipped > 0) process.stdout.write(`\n${requirement.missing}: ${skipped} ${requirement.tests} skipped — ${requirement.hint}\n`);
    }
  }
}
