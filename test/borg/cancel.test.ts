import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgCreate } from '../../src/borg/index.js';
import { largeDataDir, makeContext, makeSandbox, processesMentioning, processesMentioningSync, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';

let sandbox: BorgSandbox;
let data: string;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-cancel');
  // ~300 MB of random bytes: borg needs seconds for it, so the cancel lands mid-backup.
  data = await largeDataDir(300);
}, 120_000);

afterAll(async () => {
  await sandbox.cleanup();
});

async function expectStoppedAndUnlocked(repository: string): Promise<void> {
  expect(await processesMentioning(repository)).toEqual([]);
  expect(existsSync(join(repository, 'lock.exclusive'))).toBe(false);
  // Another borg gets the lock at once (default lock wait) and the repository still lists.
  await sandbox.borg(['with-lock', repository, 'true']);
  expect(await sandbox.archives(repository)).not.toContain('big');
}

describe.skipIf(!borgInstalled)('stopping borg create', { tags: [BORG_TAG] }, () => {
  it('cancel during a large create: borg stops on SIGTERM, no process is left, the repository is unlocked', async () => {
    const repository = await sandbox.init('cancel', 'none');
    const controller = new AbortController();
    const { context, recorded } = makeContext(sandbox.env, { signal: controller.signal });
    const progress = context.progress;
    let abortedAt: number | undefined;
    let runningAtAbort: number[] = [];
    const watched = {
      ...context,
      progress: (info: Parameters<typeof progress>[0]) => {
        progress(info);
        if (abortedAt === undefined && typeof info['originalSize'] === 'number' && info['originalSize'] > 0) {
          abortedAt = info['originalSize'];
          runningAtAbort = processesMentioningSync(repository);
          controller.abort();
        }
      },
    };

    const result = await borgCreate({ repository, paths: [data], archive: 'big' }).run(watched);

    expect(abortedAt).toBeGreaterThan(0);
    expect(abortedAt).toBeLessThan(300 * 1024 * 1024);
    // The /proc check below can see borg: it did while borg was running.
    expect(runningAtAbort.length).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ status: 'failed', cancelled: true, timedOut: false });
    // The engine words the cancellation itself ("Task cancelled").
    expect(result.error).toBeUndefined();
    // borg exits 143 (128 + SIGTERM) after releasing its lock: it was not SIGKILLed.
    expect(result.exitCode).toBe(143);
    expect(result.signal).toBeNull();
    expect(recorded.output.map((entry) => entry.line)).toContain('Received SIGTERM');
    await expectStoppedAndUnlocked(repository);
  });

  it('timeout during a large create: the same clean stop, reported as timedOut', async () => {
    const repository = await sandbox.init('timeout', 'none');
    // zstd at level 22 keeps borg busy for minutes; 3 s is long enough for borg to start and take
    // its lock even on a loaded machine, so the SIGTERM meets borg's own handler.
    const { context } = makeContext(sandbox.env, { timeoutMs: 3000 });
    const result = await borgCreate({ repository, paths: [data], archive: 'big', compression: 'zstd,22' }).run(context);
    expect(result).toMatchObject({ status: 'failed', timedOut: true, cancelled: false, exitCode: 143, signal: null });
    expect(result.error).toBeUndefined();
    await expectStoppedAndUnlocked(repository);
  });
});
