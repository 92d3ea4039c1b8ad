import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirectories, makeDirectoriesSync } from '../src/make-directories.js';

describe('makeDirectories / makeDirectoriesSync: mkdir -p, one directory at a time', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const variants = [
    ['async', (path: string, mode: number) => makeDirectories(path, mode)],
    ['sync', async (path: string, mode: number) => makeDirectoriesSync(path, mode)],
  ] as const;

  for (const [name, make] of variants) {
    it(`${name}: makes the missing parents with the mode, accepts a directory already there, says what is in the way`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'jobhooks-mkdir-'));
      const deep = join(dir, 'a', 'b', 'c');
      await make(deep, 0o700);
      for (const path of [join(dir, 'a'), join(dir, 'a', 'b'), deep]) expect(statSync(path).mode & 0o777).toBe(0o700);
      await expect(make(deep, 0o700)).resolves.toBeUndefined();
      writeFileSync(join(dir, 'file'), '');
      await expect(make(join(dir, 'file'), 0o700)).rejects.toMatchObject({ code: 'EEXIST' });
      await expect(make(join(dir, 'file', 'x', 'y'), 0o700)).rejects.toMatchObject({ code: 'ENOTDIR' });
    });
  }

  it('async: under /proc, where Node\'s recursive mkdir never returns, it fails at once with the directory\'s own error', async () => {
    await expect(makeDirectories('/proc/self/no-such-dir/x', 0o700)).rejects.toMatchObject({ code: 'ENOENT', path: '/proc/self/no-such-dir' });
  });
});
