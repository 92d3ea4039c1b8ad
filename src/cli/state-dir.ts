import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The state directory of a root process (docs/cli.md, "The state directory"). */
export const ROOT_STATE_DIR = '/var/lib/jobhooks';

/** The environment variable naming the state directory when `--state-dir` is not given. */
export const STATE_DIR_VARIABLE = 'JOBHOOKS_STATE_DIR';

/** What decides the state directory besides the command line. */
export interface StateDirContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The effective user id; `undefined` where there is none (Windows). */
  readonly uid: number | undefined;
  /** The directory relative paths are read against. */
  readonly cwd: string;
}

/**
 * Where the journal lives: `--state-dir DIR`, else `JOBHOOKS_STATE_DIR`, else `/var/lib/jobhooks` for
 * root and `${XDG_STATE_HOME:-$HOME/.local/state}/jobhooks` for others (docs/cli.md). A relative
 * directory is read against the working directory; a relative `XDG_STATE_HOME` is ignored, as the
 * XDG specification says.
 *
 * @example
 * ```ts
 * stateDirectory(undefined, { env: { HOME: '/home/ann' }, uid: 1000, cwd: '/' }) // '/home/ann/.local/state/jobhooks'
 * ```
 */
export function stateDirectory(flag: string | undefined, context: StateDirContext): string {
  const { env, uid, cwd } = context;
  const chosen = flag ?? nonEmpty(env[STATE_DIR_VARIABLE]);
  if (chosen !== undefined) return resolve(cwd, chosen);
  if (uid === 0) return ROOT_STATE_DIR;
  const xdg = nonEmpty(env['XDG_STATE_HOME']);
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'jobhooks');
  return join(nonEmpty(env['HOME']) ?? homedir(), '.local', 'state', 'jobhooks');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The journal key of a config file: its real absolute path, so that `./nightly.yaml`, a symlink
 * to it and its full path are one job. Rejects as `fs.realpath` does (ENOENT for a missing file).
 */
export function journalKey(file: string, cwd: string): Promise<string> {
  return realpath(resolve(cwd, file));
}
