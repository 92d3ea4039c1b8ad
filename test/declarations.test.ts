import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The published declarations compile in a project without @types/node (a browser-typed or Deno-style
 * TypeScript set-up that only has the DOM's AbortSignal): jobhooks, jobhooks/testing and jobhooks/borg,
 * in both their ESM and CommonJS forms, with skipLibCheck off. Checked on the build (npm run build).
 */

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the declarations', () => {
  it('need no @types/node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobhooks-dts-'));
    try {
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true },
          files: ['use.mts', 'use.cts'],
        }),
      );
      const uses = (extension: string): string =>
        [
          `import type { JobPipeline, ExecRequest } from ${JSON.stringify(join(DIST, `index.${extension}`))};`,
          `import type { FakeExecutor } from ${JSON.stringify(join(DIST, `testing.${extension}`))};`,
          `import type { borgCreate } from ${JSON.stringify(join(DIST, `borg.${extension}`))};`,
          'export type Used = [JobPipeline, ExecRequest, FakeExecutor, typeof borgCreate];',
        ].join('\n');
      writeFileSync(join(dir, 'use.mts'), uses('js'));
      writeFileSync(join(dir, 'use.cts'), uses('cjs'));
      const run = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
