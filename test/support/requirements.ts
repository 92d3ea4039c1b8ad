import { BORG_TAG, borgInstalled, INSTALL_HINT, REQUIRE_BORG_VARIABLE } from './borg.js';
import { CHROMIUM_INSTALL_HINT, CHROMIUM_TAG, chromiumInstalled, REQUIRE_CHROMIUM_VARIABLE } from './chromium.js';
import { POSTGRES_INSTALL_HINT, POSTGRES_TAG, postgresInstalled } from './postgres.js';
import { REDIS_INSTALL_HINT, REDIS_MISSING, REDIS_TAG, redisInstalled } from './redis.js';

/**
 * A program some suites need: tests tagged `tag` are skipped without it, the skip reporter says how
 * many in one line, and `requireVariable=1` (as .ci/run sets) makes a missing one fail the run (docs/testing.md).
 */
export interface Requirement {
  readonly tag: string;
  readonly installed: boolean;
  /** What is missing, as the skip line starts: `redis-server not installed`. */
  readonly missing: string;
  /** What the skipped tests are: `borg tests`, `queue tests`. */
  readonly tests: string;
  readonly hint: string;
  readonly requireVariable: string;
}

export const REQUIRE_QUEUES_VARIABLE = 'JOBHOOKS_REQUIRE_QUEUES';

export const REQUIREMENTS: readonly Requirement[] = [
  { tag: BORG_TAG, installed: borgInstalled, missing: 'borg not installed', tests: 'borg tests', hint: INSTALL_HINT, requireVariable: REQUIRE_BORG_VARIABLE },
  { tag: REDIS_TAG, installed: redisInstalled, missing: REDIS_MISSING, tests: 'queue tests', hint: REDIS_INSTALL_HINT, requireVariable: REQUIRE_QUEUES_VARIABLE },
  { tag: POSTGRES_TAG, installed: postgresInstalled, missing: 'PostgreSQL server not installed', tests: 'queue tests', hint: POSTGRES_INSTALL_HINT, requireVariable: REQUIRE_QUEUES_VARIABLE },
  { tag: CHROMIUM_TAG, installed: chromiumInstalled, missing: 'chromium not installed', tests: 'history report rendering tests', hint: CHROMIUM_INSTALL_HINT, requireVariable: REQUIRE_CHROMIUM_VARIABLE },
];
