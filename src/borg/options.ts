import { DEFAULTS } from '../defaults.js';
import * as z from 'zod';
import { durationToMs, type Duration } from '../duration.js';
import { suggest } from '../suggest.js';
import { lazy, secret, durationOrZero, duration as durationSchema, envRecord as baseEnvRecord, nameString, nonEmptySpawnString, outcomeShape, spawnString, type EnvValue } from '../validation.js';


// Variables that carry the passphrase: given through `env` they would escape redaction.
const PASSPHRASE_VARIABLES = ['BORG_PASSPHRASE', 'BORG_PASSCOMMAND', 'BORG_PASSPHRASE_FD', 'BORG_NEW_PASSPHRASE'];

// Every string of a borg task reaches borg's argv or environment: the shared primitives reject NUL bytes.
const nonEmptyString = nonEmptySpawnString;

/**
 * The shortest time borg gets between SIGTERM and SIGKILL. On SIGTERM borg stops cleanly and
 * releases the repository lock; killed sooner, it leaves a stale lock that makes every later run
 * fail until someone runs `borg break-lock`.
 */
export const BORG_MIN_KILL_GRACE_MS = 5_000;

function exclusive<T extends Record<string, unknown>>(pairs: readonly (readonly [keyof T & string, keyof T & string, string])[]) {
  return (value: T, context: z.core.$RefinementCtx<T>): void => {
    for (const [first, second, why] of pairs) {
      if (value[first] !== undefined && value[first] !== false && value[second] !== undefined && value[second] !== false) {
        context.addIssue({ code: 'custom', path: [second], message: `cannot be combined with "${first}": ${why}` });
      }
    }
  };
}

const passphrasePair = ['passphrase', 'passcommand', 'borg would use only one of them'] as const;

/** The borg factories' option schemas, built together on the first use of one of them. */
/** The placeholders borg 1.2 and 1.4 expand in an archive name (`borg help placeholders`). */
const PLACEHOLDERS = ['hostname', 'fqdn', 'reverse-fqdn', 'now', 'utcnow', 'user', 'pid', 'borgversion', 'borgmajor', 'borgminor', 'borgpatch'];

/**
 * Why borg would refuse `text` as an archive name's placeholders, or `undefined`. borg takes `{name}`,
 * `{name:format}` (`{now:%Y-%m-%d}`) and `{{`/`}}` for a brace; anything else (`{now.year}`,
 * `{hostnme}`, a lone brace) fails the run once the job has started.
 */
function placeholderProblem(text: string): string | undefined {
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if ((char === '{' || char === '}') && text[index + 1] === char) {
      index += 1;
    } else if (char === '}') {
      return 'a "}" without its "{": write "}}" for a brace';
    } else if (char === '{') {
      const end = text.indexOf('}', index);
      if (end === -1) return 'a "{" without its "}": write "{{" for a brace';
      const name = text.slice(index + 1, end).split(':')[0] ?? '';
      if (!PLACEHOLDERS.includes(name)) {
        const hint = suggest(name, PLACEHOLDERS);
        return `borg has no placeholder {${name}}${hint === undefined ? '' : ` (did you mean {${hint}}?)`}; it has ${PLACEHOLDERS.map((known) => `{${known}}`).join(', ')}`;
      }
      index = end;
    }
  }
  return undefined;
}

