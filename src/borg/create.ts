import { DEFAULTS } from '../defaults.js';
import type { JsonValue, Task } from '../types.js';
import { createSchema, resolveCommon, type BorgCreateOptions } from './options.js';
import { parseOptions } from '../validation.js';
import { buildArgv, makeTask, runBorg, type BorgDataBase } from './run.js';

/**
 * The sizes of a new archive, from `borg create --json` (bytes), and its count of regular files.
 *
 * @example
 * ```ts
 * const ratio = stats.compressed_size / stats.original_size
 * ```
 */
export type BorgArchiveStats = {
  readonly original_size: number;
  readonly compressed_size: number;
  readonly deduplicated_size: number;
  readonly nfiles: number;
};

/**
 * The `data` of a {@link borgCreate} task: borg's own `--json` document (`archive`, `cache`,
 * `encryption`, `repository`, as borg prints it) when borg printed one, plus {@link BorgDataBase}.
 * A create that failed before borg wrote its document has only `warnings` and `errorId`.
 *
 * @example
 * ```ts
 * const data = result.tasks[1]?.data as BorgCreateData
 * console.log(data.archive?.stats.deduplicated_size)
 * ```
 */
export type BorgCreateData = BorgDataBase & {
  readonly archive?: {
    readonly name: string;
    readonly id: string;
    readonly start: string;
    readonly end: string;
    readonly duration: number;
    readonly stats: BorgArchiveStats;
    readonly [key: string]: JsonValue;
  };
  readonly [key: string]: JsonValue | undefined;
};

/**
 * A `backup` task that runs `borg create` and keeps borg's archive statistics as the task's `data`.
 *
 * borg runs as `borg create --log-json --progress --json … -- REPO::ARCHIVE PATH…`: every option is
 * one argv element (no shell), so regex patterns with `$`, `|` or spaces reach borg untouched. Live
 * `taskProgress` events carry `kind: 'archive_progress'` with sizes so far. Exit code 1 (a file
 * vanished or could not be read) completes the task with `warning: true`. Critical by default.
 * Options are validated at once; invalid options throw a `ConfigError` listing every problem.
 *
 * @example
 * ```ts
 * const backup = borgCreate({
 *   repository: '/srv/borg/web',
 *   passcommand: 'cat /etc/borg/web.pass',
 *   paths: ['/var/www', '/var/backups/db.sql'],
 *   exclude: ['re:\\.cache/', 'sh:**\/node_modules'],
 *   compression: 'zstd,6',
 * })
 * // after the job: result.tasks[i].data.archive.stats.deduplicated_size
 * ```
 */
export function borgCreate(options: BorgCreateOptions): Task {
  const parsed = parseOptions(createSchema(), options, 'borgCreate options');
  const common = resolveCommon(parsed);
  const flags: string[] = ['--json'];
  for (const pattern of parsed.exclude ?? []) flags.push(`--exclude=${pattern}`);
  for (const file of parsed.excludeFrom ?? []) flags.push(`--exclude-from=${file}`);
  for (const pattern of parsed.patterns ?? []) flags.push(`--pattern=${pattern}`);
  for (const file of parsed.patternsFrom ?? []) flags.push(`--patterns-from=${file}`);
  if (parsed.compression !== undefined) flags.push(`--compression=${parsed.compression}`);
  if (parsed.excludeCaches === true) flags.push('--exclude-caches');
  for (const name of parsed.excludeIfPresent ?? []) flags.push(`--exclude-if-present=${name}`);
  if (parsed.oneFileSystem === true) flags.push('--one-file-system');
  if (parsed.comment !== undefined) flags.push(`--comment=${parsed.comment}`);
  if (parsed.list === true) flags.push('--list');
  if (parsed.listFilter !== undefined) flags.push(`--filter=${parsed.listFilter}`);
  const argv = buildArgv(common, {
    subcommand: 'create',
    options: flags,
    positionals: [`${common.repository}::${parsed.archive ?? DEFAULTS.borg.archive}`, ...parsed.paths],
  });
  return makeTask('backup', 'borg create', true, common, (context) =>
    runBorg(context, common, argv, { collectStdout: true, data: (parser) => parser.parseStdoutJson() }),
  );
}
