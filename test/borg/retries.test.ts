import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobPipeline } from '../../src/index.js';
import { borgCompact } from '../../src/borg/index.js';

// borg tasks retry only on a lock timeout or a dropped connection (docs/borg.md). A stand-in `borg`
// script exits with the codes given, one per call, so the test needs no repository.

function fakeBorg(codes: readonly number[]): { binary: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'jobhooks-fakeborg-'));
  const counter = join(dir, 'count');
  const binary = join(dir, 'borg');
  const cases = codes.map((code, i) => `${i + 1}) exit ${code};;`).join(' ');
  writeFileSync(binary, `#!/bin/sh\nn=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 ))\necho $n > '${counter}'\ncase $n in ${cases} *) exit 0;; esac\n`);
  chmodSync(binary, 0o755);
  return { binary, calls: () => Number(readFileSync(counter, 'utf8').trim()) };
}

describe('borg retries', () => {
  it('a lock timeout (exit 73) is retried; the second attempt succeeds', async () => {
    const borg = fakeBorg([73]);
    const result = await new JobPipeline({ tasks: [borgCompact({ repository: '/r', borgBinary: borg.binary, retries: 2, retryDelay: 0 })] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    expect(borg.calls()).toBe(2);
  });

  it('a dropped connection (exit 80) is retried until retries are used up', async () => {
    const borg = fakeBorg([80, 80, 80, 80]);
    const result = await new JobPipeline({ tasks: [borgCompact({ repository: '/r', borgBinary: borg.binary, retries: 2, retryDelay: 0 })] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(borg.calls()).toBe(3);
  });

  it('any other failure (wrong passphrase, exit 52) is not retried', async () => {
    const borg = fakeBorg([52]);
    const result = await new JobPipeline({ tasks: [borgCompact({ repository: '/r', borgBinary: borg.binary, retries: 3, retryDelay: 0 })] }).run();
    expect(result.tasks[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(borg.calls()).toBe(1);
  });
});