const borgSchemas = lazy(() => {
  const envRecord = baseEnvRecord
    .superRefine((env, context) => {
      for (const name of PASSPHRASE_VARIABLES) {
        if (Object.hasOwn(env, name)) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `give the passphrase with the "passphrase" or "passcommand" option instead, so it is redacted everywhere`,
          });
        }
      }
    });

  // borg's --lock-wait takes whole seconds, and 0 (do not wait) is meaningful.
  const lockWaitSchema = durationOrZero('expected a number of seconds (0 or more) or a duration string such as "30s", "5m"');

  const killGraceSchema = durationSchema.superRefine((value, context) => {
    const ms = durationToMs(value);
    if (ms !== undefined && ms < BORG_MIN_KILL_GRACE_MS) {
      context.addIssue({
        code: 'custom',
        message: `must be at least 5s: borg needs the time to release the repository lock, or the next run finds a stale lock`,
      });
    }
  });

  const commonShape = {
    repository: nonEmptyString.meta({ description: 'The repository: a path, or a URL such as ssh://user@host/./repo.' }),
    passphrase: secret(spawnString.min(1, { message: 'must not be empty' })).optional().meta({ description: 'The repository passphrase, given to borg as BORG_PASSPHRASE (never on the command line) and redacted everywhere.' }),
    passcommand: nonEmptyString.optional().meta({ description: 'A command that prints the passphrase, given to borg as BORG_PASSCOMMAND.' }),
    env: envRecord.optional().meta({ description: 'Extra environment for borg (BORG_CACHE_DIR, BORG_RSH, BORG_BASE_DIR, …), over the job\'s.' }),
    borgBinary: nonEmptyString.optional().meta({ description: 'The borg executable. Default "borg".' }),
    extraArgs: z.array(spawnString).optional().meta({ description: 'More borg options, placed after jobhooks\' own options and before the repository.' }),
    lockWait: lockWaitSchema.optional().meta({ description: 'How long borg waits for the repository lock: seconds (0: do not wait) or a duration string. Default: borg\'s own, 1 second.' }),
    name: nameString.optional().meta({ description: 'The task name in results, events and notifications.' }),
    critical: z.boolean().optional().meta({ description: 'Its failure fails the job. Default: true for create, false otherwise.' }),
    timeout: durationSchema.optional().meta({ description: 'Seconds or a duration string. Default 24h (borg tasks do not use defaults.timeout).' }),
    killGrace: killGraceSchema.optional().meta({ description: 'Time between SIGTERM and SIGKILL; at least 5 s, so borg can release the repository lock. Default 10s.' }),
    warningsAreErrors: z.boolean().optional().meta({ description: 'Treat borg\'s warnings (exit code 1, or 100–127 with borg ≥ 1.4) as a failure. Default false.' }),
    // borg is retried only when its lock timed out or its connection dropped (docs/borg.md).
    retries: outcomeShape.retries.meta({ description: 'Extra attempts after borg failed on a lock timeout or a dropped connection (other failures are not retried). Default 0.' }),
    retryDelay: outcomeShape.retryDelay,
    retryDelayMax: outcomeShape.retryDelayMax,
  };

  const positiveInt = z.number().int({ message: 'expected a whole number' }).positive({ message: 'expected a number greater than 0' });

  const create = z
    .strictObject({
      ...commonShape,
      paths: z.array(nonEmptyString).min(1, { message: 'give at least one path to back up' }).meta({ description: 'What to back up: files and directories.' }),
      archive: nonEmptyString
        .refine((value) => !value.includes('/'), { message: 'an archive name must not contain "/"' })
        .superRefine((value, context) => {
          const problem = placeholderProblem(value);
          if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
        })
        .optional().meta({ description: 'The archive name; borg expands placeholders such as {hostname} and {now}. Default "{hostname}-{now:%Y-%m-%dT%H:%M:%S}".' }),
      exclude: z.array(nonEmptyString).optional().meta({ description: 'Exclude patterns (--exclude), passed untouched.' }),
      excludeFrom: z.array(nonEmptyString).optional().meta({ description: 'Files of exclude patterns (--exclude-from).' }),
      patterns: z.array(nonEmptyString).optional().meta({ description: 'Include/exclude patterns (--pattern), passed untouched.' }),
      patternsFrom: z.array(nonEmptyString).optional().meta({ description: 'Files of patterns (--patterns-from).' }),
      compression: nonEmptyString.optional().meta({ description: 'Compression (--compression): lz4, zstd,10, auto,zstd, none, … Default: borg\'s, lz4.' }),
      excludeCaches: z.boolean().optional().meta({ description: 'Skip directories holding a CACHEDIR.TAG (--exclude-caches). Default false.' }),
      excludeIfPresent: z.array(nonEmptyString).optional().meta({ description: 'Skip directories holding a file of one of these names (--exclude-if-present).' }),
      oneFileSystem: z.boolean().optional().meta({ description: 'Stay on one file system (--one-file-system). Default false.' }),
      comment: spawnString.optional().meta({ description: 'The archive\'s comment (--comment).' }),
      list: z.boolean().optional().meta({ description: 'List each file in the output as borg handles it (--list). Default false.' }),
      listFilter: z
        .string()
        .regex(/^[A-Za-z-?]+$/, { message: 'expected borg status characters such as "AME"' })
        .optional().meta({ description: 'With list, only these status characters (--filter), e.g. "AME".' }),
    })
    .superRefine(exclusive([passphrasePair]));

  const keepSchema = z
    .strictObject({
      within: z
        .string()
        .regex(/^[1-9]\d*[SMHdwmy]$/, { message: 'expected a number and a unit: "48H", "7d", "4w", "6m", "1y" ("S" and "M" need borg 1.4)' })
        .optional().meta({ description: 'Keep everything within this interval: "48H", "7d", "4w", "6m", "1y".' }),
      last: positiveInt.optional().meta({ description: 'Keep the last N archives (--keep-last, which borg treats as --keep-secondly).' }),
      secondly: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N seconds that have one.' }),
      minutely: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N minutes that have one.' }),
      hourly: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N hours that have one.' }),
      daily: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N days that have one.' }),
      weekly: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N weeks that have one.' }),
      monthly: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N months that have one.' }),
      yearly: positiveInt.optional().meta({ description: 'Keep the newest archive of each of the last N years that have one.' }),
    })
    .superRefine(exclusive([['secondly', 'last', 'borg treats --keep-last as another name for --keep-secondly']]))
    .refine((keep) => Object.values(keep).some((value) => value !== undefined), {
      message: 'give at least one rule: within, last, secondly, minutely, hourly, daily, weekly, monthly or yearly',
    });

  const prune = z
    .strictObject({
      ...commonShape,
      keep: keepSchema.meta({ description: 'The retention policy (borg --keep-*); at least one rule.' }),
      glob: nonEmptyString.optional().meta({ description: 'Only consider archives whose names match this glob (--glob-archives), e.g. "web-*".' }),
      dryRun: z.boolean().optional().meta({ description: 'Only report what would be pruned (--dry-run). Default false.' }),
    })
    .superRefine(exclusive([passphrasePair]));

  const compact = z
    .strictObject({
      ...commonShape,
      threshold: z.number().int().min(0).max(99, { message: 'expected a percentage from 0 to 99' }).optional().meta({ description: 'Compact segments with at least this percentage of freeable space (--threshold). Default: borg\'s, 10.' }),
    })
    .superRefine(exclusive([passphrasePair]));

  const check = z
    .strictObject({
      ...commonShape,
      repositoryOnly: z.boolean().optional().meta({ description: 'Only check the repository (--repository-only). Default false.' }),
      archivesOnly: z.boolean().optional().meta({ description: 'Only check the archives (--archives-only). Default false.' }),
      verifyData: z.boolean().optional().meta({ description: 'Read, decrypt and verify all archive data (--verify-data): slow, thorough. Default false.' }),
      lastArchives: positiveInt.optional().meta({ description: 'Only check the last N archives (--last).' }),
      glob: nonEmptyString.optional().meta({ description: 'Only check archives whose names match this glob (--glob-archives).' }),
    })
    .superRefine(
      exclusive([
        passphrasePair,
        ['repositoryOnly', 'archivesOnly', 'together they would check nothing'],
        ['repositoryOnly', 'verifyData', 'verifying data is part of the archives check'],
        ['repositoryOnly', 'lastArchives', 'it selects archives, which a repository-only check does not read'],
        ['repositoryOnly', 'glob', 'it selects archives, which a repository-only check does not read'],
      ]),
    );

  return { create, prune, compact, check };
});

