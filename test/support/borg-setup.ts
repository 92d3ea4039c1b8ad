import { REQUIREMENTS } from './requirements.js';

/**
 * vitest globalSetup: with JOBHOOKS_REQUIRE_BORG=1 a missing borg (with JOBHOOKS_REQUIRE_QUEUES=1 a
 * missing redis-server or PostgreSQL server) fails the whole run before any test starts, so CI can
 * never pass by skipping those tests (docs/testing.md).
 */
export default function setup(): void {
  for (const requirement of REQUIREMENTS) {
    if (process.env[requirement.requireVariable] === '1' && !requirement.installed) {
      throw new Error(`${requirement.requireVariable}=1 but ${requirement.missing}: ${requirement.hint}`);
    }
  }
}
