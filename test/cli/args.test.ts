import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';

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
    expect(error(['valdiate', 'job.yaml'])).toEqual({ kind: 'usage-error', message: 'unknown command "valdiate" (did you mean "validate"?)' });
    expect(error(['run'])).toEqual({ kind: 'usage-error', message: '"run" needs a config file: jobhooks run <config>' });
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