/** @internal */
export const createSchema = (): ReturnType<typeof borgSchemas>['create'] => borgSchemas().create;
/** @internal */
export const pruneSchema = (): ReturnType<typeof borgSchemas>['prune'] => borgSchemas().prune;
/** @internal */
export const compactSchema = (): ReturnType<typeof borgSchemas>['compact'] => borgSchemas().compact;
/** @internal */
export const checkSchema = (): ReturnType<typeof borgSchemas>['check'] => borgSchemas().check;

/**
 * Options every borg task takes. Validated when the factory is called: a `ConfigError` lists every
 * problem with its path.
 *
 * @example
 * ```ts
 * const common: BorgCommonOptions = { repository: 'ssh://backup@nas/./web', passcommand: 'cat /etc/borg/web.pass', env: { BORG_RSH: 'ssh -i /etc/borg/id_ed25519' } }
 * ```
 */
export interface BorgCommonOptions {
  /** The repository: a path, or a URL such as `ssh://user@host/./repo`. */
  readonly repository: string;
  /**
   * The repository passphrase, given to borg as `BORG_PASSPHRASE` (never on the command line) and
   * redacted from output, events, errors and results. Leave it out for unencrypted repositories:
   * borg then fails with its own message instead of prompting.
   */
  readonly passphrase?: string | undefined;
  /** A command that prints the passphrase, given to borg as `BORG_PASSCOMMAND` (borg runs it). */
  readonly passcommand?: string | undefined;
  /**
   * Extra environment for borg (`BORG_CACHE_DIR`, `BORG_RSH`, `BORG_BASE_DIR`, …), over the job's.
   * @default {}
   */
  readonly env?: Readonly<Record<string, EnvValue>> | undefined;
  /**
   * The borg executable.
   * @default 'borg'
   */
  readonly borgBinary?: string | undefined;
  /** More borg options, placed after jobhooks' own options and before the repository. */
  readonly extraArgs?: readonly string[] | undefined;
  /**
   * How long borg waits for the repository lock: seconds (0: do not wait) or a duration string.
   * @default borg's own default, 1 second
   */
  readonly lockWait?: Duration | undefined;
  /** The task's name in results, events and notifications. */
  readonly name?: string | undefined;
  /** Whether a failure fails the job; defaults differ per task (create: `true`, others `false`). */
  readonly critical?: boolean | undefined;
  /**
   * Extra attempts after borg failed on a lock timeout or a dropped connection (docs/borg.md); other failures are not retried.
   * @default 0
   */
  readonly retries?: number | undefined;
  /**
   * The wait before the second attempt (0, seconds or a duration string); it doubles for each one after, ±20 %.
   * @default '10s'
   */
  readonly retryDelay?: Duration | undefined;
  /**
   * The longest wait between two attempts.
   * @default '5m'
   */
  readonly retryDelayMax?: Duration | undefined;
  /**
   * Seconds or a duration string.
   * A backup of real data takes hours, not the 5 minutes a hook gets, so borg tasks do not use the
   * pipeline's `defaults.timeout`: they get a day unless you say otherwise.
   * @default '24h'
   */
  readonly timeout?: Duration | undefined;
  /**
   * Time between SIGTERM and SIGKILL when the task times out or the job is cancelled: at least 5 s
   * (5 s), since borg killed sooner leaves a stale repository lock. The
   * pipeline's `defaults.killGrace` does not apply to borg tasks.
   * @default '10s'
   */
  readonly killGrace?: Duration | undefined;
  /**
   * Treat borg's warnings (exit code 1, or 100–127 with borg ≥ 1.4) as a failure.
   * @default false
   */
  readonly warningsAreErrors?: boolean | undefined;
}

