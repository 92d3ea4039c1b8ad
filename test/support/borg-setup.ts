import { borgInstalled, INSTALL_HINT, REQUIRE_BORG_VARIABLE } from './borg.js';

/**
 * vitest globalSetup: with JOBHOOKS_REQUIRE_BORG=1 a missing borg fails the whole run before any test
 * starts, so CI can never pass by skipping the borg tests (docs/testing.md).
 */
export default function setup(): void {
  if (process.env[REQUIRE_BORG_VARIABLE] === '1' && !borgInstalled) {
    throw new Error(`${REQUIRE_BORG_VARIABLE}=1 but borg is not installed (no executable 'borg' on PATH): ${INSTALL_HINT}`);
  }
}
