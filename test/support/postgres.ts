import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort } from './servers.js';

const run = promisify(execFile);

// PostgreSQL's server binaries: on PATH (the image links them into /usr/local/bin), else Debian's own place.
const SERVER_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const initdb = findExecutable('initdb') ?? findExecutable('initdb', SERVER_DIRS);
const pgCtl = findExecutable('pg_ctl') ?? findExecutable('pg_ctl', SERVER_DIRS);

/** `true` when a private PostgreSQL cluster can be made; the PostgreSQL half of the queue suites is skipped otherwise. */
export const postgresInstalled = initdb !== undefined && pgCtl !== undefined;

/** The tag of every suite that needs PostgreSQL's server (counted by the skip reporter, docs/testing.md). */
export const POSTGRES_TAG = 'postgres';

export const POSTGRES_INSTALL_HINT = 'apt-get install postgresql';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication: the cluster is private). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Makes a private cluster in a temp directory (initdb) and starts it on a free port of 127.0.0.1 with
 * a socket directory of its own. As root, both run as the `postgres` user (the server refuses root).
 */
export async function startPostgres(): Promise<PostgresServer> {
  if (initdb === undefined || pgCtl === undefined) throw new Error(`PostgreSQL server not installed: ${POSTGRES_INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'jobhooks-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (file: string, args: string[]): Promise<unknown> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  await as(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  await as(pgCtl, ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await as(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