/**
 * Options of {@link borgCreate}: what to back up, into which archive, and how.
 *
 * @example
 * ```ts
 * const options: BorgCreateOptions = { repository: '/srv/borg/web', paths: ['/var/www'], exclude: [String.raw`re:\.tmp$`], compression: 'zstd,6' }
 * ```
 */
export interface BorgCreateOptions extends BorgCommonOptions {
  /** What to back up: files and directories. */
  readonly paths: readonly string[];
  /**
   * The archive name; borg expands placeholders such as `{hostname}` and `{now}`.
   * @default '{hostname}-{now:%Y-%m-%dT%H:%M:%S}'
   */
  readonly archive?: string | undefined;
  /** Exclude patterns (`--exclude`), passed untouched: `re:\.tmp$`, `sh:**\/cache`. */
  readonly exclude?: readonly string[] | undefined;
  /** Files of exclude patterns (`--exclude-from`). */
  readonly excludeFrom?: readonly string[] | undefined;
  /** Include/exclude patterns (`--pattern`), passed untouched: `-re:^/data/(a|b)$`, `+sh:/data/keep`. */
  readonly patterns?: readonly string[] | undefined;
  /** Files of patterns (`--patterns-from`). */
  readonly patternsFrom?: readonly string[] | undefined;
  /**
   * Compression (`--compression`): `lz4`, `zstd,10`, `auto,zstd`, `none`, …
   * @default borg's default, `lz4`
   */
  readonly compression?: string | undefined;
  /**
   * Skip directories holding a `CACHEDIR.TAG` (`--exclude-caches`).
   * @default false
   */
  readonly excludeCaches?: boolean | undefined;
  /** Skip directories holding a file of one of these names (`--exclude-if-present`). */
  readonly excludeIfPresent?: readonly string[] | undefined;
  /**
   * Stay on one file system (`--one-file-system`).
   * @default false
   */
  readonly oneFileSystem?: boolean | undefined;
  /** The archive's comment (`--comment`). */
  readonly comment?: string | undefined;
  /**
   * List each file in the output as borg handles it (`--list`): `A /data/new.txt`.
   * @default false
   */
  readonly list?: boolean | undefined;
  /** With `list`, only these status characters (`--filter`), e.g. `AME`. */
  readonly listFilter?: string | undefined;
}

