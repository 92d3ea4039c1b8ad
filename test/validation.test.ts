import { describe, expect, it, vi } from 'vitest';
import type { Duration } from '../src/duration.js';
import { HttpNotifier } from '../src/notify/http.js';
import type { NotificationMessage, NotifierContext } from '../src/types.js';
import { borgCreate } from '../src/borg/index.js';
import { ConfigError, formatPath } from '../src/errors.js';
import { ShellExecutor } from '../src/executor/shell-executor.js';
import { WebhookNotifier } from '../src/notify/notifiers/webhook.js';
import { commandTask } from '../src/pipeline/command-task.js';
import { JobPipeline } from '../src/pipeline/pipeline.js';

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('one validation layer (issue 11, point 1): every factory reports alike', () => {
  it('borgCreate suggests the option meant, like every other factory', () => {
    expect(() => borgCreate({ repository: '/r', paths: ['/a'], compresion: 'zstd' } as never)).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid borgCreate options (1 problem):
        - compresion: unknown option "compresion" (did you mean "compression"?)]
    `);
  });

  it('commandTask suggests only keys commandTask has (envPrefix is a pipeline option)', () => {
    expect(() => commandTask({ name: 'a', command: 'true', envPrefx: 'X_' } as never)).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid commandTask options (1 problem):
        - envPrefx: unknown option "envPrefx"]
    `);
    expect(() => commandTask({ name: 'a', command: 'true', shel: 'sh' } as never)).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid commandTask options (1 problem):
        - shel: unknown option "shel" (did you mean "shell"?)]
    `);
  });

  it('ShellExecutor names the unknown key at its path, with a suggestion', () => {
    expect(() => new ShellExecutor({ tempdir: '/tmp' } as never)).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid ShellExecutor options (1 problem):
        - tempdir: unknown option "tempdir" (did you mean "tempDir"?)]
    `);
  });

  it('issues are data: a code, a path of keys and indexes, a message; the path is formatted only when printed', () => {
    const error = configError(
      () => new JobPipeline({ preHooks: [{ name: 'a', command: 'true', critcal: true }], postHooks: [{ name: 'b', command: 'x', timeout: 'soon' }] } as never),
    );
    expect(error.issues).toEqual([
      { code: 'unknown_option', path: ['preHooks', 0, 'critcal'], message: 'unknown option "critcal" (did you mean "critical"?)' },
      {
        code: 'invalid_value',
        path: ['postHooks', 0, 'timeout'],
        message: 'expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"',
      },
    ]);
    expect(configError(() => borgCreate({ paths: ['/a'] } as never)).issues).toEqual([
      { code: 'required', path: ['repository'], message: 'is required (expected string)' },
    ]);
    expect(configError(() => new WebhookNotifier({ url: 'https://example.com', retries: 'x' } as never)).issues).toEqual([
      { code: 'invalid_type', path: ['retries'], message: 'expected number, received string "x"' },
    ]);
    expect(formatPath(['preHooks', 0, 'critcal'])).toBe('preHooks[0].critcal');
    expect(formatPath([])).toBe('');
  });

  it('a nested unknown key is suggested from the keys valid at its place', () => {
    expect(() => new JobPipeline({ defaults: { timeot: 5 } } as never)).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid JobPipeline options (1 problem):
        - defaults.timeot: unknown option "timeot" (did you mean "timeout"?)]
    `);
  });
});

describe('HttpNotifier takes one timeout (issue 11, point 6)', () => {
  class Probe extends HttpNotifier {
    readonly secrets: readonly string[] = [];
    constructor(timeout: Duration) {
      super({ name: 'probe', timeout, on: ['error'] }, 0);
    }
    async notify(_message: NotificationMessage, _context: NotifierContext): Promise<void> {}
  }

  it('as written (seconds or a string), converted once; an invalid one is a ConfigError', () => {
    expect(new Probe('2s').timeout).toBe('2s');
    expect(() => new Probe('soon')).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid Probe options (1 problem):
        - timeout: expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received string "soon"]
    `);
  });
});

describe('zod\'s compiled parsers only for a schema parsed often (docs/performance.md, "Validation without zod\'s compiled parsers")', () => {
  /** Runs `make` and returns the code it compiled with `new Function`. */
  function compiledBy(make: () => void): string[] {
    const made: string[] = [];
    const original = globalThis.Function;
    globalThis.Function = new Proxy(original, {
      construct(target, args: string[]) {
        made.push(args.join(', ').slice(0, 80));
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      make();
    } finally {
      globalThis.Function = original;
    }
    return made;
  }

  it('a config file\'s job, the first of the process (what a CLI run builds), compiles nothing; a schema parsed ten times is compiled', async () => {
    // Fresh modules: schemas no other test of this file has parsed yet.
    vi.resetModules();
    const { JobPipeline: FreshPipeline } = await import('../src/pipeline/pipeline.js');
    const { buildJob } = await import('../src/cli/job.js');
    const hooks = { preHooks: [{ name: 'stop db', command: 'true', timeout: '5m', env: { A: '1' } }], postHooks: [{ name: 'start db', command: 'true', runOnJobFailure: true }] };
    const tasks = [
      { borg: 'create', repository: '/r', paths: ['/a'], compression: 'zstd' },
      { borg: 'prune', repository: '/r', keep: { daily: 7 } },
    ];
    expect(compiledBy(() => expect(buildJob({ ...hooks, tasks }, { env: {} }).ok).toBe(true))).toEqual([]);
    // A process that makes pipelines again and again gets zod's compiled parsers from the tenth on.
    expect(compiledBy(() => Array.from({ length: 8 }, () => new FreshPipeline(hooks)))).toEqual([]);
    expect(compiledBy(() => new FreshPipeline(hooks))).not.toEqual([]);
  });
});
