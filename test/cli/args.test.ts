import { describe, expect, it } from 'vitest';
import { HELP, parseCommandLine } from '../../src/cli/args.js';

describe('the command line', () => {
  it('reads each command', () => {
    expect(parseCommandLine(['run', 'job.yaml'])).toEqual({ kind: 'run', file: 'job.yaml', mode: 'auto', stateDir: undefined, journal: true, wait: undefined });
    expect(parseCommandLine(['run', '--json', 'job.yaml'])).toEqual({ kind: 'run', file: 'job.yaml', mode: 'json', stateDir: undefined, journal: true, wait: undefined });
    expect(parseCommandLine(['run', 'job.yaml', '-q'])).toEqual({ kind: 'run', file: 'job.yaml', mode: 'quiet', stateDir: undefined, journal: true, wait: undefined });
    expect(parseCommandLine(['validate', 'job.yaml'])).toEqual({ kind: 'validate', file: 'job.yaml' });
    expect(parseCommandLine(['plan', 'job.yaml'])).toEqual({ kind: 'plan', file: 'job.yaml' });
    expect(parseCommandLine(['schema'])).toEqual({ kind: 'schema' });
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['run', 'job.yaml', '-h'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version' });
    // A file whose name starts with a dash, after `--`.
    expect(parseCommandLine(['run', '--', '-job.yaml'])).toEqual({ kind: 'run', file: '-job.yaml', mode: 'auto', stateDir: undefined, journal: true, wait: undefined });
  });

  it('says what is wrong with a bad command line', () => {
    const error = (argv: string[]): unknown => parseCommandLine(argv);
    expect(error([])).toEqual({ kind: 'usage-error', message: 'no command given' });
    expect(error(['start', 'job.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "start"' });
    expect(error(['rnu', 'job.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "rnu" (did you mean "run"?)' });
    // The command is checked first (docs/cli.md): a misspelt option after it is the second mistake.
    expect(error(['rnu', 'nightly.yaml', '--jsn'])).toEqual({ kind: 'usage-error', message: 'unknown command "rnu" (did you mean "run"?)' });
    expect(error(['--jsn', 'rnu', 'nightly.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "rnu" (did you mean "run"?)' });
    expect(error(['rnu', '--help'])).toEqual({ kind: 'help' });
    expect(error(['valdiate', 'job.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "valdiate" (did you mean "validate"?)' });
    expect(error(['run'])).toEqual({ kind: 'usage-error', message: '"run" needs a config file: jobhooks run <config>' });
    // A value left out before the next option: one line, not parseArgs' three about an "ambiguous" argument.
    const missing = 'needs a value, and what follows it starts with "-"';
    expect(error(['rehearse', 'job.yaml', '--fail', '--no-journal'])).toEqual({ kind: 'usage-error', message: `Option '--fail' ${missing} (write --fail=-VALUE for a value that does)` });
    expect(error(['enqueue', 'job.yaml', '--redis', '--queue', 'q'])).toEqual({ kind: 'usage-error', message: `Option '--redis' ${missing} (write --redis=-VALUE for a value that does)` });
    expect(error(['run', 'a.yaml', 'b.yaml'])).toEqual({ kind: 'usage-error', message: '"run" takes one config file, received also "b.yaml"' });
    expect(error(['run', 'a.yaml', '--json', '--quiet'])).toEqual({ kind: 'usage-error', message: '--json and --quiet cannot be used together' });
    expect(error(['plan', 'a.yaml', '--json'])).toEqual({ kind: 'usage-error', message: '--json applies to "run", "rehearse" and "history"' });
    expect(parseCommandLine(['rehearse', 'a.yaml', '--cancel-at', '3', '--notify'])).toEqual({
      kind: 'rehearse', file: 'a.yaml', mode: 'auto', rehearsal: { task: '3', outcome: 'cancel', notify: true }, stateDir: undefined, journal: true, wait: undefined,
    });
    expect(error(['rehearse', 'a.yaml', '--fail', ' '])).toEqual({ kind: 'usage-error', message: '--fail needs a task: its name, or its number in "jobhooks plan"' });
    expect(error(['schema', 'a.yaml'])).toEqual({ kind: 'usage-error', message: '"schema" takes no arguments, received "a.yaml"' });
    expect(error(['run', 'a.yaml', '--jsn'])).toEqual({ kind: 'usage-error', message: 'unknown option "--jsn" (did you mean "--json"?)' });
    expect(error(['run', 'a.yaml', '--qiuet'])).toEqual({ kind: 'usage-error', message: 'unknown option "--qiuet" (did you mean "--quiet"?)' });
    expect(error(['--verison'])).toEqual({ kind: 'usage-error', message: 'unknown option "--verison" (did you mean "--version"?)' });
    expect(error(['run', 'a.yaml', '--frobnicate'])).toEqual({ kind: 'usage-error', message: 'unknown option "--frobnicate"' });
    expect(error(['run', 'a.yaml', '-x'])).toEqual({ kind: 'usage-error', message: 'unknown option "-x"' });
    // After `--`, everything is a file name.
    expect(error(['run', '--', '--jsn'])).toEqual({ kind: 'run', file: '--jsn', mode: 'auto', stateDir: undefined, journal: true, wait: undefined });
    // A known flag given a value is still parseArgs' error.
    expect(error(['run', 'a.yaml', '--json=yes'])).toEqual({ kind: 'usage-error', message: "Option '--json' does not take an argument" });
  });
});

/** A command's usage in --help, its continuation lines joined: `jobhooks run <config> [--json | …] …`. */
function usageOf(command: string): string {
  const lines = HELP.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  jobhooks ${command} `));
  const usage = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!/^ {10,20}[[(]/.test(line)) break;
    usage.push(line);
  }
  return usage.join(' ').replace(/\s+/g, ' ');
}

/** The optional groups `[…]` of a usage, each as its alternatives, each alternative as the argv of its options. */
function optionGroups(usage: string): string[][][] {
  const SAMPLE: Record<string, string> = { '<duration>': '5s', '<dir>': '/tmp/state', '<path>': '/tmp/log', '<file>': '/tmp/page.html', '<n>': '3', 'plain|json': 'json' };
  const groups: string[][][] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < usage.length; index += 1) {
    if (usage[index] === '[' && depth++ === 0) start = index + 1;
    if (usage[index] === ']' && --depth === 0) {
      // Split at the group's own ' | ', not at one inside a nested group.
      const alternatives: string[] = [];
      let level = 0;
      let from = start;
      for (let at = start; at < index; at += 1) {
        if (usage[at] === '[') level += 1;
        if (usage[at] === ']') level -= 1;
        if (level === 0 && usage.startsWith(' | ', at)) {
          alternatives.push(usage.slice(from, at));
          from = at + 3;
        }
      }
      alternatives.push(usage.slice(from, index));
      groups.push(alternatives.map((text) => [...text.matchAll(/(--[a-z-]+)(?: ([<a-z|>]+))?/g)].flatMap(([, name = '', value]) => (value === undefined || value.startsWith('--') ? [name] : [name, SAMPLE[value] ?? value]))));
    }
  }
  return groups;
}

describe('--help says which options go together, and the command line agrees', () => {
  const commands = [
    ['run', ['run', 'a.yaml']],
    ['rehearse', ['rehearse', 'a.yaml', '--fail', 'Backup']],
    ['history', ['history', 'a.yaml']],
  ] as const;
  for (const [command, base] of commands) {
    it(`${command}: options of different groups, or of one alternative, are accepted together; alternatives of one group are refused`, () => {
      const groups = optionGroups(usageOf(command));
      expect(groups.length).toBeGreaterThan(2);
      const options = groups.flatMap((alternatives, group) => alternatives.flatMap((argv, alternative) => splitOptions(argv).map((option) => ({ option, group, alternative }))));
      for (const a of options) {
        for (const b of options) {
          if (a.option[0] === b.option[0]) continue;
          const argv = [...base, ...a.option, ...b.option];
          const exclusive = a.group === b.group && a.alternative !== b.alternative;
          expect({ argv, kind: parseCommandLine(argv).kind }).toEqual({ argv, kind: exclusive ? 'usage-error' : command });
        }
      }
    });
  }
});

/** `['--state-dir', '/tmp/state', '--wait', '5s']` → `[['--state-dir', '/tmp/state'], ['--wait', '5s']]`. */
function splitOptions(argv: readonly string[]): string[][] {
  const options: string[][] = [];
  for (const word of argv) {
    if (word.startsWith('--')) options.push([word]);
    else options.at(-1)?.push(word);
  }
  return options;
}