/**
 * How many archives {@link borgPrune} keeps, per rule (borg's `--keep-*` options). At least one rule;
 * borg applies them in the order below, each to the archives no earlier rule kept.
 *
 * @example
 * ```ts
 * const keep: BorgKeepRules = { within: '2d', daily: 7, weekly: 4, monthly: 6 }
 * ```
 */
export interface BorgKeepRules {
  /** Keep everything within this interval: `48H`, `7d`, `4w`, `6m`, `1y`. */
  readonly within?: string | undefined;
  /** Keep the last N archives (`--keep-last`, which borg treats as `--keep-secondly`). */
  readonly last?: number | undefined;
  /** Keep the newest archive of each of the last N seconds that have one. */
  readonly secondly?: number | undefined;
  /** Keep the newest archive of each of the last N minutes that have one. */
  readonly minutely?: number | undefined;
  /** Keep the newest archive of each of the last N hours that have one. */
  readonly hourly?: number | undefined;
  /** Keep the newest archive of each of the last N days that have one. */
  readonly daily?: number | undefined;
  /** Keep the newest archive of each of the last N weeks that have one. */
  readonly weekly?: number | undefined;
  /** Keep the newest archive of each of the last N months that have one. */
  readonly monthly?: number | undefined;
  /** Keep the newest archive of each of the last N years that have one. */
  readonly yearly?: number | undefined;
}

