import { CUT_MARKER_AT_START } from './executor/line-splitter.js';
import type { JsonValue, Repository } from './types.js';

/** What the engine knows about a task when it builds that task's environment (docs/environment.md). */
export interface TaskEnvContext {
  readonly prefix: string;
  /** The parent environment as {@link parentEnvironment} returned it. */
  readonly parentEnv: Readonly<Record<string, string>>;
  readonly jobEnv: Readonly<Record<string, string>>;
  readonly taskEnv: Readonly<Record<string, string>>;
  readonly context: Readonly<Record<string, string | number | boolean>>;
  readonly repository: Repository | undefined;
  readonly taskIndex: number;
  readonly jobType: string;
  readonly jobId: string;
  readonly hook: { readonly name: string; readonly phase: 'pre' | 'post' } | undefined;
  readonly jobStatus: 'success' | 'warning' | 'failure' | 'cancelled' | 'skipped';
  /** The attempt this environment is for, 1-based (docs/hooks.md#retries); absent: no `<P>ATTEMPT`. */
  readonly attempt?: number | undefined;
  readonly failedTask: { readonly name: string; readonly error: string | null } | undefined;
}

/** The variables kept from the parent environment when `inheritEnv` is `false`. */
export const MINIMAL_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

/**
 * Copies what a job's children inherit from the parent environment, once per run: all of it
 * (or only `PATH`, `HOME`, `LANG`, `TZ` without `inheritEnv`), minus variables that carry the prefix,
 * so a job started from a hook does not inherit its parent job's `FAILED_TASK`, `JOB_ID`, …
 * Reading `process.env` is slow (each read asks the C library), so tasks share this copy.
 */
export function parentEnvironment(
  inheritEnv: boolean,
  prefix: string,
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of inheritEnv ? Object.keys(source) : MINIMAL_ENV_KEYS) {
    const value = source[key];
    if (value !== undefined && !key.startsWith(prefix)) env[key] = value;
  }
  return env;
}

/**
 * Builds a child's environment as a new object, in the order of docs/environment.md ("How a
 * task's environment is built"; later wins): the parent environment, the job's `env`, the task's `env`, then the prefixed context variables.
 * Never mutates its inputs.
 */
export function buildTaskEnv(context: TaskEnvContext): Record<string, string> {
  const env: Record<string, string> = { ...context.parentEnv, ...context.jobEnv, ...context.taskEnv };
  const p = context.prefix;
  for (const [key, value] of Object.entries(context.context)) env[p + key.toUpperCase()] = String(value);
  if (context.repository?.id !== undefined) env[`${p}REPOSITORY_ID`] = String(context.repository.id);
  if (context.repository?.name !== undefined) env[`${p}REPOSITORY_NAME`] = context.repository.name;
  env[`${p}TASK_INDEX`] = String(context.taskIndex);
  env[`${p}JOB_TYPE`] = context.jobType;
  env[`${p}JOB_ID`] = context.jobId;
  if (context.hook !== undefined) {
    env[`${p}HOOK_NAME`] = context.hook.name;
    env[`${p}HOOK_PHASE`] = context.hook.phase;
  }
  env[`${p}JOB_STATUS`] = context.jobStatus;
  if (context.attempt !== undefined) env[`${p}ATTEMPT`] = String(context.attempt);
  if (context.failedTask !== undefined) {
    env[`${p}FAILED_TASK`] = context.failedTask.name;
    env[`${p}ERROR`] = context.failedTask.error ?? '';
  }
  return env;
}

/** Replaces secrets in text with `***`. */
export type Redactor = (text: string) => string;

/** The text that stands in for a secret. */
export const REDACTED = '***';

/**
 * Makes a function that replaces every occurrence of each secret with `***`. Longer secrets are
 * replaced first, so a secret that contains another is hidden whole. Empty strings are ignored.
 */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const unique = [...new Set(secrets)].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  if (unique.length === 0) return (text) => text;
  return (text) => {
    let redacted = text;
    for (const secret of unique) {
      if (redacted.includes(secret)) redacted = redacted.replaceAll(secret, REDACTED);
    }
    return redacted;
  };
}

