import type { Task } from '../types.js';
import { checkSchema, resolveCommon, type BorgCheckOptions } from './options.js';
import { parseOptions } from '../validation.js';
import { buildArgv, makeTask, runBorg } from './run.js';

/**
 * A `check` task that runs `borg check` on the repository and its archives. Not critical by default.
 *
 * borg check exits 1 when it finds problems. Elsewhere 1 is a warning, but finding problems is what a
 * check is for, so here it **fails** the task, with borg's last error message (e.g. a segment's
 * checksum mismatch) as `error`.
 *
 * @example
 * ```ts
 * borgCheck({ repository: '/srv/borg/web', passcommand: 'cat /etc/borg/web.pass', lastArchives: 3, verifyData: true })
 * ```
 */
export function borgCheck(options: BorgCheckOptions): Task {
  const parsed = parseOptions(checkSchema(), options, 'borgCheck options');
  const common = resolveCommon(parsed);
  const flags: string[] = [];
  if (parsed.repositoryOnly === true) flags.push('--repository-only');
  if (parsed.archivesOnly === true) flags.push('--archives-only');
  if (parsed.verifyData === true) flags.push('--verify-data');
  if (parsed.lastArchives !== undefined) flags.push(`--last=${parsed.lastArchives}`);
  if (parsed.glob !== undefined) flags.push(`--glob-archives=${parsed.glob}`);
  const argv = buildArgv(common, { subcommand: 'check', options: flags, positionals: [common.repository] });
  return makeTask('check', 'borg check', false, common, (context) =>
    runBorg(context, common, argv, { warningIsFailure: { error: 'borg check found problems in the repository' } }),
  );
}
