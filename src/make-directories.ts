/**
 * `mkdir -p`, one directory at a time, for every directory jobhooks makes (the journal's, the BullMQ
 * worker's pending runs, the CLI's code cache). Node's `mkdir({ recursive: true })` says ENOENT where
 * the real error is EROFS on a read-only file system, and under `/proc` it never returns (it makes the
 * parent, which exists, and tries the child again, for ever); this one stops at the first directory
 * that cannot be made, with that directory's own error.
 *
 * @internal
 */
// `promises` read at each call, not imported from node:fs/promises: the CLI's binary uses only the
// synchronous half and must not load the promise API at every start (docs/performance.md).
import { mkdirSync, promises, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Makes `path` and its missing parents, each with `mode`; a directory already there is fine. */
export async function makeDirectories(path: string, mode: number): Promise<void> {
  try {
    await promises.mkdir(path, { mode });
    return;
  } catch (error) {
    if (!parentMissing(error, path)) {
      if (isExisting(error) && (await promises.stat(path)).isDirectory()) return;
      throw error;
    }
  }
  // A parent is missing: make it, then this one (whose error, if any, is now its own).
  await makeDirectories(dirname(path), mode);
  try {
    await promises.mkdir(path, { mode });
  } catch (error) {
    if (!isExisting(error) || !(await promises.stat(path)).isDirectory()) throw error;
  }
}

/** {@link makeDirectories}, synchronously. */
export function makeDirectoriesSync(path: string, mode: number): void {
  try {
    mkdirSync(path, { mode });
    return;
  } catch (error) {
    if (!parentMissing(error, path)) {
      if (isExisting(error) && statSync(path).isDirectory()) return;
      throw error;
    }
  }
  makeDirectoriesSync(dirname(path), mode);
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    if (!isExisting(error) || !statSync(path).isDirectory()) throw error;
  }
}

function isExisting(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}

function parentMissing(error: unknown, path: string): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' && dirname(path) !== path;
}
