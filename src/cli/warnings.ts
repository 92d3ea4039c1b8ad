import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { formatPath } from '../errors.js';
import { printable } from '../printable.js';

/**
 * Something in a valid config file that will probably fail at run time: said before anything runs,
 * never a reason to refuse the file (a `cwd` may be made by an earlier hook). See docs/cli.md.
 */
export interface ConfigWarning {
  /** Where it is in the file: `preHooks[0].cwd`. */
  readonly path: string;
  /** What will go wrong, in words. */
  readonly message: string;
}

/** The shortest secret redacted without harm: shorter ones match inside ordinary words. */
export const MIN_SECRET_LENGTH = 4;

const HOOK_LISTS = ['preHooks', 'pre_job_hooks', 'postHooks', 'post_job_hooks'] as const;

type Json = Readonly<Record<string, unknown>>;

/**
 * The run-time problems a valid config file is likely to meet, each with its path: a `cwd` that does not
 * exist, a `shell` that is not an executable file, a borg `compression` borg will refuse,
 * `passcommand` while `BORG_PASSPHRASE` is inherited, a secret shorter than 4 characters.
 *
 * @example
 * ```ts
 * configWarnings({ preHooks: [{ name: 'a', command: 'b', cwd: '/nope' }] }, process.env)
 * // [{ path: 'preHooks[0].cwd', message: 'directory does not exist: /nope (it may be created by an earlier hook)' }]
 * ```
 */
export function configWarnings(file: Json, env: Readonly<Record<string, string | undefined>>): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const add = (path: readonly PropertyKey[], message: string | undefined): void => {
    if (message !== undefined) warnings.push({ path: formatPath(path), message });
  };
  const searchPath = own(env, 'PATH') ?? '';
  const checkPlace = (entry: Json, path: readonly PropertyKey[]): void => {
    for (const key of ['cwd', 'working_directory']) {
      const cwd = own(entry, key);
      if (typeof cwd === 'string') add([...path, key], cwdProblem(cwd));
    }
    const shell = own(entry, 'shell');
    if (typeof shell === 'string') add([...path, 'shell'], shellProblem(shell, searchPath));
  };

  for (const [key, value] of Object.entries(file)) {
    if (key === 'defaults' && isObject(value)) checkPlace(value, ['defaults']);
    if ((HOOK_LISTS as readonly string[]).includes(key)) hookList(value).forEach((hook, index) => checkPlace(hook, [key, index]));
    if (key === 'tasks' && Array.isArray(value)) {
      value.forEach((task: unknown, index) => {
        if (!isObject(task)) return;
        const path = ['tasks', index];
        if (own(task, 'borg') === undefined) checkPlace(task, path);
        const compression = own(task, 'compression');
        if (typeof compression === 'string') add([...path, 'compression'], compressionProblem(compression));
        if (own(task, 'passcommand') !== undefined && passphraseInherited(file, env)) {
          add(
            [...path, 'passcommand'],
            'BORG_PASSPHRASE is set in the environment the job inherits, and borg would use it instead of passcommand: the task will fail (unset BORG_PASSPHRASE or set inheritEnv: false)',
          );
        }
      });
    }
  }
  for (const { path, length } of shortSecrets(file, env)) {
    add(path, `a secret of ${length} character${length === 1 ? '' : 's'} is redacted wherever those characters appear, even inside words: use one of at least ${MIN_SECRET_LENGTH}`);
  }
  return warnings;
}

/** `warning: <path>: <message>` lines, for stderr. */
export function formatWarnings(warnings: readonly ConfigWarning[]): string {
  return warnings.map((warning) => `warning: ${printable(warning.path === '' ? '(root)' : warning.path)}: ${printable(warning.message)}\n`).join('');
}

function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `not a directory: ${cwd}`;
  } catch {
    return `directory does not exist: ${cwd} (it may be created by an earlier hook)`;
  }
}

function shellProblem(shell: string, searchPath: string): string | undefined {
  if (!shell.includes('/')) {
    const found = searchPath.split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, shell)));
    return found ? undefined : `shell not found in PATH: ${shell}`;
  }
  const file = isAbsolute(shell) ? shell : resolve(shell);
  try {
    if (!statSync(file).isFile()) return `shell is not an executable file: ${shell}`;
  } catch {
    return `shell not found: ${shell}`;
  }
  return isExecutableFile(file) ? undefined : `shell is not executable: ${shell}`;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

