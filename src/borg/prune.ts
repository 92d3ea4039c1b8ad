import type { Task } from '../types.js';
import { pruneSchema, resolveCommon, type BorgPruneOptions } from './options.js';
import { parseOptions } from '../validation.js';
import { buildArgv, makeTask, runBorg, type BorgDataBase } from './run.js';

/**
 * One archive that prune kept or pruned, as borg's `--list` named it.
 *
 * @example
 * ```ts
 * const archive: BorgPrunedArchive = { name: 'web-2026-11-18T03:00:00', time: '2026-11-18T03:00:00', id: '9658…' }
 * ```
 */
export type BorgPrunedArchive = {
  readonly name: string;
  /** The archive's time as borg shows it, in local time: `2026-11-26T05:50:57`. */
  readonly time: string;
  readonly id: string;
};

/**
 * One archive that prune kept, and the rule that kept it (`daily`, `within`, `checkpoint`, …).
 *
 * @example
 * ```ts
 * const kept: BorgKeptArchive = { name: 'web-1', time: '2026-11-26T03:00:00', id: 'f6b9…', rule: 'daily', ruleNumber: 1, oldest: false }
 * ```
 */
export type BorgKeptArchive = BorgPrunedArchive & {
  readonly rule: string;
  /** The how-manieth archive this rule kept (1 = newest); `null` for a kept checkpoint. */
  readonly ruleNumber: number | null;
  /**
   * `true` when borg (≥ 1.2) kept the archive because its rule had not reached its count and this is
   * the oldest archive (borg's `daily[oldest]`); `rule` is then the rule's plain name (`daily`).
   */
  readonly oldest: boolean;
};

/**
 * The `data` of a {@link borgPrune} task: what borg's `--list` said it kept and pruned, newest first.
 *
 * @example
 * ```ts
 * const { kept, pruned } = result.tasks[2]?.data as BorgPruneData
 * ```
 */
export type BorgPruneData = BorgDataBase & {
  readonly kept: BorgKeptArchive[];
  /** Archives deleted; with `dryRun`, the archives that would be deleted. */
  readonly pruned: BorgPrunedArchive[];
  readonly dryRun: boolean;
};

// `{verdict:<40} {name:<36} {Www, YYYY-MM-DD HH:MM:SS} [{64 hex}]`: borg's format_archive after the verdict.
const VERDICT_WIDTH = 40;
const NAME_WIDTH = 36;
const ARCHIVE_TAIL = /\s\w{3}, (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) \[([0-9a-f]+)\]$/;
// The rule may carry `[oldest]`: borg ≥ 1.2 keeps the oldest archive when a rule has not reached its count.
const KEEPING = /^Keeping archive \(rule: ([\w-]+)(\[oldest\])? #(\d+)\):/;
const KEEPING_CHECKPOINT = /^Keeping checkpoint archive:/;
const PRUNING = /^(?:Pruning archive \(\d+\/\d+\):|Would prune:)/;

/**
 * The archive of a `--list` line whose verdict is `verdict` characters long. Its name is cut at borg's
 * columns, not at blanks: a name may begin or end with a space, or hold a newline (borg takes any).
 */
function archiveAfter(message: string, verdict: number): { name: string; time: string; id: string } | undefined {
  const tail = ARCHIVE_TAIL.exec(message);
  const start = Math.max(VERDICT_WIDTH, verdict) + 1;
  if (tail === null || tail.index < start) return undefined;
  const field = message.slice(start, tail.index);
  // A name shorter than its column is padded with blanks; a longer one stands as it is.
  const name = field.length <= NAME_WIDTH ? field.replace(/ +$/, '') : field;
  const [, date = '', time = '', id = ''] = tail;
  return { name, time: `${date}T${time}`, id };
}

/**
 * A `prune` task that runs `borg prune --list` with a retention policy and reports, as `data`, which
 * archives were kept (and by which rule) and which were pruned. Not critical by default.
 *
 * `keep.last` is borg's `--keep-last`, which borg treats as `--keep-secondly`, so the two cannot be
 * combined. Prune only marks space as free: add {@link borgCompact} to give it back.
 *
 * @example
 * ```ts
 * borgPrune({ repository: '/srv/borg/web', passcommand: 'cat /etc/borg/web.pass', keep: { daily: 7, weekly: 4, monthly: 6 } })
 * // data: { kept: [{ name, time, id, rule: 'daily', ruleNumber: 1 }, …], pruned: [...], dryRun: false, … }
 * ```
 */
export function borgPrune(options: BorgPruneOptions): Task {
  const parsed = parseOptions(pruneSchema(), options, 'borgPrune options');
  const common = resolveCommon(parsed);
  const { keep } = parsed;
  const flags: string[] = ['--list'];
  if (keep.within !== undefined) flags.push(`--keep-within=${keep.within}`);
  if (keep.last !== undefined) flags.push(`--keep-last=${keep.last}`);
  if (keep.secondly !== undefined) flags.push(`--keep-secondly=${keep.secondly}`);
  if (keep.minutely !== undefined) flags.push(`--keep-minutely=${keep.minutely}`);
  if (keep.hourly !== undefined) flags.push(`--keep-hourly=${keep.hourly}`);
  if (keep.daily !== undefined) flags.push(`--keep-daily=${keep.daily}`);
  if (keep.weekly !== undefined) flags.push(`--keep-weekly=${keep.weekly}`);
  if (keep.monthly !== undefined) flags.push(`--keep-monthly=${keep.monthly}`);
  if (keep.yearly !== undefined) flags.push(`--keep-yearly=${keep.yearly}`);
  if (parsed.glob !== undefined) flags.push(`--glob-archives=${parsed.glob}`);
  const dryRun = parsed.dryRun === true;
  if (dryRun) flags.push('--dry-run');
  const argv = buildArgv(common, { subcommand: 'prune', options: flags, positionals: [common.repository] });

  return makeTask('prune', 'borg prune', false, common, (context) => {
    // Fresh lists per run: a Task object may run in several jobs.
    const kept: BorgKeptArchive[] = [];
    const pruned: BorgPrunedArchive[] = [];
    return runBorg(context, common, argv, {
      onLogLine: (message) => {
        const line = parsePruneLine(message);
        if (line?.verdict === 'kept') kept.push(line.archive);
        else if (line?.verdict === 'pruned') pruned.push(line.archive);
      },
      data: () => ({ kept, pruned, dryRun }),
    });
  });
}

/**
 * Reads one line of `borg prune --list` (borg 1.2 and 1.4 wording), or returns `undefined`.
 * @internal
 */
export function parsePruneLine(
  message: string,
): { verdict: 'kept'; archive: BorgKeptArchive } | { verdict: 'pruned'; archive: BorgPrunedArchive } | undefined {
  const keeping = KEEPING.exec(message);
  if (keeping !== null) {
    const archive = archiveAfter(message, keeping[0].length);
    const [, rule = '', oldest, number = ''] = keeping;
    return archive === undefined ? undefined : { verdict: 'kept', archive: { ...archive, rule, ruleNumber: Number(number), oldest: oldest !== undefined } };
  }
  const checkpoint = KEEPING_CHECKPOINT.exec(message);
  if (checkpoint !== null) {
    const archive = archiveAfter(message, checkpoint[0].length);
    return archive === undefined ? undefined : { verdict: 'kept', archive: { ...archive, rule: 'checkpoint', ruleNumber: null, oldest: false } };
  }
  const pruning = PRUNING.exec(message);
  if (pruning !== null) {
    const archive = archiveAfter(message, pruning[0].length);
    return archive === undefined ? undefined : { verdict: 'pruned', archive };
  }
  return undefined;
}
