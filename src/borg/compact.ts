import type { Task } from '../types.js';
import { compactSchema, resolveCommon, type BorgCompactOptions } from './options.js';
import { parseOptions } from '../validation.js';
import { buildArgv, makeTask, runBorg } from './run.js';

/**
 * A `compact` task that runs `borg compact`, which frees the space of deleted archives (borg ≥ 1.2
 * only frees it then). Not critical by default. `taskProgress` events carry
 * `kind: 'progress_percent'` with `operation: 'repository.compact_segments'`.
 *
 * @example
 * ```ts
 * const tasks = [borgCreate({ repository, paths }), borgPrune({ repository, keep: { daily: 7 } }), borgCompact({ repository })]
 * ```
 */
export function borgCompact(options: BorgCompactOptions): Task {
  const parsed = parseOptions(compactSchema(), options, 'borgCompact options');
  const common = resolveCommon(parsed);
  const flags = parsed.threshold === undefined ? [] : [`--threshold=${parsed.threshold}`];
  const argv = buildArgv(common, { subcommand: 'compact', options: flags, positionals: [common.repository] });
  return makeTask('compact', 'borg compact', false, common, (context) => runBorg(context, common, argv));
}