/**
 * Redacts text that starts inside a line (its beginning was cut away): as `redact`, and the end of a
 * secret it may begin with goes too — that secret's start is gone, so `redact` cannot recognise it.
 * `secrets`: those `redact` replaces.
 */
export function redactFromCut(text: string, secrets: readonly string[], redact: Redactor): string {
  const redacted = redact(text);
  let cut = 0;
  for (const secret of secrets) {
    for (let kept = Math.min(secret.length - 1, redacted.length); kept > cut; kept -= 1) {
      if (redacted.startsWith(secret.slice(secret.length - kept))) {
        cut = kept;
        break;
      }
    }
  }
  return redacted.slice(cut);
}

/**
 * A {@link Redactor} for whole lines of a command's output: a line the executor cut (its
 * `[… N bytes cut] ` marker in front) also loses the end of a secret it begins with.
 *
 * @example
 * ```ts
 * const redact = createLineRedactor(['hunter2'])
 * redact('[… 9 bytes cut] er2 then more') // '[… 9 bytes cut]  then more'
 * ```
 */
export function createLineRedactor(secrets: Iterable<string>): Redactor {
  return createRedaction(secrets).redactLine;
}

/**
 * A run's secrets with the redactors made from them, built once per run and shared by its tasks (each
 * task's output tail redacts with them when read).
 */
export interface Redaction {
  /** Whether there is any secret to hide: without one, text is kept as it is. */
  readonly any: boolean;
  /** The secrets longer than one character: those whose end a cut line can begin with. */
  readonly cuttable: readonly string[];
  /** As {@link createRedactor}. */
  readonly redact: Redactor;
  /** As {@link createLineRedactor}. */
  readonly redactLine: Redactor;
}

/** Builds the {@link Redaction} of `secrets` (empty strings are ignored). */
export function createRedaction(secrets: Iterable<string>): Redaction {
  const all = [...new Set(secrets)].filter((secret) => secret.length > 0);
  const redact = createRedactor(all);
  // A one-character secret has no end to lose that is not the whole of it.
  const cuttable = all.filter((secret) => secret.length > 1);
  const redactLine: Redactor =
    cuttable.length === 0
      ? redact
      : (line) => {
          const marker = line.startsWith('[… ') ? CUT_MARKER_AT_START.exec(line) : null;
          return marker === null ? redact(line) : marker[0] + redactFromCut(line.slice(marker[0].length), cuttable, redact);
        };
  return { any: all.length > 0, cuttable, redact, redactLine };
}

/**
 * Keys whose values are codes and identifiers that callers branch on or parse (borg's `errorId` and
 * `msgid`, `status`, `type`, `phase`, `reason`, an archive's `id` and times, …): their values are
 * never redacted, so a short secret (`o`) cannot turn `Repository.DoesNotExist` into
 * `Repository.DoesNotE***ist` (docs/embedding.md#secrets-and-the-data-a-task-returns).
 */
export const CODE_KEYS: ReadonlySet<string> = new Set([
  'errorId',
  'msgid',
  'code',
  'exitCode',
  'signal',
  'status',
  'type',
  'phase',
  'reason',
  'kind',
  'level',
  'operation',
  'id',
  'rule',
  'time',
  'start',
  'end',
]);

/** A key written like a field name (`errorId`, `original_size`, `kept`): structure, not text. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces secrets in the text of a JSON value; returns a new value. Redaction is for text (output,
 * messages, names, paths), never for what callers branch on or look up: values under
 * {@link CODE_KEYS} are kept as they are, and so are keys written like field names (letters, digits,
 * `_`), whatever the secret. Any other key (a URL, a path, `s3cr3t-key`) is text and is redacted.
 *
 * @example
 * ```ts
 * redactJson({ errorId: 'Repository.DoesNotExist', message: 'no repo' }, createRedactor(['o']))
 * // { errorId: 'Repository.DoesNotExist', message: 'n*** rep***' }
 * ```
 */
export function redactJson(value: JsonValue, redact: Redactor): JsonValue {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, redact));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [FIELD_NAME.test(key) ? key : redact(key), CODE_KEYS.has(key) ? item : redactJson(item, redact)]),
    );
  }
  return value;
}
