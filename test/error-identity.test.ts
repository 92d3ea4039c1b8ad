import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * An application may hold two copies of jobhooks' classes: CommonJS has no shared chunks, so
 * require('jobhooks') and require('jobhooks/borg') each carry their own ConfigError; and a program
 * that both imports and requires it loads the ESM and the CommonJS build. `instanceof` must hold
 * across them (docs/embedding.md, "Errors are data"). Checked on the built package, as users get it.
 */

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

function run(script: string, type: 'commonjs' | 'module'): unknown {
  const result = spawnSync(process.execPath, ['--input-type', type, '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

const CHECKS = `
const thrown = (make) => { try { make(); } catch (error) { return error; } throw new Error('nothing thrown'); };
const borgError = thrown(() => borg.borgCreate({}));
const coreError = thrown(() => new other.JobPipeline({ preHooks: [{ name: 'x', command: 'true', critcal: true }] }));
const own = new core.JobHooksError('ERR_JOURNAL', 'a journal error');
process.stdout.write(JSON.stringify({
  borgConfig: [borgError instanceof core.ConfigError, borgError instanceof core.JobHooksError, borgError instanceof Error],
  otherConfig: [coreError instanceof core.ConfigError, coreError instanceof core.JobHooksError],
  notConfig: [own instanceof other.ConfigError, own instanceof other.JobHooksError, own instanceof core.AlreadyRunningError],
  notOurs: [new Error('x') instanceof core.JobHooksError, null instanceof core.ConfigError, ({ code: 'ERR_CONFIG' }) instanceof core.ConfigError],
}));
`;

const EXPECTED = {
  borgConfig: [true, true, true],
  otherConfig: [true, true],
  notConfig: [false, true, false],
  notOurs: [false, false, false],
};

describe('errors are instances of the classes of every copy of jobhooks', () => {
  it('CommonJS: an error from jobhooks/borg is a ConfigError of jobhooks', () => {
    const script = `const core = require(${JSON.stringify(join(DIST, 'index.cjs'))}); const other = core; const borg = require(${JSON.stringify(join(DIST, 'borg.cjs'))});${CHECKS}`;
    expect(run(script, 'commonjs')).toEqual(EXPECTED);
  });

  it('import and require in one program: an error of either build is an instance of the other\'s classes', () => {
    const script = `import { createRequire } from 'node:module';
const core = await import(${JSON.stringify(join(DIST, 'index.js'))});
const other = createRequire(import.meta.url)(${JSON.stringify(join(DIST, 'index.cjs'))});
const borg = createRequire(import.meta.url)(${JSON.stringify(join(DIST, 'borg.cjs'))});
${CHECKS}`;
    expect(run(script, 'module')).toEqual(EXPECTED);
  });
});
