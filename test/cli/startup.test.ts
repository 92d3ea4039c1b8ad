import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, PACKAGE_VERSION, tempDir } from './helpers.js';

const DIST = dirname(CLI);

/** What `file` requires that is not one of Node's own modules (`require("./chunk-X.js")`, a package). */
function nonBuiltinRequires(file: string): string[] {
  const text = readFileSync(join(DIST, file), 'utf8');
  return [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1] ?? '').filter((name) => !isBuiltin(name));
}

/** Runs `node <dir>/cli.cjs …args` with nothing but the copied files: no node_modules above /tmp. */
function runCopy(dir: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(dir, 'cli.cjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the CLI start-up (docs/performance.md, "CLI start-up")', () => {
  let temp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => temp?.remove());

  it('answers --version, --help and a usage error from cli.cjs alone: they load none of the engine, zod or yaml', () => {
    temp = tempDir();
    // cli.cjs requires nothing but Node's own modules, and only the few every command needs: each
    // more (fs/promises, crypto, child_process: 1–4 ms each) would be paid by --version too.
    expect(nonBuiltinRequires('cli.cjs')).toEqual([]);
    const builtins = [...readFileSync(join(DIST, 'cli.cjs'), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]);
    expect([...new Set(builtins)].sort()).toEqual(['fs', 'module', 'path', 'url', 'util', 'vm']);
    copyFileSync(join(DIST, 'cli.cjs'), join(temp.path, 'cli.cjs'));

    expect(runCopy(temp.path, ['--version'])).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    const help = runCopy(temp.path, ['--help']);
    expect([help.code, help.stderr, help.stdout.split('\n')[0]]).toEqual([0, '', 'jobhooks: run a job as pre-job hooks, main tasks, post-job hooks and a notification']);
    expect(runCopy(temp.path, ['frobnicate'])).toMatchObject({ code: 64, stdout: '' });
    // A command needs the commands bundle, and says so as an internal error rather than running half a job.
    expect(runCopy(temp.path, ['validate', 'job.json']).stderr).toMatch(/^jobhooks: internal error \(please report it\): Error: Cannot find module '.*\/cli-commands\.cjs'/);
  });

  it('runs with its own two files only: zod, yaml, cross-spawn and eventemitter3 are bundled into cli-commands.cjs', () => {
    temp = tempDir();
    for (const file of ['cli.cjs', 'cli-commands.cjs']) copyFileSync(join(DIST, file), join(temp.path, file));
    // The bundle requires nothing but Node's own modules and the optional peers of the queue commands.
    expect([...new Set(nonBuiltinRequires('cli-commands.cjs'))]).toEqual(['bullmq']);
    expect(readdirSync(temp.path).some((file) => file === 'node_modules')).toBe(false);

    temp.write('job.yaml', 'preHooks:\n  - { name: hello, command: echo hello from a hook }\n');
    expect(runCopy(temp.path, ['validate', 'job.yaml'])).toEqual({ code: 0, stdout: 'job.yaml is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n', stderr: '' });
    const run = runCopy(temp.path, ['run', 'job.yaml', '--no-journal']);
    expect([run.code, run.stderr, run.stdout.includes('hello from a hook')]).toEqual([0, '', true]);
    temp.write('bad.json', '{"preHooks": [{"name": "x"}]}');
    expect(runCopy(temp.path, ['validate', 'bad.json'])).toEqual({
      code: 64,
      stdout: '',
      stderr: 'jobhooks: invalid config bad.json (1 problem); nothing was run:\n  - preHooks[0].command: is required (expected string)\n',
    });
  });

  it('keeps both files ASCII: one other character makes V8 read the 750 KB bundle as a two-byte string at every start', () => {
    for (const file of ['cli.cjs', 'cli-commands.cjs']) {
      const offending = [...readFileSync(join(DIST, file), 'latin1').matchAll(/[^\x00-\x7f].{0,30}/g)].map((match) => match[0]);
      expect({ file, offending }).toEqual({ file, offending: [] });
    }
  });
});
