import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCacheDir, STALE_CACHE_MS } from '../../src/cli/code-cache.js';
import { CLI, tempDir } from './helpers.js';

const CHILD = new URL('./fixtures/code-cache-child.ts', import.meta.url).pathname;

/** Loads `file` through the code cache in a fresh process; what it printed. */
function load(file: string, cacheDir: string, name = 'validate', exitCode = 0, build?: string): { use: string; answer: number } {
  const args = [CHILD, file, cacheDir, name, String(exitCode), ...(build === undefined ? [] : [build])];
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { use: string; answer: number };
}

/** A CommonJS file with enough code for V8 to cache, exporting answer() → 42. */
function bundle(dir: string): string {
  const file = join(dir, 'bundle.cjs');
  const helpers = Array.from({ length: 50 }, (_, index) => `function helper${index}(x) { return x + ${index} - ${index}; }`).join('\n');
  writeFileSync(file, `'use strict';\n${helpers}\nexports.answer = () => helper7(helper3(42));\n`);
  return file;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('the code cache of the CLI\'s commands (docs/cli.md, "Start-up and its cache")', () => {
  let temp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => temp?.remove());

  it('is made by the first run, in a 0700 directory as a 0600 file, and used by the next; one file per command', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const cacheDir = join(temp.path, 'cache', 'jobhooks');
    expect(load(file, cacheDir)).toEqual({ use: 'created', answer: 42 });
    const [cache, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    expect(cache).toMatch(/^[0-9a-f]{8}-v\d+\.\d+\.\d+-\w+-\d+-\d+-validate\.v8$/);
    expect([mode(cacheDir), mode(join(cacheDir, cache ?? ''))]).toEqual([0o700, 0o600]);
    expect(load(file, cacheDir)).toEqual({ use: 'used', answer: 42 });
    expect(load(file, cacheDir, 'run')).toEqual({ use: 'created', answer: 42 });
    expect(readdirSync(cacheDir).map((entry) => entry.replace(/.*-/, '')).sort()).toEqual(['run.v8', 'validate.v8']);
  });

  it('is kept only from a run that did its work: one that stopped early (an invalid config) leaves none', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const cacheDir = join(temp.path, 'cache');
    expect(load(file, cacheDir, 'run', 64)).toEqual({ use: 'created', answer: 42 });
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : []).toEqual([]);
    expect(load(file, cacheDir, 'run', 64)).toEqual({ use: 'created', answer: 42 });
    expect(load(file, cacheDir, 'run')).toEqual({ use: 'created', answer: 42 });
    expect(load(file, cacheDir, 'run', 64)).toEqual({ use: 'used', answer: 42 });
  });

  it('a cache V8 refuses (damaged, or from another V8) is replaced; a new build of the file drops the old build\'s caches', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const cacheDir = join(temp.path, 'cache');
    load(file, cacheDir);
    const cache = join(cacheDir, readdirSync(cacheDir)[0] ?? '');
    writeFileSync(cache, Buffer.alloc(4096, 7), { mode: 0o600 });
    expect(load(file, cacheDir)).toEqual({ use: 'rejected', answer: 42 });
    expect(readFileSync(cache).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(load(file, cacheDir)).toEqual({ use: 'used', answer: 42 });
    // Another build at the same place (another size): its cache replaces the old one.
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// another build\n`);
    expect(load(file, cacheDir)).toEqual({ use: 'created', answer: 42 });
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(readdirSync(cacheDir)[0]).not.toBe(cache.slice(cacheDir.length + 1));
  });

  it('a cache with one damaged byte is refused and rewritten, never run: V8 checks its checksum', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const cacheDir = join(temp.path, 'cache');
    load(file, cacheDir);
    const cache = join(cacheDir, readdirSync(cacheDir)[0] ?? '');
    const damaged = readFileSync(cache);
    const at = Math.floor(damaged.length / 2);
    damaged[at] = (damaged[at] ?? 0) ^ 0x5a;
    writeFileSync(cache, damaged, { mode: 0o600 });
    expect(load(file, cacheDir)).toEqual({ use: 'rejected', answer: 42 });
    expect(readFileSync(cache).equals(damaged)).toBe(false);
    expect(load(file, cacheDir)).toEqual({ use: 'used', answer: 42 });
  });

  it('another build with the same size and time (npm gives every file one time) does not use the old build\'s cache', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const cacheDir = join(temp.path, 'cache');
    expect(load(file, cacheDir, 'run', 0, '1.0.0')).toEqual({ use: 'created', answer: 42 });
    expect(load(file, cacheDir, 'run', 0, '1.0.0')).toEqual({ use: 'used', answer: 42 });
    // The upgrade changes code of the same length; npm leaves the time as it was.
    const { mtime } = statSync(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('helper7(helper3(42))', 'helper3(helper7(42))'));
    utimesSync(file, mtime, mtime);
    expect(load(file, cacheDir, 'run', 0, '1.0.1')).toEqual({ use: 'created', answer: 42 });
    expect(readdirSync(cacheDir)).toEqual([expect.stringMatching(/-1\.0\.1-\d+-\d+-run\.v8$/)]);
  });

  it('keeps another installation\'s caches while recent, and drops those not written for 30 days', () => {
    temp = tempDir();
    mkdirSync(join(temp.path, 'a'));
    mkdirSync(join(temp.path, 'b'));
    const [a, b] = [bundle(join(temp.path, 'a')), bundle(join(temp.path, 'b'))];
    const cacheDir = join(temp.path, 'cache');
    load(a, cacheDir);
    const [aCache = ''] = readdirSync(cacheDir);
    load(b, cacheDir);
    // Two installations used in turn keep each other's cache.
    expect(readdirSync(cacheDir)).toHaveLength(2);
    expect(load(a, cacheDir)).toEqual({ use: 'used', answer: 42 });
    const old = (Date.now() - STALE_CACHE_MS - 60_000) / 1000;
    utimesSync(join(cacheDir, aCache), old, old);
    expect(load(b, cacheDir, 'run')).toEqual({ use: 'created', answer: 42 });
    expect(readdirSync(cacheDir)).not.toContain(aCache);
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('never reads a cache that someone else could have written: not in a group- or world-writable directory, not from such a file, nothing made in another user\'s directory', () => {
    temp = tempDir();
    const file = bundle(temp.path);
    const open = join(temp.path, 'open');
    mkdirSync(open, { mode: 0o700 });
    chmodSync(open, 0o777);
    expect(load(file, open)).toEqual({ use: 'off', answer: 42 });
    expect(readdirSync(open)).toEqual([]);

    // Nothing is made inside someone else's directory (root running with another user's HOME).
    const foreign = process.getuid?.() === 0 ? join(temp.path, 'foreign') : '/';
    if (foreign !== '/') {
      mkdirSync(foreign);
      chownSync(foreign, 65534, 65534);
    }
    expect(load(file, join(foreign, 'jobhooks-code-cache-test', '.cache', 'jobhooks'))).toEqual({ use: 'off', answer: 42 });
    expect(existsSync(join(foreign, 'jobhooks-code-cache-test'))).toBe(false);

    const cacheDir = join(temp.path, 'cache');
    load(file, cacheDir);
    const cache = join(cacheDir, readdirSync(cacheDir)[0] ?? '');
    chmodSync(cache, 0o666);
    expect(load(file, cacheDir)).toEqual({ use: 'created', answer: 42 });
    expect(mode(cache)).toBe(0o600);
  });

  it('lives in $XDG_CACHE_HOME/jobhooks, else ~/.cache/jobhooks; JOBHOOKS_CODE_CACHE=0 or no home turns it off', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/var/cache/u', HOME: '/home/u' })).toBe('/var/cache/u/jobhooks');
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/jobhooks');
    expect(codeCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/jobhooks');
    expect(codeCacheDir({})).toBeNull();
    expect(codeCacheDir({ HOME: '/home/u', JOBHOOKS_CODE_CACHE: '0' })).toBeNull();
  });

  it('the built CLI keeps its commands\' cache there, not from a run an invalid config stopped, and answers the same with and without it', () => {
    temp = tempDir();
    temp.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.path, LANG: 'C.UTF-8' };
    const validate = (extra: Record<string, string> = {}): string =>
      spawnSync(process.execPath, [CLI, 'validate', 'job.json'], { cwd: temp?.path, encoding: 'utf8', env: { ...env, ...extra } }).stdout;
    const expected = 'job.json is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n';
    expect(validate({ JOBHOOKS_CODE_CACHE: '0' })).toBe(expected);
    expect(() => readdirSync(join(temp?.path ?? '', '.cache'))).toThrow(/ENOENT/);
    // A run stopped by an invalid config (exit 64) keeps no cache: it never ran the job's code.
    temp.write('bad.json', '{"preHooks": [{"name": "hello"}]}');
    const bad = spawnSync(process.execPath, [CLI, 'run', 'bad.json', '--no-journal'], { cwd: temp.path, encoding: 'utf8', env });
    expect(bad.status).toBe(64);
    expect(readdirSync(join(temp.path, '.cache', 'jobhooks'))).toEqual([]);
    expect(validate()).toBe(expected);
    expect(readdirSync(join(temp.path, '.cache', 'jobhooks'))).toEqual([expect.stringMatching(/-validate\.v8$/)]);
    expect(validate()).toBe(expected);
  });

  it('a YAML file\'s command keeps a cache of its own: the YAML parser\'s code is in it, and a JSON file\'s run does not replace it', () => {
    temp = tempDir();
    temp.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
    temp.write('job.yaml', 'preHooks:\n  - name: hello\n    command: "true"\n');
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.path, LANG: 'C.UTF-8' };
    const cacheDir = join(temp.path, '.cache', 'jobhooks');
    const validate = (file: string): string => spawnSync(process.execPath, [CLI, 'validate', file], { cwd: temp?.path, encoding: 'utf8', env }).stdout;
    const caches = (): string[] => readdirSync(cacheDir).map((entry) => entry.replace(/^.*-\d+-/, '')).sort();
    expect(validate('job.json')).toBe('job.json is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n');
    expect(caches()).toEqual(['validate.v8']);
    expect(validate('job.yaml')).toBe('job.yaml is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n');
    expect(caches()).toEqual(['validate-yaml.v8', 'validate.v8']);
    const yamlCache = readdirSync(cacheDir).find((entry) => entry.endsWith('-validate-yaml.v8')) ?? '';
    const jsonCache = readdirSync(cacheDir).find((entry) => entry.endsWith('-validate.v8')) ?? '';
    // The YAML parser's compiled code is what makes the YAML cache the larger.
    expect(statSync(join(cacheDir, yamlCache)).size).toBeGreaterThan(statSync(join(cacheDir, jsonCache)).size);
  });

  it('a HOME that does not exist (nobody\'s /nonexistent) means no cache: no home is made for one', () => {
    temp = tempDir();
    temp.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
    const home = join(temp.path, 'nonexistent');
    const result = spawnSync(process.execPath, [CLI, 'validate', 'job.json'], { cwd: temp.path, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home } });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, 'job.json is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n', '']);
    expect(existsSync(home)).toBe(false);
  });

  it('a cache directory that cannot be made, even under /proc (where Node\'s recursive mkdir never returns), only turns the cache off', () => {
    temp = tempDir();
    temp.write('job.json', '{"preHooks": [{"name": "hello", "command": "true"}]}');
    for (const cacheHome of ['/proc/self/no-such-dir', join(temp.path, 'job.json', 'under-a-file')]) {
      const result = spawnSync(process.execPath, [CLI, 'validate', 'job.json'], {
        cwd: temp.path,
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.path, XDG_CACHE_HOME: cacheHome },
        timeout: 20_000,
      });
      expect({ cacheHome, signal: result.signal, status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        cacheHome,
        signal: null,
        status: 0,
        stdout: 'job.json is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n',
        stderr: '',
      });
    }
  });
});
