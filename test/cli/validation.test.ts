import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

/** A hook that leaves a file behind if it ever runs. */
const touch = (name: string) => ({ name: 'Touch', command: `touch ${JSON.stringify(join(dir.path, name))}` });

describe('jobhooks run with hardened config values', () => {
  it('gives YAML numbers and booleans in env maps to hooks as strings (issue 9, bug 4)', async () => {
    const out = join(dir.path, 'env.txt');
    const file = dir.write(
      'job.yaml',
      [
        'env: { PGPORT: 5432, DEBUG: true }',
        'preHooks:',
        '  - name: Show',
        `    command: 'echo "$PGPORT $DEBUG $RATIO $OFF" > ${out}'`,
        '    env: { RATIO: 0.5, OFF: false }',
        '',
      ].join('\n'),
    );
    const run = await runCli(['run', file], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('5432 true 0.5 false\n');
  });

  for (const key of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
    it(`refuses "${key}" at the top, in a hook, a task and a notifier: exit 64, each path, nothing run (issue 10, point 5)`, async () => {
      const text = `{"${key}": 1, "preHooks": [${JSON.stringify(touch('ran'))}, {"name": "b", "command": "true", "${key}": 1}],
        "tasks": [{"name": "t", "command": "true", "${key}": 1}], "notifiers": [{"type": "console", "${key}": 1}]}`;
      const run = await runCli(['run', dir.write('job.json', text)], { cwd: dir.path });
      expect(run.code).toBe(64);
      expect(run.stderr).toBe(
        [
          `jobhooks: invalid config ${join(dir.path, 'job.json')} (4 problems); nothing was run:`,
          `  - ${key}: unknown option "${key}"`,
          `  - preHooks[1].${key}: unknown option "${key}"`,
          `  - tasks[0].${key}: unknown option "${key}"`,
          `  - notifiers[0].${key}: unknown option "${key}"`,
          '',
        ].join('\n'),
      );
      expect(existsSync(join(dir.path, 'ran'))).toBe(false);
    });
  }

  it('a file with thousands of problems (not a jobhooks config at all) prints the first 100 and how many more', async () => {
    const keys = Array.from({ length: 2500 }, (_, index) => `"key${index}": ${index}`);
    const run = await runCli(['validate', dir.write('other.json', `{${keys.join(', ')}}`)], { cwd: dir.path });
    expect(run.code).toBe(64);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`jobhooks: invalid config ${join(dir.path, 'other.json')} (2500 problems); nothing was run:`);
    expect(lines.slice(1, 3)).toEqual(['  - key0: unknown option "key0"', '  - key1: unknown option "key1"']);
    expect(lines.slice(100)).toEqual(['  - key99: unknown option "key99"', '  … and 2400 more (the first 100 are above)']);
  });

  it('says what each bad number received, in its own words, and checks nothing against a skipExitCode it refused', async () => {
    dir.write(
      'numbers.json',
      JSON.stringify({
        skipExitCode: 0,
        preHooks: [{ name: 'A', command: 'true', retries: -1, warningExitCodes: [0, 300] }],
        postHooks: [{ name: 'B', command: 'true', retryDelay: 'soon' }],
      }),
    );
    const run = await runCli(['validate', 'numbers.json'], { cwd: dir.path });
    expect([run.code, run.stdout]).toEqual([64, '']);
    expect(run.stderr.split('\n').slice(1)).toEqual([
      '  - skipExitCode: expected an exit code 1–255, received number 0',
      '  - preHooks[0].retries: expected a number ≥ 0, received number -1',
      '  - preHooks[0].warningExitCodes[0]: expected an exit code 1–255, received number 0',
      '  - preHooks[0].warningExitCodes[1]: expected an exit code 1–255, received number 300',
      '  - postHooks[0].retryDelay: expected 0, seconds (a number > 0) or a duration string ("500ms", "90s", "5m", "1h"), received string "soon"',
      '',
    ]);
  });

  it('still suggests the option meant when a key is misspelt', async () => {
    const run = await runCli(['validate', dir.write('job.json', '{"preHooks": [{"name": "a", "command": "b", "toStrng": 1, "critcal": true}]}')], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('  - preHooks[0].critcal: unknown option "critcal" (did you mean "critical"?)\n');
  });

  it('refuses a NUL byte anywhere that reaches spawn before any hook runs (issue 10, point 6)', async () => {
    const config = {
      preHooks: [touch('ran'), { name: 'b', command: 'echo a\u0000b' }],
      tasks: [{ name: 't', command: ['echo', 'x\u0000'] }, { borg: 'create', repository: '/r', paths: ['/etc'], extraArgs: ['--x\u0000'] }],
      context: { k: 'v\u0000' },
    };
    const run = await runCli(['run', dir.write('job.json', JSON.stringify(config))], { cwd: dir.path });
    expect(run.code).toBe(64);
    const NUL = 'must not contain a NUL byte ("\\0"): no command, argument or environment can carry one';
    expect(run.stderr.split('\n').slice(1)).toEqual([
      `  - preHooks[1].command: ${NUL}`,
      `  - tasks[0].command[1]: ${NUL}`,
      `  - tasks[1].extraArgs[0]: ${NUL}`,
      `  - context.k: ${NUL}`,
      '',
    ]);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });

  it('refuses a file over 1 MiB before reading it, and lists over 1000 entries, naming the limit (issue 10, point 7)', async () => {
    const big = dir.write('big.json', JSON.stringify({ preHooks: [touch('ran')], jobLabel: 'x'.repeat(1024 * 1024) }));
    const tooBig = await runCli(['run', big], { cwd: dir.path });
    expect(tooBig.code).toBe(64);
    expect(tooBig.stderr).toBe(
      `jobhooks: ${big} is larger than 1048576 bytes (1 MiB), the most a config file may hold: a job this large is almost certainly generated by mistake\n`,
    );
    const hook = { name: 'a', command: 'true' };
    const many = dir.write('many.json', JSON.stringify({ preHooks: [touch('ran'), ...Array(1000).fill(hook)], tasks: Array(1001).fill(hook) }));
    const tooMany = await runCli(['run', many], { cwd: dir.path });
    expect(tooMany.code).toBe(64);
    expect(tooMany.stderr.split('\n').slice(1)).toEqual([
      '  - preHooks: at most 1000 hooks per phase are allowed (the limit keeps a runaway file from exhausting memory)',
      '  - tasks: at most 1000 tasks are allowed (the limit keeps a runaway file from exhausting memory)',
      '',
    ]);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });

  it('quotes what a file brought in with its control characters escaped: one problem, one line, nothing sent to the terminal', async () => {
    const ESC = '\u001b';
    const config = {
      preHooks: [touch('ran')],
      [`${ESC}[31mevil${ESC}[0m\n  - tasks[0]: forged problem`]: 1,
      context: { [`k${ESC}]0;pwned\u0007`]: 1 },
      postHooks: [{ name: 'Start', command: 'true', cleanupFor: `x${ESC}[31m\nforged` }],
      jobId: 'a\nJob ID: forged',
      repository: { name: `r${ESC}[2J` },
    };
    const run = await runCli(['validate', dir.write('job.json', JSON.stringify(config))], { cwd: dir.path });
    expect(run.code).toBe(64);
    const lines = run.stderr.split('\n');
    expect(run.stderr).not.toContain(ESC);
    expect(run.stderr).not.toContain('\u0007');
    // The first line says how many problems; each other line is one of them.
    const count = Number(/\((\d+) problems?\)/.exec(lines[0] ?? '')?.[1]);
    expect(lines.slice(1, -1)).toHaveLength(count);
    expect(lines.slice(1, -1).every((line) => line.startsWith('  - '))).toBe(true);
    expect(lines).toContain('  - \\u001b[31mevil\\u001b[0m\\n  - tasks[0]: forged problem: unknown option "\\u001b[31mevil\\u001b[0m\\n  - tasks[0]: forged problem"');
    expect(lines).toContain('  - jobId: must not contain control characters (newline, tab, escape, text-direction overrides, …): it is printed in log lines and notifications');
    expect(lines).toContain('  - repository.name: must not contain control characters (newline, tab, escape, text-direction overrides, …): it is printed in log lines and notifications');
    // A JSON syntax error does not quote the file's bytes either.
    const broken = await runCli(['validate', dir.write('broken.json', `${ESC}[2J${ESC}]0;pw`)], { cwd: dir.path });
    expect([broken.code, broken.stderr.includes(ESC), broken.stderr.split('\n').length]).toEqual([64, false, 2]);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });

  it('refuses unknown YAML tags, tiny timeouts, a short borg kill grace, bad context keys and multi-line names (issue 10, point 13)', async () => {
    const tagged = dir.write('tag.yaml', `preHooks:\n  - ${JSON.stringify(touch('ran'))}\n  - name: b\n    command: !foo rm -rf /tmp/x\n`);
    const tag = await runCli(['run', tagged], { cwd: dir.path });
    expect(tag.code).toBe(64);
    expect(tag.stderr).toBe(`jobhooks: cannot parse ${tagged} as YAML: line 4, column 14: unknown tag !foo: jobhooks reads plain YAML values, remove the tag\n`);

    const config = {
      preHooks: [touch('ran'), { name: 'Dump\n02:00:03 [Fake] completed', command: 'true', timeout: 1e-300 }],
      tasks: [{ borg: 'prune', repository: '/r', keep: { daily: 7 }, killGrace: 0.001 }],
      context: { 'a=b': 1 },
      defaults: { maxOutputBytes: 1e15 },
    };
    const run = await runCli(['run', dir.write('job.json', JSON.stringify(config))], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n').slice(1)).toEqual([
      '  - preHooks[1].name: must not contain control characters (newline, tab, escape, text-direction overrides, …): a name is printed in log lines',
      '  - preHooks[1].timeout: must be at least 1ms, received number 1e-300',
      '  - tasks[0].killGrace: must be at least 5s: borg needs the time to release the repository lock, or the next run finds a stale lock',
      '  - context.a=b: a context key becomes the environment variable <envPrefix><KEY>: use only letters A-Z, digits and "_"',
      "  - defaults.maxOutputBytes: must be at most 67108864 bytes (64 MiB): every task's tail is held in memory, received number 1000000000000000",
      '',
    ]);
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });
});
