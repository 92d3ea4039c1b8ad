import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgCompact } from '../../src/borg/index.js';
import { largeDataDir, makeSandbox, runTask, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';

let sandbox: BorgSandbox;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-compact');
});

afterAll(async () => {
  await sandbox.cleanup();
});

async function segmentBytes(repository: string): Promise<number> {
  let total = 0;
  for (const dir of await readdir(join(repository, 'data'))) {
    for (const name of await readdir(join(repository, 'data', dir))) total += (await stat(join(repository, 'data', dir, name))).size;
  }
  return total;
}

describe.skipIf(!borgInstalled)('borgCompact against the real borg', { tags: [BORG_TAG] }, () => {
  it('gives back the space of a deleted archive, with compaction progress', async () => {
    const data = await largeDataDir(25);
    const repository = await sandbox.init('compact', 'none');
    await sandbox.borg(['create', `${repository}::big`, data]);
    await sandbox.borg(['delete', `${repository}::big`]);
    const before = await segmentBytes(repository);
    expect(before).toBeGreaterThan(20 * 1024 * 1024);

    const task = borgCompact({ repository, threshold: 0 });
    expect(task).toMatchObject({ type: 'compact', name: 'borg compact', critical: false });
    const { result, recorded } = await runTask(task, sandbox.env);

    expect(result).toEqual({ status: 'completed', exitCode: 0, signal: null, timedOut: false, cancelled: false, data: { warnings: [], errorId: null } });
    expect(recorded.execs[0]?.argv).toEqual(['borg', 'compact', '--log-json', '--progress', '--threshold=0', '--', repository]);
    expect(await segmentBytes(repository)).toBeLessThan(1024 * 1024);
    const compacting = recorded.progress.filter((entry) => entry['operation'] === 'repository.compact_segments');
    expect(compacting.at(-1)).toEqual({ kind: 'progress_percent', operation: 'repository.compact_segments', finished: true });
  });
});
