import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShellExecutor } from '../../src/executor/shell-executor.js';
import { parseShebang, removeScript, removeScriptDirsSync, scriptText, writeScript } from '../../src/executor/script-file.js';
import { run } from './helpers.js';

describe('parseShebang', () => {
  it.each([
    ['#!/bin/bash\necho hi', { interpreter: '/bin/bash', args: [] }],
    ['#!/usr/bin/env python3\nprint(1)', { interpreter: '/usr/bin/env', args: ['python3'] }],
    ['# Python hook\n#!/usr/bin/env python3\nprint(1)', { interpreter: '/usr/bin/env', args: ['python3'] }],
    ['\n   \n# a\n#b\n#!/bin/sh', { interpreter: '/bin/sh', args: [] }],
    ['  #!/bin/sh  \n', { interpreter: '/bin/sh', args: [] }],
    ['#! /usr/bin/env  -S python3 -u \r\nx', { interpreter: '/usr/bin/env', args: ['-S python3 -u'] }],
    ['#!/usr/bin/pwsh -NoProfile\nWrite-Output 1', { interpreter: '/usr/bin/pwsh', args: ['-NoProfile'] }],
  ])('%j is a script', (command, shebang) => {
    expect(parseShebang(command)).toEqual(shebang);
  });

  it.each([
    ['echo hi'],
    ['echo hi\n#!/bin/bash'],
    ['# only comments\n# here'],
    [''],
    ['#!'],
    ['#!   \necho'],
    ['set -e\n#!/usr/bin/env python3'],
  ])('%j is shell text', (command) => {
    expect(parseShebang(command)).toBeNull();
  });
});

describe('scriptText', () => {
  it('moves the #! line first and blanks the lines before it, so later lines keep their numbers', () => {
    expect(scriptText('# Python hook\n\n#!/usr/bin/env python3\nline4', 2)).toBe('#!/usr/bin/env python3\n\n\nline4');
    expect(scriptText('#!/bin/sh\necho', 0)).toBe('#!/bin/sh\necho');
  });
});

describe('writeScript / removeScript', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'jobhooks-script-test-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes nothing for shell text', async () => {
    expect(await writeScript('echo hi', root)).toBeNull();
    expect(readdirSync(root)).toEqual([]);
  });

  it('writes a 0700 file in a private 0700 directory, and removes both', async () => {
    const script = await writeScript('# x\n#!/usr/bin/env python3\nprint(1)\n', root);
    expect(script).not.toBeNull();
    if (script === null) return;
    expect(statSync(script.dir).mode & 0o777).toBe(0o700);
    expect(statSync(script.path).mode & 0o777).toBe(0o700);
    expect(basename(script.path)).toBe('hook');
    expect(readFileSync(script.path, 'utf8')).toBe('#!/usr/bin/env python3\n\nprint(1)\n');
    await removeScript(script);
    expect(readdirSync(root)).toEqual([]);
    // Removing twice is harmless.
    await removeScript(script);
  });

  it('names PowerShell scripts *.ps1, which pwsh requires', async () => {
    for (const command of ['#!/usr/bin/env pwsh\nWrite-Output 1', '#!/usr/bin/pwsh -NoProfile\n1', '#!/usr/bin/env -S pwsh -NoProfile\n1']) {
      const script = await writeScript(command, root);
      expect(script === null ? null : basename(script.path)).toBe('hook.ps1');
      if (script !== null) await removeScript(script);
    }
  });

  it('fails without leaving anything when the temp root does not exist', async () => {
    await expect(writeScript('#!/bin/sh\n', join(root, 'missing'))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('removeScriptDirsSync() removes every script directory still there, synchronously, and only those', async () => {
    const first = await writeScript('#!/bin/sh\necho 1', root);
    const second = await writeScript('#!/bin/sh\necho 2', root);
    const done = await writeScript('#!/bin/sh\necho 3', root);
    if (first === null || second === null || done === null) throw new Error('not written');
    await removeScript(done);
    // A directory of the same name made by someone else after its script was removed is not ours any more.
    mkdirSync(done.dir);
    expect(readdirSync(root).sort()).toEqual([first.dir, second.dir, done.dir].map((dir) => basename(dir)).sort());
    removeScriptDirsSync();
    expect(readdirSync(root)).toEqual([basename(done.dir)]);
    // Again, and removeScript after it: harmless.
    removeScriptDirsSync();
    await removeScript(first);
    expect(readdirSync(root)).toEqual([basename(done.dir)]);
  });

  it('removeScriptDirsSync() during a running shebang command removes its directory; the command still ends normally', async () => {
    const executor = new ShellExecutor({ tempDir: root });
    let inUse: string[] = [];
    let afterRemoval: string[] = [];
    const { result, stdout } = await run(executor, {
      command: '#!/bin/sh\necho started\nsleep 0.3\necho "done $0"',
      onOutput: (line) => {
        if (line !== 'started') return;
        inUse = readdirSync(root);
        removeScriptDirsSync();
        afterRemoval = readdirSync(root);
      },
    });
    expect(inUse).toHaveLength(1);
    expect(afterRemoval).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(stdout).toEqual(['started', `done ${join(root, inUse[0] ?? '', 'hook')}`]);
    expect(readdirSync(root)).toEqual([]);
  });
});
