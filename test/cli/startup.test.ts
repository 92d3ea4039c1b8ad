import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, createReadStream, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
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
/**
 * A preload for `node -r`: at exit, writes to stderr the Node modules the process required (`fs`,
 * `crypto`, …) and whether it made `process.stdout` or `process.stderr`.
 */
const WATCH = `
const Module = require('node:module');
const required = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  if (Module.isBuiltin(request)) required.add(request.replace(/^node:/, ''));
  return load.call(this, request, ...rest);
};
const made = [];
for (const name of ['stdout', 'stderr']) {
  const { get } = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, { configurable: true, get() { if (!made.includes(name)) made.push(name); return get.call(process); } });
}
process.on('exit', () => require('node:fs').writeSync(2, JSON.stringify({ required: [...required].sort(), made: made.sort() })));
`;

/** What the built CLI loaded and made for `args`, run in `dir` (see WATCH). */
function watched(dir: string, args: readonly string[]): { code: number | null; stdout: string; required: string[]; made: string[] } {
  const watch = join(dir, 'watch.cjs');
  writeFileSync(watch, WATCH);
  const result = spawnSync(process.execPath, ['-r', watch, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', XDG_CACHE_HOME: join(dir, 'cache'), JOBHOOKS_STATE_DIR: join(dir, 'state') },
  });
  const report = JSON.parse(result.stderr.slice(result.stderr.lastIndexOf('{'))) as { required: string[]; made: string[] };
  return { code: result.status, stdout: result.stdout, ...report };
}

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

  it('answers --version, --help, validate and plan with writes to fd 1 and 2: no stream, whose making costs a tenth of Node\'s start', () => {
    temp = tempDir();
    expect(watched(temp.path, ['--version'])).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n`, made: [] });
    const help = watched(temp.path, ['--help']);
    expect([help.code, help.made, help.stdout.split('\n')[0]]).toEqual([0, [], 'jobhooks: run a job as pre-job hooks, main tasks, post-job hooks and a notification']);
    temp.write('job.json', JSON.stringify({ preHooks: [{ name: 'hello', command: 'echo hello' }] }));
    expect(watched(temp.path, ['validate', 'job.json'])).toMatchObject({ code: 0, stdout: 'job.json is valid: 1 pre-hook, 0 tasks, 0 post-hooks, 0 notifiers\n', made: [] });
    expect(watched(temp.path, ['plan', 'job.json'])).toMatchObject({ code: 0, made: [] });
    temp.write('bad.json', '{"preHooks": [{"name": "x"}]}');
    const bad = spawnSync(process.execPath, [CLI, 'validate', 'bad.json'], { cwd: temp.path, encoding: 'utf8' });
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([64, '', 'jobhooks: invalid config bad.json (1 problem); nothing was run:\n  - preHooks[0].command: is required (expected string)\n']);
    expect(watched(temp.path, ['frobnicate'])).toMatchObject({ code: 64, made: [] });
    // A command that runs hooks has its streams (a live view, a reader that is slow).
    expect(watched(temp.path, ['run', 'job.json'])).toMatchObject({ code: 0, made: ['stderr', 'stdout'] });
  });

  it('prints --help whole into a non-blocking pipe that is full, and exits 0 when its reader is gone', async () => {
    temp = tempDir();
    const fifo = join(temp.path, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Both ends non-blocking (as a parent might leave them), the pipe filled until it takes no more.
    const opener = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    // The test's own reading end blocks (a writer exists, so opening it does not).
    const reader = openSync(fifo, constants.O_RDONLY);
    closeSync(opener);
    let filled = 0;
    try {
      for (;;) filled += writeSync(writer, Buffer.alloc(4096, 'x'));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('EAGAIN');
    }
    // Node makes the descriptor blocking again for its child; a preload that makes process.stdout (which
    // sets it non-blocking, as a parent Node process's own stdout has it) puts it back.
    const nonBlocking = join(temp.path, 'non-blocking.cjs');
    writeFileSync(nonBlocking, 'process.stdout;\n');
    const child = spawn(process.execPath, ['-r', nonBlocking, CLI, '--help'], { stdio: ['ignore', writer, 'pipe'] });
    closeSync(writer);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const chunks: Buffer[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Read only once the CLI has had time to meet the full pipe.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = await new Promise<Buffer>((resolve, reject) => {
      createReadStream('', { fd: reader })
        .on('data', (chunk) => chunks.push(chunk as Buffer))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    // The filler, then the whole help: its first line, and the same text as a plain run prints.
    expect(all.subarray(0, filled).every((byte) => byte === 0x78)).toBe(true);
    expect(all.subarray(filled).toString().split('\n')[0]).toBe('jobhooks: run a job as pre-job hooks, main tasks, post-job hooks and a notification');
    expect(all.subarray(filled).toString()).toBe(spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout);

    // The reader closed before the CLI writes: EPIPE is no error, as for the streams.
    const gone = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    gone.stdout.destroy();
    let goneStderr = '';
    gone.stderr.setEncoding('utf8').on('data', (chunk: string) => (goneStderr += chunk));
    expect(await new Promise((resolve) => gone.on('close', resolve))).toBe(0);
    expect(goneStderr).toBe('');
  });

  it('validates and plans without loading node:crypto, node:child_process, node:fs/promises or node:stream; run loads the first three when it needs them', () => {
    temp = tempDir();
    temp.write('job.json', JSON.stringify({ preHooks: [{ name: 'hello', command: 'echo hello' }], tasks: [{ name: 'main', command: 'true' }] }));
    const lazy = ['child_process', 'crypto', 'fs/promises'];
    for (const command of ['validate', 'plan']) {
      const report = watched(temp.path, [command, 'job.json']);
      const unneeded = report.required.filter((name) => [...lazy, 'stream'].includes(name));
      expect({ command, code: report.code, unneeded }).toEqual({ command, code: 0, unneeded: [] });
    }
    const run = watched(temp.path, ['run', 'job.json']);
    expect([run.code, run.stdout.includes('hello'), run.required.filter((name) => lazy.includes(name))]).toEqual([0, true, lazy]);
  });

  it('keeps both files ASCII: one other character makes V8 read the 630 KB bundle as a two-byte string at every start', () => {
    for (const file of ['cli.cjs', 'cli-commands.cjs']) {
      const offending = [...readFileSync(join(DIST, file), 'latin1').matchAll(/[^\x00-\x7f].{0,30}/g)].map((match) => match[0]);
      expect({ file, offending }).toEqual({ file, offending: [] });
    }
  });
});