/**
 * Options of {@link borgPrune}: the retention policy and which archives it applies to.
 *
 * @example
 * ```ts
 * const options: BorgPruneOptions = { repository: '/srv/borg/web', keep: { daily: 7, weekly: 4 }, glob: 'web-*' }
 * ```
 */
export interface BorgPruneOptions extends BorgCommonOptions {
  /** The retention policy; at least one rule. */
  readonly keep: BorgKeepRules;
  /** Only consider archives whose names match this glob (`--glob-archives`), e.g. `'web-*'`. */
  readonly glob?: string | undefined;
  /**
   * Only report what would be pruned (`--dry-run`).
   * @default false
   */
  readonly dryRun?: boolean | undefined;
}

/**
 * Options of {@link borgCompact}.
 *
 * @example
 * ```ts
 * const options: BorgCompactOptions = { repository: '/srv/borg/web', threshold: 5 }
 * ```
 */
export interface BorgCompactOptions extends BorgCommonOptions {
  /**
   * Compact segments with at least this percentage of freeable space (`--threshold`).
   * @default borg's default, 10
   */
  readonly threshold?: number | undefined;
}

/**
 * Options of {@link borgCheck}: what to check. `repositoryOnly` cannot be combined with the options
 * that select or read archives.
 *
 * @example
 * ```ts
 * const options: BorgCheckOptions = { repository: '/srv/borg/web', lastArchives: 3, verifyData: true }
 * ```
 */
export interface BorgCheckOptions extends BorgCommonOptions {
  /**
   * Only check the repository (`--repository-only`).
   * @default false
   */
  readonly repositoryOnly?: boolean | undefined;
  /**
   * Only check the archives (`--archives-only`).
   * @default false
   */
  readonly archivesOnly?: boolean | undefined;
  /**
   * Read, decrypt and verify all archive data (`--verify-data`): slow, thorough.
   * @default false
   */
  readonly verifyData?: boolean | undefined;
  /** Only check the last N archives (`--last`). */
  readonly lastArchives?: number | undefined;
  /** Only check archives whose names match this glob (`--glob-archives`). */
  readonly glob?: string | undefined;
}

/** Options after validation: what the tasks read. */
export interface ResolvedCommon {
  readonly repository: string;
  readonly passphrase: string | undefined;
  readonly passcommand: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly borgBinary: string;
  readonly extraArgs: readonly string[];
  readonly lockWaitSeconds: number | undefined;
  readonly name: string | undefined;
  readonly critical: boolean | undefined;
  readonly timeout: Duration;
  readonly killGrace: Duration;
  readonly warningsAreErrors: boolean;
  readonly retries: number | undefined;
  readonly retryDelay: Duration | undefined;
  readonly retryDelayMax: Duration | undefined;
}

/** The part of the options every borg task shares, with defaults applied. */
export function resolveCommon(options: z.output<ReturnType<typeof createSchema>> | z.output<ReturnType<typeof pruneSchema>> | z.output<ReturnType<typeof compactSchema>> | z.output<ReturnType<typeof checkSchema>>): ResolvedCommon {
  return {
    repository: options.repository,
    passphrase: options.passphrase,
    passcommand: options.passcommand,
    env: { ...options.env },
    borgBinary: options.borgBinary ?? DEFAULTS.borg.binary,
    extraArgs: [...(options.extraArgs ?? [])],
    lockWaitSeconds: options.lockWait === undefined ? undefined : Math.ceil((durationToMs(options.lockWait) ?? 0) / 1000),
    name: options.name,
    critical: options.critical,
    timeout: options.timeout ?? DEFAULTS.borg.timeout,
    killGrace: options.killGrace ?? DEFAULTS.borg.killGrace,
    warningsAreErrors: options.warningsAreErrors ?? false,
    retries: options.retries,
    retryDelay: options.retryDelay,
    retryDelayMax: options.retryDelayMax,
  };
}
