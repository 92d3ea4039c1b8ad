import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

// Wraps the real fs/promises `open` so that every fdatasync of a run file is seen: how many lines the file
// had when the sync began (what it covers) and whether it has ended.
interface SyncSeen {
  readonly path: string;
  readonly linesAtStart: number;
  ended: boolean;
}
const seen = vi.hoisted(() => ({ syncs: [] as SyncSeen[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const { readFileSync: read } = await import('node:fs');
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const path = String(args[0]);
      if (!path.endsWith('.jsonl')) return handle;
      const datasync = handle.datasync.bind(handle);
      handle.datasync = async () => {
        const sync: SyncSeen = { path, linesAtStart: read(path, 'utf8').split('\n').length - 1, ended: false };
        seen.syncs.push(sync);
        await datasync();
        sync.ended = true;
      };
      return handle;
    },
  };
});

const { openJournal, prepareKeyDirectory, SYNC_INTERVAL_MS } = await import('../../src/journal/index.js');
const { stateDir } = await import('./helpers.js');

const TASKS = [
  { index: 0, name: 'Stop Services', phase: 'pre' as const, type: 'hook', runOnJobFailure: false },
  { index: 1, name: 'Dump', phase: 'pre' as const, type: 'hook', runOnJobFailure: false },
  { index: 2, name: 'backup', phase: 'main' as const, type: 'backup', runOnJobFailure: false },
  { index: 3, name: 'Restart Services', phase: 'post' as const, type: 'hook', runOnJobFailure: false, cleanupFor: 'Stop Services' },
  { index: 4, name: 'Remove Dump', phase: 'post' as const, type: 'hook', runOnJobFailure: true },
  { index: 5, name: 'Report', phase: 'post' as const, type: 'hook', runOnJobFailure: false },
];

function lineCount(path: string): number {
  return readFileSync(path, 'utf8').split('\n').length - 1;
}

/** Whether an fdatasync that began once the file had `lines` lines has ended: those lines are on disk. */
function onDisk(path: string, lines: number): boolean {
  return seen.syncs.some((sync) => sync.path === path && sync.ended && sync.linesAtStart >= lines);
}

async function open(): Promise<Awaited<ReturnType<typeof openJournal>>> {
  const keyDir = await prepareKeyDirectory({ dir: stateDir(), key: 'k' });
  return openJournal(keyDir, { jobId: `j${seen.syncs.length}`, key: 'k', startedAt: new Date().toISOString(), tasks: TASKS });
}

describe('when the journal flushes to disk (docs/journal.md, "What survives what")', () => {
  it('what a recovery acts on is on disk before the call resolves: a paired pre-hook\'s start, a cleanup\'s end, the run\'s end', async () => {
    const journal = await open();
    await journal.taskStart(0);
    expect(onDisk(journal.path, 2)).toBe(true);
    await journal.taskEnd(0, 'completed');
    await journal.taskStart(2, { pgid: process.pid });
    await journal.taskEnd(2, 'failed');
    const beforeCleanups = lineCount(journal.path);
    await journal.taskEnd(3, 'completed');
    expect(onDisk(journal.path, beforeCleanups + 1)).toBe(true);
    await journal.taskEnd(4, 'completed');
    expect(onDisk(journal.path, beforeCleanups + 2)).toBe(true);
    await journal.runEnd('failed', { failedTask: 2 });
    expect(onDisk(journal.path, beforeCleanups + 3)).toBe(true);
  });

  it(`other records share syncs: a burst costs one fdatasync per ${SYNC_INTERVAL_MS} ms at most, and the last record is flushed without flush()`, async () => {
    const journal = await open();
    const before = seen.syncs.length;
    const started = performance.now();
    for (let round = 0; round < 100; round += 1) {
      await journal.taskStart(1);
      await journal.taskStart(1, { pgid: process.pid });
      await journal.taskEnd(1, 'completed');
      await journal.taskEnd(5, 'skipped');
      // As between real tasks: the event loop turns, so a sync that was started can end.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const elapsed = performance.now() - started;
    const lines = lineCount(journal.path);
    expect(lines).toBe(401);
    // 400 records: one sync at once, then at most one per interval (not one per record).
    expect(seen.syncs.length - before).toBeLessThanOrEqual(2 + Math.ceil(elapsed / SYNC_INTERVAL_MS));
    // Nobody calls flush(): the timer does, one interval after the last sync began.
    await vi.waitFor(() => expect(onDisk(journal.path, lines)).toBe(true), { timeout: 2000, interval: 5 });
    await journal.close();
  });

  it('a flush() covers the records written since the last sync at once, without waiting for the interval', async () => {
    const journal = await open();
    await journal.taskStart(1);
    await journal.taskEnd(1, 'completed');
    const lines = lineCount(journal.path);
    await journal.flush();
    expect(onDisk(journal.path, lines)).toBe(true);
    await journal.close();
  });
});