const LEVELS: Readonly<Record<string, readonly [number, number] | null>> = {
  none: null,
  lz4: null,
  zstd: [1, 22],
  zlib: [0, 9],
  lzma: [0, 9],
};

/**
 * Checks a compression spec against borg's grammar: `none`, `lz4`, `zstd[,1-22]`, `zlib[,0-9]`,
 * `lzma[,0-9]`, `auto,<spec>`, `obfuscate,<1-6, 110-123 or 250>,<spec>`.
 */
export function compressionProblem(spec: string): string | undefined {
  const valid = (parts: readonly string[]): boolean => {
    const [name, ...rest] = parts;
    if (name === 'auto') return rest.length > 0 && rest[0] !== 'auto' && rest[0] !== 'obfuscate' && valid(rest);
    if (name === 'obfuscate') {
      const level = Number(rest[0]);
      const levelOk = /^\d+$/.test(rest[0] ?? '') && ((level >= 1 && level <= 6) || (level >= 110 && level <= 123) || level === 250);
      return levelOk && rest.length > 1 && rest[1] !== 'obfuscate' && valid(rest.slice(1));
    }
    if (name === undefined || !Object.hasOwn(LEVELS, name)) return false;
    const range = LEVELS[name];
    if (rest.length === 0) return true;
    if (range === undefined || rest.length !== 1 || !/^\d+$/.test(rest[0] ?? '')) return false;
    // borg ignores a level given to none or lz4.
    const level = Number(rest[0]);
    return range === null || (level >= range[0] && level <= range[1]);
  };
  return valid(spec.split(',')) ? undefined : `borg will refuse this compression: ${JSON.stringify(spec)}; use none, lz4, zstd[,1-22], zlib[,0-9], lzma[,0-9], auto,<spec> or obfuscate,<level>,<spec>`;
}

function passphraseInherited(file: Json, env: Readonly<Record<string, string | undefined>>): boolean {
  const jobEnv = own(file, 'env');
  if (isObject(jobEnv) && own(jobEnv, 'BORG_PASSPHRASE') !== undefined) return true;
  return own(file, 'inheritEnv') !== false && own(env, 'BORG_PASSPHRASE') !== undefined;
}

/** Secrets shorter than {@link MIN_SECRET_LENGTH}: in `secrets`, a borg `passphrase`, or read with `{ "env": "NAME" }` anywhere. */
function shortSecrets(file: Json, env: Readonly<Record<string, string | undefined>>): Array<{ path: PropertyKey[]; length: number }> {
  const found: Array<{ path: PropertyKey[]; length: number }> = [];
  const check = (value: unknown, path: PropertyKey[]): void => {
    const text = typeof value === 'string' ? value : envRef(value, env);
    if (text !== undefined && text.length > 0 && text.length < MIN_SECRET_LENGTH) found.push({ path, length: text.length });
  };
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (path.length > 6 || !isObject(value)) return;
    if (envRef(value, env) !== undefined) {
      check(value, path);
      return;
    }
    for (const [key, child] of Object.entries(value)) walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
  };
  const secrets = own(file, 'secrets');
  if (Array.isArray(secrets)) secrets.forEach((secret: unknown, index) => check(secret, ['secrets', index]));
  const tasks = own(file, 'tasks');
  if (Array.isArray(tasks)) {
    tasks.forEach((task: unknown, index) => {
      // A `{ "env": … }` passphrase is found by the walk below.
      const passphrase = isObject(task) ? own(task, 'passphrase') : undefined;
      if (typeof passphrase === 'string') check(passphrase, ['tasks', index, 'passphrase']);
    });
  }
  for (const [key, value] of Object.entries(file)) if (key !== 'secrets') walk(value, [key]);
  return found.sort((a, b) => formatPath(a.path).localeCompare(formatPath(b.path)));
}

/** The value of a `{ "env": "NAME" }` reference, when `value` is one. */
function envRef(value: unknown, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (!isObject(value) || Array.isArray(value) || Object.keys(value).length !== 1) return undefined;
  const name = own(value, 'env');
  return typeof name === 'string' ? own(env, name) : undefined;
}

function hookList(value: unknown): Json[] {
  let list = value;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list) as unknown;
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.map((hook: unknown) => (isObject(hook) ? hook : {})) : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

function own<T>(object: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
